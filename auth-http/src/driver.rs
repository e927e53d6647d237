//! The logic both backends share: URL security checks, redirects, retries, the response
//! size cap and secret-free transport errors. A backend only supplies [`Transport`]: how
//! to send one request once, and how to wait.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::time::{Duration, SystemTime};

use auth_core::http::{check_url_security, host_port, same_origin, without_query};
use auth_core::{Error, HttpConfig, HttpRequest, HttpResponse, RequestKind, TransportErrorKind};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use url::Url;

/// The first wait between retries; doubled on each further attempt.
pub(crate) const BASE_BACKOFF: Duration = Duration::from_millis(200);

/// The longest transport error message kept (after scrubbing).
const MAX_MESSAGE_CHARS: usize = 300;

/// One attempt: everything a backend needs to send a request once.
#[derive(Debug)]
pub(crate) struct Exchange<'a> {
    /// The method.
    pub(crate) method: &'a Method,
    /// The absolute URL, already checked by [`check_url_security`].
    pub(crate) url: &'a Url,
    /// The headers, `User-Agent` included.
    pub(crate) headers: &'a HeaderMap,
    /// The body (may be empty).
    pub(crate) body: &'a [u8],
    /// The backend's settings.
    pub(crate) config: &'a HttpConfig,
}

impl Exchange<'_> {
    /// True when the request should go out without any body at all (no
    /// `Content-Length: 0` on a GET).
    pub(crate) fn sends_no_body(&self) -> bool {
        self.body.is_empty()
            && matches!(
                *self.method,
                Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS | Method::TRACE
            )
    }

    /// A transport error for this exchange, with a scrubbed message.
    pub(crate) fn transport_error(&self, kind: TransportErrorKind, message: &str) -> Error {
        transport_error(self.url, self.headers, kind, message)
    }

    /// A fresh body collector enforcing the size cap, failing at once when the declared
    /// `Content-Length` is already over it (except where it describes no body: HEAD,
    /// 204, 304).
    pub(crate) fn body_collector(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<BodyCollector, Error> {
        let declares_body = *self.method != Method::HEAD
            && status != StatusCode::NO_CONTENT
            && status != StatusCode::NOT_MODIFIED;
        let empty = HeaderMap::new();
        let headers = if declares_body { headers } else { &empty };
        BodyCollector::new(self.url, self.config.max_response_bytes, headers)
    }
}

