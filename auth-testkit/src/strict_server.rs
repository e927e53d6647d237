//! [`StrictTokenServer`]: a token endpoint on 127.0.0.1 as strict as RFC 9700 §4.14.2
//! asks: refresh tokens rotate on every use, and a reused one revokes the whole grant.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How a [`StrictTokenServer`] behaves; build it with [`StrictConfig::new`] and the
/// `with_*` methods.
///
/// ```
/// let config = auth_testkit::StrictConfig::new()
///     .with_expires_in(5)
///     .with_refresh_delay(std::time::Duration::from_millis(100));
/// assert_eq!(config.expires_in, 5);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StrictConfig {
    /// `expires_in` of every access token issued, in seconds (default 3600).
    pub expires_in: u64,
    /// How long the server waits before answering a refresh (default 0.5 s), so racing
    /// clients overlap.
    pub refresh_delay: Duration,
}

impl StrictConfig {
    /// Tokens for an hour, refreshes answered after 0.5 s.
    ///
    /// ```
    /// let c = auth_testkit::StrictConfig::new();
    /// assert_eq!(c.refresh_delay, std::time::Duration::from_millis(500));
    /// ```
    pub fn new() -> Self {
        StrictConfig {
            expires_in: 3600,
            refresh_delay: Duration::from_millis(500),
        }
    }

    /// Sets the `expires_in` of issued access tokens.
    ///
    /// ```
    /// assert_eq!(auth_testkit::StrictConfig::new().with_expires_in(1).expires_in, 1);
    /// ```
    pub fn with_expires_in(mut self, seconds: u64) -> Self {
        self.expires_in = seconds;
        self
    }

    /// Sets the wait before answering a refresh.
    ///
    /// ```
    /// let c = auth_testkit::StrictConfig::new().with_refresh_delay(std::time::Duration::ZERO);
    /// assert!(c.refresh_delay.is_zero());
    /// ```
    pub fn with_refresh_delay(mut self, delay: Duration) -> Self {
        self.refresh_delay = delay;
        self
    }
}

impl Default for StrictConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// One grant: a login and every refresh descending from it.
#[derive(Default)]
struct Grant {
    revoked: bool,
    /// The one refresh token that may be used next.
    current_refresh: String,
}

#[derive(Default)]
struct State {
    grants: Vec<Grant>,
    /// Every refresh token ever issued → its grant.
    refresh_owner: HashMap<String, usize>,
    /// Access token → (grant, expires at in seconds since the server started).
    access: HashMap<String, (usize, f64)>,
    current_access: Option<String>,
    serial: u64,
}

struct Shared {
    config: StrictConfig,
    state: Mutex<State>,
    requests: AtomicU64,
    token_requests: AtomicU64,
    refreshes: AtomicU64,
    reuses: AtomicU64,
    stop: AtomicBool,
    started: std::time::Instant,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A token endpoint on 127.0.0.1, served by a thread per connection, for tests of
/// clients that race each other:
///
/// - `POST /token` with `grant_type=password` or `client_credentials` starts a grant and
///   issues an access token (with the configured `expires_in`) and a refresh token;
/// - `grant_type=refresh_token` waits [`StrictConfig::refresh_delay`], then **rotates**:
///   the refresh token used is spent, a new one is issued. A refresh token used a second
///   time **revokes the grant**: that request and every later refresh of the grant get
///   `invalid_grant` (RFC 9700 §4.14.2);
/// - `GET /userinfo` (and any other path under `/api/`) answers 200 with a small JSON
///   body when the bearer token is valid and unexpired, 401 otherwise.
///
/// It counts every request, every refresh request and every reuse. It stops when
/// dropped.
///
/// ```
/// use std::io::{Read, Write};
/// let server = auth_testkit::StrictTokenServer::start(auth_testkit::StrictConfig::new());
/// let mut tcp = std::net::TcpStream::connect(server.addr()).unwrap();
/// let body = "grant_type=client_credentials&client_id=c";
/// write!(tcp, "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
///              Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
/// let mut answer = String::new();
/// tcp.read_to_string(&mut answer).unwrap();
/// assert!(answer.starts_with("HTTP/1.1 200"));
/// assert!(answer.contains("refresh_token"));
/// assert_eq!(server.requests(), 1);
/// assert!(server.current_access_token().is_some());
/// ```
pub struct StrictTokenServer {
    shared: Arc<Shared>,
    addr: std::net::SocketAddr,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for StrictTokenServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrictTokenServer")
            .field("addr", &self.addr)
            .field("requests", &self.requests())
            .field("refreshes", &self.refreshes())
            .field("reuses", &self.reuses())
            .finish()
    }
}

