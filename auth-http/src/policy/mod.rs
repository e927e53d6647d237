//! The HTTP policy, once for every transport: URL security for every hop, redirects per
//! [`RequestKind`], bounded retries, per-hop hooks, the response size cap and secret-free
//! transport errors.
//!
//! A transport implements only [`SendOnce`]: how to send one request once (reading the
//! body through the [`Exchange::body_collector`]) and how to wait. [`PolicyBackend`] runs
//! the policy over it and is an [`HttpBackend`]. The built-in `UreqBackend` and
//! `ReqwestBackend` are such transports; an outside one gets the same behaviour by
//! implementing the same trait (see the crate docs for an example).
//!
//! The parts: [`redirect`](self) (the redirect rule), `retry` (when and how long to wait),
//! `body` (the size cap), `errors` (scrubbed transport errors and error classification),
//! `trace` (the `tracing` events of each hop, retry wait and redirect).

mod body;
mod errors;
mod redirect;
mod retry;
#[cfg(test)]
mod tests;
mod trace;

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use auth_core::http::{
    AllowInsecureHttp, HopHooks, ParsedUrl, check_url_security, same_origin, without_query,
};
use auth_core::{
    Error, HttpBackend, HttpConfig, HttpRequest, HttpResponse, RequestKind, TransportErrorKind,
};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use url::Url;

pub use body::BodyCollector;
#[cfg(any(feature = "ureq", feature = "reqwest"))]
pub(crate) use errors::is_tls_failure;
#[cfg(feature = "ureq")]
pub(crate) use errors::scrub;
pub(crate) use errors::transport_error;
pub use errors::{chain_message, classify_chain, classify_io};
use redirect::{BODY_HEADERS, CROSS_ORIGIN_DROPPED, Redirect, next_hop};
use retry::retry_wait;

/// One attempt, as the policy hands it to a [`SendOnce`] transport: method, URL (already
/// checked for transport security, hooks applied), headers (`User-Agent` included), body,
/// and the backend's settings.
///
/// ```
/// use auth_core::HttpConfig;
/// use auth_http::policy::Exchange;
///
/// let url = "https://api.example/x".parse().unwrap();
/// let headers = http::HeaderMap::new();
/// let config = HttpConfig::default();
/// let exchange = Exchange::new(&http::Method::GET, &url, &headers, &[], &config);
/// assert!(exchange.sends_no_body());
/// assert_eq!(exchange.url().host_str(), Some("api.example"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Exchange<'a> {
    method: &'a Method,
    url: &'a Url,
    /// The request's own URI, when it is exactly `url` (see [`Exchange::uri`]).
    uri: Option<&'a http::Uri>,
    headers: &'a HeaderMap,
    body: &'a [u8],
    config: &'a HttpConfig,
}

impl<'a> Exchange<'a> {
    /// An exchange with these parts (the policy builds them; tests of a transport may too).
    ///
    /// ```
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/x".parse().unwrap();
    /// # let (headers, config) = (http::HeaderMap::new(), auth_core::HttpConfig::default());
    /// let exchange = Exchange::new(&http::Method::POST, &url, &headers, b"a=1", &config);
    /// assert_eq!(exchange.body(), b"a=1");
    /// ```
    pub fn new(
        method: &'a Method,
        url: &'a Url,
        headers: &'a HeaderMap,
        body: &'a [u8],
        config: &'a HttpConfig,
    ) -> Self {
        Exchange {
            method,
            url,
            uri: None,
            headers,
            body,
            config,
        }
    }

    /// This exchange, saying that `uri` is its URL already parsed as an [`http::Uri`]
    /// (the caller's own, checked to be the same text).
    fn with_uri(self, uri: Option<&'a http::Uri>) -> Self {
        Exchange { uri, ..self }
    }