/// What a backend implements: one request, once, with no redirect and no retry, the body
/// read through a [`BodyCollector`]; and a way to wait between retries.
pub(crate) trait Transport: Send + Sync {
    /// Sends `exchange` once and reads the whole response (status, headers, body).
    fn send_once(
        &self,
        exchange: Exchange<'_>,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + Send;

    /// Waits `duration` before the next attempt.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}

/// Checks the settings a backend is built with, so that a mistake shows up when the
/// backend is created rather than on the first request.
pub(crate) fn validate_config(config: &HttpConfig) -> Result<(), Error> {
    if HeaderValue::from_str(&config.user_agent).is_err() {
        return Err(Error::config(format!(
            "the user agent {:?} is not a valid header value: use printable ASCII without line breaks",
            config.user_agent
        )));
    }
    for (name, value) in [
        ("connect_timeout", config.connect_timeout),
        ("read_timeout", config.read_timeout),
    ] {
        if value.is_zero() {
            return Err(Error::config(format!(
                "{name} is zero, so every request would time out: set it to a positive duration"
            )));
        }
    }
    Ok(())
}

/// Sends `request` through `transport` following the rules of the crate docs: URL
/// security for every hop, redirects per [`RequestKind`], bounded retries for idempotent
/// API requests, the default `User-Agent`.
pub(crate) async fn execute<T: Transport>(
    transport: &T,
    config: &HttpConfig,
    request: HttpRequest,
) -> Result<HttpResponse, Error> {
    let kind = RequestKind::of(&request);
    let (parts, mut body) = request.into_parts();
    let mut url = request_url(&parts.uri)?;
    check_url_security(&url, config.allow_insecure_http)?;

    let mut method = parts.method;
    let mut headers = parts.headers;
    if !headers.contains_key(header::USER_AGENT) && !config.user_agent.is_empty() {
        let value = HeaderValue::from_str(&config.user_agent).map_err(|_| {
            Error::config(
                "the configured user agent is not a valid header value: use printable ASCII",
            )
        })?;
        headers.insert(header::USER_AGENT, value);
    }

    let mut redirects = 0u32;
    loop {
        let response =
            send_with_retries(transport, config, kind, &method, &url, &headers, &body).await?;
        if kind == RequestKind::TokenEndpoint || config.max_redirects == 0 {
            return Ok(response);
        }
        let hop = next_hop(
            response.status(),
            response.headers().get(header::LOCATION),
            &url,
            &method,
            !body.is_empty(),
        );
        let Hop::Follow {
            url: target,
            method: next_method,
            keep_body,
        } = hop
        else {
            return Ok(response);
        };
        if redirects >= config.max_redirects {
            return Err(transport_error(
                &url,
                &headers,
                TransportErrorKind::TooManyRedirects,
                &format!(
                    "gave up after {} redirects (max_redirects)",
                    config.max_redirects
                ),
            ));
        }
        check_url_security(&target, config.allow_insecure_http)?;
        redirects += 1;

        if !same_origin(&url, &target) {
            for name in CROSS_ORIGIN_DROPPED {
                headers.remove(name);
            }
        }
        headers.remove(header::HOST);
        if !keep_body {
            body = Vec::new();
            for name in BODY_HEADERS {
                headers.remove(name);
            }
        }
        method = next_method;
        url = target;
    }
}

/// Headers that never follow a redirect to another origin.
const CROSS_ORIGIN_DROPPED: [HeaderName; 3] = [
    header::AUTHORIZATION,
    header::COOKIE,
    header::PROXY_AUTHORIZATION,
];

/// Headers describing a body, removed when a redirect turns the request into a GET.
const BODY_HEADERS: [HeaderName; 4] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::TRANSFER_ENCODING,
];

/// The request URI as an absolute URL.
fn request_url(uri: &http::Uri) -> Result<Url, Error> {
    if uri.scheme().is_none() || uri.host().is_none() {
        return Err(Error::config(format!(
            "the request URI {:?} is not absolute: build requests with a full https:// URL",
            uri.path()
        )));
    }
    Url::parse(&uri.to_string()).map_err(|e| {
        Error::config(format!(
            "the request URI for host {:?} is not a valid URL ({e}): check the endpoint URL",
            uri.host().unwrap_or_default()
        ))
    })
}

async fn send_with_retries<T: Transport>(
    transport: &T,
    config: &HttpConfig,
    kind: RequestKind,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<HttpResponse, Error> {
    let mut attempt = 0u32;
    loop {
        let outcome = transport
            .send_once(Exchange {
                method,
                url,
                headers,
                body,
                config,
            })
            .await;
        match retry_wait(kind, method, attempt, &outcome, config, SystemTime::now()) {
            Some(wait) => {
                transport.sleep(wait).await;
                attempt += 1;
            }
            None => return outcome,
        }
    }
}

/// True for the methods RFC 9110 §9.2.2 calls idempotent (TRACE aside).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// How long to wait before retrying `outcome`, or `None` to return it as it is.
///
/// Only idempotent API requests are retried, at most `max_retries` times, and only after
/// a refused or reset connection, a 429 or a 503. The wait is `Retry-After` when the
/// response has a usable one, else an exponential backoff from [`BASE_BACKOFF`]; either
/// is capped at `max_retry_wait`.
pub(crate) fn retry_wait(
    kind: RequestKind,
    method: &Method,
    attempt: u32,
    outcome: &Result<HttpResponse, Error>,
    config: &HttpConfig,
    now: SystemTime,
) -> Option<Duration> {
    if kind != RequestKind::Api || !is_idempotent(method) || attempt >= config.max_retries {
        return None;
    }
    let wait = match outcome {
        Ok(response)
            if matches!(
                response.status(),
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            ) =>
        {
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now))
                .unwrap_or_else(|| backoff(attempt))
        }
        Err(Error::Transport { kind, .. }) if kind.is_retryable() => backoff(attempt),
        _ => return None,
    };
    Some(wait.min(config.max_retry_wait))
}

