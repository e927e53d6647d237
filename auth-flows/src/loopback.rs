//! The loopback redirect server: a one-shot HTTP server on 127.0.0.1 (or `[::1]`) that
//! receives the browser's redirect at the end of an authorization-code login (OAuth 2) or
//! a three-legged login (OAuth 1).
//!
//! [`LoopbackServer::bind`] listens at once, so the redirect URI (with the real port when
//! port 0 was asked) is known before the browser is opened. [`LoopbackServer::wait_for_code`]
//! (OAuth 2) or the generic [`LoopbackServer::wait`] (OAuth 1's `oauth_token` /
//! `oauth_verifier`) then waits for the callback:
//!
//! - requests for other paths (`/favicon.ico`, ...) get a 404 page and are ignored;
//! - a `GET` on the path without `code` or `error` gets a "still waiting" page and is
//!   ignored: the flow keeps waiting;
//! - any other method on the path (`POST`, `HEAD`, ...) gets 405 and is ignored: the
//!   server does not accept `response_mode=form_post`, so a callback is always a `GET`;
//! - a callback whose `state` is missing or wrong fails the flow with
//!   [`Error::StateMismatch`]. It is not ignored: such a request is either a bug or a
//!   forged callback (login CSRF), and the person should start again knowingly. `state`
//!   is compared in constant time;
//! - `error=access_denied` becomes [`Error::AccessDenied`] with the `error_description`;
//!   any other `error` becomes [`Error::OAuth`] with that code;
//! - every request is answered with a small HTML page (success, or the HTML-escaped
//!   error), sent with `Connection: close`;
//! - the server stops after the first callback that ends the flow, at the timeout
//!   ([`Error::TimedOut`]), or when the future is dropped. It closes its port before the
//!   future resolves and shuts down the connections it is still reading, so no thread
//!   outlives the flow for more than a few milliseconds.
//!
//! The wait is runtime-agnostic: the server runs on its own std thread and hands its
//! result back through a small channel future, so it works under `pollster::block_on`
//! as well as inside tokio, and never blocks an executor thread.
//!
//! Hostile input (a 64 KiB request head, bytes that are not ASCII in the request line,
//! bad percent-encoding, idle connections) is answered or dropped without a panic and
//! without disturbing the wait; a request head larger than 64 KiB gets 431, and each
//! connection must send its request head within 10 seconds.
//!
//! ```
//! use std::io::{Read, Write};
//! use auth_core::Secret;
//! use auth_flows::loopback::{LoopbackConfig, LoopbackServer};
//!
//! let server = LoopbackServer::bind(LoopbackConfig::default().with_port(0)).unwrap();
//! let addr = server.local_addr();
//! assert_eq!(server.redirect_uri(), format!("http://127.0.0.1:{}/", addr.port()));
//!
//! // The "browser", redirected back by the authorization server.
//! let browser = std::thread::spawn(move || {
//!     let mut conn = std::net::TcpStream::connect(addr).unwrap();
//!     conn.write_all(b"GET /?code=abc&state=xyz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
//!     let mut page = String::new();
//!     conn.read_to_string(&mut page).unwrap();
//!     page
//! });
//! let callback = pollster::block_on(server.wait_for_code(&Secret::new("xyz"))).unwrap();
//! assert_eq!(callback.code.expose(), "abc");
//! assert!(browser.join().unwrap().starts_with("HTTP/1.1 200 OK"));
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use auth_core::{Error, OAuthError, Secret};

/// The default port, 8080: iNaturalist applications are commonly registered with the
/// redirect URI `http://127.0.0.1:8080/`.
///
/// ```
/// assert_eq!(auth_flows::loopback::DEFAULT_PORT, 8080);
/// ```
pub const DEFAULT_PORT: u16 = 8080;

/// How long the server waits for the browser by default: 120 seconds.
///
/// ```
/// assert_eq!(auth_flows::loopback::DEFAULT_TIMEOUT.as_secs(), 120);
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The largest request head (request line and headers) the server reads: 64 KiB.
/// Larger requests are answered with 431 and ignored.
///
/// ```
/// assert!(auth_flows::loopback::MAX_REQUEST_HEAD_BYTES >= 10 * 1024);
/// ```
pub const MAX_REQUEST_HEAD_BYTES: usize = 64 * 1024;

/// How long a connection may take to send its request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// Timeout of each socket read and write.
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the server thread checks for new connections, cancellation and the deadline.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// At most this many connections are read at the same time; more are closed at once.
const MAX_READERS: usize = 32;
/// Request bodies up to this size are read and discarded so that closing the connection
/// does not reset it before the client has read the answer.
const MAX_BODY_DRAIN: usize = 64 * 1024;

/// Where the loopback server listens and how long it waits.
///
/// ```
/// use std::time::Duration;
/// use auth_flows::loopback::LoopbackConfig;
///
/// let config = LoopbackConfig::default();
/// assert_eq!(config.host.to_string(), "127.0.0.1");
/// assert_eq!((config.port, config.path.as_str()), (8080, "/"));
/// assert_eq!(config.timeout, Duration::from_secs(120));
///
/// let custom = LoopbackConfig::default()
///     .with_port(0)
///     .with_path("/callback")
///     .with_timeout(Duration::from_secs(30));
/// assert_eq!(custom.port, 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopbackConfig {
    /// The address to listen on: a loopback address, `127.0.0.1` (the default) or `::1`.
    pub host: IpAddr,
    /// The port; 0 picks any free port (the provider must then accept any port in the
    /// redirect URI, as RFC 8252 §7.3 asks of it).
    pub port: u16,
    /// The path of the redirect URI, as it appears in the URL (percent-encoded): starts
    /// with `/`, no query or fragment.
    pub path: String,
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
}

