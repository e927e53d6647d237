//! Requests, bodies, statuses and the user agent.

use mockito::{Matcher, Server};

use super::{Suite, get, text};
use auth_core::HttpConfig;
/// A GET with a query and custom headers arrives intact; response headers (a repeated one too) come back.
pub fn get_with_query_and_headers(s: &Suite<'_>) {
    let mut server = Server::new();
    let mock = server
        .mock("GET", "/v1/observations")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("taxon".into(), "Vulpes vulpes".into()),
            Matcher::UrlEncoded("page".into(), "2".into()),
        ]))
        .match_header("x-request-id", "req-42")
        .match_header("accept", "application/json")
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_header("x-ratelimit-remaining", "41")
        .with_header("x-multi", "one")
        .with_header("x-multi", "two")
        .with_body(r#"{"results":[]}"#)
        .expect(1)
        .create();
    let request = http::Request::get(format!(
        "{}/v1/observations?taxon=Vulpes%20vulpes&page=2",
        server.url()
    ))
    .header("x-request-id", "req-42")
    .header("accept", "application/json")
    .body(Vec::new())
    .expect("test request");
    let response = s.ok(request);
    assert_eq!(
        response.status(),
        200,
        "GET must return the server's status"
    );
    assert_eq!(
        text(&response),
        r#"{"results":[]}"#,
        "GET must return the body intact"
    );
    assert_eq!(
        response.headers()["x-ratelimit-remaining"],
        "41",
        "response headers must come back"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "the content type must come back"
    );
    let multi: Vec<_> = response.headers().get_all("x-multi").iter().collect();
    assert_eq!(
        multi,
        ["one", "two"],
        "a repeated response header must keep all its values"
    );
    assert!(
        mock.matched(),
        "the query and custom request headers must reach the server exactly once"
    );
}

/// POST with a form body, a JSON body and an empty body: bytes, length and content type arrive intact.
pub fn post_bodies(s: &Suite<'_>) {
    let mut server = Server::new();
    let form = "grant_type=password&username=ana&password=p%40ss%26w%C3%B6rd";
    let form_mock = server
        .mock("POST", "/oauth/token")
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_header("content-length", form.len().to_string().as_str())
        .match_body(form)
        .with_status(200)
        .with_body(r#"{"access_token":"x"}"#)
        .expect(1)
        .create();
    let request = http::Request::post(format!("{}/oauth/token", server.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.as_bytes().to_vec())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(response.status(), 200);
    assert_eq!(text(&response), r#"{"access_token":"x"}"#);
    assert!(
        form_mock.matched(),
        "a form POST must arrive once with its body and content type intact"
    );

    let json = r#"{"name":"zoë 🦊","n":[1,2.5,null],"nested":{"ok":true}}"#;
    let json_mock = server
        .mock("POST", "/api/items")
        .match_header("content-type", "application/json")
        .match_body(json)
        .with_status(201)
        .with_body("created")
        .expect(1)
        .create();
    let request = http::Request::post(format!("{}/api/items", server.url()))
        .header("content-type", "application/json")
        .body(json.as_bytes().to_vec())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(response.status(), 201);
    assert_eq!(text(&response), "created");
    assert!(
        json_mock.matched(),
        "a JSON POST must arrive once with its UTF-8 body and content type intact"
    );

    let empty_mock = server
        .mock("POST", "/api/empty")
        .match_header("content-length", "0")
        .with_status(204)
        .expect(1)
        .create();
    let response = s.ok(http::Request::post(format!("{}/api/empty", server.url()))
        .body(Vec::new())
        .expect("test request"));
    assert_eq!(response.status(), 204);
    assert!(response.body().is_empty());
    assert!(
        empty_mock.matched(),
        "an empty POST must be sent with Content-Length: 0"
    );
}

/// 200, 400, 401 and 500 come back as responses with their bodies and headers, requested once.
pub fn statuses_are_responses(s: &Suite<'_>) {
    let mut server = Server::new();
    for status in [200u16, 400, 401, 500] {
        let body = format!(r#"{{"error":"status {status}"}}"#);
        let mock = server
            .mock("GET", format!("/status/{status}").as_str())
            .with_status(usize::from(status))
            .with_header("www-authenticate", "Bearer error=\"invalid_token\"")
            .with_body(&body)
            .expect(1)
            .create();
        let response = s.ok(get(&format!("{}/status/{status}", server.url())));
        assert_eq!(
            response.status(),
            status,
            "HTTP {status} must come back as a response"
        );
        assert_eq!(
            text(&response),
            body,
            "the body of an HTTP {status} must come back"
        );
        assert!(
            response.headers().contains_key("www-authenticate"),
            "the headers of an HTTP {status} must come back"
        );
        assert!(
            mock.matched(),
            "HTTP {status} must be requested exactly once (no retry)"
        );
    }
}

/// The default user agent is `authctl/<version>`; a request's own one wins; the configured one is sent.
pub fn user_agent(s: &Suite<'_>) {
    let mut server = Server::new();
    let default_ua = concat!("authctl/", env!("CARGO_PKG_VERSION"));
    let mock = server
        .mock("GET", "/ua")
        .match_header("user-agent", default_ua)
        .with_body("ok")
        .expect(1)
        .create();
    let response = s.ok(get(&format!("{}/ua", server.url())));
    assert_eq!(response.status(), 200);
    assert!(
        mock.matched(),
        "the default User-Agent must be exactly {default_ua}"
    );

    let own = server
        .mock("GET", "/own-ua")
        .match_header("user-agent", "my-app/2.0")
        .with_body("ok")
        .expect(1)
        .create();
    let request = http::Request::get(format!("{}/own-ua", server.url()))
        .header("user-agent", "my-app/2.0")
        .body(Vec::new())
        .expect("test request");
    assert_eq!(s.ok(request).status(), 200);
    assert!(
        own.matched(),
        "a User-Agent set on the request must be sent instead of the configured one"
    );

    let configured = server
        .mock("GET", "/configured-ua")
        .match_header("user-agent", "inat-uploader/0.3")
        .with_body("ok")
        .expect(1)
        .create();
    let config = HttpConfig::default().with_user_agent("inat-uploader/0.3");
    let response = s
        .send_with(config, get(&format!("{}/configured-ua", server.url())))
        .expect("request with a configured user agent");
    assert_eq!(response.status(), 200);
    assert!(
        configured.matched(),
        "the configured user_agent must be sent"
    );
}