/// The exponential backoff before retry number `attempt + 1`: 200 ms, 400 ms, 800 ms...
pub(crate) fn backoff(attempt: u32) -> Duration {
    BASE_BACKOFF.saturating_mul(2u32.saturating_pow(attempt.min(31)))
}

/// Parses a `Retry-After` value (RFC 9110 §10.2.3): delta-seconds or an HTTP-date.
/// A date in the past means "now". Anything else is `None`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // A number too large for u64 is still "a very long time".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What to do with a response: follow its redirect, or return it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Hop {
    /// Send the next request there.
    Follow {
        /// The absolute target.
        url: Url,
        /// The method for the next request.
        method: Method,
        /// Whether the body (and its headers) go along.
        keep_body: bool,
    },
    /// Return the response as it is.
    Stop,
}

/// The redirect rule for API requests.
///
/// - 301, 302, 303: the next request is a GET (a HEAD stays a HEAD) without body;
/// - 307, 308: method and body are kept; when there is something to keep (a body or a
///   method other than GET/HEAD) the redirect is only followed within the origin, else the
///   response is returned;
/// - no or unusable `Location`: the response is returned;
/// - a relative `Location` is resolved against `current`.
pub(crate) fn next_hop(
    status: StatusCode,
    location: Option<&HeaderValue>,
    current: &Url,
    method: &Method,
    has_body: bool,
) -> Hop {
    let see_other = matches!(status.as_u16(), 301..=303);
    let temporary = matches!(status.as_u16(), 307 | 308);
    if !see_other && !temporary {
        return Hop::Stop;
    }
    let Some(target) = location
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .and_then(|v| current.join(v).ok())
    else {
        return Hop::Stop;
    };
    if see_other {
        let method = if *method == Method::HEAD {
            Method::HEAD
        } else {
            Method::GET
        };
        return Hop::Follow {
            url: target,
            method,
            keep_body: false,
        };
    }
    let carries_something = has_body || !matches!(*method, Method::GET | Method::HEAD);
    if carries_something && !same_origin(current, &target) {
        return Hop::Stop;
    }
    Hop::Follow {
        url: target,
        method: method.clone(),
        keep_body: true,
    }
}

/// Reads a response body chunk by chunk, failing as soon as it passes the cap.
#[derive(Debug)]
pub(crate) struct BodyCollector {
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
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let total = self.body.len() as u64 + chunk.len() as u64;
        if total > self.limit {
            return Err(self.too_large());
        }
        self.body.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole body.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.body
    }

    fn too_large(&self) -> Error {
        Error::ResponseTooLarge {
            url: self.url.clone(),
            limit: self.limit,
        }
    }
}

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
    // Longest first, so a whole value goes before its parts.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in secrets {
        out = out.replace(secret, "***");
    }
    let mut out: String = out
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if out.chars().count() > MAX_MESSAGE_CHARS {
        out = out.chars().take(MAX_MESSAGE_CHARS).collect();
        out.push('…');
    }
    out
}