impl Default for LoopbackConfig {
    fn default() -> Self {
        LoopbackConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            path: "/".to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl LoopbackConfig {
    /// Sets the address to listen on (`127.0.0.1` or `::1`).
    ///
    /// ```
    /// use std::net::{IpAddr, Ipv6Addr};
    /// let c = auth_flows::loopback::LoopbackConfig::default().with_host(IpAddr::V6(Ipv6Addr::LOCALHOST));
    /// assert!(c.host.is_ipv6());
    /// ```
    pub fn with_host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Sets the port (0: any free port).
    ///
    /// ```
    /// assert_eq!(auth_flows::loopback::LoopbackConfig::default().with_port(9000).port, 9000);
    /// ```
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets the path of the redirect URI.
    ///
    /// ```
    /// let c = auth_flows::loopback::LoopbackConfig::default().with_path("/cb");
    /// assert_eq!(c.path, "/cb");
    /// ```
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Sets how long to wait for the browser.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = auth_flows::loopback::LoopbackConfig::default().with_timeout(Duration::from_secs(5));
    /// assert_eq!(c.timeout.as_secs(), 5);
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn validate(&self) -> Result<(), Error> {
        if !self.host.is_loopback() {
            return Err(Error::config(format!(
                "the redirect server only listens on a loopback address, so that no other \
                 machine can send it a callback, but {} was given; use 127.0.0.1 or ::1",
                self.host
            )));
        }
        let path = &self.path;
        if !path.starts_with('/') {
            return Err(Error::config(format!(
                "the redirect path {path:?} must start with `/`, for example `/` or `/callback`"
            )));
        }
        if let Some(bad) = path
            .chars()
            .find(|c| !c.is_ascii_graphic() || matches!(c, '?' | '#'))
        {
            return Err(Error::config(format!(
                "the redirect path {path:?} contains {bad:?}; give the path as it appears in \
                 the URL (percent-encoded), without a query (`?`) or fragment (`#`)"
            )));
        }
        Ok(())
    }
}

/// A bound, not yet waiting, loopback redirect server. Bind it, put
/// [`redirect_uri`](Self::redirect_uri) in the authorization URL, open the browser, then
/// wait.
///
/// ```
/// use auth_flows::loopback::{LoopbackConfig, LoopbackServer};
///
/// let server = LoopbackServer::bind(LoopbackConfig::default().with_port(0).with_path("/cb")).unwrap();
/// assert_ne!(server.local_addr().port(), 0);
/// assert!(server.redirect_uri().ends_with("/cb"));
/// ```
pub struct LoopbackServer {
    listener: TcpListener,
    addr: SocketAddr,
    path: String,
    timeout: Duration,
}

impl fmt::Debug for LoopbackServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopbackServer")
            .field("redirect_uri", &self.redirect_uri())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl LoopbackServer {
    /// Validates the configuration and starts listening.
    ///
    /// A busy port is an [`Error::Config`] that names the port and suggests another one
    /// (or port 0), with [`auth_core::Hint::OtherPort`]; so are a host that is not loopback and a malformed path.
    ///
    /// ```
    /// use auth_flows::loopback::{LoopbackConfig, LoopbackServer};
    ///
    /// let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let port = taken.local_addr().unwrap().port();
    /// let err = LoopbackServer::bind(LoopbackConfig::default().with_port(port)).unwrap_err();
    /// assert!(err.to_string().contains(&port.to_string()));
    /// assert_eq!(err.hint(), Some(auth_core::Hint::OtherPort));
    /// ```
    pub fn bind(config: LoopbackConfig) -> Result<Self, Error> {
        config.validate()?;
        let requested = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(requested).map_err(|e| bind_error(requested, &e))?;
        let addr = listener.local_addr().map_err(|e| {
            Error::config(format!(
                "the redirect server could not read its own address after binding {requested}: {e}"
            ))
        })?;
        Ok(LoopbackServer {
            listener,
            addr,
            path: config.path,
            timeout: config.timeout,
        })
    }

    /// The redirect URI to register with the provider and send in the authorization
    /// request: `http://127.0.0.1:PORT/path` (`http://[::1]:PORT/path` for IPv6), with the
    /// real port when port 0 was asked.
    ///
    /// ```
    /// use auth_flows::loopback::{LoopbackConfig, LoopbackServer};
    /// let server = LoopbackServer::bind(LoopbackConfig::default().with_port(0)).unwrap();
    /// let uri = server.redirect_uri();
    /// assert!(uri.starts_with("http://127.0.0.1:") && uri.ends_with('/'));
    /// ```
    pub fn redirect_uri(&self) -> String {
        // SocketAddr's Display already brackets IPv6 addresses.
        format!("http://{}{}", self.addr, self.path)
    }

    /// The address the server listens on.
    ///
    /// ```
    /// use auth_flows::loopback::{LoopbackConfig, LoopbackServer};
    /// let server = LoopbackServer::bind(LoopbackConfig::default().with_port(0)).unwrap();
    /// assert!(server.local_addr().ip().is_loopback());
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// How long [`wait`](Self::wait) will wait for the browser.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_flows::loopback::{LoopbackConfig, LoopbackServer};
    /// let config = LoopbackConfig::default().with_port(0).with_timeout(Duration::from_secs(9));
    /// assert_eq!(LoopbackServer::bind(config).unwrap().timeout(), Duration::from_secs(9));
    /// ```
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Waits for an OAuth 2 authorization response (RFC 6749 §4.1.2) and returns its
    /// code. The rules are those of [`authorization_code_verdict`]: the `state` must
    /// match `state` (an empty `state` is refused, since it would protect nothing).
    ///
    /// The future is `Send + 'static` (it does not borrow `state`), so it can be spawned.
    ///
    /// ```
    /// use std::io::Write;
    /// use auth_core::{Error, Secret};
    /// use auth_flows::loopback::{LoopbackConfig, LoopbackServer};
    ///
    /// let server = LoopbackServer::bind(LoopbackConfig::default().with_port(0)).unwrap();
    /// let addr = server.local_addr();
    /// std::thread::spawn(move || {
    ///     let mut conn = std::net::TcpStream::connect(addr).unwrap();
    ///     conn.write_all(b"GET /?error=access_denied&state=s1 HTTP/1.1\r\n\r\n").unwrap();
    /// });
    /// let err = pollster::block_on(server.wait_for_code(&Secret::new("s1"))).unwrap_err();
    /// assert!(matches!(err, Error::AccessDenied { .. }));
    /// ```
    pub fn wait_for_code(
        self,
        state: &Secret,
    ) -> impl Future<Output = Result<AuthorizationCallback, Error>> + Send + 'static {
        // Cloned now, so that the future does not borrow `state`.
        let state = state.clone();
        async move {
            if state.is_empty() {
                return Err(Error::config(
                    "the authorization request has an empty `state`, which would not protect \
                     the login against forged callbacks; generate a random state",
                ));
            }
            self.wait(move |query| authorization_code_verdict(query, &state))
                .await
        }
    }

    /// Waits for the callback that `check` accepts or rejects, answering every other
    /// request and ignoring it. `check` sees each `GET` on the redirect path; it runs on
    /// the server's thread. The server starts answering, and the timeout starts, when the
    /// future is first polled; until then connections wait in the port's backlog.
    ///
    /// OAuth 1 uses it for `oauth_token` / `oauth_verifier`:
    ///
    /// ```
    /// use std::io::Write;
    /// use auth_flows::loopback::{CallbackVerdict, LoopbackConfig, LoopbackServer};
    ///
    /// let server = LoopbackServer::bind(LoopbackConfig::default().with_port(0)).unwrap();
    /// let addr = server.local_addr();
    /// std::thread::spawn(move || {
    ///     let mut conn = std::net::TcpStream::connect(addr).unwrap();
    ///     conn.write_all(b"GET /?oauth_token=t&oauth_verifier=v HTTP/1.1\r\n\r\n").unwrap();
    /// });
    /// let verifier = pollster::block_on(server.wait(|q| match q.get("oauth_verifier") {
    ///     Some(v) => CallbackVerdict::Accept(v.to_owned()),
    ///     None => CallbackVerdict::Ignore,
    /// }))
    /// .unwrap();
    /// assert_eq!(verifier, "v");
    /// ```
    pub async fn wait<T, F>(self, check: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnMut(&CallbackQuery) -> CallbackVerdict<T> + Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        let spawned = thread::Builder::new()
            .name("loopback-redirect".into())
            .spawn(move || {
                let _live = LiveThread::start();
                if let Some(result) = serve(self, check, &sender) {
                    sender.send(result);
                }
            });
        if let Err(e) = spawned {
            return Err(Error::Interaction(format!(
                "could not start the redirect server's thread: {e}; run the login again"
            )));
        }
        match receiver.await {
            Some(result) => result,
            None => Err(Error::Interaction(
                "the redirect server stopped unexpectedly; run the login again".into(),
            )),
        }
    }
}

fn bind_error(addr: SocketAddr, e: &io::Error) -> Error {
    let port = addr.port();
    let message = match e.kind() {
        io::ErrorKind::AddrInUse => format!(
            "port {port} on {} is already in use by another program, so the redirect server \
             cannot listen there; stop that program or use another port (port 0 picks any free \
             port; the redirect URI registered with the provider must then allow it)",
            addr.ip()
        ),
        io::ErrorKind::PermissionDenied => format!(
            "not allowed to listen on port {port} on {}; use a port above 1023 (or port 0 \
             for any free port)",
            addr.ip()
        ),
        io::ErrorKind::AddrNotAvailable => format!(
            "the address {} is not available on this machine (is IPv6 disabled?); use \
             127.0.0.1 for the redirect server",
            addr.ip()
        ),
        _ => format!(
            "the redirect server could not listen on {addr}: {e}; use another port (port 0 \
             picks any free port)"
        ),
    };
    let hint = (e.kind() != io::ErrorKind::AddrNotAvailable).then_some(auth_core::Hint::OtherPort);
    Error::Config { message, hint }
}

/// What a successful OAuth 2 authorization response carried.
///
/// ```
/// use auth_core::Secret;
/// use auth_flows::loopback::{authorization_code_verdict, parse_callback_query, CallbackVerdict};
///
/// let query = parse_callback_query("/?code=abc&state=s&iss=https%3A%2F%2Fid.example");
/// let CallbackVerdict::Accept(callback) = authorization_code_verdict(&query, &Secret::new("s")) else {
///     panic!("not accepted");
/// };
/// assert_eq!(callback.code.expose(), "abc");
/// assert_eq!(callback.query.get("iss"), Some("https://id.example"));
/// assert!(!format!("{callback:?}").contains("abc"));
/// ```
#[derive(Clone, Debug)]
pub struct AuthorizationCallback {
    /// The authorization code, to exchange at the token endpoint.
    pub code: Secret,
    /// The whole callback (for `iss` (RFC 9207) and provider-specific parameters).
    pub query: CallbackQuery,
}

/// What [`LoopbackServer::wait`]'s check decides about a callback.
///
/// ```
/// use auth_flows::loopback::CallbackVerdict;
/// let v: CallbackVerdict<u8> = CallbackVerdict::Ignore;
/// assert!(matches!(v, CallbackVerdict::Ignore));
/// ```
#[derive(Debug)]
pub enum CallbackVerdict<T> {
    /// This is the callback: answer the success page and end the flow with the value.
    Accept(T),
    /// Not a callback (no parameters the flow looks for): answer a "still waiting"
    /// page and keep waiting.
    Ignore,
    /// A callback that ends the flow with an error: answer an error page showing the
    /// error's message (HTML-escaped) and end the flow with it.
    Fail(Error),
}

/// The decoded query of a request to the redirect server, with the path it asked for.
///
/// Parameters keep their order and repetitions. `Debug` masks the values of `code`,
/// `state`, `oauth_token`, `oauth_verifier` and every other name in
/// [`auth_core::redact::SECRET_FIELD_NAMES`].
///
/// ```
/// use auth_flows::loopback::parse_callback_query;
///
/// let q = parse_callback_query("/cb?code=s3cr3t&scope=a+b&scope=c");
/// assert_eq!(q.path(), "/cb");
/// assert_eq!(q.get("scope"), Some("a b"));
/// assert_eq!(q.get_all("scope").collect::<Vec<_>>(), ["a b", "c"]);
/// assert_eq!(q.count("code"), 1);
/// assert!(!format!("{q:?}").contains("s3cr3t"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CallbackQuery {
    path: String,
    params: Vec<(String, String)>,
}

