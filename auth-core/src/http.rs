//! The [`HttpBackend`] trait, the transport rules every backend follows, and the
//! vocabulary of per-hop hooks ([`HopHook`], [`Hop`], [`HopHooks`]).
//!
//! The module stays whole (about 700 lines, half of them doc examples): it is the one
//! place that states the `HttpBackend` contract, and every item here is part of it.
//!
//! The `http` crate's request and response types are re-exported here, so
//! `use auth_core::http;` is enough to build requests:
//!
//! ```
//! use auth_core::http;
//! let request = http::Request::get("https://example.com/").body(Vec::<u8>::new()).unwrap();
//! assert_eq!(request.method(), http::Method::GET);
//! ```

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

pub use ::http::{
    HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, Version, header,
};

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
/// Contract (checked by the `auth_testkit::http_backend_tests!` suite):
/// - 4xx and 5xx come back as `Ok` responses; only failures to get an answer are errors
///   ([`Error::Transport`] naming the host, [`Error::ResponseTooLarge`]).
/// - `http://` is refused ([`Error::InsecureTransport`]) unless the host is loopback or the
///   request carries the [`AllowInsecureHttp`] extension (flows set it from
///   [`Provider::insecure_http`](crate::Provider::insecure_http)).
/// - Redirects and retries follow the request's [`RequestKind`] (an extension; default
///   [`RequestKind::Api`]).
/// - The request's [`HopHooks`] (an extension) run, in order, on **every** attempt that
///   goes out: the first, each redirect hop and each retry. They run after the backend
///   has removed what must not cross origins, and are told whether the chain is still on
///   the original origin ([`Hop::is_same_origin`]); the URL they leave is checked for
///   transport security before anything is sent. A hook's error ends the call.
///
/// Wrappers that decorate requests (bearer tokens, OAuth 1 signatures) add a hook and
/// pass the request on; they never follow redirects or retry themselves.
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
    /// A request for an authorization server's metadata (OpenID Connect discovery,
    /// RFC 8414): redirects are followed only within the origin asked, and a redirect to
    /// another origin is an error, because a document served from elsewhere could name
    /// any endpoints; never retried.
    ///
    /// ```
    /// use auth_core::RequestKind;
    /// let mut req = http::Request::get("https://id.example/.well-known/openid-configuration").body(Vec::<u8>::new()).unwrap();
    /// req.extensions_mut().insert(RequestKind::Metadata);
    /// assert_eq!(RequestKind::of(&req), RequestKind::Metadata);
    /// ```
    Metadata,
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
/// The struct is `#[non_exhaustive]` (new settings may come), so it is built from
/// [`HttpConfig::default`] and changed with the `with_*` setters, one per field; the
/// fields stay public to read.
///
/// ```
/// use std::time::Duration;
///
/// let c = auth_core::HttpConfig::default();
/// assert_eq!(c.max_response_bytes, 1024 * 1024);
/// assert!(c.user_agent.starts_with("authctl/"));
///
/// let c = auth_core::HttpConfig::default()
///     .with_connect_timeout(Duration::from_secs(3))
///     .with_max_redirects(0)
///     .with_user_agent("my-app/1.0");
/// assert_eq!((c.max_redirects, c.user_agent.as_str()), (0, "my-app/1.0"));
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

/// A request extension that lets a backend send this request over plain `http://` to a
/// host that is not loopback. It is the one opt-in: flows set it on requests to a
/// provider whose [`Provider::insecure_http`](crate::Provider::insecure_http) is true
/// (see [`Provider::mark_request`](crate::Provider::mark_request)); backends have no
/// setting of their own. It applies to the whole redirect chain of the request.
///
/// ```
/// use auth_core::http::AllowInsecureHttp;
/// let mut request = http::Request::get("http://intranet.example/").body(Vec::<u8>::new()).unwrap();
/// assert!(!AllowInsecureHttp::is_set(&request));
/// request.extensions_mut().insert(AllowInsecureHttp);
/// assert!(AllowInsecureHttp::is_set(&request));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllowInsecureHttp;

