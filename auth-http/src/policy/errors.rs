//! Transport errors without secrets, and the classification of library errors.

use std::error::Error as StdError;
use std::io;

use auth_core::http::{host_port, without_query};
use auth_core::{Error, TransportErrorKind};
use http::header::HeaderMap;
use url::Url;

/// The longest transport error message kept (after scrubbing).
const MAX_MESSAGE_CHARS: usize = 300;

/// A [`Error::Transport`] for `url` whose message contains neither the URL's query,
/// its password, nor the value of any request header.
pub(crate) fn transport_error(
    url: &Url,
    headers: &HeaderMap,
    kind: TransportErrorKind,
    message: &str,
) -> Error {
    Error::Transport {
        host: host_port(url),
        kind,
        message: scrub(message, url, headers),
    }
}

/// Removes what may be secret from a library's error message: the full URL (replaced by
/// the URL without query), the query itself, a password in the URL, and header values.
pub(crate) fn scrub(message: &str, url: &Url, headers: &HeaderMap) -> String {
    let mut out = message.replace(url.as_str(), &without_query(url));
    // Query values, fragment and password from 4 characters; whole header values from 6,
    // and the words of a header value ("Bearer <token>") from 8. Shorter strings would
    // mangle ordinary words of the message without protecting anything.
    let mut secrets: Vec<&str> = Vec::new();
    if let Some(query) = url.query().filter(|q| !q.is_empty()) {
        secrets.push(query);
        secrets.extend(
            query
                .split('&')
                .filter_map(|pair| pair.split_once('=').map(|(_, v)| v))
                .filter(|v| v.len() >= 4),
        );
    }
    secrets.extend(url.fragment().filter(|f| f.len() >= 4));
    secrets.extend(url.password().filter(|p| p.len() >= 4));
    for value in headers.values() {
        if let Ok(value) = value.to_str() {
            if value.len() >= 6 {
                secrets.push(value);
            }
            secrets.extend(value.split_whitespace().filter(|w| w.len() >= 8));
        }
    }
    out = auth_core::redact::replace_values(&out, secrets);
    auth_core::redact::shorten(&out, MAX_MESSAGE_CHARS)
}

/// The transport failure class of an I/O error kind, if it has one: refused, reset
/// (reset, aborted, broken pipe, unexpected end) or read timeout.
///
/// ```
/// use auth_core::TransportErrorKind;
/// use auth_http::policy::classify_io;
/// assert_eq!(classify_io(std::io::ErrorKind::ConnectionRefused), Some(TransportErrorKind::ConnectionRefused));
/// assert_eq!(classify_io(std::io::ErrorKind::InvalidData), None);
/// ```
pub fn classify_io(kind: io::ErrorKind) -> Option<TransportErrorKind> {
    use io::ErrorKind as K;
    Some(match kind {
        K::ConnectionRefused => TransportErrorKind::ConnectionRefused,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            TransportErrorKind::ConnectionReset
        }
        K::TimedOut | K::WouldBlock => TransportErrorKind::ReadTimeout,
        _ => return None,
    })
}

/// Walks an error's source chain (looking inside [`io::Error`]s too, whose `source()`
/// skips the wrapped error) for an [`io::Error`] with a known class.
///
/// ```
/// use auth_core::TransportErrorKind;
/// let reset = std::io::Error::other(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
/// assert_eq!(auth_http::policy::classify_chain(&reset), Some(TransportErrorKind::ConnectionReset));
/// ```
pub fn classify_chain(error: &(dyn StdError + 'static)) -> Option<TransportErrorKind> {
    let mut current = Some(error);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            if let Some(kind) = classify_io(io.kind()) {
                return Some(kind);
            }
            if let Some(kind) = io.get_ref().and_then(|inner| classify_chain(inner)) {
                return Some(kind);
            }
        }
        current = err.source();
    }
    None
}

/// True when the error or one of its sources (looking inside [`io::Error`]s too) is `E`.
#[cfg(any(feature = "ureq", feature = "reqwest"))]
pub(crate) fn chain_contains<E: StdError + 'static>(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(err) = current {
        if err.is::<E>() {
            return true;
        }
        if let Some(inner) = err.downcast_ref::<io::Error>().and_then(|io| io.get_ref())
            && chain_contains::<E>(inner)
        {
            return true;
        }
        current = err.source();
    }
    false
}

/// True when a TLS library error is somewhere in the chain.
#[cfg(any(feature = "ureq", feature = "reqwest"))]
pub(crate) fn is_tls_failure(error: &(dyn StdError + 'static)) -> bool {
    chain_contains::<rustls::Error>(error)
}

/// An error and its sources, joined with ": ", without repeating a message that its
/// source already contains. Pass the result to
/// [`Exchange::transport_error`](super::Exchange::transport_error), which scrubs it.
///
/// ```
/// let err = std::io::Error::other("connection closed");
/// assert_eq!(auth_http::policy::chain_message(&err), "connection closed");
/// ```
pub fn chain_message(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(err) = current {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use http::header;

    use crate::policy::tests::url;

    #[test]
    fn scrub_removes_query_password_and_header_values() {
        let u = url("https://user:hunter22@api.example/cb?code=SECRETCODE&state=xyz1");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer TOKENVALUE"),
        );
        let raw = format!(
            "error for url ({}): bad code SECRETCODE sent with TOKENVALUE and hunter22\r\n",
            u
        );
        let out = scrub(&raw, &u, &headers);
        for secret in ["SECRETCODE", "TOKENVALUE", "hunter22", "xyz1", "\r"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("api.example/cb"), "{out}");
        let long = "x".repeat(1000);
        assert!(scrub(&long, &u, &headers).chars().count() <= MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn io_classes() {
        assert_eq!(
            classify_io(io::ErrorKind::ConnectionRefused),
            Some(TransportErrorKind::ConnectionRefused)
        );
        assert_eq!(
            classify_io(io::ErrorKind::UnexpectedEof),
            Some(TransportErrorKind::ConnectionReset)
        );
        assert_eq!(classify_io(io::ErrorKind::InvalidData), None);
        let nested = io::Error::other(io::Error::from(io::ErrorKind::ConnectionReset));
        let outer = io::Error::other(Wrapper(nested));
        assert_eq!(
            classify_chain(&Wrapper(outer)),
            Some(TransportErrorKind::ConnectionReset)
        );
        assert_eq!(
            chain_message(&Wrapper(io::Error::other("inner"))),
            "wrapper: inner"
        );
    }

    #[derive(Debug)]
    struct Wrapper(io::Error);
    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("wrapper")
        }
    }
    impl StdError for Wrapper {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn scrubbed_messages_never_contain_the_query(code in "[A-Za-z0-9]{4,20}") {
            let u: Url = format!("https://api.example/cb?code={code}").parse().unwrap();
            let message = format!("failed for {u} with {code}");
            prop_assert!(!scrub(&message, &u, &HeaderMap::new()).contains(&code));
        }
    }
}
