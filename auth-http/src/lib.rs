//! HTTP transports for the authctl OAuth client toolkit: implementations of
//! [`auth_core::HttpBackend`] over `http::Request<Vec<u8>>` / `http::Response<Vec<u8>>`,
//! and the one HTTP policy they all run ([`policy`]).
//!
//! | feature | type | kind | TLS | pulls in |
//! |---|---|---|---|---|
//! | (none) | [`policy::PolicyBackend`] over your [`policy::SendOnce`] transport | yours | yours | nothing |
//! | `ureq` (default) | `UreqBackend` | blocking | rustls + ring, webpki roots | no tokio, no reqwest |
//! | `reqwest` | `ReqwestBackend` | async (tokio) | rustls + ring, system trust store | tokio, hyper |
//!
//! [`DefaultBackend`] is the backend the enabled features select (ureq when on, else
//! reqwest), and [`default_backend`] builds it with the default settings.
//!
//! Each backend only knows how to send one request once ([`policy::SendOnce`]); everything
//! else is the one shared policy ([`policy::PolicyBackend`]), so all behave the same and
//! all pass the same `auth_testkit::http_backend_tests!` suite.
//!
//! ```no_run
//! # #[cfg(feature = "ureq")] {
//! use auth_core::{HttpConfig, RequestKind};
//! use auth_http::{UreqBackend, http};
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
//! - **Transport security.** Every URL, the first, each redirect target, and each URL
//!   a hook leaves, passes [`auth_core::http::check_url_security`] before anything is
//!   sent: `https://`, or `http://` to a loopback host, or `http://` anywhere when the
//!   request carries [`AllowInsecureHttp`](auth_core::http::AllowInsecureHttp) (flows set
//!   it from `Provider::insecure_http`, the one switch). Otherwise the result is
//!   [`Error::InsecureTransport`] and no connection is opened.
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
//! - **Hooks.** The request's [`HopHooks`](auth_core::http::HopHooks) (a request
//!   extension) run in order on every attempt that goes out: the first, each redirect hop
//!   and each retry, after the cross-origin headers were dropped. Each is told the hop's
//!   method, URL, headers and body (the last three it may change) and whether the chain is
//!   still on the original origin (once it left, it stays "not same-origin" even if it
//!   comes back). Bearer tokens and OAuth 1 signatures are such hooks, so they are fresh
//!   on every attempt and never reach another origin. A hook's error ends the call.
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
//!   separately the reading of the whole body. (A transport given your own agent or
//!   client: see [`UreqBackend::with_agent`] and `ReqwestBackend::with_client`.)
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
//!
//! # An outside transport
//!
//! A transport of your own implements only [`policy::SendOnce`]; [`policy::PolicyBackend`]
//! gives it every rule above. This one speaks HTTP/1.1 over a plain `TcpStream` (so only
//! to `http://` loopback servers, which the policy allows without opt-in):
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use std::time::Duration;
//!
//! use auth_core::{Error, HttpBackend, HttpConfig, HttpResponse, TransportErrorKind};
//! use auth_http::policy::{Exchange, PolicyBackend, SendOnce, classify_io};
//!
//! struct PlainTcp;
//!
//! impl SendOnce for PlainTcp {
//!     async fn send_once(&self, ex: Exchange<'_>) -> Result<HttpResponse, Error> {
//!         let io = |e: std::io::Error| {
//!             ex.transport_error(classify_io(e.kind()).unwrap_or(TransportErrorKind::Other), &e.to_string())
//!         };
//!         let url = ex.url();
//!         let port = url.port_or_known_default().unwrap_or(80);
//!         let mut stream = TcpStream::connect((url.host_str().unwrap_or_default(), port)).map_err(io)?;
//!         let mut head = format!("{} {}", ex.method(), url.path());
//!         if let Some(query) = url.query() {
//!             head = format!("{head}?{query}");
//!         }
//!         head.push_str(&format!(" HTTP/1.1\r\nhost: {}:{port}\r\nconnection: close\r\n", url.host_str().unwrap_or_default()));
//!         for (name, value) in ex.headers() {
//!             head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap_or_default()));
//!         }
//!         head.push_str(&format!("content-length: {}\r\n\r\n", ex.body().len()));
//!         stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(ex.body())).map_err(io)?;
//!         let mut raw = Vec::new();
//!         stream.read_to_end(&mut raw).map_err(io)?;
//!         // A real transport parses the head properly (httparse) and handles chunking.
//!         let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
//!         let head = String::from_utf8_lossy(&raw[..split]).into_owned();
//!         let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(502);
//!         let mut collector = ex.body_collector(http::StatusCode::from_u16(status).unwrap(), &http::HeaderMap::new())?;
//!         collector.push(raw.get(split + 4..).unwrap_or_default())?;
//!         Ok(http::Response::builder().status(status).body(collector.finish()).unwrap())
//!     }
//!
//!     async fn sleep(&self, duration: Duration) {
//!         std::thread::sleep(duration);
//!     }
//! }
//!
//! // A one-shot local server to talk to.
//! let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! let addr = listener.local_addr().unwrap();
//! std::thread::spawn(move || {
//!     let (mut stream, _) = listener.accept().unwrap();
//!     let mut buf = [0u8; 1024];
//!     let _ = stream.read(&mut buf);
//!     stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi").unwrap();
//! });
//!
//! let backend = PolicyBackend::with_transport(PlainTcp, HttpConfig::default())?;
//! let request = http::Request::get(format!("http://{addr}/hello")).body(Vec::new()).unwrap();
//! let response = pollster::block_on(backend.send(request))?;
//! assert_eq!((response.status().as_u16(), response.body().as_slice()), (200, &b"hi"[..]));
//!
//! // The policy, not the transport, refuses plain http:// to a remote host.
//! let remote = http::Request::get("http://api.example/").body(Vec::new()).unwrap();
//! assert!(matches!(pollster::block_on(backend.send(remote)), Err(Error::InsecureTransport { .. })));
//! # Ok::<(), Error>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod policy;

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