impl AllowInsecureHttp {
    /// True when the request carries the extension.
    ///
    /// ```
    /// let request = http::Request::get("https://a.example/").body(()).unwrap();
    /// assert!(!auth_core::http::AllowInsecureHttp::is_set(&request));
    /// ```
    pub fn is_set<B>(request: &http::Request<B>) -> bool {
        request.extensions().get::<AllowInsecureHttp>().is_some()
    }
}

/// A request extension holding the request's URI already parsed as a [`Url`], so that a
/// backend need not print and parse it again. It is only a shortcut: [`ParsedUrl::of`]
/// hands it out only when it is exactly the request's URI, and a backend parses the URI
/// itself otherwise. [`Provider::mark_request`](crate::Provider::mark_request) sets it on
/// requests to one of the provider's endpoints.
///
/// ```
/// use auth_core::http::ParsedUrl;
/// let url: url::Url = "https://a.example/token".parse().unwrap();
/// let mut request = http::Request::post(url.as_str()).body(()).unwrap();
/// request.extensions_mut().insert(ParsedUrl(url.clone()));
/// assert_eq!(ParsedUrl::of(&request), Some(&url));
///
/// // a URL that is not the request's URI is ignored
/// *request.uri_mut() = "https://b.example/token".parse().unwrap();
/// assert_eq!(ParsedUrl::of(&request), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedUrl(pub Url);

impl ParsedUrl {
    /// The request's URL from the extension, when the request carries one that is exactly
    /// its URI (same text); `None` otherwise.
    ///
    /// ```
    /// let request = http::Request::get("https://a.example/").body(()).unwrap();
    /// assert!(auth_core::http::ParsedUrl::of(&request).is_none());
    /// ```
    pub fn of<B>(request: &http::Request<B>) -> Option<&Url> {
        let ParsedUrl(url) = request.extensions().get::<ParsedUrl>()?;
        ParsedUrl::is_uri(url, request.uri()).then_some(url)
    }

    /// True when `url` is, character for character, the URI `uri` (scheme, authority,
    /// path and query), so that parsing the URI would give `url` again. Compared without
    /// allocating; a URI a URL would write differently (upper-case host, default port,
    /// no path) is simply not the same.
    ///
    /// ```
    /// use auth_core::http::ParsedUrl;
    /// let url: url::Url = "https://a.example/t?x=1".parse().unwrap();
    /// assert!(ParsedUrl::is_uri(&url, &"https://a.example/t?x=1".parse().unwrap()));
    /// assert!(!ParsedUrl::is_uri(&url, &"https://A.example/t?x=1".parse().unwrap()));
    /// assert!(!ParsedUrl::is_uri(&url, &"https://a.example/t".parse().unwrap()));
    /// ```
    pub fn is_uri(url: &Url, uri: &http::Uri) -> bool {
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return false;
        };
        url.as_str()
            .strip_prefix(scheme)
            .and_then(|rest| rest.strip_prefix("://"))
            .and_then(|rest| rest.strip_prefix(authority.as_str()))
            .is_some_and(|rest| Some(rest) == uri.path_and_query().map(|pq| pq.as_str()))
    }
}

/// One attempt of a request, as a [`HopHook`] sees it just before it is sent: the first
/// attempt, a redirect hop or a retry.
///
/// The hook may change the URL (for example to add query parameters), the headers and
/// the body; the method is fixed by the redirect rule. [`Hop::is_same_origin`] says
/// whether the whole chain so far stayed on the original request's origin (scheme, host,
/// port): once a redirect leaves it, it is false for the rest of the chain, even if a
/// later hop comes back, so a foreign server cannot choose what gets credentials.
///
/// ```
/// use auth_core::http::{Hop, Method};
/// let method = Method::GET;
/// let mut url: auth_core::Url = "https://api.example/me".parse().unwrap();
/// let mut headers = http::HeaderMap::new();
/// let mut body = Vec::new();
/// let mut hop = Hop::new(&method, &mut url, &mut headers, &mut body, true);
/// hop.url_mut().query_pairs_mut().append_pair("page", "2");
/// assert_eq!(hop.url().as_str(), "https://api.example/me?page=2");
/// assert!(hop.is_same_origin());
/// assert_eq!((hop.redirects(), hop.attempt()), (0, 0));
/// ```
#[derive(Debug)]
pub struct Hop<'a> {
    method: &'a http::Method,
    url: &'a mut Url,
    headers: &'a mut http::HeaderMap,
    body: &'a mut Vec<u8>,
    same_origin: bool,
    redirects: u32,
    attempt: u32,
}

