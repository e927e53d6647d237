//! The redirect rule for API requests, and the headers a redirect removes.

use auth_core::http::same_origin;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use url::Url;

/// Headers that never follow a redirect to another origin.
pub(crate) const CROSS_ORIGIN_DROPPED: [HeaderName; 3] = [
    header::AUTHORIZATION,
    header::COOKIE,
    header::PROXY_AUTHORIZATION,
];

/// Headers describing a body, removed when a redirect turns the request into a GET.
pub(crate) const BODY_HEADERS: [HeaderName; 4] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::TRANSFER_ENCODING,
];

/// What to do with a response: follow its redirect, or return it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Redirect {
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
) -> Redirect {
    let see_other = matches!(status.as_u16(), 301..=303);
    let temporary = matches!(status.as_u16(), 307 | 308);
    if !see_other && !temporary {
        return Redirect::Stop;
    }
    let Some(target) = location
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .and_then(|v| current.join(v).ok())
    else {
        return Redirect::Stop;
    };
    if see_other {
        let method = if *method == Method::HEAD {
            Method::HEAD
        } else {
            Method::GET
        };
        return Redirect::Follow {
            url: target,
            method,
            keep_body: false,
        };
    }
    let carries_something = has_body || !matches!(*method, Method::GET | Method::HEAD);
    if carries_something && !same_origin(current, &target) {
        return Redirect::Stop;
    }
    Redirect::Follow {
        url: target,
        method: method.clone(),
        keep_body: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::policy::tests::url;

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
            Redirect::Follow {
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
            Redirect::Follow {
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
            Redirect::Follow {
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
            Redirect::Follow {
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
            Redirect::Follow {
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
            Redirect::Follow {
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
                Redirect::Stop
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
            Redirect::Follow {
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
            Redirect::Stop
        );
        assert_eq!(
            next_hop(
                StatusCode::NOT_MODIFIED,
                Some(&loc("/x")),
                &current,
                &Method::GET,
                false
            ),
            Redirect::Stop
        );
        assert_eq!(
            next_hop(StatusCode::FOUND, None, &current, &Method::GET, false),
            Redirect::Stop
        );
        assert_eq!(
            next_hop(
                StatusCode::FOUND,
                Some(&loc("  ")),
                &current,
                &Method::GET,
                false
            ),
            Redirect::Stop
        );
        assert_eq!(
            next_hop(
                StatusCode::FOUND,
                Some(&loc("http://[::1")),
                &current,
                &Method::GET,
                false
            ),
            Redirect::Stop
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn redirect_resolution_never_panics(location in ".*", status in 300u16..309) {
            let current: Url = "https://api.example/a/b?c=d".parse().unwrap();
            if let Ok(value) = HeaderValue::from_str(&location) {
                let status = StatusCode::from_u16(status).unwrap();
                let _ = next_hop(status, Some(&value), &current, &Method::POST, true);
            }
        }
    }
}
