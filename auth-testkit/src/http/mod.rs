//! The [`HttpBackend`] conformance suite: one case per rule, run by
//! [`http_backend_tests!`](crate::http_backend_tests) as one named `#[test]` each.
//!
//! The cases, by group (one file each):
//!
//! - `basics`: GET with a query and custom headers, response headers (a repeated one
//!   too); POST with form, JSON and empty bodies; 200, 400, 401, 500 come back as
//!   responses with their bodies, a 500 is not retried; the default user agent is
//!   `authctl/<version>`, a request's own one wins;
//! - `errors`: a server that does not answer hits the read timeout (`ReadTimeout`, host
//!   named); a refused connection is `ConnectionRefused` naming `127.0.0.1:<port>`, and the
//!   message shows neither the query (`?code=...`) nor the `Authorization` value;
//!   `https://` to a server that does not speak TLS is a `Tls` transport error;
//! - `body`: bodies over `max_response_bytes` (declared, chunked, and endless) are
//!   `ResponseTooLarge`, and reading stops; a body exactly at the cap passes;
//! - `security`: `http://` to a non-loopback host is `InsecureTransport` before any
//!   connection, and proceeds with the `AllowInsecureHttp` extension;
//! - `redirects`: within the origin `Authorization` is kept (relative `Location`), to
//!   another origin it and `Cookie` are dropped; a redirect to insecure `http://` is
//!   refused; 303 turns a POST into a bodiless GET; 307 keeps method and body within the
//!   origin and is returned instead of carrying a body to another origin; `max_redirects`
//!   is enforced; token endpoint requests are never redirected;
//! - `retries`: a GET after 503 with `Retry-After: 1` (2 hits, waited), after 429, after a
//!   connection closed without an answer; `max_retries` bounds the attempts and
//!   `max_retry_wait` caps `Retry-After`; never a POST, never a token endpoint request;
//! - `hooks`: the request's `HopHooks` run on every hop and every retry, told whether the
//!   chain is still on the original origin; a cross-origin hop carries no credentials;
//!   what hooks change (URL, headers, body) is what is sent; a hook's error or an insecure
//!   URL left by a hook stops the call before anything is sent.
//!
//! The servers are `mockito` servers and small hand-written ones, all on 127.0.0.1; no
//! case sends anything off the machine.

mod basics;
mod body;
mod errors;
mod hooks;
mod redirects;
mod retries;
mod security;
mod server;

use std::sync::Arc;

use auth_core::{
    Error, HttpBackend, HttpConfig, HttpRequest, HttpResponse, RequestKind, TransportErrorKind,
};

/// The cases, one function per rule group member, called by the macro.
#[doc(hidden)]
pub mod cases {
    pub use super::basics::{
        get_with_query_and_headers, post_bodies, statuses_are_responses, user_agent,
    };
    pub use super::body::{endless_body, response_size_cap};
    pub use super::errors::{connection_refused, read_timeout, tls_failure};
    pub use super::hooks::{
        cross_origin_hops_carry_no_credentials, hook_errors_and_insecure_urls_stop_the_call,
        hooks_change_what_is_sent, hooks_run_on_every_hop_and_retry,
    };
    pub use super::redirects::{
        redirect_limits, redirect_methods, redirects_and_credentials, token_endpoint_not_redirected,
    };
    pub use super::retries::{
        no_retry_for_post_or_token, retry_after_dropped_connection, retry_bounds,
        retry_on_503_and_429,
    };
    pub use super::security::insecure_http;
}

