//! The local server every network row talks to: HTTP/1.1 on 127.0.0.1, keep-alive, one
//! thread per connection, and an answer at once, so what is measured is the client's own
//! cost. `/token` answers a bearer token; `/authorize` redirects to the request's
//! `redirect_uri` with a code and the request's `state`, as an authorization server
//! whose person approves at once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

/// The token endpoint's answer.
pub(crate) const TOKEN_JSON: &str =
    r#"{"access_token":"bench-access-token","token_type":"bearer","expires_in":3600}"#;

/// A running server; it lives as long as the bench process.
pub(crate) struct Server {
    addr: SocketAddr,
}

impl Server {
    /// Binds a free port of 127.0.0.1 and serves from a background thread.
    pub(crate) fn start() -> Result<Server, String> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        Ok(Server { addr })
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Answers the requests of one connection until the client closes it.
fn serve(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut writer = write_half;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut content_length = 0usize;
        let mut close = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.eq_ignore_ascii_case("close");
                }
            }
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let target = request_line.split(' ').nth(1).unwrap_or("/");
        let response = answer(target);
        if writer.write_all(response.as_bytes()).is_err() || close {
            return;
        }
    }
}

/// The whole HTTP response to a request for `target`.
fn answer(target: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/token" => format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: no-store\r\n\
             content-length: {}\r\n\r\n{TOKEN_JSON}",
            TOKEN_JSON.len()
        ),
        "/authorize" => {
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
                    .map(percent_decode)
                    .unwrap_or_default()
            };
            let redirect = param("redirect_uri");
            let state = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("state="))
                .unwrap_or("");
            let sep = if redirect.contains('?') { '&' } else { '?' };
            format!(
                "HTTP/1.1 302 Found\r\nlocation: {redirect}{sep}code=bench-code&state={state}\r\n\
                 content-length: 0\r\n\r\n"
            )
        }
        _ => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_owned(),
    }
}

/// Decodes `%XX` escapes (the redirect URI in the authorization request).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