impl CallbackQuery {
    /// The path the request asked for, as sent (percent-encoded), `/` when it was empty.
    ///
    /// ```
    /// assert_eq!(auth_flows::loopback::parse_callback_query("/favicon.ico").path(), "/favicon.ico");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The first value of a parameter.
    ///
    /// ```
    /// let q = auth_flows::loopback::parse_callback_query("/?a=1&a=2");
    /// assert_eq!(q.get("a"), Some("1"));
    /// assert_eq!(q.get("b"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter, in order.
    ///
    /// ```
    /// let q = auth_flows::loopback::parse_callback_query("/?a=1&b=x&a=2");
    /// assert_eq!(q.get_all("a").collect::<Vec<_>>(), ["1", "2"]);
    /// ```
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// How many times a parameter appears.
    ///
    /// ```
    /// assert_eq!(auth_flows::loopback::parse_callback_query("/?a&a=&b").count("a"), 2);
    /// ```
    pub fn count(&self, name: &str) -> usize {
        self.params.iter().filter(|(k, _)| k == name).count()
    }

    /// Every parameter, decoded, in order.
    ///
    /// ```
    /// let q = auth_flows::loopback::parse_callback_query("/?x=%41&y");
    /// assert_eq!(q.params(), [("x".to_owned(), "A".to_owned()), ("y".to_owned(), String::new())]);
    /// ```
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// True when the request had no query parameters.
    ///
    /// ```
    /// assert!(auth_flows::loopback::parse_callback_query("/").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}

impl fmt::Debug for CallbackQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Params<'a>(&'a [(String, String)]);
        impl fmt::Debug for Params<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(k, v)| {
                        let shown = if is_masked(k) { "***" } else { v.as_str() };
                        (k, shown)
                    }))
                    .finish()
            }
        }
        f.debug_struct("CallbackQuery")
            .field("path", &self.path)
            .field("params", &Params(&self.params))
            .finish()
    }
}

