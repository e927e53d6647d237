//! [`LoopbackHttp`]: the real HTTP policy (`auth_http::policy`) over a small blocking
//! HTTP/1.1 transport on a plain `TcpStream`, recording every request it sends, for tests
//! of crates that must not depend on a real HTTP library (flows, stores). It sends plain
//! `http://` to loopback addresses only, and is itself an outside transport: it
//! implements only `auth_http::policy::SendOnce`, and passes the HTTP backend suite.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpStream};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use auth_core::http::is_loopback_host;
use auth_core::{Error, HttpBackend, HttpConfig, HttpRequest, HttpResponse, TransportErrorKind};
use auth_http::policy::{Exchange, PolicyBackend, SendOnce, classify_io};

/// A test transport running the real policy (hooks, URL security, size cap): one
/// connection per request (`Connection: close`), loopback `http://` only (`https://` is a
/// TLS error: it speaks no TLS). It records every request it sends, hop by hop, as sent
/// (hooks applied, `User-Agent` included), so tests can pin exact requests
/// ([`LoopbackHttp::sent`]).
///
/// [`LoopbackHttp::default`] follows no redirect and retries nothing, so a test sees each
/// answer as the server gave it; [`LoopbackHttp::with_config`] takes other settings.
///
/// ```no_run
/// use auth_core::HttpBackend;
/// let http = auth_testkit::LoopbackHttp::default();
/// let request = http::Request::get("http://127.0.0.1:8080/").body(Vec::new()).unwrap();
/// let response = pollster::block_on(http.send(request)).unwrap();
/// assert_eq!(http.sent().len(), 1);
/// ```
#[derive(Debug)]
pub struct LoopbackHttp {
    policy: PolicyBackend<Recorder>,
}

/// A request as [`LoopbackHttp`] sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentRequest {
    /// Method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl SentRequest {
    /// The first header of that (lower-case) name.
    ///
    /// ```
    /// let sent = auth_testkit::SentRequest {
    ///     method: "GET".into(),
    ///     url: "http://127.0.0.1/".into(),
    ///     headers: vec![("accept".into(), "text/plain".into())],
    ///     body: Vec::new(),
    /// };
    /// assert_eq!(sent.header("accept"), Some("text/plain"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body decoded as form fields.
    ///
    /// ```
    /// let sent = auth_testkit::SentRequest {
    ///     method: "POST".into(),
    ///     url: "http://127.0.0.1/".into(),
    ///     headers: Vec::new(),
    ///     body: b"a=1&b=x+y".to_vec(),
    /// };
    /// assert_eq!(sent.form(), [("a".into(), "1".into()), ("b".into(), "x y".into())]);
    /// ```
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

impl Default for LoopbackHttp {
    /// No redirect followed, no retry: each answer comes back as the server gave it.
    fn default() -> Self {
        LoopbackHttp::with_config(
            HttpConfig::default()
                .with_max_redirects(0)
                .with_max_retries(0),
        )
    }
}

impl LoopbackHttp {
    /// A test transport with these settings (redirects, retries, timeouts, size cap).
    ///
    /// ```
    /// let http = auth_testkit::LoopbackHttp::with_config(auth_core::HttpConfig::default());
    /// assert!(http.sent().is_empty());
    /// ```
    ///
    /// # Panics
    ///
    /// When the settings are invalid (a zero timeout, a user agent that is not a header
    /// value), as a test helper may.
    pub fn with_config(config: HttpConfig) -> Self {
        let policy = PolicyBackend::with_transport(Recorder::default(), config)
            .unwrap_or_else(|e| panic!("LoopbackHttp: invalid settings: {e}"));
        LoopbackHttp { policy }
    }

    /// Every request sent so far, oldest first.
    ///
    /// ```
    /// assert!(auth_testkit::LoopbackHttp::default().sent().is_empty());
    /// ```
    pub fn sent(&self) -> Vec<SentRequest> {
        self.policy
            .transport()
            .sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[async_trait]
impl HttpBackend for LoopbackHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        self.policy.send(request).await
    }
}

/// The one-hop transport: records, then speaks HTTP/1.1 over a `TcpStream`.
#[derive(Debug, Default)]
struct Recorder {
    sent: Mutex<Vec<SentRequest>>,
}

impl SendOnce for Recorder {
    async fn send_once(&self, exchange: Exchange<'_>) -> Result<HttpResponse, Error> {
        self.record(&exchange);
        exchange_over_tcp(&exchange)
    }

    async fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

impl Recorder {
    fn record(&self, ex: &Exchange<'_>) {
        let headers = ex
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    value.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(SentRequest {
                method: ex.method().to_string(),
                url: ex.url().to_string(),
                headers,
                body: ex.body().to_vec(),
            });
    }
}

/// True for loopback hosts, the IPv4-mapped forms of 127.0.0.0/8 included.
fn is_local(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    is_loopback_host(host)
        || match bare.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
            _ => false,
        }
}

