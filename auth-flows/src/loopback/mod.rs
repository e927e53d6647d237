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
//! - a request on the path whose `Host` (or absolute-form target) is not exactly
//!   `127.0.0.1:PORT`, `[::1]:PORT` or `localhost:PORT` gets 421 and is ignored: a web page
//!   whose domain was rebound to 127.0.0.1 (DNS rebinding) cannot reach the callback;
//! - a callback whose `state` is missing or wrong gets an error page and is otherwise
//!   ignored, so that a web page's navigation to the server cannot end a login; after
//!   [`MAX_REJECTED_CALLBACKS`] of them the flow fails with [`Error::StateMismatch`].
//!   `state` is compared in constant time;
//! - with [`LoopbackServer::wait_for_response`], an `iss` that [`IssuerCheck`] refuses
//!   (RFC 9207) fails the flow with [`Error::IssuerMismatch`];
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
//! without disturbing the wait; a request head larger than 64 KiB gets 431, each
//! connection must send its first byte within 2 seconds and its request head within 10,
//! and when every reader slot is taken the oldest silent connection is closed, so a new
//! connection (the browser's callback) always gets a slot.
//!
//! [`LoopbackServer::redirect_paste`] gives a second way in: the address the person's
//! browser ended on, pasted by hand (a browser on another machine), is parsed and checked
//! by the same rules as a request, and whichever answer comes first wins.
//!
//! The module is in six parts:
//!
//! - this file: the public API: [`LoopbackConfig`], and [`LoopbackServer`] with its
//!   binding (and the errors that say what to do when the port is taken);
//! - `server`: the accept loop, one reader thread per connection, the timeouts, the one
//!   judge of requests and pasted addresses, and the hand-back of the result to the
//!   waiting future;
//! - `callback`: the callback itself: the query ([`parse_callback_query`]), the `state`
//!   check ([`authorization_code_verdict`], [`authorization_response_verdict`]) and the
//!   HTML pages;
//! - `checks`: the `iss` rule ([`IssuerCheck`]) and the loopback `Host` rule;
//! - `paste`: the way in for pasted addresses ([`LoopbackServer::redirect_paste`]);
//! - `http1`: reading a request head, parsed by `httparse`.
//!
//! The server is our own, small and blocking, on purpose: the redirect arrives once, and
//! a server framework would pull an async runtime (tokio) into the `ureq` stack, which is
//! meant to stay free of one. Only the request-head parsing is left to a crate.
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
//!     let request = format!("GET /?code=abc&state=xyz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
//!     conn.write_all(request.as_bytes()).unwrap();
//!     let mut page = String::new();
//!     conn.read_to_string(&mut page).unwrap();
//!     page
//! });
//! let callback = pollster::block_on(server.wait_for_code(&Secret::new("xyz"))).unwrap();
//! assert_eq!(callback.code.expose(), "abc");
//! assert!(browser.join().unwrap().starts_with("HTTP/1.1 200 OK"));
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use auth_core::{Error, Secret};

mod callback;
mod checks;
mod http1;
mod paste;
mod server;

pub use callback::{
    AuthorizationCallback, CallbackQuery, CallbackVerdict, authorization_code_verdict,
    authorization_response_verdict, parse_callback_query,
};
pub use checks::IssuerCheck;