    /// The method.
    ///
    /// ```
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/x".parse().unwrap();
    /// # let (headers, config) = (http::HeaderMap::new(), auth_core::HttpConfig::default());
    /// let exchange = Exchange::new(&http::Method::PUT, &url, &headers, b"", &config);
    /// assert_eq!(exchange.method(), http::Method::PUT);
    /// ```
    pub fn method(&self) -> &'a Method {
        self.method
    }

    /// The absolute URL to send to.
    ///
    /// ```
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/x?q=1".parse().unwrap();
    /// # let (headers, config) = (http::HeaderMap::new(), auth_core::HttpConfig::default());
    /// let exchange = Exchange::new(&http::Method::GET, &url, &headers, b"", &config);
    /// assert_eq!(exchange.url().query(), Some("q=1"));
    /// ```
    pub fn url(&self) -> &'a Url {
        self.url
    }

    /// The URL as an [`http::Uri`] already parsed, when the policy has one that is
    /// exactly [`url`](Exchange::url): the request's own URI, on its first hop, when no
    /// hook ran (an [`auth_core::http::ParsedUrl`] told the policy they are the same).
    /// A transport that sends `http::Uri`s clones it instead of parsing the URL again;
    /// `None` means "parse `url()`".
    ///
    /// ```
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/x".parse().unwrap();
    /// # let (headers, config) = (http::HeaderMap::new(), auth_core::HttpConfig::default());
    /// let exchange = Exchange::new(&http::Method::GET, &url, &headers, b"", &config);
    /// let uri = match exchange.uri() {
    ///     Some(uri) => uri.clone(),
    ///     None => exchange.url().as_str().parse::<http::Uri>().unwrap(),
    /// };
    /// assert_eq!(uri, "https://api.example/x");
    /// ```
    pub fn uri(&self) -> Option<&'a http::Uri> {
        self.uri
    }

    /// The headers to send, exactly (the transport adds only framing: `Host`,
    /// `Content-Length` or `Transfer-Encoding`).
    ///
    /// ```
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/x".parse().unwrap();
    /// # let config = auth_core::HttpConfig::default();
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("accept", http::HeaderValue::from_static("application/json"));
    /// let exchange = Exchange::new(&http::Method::GET, &url, &headers, b"", &config);
    /// assert_eq!(exchange.headers()["accept"], "application/json");
    /// ```
    pub fn headers(&self) -> &'a HeaderMap {
        self.headers
    }

    /// The body (may be empty).
    ///
    /// ```
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/x".parse().unwrap();
    /// # let (headers, config) = (http::HeaderMap::new(), auth_core::HttpConfig::default());
    /// let exchange = Exchange::new(&http::Method::GET, &url, &headers, b"", &config);
    /// assert!(exchange.body().is_empty());
    /// ```
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The backend's settings (timeouts, size cap).
    ///
    /// ```
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/x".parse().unwrap();
    /// # let (headers, config) = (http::HeaderMap::new(), auth_core::HttpConfig::default());
    /// let exchange = Exchange::new(&http::Method::GET, &url, &headers, b"", &config);
    /// assert_eq!(exchange.config().max_response_bytes, 1024 * 1024);
    /// ```
    pub fn config(&self) -> &'a HttpConfig {
        self.config
    }

    /// True when the request should go out without any body at all (no
    /// `Content-Length: 0` on a GET); otherwise send the body with its length, even when
    /// it is empty (RFC 9110 §8.6: some servers answer 411 without one).
    ///
    /// ```
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/x".parse().unwrap();
    /// # let (headers, config) = (http::HeaderMap::new(), auth_core::HttpConfig::default());
    /// assert!(Exchange::new(&http::Method::GET, &url, &headers, b"", &config).sends_no_body());
    /// assert!(!Exchange::new(&http::Method::POST, &url, &headers, b"", &config).sends_no_body());
    /// ```
    pub fn sends_no_body(&self) -> bool {
        self.body.is_empty()
            && matches!(
                *self.method,
                Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS | Method::TRACE
            )
    }

    /// An [`Error::Transport`] for this exchange naming `host:port`, with `message`
    /// scrubbed of the URL's query and password and of every header value.
    ///
    /// ```
    /// use auth_core::TransportErrorKind;
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/cb?code=SECRET123".parse().unwrap();
    /// # let (headers, config) = (http::HeaderMap::new(), auth_core::HttpConfig::default());
    /// let exchange = Exchange::new(&http::Method::GET, &url, &headers, b"", &config);
    /// let err = exchange.transport_error(TransportErrorKind::ConnectionReset, "reset at SECRET123");
    /// assert!(err.to_string().contains("api.example:443"));
    /// assert!(!err.to_string().contains("SECRET123"));
    /// ```
    pub fn transport_error(&self, kind: TransportErrorKind, message: &str) -> Error {
        transport_error(self.url, self.headers, kind, message)
    }

    /// A fresh [`BodyCollector`] enforcing the size cap for a response with this status
    /// and these headers; it fails at once when the declared `Content-Length` is already
    /// over the cap (except where it describes no body: HEAD, 204, 304).
    ///
    /// ```
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/x".parse().unwrap();
    /// # let headers = http::HeaderMap::new();
    /// let config = auth_core::HttpConfig::default().with_max_response_bytes(4);
    /// let exchange = Exchange::new(&http::Method::GET, &url, &headers, b"", &config);
    /// let mut collector = exchange.body_collector(http::StatusCode::OK, &http::HeaderMap::new()).unwrap();
    /// collector.push(b"abcd").unwrap();
    /// assert!(collector.push(b"e").is_err());
    /// ```
    pub fn body_collector(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<BodyCollector, Error> {
        let declares_body = *self.method != Method::HEAD
            && status != StatusCode::NO_CONTENT
            && status != StatusCode::NOT_MODIFIED;
        let empty = HeaderMap::new();
        let headers = if declares_body { headers } else { &empty };
        BodyCollector::new(self.url, self.config.max_response_bytes, headers)
    }
}

