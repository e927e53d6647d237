//! The little HTTP/1.1 the server speaks: one request head per connection, parsed by
//! `httparse`, within a size limit and a deadline; a small body is read and discarded.
//!
//! The request line must be ASCII (RFC 9112 §3); header values may hold any bytes, and a
//! header line that is not a header is skipped, as browsers' stray bytes should not cost
//! the person their login. Only `Host` and `Content-Length` are read from the headers.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::MAX_REQUEST_HEAD_BYTES;
use super::callback::Page;

/// How long a connection may take to send its request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// How long a connection may stay silent before its first byte; a silent connection is
/// then dropped, so idle connections cannot hold the server's reader slots.
pub(super) const FIRST_BYTE_DEADLINE: Duration = Duration::from_secs(2);
/// Request bodies up to this size are read and discarded so that closing the connection
/// does not reset it before the client has read the answer.
const MAX_BODY_DRAIN: usize = 64 * 1024;
/// The most header lines a request head may have (browsers send about twenty); more are
/// answered like a head that is too large.
const MAX_HEADERS: usize = 100;

/// The parts of a request head the server uses.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct RequestHead {
    pub(super) method: String,
    pub(super) target: String,
    /// The `Host` header (the last one), when it is UTF-8.
    pub(super) host: Option<String>,
    pub(super) content_length: Option<usize>,
}

impl RequestHead {
    pub(super) fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// Why a request was not passed on.
pub(super) enum ReadError {
    /// The connection closed or stayed silent: close without an answer.
    Silent,
    /// Malformed or too large: answer this page and close.
    Answer(Page),
}

/// Reads the request head (at most [`MAX_REQUEST_HEAD_BYTES`], within [`HEAD_DEADLINE`],
/// the first byte within [`FIRST_BYTE_DEADLINE`]) and discards a small body.
/// `first_byte` is called once, when the first bytes arrive.
pub(super) fn read_request(
    stream: &mut TcpStream,
    first_byte: impl FnOnce(),
) -> Result<RequestHead, ReadError> {
    let started = Instant::now();
    let mut first_byte = Some(first_byte);
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let (head, body_start) = loop {
        if let Some(parsed) = parse_request_head(&buf).map_err(ReadError::Answer)? {
            break parsed;
        }
        if buf.len() > MAX_REQUEST_HEAD_BYTES {
            return Err(ReadError::Answer(Page::head_too_large()));
        }
        if buf.is_empty() && started.elapsed() >= FIRST_BYTE_DEADLINE {
            return Err(ReadError::Silent);
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
            Ok(n) => {
                if let Some(notify) = first_byte.take() {
                    notify();
                }
                buf.extend_from_slice(&chunk[..n]);
            }
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

/// Parses the request head at the start of `buf`: `Ok(None)` while it is incomplete, else
/// the head and where the body starts. A malformed head is the page to answer.
pub(super) fn parse_request_head(buf: &[u8]) -> Result<Option<(RequestHead, usize)>, Page> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let mut config = httparse::ParserConfig::default();
    config
        .allow_multiple_spaces_in_request_line_delimiters(true)
        .ignore_invalid_headers_in_requests(true);
    let body_start = match config.parse_request(&mut request, buf) {
        Ok(httparse::Status::Complete(body_start)) => body_start,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(Page::head_too_large()),
        Err(_) => return Err(Page::bad_request()),
    };
    let (Some(method), Some(target)) = (request.method, request.path) else {
        return Err(Page::bad_request());
    };
    if !target.is_ascii() {
        return Err(Page::bad_request());
    }
    let header = |name: &str| {
        request
            .headers
            .iter()
            .rfind(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .map(str::trim)
    };
    let content_length = header("content-length").and_then(|v| v.parse::<usize>().ok());
    let head = RequestHead {
        method: method.to_owned(),
        target: target.to_owned(),
        host: header("host").map(str::to_owned),
        content_length,
    };
    Ok(Some((head, body_start)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Parses `head` followed by the blank line that ends a head; an incomplete or
    /// malformed head is an error.
    fn parse_complete(head: &[u8]) -> Result<RequestHead, &'static str> {
        let mut buf = head.to_vec();
        buf.extend_from_slice(b"\r\n\r\n");
        match parse_request_head(&buf) {
            Ok(Some((head, _))) => Ok(head),
            Ok(None) => Err("incomplete"),
            Err(_) => Err("malformed"),
        }
    }

    /// Where the body starts, once the head is complete.
    fn body_start(buf: &[u8]) -> Option<usize> {
        parse_request_head(buf)
            .ok()
            .flatten()
            .map(|(_, start)| start)
    }

    #[test]
    fn request_heads() {
        let head = parse_complete(
            b"GET /?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nCookie: \xff\xfe",
        )
        .unwrap();
        assert_eq!(
            head,
            RequestHead {
                method: "GET".into(),
                target: "/?a=1".into(),
                host: Some("x".into()),
                content_length: Some(12)
            }
        );
        assert_eq!(
            parse_complete(b"POST / HTTP/1.0\ncontent-length:  3 ")
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
                parse_complete(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(body_start(b"GET / HTTP/1.1\r\n\r\nbody"), Some(18));
        assert_eq!(body_start(b"GET / HTTP/1.1\n\nbody"), Some(16));
        assert_eq!(body_start(b"GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn stray_header_lines_are_skipped_and_too_many_headers_are_refused() {
        let head = parse_complete(b"GET /cb HTTP/1.1\r\nnot a header\r\nHost: x").unwrap();
        assert_eq!(head.target, "/cb");
        let mut many = b"GET / HTTP/1.1".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("\r\nX-{i}: v").as_bytes());
        }
        assert_eq!(parse_complete(&many), Err("malformed"));
    }

    proptest! {
        #[test]
        fn request_head_parsing_never_panics(head in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_request_head(&head);
        }
    }
}

#[cfg(test)]
#[path = "http1_proptest.rs"]
mod proptests;
