//! The signing wrapper against mockito servers, over the test kit's transport (the real
//! HTTP policy): each request signed with a fresh nonce, same-origin redirects and
//! retries signed again, cross-origin redirects sent without any OAuth credentials (and
//! never signed again in that chain), token-endpoint requests never redirected, redirect
//! loops stopped.
#![cfg(feature = "oauth1")]

mod oauth1_common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use auth_core::{Error, HttpBackend, HttpConfig, RequestKind, Token, TransportErrorKind};
use auth_flows::oauth1::{Placement, Signer, SigningBackend};
use auth_testkit::LoopbackHttp;
use mockito::{Matcher, Server};
use oauth1_common::{VerifyKey, verify};

/// The transport under the wrapper: the real policy, default settings.
fn transport() -> LoopbackHttp {
    LoopbackHttp::with_config(HttpConfig::default())
}

const TOKEN: &str = "nnch734d00sl2jdk";

fn signer() -> Signer {
    Signer::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
        .with_stored_token(&Token::oauth1(TOKEN, "pfkkdhi9sl3r4s00"))
        .unwrap()
}

fn key() -> VerifyKey {
    VerifyKey::HmacSha1 {
        consumer_secret: "kd94hf93k423kf44".into(),
        token_secret: "pfkkdhi9sl3r4s00".into(),
    }
}

/// True when the request carries no OAuth credential anywhere.
fn unsigned(request: &mockito::Request) -> bool {
    request.header("authorization").is_empty()
        && !request.path_and_query().contains("oauth_")
        && !request.utf8_lossy_body().unwrap().contains("oauth_")
}

/// Matches correctly signed requests and records their nonces.
fn signed_by_us(nonces: Arc<Mutex<Vec<String>>>) -> impl Fn(&mockito::Request) -> bool {
    move |request| match verify(request, &key()) {
        Ok(params) if params.get("oauth_token").map(String::as_str) == Some(TOKEN) => {
            nonces.lock().unwrap().push(params["oauth_nonce"].clone());
            true
        }
        _ => false,
    }
}

#[test]
fn same_origin_redirects_are_signed_again_and_other_origins_get_no_credentials() {
    for placement in [Placement::Header, Placement::Query] {
        let mut api = Server::new();
        let mut elsewhere = Server::new();
        let nonces = Arc::new(Mutex::new(Vec::new()));

        let start = api
            .mock(
                "GET",
                Matcher::Regex(r"^/photos\?size=original(&|$)".into()),
            )
            .match_request(signed_by_us(nonces.clone()))
            .with_status(302)
            .with_header("location", "/v2/photos?size=original")
            .expect(1)
            .create();
        let moved = api
            .mock(
                "GET",
                Matcher::Regex(r"^/v2/photos\?size=original(&|$)".into()),
            )
            .match_request(signed_by_us(nonces.clone()))
            .with_status(307)
            .with_header(
                "location",
                &format!("{}/cdn/photo.jpg?sig=1", elsewhere.url()),
            )
            .expect(1)
            .create();
        let cdn = elsewhere
            .mock("GET", "/cdn/photo.jpg?sig=1")
            .match_request(unsigned)
            .with_body("jpeg bytes")
            .expect(1)
            .create();

        let inner = Arc::new(transport());
        let client = SigningBackend::new(inner.clone(), signer().with_placement(placement));
        let request = http::Request::get(format!("{}/photos?size=original", api.url()))
            .body(Vec::new())
            .unwrap();
        let response = pollster::block_on(client.send(request)).unwrap();

        assert_eq!(response.status(), 200, "{placement:?}");
        assert_eq!(response.body(), b"jpeg bytes");
        start.assert();
        moved.assert();
        cdn.assert();
        let nonces = nonces.lock().unwrap().clone();
        assert_eq!(nonces.len(), 2);
        assert_ne!(nonces[0], nonces[1], "each hop is signed afresh");
        // The policy follows the redirects; the signature is a hook on each hop.
        let seen = inner.sent();
        assert_eq!(seen.len(), 3);
        assert!(seen[2].header("authorization").is_none());
    }
}