/// What a transport implements: one request, once, with no redirect and no retry of its
/// own, the body read through [`Exchange::body_collector`]; and a way to wait between
/// retries. [`PolicyBackend`] does everything else.
///
/// A transport must send the exchange's method, URL, headers and body as they are, return
/// 4xx and 5xx as responses, and report failures to get an answer as
/// [`Exchange::transport_error`] with the closest [`TransportErrorKind`] (refused and
/// reset connections are retried). The crate docs show a complete one.
///
/// ```
/// use std::time::Duration;
/// use auth_core::{Error, HttpResponse};
/// use auth_http::policy::{Exchange, SendOnce};
///
/// /// Answers every request with 204 (a stand-in for a real connection).
/// struct NoContent;
///
/// impl SendOnce for NoContent {
///     async fn send_once(&self, _exchange: Exchange<'_>) -> Result<HttpResponse, Error> {
///         Ok(http::Response::builder().status(204).body(Vec::new()).unwrap())
///     }
///     async fn sleep(&self, duration: Duration) {
///         std::thread::sleep(duration);
///     }
/// }
/// ```
pub trait SendOnce: Send + Sync {
    /// Sends `exchange` once and reads the whole response (status, headers, body).
    fn send_once(
        &self,
        exchange: Exchange<'_>,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + Send;

    /// Waits `duration` before the next attempt (a blocking transport may block).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}

/// An [`HttpBackend`] that runs the whole policy over a [`SendOnce`] transport.
///
/// ```
/// use std::time::Duration;
/// use auth_core::{Error, HttpBackend, HttpConfig, HttpResponse};
/// use auth_http::policy::{Exchange, PolicyBackend, SendOnce};
///
/// struct NoContent;
/// impl SendOnce for NoContent {
///     async fn send_once(&self, _: Exchange<'_>) -> Result<HttpResponse, Error> {
///         Ok(http::Response::builder().status(204).body(Vec::new()).unwrap())
///     }
///     async fn sleep(&self, _: Duration) {}
/// }
///
/// let backend = PolicyBackend::with_transport(NoContent, HttpConfig::default())?;
/// let request = http::Request::get("https://api.example/").body(Vec::new()).unwrap();
/// assert_eq!(pollster::block_on(backend.send(request))?.status(), 204);
///
/// // The policy runs before the transport: plain http:// to a remote host never gets there.
/// let plain = http::Request::get("http://api.example/").body(Vec::new()).unwrap();
/// assert!(matches!(pollster::block_on(backend.send(plain)), Err(Error::InsecureTransport { .. })));
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone)]
pub struct PolicyBackend<T> {
    transport: T,
    config: HttpConfig,
    /// The configured `User-Agent`, as a header value made once (none when empty).
    user_agent: Option<HeaderValue>,
}