fn exchange_over_tcp(ex: &Exchange<'_>) -> Result<HttpResponse, Error> {
    let url = ex.url();
    let host = url.host_str().unwrap_or_default();
    if url.scheme() != "http" {
        return Err(ex.transport_error(
            TransportErrorKind::Tls,
            "LoopbackHttp speaks plain HTTP only, no TLS",
        ));
    }
    if !is_local(host) {
        return Err(Error::config(format!(
            "LoopbackHttp only sends to loopback hosts, not {host}: tests must stay on this machine"
        )));
    }
    let config = ex.config();
    let io = |kind: Option<TransportErrorKind>, e: std::io::Error| {
        let kind = kind
            .or_else(|| classify_io(e.kind()))
            .unwrap_or(TransportErrorKind::Other);
        ex.transport_error(kind, &e.to_string())
    };
    let addrs = url.socket_addrs(|| Some(80)).map_err(|e| io(None, e))?;
    let mut last = std::io::Error::from(std::io::ErrorKind::AddrNotAvailable);
    let mut connected = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, config.connect_timeout) {
            Ok(stream) => {
                connected = Some(stream);
                break;
            }
            Err(e) => last = e,
        }
    }
    let connect_kind =
        (last.kind() == std::io::ErrorKind::TimedOut).then_some(TransportErrorKind::ConnectTimeout);
    let mut stream = connected.ok_or_else(|| io(connect_kind, last))?;
    stream
        .set_read_timeout(Some(config.read_timeout))
        .and_then(|()| stream.set_write_timeout(Some(config.read_timeout)))
        .map_err(|e| io(None, e))?;

    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let mut head = format!(
        "{} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n",
        ex.method()
    );
    for (name, value) in ex.headers() {
        if matches!(name.as_str(), "host" | "connection" | "content-length") {
            continue;
        }
        head.push_str(&format!(
            "{name}: {}\r\n",
            value.to_str().unwrap_or_default()
        ));
    }
    if !ex.sends_no_body() {
        head.push_str(&format!("Content-Length: {}\r\n", ex.body().len()));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(ex.body()))
        .map_err(|e| io(None, e))?;

    let mut reader = BufReader::new(stream);
    let reset = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            io(Some(TransportErrorKind::ConnectionReset), e)
        } else {
            io(None, e)
        }
    };
    let status_line = read_line(&mut reader).map_err(reset)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| http::StatusCode::from_u16(s).ok())
        .ok_or_else(|| {
            ex.transport_error(
                TransportErrorKind::Other,
                "the server did not answer with an HTTP/1.1 status line",
            )
        })?;
    let mut headers = http::HeaderMap::new();
    loop {
        let line = read_line(&mut reader).map_err(reset)?;
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.trim().as_bytes()),
                http::HeaderValue::from_str(value.trim()),
            )
        {
            headers.append(name, value);
        }
    }
    let mut collector = ex.body_collector(status, &headers)?;
    let no_body = *ex.method() == http::Method::HEAD
        || status.is_informational()
        || status == http::StatusCode::NO_CONTENT
        || status == http::StatusCode::NOT_MODIFIED;
    let header = |name: http::header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
    };
    let chunked = header(http::header::TRANSFER_ENCODING).is_some_and(|v| v.contains("chunked"));
    let length = header(http::header::CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
    if no_body {
    } else if chunked {
        loop {
            let size_line = read_line(&mut reader).map_err(reset)?;
            let size = size_line.split(';').next().unwrap_or("0").trim();
            let size = u64::from_str_radix(size, 16).map_err(|_| {
                ex.transport_error(TransportErrorKind::Other, "a malformed chunk size")
            })?;
            if size == 0 {
                break;
            }
            copy(&mut (&mut reader).take(size), &mut collector).map_err(|e| e.into_error(&io))?;
            read_line(&mut reader).map_err(reset)?;
        }
    } else if let Some(length) = length {
        copy(&mut (&mut reader).take(length), &mut collector).map_err(|e| e.into_error(&io))?;
    } else {
        copy(&mut reader, &mut collector).map_err(|e| e.into_error(&io))?;
    }
    let mut response = http::Response::new(collector.finish());
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// One line without its line break; an error at the end of the stream.
fn read_line(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Why copying a body stopped.
enum CopyError {
    Io(std::io::Error),
    Policy(Error),
}

impl CopyError {
    fn into_error(
        self,
        io: &impl Fn(Option<TransportErrorKind>, std::io::Error) -> Error,
    ) -> Error {
        match self {
            CopyError::Io(e) => io(None, e),
            CopyError::Policy(e) => e,
        }
    }
}

/// Reads `from` to its end into the collector, stopping at the size cap.
fn copy(
    from: &mut impl Read,
    collector: &mut auth_http::policy::BodyCollector,
) -> Result<(), CopyError> {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => collector.push(&buf[..n]).map_err(CopyError::Policy)?,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(CopyError::Io(e)),
        }
    }
}