#[test]
fn a_chain_that_left_the_origin_is_not_signed_when_it_comes_back() {
    let mut api = Server::new();
    let mut other = Server::new();
    let bounce = other
        .mock("GET", "/bounce")
        .match_request(unsigned)
        .with_status(302)
        .with_header("location", &format!("{}/delete-everything", api.url()))
        .expect(1)
        .create();
    let start = api
        .mock("GET", "/start")
        .match_request(signed_by_us(Arc::default()))
        .with_status(301)
        .with_header("location", &format!("{}/bounce", other.url()))
        .expect(1)
        .create();
    let back = api
        .mock("GET", "/delete-everything")
        .match_request(unsigned)
        .with_status(401)
        .expect(1)
        .create();

    let client = SigningBackend::new(transport(), signer());
    let request = http::Request::get(format!("{}/start", api.url()))
        .body(Vec::new())
        .unwrap();
    let response = pollster::block_on(client.send(request)).unwrap();
    assert_eq!(response.status(), 401);
    start.assert();
    bounce.assert();
    back.assert();
}

#[test]
fn post_redirected_with_303_becomes_a_signed_get() {
    let mut api = Server::new();
    let nonces = Arc::new(Mutex::new(Vec::new()));
    let post = api
        .mock("POST", "/statuses")
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body("status=Hello%20world")
        .match_request(signed_by_us(nonces.clone()))
        .with_status(303)
        .with_header("location", "/statuses/1")
        .expect(1)
        .create();
    let signed = signed_by_us(nonces.clone());
    let get = api
        .mock("GET", "/statuses/1")
        .match_request(move |r| r.body().unwrap().is_empty() && signed(r))
        .with_body("{\"id\":1}")
        .expect(1)
        .create();
    let client = SigningBackend::new(transport(), signer());
    let request = http::Request::post(format!("{}/statuses", api.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"status=Hello%20world".to_vec())
        .unwrap();
    let response = pollster::block_on(client.send(request)).unwrap();
    assert_eq!(response.body(), b"{\"id\":1}");
    post.assert();
    get.assert();
    assert_eq!(nonces.lock().unwrap().len(), 2);
}

#[test]
fn token_endpoint_requests_are_not_redirected() {
    let mut api = Server::new();
    let redirect = api
        .mock("POST", "/token")
        .with_status(302)
        .with_header("location", "/elsewhere")
        .expect(1)
        .create();
    let elsewhere = api.mock("GET", "/elsewhere").expect(0).create();
    let client = SigningBackend::new(transport(), signer());
    let mut request = http::Request::post(format!("{}/token", api.url()))
        .body(Vec::new())
        .unwrap();
    request.extensions_mut().insert(RequestKind::TokenEndpoint);
    let response = pollster::block_on(client.send(request)).unwrap();
    assert_eq!(response.status(), 302);
    redirect.assert();
    elsewhere.assert();
}

#[test]
fn redirect_loops_stop_with_a_clear_error() {
    let mut api = Server::new();
    let looping = api
        .mock("GET", "/loop")
        .with_status(302)
        .with_header("location", "/loop")
        .expect(3)
        .create();
    let client = SigningBackend::new(
        LoopbackHttp::with_config(HttpConfig::default().with_max_redirects(2)),
        signer(),
    );
    let request = http::Request::get(format!("{}/loop", api.url()))
        .body(Vec::new())
        .unwrap();
    let err = pollster::block_on(client.send(request)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportErrorKind::TooManyRedirects,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("more than 2 redirects"), "{err}");
    looping.assert();
}

#[test]
fn every_request_gets_a_fresh_nonce_and_secrets_stay_hidden() {
    let mut api = Server::new();
    let nonces = Arc::new(Mutex::new(Vec::new()));
    let mock = api
        .mock("GET", Matcher::Regex("^/me".into()))
        .match_request(signed_by_us(nonces.clone()))
        .with_body("{}")
        .expect(3)
        .create();
    let client = SigningBackend::new(transport(), signer());
    for _ in 0..3 {
        let request = http::Request::get(format!("{}/me?fields=a,b", api.url()))
            .body(Vec::new())
            .unwrap();
        assert_eq!(
            pollster::block_on(client.send(request)).unwrap().status(),
            200
        );
    }
    mock.assert();
    let distinct: BTreeSet<String> = nonces.lock().unwrap().iter().cloned().collect();
    assert_eq!(distinct.len(), 3);
    let shown = format!("{client:?}");
    assert!(
        !shown.contains("pfkkdhi9sl3r4s00")
            && !shown.contains("kd94hf93k423kf44")
            && !shown.contains(TOKEN),
        "{shown}"
    );
}

#[test]
fn retries_are_signed_afresh() {
    let mut api = Server::new();
    let nonces = Arc::new(Mutex::new(Vec::new()));
    let busy = api
        .mock("GET", "/me")
        .match_request(signed_by_us(nonces.clone()))
        .with_status(503)
        .with_header("retry-after", "0")
        .expect(1)
        .create();
    let fine = api
        .mock("GET", "/me")
        .match_request(signed_by_us(nonces.clone()))
        .with_body("{}")
        .expect(1)
        .create();
    let client = SigningBackend::new(transport(), signer());
    let request = http::Request::get(format!("{}/me", api.url()))
        .body(Vec::new())
        .unwrap();
    let response = pollster::block_on(client.send(request)).unwrap();
    assert_eq!(response.status(), 200);
    busy.assert();
    fine.assert();
    // mockito may check a request against both mocks: count distinct nonces.
    let distinct: BTreeSet<String> = nonces.lock().unwrap().iter().cloned().collect();
    assert_eq!(distinct.len(), 2, "a retry is signed with a new nonce");
}

#[test]
fn a_302_after_put_is_a_signed_get_without_the_body() {
    let mut api = Server::new();
    let nonces = Arc::new(Mutex::new(Vec::new()));
    api.mock("PUT", "/doc")
        .match_request(signed_by_us(nonces.clone()))
        .with_status(302)
        .with_header("location", "/doc/1")
        .expect(1)
        .create();
    let signed = signed_by_us(nonces.clone());
    let get = api
        .mock("GET", "/doc/1")
        .match_request(move |r| r.body().unwrap().is_empty() && signed(r))
        .with_body("ok")
        .expect(1)
        .create();
    let client = SigningBackend::new(transport(), signer());
    let request = http::Request::put(format!("{}/doc", api.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"v=2".to_vec())
        .unwrap();
    let response = pollster::block_on(client.send(request)).unwrap();
    assert_eq!(response.body(), b"ok");
    get.assert();
}

#[test]
fn a_cross_origin_307_with_a_body_is_returned_not_followed() {
    let mut api = Server::new();
    let mut elsewhere = Server::new();
    api.mock("POST", "/statuses")
        .match_request(signed_by_us(Arc::default()))
        .with_status(307)
        .with_header("location", &format!("{}/steal", elsewhere.url()))
        .expect(1)
        .create();
    let steal = elsewhere.mock("POST", "/steal").expect(0).create();
    let client = SigningBackend::new(transport(), signer());
    let request = http::Request::post(format!("{}/statuses", api.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"status=secret".to_vec())
        .unwrap();
    let response = pollster::block_on(client.send(request)).unwrap();
    assert_eq!(response.status(), 307);
    steal.assert();
}

#[test]
fn the_provider_switch_allows_plain_http() {
    // A non-loopback host by name: refused before any connection without the switch.
    let client = SigningBackend::new(transport(), signer());
    let request = http::Request::get("http://photos.example.invalid/x")
        .body(Vec::new())
        .unwrap();
    let err = pollster::block_on(client.send(request)).unwrap_err();
    assert!(matches!(err, Error::InsecureTransport { .. }), "{err:?}");

    // With it, the request is marked and the policy lets it through (the test transport
    // then refuses to leave the machine, with its own error).
    let mut provider = auth_core::Provider::new("photos");
    provider.insecure_http = true;
    let client = SigningBackend::new(transport(), signer()).for_provider(&provider);
    let request = http::Request::get("http://photos.example.invalid/x")
        .body(Vec::new())
        .unwrap();
    let err = pollster::block_on(client.send(request)).unwrap_err();
    assert!(
        !matches!(err, Error::InsecureTransport { .. }),
        "insecure_http must reach the backend: {err:?}"
    );
}