impl<T: SendOnce> PolicyBackend<T> {
    /// Runs the policy with these settings over `transport`.
    ///
    /// Fails with [`Error::Config`] when the user agent is not a valid header value or a
    /// timeout is zero.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use auth_core::{Error, HttpConfig, HttpResponse};
    /// # use auth_http::policy::{Exchange, PolicyBackend, SendOnce};
    /// # #[derive(Debug)] struct Never;
    /// # impl SendOnce for Never {
    /// #     async fn send_once(&self, e: Exchange<'_>) -> Result<HttpResponse, Error> {
    /// #         Err(e.transport_error(auth_core::TransportErrorKind::ConnectionRefused, "no"))
    /// #     }
    /// #     async fn sleep(&self, _: Duration) {}
    /// # }
    /// let config = HttpConfig::default().with_read_timeout(Duration::ZERO);
    /// let err = PolicyBackend::with_transport(Never, config).unwrap_err();
    /// assert!(err.to_string().contains("read_timeout"));
    /// ```
    pub fn with_transport(transport: T, config: HttpConfig) -> Result<Self, Error> {
        validate_config(&config)?;
        let user_agent = user_agent_header(&config)?;
        Ok(PolicyBackend {
            transport,
            config,
            user_agent,
        })
    }

    /// Sends `request` under the policy: [`HttpBackend::send`] without a boxed future,
    /// for the built-in backends whose own `send` is this one.
    pub(crate) async fn run(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        execute_as(
            &self.transport,
            &self.config,
            self.user_agent.as_ref(),
            request,
        )
        .await
    }

    /// The transport.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use auth_core::{Error, HttpConfig, HttpResponse};
    /// # use auth_http::policy::{Exchange, PolicyBackend, SendOnce};
    /// # #[derive(Debug, PartialEq)] struct Never;
    /// # impl SendOnce for Never {
    /// #     async fn send_once(&self, e: Exchange<'_>) -> Result<HttpResponse, Error> {
    /// #         Err(e.transport_error(auth_core::TransportErrorKind::ConnectionRefused, "no"))
    /// #     }
    /// #     async fn sleep(&self, _: Duration) {}
    /// # }
    /// let backend = PolicyBackend::with_transport(Never, HttpConfig::default()).unwrap();
    /// assert_eq!(backend.transport(), &Never);
    /// ```
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The settings.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use auth_core::{Error, HttpConfig, HttpResponse};
    /// # use auth_http::policy::{Exchange, PolicyBackend, SendOnce};
    /// # struct Never;
    /// # impl SendOnce for Never {
    /// #     async fn send_once(&self, e: Exchange<'_>) -> Result<HttpResponse, Error> {
    /// #         Err(e.transport_error(auth_core::TransportErrorKind::ConnectionRefused, "no"))
    /// #     }
    /// #     async fn sleep(&self, _: Duration) {}
    /// # }
    /// let backend = PolicyBackend::with_transport(Never, HttpConfig::default()).unwrap();
    /// assert_eq!(backend.config().max_redirects, 5);
    /// ```
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }
}

#[auth_core::async_trait]
impl<T: SendOnce> HttpBackend for PolicyBackend<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        self.run(request).await
    }
}

impl<T: fmt::Debug> fmt::Debug for PolicyBackend<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyBackend")
            .field("transport", &self.transport)
            .field("config", &self.config)
            .finish()
    }
}

/// The impls a built-in backend (a newtype over a `policy: PolicyBackend<_>` field)
/// shares: [`HttpBackend`] runs the policy, and `Debug` shows only the settings.
#[cfg(any(feature = "ureq", feature = "reqwest"))]
macro_rules! policy_backend_impls {
    ($backend:ident) => {
        #[auth_core::async_trait]
        impl auth_core::HttpBackend for $backend {
            async fn send(
                &self,
                request: auth_core::HttpRequest,
            ) -> Result<auth_core::HttpResponse, auth_core::Error> {
                self.policy.run(request).await
            }
        }

        impl std::fmt::Debug for $backend {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($backend))
                    .field("config", self.config())
                    .finish_non_exhaustive()
            }
        }
    };
}
#[cfg(any(feature = "ureq", feature = "reqwest"))]
pub(crate) use policy_backend_impls;