impl StrictTokenServer {
    /// Starts the server on a free port of 127.0.0.1.
    ///
    /// ```
    /// let server = auth_testkit::StrictTokenServer::start(Default::default());
    /// assert!(server.token_url().starts_with("http://127.0.0.1:"));
    /// ```
    pub fn start(config: StrictConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(State::default()),
            requests: AtomicU64::new(0),
            token_requests: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            reuses: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            started: std::time::Instant::now(),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accept_shared);
                std::thread::spawn(move || {
                    let _ = serve(&shared, stream);
                });
            }
        });
        StrictTokenServer {
            shared,
            addr,
            accept: Some(accept),
        }
    }

    /// The server's address.
    ///
    /// ```
    /// let server = auth_testkit::StrictTokenServer::start(Default::default());
    /// assert!(server.addr().ip().is_loopback());
    /// ```
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    ///
    /// ```
    /// let server = auth_testkit::StrictTokenServer::start(Default::default());
    /// assert!(!server.url().ends_with('/'));
    /// ```
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/token`.
    ///
    /// ```
    /// let server = auth_testkit::StrictTokenServer::start(Default::default());
    /// assert!(server.token_url().ends_with("/token"));
    /// ```
    pub fn token_url(&self) -> String {
        format!("{}/token", self.url())
    }

    /// `http://127.0.0.1:PORT/userinfo`, which checks the bearer token.
    ///
    /// ```
    /// let server = auth_testkit::StrictTokenServer::start(Default::default());
    /// assert!(server.userinfo_url().ends_with("/userinfo"));
    /// ```
    pub fn userinfo_url(&self) -> String {
        format!("{}/userinfo", self.url())
    }

    /// Every request received, on any path.
    ///
    /// ```
    /// assert_eq!(auth_testkit::StrictTokenServer::start(Default::default()).requests(), 0);
    /// ```
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Requests to the token endpoint, of any grant.
    ///
    /// ```
    /// assert_eq!(auth_testkit::StrictTokenServer::start(Default::default()).token_requests(), 0);
    /// ```
    pub fn token_requests(&self) -> u64 {
        self.shared.token_requests.load(Ordering::SeqCst)
    }

    /// Refresh requests (`grant_type=refresh_token`), answered or refused.
    ///
    /// ```
    /// assert_eq!(auth_testkit::StrictTokenServer::start(Default::default()).refreshes(), 0);
    /// ```
    pub fn refreshes(&self) -> u64 {
        self.shared.refreshes.load(Ordering::SeqCst)
    }

    /// Refresh requests that used an already spent refresh token (each revoked its grant).
    ///
    /// ```
    /// assert_eq!(auth_testkit::StrictTokenServer::start(Default::default()).reuses(), 0);
    /// ```
    pub fn reuses(&self) -> u64 {
        self.shared.reuses.load(Ordering::SeqCst)
    }

    /// The access token issued last, if its grant is not revoked.
    ///
    /// ```
    /// assert_eq!(auth_testkit::StrictTokenServer::start(Default::default()).current_access_token(), None);
    /// ```
    pub fn current_access_token(&self) -> Option<String> {
        let state = self.shared.state();
        let access = state.current_access.clone()?;
        let (grant, _) = state.access.get(&access)?;
        (!state.grants[*grant].revoked).then_some(access)
    }

    /// Whether any grant was revoked for reuse.
    ///
    /// ```
    /// assert!(!auth_testkit::StrictTokenServer::start(Default::default()).any_grant_revoked());
    /// ```
    pub fn any_grant_revoked(&self) -> bool {
        self.shared.state().grants.iter().any(|g| g.revoked)
    }
}

impl Drop for StrictTokenServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> std::io::Result<Option<Request>> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request {
        method,
        path,
        headers,
        body,
    }))
}

