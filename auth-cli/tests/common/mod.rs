//! Shared by the integration tests: a stand-in browser.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// GETs an `http://` loopback URL and follows redirects (at most 5) into the loopback
/// server, as a person's browser would after they approve.
pub(crate) fn browse(url: &str) {
    let mut current = url.to_owned();
    for _ in 0..5 {
        let rest = current
            .strip_prefix("http://")
            .expect("an http:// loopback URL")
            .to_owned();
        let (authority, path) = rest
            .split_once('/')
            .map(|(a, p)| (a.to_owned(), format!("/{p}")))
            .unwrap_or((rest.clone(), "/".to_owned()));
        let Ok(mut stream) = TcpStream::connect(&authority) else {
            return;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let location = response
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(n, _)| n.eq_ignore_ascii_case("location"))
                    .map(|(_, v)| v.trim().to_owned())
            });
        match location {
            Some(next) => current = next,
            None => return,
        }
    }
}
