//! [`RecordingServer`]: a plain HTTP/1.1 server on 127.0.0.1 that records the head of
//! every request, for tests of where a token goes (which requests carry `Authorization`).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server on 127.0.0.1 that answers each request with `answer(head)` (a whole raw
/// response; see [`respond`]) and records every request head. One request per connection.
///
/// ```
/// use auth_testkit::{RecordingServer, respond};
///
/// let server = RecordingServer::start(|head| {
///     if head.contains("authorization: Bearer t") {
///         respond("200 OK", "", "hello")
///     } else {
///         respond("401 Unauthorized", "", "")
///     }
/// });
/// assert!(server.origin().starts_with("http://127.0.0.1:"));
/// assert!(server.heads().is_empty());
/// assert_eq!(server.authorizations(), Vec::<Option<String>>::new());
/// ```
#[derive(Debug)]
pub struct RecordingServer {
    origin: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl RecordingServer {
    /// Starts the server; it runs until the test process ends.
    ///
    /// ```
    /// let s = auth_testkit::RecordingServer::start(|_| auth_testkit::respond("204 No Content", "", ""));
    /// assert!(s.url("/x").ends_with("/x"));
    /// ```
    pub fn start(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> RecordingServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test server");
        let origin = format!("http://{}", listener.local_addr().expect("local addr"));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&heads);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let Ok(read_half) = stream.try_clone() else {
                    continue;
                };
                let mut reader = BufReader::new(read_half);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                if head.is_empty() {
                    continue;
                }
                let reply = answer(&head);
                seen.lock().expect("heads").push(head);
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        RecordingServer { origin, heads }
    }

    /// `http://127.0.0.1:PORT`.
    ///
    /// ```
    /// let s = auth_testkit::RecordingServer::start(|_| auth_testkit::respond("200 OK", "", ""));
    /// assert!(!s.origin().ends_with('/'));
    /// ```
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The origin joined with `path` (which starts with `/`).
    ///
    /// ```
    /// let s = auth_testkit::RecordingServer::start(|_| auth_testkit::respond("200 OK", "", ""));
    /// assert_eq!(s.url("/me"), format!("{}/me", s.origin()));
    /// ```
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Every request head received so far (request line and headers), in order.
    ///
    /// ```
    /// let s = auth_testkit::RecordingServer::start(|_| auth_testkit::respond("200 OK", "", ""));
    /// assert!(s.heads().is_empty());
    /// ```
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("heads").clone()
    }

    /// For each request so far, the value of its `Authorization` header, if any.
    ///
    /// ```
    /// let s = auth_testkit::RecordingServer::start(|_| auth_testkit::respond("200 OK", "", ""));
    /// assert!(s.authorizations().iter().all(Option::is_none));
    /// ```
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.heads()
            .iter()
            .map(|head| {
                head.lines().skip(1).find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.trim()
                        .eq_ignore_ascii_case("authorization")
                        .then(|| value.trim().to_owned())
                })
            })
            .collect()
    }
}

/// A whole raw HTTP/1.1 response: status line (`"200 OK"`), `extra` header lines (each
/// ending in `\r\n`), a `Content-Length`, `Connection: close` and the body.
///
/// ```
/// let r = auth_testkit::respond("302 Found", "Location: /x\r\n", "");
/// assert!(r.starts_with("HTTP/1.1 302 Found\r\nLocation: /x\r\n"));
/// ```
pub fn respond(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}