fn is_masked(name: &str) -> bool {
    name.eq_ignore_ascii_case("state")
        || auth_core::redact::SECRET_FIELD_NAMES
            .iter()
            .any(|secret| name.eq_ignore_ascii_case(secret))
}

/// Parses a request target (`/path?query`, or the absolute form
/// `http://host:port/path?query`) into its path and decoded query parameters.
///
/// The query is decoded as `application/x-www-form-urlencoded` (RFC 6749 Appendix B):
/// `+` is a space, malformed percent-escapes stay as they are, and bytes that do not form
/// UTF-8 become U+FFFD. A fragment, if any, is dropped. The function never fails and
/// never panics.
///
/// ```
/// use auth_flows::loopback::parse_callback_query;
///
/// let q = parse_callback_query("http://127.0.0.1:8080/cb?code=a%2Bb+c&bad=%zz&utf=%FF#frag");
/// assert_eq!(q.path(), "/cb");
/// assert_eq!(q.get("code"), Some("a+b c"));
/// assert_eq!(q.get("bad"), Some("%zz"));
/// assert_eq!(q.get("utf"), Some("\u{FFFD}"));
/// assert_eq!(parse_callback_query("").path(), "/");
/// ```
pub fn parse_callback_query(target: &str) -> CallbackQuery {
    let target = target.split_once('#').map_or(target, |(before, _)| before);
    let origin_form = strip_scheme_and_authority(target);
    let (path, query) = origin_form.split_once('?').unwrap_or((origin_form, ""));
    let path = if path.is_empty() { "/" } else { path };
    CallbackQuery {
        path: path.to_owned(),
        params: form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    }
}

/// `http://host:port/p?q` → `/p?q`; other targets unchanged.
fn strip_scheme_and_authority(target: &str) -> &str {
    let Some(colon) = target.find("://") else {
        return target;
    };
    let scheme = &target[..colon];
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return target;
    }
    let after = &target[colon + 3..];
    match after.find(['/', '?']) {
        Some(i) => &after[i..],
        None => "",
    }
}

/// Decides about an OAuth 2 authorization response (RFC 6749 §4.1.2 and §4.1.2.1), as
/// [`LoopbackServer::wait_for_code`] does:
///
/// - neither `code` nor `error`: [`CallbackVerdict::Ignore`];
/// - `state` missing, repeated or different from `expected_state` (compared in constant
///   time; an empty `expected_state` never matches): [`Error::StateMismatch`]. The state
///   is checked before anything else, errors included;
/// - `error=access_denied`: [`Error::AccessDenied`] with the `error_description`;
/// - any other `error`: [`Error::OAuth`] with the code, description and `error_uri`
///   (control characters removed) and status 302, the redirect that carried it;
/// - `code` repeated or empty: [`Error::Interaction`] (a real server never sends that);
/// - otherwise [`CallbackVerdict::Accept`].
///
/// ```
/// use auth_core::{Error, Secret};
/// use auth_flows::loopback::{authorization_code_verdict as verdict, parse_callback_query as parse, CallbackVerdict};
///
/// let state = Secret::new("s");
/// assert!(matches!(verdict(&parse("/?code=c&state=s"), &state), CallbackVerdict::Accept(_)));
/// assert!(matches!(verdict(&parse("/"), &state), CallbackVerdict::Ignore));
/// assert!(matches!(verdict(&parse("/?code=c&state=t"), &state), CallbackVerdict::Fail(Error::StateMismatch)));
/// assert!(matches!(verdict(&parse("/?code=c"), &state), CallbackVerdict::Fail(Error::StateMismatch)));
/// let CallbackVerdict::Fail(Error::OAuth(e)) = verdict(&parse("/?error=invalid_scope&state=s"), &state) else {
///     panic!()
/// };
/// assert_eq!(e.code, "invalid_scope");
/// ```
pub fn authorization_code_verdict(
    query: &CallbackQuery,
    expected_state: &Secret,
) -> CallbackVerdict<AuthorizationCallback> {
    let codes = query.count("code");
    let has_error = query.count("error") > 0;
    if codes == 0 && !has_error {
        return CallbackVerdict::Ignore;
    }
    let mut states = query.get_all("state");
    let state_ok = match (states.next(), states.next()) {
        (Some(state), None) => !expected_state.is_empty() && expected_state.constant_time_eq(state),
        _ => false,
    };
    if !state_ok {
        return CallbackVerdict::Fail(Error::StateMismatch);
    }
    if has_error {
        return CallbackVerdict::Fail(error_from_callback(query));
    }
    if codes > 1 {
        return CallbackVerdict::Fail(Error::Interaction(
            "the authorization callback carried `code` more than once, which an authorization \
             server never sends; run the login again"
                .into(),
        ));
    }
    match query.get("code") {
        Some(code) if !code.is_empty() => CallbackVerdict::Accept(AuthorizationCallback {
            code: Secret::new(code),
            query: query.clone(),
        }),
        _ => CallbackVerdict::Fail(Error::Interaction(
            "the authorization callback carried an empty `code`; run the login again".into(),
        )),
    }
}

/// The most characters kept from an error code, description or URI of a callback.
const MAX_ERROR_FIELD_CHARS: usize = 500;

fn error_from_callback(query: &CallbackQuery) -> Error {
    let code = clean_error_field(query.get("error").unwrap_or_default());
    let description = query.get("error_description").map(clean_error_field);
    if code == "access_denied" {
        return Error::AccessDenied { description };
    }
    let code = if code.is_empty() {
        "(empty error code)".to_owned()
    } else {
        code
    };
    let mut error = OAuthError::new(code, 302);
    error.description = description;
    error.uri = query.get("error_uri").map(clean_error_field);
    Error::OAuth(error)
}

