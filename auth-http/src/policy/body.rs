//! The response size cap.

use std::io::Read;

use auth_core::Error;
use auth_core::http::without_query;
use http::header::{self, HeaderMap};
use url::Url;
/// Reads a response body chunk by chunk, failing as soon as it passes the cap. A
/// transport gets one from [`Exchange::body_collector`](super::Exchange::body_collector)
/// and pushes each chunk as it arrives; on an error it stops reading and drops the
/// connection.
///
/// ```
/// # use auth_http::policy::Exchange;
/// # let url = "https://api.example/x".parse().unwrap();
/// # let headers = http::HeaderMap::new();
/// let config = auth_core::HttpConfig::default().with_max_response_bytes(8);
/// let exchange = Exchange::new(&http::Method::GET, &url, &headers, b"", &config);
/// let mut collector = exchange.body_collector(http::StatusCode::OK, &http::HeaderMap::new())?;
/// collector.push(b"hello")?;
/// assert_eq!(collector.finish(), b"hello");
/// # Ok::<(), auth_core::Error>(())
/// ```
pub struct BodyCollector {
    /// Where the response comes from; written without its query only in an error.
    url: Url,
    limit: u64,
    body: Vec<u8>,
}

impl std::fmt::Debug for BodyCollector {
    /// The URL without its query (which may hold a code), the cap, and how much was read.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyCollector")
            .field("url", &without_query(&self.url))
            .field("limit", &self.limit)
            .field("read", &self.body.len())
            .finish()
    }
}

impl BodyCollector {
    /// A collector for a response from `url` with these headers. Fails at once when the
    /// declared `Content-Length` is over `limit`.
    pub(crate) fn new(url: &Url, limit: u64, headers: &HeaderMap) -> Result<Self, Error> {
        let collector = BodyCollector {
            url: url.clone(),
            limit,
            body: Vec::new(),
        };
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match declared {
            Some(length) if length > limit => Err(collector.too_large()),
            Some(length) => Ok(BodyCollector {
                body: Vec::with_capacity(usize::try_from(length).unwrap_or(0).min(64 * 1024)),
                ..collector
            }),
            None => Ok(collector),
        }
    }

    /// Adds a chunk; an error once the total passes the cap (stop reading then).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let total = self.body.len() as u64 + chunk.len() as u64;
        if total > self.limit {
            return Err(self.too_large());
        }
        self.body.extend_from_slice(chunk);
        Ok(())
    }

    /// Reads `reader` to its end into the body, straight into the body's own buffer (no
    /// intermediate buffer to fill), failing as soon as the total passes the cap: at most
    /// one byte over the cap is read. `map` turns a read error into the transport's
    /// error (see [`Exchange::transport_error`](super::Exchange::transport_error)).
    ///
    /// ```
    /// # use auth_http::policy::Exchange;
    /// # let url = "https://api.example/x".parse().unwrap();
    /// # let headers = http::HeaderMap::new();
    /// let config = auth_core::HttpConfig::default().with_max_response_bytes(8);
    /// let exchange = Exchange::new(&http::Method::GET, &url, &headers, b"", &config);
    /// let fail = |e: std::io::Error| auth_core::Error::config(e.to_string());
    /// let mut collector = exchange.body_collector(http::StatusCode::OK, &http::HeaderMap::new())?;
    /// collector.read_from(&b"hello"[..], fail)?;
    /// assert_eq!(collector.finish(), b"hello");
    ///
    /// let mut collector = exchange.body_collector(http::StatusCode::OK, &http::HeaderMap::new())?;
    /// assert!(collector.read_from(&b"more than eight"[..], fail).is_err());
    /// # Ok::<(), auth_core::Error>(())
    /// ```
    pub fn read_from(
        &mut self,
        reader: impl Read,
        map: impl FnOnce(std::io::Error) -> Error,
    ) -> Result<(), Error> {
        let room = self.limit.saturating_sub(self.body.len() as u64);
        // `read_to_end` retries interrupted reads itself.
        reader
            .take(room.saturating_add(1))
            .read_to_end(&mut self.body)
            .map_err(map)?;
        if self.body.len() as u64 > self.limit {
            return Err(self.too_large());
        }
        Ok(())
    }

    /// The whole body.
    pub fn finish(self) -> Vec<u8> {
        self.body
    }

    fn too_large(&self) -> Error {
        Error::ResponseTooLarge {
            url: without_query(&self.url),
            limit: self.limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    use crate::policy::tests::url;

    #[test]
    fn body_collector_caps() {
        let u = url("https://api.example/x?code=SECRET");
        let mut c = BodyCollector::new(&u, 4, &HeaderMap::new()).unwrap();
        c.push(b"ab").unwrap();
        c.push(b"cd").unwrap();
        let err = c.push(b"e").unwrap_err();
        assert!(matches!(err, Error::ResponseTooLarge { limit: 4, .. }));
        assert!(!err.to_string().contains("SECRET"));
        assert!(!format!("{c:?}").contains("SECRET"), "{c:?}");

        let mut declared = HeaderMap::new();
        declared.insert(header::CONTENT_LENGTH, HeaderValue::from_static("5"));
        assert!(BodyCollector::new(&u, 4, &declared).is_err());
        declared.insert(header::CONTENT_LENGTH, HeaderValue::from_static("4"));
        let mut c = BodyCollector::new(&u, 4, &declared).unwrap();
        c.push(b"abcd").unwrap();
        assert_eq!(c.finish(), b"abcd");
    }

    #[test]
    fn body_collector_reads_up_to_the_cap() {
        let u = url("https://api.example/x?code=SECRET");
        let fail = |e: std::io::Error| Error::config(e.to_string());
        let mut c = BodyCollector::new(&u, 4, &HeaderMap::new()).unwrap();
        c.push(b"ab").unwrap();
        c.read_from(&b"cd"[..], fail).unwrap();
        assert_eq!(c.finish(), b"abcd");

        let mut c = BodyCollector::new(&u, 4, &HeaderMap::new()).unwrap();
        c.push(b"ab").unwrap();
        let err = c.read_from(&b"cde"[..], fail).unwrap_err();
        assert!(matches!(err, Error::ResponseTooLarge { limit: 4, .. }));
        assert!(!err.to_string().contains("SECRET"));

        // an endless body is cut one byte past the cap
        let mut endless = std::io::repeat(b'x');
        let mut c = BodyCollector::new(&u, 4, &HeaderMap::new()).unwrap();
        assert!(c.read_from(&mut endless, fail).is_err());
        assert_eq!(c.body.len(), 5);

        let broken = std::io::Error::other("reset");
        let mut c = BodyCollector::new(&u, 4, &HeaderMap::new()).unwrap();
        struct Broken(Option<std::io::Error>);
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(self
                    .0
                    .take()
                    .unwrap_or_else(|| std::io::Error::other("again")))
            }
        }
        let err = c.read_from(Broken(Some(broken)), fail).unwrap_err();
        assert!(err.to_string().contains("reset"), "{err}");
    }
}