impl<'a> Hop<'a> {
    /// A first attempt (no redirect, no retry yet) with these parts.
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// let mut url: auth_core::Url = "https://api.example/".parse().unwrap();
    /// let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let hop = Hop::new(&Method::POST, &mut url, &mut headers, &mut body, false);
    /// assert!(!hop.is_same_origin());
    /// ```
    pub fn new(
        method: &'a http::Method,
        url: &'a mut Url,
        headers: &'a mut http::HeaderMap,
        body: &'a mut Vec<u8>,
        same_origin: bool,
    ) -> Self {
        Hop {
            method,
            url,
            headers,
            body,
            same_origin,
            redirects: 0,
            attempt: 0,
        }
    }

    /// The same hop, numbered: `redirects` followed so far in this chain, and `attempt`
    /// at this URL (0 for the first, 1 for the first retry).
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// let mut url: auth_core::Url = "https://api.example/".parse().unwrap();
    /// let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let hop = Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true).numbered(2, 1);
    /// assert_eq!((hop.redirects(), hop.attempt()), (2, 1));
    /// ```
    #[must_use]
    pub fn numbered(mut self, redirects: u32, attempt: u32) -> Self {
        self.redirects = redirects;
        self.attempt = attempt;
        self
    }

    /// The method of this hop.
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// # let mut url: auth_core::Url = "https://api.example/".parse().unwrap();
    /// # let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let hop = Hop::new(&Method::PUT, &mut url, &mut headers, &mut body, true);
    /// assert_eq!(hop.method(), Method::PUT);
    /// ```
    pub fn method(&self) -> &http::Method {
        self.method
    }

    /// The absolute URL this hop goes to.
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// # let mut url: auth_core::Url = "https://api.example/x".parse().unwrap();
    /// # let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let hop = Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true);
    /// assert_eq!(hop.url().path(), "/x");
    /// ```
    pub fn url(&self) -> &Url {
        self.url
    }

    /// The URL, to change (for example to add signed query parameters). The backend
    /// checks the result for transport security before sending.
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// # let mut url: auth_core::Url = "https://api.example/x".parse().unwrap();
    /// # let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let mut hop = Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true);
    /// hop.url_mut().set_query(Some("a=1"));
    /// assert_eq!(hop.url().query(), Some("a=1"));
    /// ```
    pub fn url_mut(&mut self) -> &mut Url {
        self.url
    }

    /// The headers of this hop (after the backend removed what must not cross origins).
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// # let mut url: auth_core::Url = "https://api.example/x".parse().unwrap();
    /// # let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let hop = Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true);
    /// assert!(hop.headers().is_empty());
    /// ```
    pub fn headers(&self) -> &http::HeaderMap {
        self.headers
    }

    /// The headers, to change.
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// # let mut url: auth_core::Url = "https://api.example/x".parse().unwrap();
    /// # let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let mut hop = Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true);
    /// hop.headers_mut().insert("x-trace", http::HeaderValue::from_static("1"));
    /// assert_eq!(hop.headers()["x-trace"], "1");
    /// ```
    pub fn headers_mut(&mut self) -> &mut http::HeaderMap {
        self.headers
    }

    /// The body of this hop (empty after a redirect that turned the request into a GET).
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// # let mut url: auth_core::Url = "https://api.example/x".parse().unwrap();
    /// # let (mut headers, mut body) = (http::HeaderMap::new(), b"a=1".to_vec());
    /// let hop = Hop::new(&Method::POST, &mut url, &mut headers, &mut body, true);
    /// assert_eq!(hop.body(), b"a=1");
    /// ```
    pub fn body(&self) -> &[u8] {
        self.body
    }