/// Control characters (terminal escapes included) become spaces; the length is capped.
fn clean_error_field(value: &str) -> String {
    value
        .chars()
        .take(MAX_ERROR_FIELD_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `&`, `<`, `>`, `"` and `'` as HTML entities.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The server thread.

/// A request head read by a connection thread, with its connection.
struct Incoming {
    head: RequestHead,
    stream: TcpStream,
}

/// Connections still being read, so that they can be shut down when the flow ends.
#[derive(Clone, Default)]
struct Readers(Arc<Mutex<ReadersInner>>);

#[derive(Default)]
struct ReadersInner {
    next_id: u64,
    open: HashMap<u64, TcpStream>,
    closed: bool,
}

impl Readers {
    fn lock(&self) -> MutexGuard<'_, ReadersInner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a connection; `None` when too many are open or the server has stopped.
    fn register(&self, stream: &TcpStream) -> Option<u64> {
        let mut inner = self.lock();
        if inner.closed || inner.open.len() >= MAX_READERS {
            return None;
        }
        let clone = stream.try_clone().ok()?;
        let id = inner.next_id;
        inner.next_id += 1;
        inner.open.insert(id, clone);
        Some(id)
    }

    fn unregister(&self, id: u64) {
        self.lock().open.remove(&id);
    }

    /// Shuts down every connection still being read; their threads then end at once.
    fn close_all(&self) {
        let mut inner = self.lock();
        inner.closed = true;
        for (_, stream) in inner.open.drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Threads of the server still running, counted in unit tests only.
#[cfg(test)]
static LIVE_THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts a server thread while it runs (in unit tests; nothing otherwise).
struct LiveThread;

impl LiveThread {
    fn start() -> Self {
        #[cfg(test)]
        LIVE_THREADS.fetch_add(1, Ordering::SeqCst);
        LiveThread
    }
}

impl Drop for LiveThread {
    fn drop(&mut self) {
        #[cfg(test)]
        LIVE_THREADS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs the accept loop until the flow ends. `None` when the waiting future was dropped.
fn serve<T, F>(
    server: LoopbackServer,
    mut check: F,
    sender: &oneshot::Sender<Result<T, Error>>,
) -> Option<Result<T, Error>>
where
    F: FnMut(&CallbackQuery) -> CallbackVerdict<T>,
{
    let LoopbackServer {
        listener,
        addr,
        path,
        timeout,
    } = server;
    let redirect_uri = format!("http://{addr}{path}");
    if let Err(e) = listener.set_nonblocking(true) {
        return Some(Err(Error::Interaction(format!(
            "the redirect server on {addr} could not be set up: {e}; run the login again"
        ))));
    }
    let (tx, rx) = mpsc::channel::<Incoming>();
    let readers = Readers::default();
    // `None`: a timeout too large to represent, that is, no deadline.
    let deadline = Instant::now().checked_add(timeout);

    let outcome = loop {
        if sender.is_cancelled() {
            break None;
        }
        accept_pending(&listener, &tx, &readers);
        let wait = match deadline {
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    break Some(Err(Error::TimedOut {
                        what: format!("the browser to return to {redirect_uri}"),
                        waited: timeout,
                    }));
                }
                (deadline - now).min(POLL_INTERVAL)
            }
            None => POLL_INTERVAL,
        };
        if let Ok(incoming) = rx.recv_timeout(wait)
            && let Some(result) = handle(incoming, &path, &mut check)
        {
            break Some(result);
        }
    };

    // Stop: close the port, end the connection threads, answer what was already read.
    drop(listener);
    readers.close_all();
    drop(tx);
    while let Ok(mut incoming) = rx.try_recv() {
        Page::finished().write(&mut incoming.stream, incoming.head.is_head());
    }
    outcome
}

/// Accepts every connection waiting in the backlog and starts a thread to read each.
fn accept_pending(listener: &TcpListener, tx: &mpsc::Sender<Incoming>, readers: &Readers) {
    loop {
        match listener.accept() {
            Ok((stream, _)) => start_reader(stream, tx.clone(), readers.clone()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // WouldBlock: nothing left. Anything else (too many open files, a connection
            // reset before it was accepted): try again at the next poll.
            Err(_) => return,
        }
    }
}

fn start_reader(stream: TcpStream, tx: mpsc::Sender<Incoming>, readers: Readers) {
    // Accepted sockets may inherit the listener's non-blocking mode on some platforms.
    if stream.set_nonblocking(false).is_err()
        || stream.set_read_timeout(Some(IO_TIMEOUT)).is_err()
        || stream.set_write_timeout(Some(IO_TIMEOUT)).is_err()
    {
        return;
    }
    let Some(id) = readers.register(&stream) else {
        // Too many connections at once, or stopping: close this one.
        return;
    };
    let thread_readers = readers.clone();
    let spawned = thread::Builder::new()
        .name("loopback-connection".into())
        .spawn(move || {
            let _live = LiveThread::start();
            let mut stream = stream;
            let result = read_request(&mut stream);
            thread_readers.unregister(id);
            match result {
                Ok(head) => {
                    if let Err(mpsc::SendError(mut incoming)) = tx.send(Incoming { head, stream }) {
                        // The flow ended while this request was being read.
                        Page::finished().write(&mut incoming.stream, incoming.head.is_head());
                    }
                }
                Err(ReadError::Silent) => {}
                Err(ReadError::Answer(page)) => page.write(&mut stream, false),
            }
        });
    if spawned.is_err() {
        readers.unregister(id);
    }
}

/// Answers one request; `Some` when it ends the flow.
fn handle<T, F>(incoming: Incoming, path: &str, check: &mut F) -> Option<Result<T, Error>>
where
    F: FnMut(&CallbackQuery) -> CallbackVerdict<T>,
{
    let Incoming { head, mut stream } = incoming;
    let head_only = head.is_head();
    let query = parse_callback_query(&head.target);
    if query.path() != path {
        Page::not_found(path).write(&mut stream, head_only);
        return None;
    }
    if head.method != "GET" {
        Page::method_not_allowed().write(&mut stream, head_only);
        return None;
    }
    match check(&query) {
        CallbackVerdict::Accept(value) => {
            Page::success().write(&mut stream, false);
            Some(Ok(value))
        }
        CallbackVerdict::Ignore => {
            Page::waiting().write(&mut stream, false);
            None
        }
        CallbackVerdict::Fail(error) => {
            Page::failure(&error).write(&mut stream, false);
            Some(Err(error))
        }
    }
}

// ---------------------------------------------------------------------------------------
// The little HTTP/1.1 the server speaks.

/// The parts of a request head the server uses.
#[derive(Debug, PartialEq, Eq)]
struct RequestHead {
    method: String,
    target: String,
    content_length: Option<usize>,
}

impl RequestHead {
    fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// Why a request was not passed on.
enum ReadError {
    /// The connection closed or stayed silent: close without an answer.
    Silent,
    /// Malformed or too large: answer this page and close.
    Answer(Page),
}

/// Reads the request head (at most [`MAX_REQUEST_HEAD_BYTES`], within [`HEAD_DEADLINE`])
/// and discards a small body.
fn read_request(stream: &mut TcpStream) -> Result<RequestHead, ReadError> {
    let started = Instant::now();
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let (head, body_start) = loop {
        if let Some((head_len, body_start)) = find_head_end(&buf) {
            let head = parse_request_head(&buf[..head_len]).map_err(ReadError::Answer)?;
            break (head, body_start);
        }
        if buf.len() > MAX_REQUEST_HEAD_BYTES {
            return Err(ReadError::Answer(Page::head_too_large()));
        }
        if started.elapsed() > HEAD_DEADLINE {
            return Err(if buf.is_empty() {
                ReadError::Silent
            } else {
                ReadError::Answer(Page::request_timeout())
            });
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err(ReadError::Silent),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Err(ReadError::Silent),
        }
    };
    if let Some(length) = head.content_length.filter(|&l| l <= MAX_BODY_DRAIN) {
        let mut remaining = length.saturating_sub(buf.len() - body_start);
        while remaining > 0 && started.elapsed() <= HEAD_DEADLINE {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => remaining = remaining.saturating_sub(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }
    Ok(head)
}

/// The end of the head: `(head length without the blank line, start of the body)`.
fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = buf.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(c), Some(l)) if l < c => Some((l, l + 2)),
        (Some(c), _) => Some((c, c + 4)),
        (None, Some(l)) => Some((l, l + 2)),
        (None, None) => None,
    }
}

/// Parses a request line and the headers the server needs (`Content-Length`). The
/// request line must be ASCII (RFC 9112 §3); header values may hold any bytes.
fn parse_request_head(head: &[u8]) -> Result<RequestHead, Page> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let request_line = lines.next().unwrap_or_default();
    if !request_line.is_ascii() {
        return Err(Page::bad_request());
    }
    let request_line = String::from_utf8_lossy(request_line);
    let mut parts = request_line.split(' ').filter(|p| !p.is_empty());
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Page::bad_request());
    };
    let method_ok = method
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !method_ok || !version.starts_with("HTTP/1.") || target.bytes().any(|b| b.is_ascii_control())
    {
        return Err(Page::bad_request());
    }
    let mut content_length = None;
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if line[..colon].eq_ignore_ascii_case(b"content-length") {
            content_length = std::str::from_utf8(&line[colon + 1..])
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok());
        }
    }
    Ok(RequestHead {
        method: method.to_owned(),
        target: target.to_owned(),
        content_length,
    })
}

