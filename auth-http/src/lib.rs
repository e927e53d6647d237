//! HTTP transports for the authctl OAuth client toolkit: implementations of
//! [`auth_core::HttpBackend`] over `http::Request<Vec<u8>>` / `http::Response<Vec<u8>>`.
//!
//! | feature | type | kind | TLS | pulls in |
//! |---|---|---|---|---|
//! | `ureq` (default) | `UreqBackend` | blocking | rustls + ring, webpki roots | no tokio, no reqwest |
//! | `reqwest` | `ReqwestBackend` | async (tokio) | rustls + ring, system trust store | tokio, hyper |
//!
//! Each backend only knows how to send one request once; everything else is one shared
//! driver, so both behave the same and both pass the same
//! `auth_testkit::http_backend` suite.
//!
//! ```no_run
//! # #[cfg(feature = "ureq")] {
//! use auth_core::{HttpConfig, RequestKind};
//! use auth_http::UreqBackend;
//!
//! let backend = UreqBackend::new(HttpConfig::default())?;
//!
//! // A token request: never redirected, never retried.
//! let mut request = http::Request::post("https://www.inaturalist.org/oauth/token")
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body(b"grant_type=client_credentials".to_vec())
//!     .unwrap();
//! request.extensions_mut().insert(RequestKind::TokenEndpoint);
//! let response = backend.send_blocking(request)?;
//! // 4xx and 5xx are responses, not errors: the caller reads the OAuth error body.
//! println!("{} {}", response.status(), String::from_utf8_lossy(response.body()));
//! # }
//! # Ok::<(), auth_core::Error>(())
//! ```
//!
//! # The rules
//!
//! Settings come from [`auth_core::HttpConfig`].
//!
//! - **Transport security.** Every URL, the first and each redirect target, passes
//!   [`auth_core::http::check_url_security`] before anything is sent: `https://`, or
//!   `http://` to a loopback host, or `http://` anywhere when `allow_insecure_http` is set.
//!   Otherwise the result is [`Error::InsecureTransport`] and no connection is opened.
//! - **Statuses.** 4xx and 5xx come back as `Ok` responses with their bodies.
//! - **Redirects** depend on the request's [`RequestKind`](auth_core::RequestKind)
//!   extension. `TokenEndpoint`: never followed, the 3xx response is returned as it is.
//!   `Api` (the default): up to `max_redirects` are followed (then
//!   `Transport { kind: TooManyRedirects }`; `max_redirects = 0` returns the 3xx). 301, 302
//!   and 303 continue as a GET without body (HEAD stays HEAD); 307 and 308 keep the method
//!   and body, but only within the same origin: a 307/308 that would carry a body or an
//!   unsafe method to another origin is returned instead of followed. A relative
//!   `Location` is resolved against the current URL. When a redirect leaves the origin
//!   (scheme, host, port), `Authorization`, `Cookie` and `Proxy-Authorization` are dropped
//!   and stay dropped for the rest of the chain.
//! - **Retries** only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) of kind
//!   `Api`, at most `max_retries` times, after a refused or reset connection, a 429 or a
//!   503. The wait is the response's `Retry-After` (delta-seconds or HTTP-date) if it has a
//!   usable one, else 200 ms doubled on each attempt; either is capped at `max_retry_wait`.
//!   POST, PATCH and token endpoint requests are never retried; after the last attempt the
//!   last response (or error) is returned.
//! - **Response size.** The body is read in chunks and reading stops as soon as it passes
//!   `max_response_bytes` (or at once when `Content-Length` says it will):
//!   [`Error::ResponseTooLarge`].
//! - **Timeouts.** `connect_timeout` bounds name resolution and connecting (TLS
//!   included); `read_timeout` bounds the wait for the response head after sending, and
//!   separately the reading of the whole body.
//! - **User agent.** `user_agent` from the config (`authctl/<version>` by default) unless
//!   the request sets its own `User-Agent`.
//! - **Errors.** Failures to get an answer are [`Error::Transport`] with the `host:port`,
//!   a [`TransportErrorKind`](auth_core::TransportErrorKind) (DNS, refused, reset, connect
//!   or read timeout, TLS) and the library's message, from which the URL's query, any
//!   password and the request's header values are removed, so codes and tokens never
//!   reach a log.
//!
//! Neither backend installs anything process-wide (no default rustls crypto provider, no
//! global client).

#[cfg(any(feature = "ureq", feature = "reqwest"))]
mod driver;

#[cfg(feature = "reqwest")]
mod reqwest_backend;
#[cfg(feature = "ureq")]
mod ureq_backend;

#[cfg(feature = "reqwest")]
pub use reqwest_backend::ReqwestBackend;
#[cfg(feature = "ureq")]
pub use ureq_backend::UreqBackend;

/// The toolkit's settings and error type, re-exported for convenience.
///
/// ```
/// let config = auth_http::HttpConfig::default();
/// assert_eq!(config.max_redirects, 5);
/// ```
pub use auth_core::{Error, HttpConfig};
