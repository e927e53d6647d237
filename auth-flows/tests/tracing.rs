//! What the library tells a `tracing` subscriber: every span and event of a whole flow
//! (password grant, refresh with a rotated refresh token, single-flight wait, an
//! authorized API call through a redirect) and of the loopback callback is recorded and
//! searched for each secret in play.
#![cfg(all(feature = "password", feature = "authorization-code"))]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::{
    ClientAuth, Credentials, Endpoint, Error, FlowContext, HttpBackend, HttpConfig, HttpRequest,
    HttpResponse, Provider, Secret, Token, TokenKey, TokenStore, async_trait,
};
use auth_flows::loopback::{LoopbackConfig, LoopbackServer};
use auth_flows::{AuthorizedClient, PasswordFlow, TokenManager};
use auth_testkit::{LoopbackHttp, TraceCapture};

const PASSWORD: &str = "PASSWORD-tr4ce";
const CLIENT_SECRET: &str = "CLIENT-SECRET-tr4ce";
const ACCESS_ONE: &str = "ACCESS-ONE-tr4ce";
const REFRESH_ONE: &str = "REFRESH-ONE-tr4ce";
const ACCESS_TWO: &str = "ACCESS-TWO-tr4ce";
const REFRESH_TWO: &str = "REFRESH-TWO-tr4ce";

#[derive(Debug, Default)]
struct MapStore(Mutex<HashMap<TokenKey, Token>>);

#[async_trait]
impl TokenStore for MapStore {
    fn describe(&self) -> String {
        "map".into()
    }
    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        Ok(self.0.lock().unwrap().get(key).cloned())
    }
    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        self.0.lock().unwrap().insert(key.clone(), token.clone());
        Ok(())
    }
    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        Ok(self.0.lock().unwrap().remove(key).is_some())
    }
}

/// A transport that yields to the executor once before each request, so that a second
/// caller runs while the first one's refresh is under way.
#[derive(Debug)]
struct Yielding(LoopbackHttp);

#[async_trait]
impl HttpBackend for Yielding {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        tokio::task::yield_now().await;
        self.0.send(request).await
    }
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
}

#[test]
fn a_whole_flow_is_traced_without_a_secret() {
    let mut server = mockito::Server::new();
    let password_grant = server
        .mock("POST", "/token")
        .match_body(mockito::Matcher::UrlEncoded(
            "grant_type".into(),
            "password".into(),
        ))
        // Valid for less than the leeway: the next call refreshes it.
        .with_body(format!(
            r#"{{"access_token":"{ACCESS_ONE}","refresh_token":"{REFRESH_ONE}","expires_in":30}}"#
        ))
        .expect(1)
        .create();
    let refresh = server
        .mock("POST", "/token")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::UrlEncoded("grant_type".into(), "refresh_token".into()),
            mockito::Matcher::UrlEncoded("refresh_token".into(), REFRESH_ONE.into()),
        ]))
        .with_body(format!(
            r#"{{"access_token":"{ACCESS_TWO}","refresh_token":"{REFRESH_TWO}","expires_in":3600}}"#
        ))
        .expect(1)
        .create();
    let moved = server
        .mock("GET", "/v1/me")
        .match_query(mockito::Matcher::Any)
        .match_header("authorization", format!("Bearer {ACCESS_TWO}").as_str())
        .with_status(302)
        .with_header("location", "/v2/me?session=abc")
        .expect(1)
        .create();
    let me = server
        .mock("GET", "/v2/me")
        .match_query(mockito::Matcher::Any)
        .match_header("authorization", format!("Bearer {ACCESS_TWO}").as_str())
        .with_body(r#"{"login":"ana"}"#)
        .expect(1)
        .create();

    let mut provider = Provider::new("mock")
        .with_endpoint(Endpoint::Token, &format!("{}/token", server.url()))
        .unwrap();
    provider.client_auth = ClientAuth::Basic;
    provider.endpoints.api_base = Some(server.url().parse().unwrap());
    let credentials = Credentials {
        username: Some("ana".into()),
        password: Some(PASSWORD.into()),
        client_id: Some("client".into()),
        client_secret: Some(CLIENT_SECRET.into()),
    };
    let http: Arc<dyn HttpBackend> =
        Arc::new(Yielding(LoopbackHttp::with_config(HttpConfig::default())));
    let manager = Arc::new(
        TokenManager::new(
            TokenKey::new("mock", "ana", "client"),
            Arc::new(MapStore::default()),
            FlowContext::new(provider, credentials, Arc::clone(&http)),
        )
        .with_flow(Arc::new(PasswordFlow)),
    );
    let client = AuthorizedClient::new(Arc::clone(&http), Arc::clone(&manager));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let capture = TraceCapture::new();
    let (first, (second, third), response) = capture.in_scope(|| {
        runtime.block_on(async {
            // No token: the password grant runs.
            let first = manager.token().await.unwrap();
            // It expires within the leeway: two callers at once share one refresh.
            let both = tokio::join!(manager.token(), manager.token());
            let request = http::Request::get(format!("{}/v1/me?filter=x", server.url()))
                .body(Vec::new())
                .unwrap();
            let response = client.send(request).await.unwrap();
            (first, both, response)
        })
    });
    assert_eq!(first.access_token.expose(), ACCESS_ONE);
    assert_eq!(second.unwrap().access_token.expose(), ACCESS_TWO);
    assert_eq!(third.unwrap().access_token.expose(), ACCESS_TWO);
    assert_eq!(response.status(), 200);
    for mock in [&password_grant, &refresh, &moved, &me] {
        mock.assert();
    }

    let text = capture.text();
    let expected = [
        // the token requests, one per grant, with status and duration
        "span INFO auth_flows::client: token_request grant_type=\"password\" endpoint=",
        "span INFO auth_flows::client: token_request grant_type=\"refresh_token\"",
        "token endpoint answered status=200 duration_ms=",
        // the manager: its span, the renewal, the single-flight wait, the store
        "span INFO auth_flows::manager: token op=\"token\" profile=mock account=ana client_id=client",
        "span INFO auth_flows::manager: renewal stored=true",
        "renewing the token how=\"refresh\"",
        "renewal runs the flow flow=\"password\"",
        "token renewed expires_in_s=",
        "waiting for another caller's renewal",
        "got the token another caller renewed waited=true",
        "token store op=\"load\" store=map key=mock:ana:client found=false",
        "token store op=\"save\" store=map key=mock:ana:client\n",
        // each hop of the API call, and the redirect between them
        "span DEBUG auth_http::policy: http_request method=GET url=http://127.0.0.1:",
        "http hop method=GET url=http://127.0.0.1:",
        "/v1/me hop=0 attempt=0 same_origin=true status=302",
        "/v2/me hop=1 attempt=0 same_origin=true status=200",
        "http redirect followed status=302 to=http://127.0.0.1:",
    ];
    for line in expected {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
    capture.assert_free_of(&[
        PASSWORD,
        CLIENT_SECRET,
        &basic("client", CLIENT_SECRET),
        ACCESS_ONE,
        REFRESH_ONE,
        ACCESS_TWO,
        REFRESH_TWO,
        // the API call's query strings
        "filter=x",
        "session=abc",
    ]);
}

/// Sends a request head to the loopback server `times` times, one after the other, from
/// another thread, as a browser would.
fn browse_times(
    addr: std::net::SocketAddr,
    target: &str,
    times: u32,
) -> std::thread::JoinHandle<()> {
    let head = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for _ in 0..times {
            let mut conn = std::net::TcpStream::connect(addr).unwrap();
            conn.write_all(head.as_bytes()).unwrap();
            let _ = conn.read_to_end(&mut Vec::new());
        }
    })
}