/// A small HTML answer.
#[derive(Debug)]
struct Page {
    status: u16,
    reason: &'static str,
    title: &'static str,
    /// Already HTML-escaped.
    message_html: String,
    allow_get_only: bool,
}

impl Page {
    fn new(status: u16, reason: &'static str, title: &'static str, message: &str) -> Self {
        Page {
            status,
            reason,
            title,
            message_html: escape_html(message),
            allow_get_only: false,
        }
    }

    fn success() -> Self {
        Page::new(
            200,
            "OK",
            "Signed in",
            "The application received the sign-in. You can close this tab and return to it.",
        )
    }

    fn waiting() -> Self {
        Page::new(
            200,
            "OK",
            "Waiting for the sign-in",
            "This address receives the answer of the sign-in page. This request carried none, \
             so the application is still waiting: finish signing in in the other tab.",
        )
    }

    fn failure(error: &Error) -> Self {
        Page::new(400, "Bad Request", "Sign-in failed", &error.to_string())
    }

    fn not_found(path: &str) -> Self {
        Page::new(
            404,
            "Not Found",
            "Not found",
            &format!("This server only receives the sign-in answer, at {path}."),
        )
    }

    fn method_not_allowed() -> Self {
        Page {
            allow_get_only: true,
            ..Page::new(
                405,
                "Method Not Allowed",
                "Method not allowed",
                "This server only receives the sign-in answer, as the browser's GET redirect.",
            )
        }
    }

    fn finished() -> Self {
        Page::new(
            410,
            "Gone",
            "Sign-in over",
            "The application is no longer waiting for a sign-in here; run the login again if needed.",
        )
    }

    fn bad_request() -> Self {
        Page::new(
            400,
            "Bad Request",
            "Bad request",
            "The request could not be read.",
        )
    }

    fn head_too_large() -> Self {
        Page::new(
            431,
            "Request Header Fields Too Large",
            "Request too large",
            "The request is larger than this server reads.",
        )
    }

    fn request_timeout() -> Self {
        Page::new(
            408,
            "Request Timeout",
            "Request timeout",
            "The request took too long to arrive.",
        )
    }

    fn render(&self, head_only: bool) -> Vec<u8> {
        let body = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>{title}</title></head>\n<body><h1>{title}</h1>\n<p>{message}</p></body></html>\n",
            title = self.title,
            message = self.message_html,
        );
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
             Connection: close\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
             X-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'\r\n",
            self.status,
            self.reason,
            body.len()
        );
        if self.allow_get_only {
            out.push_str("Allow: GET\r\n");
        }
        out.push_str("\r\n");
        if !head_only {
            out.push_str(&body);
        }
        out.into_bytes()
    }

    /// Writes the page and closes the connection; errors (the browser went away) are
    /// ignored.
    fn write(&self, stream: &mut TcpStream, head_only: bool) {
        let _ = stream.write_all(&self.render(head_only));
        let _ = stream.flush();
        let _ = stream.shutdown(Shutdown::Both);
    }
}

// ---------------------------------------------------------------------------------------
// A one-shot channel whose receiver is a future, with std only.

mod oneshot {
    use super::*;

    enum Slot<T> {
        Waiting(Option<Waker>),
        Ready(T),
        Taken,
        SenderGone,
    }

    struct Shared<T> {
        slot: Mutex<Slot<T>>,
        receiver_gone: AtomicBool,
    }

