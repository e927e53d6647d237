//! The response size cap.

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
#[derive(Debug)]
pub struct BodyCollector {
    url: String,
    limit: u64,
    body: Vec<u8>,
}

impl BodyCollector {
    /// A collector for a response from `url` with these headers. Fails at once when the
    /// declared `Content-Length` is over `limit`.
    pub(crate) fn new(url: &Url, limit: u64, headers: &HeaderMap) -> Result<Self, Error> {
        let collector = BodyCollector {
            url: without_query(url),
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

    /// The whole body.
    pub fn finish(self) -> Vec<u8> {
        self.body
    }

    fn too_large(&self) -> Error {
        Error::ResponseTooLarge {
            url: self.url.clone(),
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

        let mut declared = HeaderMap::new();
        declared.insert(header::CONTENT_LENGTH, HeaderValue::from_static("5"));
        assert!(BodyCollector::new(&u, 4, &declared).is_err());
        declared.insert(header::CONTENT_LENGTH, HeaderValue::from_static("4"));
        let mut c = BodyCollector::new(&u, 4, &declared).unwrap();
        c.push(b"abcd").unwrap();
        assert_eq!(c.finish(), b"abcd");
    }
}
