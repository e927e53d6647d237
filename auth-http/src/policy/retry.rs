//! The retry rule: which attempts are retried, and how long to wait before the next.

use std::time::{Duration, SystemTime};

use auth_core::{Error, HttpConfig, HttpResponse, RequestKind};
use http::header;
use http::{Method, StatusCode};

/// The first wait between retries; doubled on each further attempt.
pub(crate) const BASE_BACKOFF: Duration = Duration::from_millis(200);

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

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::TransportErrorKind;
    use http::HeaderMap;

    use crate::policy::transport_error;

    use crate::policy::tests::{response, url};

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
    }
}