/// Checks the settings a backend is built with, so that a mistake shows up when the
/// backend is created rather than on the first request.
pub(crate) fn validate_config(config: &HttpConfig) -> Result<(), Error> {
    if HeaderValue::from_str(&config.user_agent).is_err() {
        return Err(Error::config(format!(
            "the user agent {:?} is not a valid header value: use printable ASCII without line breaks",
            config.user_agent
        )));
    }
    for (name, value) in [
        ("connect_timeout", config.connect_timeout),
        ("read_timeout", config.read_timeout),
    ] {
        if value.is_zero() {
            return Err(Error::config(format!(
                "{name} is zero, so every request would time out: set it to a positive duration"
            )));
        }
    }
    Ok(())
}

/// The configured `User-Agent` as a header value; `None` when it is empty (none is sent).
fn user_agent_header(config: &HttpConfig) -> Result<Option<HeaderValue>, Error> {
    if config.user_agent.is_empty() {
        return Ok(None);
    }
    HeaderValue::from_str(&config.user_agent)
        .map(Some)
        .map_err(|_| {
            Error::config(
                "the configured user agent is not a valid header value: use printable ASCII",
            )
        })
}

/// What stays the same for every hop of one call.
struct Call<'a> {
    kind: RequestKind,
    allow_insecure: bool,
    hooks: &'a HopHooks,
    config: &'a HttpConfig,
}

/// Where the chain is: the hop's place for the hooks.
#[derive(Clone, Copy)]
struct Place {
    same_origin: bool,
    redirects: u32,
}

/// [`execute_as`] with the `User-Agent` header made from `config` (the unit tests').
#[cfg(test)]
pub(crate) async fn execute<T: SendOnce>(
    transport: &T,
    config: &HttpConfig,
    request: HttpRequest,
) -> Result<HttpResponse, Error> {
    let user_agent = user_agent_header(config)?;
    execute_as(transport, config, user_agent.as_ref(), request).await
}

/// Sends `request` through `transport` following the rules of the crate docs: URL
/// security for every hop, redirects per [`RequestKind`], bounded retries for idempotent
/// API requests, the request's hooks on every attempt, the default `User-Agent`
/// (`user_agent`, the configured one made into a header value once per backend).
#[tracing::instrument(level = "debug", name = "http_request", skip_all, fields(method = %request.method(), url = %trace::uri(request.uri())))]
async fn execute_as<T: SendOnce>(
    transport: &T,
    config: &HttpConfig,
    user_agent: Option<&HeaderValue>,
    request: HttpRequest,
) -> Result<HttpResponse, Error> {
    let hooks = HopHooks::of(&request);
    let call = Call {
        kind: RequestKind::of(&request),
        allow_insecure: AllowInsecureHttp::is_set(&request),
        hooks: &hooks,
        config,
    };
    let (mut parts, mut body) = request.into_parts();
    // the URI parsed already (checked to be the same text): the transport may then send
    // the URI as it is rather than parse the URL again
    let (origin, parsed) = match parts.extensions.remove::<ParsedUrl>() {
        Some(ParsedUrl(url)) if ParsedUrl::is_uri(&url, &parts.uri) => (url, true),
        _ => (request_url(&parts.uri)?, false),
    };
    check_url_security(&origin, call.allow_insecure)?;

    // the hop's URL: the origin until a redirect leads elsewhere
    let mut redirected: Option<Url> = None;
    let mut method = parts.method;
    let mut headers = parts.headers;
    if let Some(value) = user_agent
        && !headers.contains_key(header::USER_AGENT)
    {
        headers.insert(header::USER_AGENT, value.clone());
    }

    let mut place = Place {
        same_origin: true,
        redirects: 0,
    };
    loop {
        let url = redirected.as_ref().unwrap_or(&origin);
        let uri = (parsed && redirected.is_none()).then_some(&parts.uri);
        let hop = Hop {
            method: &method,
            url,
            uri,
            headers: &headers,
            body: &body,
        };
        let response = send_with_retries(transport, &call, place, hop).await?;
        if call.kind == RequestKind::TokenEndpoint || config.max_redirects == 0 {
            return Ok(response);
        }
        let Redirect::Follow {
            url: target,
            method: next_method,
            keep_body,
        } = next_hop(
            response.status(),
            response.headers().get(header::LOCATION),
            url,
            &method,
            !body.is_empty(),
        )
        else {
            return Ok(response);
        };
        if place.redirects >= config.max_redirects {
            return Err(transport_error(
                url,
                &headers,
                TransportErrorKind::TooManyRedirects,
                &format!(
                    "gave up after more than {} redirects (max_redirects)",
                    config.max_redirects
                ),
            ));
        }
        if call.kind == RequestKind::Metadata && !same_origin(&origin, &target) {
            return Err(Error::InvalidResponse {
                url: without_query(url),
                status: response.status().as_u16(),
                problem: format!(
                    "it redirects to another origin ({}), and server metadata is only read \
                     from the origin it was asked of",
                    target.origin().ascii_serialization()
                ),
                excerpt: String::new(),
            });
        }
        check_url_security(&target, call.allow_insecure)?;
        place.redirects += 1;
        place.same_origin = place.same_origin && same_origin(&origin, &target);
        trace::redirect(response.status(), &target, place);

        if !same_origin(url, &target) {
            for name in CROSS_ORIGIN_DROPPED {
                headers.remove(name);
            }
        }
        headers.remove(header::HOST);
        if !keep_body {
            body = Vec::new();
            for name in BODY_HEADERS {
                headers.remove(name);
            }
        }
        method = next_method;
        redirected = Some(target);
    }
}

