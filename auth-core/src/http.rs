//! The [`HttpBackend`] trait and the transport rules every backend follows.

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use url::Url;

use crate::error::Error;

/// An HTTP request: the `http` crate's type with a byte body.
pub type HttpRequest = http::Request<Vec<u8>>;
/// An HTTP response: the `http` crate's type with a byte body.
pub type HttpResponse = http::Response<Vec<u8>>;

/// Sends HTTP requests. Implemented by `auth-http`'s `reqwest` and `ureq` backends, and
/// by wrappers that sign or authorize requests.
///
/// Contract (checked by `auth_testkit::http_backend`):
/// - 4xx and 5xx come back as `Ok` responses; only failures to get an answer are errors
///   ([`Error::Transport`] naming the host, [`Error::ResponseTooLarge`]).
/// - `http://` is refused ([`Error::InsecureTransport`]) unless the host is loopback or the
///   backend was configured with `allow_insecure_http`.
/// - Redirects and retries follow the request's [`RequestKind`] (an extension; default
///   [`RequestKind::Api`]).
///
/// ```
/// use auth_core::{async_trait, Error, HttpBackend, HttpRequest, HttpResponse};
///
/// /// A backend that answers every request with 204, for tests.
/// struct NoContent;
///
/// #[async_trait]
/// impl HttpBackend for NoContent {
///     async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, Error> {
///         Ok(http::Response::builder().status(204).body(Vec::new()).unwrap())
///     }
/// }
///
/// let backend: std::sync::Arc<dyn HttpBackend> = std::sync::Arc::new(NoContent);
/// let request = http::Request::get("https://example.com/").body(Vec::new()).unwrap();
/// let response = pollster::block_on(backend.send(request)).unwrap();
/// assert_eq!(response.status(), 204);
/// ```
#[async_trait]
pub trait HttpBackend: Send + Sync {
    /// Sends one request (following the redirect and retry rules) and returns the answer.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error>;
}

#[async_trait]
impl<T: HttpBackend + ?Sized> HttpBackend for std::sync::Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        (**self).send(request).await
    }
}

/// What a request is for, which decides how redirects and retries are handled. Set it as
/// a request extension; absent means [`RequestKind::Api`].
///
/// ```
/// use auth_core::RequestKind;
/// let mut req = http::Request::post("https://a.example/token").body(Vec::<u8>::new()).unwrap();
/// req.extensions_mut().insert(RequestKind::TokenEndpoint);
/// assert_eq!(RequestKind::of(&req), RequestKind::TokenEndpoint);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RequestKind {
    /// A request to a resource API: redirects are followed (an `Authorization` header is
    /// dropped when the redirect leaves the origin), idempotent methods are retried.
    #[default]
    Api,
    /// A request to an authorization server endpoint (token, device, revocation): never
    /// redirected, never retried, because it carries credentials and may not be idempotent.
    TokenEndpoint,
}

impl RequestKind {
    /// The kind set on a request, or the default.
    pub fn of<B>(request: &http::Request<B>) -> RequestKind {
        request
            .extensions()
            .get::<RequestKind>()
            .copied()
            .unwrap_or_default()
    }
}

/// Settings shared by every backend.
///
/// ```
/// let c = auth_core::HttpConfig::default();
/// assert_eq!(c.max_response_bytes, 1024 * 1024);
/// assert!(c.user_agent.starts_with("authctl/"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpConfig {
    /// Longest wait for a connection (default 10 s).
    pub connect_timeout: Duration,
    /// Longest wait for the response head, and then again for the whole body (default 30 s).
    pub read_timeout: Duration,
    /// The `User-Agent` header (default `authctl/<version>`).
    pub user_agent: String,
    /// Largest response body accepted (default 1 MiB).
    pub max_response_bytes: u64,
    /// Allow `http://` to hosts that are not loopback (default false).
    pub allow_insecure_http: bool,
    /// Retries after the first attempt for idempotent API requests (default 2).
    pub max_retries: u32,
    /// Longest single wait between retries, including `Retry-After` (default 10 s).
    pub max_retry_wait: Duration,
    /// Redirects followed for API requests (default 5).
    pub max_redirects: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            user_agent: concat!("authctl/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_response_bytes: 1024 * 1024,
            allow_insecure_http: false,
            max_retries: 2,
            max_retry_wait: Duration::from_secs(10),
            max_redirects: 5,
        }
    }
}

impl HttpConfig {
    /// Sets the longest wait for a connection.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = auth_core::HttpConfig::default().with_connect_timeout(Duration::from_secs(3));
    /// assert_eq!(config.connect_timeout, Duration::from_secs(3));
    /// ```
    #[must_use]
    pub fn with_connect_timeout(mut self, value: Duration) -> Self {
        self.connect_timeout = value;
        self
    }