fn callback(target: &str, state: &str) -> (Result<Secret, Error>, TraceCapture) {
    callback_times(target, state, 1)
}

fn callback_times(target: &str, state: &str, times: u32) -> (Result<Secret, Error>, TraceCapture) {
    let server = LoopbackServer::bind(
        LoopbackConfig::default()
            .with_port(0)
            .with_timeout(Duration::from_secs(10)),
    )
    .unwrap();
    let browser = browse_times(server.local_addr(), target, times);
    let capture = TraceCapture::new();
    let state = Secret::new(state);
    let result = capture.in_scope(|| {
        pollster::block_on(server.wait_for_code(&state)).map(|callback| callback.code)
    });
    browser.join().unwrap();
    (result, capture)
}

#[test]
fn the_loopback_callback_is_traced_without_code_or_state() {
    let (code, capture) = callback("/?code=CODE-tr4ce&state=STATE-tr4ce", "STATE-tr4ce");
    assert_eq!(code.unwrap().expose(), "CODE-tr4ce");
    let text = capture.text();
    for line in [
        "span INFO auth_flows::loopback::server: loopback redirect_uri=http://127.0.0.1:",
        "authorization callback state_matched=true",
        "loopback callback accepted path=\"/\"",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
    capture.assert_free_of(&["CODE-tr4ce", "STATE-tr4ce"]);

    let (err, capture) = callback_times(
        "/?code=CODE-tr4ce&state=FORGED-tr4ce",
        "STATE-tr4ce",
        auth_flows::loopback::MAX_REJECTED_CALLBACKS,
    );
    assert!(matches!(err, Err(Error::StateMismatch)));
    let text = capture.text();
    for line in [
        "authorization callback state_matched=false",
        "loopback callback failed the flow path=\"/\" error=",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
    capture.assert_free_of(&["CODE-tr4ce", "STATE-tr4ce", "FORGED-tr4ce"]);

    let (err, capture) = callback(
        "/?error=access_denied&error_description=no&state=STATE-tr4ce",
        "STATE-tr4ce",
    );
    assert!(matches!(err, Err(Error::AccessDenied { .. })));
    assert!(
        capture
            .text()
            .contains("authorization callback state_matched=true error=\"access_denied\""),
        "{}",
        capture.text()
    );
    capture.assert_free_of(&["STATE-tr4ce"]);
}