/// The request URI as an absolute URL.
fn request_url(uri: &http::Uri) -> Result<Url, Error> {
    if uri.scheme().is_none() || uri.host().is_none() {
        return Err(Error::config(format!(
            "the request URI {:?} is not absolute: build requests with a full https:// URL",
            uri.path()
        )));
    }
    Url::parse(&uri.to_string()).map_err(|e| {
        Error::config(format!(
            "the request URI for host {:?} is not a valid URL ({e}): check the endpoint URL",
            uri.host().unwrap_or_default()
        ))
    })
}

/// One hop's URL, headers and body after the hooks ran on a copy.
struct Decorated {
    url: Url,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// One hop as the policy holds it, before the hooks run.
#[derive(Clone, Copy)]
struct Hop<'a> {
    method: &'a Method,
    url: &'a Url,
    /// The request's own URI when it is exactly `url` (the first hop, parsed already).
    uri: Option<&'a http::Uri>,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

/// Runs the hooks on a copy of the hop, then checks the URL they leave.
fn decorate(call: &Call<'_>, place: Place, attempt: u32, hop: Hop<'_>) -> Result<Decorated, Error> {
    let method = hop.method;
    let mut hop = Decorated {
        url: hop.url.clone(),
        headers: hop.headers.clone(),
        body: hop.body.to_vec(),
    };
    let mut view = auth_core::http::Hop::new(
        method,
        &mut hop.url,
        &mut hop.headers,
        &mut hop.body,
        place.same_origin,
    )
    .numbered(place.redirects, attempt);
    call.hooks.run(&mut view)?;
    check_url_security(&hop.url, call.allow_insecure)?;
    Ok(hop)
}

async fn send_with_retries<T: SendOnce>(
    transport: &T,
    call: &Call<'_>,
    place: Place,
    hop: Hop<'_>,
) -> Result<HttpResponse, Error> {
    let method = hop.method;
    let mut attempt = 0u32;
    loop {
        let decorated = if call.hooks.is_empty() {
            None
        } else {
            Some(decorate(call, place, attempt, hop)?)
        };
        let exchange = match &decorated {
            Some(d) => Exchange::new(method, &d.url, &d.headers, &d.body, call.config),
            None => {
                Exchange::new(method, hop.url, hop.headers, hop.body, call.config).with_uri(hop.uri)
            }
        };
        let started = Instant::now();
        let outcome = transport.send_once(exchange).await;
        trace::attempt(method, exchange.url(), place, attempt, &outcome, started);
        match retry_wait(
            call.kind,
            method,
            attempt,
            &outcome,
            call.config,
            SystemTime::now(),
        ) {
            Some(wait) => {
                trace::retry(attempt, wait);
                transport.sleep(wait).await;
                attempt += 1;
            }
            None => return outcome,
        }
    }
}