/// The transport failure class of an I/O error kind, if it has one.
pub(crate) fn classify_io(kind: io::ErrorKind) -> Option<TransportErrorKind> {
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
pub(crate) fn classify_chain(error: &(dyn StdError + 'static)) -> Option<TransportErrorKind> {
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
pub(crate) fn is_tls_failure(error: &(dyn StdError + 'static)) -> bool {
    chain_contains::<rustls::Error>(error)
}

/// An error and its sources, joined with ": ", without repeating a message that its
/// source already contains.
pub(crate) fn chain_message(error: &(dyn StdError + 'static)) -> String {
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
    use std::sync::Mutex;

    fn url(s: &str) -> Url {
        s.parse().unwrap()
    }

    fn response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
        let mut builder = http::Response::builder().status(status);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(Vec::new()).unwrap()
    }

    #[test]
    fn config_validation() {
        assert!(validate_config(&HttpConfig::default()).is_ok());
        let mut bad_agent = HttpConfig::default();
        bad_agent.user_agent = "app/1\r\nX-Injected: 1".into();
        let err = validate_config(&bad_agent).unwrap_err();
        assert!(err.to_string().contains("user agent"), "{err}");
        let mut no_time = HttpConfig::default();
        no_time.read_timeout = Duration::ZERO;
        let err = validate_config(&no_time).unwrap_err();
        assert!(err.to_string().contains("read_timeout"), "{err}");
        let mut empty_agent = HttpConfig::default();
        empty_agent.user_agent = String::new();
        assert!(
            validate_config(&empty_agent).is_ok(),
            "an empty agent sends none"
        );
    }

    #[test]
    fn retry_after_delta_seconds() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn retry_after_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        // past dates mean "retry now"
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        // the obsolete RFC 850 form is also an HTTP-date
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
    }

    #[test]
    fn retry_after_garbage_is_none() {
        let now = SystemTime::now();
        for v in ["", "  ", "-1", "1.5", "soon", "1 2", "Wed, 99 Foo 2015"] {
            assert_eq!(parse_retry_after(v, now), None, "{v:?}");
        }
    }

    #[test]
    fn backoff_doubles_and_saturates() {
        assert_eq!(backoff(0), Duration::from_millis(200));
        assert_eq!(backoff(1), Duration::from_millis(400));
        assert_eq!(backoff(3), Duration::from_millis(1600));
        assert!(backoff(u32::MAX) >= backoff(40));
    }

    #[test]
    fn retry_decision() {
        let config = HttpConfig::default();
        let now = SystemTime::now();
        let api = RequestKind::Api;
        let unavailable = Ok(response(503, &[("retry-after", "3")]));
        assert_eq!(
            retry_wait(api, &Method::GET, 0, &unavailable, &config, now),
            Some(Duration::from_secs(3))
        );
        // attempts are bounded
        assert_eq!(
            retry_wait(api, &Method::GET, 2, &unavailable, &config, now),
            None
        );
        // never POST, PATCH; never a token endpoint
        assert_eq!(
            retry_wait(api, &Method::POST, 0, &unavailable, &config, now),
            None
        );
        assert_eq!(
            retry_wait(api, &Method::PATCH, 0, &unavailable, &config, now),
            None
        );
        for method in [Method::GET, Method::POST] {
            assert_eq!(
                retry_wait(
                    RequestKind::TokenEndpoint,
                    &method,
                    0,
                    &unavailable,
                    &config,
                    now
                ),
                None
            );
        }
        // 429 without Retry-After backs off
        let busy = Ok(response(429, &[]));
        assert_eq!(
            retry_wait(api, &Method::PUT, 1, &busy, &config, now),
            Some(Duration::from_millis(400))
        );
        // other statuses are final
        for status in [200, 400, 401, 500, 502] {
            let r = Ok(response(status, &[]));
            assert_eq!(
                retry_wait(api, &Method::GET, 0, &r, &config, now),
                None,
                "{status}"
            );
        }
        // Retry-After is capped
        let long = Ok(response(503, &[("retry-after", "86400")]));
        assert_eq!(
            retry_wait(api, &Method::DELETE, 0, &long, &config, now),
            Some(config.max_retry_wait)
        );
        // refused and reset connections are retried; timeouts and TLS failures are not
        let u = url("https://api.example/x");
        for (kind, retried) in [
            (TransportErrorKind::ConnectionRefused, true),
            (TransportErrorKind::ConnectionReset, true),
            (TransportErrorKind::ReadTimeout, false),
            (TransportErrorKind::Tls, false),
            (TransportErrorKind::Dns, false),
        ] {
            let e = Err(transport_error(&u, &HeaderMap::new(), kind, "x"));
            assert_eq!(
                retry_wait(api, &Method::HEAD, 0, &e, &config, now).is_some(),
                retried,
                "{kind:?}"
            );
        }
        let big = Err(Error::ResponseTooLarge {
            url: "u".into(),
            limit: 1,
        });
        assert_eq!(retry_wait(api, &Method::GET, 0, &big, &config, now), None);
    }

    #[test]
    fn redirect_resolution() {
        let current = url("https://api.example/v1/items?page=2");
        let loc = |s: &str| HeaderValue::from_str(s).unwrap();
        // relative paths resolve against the current URL
        assert_eq!(
            next_hop(
                StatusCode::FOUND,
                Some(&loc("other")),
                &current,
                &Method::GET,
                false
            ),
            Hop::Follow {
                url: url("https://api.example/v1/other"),
                method: Method::GET,
                keep_body: false
            }
        );
        assert_eq!(
            next_hop(
                StatusCode::MOVED_PERMANENTLY,
                Some(&loc("/root?x=1")),
                &current,
                &Method::GET,
                false
            ),
            Hop::Follow {
                url: url("https://api.example/root?x=1"),
                method: Method::GET,
                keep_body: false
            }
        );
        // scheme-relative
        assert_eq!(
            next_hop(
                StatusCode::FOUND,
                Some(&loc("//cdn.example/a")),
                &current,
                &Method::GET,
                false
            ),
            Hop::Follow {
                url: url("https://cdn.example/a"),
                method: Method::GET,
                keep_body: false
            }
        );
        // 303 turns a POST into a GET without body; HEAD stays HEAD
        assert_eq!(
            next_hop(
                StatusCode::SEE_OTHER,
                Some(&loc("/done")),
                &current,
                &Method::POST,
                true
            ),
            Hop::Follow {
                url: url("https://api.example/done"),
                method: Method::GET,
                keep_body: false
            }
        );
        assert!(matches!(
            next_hop(
                StatusCode::FOUND,
                Some(&loc("/h")),
                &current,
                &Method::HEAD,
                false
            ),
            Hop::Follow {
                method: Method::HEAD,
                ..
            }
        ));
        // 307/308 keep method and body within the origin...
        assert_eq!(
            next_hop(
                StatusCode::TEMPORARY_REDIRECT,
                Some(&loc("/v2/items")),
                &current,
                &Method::PUT,
                true
            ),
            Hop::Follow {
                url: url("https://api.example/v2/items"),
                method: Method::PUT,
                keep_body: true
            }
        );
        // ...and stop before carrying a body or an unsafe method elsewhere
        for (method, body) in [(Method::POST, true), (Method::DELETE, false)] {
            assert_eq!(
                next_hop(
                    StatusCode::PERMANENT_REDIRECT,
                    Some(&loc("https://other.example/x")),
                    &current,
                    &method,
                    body
                ),
                Hop::Stop
            );
        }
        // a bodiless GET may go elsewhere (the driver drops credentials)
        assert!(matches!(
            next_hop(
                StatusCode::TEMPORARY_REDIRECT,
                Some(&loc("https://other.example/x")),
                &current,
                &Method::GET,
                false
            ),
            Hop::Follow {
                keep_body: true,
                ..
            }
        ));
        // not a redirect, or no usable Location
        assert_eq!(
            next_hop(
                StatusCode::OK,
                Some(&loc("/x")),
                &current,
                &Method::GET,
                false
            ),
            Hop::Stop
        );
        assert_eq!(
            next_hop(
                StatusCode::NOT_MODIFIED,
                Some(&loc("/x")),
                &current,
                &Method::GET,
                false
            ),
            Hop::Stop
        );
        assert_eq!(
            next_hop(StatusCode::FOUND, None, &current, &Method::GET, false),
            Hop::Stop
        );
        assert_eq!(
            next_hop(
                StatusCode::FOUND,
                Some(&loc("  ")),
                &current,
                &Method::GET,
                false
            ),
            Hop::Stop
        );
        assert_eq!(
            next_hop(
                StatusCode::FOUND,
                Some(&loc("http://[::1")),
                &current,
                &Method::GET,
                false
            ),
            Hop::Stop
        );
    }

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

    /// What the scripted transport was sent: method, URL, headers, body.
    type Sent = (Method, String, HeaderMap, Vec<u8>);

    /// A scripted transport: answers from a list and records what it was sent.
    struct Script {
        answers: Mutex<Vec<Result<HttpResponse, Error>>>,
        seen: Mutex<Vec<Sent>>,
        slept: Mutex<Vec<Duration>>,
    }

    impl Script {
        fn new(answers: Vec<Result<HttpResponse, Error>>) -> Self {
            Script {
                answers: Mutex::new(answers.into_iter().rev().collect()),
                seen: Mutex::new(Vec::new()),
                slept: Mutex::new(Vec::new()),
            }
        }
    }

    impl Transport for Script {
        async fn send_once(&self, ex: Exchange<'_>) -> Result<HttpResponse, Error> {
            self.seen.lock().unwrap().push((
                ex.method.clone(),
                ex.url.to_string(),
                ex.headers.clone(),
                ex.body.to_vec(),
            ));
            self.answers
                .lock()
                .unwrap()
                .pop()
                .expect("the script ran out of answers: an unexpected extra request")
        }
        async fn sleep(&self, duration: Duration) {
            self.slept.lock().unwrap().push(duration);
        }
    }

    fn request(method: Method, uri: &str, kind: RequestKind) -> HttpRequest {
        let mut r = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", "Bearer T0KEN")
            .header("cookie", "session=abcd")
            .header("content-type", "application/json")
            .body(b"{\"a\":1}".to_vec())
            .unwrap();
        r.extensions_mut().insert(kind);
        r
    }

    #[test]
    fn driver_drops_credentials_across_origins_and_keeps_them_within() {
        let script = Script::new(vec![
            Ok(response(302, &[("location", "/same")])),
            Ok(response(301, &[("location", "https://other.example/x")])),
            Ok(response(302, &[("location", "https://api.example/back")])),
            Ok(response(200, &[])),
        ]);
        let config = HttpConfig::default();
        let r = pollster::block_on(execute(
            &script,
            &config,
            request(Method::POST, "https://api.example/start", RequestKind::Api),
        ))
        .unwrap();
        assert_eq!(r.status(), 200);
        let seen = script.seen.lock().unwrap();
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0].0, Method::POST);
        assert_eq!(seen[0].3, b"{\"a\":1}");
        assert_eq!(seen[1].1, "https://api.example/same");
        assert_eq!(seen[1].0, Method::GET);
        assert!(seen[1].3.is_empty());
        assert!(!seen[1].2.contains_key("content-type"));
        assert_eq!(seen[1].2["authorization"], "Bearer T0KEN");
        assert_eq!(seen[2].1, "https://other.example/x");
        for h in ["authorization", "cookie"] {
            assert!(!seen[2].2.contains_key(h), "{h} crossed origins");
            // and they do not come back on returning to the first origin
            assert!(!seen[3].2.contains_key(h), "{h} came back");
        }
        assert!(
            seen[0].2["user-agent"]
                .to_str()
                .unwrap()
                .starts_with("authctl/")
        );
    }

    #[test]
    fn driver_never_redirects_token_requests() {
        let script = Script::new(vec![Ok(response(302, &[("location", "/elsewhere")]))]);
        let r = pollster::block_on(execute(
            &script,
            &HttpConfig::default(),
            request(
                Method::POST,
                "https://api.example/token",
                RequestKind::TokenEndpoint,
            ),
        ))
        .unwrap();
        assert_eq!(r.status(), 302);
        assert_eq!(script.seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn driver_checks_every_redirect_target() {
        let script = Script::new(vec![Ok(response(
            302,
            &[("location", "http://api.example/plain")],
        ))]);
        let err = pollster::block_on(execute(
            &script,
            &HttpConfig::default(),
            request(Method::GET, "https://api.example/x", RequestKind::Api),
        ))
        .unwrap_err();
        assert!(matches!(err, Error::InsecureTransport { .. }), "{err}");
        assert_eq!(script.seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn driver_limits_redirects() {
        let mut config = HttpConfig::default();
        config.max_redirects = 2;
        let script = Script::new(
            (0..3)
                .map(|_| Ok(response(302, &[("location", "/again")])))
                .collect(),
        );
        let err = pollster::block_on(execute(
            &script,
            &config,
            request(Method::GET, "https://api.example/x", RequestKind::Api),
        ))
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Transport {
                    kind: TransportErrorKind::TooManyRedirects,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(script.seen.lock().unwrap().len(), 3);
    }

    #[test]
    fn driver_retries_with_backoff_then_gives_up() {
        let mut config = HttpConfig::default();
        config.max_retries = 2;
        let u = url("https://api.example/x");
        let reset = || {
            Err(transport_error(
                &u,
                &HeaderMap::new(),
                TransportErrorKind::ConnectionReset,
                "reset",
            ))
        };
        let script = Script::new(vec![reset(), reset(), reset()]);
        let err = pollster::block_on(execute(
            &script,
            &config,
            request(Method::GET, "https://api.example/x", RequestKind::Api),
        ))
        .unwrap_err();
        assert!(matches!(err, Error::Transport { .. }));
        assert_eq!(script.seen.lock().unwrap().len(), 3);
        assert_eq!(
            *script.slept.lock().unwrap(),
            vec![Duration::from_millis(200), Duration::from_millis(400)]
        );
    }

    #[test]
    fn driver_keeps_a_caller_user_agent_and_rejects_relative_uris() {
        let script = Script::new(vec![Ok(response(200, &[]))]);
        let mut req = request(Method::GET, "https://api.example/x", RequestKind::Api);
        req.headers_mut()
            .insert(header::USER_AGENT, HeaderValue::from_static("mine/1"));
        pollster::block_on(execute(&script, &HttpConfig::default(), req)).unwrap();
        assert_eq!(script.seen.lock().unwrap()[0].2["user-agent"], "mine/1");

        let err = pollster::block_on(execute(
            &script,
            &HttpConfig::default(),
            request(Method::GET, "/relative?code=SECRET", RequestKind::Api),
        ))
        .unwrap_err();
        assert!(matches!(err, Error::Config { .. }));
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn retry_after_never_panics(value in ".*") {
            let _ = parse_retry_after(&value, SystemTime::now());
        }

        #[test]
        fn retry_after_digits_are_seconds(n in 0u64..10_000_000) {
            prop_assert_eq!(
                parse_retry_after(&n.to_string(), SystemTime::now()),
                Some(Duration::from_secs(n))
            );
        }

        #[test]
        fn retry_after_dates_round_trip(secs in 0u64..4_000_000_000, ahead in 0u64..100_000) {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
            let date = httpdate::fmt_http_date(now + Duration::from_secs(ahead));
            prop_assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(ahead)));
        }

        #[test]
        fn redirect_resolution_never_panics(location in ".*", status in 300u16..309) {
            let current: Url = "https://api.example/a/b?c=d".parse().unwrap();
            if let Ok(value) = HeaderValue::from_str(&location) {
                let status = StatusCode::from_u16(status).unwrap();
                let _ = next_hop(status, Some(&value), &current, &Method::POST, true);
            }
        }

        #[test]
        fn scrubbed_messages_never_contain_the_query(code in "[A-Za-z0-9]{4,20}") {
            let u: Url = format!("https://api.example/cb?code={code}").parse().unwrap();
            let message = format!("failed for {u} with {code}");
            prop_assert!(!scrub(&message, &u, &HeaderMap::new()).contains(&code));
        }
    }
}
