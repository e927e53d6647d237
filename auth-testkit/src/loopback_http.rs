//! [`LoopbackHttp`]: a tiny blocking HTTP/1.1 client for tests of crates that must not
//! depend on a real transport (flows, stores): plain `http://` to loopback hosts only.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use auth_core::http::is_loopback_host;
use auth_core::{Error, HttpBackend, HttpRequest, HttpResponse, TransportErrorKind};

/// A test transport: one connection per request (`Connection: close`), no redirects,
/// no retries, loopback `http://` only. It records every request it sends, so tests can
/// pin exact requests ([`LoopbackHttp::sent`]).
///
/// ```no_run
/// use auth_core::HttpBackend;
/// let http = auth_testkit::LoopbackHttp::default();
/// let request = http::Request::get("http://127.0.0.1:8080/").body(Vec::new()).unwrap();
/// let response = pollster::block_on(http.send(request)).unwrap();
/// assert_eq!(http.sent().len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct LoopbackHttp {
    sent: Mutex<Vec<SentRequest>>,
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
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body decoded as form fields.
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

impl LoopbackHttp {
    /// Every request sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentRequest> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn send_blocking(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let url = url::Url::parse(&request.uri().to_string())
            .map_err(|e| Error::config(e.to_string()))?;
        let host = url.host_str().unwrap_or_default().to_owned();
        if url.scheme() != "http" || !is_loopback_host(&host) {
            return Err(Error::config(format!(
                "LoopbackHttp only sends http:// to loopback hosts, not {url}"
            )));
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let transport = |kind, e: std::io::Error| Error::Transport {
            host: format!("{host}:{port}"),
            kind,
            message: e.to_string(),
        };
        let mut stream =
            TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))
                .map_err(|e| transport(TransportErrorKind::ConnectionRefused, e))?;
        stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
        let mut path = url.path().to_owned();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        let mut head = format!(
            "{} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n",
            request.method()
        );
        let mut headers = Vec::new();
        for (name, value) in request.headers() {
            let value = value.to_str().unwrap_or_default();
            headers.push((name.as_str().to_owned(), value.to_owned()));
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", request.body().len()));
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(SentRequest {
                method: request.method().to_string(),
                url: url.to_string(),
                headers,
                body: request.body().clone(),
            });
        stream
            .write_all(head.as_bytes())
            .and_then(|_| stream.write_all(request.body()))
            .map_err(|e| transport(TransportErrorKind::ConnectionReset, e))?;
        let mut reader = BufReader::new(stream);
        let mut status_line = String::new();
        reader
            .read_line(&mut status_line)
            .map_err(|e| transport(TransportErrorKind::ConnectionReset, e))?;
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::InvalidResponse {
                url: url.to_string(),
                status: 0,
                problem: "not an HTTP response".into(),
                excerpt: auth_core::redact::excerpt(status_line.as_bytes()),
            })?;
        let mut builder = http::Response::builder().status(status);
        let mut length = None;
        let mut chunked = false;
        loop {
            let mut line = String::new();
            reader
                .read_line(&mut line)
                .map_err(|e| transport(TransportErrorKind::ConnectionReset, e))?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let (name, value) = (name.trim(), value.trim());
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse::<usize>().ok();
                }
                if name.eq_ignore_ascii_case("transfer-encoding")
                    && value.eq_ignore_ascii_case("chunked")
                {
                    chunked = true;
                }
                builder = builder.header(name, value);
            }
        }
        let mut body = Vec::new();
        let io = |e| transport(TransportErrorKind::ConnectionReset, e);
        if chunked {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).map_err(io)?;
                let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                    .unwrap_or(0);
                if size == 0 {
                    break;
                }
                let mut chunk = vec![0; size + 2];
                reader.read_exact(&mut chunk).map_err(io)?;
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            reader.read_exact(&mut body).map_err(io)?;
        } else {
            reader.read_to_end(&mut body).map_err(io)?;
        }
        builder.body(body).map_err(|e| Error::config(e.to_string()))
    }
}

#[async_trait]
impl HttpBackend for LoopbackHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        self.send_blocking(request)
    }
}
