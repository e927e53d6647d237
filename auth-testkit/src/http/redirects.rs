//! The redirect rule.

use auth_core::{Error, HttpConfig, RequestKind, TransportErrorKind};
use mockito::{Matcher, Server};

use super::{Suite, TOKEN, describe, get, text, transport_kind, with_kind};
/// Same-origin redirects keep `Authorization`; other origins get neither it nor `Cookie`; downgrades are refused.
pub fn redirects_and_credentials(s: &Suite<'_>) {
    let mut a = Server::new();
    let mut b = Server::new();

    // Within the origin, with a relative Location: credentials stay.
    a.mock("GET", "/here")
        .with_status(302)
        .with_header("location", "there?x=1")
        .create();
    let kept = a
        .mock("GET", "/there")
        .match_query(Matcher::UrlEncoded("x".into(), "1".into()))
        .match_header("authorization", TOKEN)
        .with_body("kept")
        .expect(1)
        .create();
    let request = http::Request::get(format!("{}/here", a.url()))
        .header("authorization", TOKEN)
        .body(Vec::new())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(
        (response.status().as_u16(), text(&response).as_str()),
        (200, "kept"),
        "a same-origin redirect with a relative Location must be followed"
    );
    assert!(
        kept.matched(),
        "a same-origin redirect must keep the Authorization header"
    );

    // To another origin (another port): Authorization and Cookie are dropped.
    a.mock("GET", "/leave")
        .with_status(301)
        .with_header("location", &format!("{}/landing", b.url()))
        .create();
    let landed = b
        .mock("GET", "/landing")
        .match_header("authorization", Matcher::Missing)
        .match_header("cookie", Matcher::Missing)
        .match_header("x-keep", "yes")
        .with_body("landed")
        .expect(1)
        .create();
    let request = http::Request::get(format!("{}/leave", a.url()))
        .header("authorization", TOKEN)
        .header("cookie", "session=abc123")
        .header("x-keep", "yes")
        .body(Vec::new())
        .expect("test request");
    let response = s.ok(request);
    assert!(
        landed.matched(),
        "a redirect to another origin must drop Authorization and Cookie (and keep other \
         headers); got {} {:?}",
        response.status(),
        text(&response)
    );
    assert_eq!(text(&response), "landed");

    // A redirect to plain http on a non-loopback host is refused like a first URL.
    a.mock("GET", "/downgrade")
        .with_status(302)
        .with_header("location", "http://example.invalid/x")
        .create();
    let result = s.send(get(&format!("{}/downgrade", a.url())));
    assert!(
        matches!(result, Err(Error::InsecureTransport { .. })),
        "a redirect target must pass the same transport check, got {}",
        describe(&result)
    );
}

/// 303 turns a POST into a bodiless GET; 307 keeps method and body within the origin and stops before another.
pub fn redirect_methods(s: &Suite<'_>) {
    let mut a = Server::new();
    let mut b = Server::new();

    // 303 after a POST: a GET without body or body headers.
    a.mock("POST", "/submit")
        .with_status(303)
        .with_header("location", "/result")
        .create();
    let result_mock = a
        .mock("GET", "/result")
        .match_header("content-type", Matcher::Missing)
        .match_body("")
        .with_body("result")
        .expect(1)
        .create();
    let request = http::Request::post(format!("{}/submit", a.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"a=1".to_vec())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(text(&response), "result");
    assert!(
        result_mock.matched(),
        "a 303 must be followed with a GET without body"
    );

    // 307 within the origin keeps method and body.
    a.mock("POST", "/v1/upload")
        .with_status(307)
        .with_header("location", "/v2/upload")
        .create();
    let moved = a
        .mock("POST", "/v2/upload")
        .match_header("content-type", "application/json")
        .match_body(r#"{"k":"v"}"#)
        .with_status(201)
        .expect(1)
        .create();
    let request = http::Request::post(format!("{}/v1/upload", a.url()))
        .header("content-type", "application/json")
        .body(br#"{"k":"v"}"#.to_vec())
        .expect("test request");
    assert_eq!(s.ok(request).status(), 201);
    assert!(
        moved.matched(),
        "a same-origin 307 must repeat the method and body"
    );

    // 307 to another origin with a body: returned, not followed.
    a.mock("POST", "/away")
        .with_status(307)
        .with_header("location", &format!("{}/elsewhere", b.url()))
        .create();
    let elsewhere = b.mock("POST", "/elsewhere").expect(0).create();
    let request = http::Request::post(format!("{}/away", a.url()))
        .body(b"secret=form".to_vec())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(
        response.status(),
        307,
        "a 307 carrying a body to another origin must be returned, not followed"
    );
    assert!(
        elsewhere.matched(),
        "the body must not reach the other origin"
    );
}

/// `max_redirects` is enforced with `TooManyRedirects`.
pub fn redirect_limits(s: &Suite<'_>) {
    let mut server = Server::new();
    let looping = server
        .mock("GET", "/loop")
        .with_status(302)
        .with_header("location", "/loop")
        .expect(4)
        .create();
    let config = HttpConfig::default().with_max_redirects(3);
    let result = s.send_with(config, get(&format!("{}/loop", server.url())));
    assert_eq!(
        transport_kind(&result).map(|(k, _)| k),
        Some(TransportErrorKind::TooManyRedirects),
        "a redirect loop must end in TooManyRedirects, got {}",
        describe(&result)
    );
    assert!(
        looping.matched(),
        "max_redirects = 3 means the first request plus 3 redirects"
    );
}

/// Token endpoint requests are never redirected.
pub fn token_endpoint_not_redirected(s: &Suite<'_>) {
    let mut server = Server::new();
    server
        .mock("POST", "/oauth/token")
        .with_status(302)
        .with_header("location", "/login")
        .create();
    server
        .mock("GET", "/oauth/token-get")
        .with_status(301)
        .with_header("location", "/login")
        .create();
    let login = server.mock("GET", "/login").expect(0).create();
    let post = http::Request::post(format!("{}/oauth/token", server.url()))
        .header("authorization", "Basic Y2xpZW50OnNlY3JldA==")
        .body(b"grant_type=client_credentials".to_vec())
        .expect("test request");
    let response = s.ok(with_kind(post, RequestKind::TokenEndpoint));
    assert_eq!(
        response.status(),
        302,
        "a token endpoint redirect must be returned as is"
    );
    assert_eq!(response.headers()["location"], "/login");
    let response = s.ok(with_kind(
        get(&format!("{}/oauth/token-get", server.url())),
        RequestKind::TokenEndpoint,
    ));
    assert_eq!(response.status(), 301);
    assert!(
        login.matched(),
        "a token endpoint request must never follow a redirect"
    );
}