    /// Sets the longest wait for the response head, and then for the body.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = auth_core::HttpConfig::default().with_read_timeout(Duration::from_secs(5));
    /// assert_eq!(config.read_timeout, Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn with_read_timeout(mut self, value: Duration) -> Self {
        self.read_timeout = value;
        self
    }

    /// Sets the `User-Agent` header.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = auth_core::HttpConfig::default().with_user_agent("my-app/1.0");
    /// assert_eq!(config.user_agent, "my-app/1.0");
    /// ```
    #[must_use]
    pub fn with_user_agent(mut self, value: impl Into<String>) -> Self {
        self.user_agent = value.into();
        self
    }

    /// Sets the largest response body accepted.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = auth_core::HttpConfig::default().with_max_response_bytes(64 * 1024);
    /// assert_eq!(config.max_response_bytes, 64 * 1024);
    /// ```
    #[must_use]
    pub fn with_max_response_bytes(mut self, value: u64) -> Self {
        self.max_response_bytes = value;
        self
    }

    /// Sets whether `http://` to hosts that are not loopback is allowed.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = auth_core::HttpConfig::default().with_allow_insecure_http(true);
    /// assert_eq!(config.allow_insecure_http, true);
    /// ```
    #[must_use]
    pub fn with_allow_insecure_http(mut self, value: bool) -> Self {
        self.allow_insecure_http = value;
        self
    }

    /// Sets how many retries follow the first attempt of an idempotent API request.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = auth_core::HttpConfig::default().with_max_retries(0);
    /// assert_eq!(config.max_retries, 0);
    /// ```
    #[must_use]
    pub fn with_max_retries(mut self, value: u32) -> Self {
        self.max_retries = value;
        self
    }

    /// Sets the longest single wait between retries.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = auth_core::HttpConfig::default().with_max_retry_wait(Duration::from_secs(1));
    /// assert_eq!(config.max_retry_wait, Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn with_max_retry_wait(mut self, value: Duration) -> Self {
        self.max_retry_wait = value;
        self
    }

    /// Sets how many redirects an API request follows.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = auth_core::HttpConfig::default().with_max_redirects(0);
    /// assert_eq!(config.max_redirects, 0);
    /// ```
    #[must_use]
    pub fn with_max_redirects(mut self, value: u32) -> Self {
        self.max_redirects = value;
        self
    }
}

/// True for `localhost`, `127.0.0.0/8` and `::1`.
///
/// ```
/// use auth_core::http::is_loopback_host;
/// assert!(is_loopback_host("127.0.0.5"));
/// assert!(is_loopback_host("[::1]"));
/// assert!(is_loopback_host("localhost"));
/// assert!(!is_loopback_host("10.0.0.1"));
/// assert!(!is_loopback_host("localhost.evil.example"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks a URL against the transport rules: `https` always passes; `http` passes for
/// loopback hosts or when `allow_insecure` is set; other schemes are refused.
///
/// ```
/// use auth_core::http::check_url_security;
/// let url = "http://api.example.com/x".parse().unwrap();
/// let err = check_url_security(&url, false).unwrap_err();
/// assert_eq!(err.hint(), Some(auth_core::Hint::InsecureHttp));
/// assert!(check_url_security(&url, true).is_ok());
/// ```
pub fn check_url_security(url: &Url, allow_insecure: bool) -> Result<(), Error> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure || url.host_str().is_some_and(is_loopback_host) => Ok(()),
        "http" => Err(Error::InsecureTransport {
            url: without_query(url),
        }),
        other => Err(Error::config(format!(
            "unsupported URL scheme {other:?} in {}: use https",
            without_query(url)
        ))),
    }
}

/// True when two URLs have the same scheme, host and port (default ports resolved).
///
/// ```
/// use auth_core::http::same_origin;
/// let a = "https://a.example/x".parse().unwrap();
/// let b = "https://a.example:443/y".parse().unwrap();
/// let c = "https://b.example/x".parse().unwrap();
/// assert!(same_origin(&a, &b));
/// assert!(!same_origin(&a, &c));
/// ```
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The URL without query and fragment, for messages (queries may carry codes or tokens).
///
/// ```
/// let u = "https://a.example/cb?code=secret#x".parse().unwrap();
/// assert_eq!(auth_core::http::without_query(&u), "https://a.example/cb");
/// ```
pub fn without_query(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    let _ = url.set_password(None);
    url.to_string()
}

/// `host:port` of a URL, for transport error messages.
///
/// ```
/// let u = "https://a.example/x".parse().unwrap();
/// assert_eq!(auth_core::http::host_port(&u), "a.example:443");
/// ```
pub fn host_port(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => url.to_string(),
    }
}