/// How many callbacks with a missing or wrong `state` the server answers with an error
/// page and ignores: the third ends the flow with [`Error::StateMismatch`]. A stray or
/// forged navigation (any web page can send the browser to the loopback address) then
/// cannot end a login, while a real mix-up does not wait for the timeout.
///
/// ```
/// assert_eq!(auth_flows::loopback::MAX_REJECTED_CALLBACKS, 3);
/// ```
pub const MAX_REJECTED_CALLBACKS: u32 = 3;

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
    pastes: paste::Pastes,
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
            pastes: paste::Pastes::new(),
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
    ///     let request = format!("GET /?error=access_denied&state=s1 HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    ///     conn.write_all(request.as_bytes()).unwrap();
    /// });
    /// let err = pollster::block_on(server.wait_for_code(&Secret::new("s1"))).unwrap_err();
    /// assert!(matches!(err, Error::AccessDenied { .. }));
    /// ```
    pub fn wait_for_code(
        self,
        state: &Secret,
    ) -> impl Future<Output = Result<AuthorizationCallback, Error>> + Send + 'static {
        self.wait_for_response(state, IssuerCheck::default())
    }

    /// [`wait_for_code`](Self::wait_for_code) with the `iss` check of RFC 9207: the rules
    /// of [`authorization_response_verdict`].
    ///
    /// ```
    /// use std::io::Write;
    /// use auth_core::{Error, Provider, Secret};
    /// use auth_flows::loopback::{IssuerCheck, LoopbackConfig, LoopbackServer};
    ///
    /// let server = LoopbackServer::bind(LoopbackConfig::default().with_port(0)).unwrap();
    /// let addr = server.local_addr();
    /// std::thread::spawn(move || {
    ///     let mut conn = std::net::TcpStream::connect(addr).unwrap();
    ///     let request = format!("GET /?code=c&state=s1&iss=https://evil.example HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    ///     conn.write_all(request.as_bytes()).unwrap();
    /// });
    /// let check = IssuerCheck::for_provider(&Provider::new("x").with_issuer("https://id.example"));
    /// let err = pollster::block_on(server.wait_for_response(&Secret::new("s1"), check)).unwrap_err();
    /// assert!(matches!(err, Error::IssuerMismatch { .. }));
    /// ```
    pub fn wait_for_response(
        self,
        state: &Secret,
        issuer: IssuerCheck,
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
            self.wait(move |query| authorization_response_verdict(query, &state, &issuer))
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
    ///     let request = format!("GET /?oauth_token=t&oauth_verifier=v HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    ///     conn.write_all(request.as_bytes()).unwrap();
    /// });
    /// let verifier = pollster::block_on(server.wait(|q| match q.get("oauth_verifier") {
    ///     Some(v) => CallbackVerdict::Accept(v.to_owned()),
    ///     None => CallbackVerdict::Ignore,
    /// }))
    /// .unwrap();
    /// assert_eq!(verifier, "v");
    /// ```
    ///
    /// A [`CallbackVerdict::Fail`] with [`Error::StateMismatch`] is answered with the
    /// error page and ignored, up to [`MAX_REJECTED_CALLBACKS`]; any other `Fail` ends the
    /// flow.
    pub async fn wait<T, F>(self, check: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnMut(&CallbackQuery) -> CallbackVerdict<T> + Send + 'static,
    {
        server::run(self, check).await
    }
}

impl LoopbackServer {
    /// A way in for the address the person's browser ended on, pasted by hand (hand it to
    /// [`Interaction::offer_redirect_paste`](auth_core::Interaction::offer_redirect_paste)).
    /// A pasted address must be the whole URL, `http://127.0.0.1:PORT/path?...` (or
    /// `localhost` / `[::1]` on the same port), and is then checked by exactly the rules of
    /// a request: path, `state`, `iss`, `error`. Whichever answer comes first wins; once
    /// the wait is over every paste is refused.
    ///
    /// ```
    /// use auth_core::Secret;
    /// use auth_flows::loopback::{LoopbackConfig, LoopbackServer};
    ///
    /// let server = LoopbackServer::bind(LoopbackConfig::default().with_port(0)).unwrap();
    /// let paste = server.redirect_paste();
    /// let pasted = format!("{}?code=abc&state=s", server.redirect_uri());
    /// let person = std::thread::spawn(move || {
    ///     assert!(paste.submit("http://evil.example/?code=abc&state=s").is_err());
    ///     paste.submit(&pasted)
    /// });
    /// let callback = pollster::block_on(server.wait_for_code(&Secret::new("s"))).unwrap();
    /// assert_eq!(callback.code.expose(), "abc");
    /// assert!(person.join().unwrap().is_ok());
    /// ```
    pub fn redirect_paste(&self) -> std::sync::Arc<dyn auth_core::RedirectPaste> {
        std::sync::Arc::new(self.pastes.handle())
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