    impl<T> Shared<T> {
        fn lock(&self) -> MutexGuard<'_, Slot<T>> {
            self.slot.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// Puts `next` in the slot if nothing was sent yet, and wakes the receiver.
        fn complete(&self, next: Slot<T>) {
            let waker = {
                let mut slot = self.lock();
                match &mut *slot {
                    Slot::Waiting(waker) => {
                        let waker = waker.take();
                        *slot = next;
                        waker
                    }
                    _ => None,
                }
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Sends the one value.
    pub(super) struct Sender<T>(Arc<Shared<T>>);

    /// Resolves to the value, or `None` when the sender was dropped without sending.
    /// Dropping it tells the sender to stop ([`Sender::is_cancelled`]).
    pub(super) struct Receiver<T>(Arc<Shared<T>>);

    pub(super) fn channel<T>() -> (Sender<T>, Receiver<T>) {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::Waiting(None)),
            receiver_gone: AtomicBool::new(false),
        });
        (Sender(shared.clone()), Receiver(shared))
    }

    impl<T> Sender<T> {
        pub(super) fn send(&self, value: T) {
            self.0.complete(Slot::Ready(value));
        }

        pub(super) fn is_cancelled(&self) -> bool {
            self.0.receiver_gone.load(Ordering::Acquire)
        }
    }

    impl<T> Drop for Sender<T> {
        fn drop(&mut self) {
            // No effect when a value was sent.
            self.0.complete(Slot::SenderGone);
        }
    }