    /// The body, to change (for example to add signed form parameters).
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// # let mut url: auth_core::Url = "https://api.example/x".parse().unwrap();
    /// # let (mut headers, mut body) = (http::HeaderMap::new(), b"a=1".to_vec());
    /// let mut hop = Hop::new(&Method::POST, &mut url, &mut headers, &mut body, true);
    /// hop.body_mut().extend_from_slice(b"&b=2");
    /// assert_eq!(hop.body(), b"a=1&b=2");
    /// ```
    pub fn body_mut(&mut self) -> &mut Vec<u8> {
        self.body
    }

    /// True while every hop of the chain, this one included, went to the original
    /// request's origin. Credentials belong only on such hops.
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// # let mut url: auth_core::Url = "https://cdn.example/x".parse().unwrap();
    /// # let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let hop = Hop::new(&Method::GET, &mut url, &mut headers, &mut body, false);
    /// assert!(!hop.is_same_origin());
    /// ```
    pub fn is_same_origin(&self) -> bool {
        self.same_origin
    }

    /// How many redirects the chain followed before this hop (0 for the first request).
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// # let mut url: auth_core::Url = "https://api.example/x".parse().unwrap();
    /// # let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let hop = Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true).numbered(1, 0);
    /// assert_eq!(hop.redirects(), 1);
    /// ```
    pub fn redirects(&self) -> u32 {
        self.redirects
    }

    /// The attempt at this URL: 0 for the first, 1 and up for retries.
    ///
    /// ```
    /// # use auth_core::http::{Hop, Method};
    /// # let mut url: auth_core::Url = "https://api.example/x".parse().unwrap();
    /// # let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let hop = Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true).numbered(0, 2);
    /// assert_eq!(hop.attempt(), 2);
    /// ```
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

/// Decorates each attempt of a request (a bearer token, an OAuth 1 signature, later a
/// DPoP proof). Backends run a request's hooks on every hop, so a hook never needs to
/// follow redirects or retry: it is told where the hop goes and whether it is still on
/// the original origin, and adds what belongs there.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::Error;
/// use auth_core::http::{Hop, HopHook, HopHooks};
///
/// /// Adds an API key header, but only where the request was meant to go.
/// struct ApiKey(&'static str);
///
/// impl HopHook for ApiKey {
///     fn on_hop(&self, hop: &mut Hop<'_>) -> Result<(), Error> {
///         if hop.is_same_origin() {
///             hop.headers_mut().insert("x-api-key", http::HeaderValue::from_static(self.0));
///         }
///         Ok(())
///     }
/// }
///
/// let mut request = http::Request::get("https://api.example/x").body(Vec::<u8>::new()).unwrap();
/// HopHooks::push(&mut request, Arc::new(ApiKey("k-123")));
/// assert_eq!(HopHooks::of(&request).len(), 1);
/// ```
pub trait HopHook: Send + Sync {
    /// Changes this hop's URL, headers or body before it is sent. An error ends the
    /// whole call with that error; nothing more is sent.
    fn on_hop(&self, hop: &mut Hop<'_>) -> Result<(), Error>;
}

/// The ordered [`HopHook`]s of a request, kept as a request extension so that
/// [`HttpBackend::send`] keeps its signature. Wrappers add theirs with
/// [`HopHooks::push`]; backends run them with [`HopHooks::run`].
///
/// ```
/// use auth_core::http::HopHooks;
/// let request = http::Request::get("https://a.example/").body(Vec::<u8>::new()).unwrap();
/// assert!(HopHooks::of(&request).is_empty());
/// ```
#[derive(Clone, Default)]
pub struct HopHooks(Vec<Arc<dyn HopHook>>);

impl fmt::Debug for HopHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HopHooks({} hooks)", self.0.len())
    }
}

