//! The policy's `tracing` events: one per attempt of each hop, one per retry wait, one
//! per redirect followed. URLs are recorded without query, fragment or password; headers
//! and bodies never are.

use std::time::{Duration, Instant};

use auth_core::http::without_query;
use auth_core::{Error, HttpResponse};
use http::{Method, StatusCode};
use url::Url;

use super::Place;

/// A request URI as it may be recorded: without query, fragment or password.
pub(super) fn uri(uri: &http::Uri) -> String {
    Url::parse(&uri.to_string()).map_or_else(|_| "(not a URL)".to_owned(), |u| without_query(&u))
}

/// Where one attempt went and what came back (debug): `hop` counts the redirects
/// followed so far, `attempt` the retries of this hop, `same_origin` whether the chain
/// is still on the request's origin.
pub(super) fn attempt(
    method: &Method,
    url: &Url,
    place: Place,
    attempt: u32,
    outcome: &Result<HttpResponse, Error>,
    started: Instant,
) {
    tracing::debug!(
        method = %method,
        url = %without_query(url),
        hop = place.redirects,
        attempt,
        same_origin = place.same_origin,
        status = outcome.as_ref().ok().map(|r| r.status().as_u16()),
        error = outcome.as_ref().err().map(tracing::field::display),
        duration_ms = started.elapsed().as_millis() as u64,
        "http hop"
    );
}

/// A wait before the next attempt of the same hop (debug).
pub(super) fn retry(attempt: u32, wait: Duration) {
    tracing::debug!(
        next_attempt = attempt + 1,
        wait_ms = wait.as_millis() as u64,
        "http retry after wait"
    );
}

/// A redirect the policy follows (debug).
pub(super) fn redirect(status: StatusCode, target: &Url, place: Place) {
    tracing::debug!(
        status = status.as_u16(),
        to = %without_query(target),
        hop = place.redirects,
        same_origin = place.same_origin,
        "http redirect followed"
    );
}