    impl<T> Future for Receiver<T> {
        type Output = Option<T>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
            let mut slot = self.0.lock();
            match std::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Ready(value) => Poll::Ready(Some(value)),
                Slot::SenderGone | Slot::Taken => Poll::Ready(None),
                Slot::Waiting(waker) => {
                    let waker = match waker {
                        Some(w) if w.will_wake(cx.waker()) => w,
                        _ => cx.waker().clone(),
                    };
                    *slot = Slot::Waiting(Some(waker));
                    Poll::Pending
                }
            }
        }
    }

    impl<T> Drop for Receiver<T> {
        fn drop(&mut self) {
            self.0.receiver_gone.store(true, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn verdict(target: &str, state: &str) -> CallbackVerdict<AuthorizationCallback> {
        authorization_code_verdict(&parse_callback_query(target), &Secret::new(state))
    }

    #[test]
    fn parses_origin_and_absolute_targets() {
        let q = parse_callback_query("/cb?code=abc&state=x%20y");
        assert_eq!(q.path(), "/cb");
        assert_eq!(q.get("code"), Some("abc"));
        assert_eq!(q.get("state"), Some("x y"));

        let q = parse_callback_query("http://127.0.0.1:8080?code=1");
        assert_eq!((q.path(), q.get("code")), ("/", Some("1")));
        let q = parse_callback_query("HTTP://[::1]:9/p/q?x=1#y=2");
        assert_eq!(
            (q.path(), q.get("x"), q.get("y")),
            ("/p/q", Some("1"), None)
        );
        let q = parse_callback_query("http://host");
        assert_eq!((q.path(), q.is_empty()), ("/", true));
        // Not a scheme: the whole target is the path.
        assert_eq!(parse_callback_query("/a://b").path(), "/a://b");
        assert_eq!(parse_callback_query("?code=1").path(), "/");
    }

    #[test]
    fn debug_masks_secret_values_only() {
        let q = parse_callback_query(
            "/?code=C0DE&state=ST8&oauth_token=T0K&oauth_verifier=VER&Code=C2&scope=read",
        );
        let shown = format!("{q:?} {q:#?}");
        for secret in ["C0DE", "ST8", "T0K", "VER", "C2"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("read"), "{shown}");
        assert!(shown.contains("oauth_verifier"), "{shown}");
    }

    #[test]
    fn verdicts() {
        assert!(
            matches!(verdict("/?code=c&state=s", "s"), CallbackVerdict::Accept(cb) if cb.code.expose() == "c")
        );
        assert!(matches!(verdict("/?foo=bar", "s"), CallbackVerdict::Ignore));
        assert!(matches!(verdict("/?state=s", "s"), CallbackVerdict::Ignore));
        for target in [
            "/?code=c&state=S",
            "/?code=c",
            "/?code=c&state=",
            "/?code=c&state=s&state=s",
            "/?error=access_denied",
            "/?error=access_denied&state=t",
        ] {
            assert!(
                matches!(
                    verdict(target, "s"),
                    CallbackVerdict::Fail(Error::StateMismatch)
                ),
                "{target}"
            );
        }
        // An empty expected state never matches.
        assert!(matches!(
            verdict("/?code=c&state=", ""),
            CallbackVerdict::Fail(Error::StateMismatch)
        ));
        assert!(matches!(
            verdict("/?code=a&code=b&state=s", "s"),
            CallbackVerdict::Fail(Error::Interaction(m)) if m.contains("more than once")
        ));
        assert!(matches!(
            verdict("/?code=&state=s", "s"),
            CallbackVerdict::Fail(Error::Interaction(m)) if m.contains("empty")
        ));
        // An error wins over a code.
        assert!(matches!(
            verdict("/?code=c&error=access_denied&error_description=no&state=s", "s"),
            CallbackVerdict::Fail(Error::AccessDenied { description: Some(d) }) if d == "no"
        ));
    }

    #[test]
    fn other_errors_keep_code_description_and_uri_without_control_characters() {
        let CallbackVerdict::Fail(Error::OAuth(e)) = verdict(
            "/?error=invalid_scope%1B%5B31m&error_description=bad%0Ascope&error_uri=https%3A%2F%2Fx&state=s",
            "s",
        ) else {
            panic!("expected an OAuth error");
        };
        assert_eq!(e.code, "invalid_scope [31m");
        assert_eq!(e.description.as_deref(), Some("bad scope"));
        assert_eq!(e.uri.as_deref(), Some("https://x"));
        assert_eq!(e.status, 302);
        let CallbackVerdict::Fail(Error::OAuth(e)) = verdict("/?error=&state=s", "s") else {
            panic!("expected an OAuth error");
        };
        assert_eq!(e.code, "(empty error code)");
    }

    #[test]
    fn config_validation() {
        let ok = LoopbackConfig::default();
        assert!(ok.validate().is_ok());
        let bad_host = ok.clone().with_host("0.0.0.0".parse().unwrap());
        assert!(
            bad_host
                .validate()
                .unwrap_err()
                .to_string()
                .contains("0.0.0.0")
        );
        for path in ["", "cb", "/cb?x=1", "/a#b", "/a b", "/é"] {
            let err = ok.clone().with_path(path).validate().unwrap_err();
            assert!(matches!(err, Error::Config { .. }), "{path}");
        }
        assert!(ok.with_path("/a/b%20c").validate().is_ok());
    }

    #[test]
    fn request_heads() {
        let head = parse_request_head(
            b"GET /?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nCookie: \xff\xfe",
        )
        .unwrap();
        assert_eq!(
            head,
            RequestHead {
                method: "GET".into(),
                target: "/?a=1".into(),
                content_length: Some(12)
            }
        );
        assert_eq!(
            parse_request_head(b"POST / HTTP/1.0\ncontent-length:  3 ")
                .unwrap()
                .content_length,
            Some(3)
        );
        for bad in [
            &b""[..],
            b"GET /",
            b"GET / HTTP/1.1 extra",
            b"GET /\xff HTTP/1.1",
            b"GET / HTTP/2",
            b"G(T / HTTP/1.1",
            b"GET /\x7f HTTP/1.1",
        ] {
            assert!(
                parse_request_head(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r\nbody"), Some((14, 18)));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\n\nbody"), Some((14, 16)));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn pages_escape_and_frame() {
        let page = Page::failure(&Error::AccessDenied {
            description: Some("<script>alert('x')</script> & \"".into()),
        });
        let text = String::from_utf8(page.render(false)).unwrap();
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(
            text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;"),
            "{text}"
        );
        assert!(!text.contains("<script>"));
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        let head_only = String::from_utf8(Page::method_not_allowed().render(true)).unwrap();
        assert!(head_only.ends_with("Allow: GET\r\n\r\n"), "{head_only}");
    }

    #[test]
    fn oneshot_delivers_reports_drops_and_cancels() {
        let (tx, rx) = oneshot::channel();
        tx.send(5);
        drop(tx);
        assert_eq!(pollster::block_on(rx), Some(5));

        let (tx, rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            drop(tx);
        });
        assert_eq!(pollster::block_on(rx), None);
        t.join().unwrap();

        let (tx, rx) = oneshot::channel::<u8>();
        assert!(!tx.is_cancelled());
        drop(rx);
        assert!(tx.is_cancelled());
    }

    /// Waits up to 2 s for every server thread to end.
    fn all_threads_ended() -> bool {
        let until = Instant::now() + Duration::from_secs(2);
        while LIVE_THREADS.load(Ordering::SeqCst) != 0 {
            if Instant::now() > until {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// The only unit test that starts servers, so that it can count their threads.
    #[test]
    fn no_thread_outlives_the_flow() {
        let config = LoopbackConfig::default()
            .with_port(0)
            .with_timeout(Duration::from_secs(20));

        // Success, with two idle connections (a browser's preconnects) still open.
        let server = LoopbackServer::bind(config.clone()).unwrap();
        let addr = server.local_addr();
        let browser = thread::spawn(move || {
            let idle = [
                TcpStream::connect(addr).unwrap(),
                TcpStream::connect(addr).unwrap(),
            ];
            let until = Instant::now() + Duration::from_secs(2);
            while LIVE_THREADS.load(Ordering::SeqCst) < 3 && Instant::now() < until {
                thread::sleep(Duration::from_millis(5));
            }
            let during = LIVE_THREADS.load(Ordering::SeqCst);
            let mut conn = TcpStream::connect(addr).unwrap();
            conn.write_all(b"GET /?code=c&state=s HTTP/1.1\r\n\r\n")
                .unwrap();
            let mut answer = String::new();
            conn.read_to_string(&mut answer).unwrap();
            (during, answer, idle)
        });
        let callback = pollster::block_on(server.wait_for_code(&Secret::new("s"))).unwrap();
        assert_eq!(callback.code.expose(), "c");
        assert!(
            all_threads_ended(),
            "{} threads left",
            LIVE_THREADS.load(Ordering::SeqCst)
        );
        let (during, answer, mut idle) = browser.join().unwrap();
        assert_eq!(
            during, 3,
            "the server thread and one reader per idle connection"
        );
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        // The idle connections were closed by the server.
        let mut rest = Vec::new();
        assert_eq!(idle[0].read_to_end(&mut rest).unwrap_or(0), 0);

        // The future dropped while waiting, with an idle connection open.
        let server = LoopbackServer::bind(config.clone()).unwrap();
        let idle = TcpStream::connect(server.local_addr()).unwrap();
        let mut wait = Box::pin(server.wait_for_code(&Secret::new("s")));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        let until = Instant::now() + Duration::from_secs(2);
        while LIVE_THREADS.load(Ordering::SeqCst) < 2 && Instant::now() < until {
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(LIVE_THREADS.load(Ordering::SeqCst), 2);
        drop(wait);
        assert!(
            all_threads_ended(),
            "{} threads left",
            LIVE_THREADS.load(Ordering::SeqCst)
        );
        drop(idle);

        // The timeout.
        let server = LoopbackServer::bind(config.with_timeout(Duration::from_millis(50))).unwrap();
        let _idle = TcpStream::connect(server.local_addr()).unwrap();
        let err = pollster::block_on(server.wait_for_code(&Secret::new("s"))).unwrap_err();
        assert!(matches!(err, Error::TimedOut { .. }));
        assert!(
            all_threads_ended(),
            "{} threads left",
            LIVE_THREADS.load(Ordering::SeqCst)
        );
    }

    proptest! {
        #[test]
        fn callback_query_parsing_never_panics(target in any::<String>()) {
            let q = parse_callback_query(&target);
            prop_assert!(!q.path().is_empty() && !q.path().contains(['?', '#']));
            let _ = format!("{q:?}");
            let _ = authorization_code_verdict(&q, &Secret::new("s"));
        }

        #[test]
        fn callback_query_round_trips(params in proptest::collection::vec((".{0,12}", ".{0,12}"), 0..8)) {
            let params: Vec<(String, String)> = params.into_iter().filter(|(k, v)| !(k.is_empty() && v.is_empty())).collect();
            let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
            let q = parse_callback_query(&format!("/cb?{query}"));
            prop_assert_eq!(q.path(), "/cb");
            prop_assert_eq!(q.params(), params.as_slice());
        }

        #[test]
        fn request_head_parsing_never_panics(head in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_request_head(&head);
            let _ = find_head_end(&head);
        }

        #[test]
        fn escaped_html_has_no_markup(text in any::<String>()) {
            let escaped = escape_html(&text);
            prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
        }
    }
}