impl HopHooks {
    /// Appends `hook` to the request's hooks (it runs after those already there).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use auth_core::{Error, http::{Hop, HopHook, HopHooks}};
    /// struct Nothing;
    /// impl HopHook for Nothing {
    ///     fn on_hop(&self, _: &mut Hop<'_>) -> Result<(), Error> { Ok(()) }
    /// }
    /// let mut request = http::Request::get("https://a.example/").body(Vec::<u8>::new()).unwrap();
    /// HopHooks::push(&mut request, Arc::new(Nothing));
    /// HopHooks::push(&mut request, Arc::new(Nothing));
    /// assert_eq!(HopHooks::of(&request).len(), 2);
    /// ```
    pub fn push<B>(request: &mut http::Request<B>, hook: Arc<dyn HopHook>) {
        let extensions = request.extensions_mut();
        match extensions.get_mut::<HopHooks>() {
            Some(hooks) => hooks.0.push(hook),
            None => {
                extensions.insert(HopHooks(vec![hook]));
            }
        }
    }

    /// The request's hooks (none when it has no such extension).
    ///
    /// ```
    /// let request = http::Request::get("https://a.example/").body(()).unwrap();
    /// assert_eq!(auth_core::http::HopHooks::of(&request).len(), 0);
    /// ```
    pub fn of<B>(request: &http::Request<B>) -> HopHooks {
        request
            .extensions()
            .get::<HopHooks>()
            .cloned()
            .unwrap_or_default()
    }

    /// How many hooks there are.
    ///
    /// ```
    /// assert_eq!(auth_core::http::HopHooks::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    ///
    /// ```
    /// assert!(auth_core::http::HopHooks::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs every hook on `hop`, in order, stopping at the first error.
    ///
    /// ```
    /// # use auth_core::http::{Hop, HopHooks, Method};
    /// let mut url: auth_core::Url = "https://a.example/".parse().unwrap();
    /// let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// let mut hop = Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true);
    /// HopHooks::default().run(&mut hop).unwrap();
    /// ```
    pub fn run(&self, hop: &mut Hop<'_>) -> Result<(), Error> {
        self.0.iter().try_for_each(|hook| hook.on_hop(hop))
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

/// Parses a URL that is about to be opened in a browser and allows only `https`, or
/// `http` whose host is loopback (`127.0.0.0/8`, `[::1]`, `localhost`). Anything else
/// (`javascript:`, `file:`, `data:`, a custom scheme, a Windows share path such as
/// `x&\\host\share\p.exe`, text that is not an absolute URL) is refused with
/// [`Error::UnsafeBrowserUrl`], whose hint is [`crate::Hint::UnsafeBrowserUrl`]. Open the
/// returned, normalised URL (its `as_str()`), not the text that came in.
///
/// Every URL a browser is asked to open passes here first: device `verification_uri`s,
/// discovered authorization endpoints, any URL a server sent.
///
/// ```
/// use auth_core::http::check_browser_url;
/// assert!(check_browser_url("https://auth.example/device?user_code=ABCD").is_ok());
/// assert!(check_browser_url("http://127.0.0.1:8080/authorize").is_ok());
/// for bad in ["javascript:alert(1)", "file:///etc/passwd", "x&\\\\host\\share\\p.exe",
///             "http://auth.example/authorize", "ms-settings:"] {
///     let err = check_browser_url(bad).unwrap_err();
///     assert_eq!(err.hint(), Some(auth_core::Hint::UnsafeBrowserUrl), "{bad}");
/// }
/// ```
pub fn check_browser_url(url: &str) -> Result<Url, Error> {
    let refuse = |shown: String, reason: &str| Error::UnsafeBrowserUrl {
        url: crate::redact::shorten(&shown, 200),
        reason: reason.to_owned(),
    };
    let parsed = match Url::parse(url.trim()) {
        Ok(parsed) => parsed,
        Err(e) => {
            let shown = url.split('?').next().unwrap_or_default().to_owned();
            return Err(refuse(shown, &format!("it is not an absolute URL ({e})")));
        }
    };
    let shown = without_query(&parsed);
    match parsed.scheme() {
        "https" if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(parsed),
        "http" if parsed.host_str().is_some_and(is_loopback_host) => Ok(parsed),
        "http" => Err(refuse(
            shown,
            "plain http is opened only for this machine (a loopback host)",
        )),
        "https" => Err(refuse(shown, "it has no host")),
        other => Err(refuse(shown, &format!("the scheme {other:?} is not https"))),
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