/// The `http` crate, whose request and response types every backend takes and returns.
///
/// ```
/// let request = auth_http::http::Request::get("https://example.com/").body(Vec::<u8>::new()).unwrap();
/// assert_eq!(request.method(), auth_http::http::Method::GET);
/// ```
pub use http;

/// The backend the enabled features select: [`UreqBackend`] when `ureq` is on, else
/// `ReqwestBackend`. Switching transports is then a change of features only.
///
/// ```no_run
/// let backend = auth_http::DefaultBackend::new(auth_http::HttpConfig::default())?;
/// # Ok::<(), auth_http::Error>(())
/// ```
#[cfg(feature = "ureq")]
pub type DefaultBackend = UreqBackend;

/// The backend the enabled features select: `UreqBackend` when `ureq` is on, else
/// [`ReqwestBackend`]. Switching transports is then a change of features only.
///
/// ```no_run
/// let backend = auth_http::DefaultBackend::new(auth_http::HttpConfig::default())?;
/// # Ok::<(), auth_http::Error>(())
/// ```
#[cfg(all(feature = "reqwest", not(feature = "ureq")))]
pub type DefaultBackend = ReqwestBackend;

/// [`DefaultBackend`] with the default settings, ready to share.
///
/// ```
/// let http = auth_http::default_backend()?;
/// # let _: std::sync::Arc<dyn auth_core::HttpBackend> = http;
/// # Ok::<(), auth_http::Error>(())
/// ```
#[cfg(any(feature = "ureq", feature = "reqwest"))]
pub fn default_backend() -> Result<std::sync::Arc<dyn auth_core::HttpBackend>, Error> {
    Ok(std::sync::Arc::new(DefaultBackend::new(
        HttpConfig::default(),
    )?))
}
