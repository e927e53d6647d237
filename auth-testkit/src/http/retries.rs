//! The retry rule.

use std::time::{Duration, Instant};

use auth_core::{HttpConfig, RequestKind, TransportErrorKind};
use mockito::Server;

use super::server::{RawServer, read_request, respond};
use super::{Suite, describe, get, text, transport_kind, with_kind};
/// Idempotent requests are retried after 503 (honouring `Retry-After`) and 429, with the same body.
pub fn retry_on_503_and_429(s: &Suite<'_>) {
    let mut server = Server::new();
    // mockito answers with the first matching mock that still expects hits.
    let unavailable = server
        .mock("GET", "/flaky")
        .with_status(503)
        .with_header("retry-after", "1")
        .with_body("down")
        .expect(1)
        .create();
    let recovered = server
        .mock("GET", "/flaky")
        .with_body("recovered")
        .expect(1)
        .create();
    let started = Instant::now();
    let response = s.ok(get(&format!("{}/flaky", server.url())));
    let waited = started.elapsed();
    assert_eq!(
        (response.status().as_u16(), text(&response).as_str()),
        (200, "recovered"),
        "a GET answered 503 must be retried"
    );
    assert!(
        unavailable.matched() && recovered.matched(),
        "503 then 200: exactly 2 hits"
    );
    assert!(
        waited >= Duration::from_millis(900),
        "Retry-After: 1 must be honoured (waited {waited:?})"
    );

    let limited = server
        .mock("GET", "/limited")
        .with_status(429)
        .with_header("retry-after", "0")
        .expect(1)
        .create();
    let fine = server
        .mock("GET", "/limited")
        .with_body("fine")
        .expect(1)
        .create();
    let response = s.ok(get(&format!("{}/limited", server.url())));
    assert_eq!(
        text(&response),
        "fine",
        "a GET answered 429 must be retried"
    );
    assert!(
        limited.matched() && fine.matched(),
        "429 then 200: exactly 2 hits"
    );

    // PUT is idempotent too; no Retry-After means the exponential backoff.
    let put_busy = server
        .mock("PUT", "/doc")
        .with_status(503)
        .expect(1)
        .create();
    let put_ok = server
        .mock("PUT", "/doc")
        .match_body("v2")
        .expect(1)
        .create();
    let request = http::Request::put(format!("{}/doc", server.url()))
        .body(b"v2".to_vec())
        .expect("test request");
    assert_eq!(s.ok(request).status(), 200);
    assert!(
        put_busy.matched() && put_ok.matched(),
        "a PUT answered 503 must be retried with the same body"
    );
}

/// POST and token endpoint requests are never retried.
pub fn no_retry_for_post_or_token(s: &Suite<'_>) {
    let mut server = Server::new();
    let busy = server
        .mock("POST", "/busy")
        .with_status(503)
        .with_header("retry-after", "0")
        .with_body("busy")
        .expect(1)
        .create();
    let second = server.mock("POST", "/busy").expect(0).create();
    let request = http::Request::post(format!("{}/busy", server.url()))
        .body(b"x=1".to_vec())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(
        (response.status().as_u16(), text(&response).as_str()),
        (503, "busy"),
        "a POST answered 503 must return the 503"
    );
    assert!(
        busy.matched() && second.matched(),
        "a POST must never be retried (1 hit)"
    );

    let token_busy = server
        .mock("GET", "/token-busy")
        .with_status(503)
        .with_header("retry-after", "0")
        .expect(1)
        .create();
    let token_second = server.mock("GET", "/token-busy").expect(0).create();
    let response = s.ok(with_kind(
        get(&format!("{}/token-busy", server.url())),
        RequestKind::TokenEndpoint,
    ));
    assert_eq!(response.status(), 503);
    assert!(
        token_busy.matched() && token_second.matched(),
        "a token endpoint request must never be retried, even a GET"
    );
}

/// `max_retries` bounds the attempts and `max_retry_wait` caps `Retry-After`.
pub fn retry_bounds(s: &Suite<'_>) {
    let mut server = Server::new();
    let down = server
        .mock("GET", "/down")
        .with_status(503)
        .with_header("retry-after", "0")
        .expect(2)
        .create();
    let config = HttpConfig::default().with_max_retries(1);
    let response = s
        .send_with(config, get(&format!("{}/down", server.url())))
        .expect("the last 503 must be returned as a response");
    assert_eq!(response.status(), 503);
    assert!(down.matched(), "max_retries = 1 means exactly 2 attempts");

    let slow = server
        .mock("GET", "/later")
        .with_status(503)
        .with_header("retry-after", "3600")
        .expect(1)
        .create();
    let later = server
        .mock("GET", "/later")
        .with_body("now")
        .expect(1)
        .create();
    let config = HttpConfig::default().with_max_retry_wait(Duration::from_millis(100));
    let started = Instant::now();
    let response = s
        .send_with(config, get(&format!("{}/later", server.url())))
        .expect("retry after a capped wait");
    assert_eq!(text(&response), "now");
    assert!(slow.matched() && later.matched());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "Retry-After must be capped at max_retry_wait"
    );
}

/// A GET whose connection closed without an answer is retried; a POST is `ConnectionReset`, once.
pub fn retry_after_dropped_connection(s: &Suite<'_>) {
    // The first connection is closed without an answer; later ones are answered.
    let server = RawServer::start(|n, mut stream| {
        if read_request(&mut stream) && n > 0 {
            respond(&mut stream, 200, "second time lucky");
        }
    });
    let response = s.ok(get(&format!("http://{}/reset", server.addr)));
    assert_eq!(
        text(&response),
        "second time lucky",
        "a GET whose connection was closed without an answer must be retried"
    );
    assert_eq!(server.connections(), 2);

    let server = RawServer::start(|n, mut stream| {
        if read_request(&mut stream) && n > 0 {
            respond(&mut stream, 200, "must not be reached");
        }
    });
    let post = http::Request::post(format!("http://{}/reset", server.addr))
        .body(b"once=1".to_vec())
        .expect("test request");
    let result = s.send(post);
    assert_eq!(
        transport_kind(&result).map(|(k, _)| k),
        Some(TransportErrorKind::ConnectionReset),
        "a POST whose connection was closed without an answer must be a ConnectionReset \
         error, got {}",
        describe(&result)
    );
    assert_eq!(server.connections(), 1, "a POST must never be retried");
}