/// Emits the [`HttpBackend`] conformance suite as one named `#[test]` per case, for the
/// backend built by `$make`: a closure (or function) taking the [`HttpConfig`] each case
/// needs (timeouts, caps, retries) and returning a fresh `Arc<dyn HttpBackend>`.
///
/// One failing case does not hide the others, and `cargo test CASE` runs one (for
/// example `cargo test redirect_limits`). Invoke it once per module; to run it for
/// several backends in one file, put each invocation in its own `mod`. The tests are
/// plain `#[test]`s (not inside an async runtime): each case runs its requests on a
/// multi-thread tokio runtime, which async backends need and blocking ones ignore.
/// `retry_on_503_and_429` takes about a second (it waits for `Retry-After: 1`).
///
/// The cases are listed in the [`http`](crate::http) module docs. Each panics with a
/// message naming the broken rule.
///
/// ```no_run
/// // tests/conformance.rs of a crate with a backend:
/// mod my_backend {
///     use std::sync::Arc;
///     use auth_core::HttpBackend;
///
///     auth_testkit::http_backend_tests!(|config| {
///         Arc::new(auth_testkit::LoopbackHttp::with_config(config)) as Arc<dyn HttpBackend>
///     });
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! http_backend_tests {
    ($make:expr) => {
        $crate::__http_backend_cases! {
            $make;
            get_with_query_and_headers,
            post_bodies,
            statuses_are_responses,
            user_agent,
            read_timeout,
            connection_refused,
            tls_failure,
            response_size_cap,
            endless_body,
            insecure_http,
            redirects_and_credentials,
            redirect_methods,
            redirect_limits,
            token_endpoint_not_redirected,
            retry_on_503_and_429,
            no_retry_for_post_or_token,
            retry_bounds,
            retry_after_dropped_connection,
            hooks_run_on_every_hop_and_retry,
            cross_origin_hops_carry_no_credentials,
            hooks_change_what_is_sent,
            hook_errors_and_insecure_urls_stop_the_call,
        }
    };
}

/// The plumbing of [`http_backend_tests!`]: one `#[test]` per listed case.
#[doc(hidden)]
#[macro_export]
macro_rules! __http_backend_cases {
    ($make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::http::run($crate::http::cases::$case, $make);
            }
        )*
    };
}

/// Runs one case against backends built by `make` (the macro's plumbing).
#[doc(hidden)]
pub fn run<F>(case: fn(&Suite<'_>), make: F)
where
    F: Fn(HttpConfig) -> Arc<dyn HttpBackend>,
{
    let suite = Suite {
        rt: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("http_backend_tests: could not start a tokio runtime for the suite"),
        make: &make,
    };
    case(&suite);
}

/// What a case gets: a way to build the backend under test and send through it.
#[doc(hidden)]
pub struct Suite<'a> {
    rt: tokio::runtime::Runtime,
    make: &'a dyn Fn(HttpConfig) -> Arc<dyn HttpBackend>,
}

const TOKEN: &str = "Bearer conformance-token-3f9a";
const SECRET_CODE: &str = "SECRET-CODE-7c1e";

impl Suite<'_> {
    fn send_with(&self, config: HttpConfig, request: HttpRequest) -> Result<HttpResponse, Error> {
        let backend = (self.make)(config);
        self.rt.block_on(backend.send(request))
    }

    fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        self.send_with(HttpConfig::default(), request)
    }

    fn ok(&self, request: HttpRequest) -> HttpResponse {
        let what = format!("{} {}", request.method(), request.uri().path());
        self.send(request)
            .unwrap_or_else(|e| panic!("{what}: expected a response, got the error: {e}"))
    }
}

fn get(url: &str) -> HttpRequest {
    http::Request::get(url)
        .body(Vec::new())
        .expect("test request")
}

fn with_kind(mut request: HttpRequest, kind: RequestKind) -> HttpRequest {
    request.extensions_mut().insert(kind);
    request
}

fn text(response: &HttpResponse) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

fn transport_kind(result: &Result<HttpResponse, Error>) -> Option<(TransportErrorKind, String)> {
    match result {
        Err(Error::Transport { kind, host, .. }) => Some((*kind, host.clone())),
        _ => None,
    }
}

fn describe(result: &Result<HttpResponse, Error>) -> String {
    match result {
        Ok(r) => format!("a {} response", r.status()),
        Err(e) => format!("the error {e:?}"),
    }
}