fn serve(shared: &Shared, mut stream: TcpStream) -> std::io::Result<()> {
    let Some(request) = read_request(&stream)? else {
        return Ok(());
    };
    if shared.stop.load(Ordering::SeqCst) {
        return Ok(());
    }
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let path = request.path.split('?').next().unwrap_or_default();
    let (status, body) = if request.method == "POST" && path == "/token" {
        shared.token_requests.fetch_add(1, Ordering::SeqCst);
        token(shared, &request)
    } else if path == "/userinfo" || path.starts_with("/api/") {
        api(shared, &request)
    } else {
        (404, r#"{"error":"not_found"}"#.to_owned())
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        _ => "Not Found",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

fn error(code: &str) -> (u16, String) {
    (400, format!(r#"{{"error":"{code}"}}"#))
}

fn token(shared: &Shared, request: &Request) -> (u16, String) {
    let form: HashMap<String, String> =
        form_urlencoded::parse(&request.body).into_owned().collect();
    match form.get("grant_type").map(String::as_str) {
        Some("password") | Some("client_credentials") => {
            let mut state = shared.state();
            state.grants.push(Grant::default());
            let grant = state.grants.len() - 1;
            issue(shared, &mut state, grant)
        }
        Some("refresh_token") => {
            shared.refreshes.fetch_add(1, Ordering::SeqCst);
            let Some(presented) = form.get("refresh_token") else {
                return error("invalid_request");
            };
            // Check and spend the token at once, then wait: a racing second use of the
            // same token during the wait is a reuse, as on a real server.
            let grant = {
                let mut state = shared.state();
                let Some(&grant) = state.refresh_owner.get(presented) else {
                    return error("invalid_grant");
                };
                if state.grants[grant].revoked {
                    return error("invalid_grant");
                }
                if state.grants[grant].current_refresh != *presented {
                    shared.reuses.fetch_add(1, Ordering::SeqCst);
                    state.grants[grant].revoked = true;
                    return error("invalid_grant");
                }
                state.grants[grant].current_refresh = String::new();
                grant
            };
            std::thread::sleep(shared.config.refresh_delay);
            let mut state = shared.state();
            if state.grants[grant].revoked {
                return error("invalid_grant");
            }
            issue(shared, &mut state, grant)
        }
        _ => error("unsupported_grant_type"),
    }
}

fn issue(shared: &Shared, state: &mut State, grant: usize) -> (u16, String) {
    state.serial += 1;
    let n = state.serial;
    let access = format!("strict-at-{grant}-{n}");
    let refresh = format!("strict-rt-{grant}-{n}");
    let expires_at = shared.started.elapsed().as_secs_f64() + shared.config.expires_in as f64;
    state.access.insert(access.clone(), (grant, expires_at));
    state.refresh_owner.insert(refresh.clone(), grant);
    state.grants[grant].current_refresh = refresh.clone();
    state.current_access = Some(access.clone());
    (
        200,
        serde_json::json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": shared.config.expires_in,
            "refresh_token": refresh,
        })
        .to_string(),
    )
}

fn api(shared: &Shared, request: &Request) -> (u16, String) {
    let bearer = request
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .and_then(|(_, v)| v.strip_prefix("Bearer "));
    let state = shared.state();
    let valid = bearer
        .and_then(|b| state.access.get(b))
        .is_some_and(|(grant, expires_at)| {
            !state.grants[*grant].revoked && *expires_at > shared.started.elapsed().as_secs_f64()
        });
    if valid {
        (
            200,
            r#"{"sub":"strict-user","login":"strict-user"}"#.to_owned(),
        )
    } else {
        (401, r#"{"error":"invalid_token"}"#.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(server: &StrictTokenServer, body: &str) -> (u16, serde_json::Value) {
        let mut tcp = TcpStream::connect(server.addr()).unwrap();
        write!(
            tcp,
            "POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().unwrap();
        let json = answer.split("\r\n\r\n").nth(1).unwrap();
        (status, serde_json::from_str(json).unwrap())
    }

    fn refresh(server: &StrictTokenServer, rt: &str) -> (u16, serde_json::Value) {
        post(
            server,
            &format!("grant_type=refresh_token&refresh_token={rt}"),
        )
    }

    #[test]
    fn refresh_rotates_and_a_reuse_revokes_the_grant() {
        let server =
            StrictTokenServer::start(StrictConfig::new().with_refresh_delay(Duration::ZERO));
        let (status, first) = post(&server, "grant_type=password&username=u&password=p");
        assert_eq!(status, 200);
        let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
        let (status, second) = refresh(&server, &rt1);
        assert_eq!(status, 200);
        let rt2 = second["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(rt1, rt2, "refresh tokens rotate");
        assert_eq!(
            server.current_access_token().as_deref(),
            second["access_token"].as_str()
        );
        // rt1 again: a reuse, which revokes the grant, so rt2 is dead too.
        let (status, answer) = refresh(&server, &rt1);
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        assert_eq!(server.reuses(), 1);
        assert!(server.any_grant_revoked());
        assert_eq!(refresh(&server, &rt2).0, 400);
        assert_eq!(server.current_access_token(), None);
        assert_eq!((server.refreshes(), server.requests()), (3, 4));
    }
}
