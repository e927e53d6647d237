//! The token lifecycle: TokenManager (cache, refresh, single flight, unattended flows,
//! JWT renewal), AuthorizedClient (Bearer header, 401 → refresh once, retry once) and
//! the blocking facade.
#![cfg(all(feature = "password", feature = "inaturalist", feature = "blocking"))]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::{
    ClientAuth, Credentials, Endpoint, Error, FlowContext, HttpBackend, Provider, Token, TokenKey,
    TokenKind, TokenStore, async_trait,
};
use auth_flows::{AuthorizedClient, PasswordFlow, TokenManager};
use auth_testkit::LoopbackHttp;

#[derive(Debug, Default)]
struct MapStore {
    tokens: Mutex<HashMap<TokenKey, Token>>,
    saves: Mutex<usize>,
}

#[async_trait]
impl TokenStore for MapStore {
    fn describe(&self) -> String {
        "map".into()
    }
    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        Ok(self.tokens.lock().unwrap().get(key).cloned())
    }
    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        *self.saves.lock().unwrap() += 1;
        self.tokens
            .lock()
            .unwrap()
            .insert(key.clone(), token.clone());
        Ok(())
    }
    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        Ok(self.tokens.lock().unwrap().remove(key).is_some())
    }
}

fn key() -> TokenKey {
    TokenKey::new("mock", "ana", "client")
}

fn provider(server: &mockito::ServerGuard) -> Provider {
    let mut p = Provider::new("mock")
        .with_endpoint(Endpoint::Token, &format!("{}/token", server.url()))
        .unwrap()
        .with_endpoint(Endpoint::Jwt, &format!("{}/users/api_token", server.url()))
        .unwrap();
    p.client_auth = ClientAuth::Body;
    // The API is on the same server: the token goes to its origin.
    p.endpoints.api_base = Some(server.url().parse().unwrap());
    p
}

fn creds(with_password: bool) -> Credentials {
    Credentials {
        username: Some("ana".into()),
        password: with_password.then(|| "pw".into()),
        client_id: Some("client".into()),
        client_secret: Some("secret".into()),
    }
}

fn manager(
    server: &mockito::ServerGuard,
    store: Arc<MapStore>,
    with_password: bool,
) -> TokenManager {
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::default());
    TokenManager::new(
        key(),
        store,
        FlowContext::new(provider(server), creds(with_password), http),
    )
}

fn expired(access: &str) -> Token {
    Token::bearer(access)
        .expiring_at(SystemTime::now() - Duration::from_secs(10))
        .with_refresh_token("rt")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_token_is_returned_without_any_request() {
    let mut server = mockito::Server::new_async().await;
    let m = server.mock("POST", "/token").expect(0).create_async().await;
    let store = Arc::new(MapStore::default());
    let valid = Token::bearer("good").expiring_at(SystemTime::now() + Duration::from_secs(3600));
    store.save(&key(), &valid).await.unwrap();
    let mgr = manager(&server, store.clone(), true);
    assert_eq!(mgr.token().await.unwrap(), valid);
    assert_eq!(mgr.token().await.unwrap(), valid);
    m.assert_async().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_inside_the_leeway_is_refreshed_and_saved() {
    let mut server = mockito::Server::new_async().await;
    let m = server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"fresh","expires_in":3600}"#)
        .expect(1)
        .create_async()
        .await;
    let store = Arc::new(MapStore::default());
    let soon = Token::bearer("soon")
        .expiring_at(SystemTime::now() + Duration::from_secs(30))
        .with_refresh_token("rt");
    store.save(&key(), &soon).await.unwrap();
    let mgr = manager(&server, store.clone(), false);
    let token = mgr.token().await.unwrap();
    assert_eq!(token.access_token.expose(), "fresh");
    assert_eq!(
        token.refresh_token.as_ref().unwrap().expose(),
        "rt",
        "the unrotated refresh token is kept"
    );
    assert_eq!(store.load(&key()).await.unwrap(), Some(token));
    m.assert_async().await;
    // with a smaller leeway the same token would have been used
    let store = Arc::new(MapStore::default());
    store.save(&key(), &soon).await.unwrap();
    let mgr = manager(&server, store, false).with_leeway(Duration::from_secs(5));
    assert_eq!(mgr.token().await.unwrap().access_token.expose(), "soon");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_concurrent_callers_share_one_refresh() {
    let mut server = mockito::Server::new_async().await;
    let m = server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"shared","expires_in":3600,"refresh_token":"rt2"}"#)
        .expect(1)
        .create_async()
        .await;
    let store = Arc::new(MapStore::default());
    store.save(&key(), &expired("old")).await.unwrap();
    let mgr = Arc::new(manager(&server, store.clone(), false));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let mgr = Arc::clone(&mgr);
            tokio::spawn(async move { mgr.token().await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().access_token.expose(), "shared");
    }
    m.assert_async().await;
    assert_eq!(
        *store.saves.lock().unwrap(),
        2,
        "one initial save and one refresh"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_refresh_token_an_unattended_flow_runs_when_credentials_allow() {
    let mut server = mockito::Server::new_async().await;
    let m = server
        .mock("POST", "/token")
        .match_body(mockito::Matcher::UrlEncoded(
            "grant_type".into(),
            "password".into(),
        ))
        .with_body(r#"{"access_token":"by-password","expires_in":3600}"#)
        .expect(1)
        .create_async()
        .await;
    let store = Arc::new(MapStore::default());
    let mgr = manager(&server, store.clone(), true).with_flow(Arc::new(PasswordFlow));
    assert_eq!(
        mgr.token().await.unwrap().access_token.expose(),
        "by-password"
    );
    assert!(store.load(&key()).await.unwrap().is_some());
    m.assert_async().await;

    // no password: log in
    let mgr =
        manager(&server, Arc::new(MapStore::default()), false).with_flow(Arc::new(PasswordFlow));
    let err = mgr.token().await.unwrap_err();
    assert!(matches!(err, Error::LoginRequired { .. }), "{err}");
    assert!(
        (err.to_string().contains("log in again")
            && err.hint()
                == Some(auth_core::Hint::LoginRequired {
                    profile: "mock".into()
                })),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_refresh_says_log_in_again() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_status(400)
        .with_body(r#"{"error":"invalid_grant"}"#)
        .create_async()
        .await;
    let store = Arc::new(MapStore::default());
    let old = expired("old");
    store.save(&key(), &old).await.unwrap();
    let err = manager(&server, store.clone(), false)
        .token()
        .await
        .unwrap_err();
    assert!(err.needs_login(), "{err}");
    assert_eq!(
        store.load(&key()).await.unwrap(),
        Some(old),
        "the stored token is left alone"
    );
    assert_eq!(
        *store.saves.lock().unwrap(),
        1,
        "nothing was saved after the failed refresh"
    );
}

fn jwt(exp: u64) -> String {
    use base64::Engine;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig",
        e.encode(br#"{"alg":"HS512"}"#),
        e.encode(format!(r#"{{"user_id":1,"exp":{exp}}}"#))
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn inaturalist_style_jwt_is_minted_and_renewed_from_the_oauth_token() {
    let mut server = mockito::Server::new_async().await;
    let exp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 86_400;
    server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"oauth-token","token_type":"Bearer","scope":"login write"}"#)
        .expect(1)
        .create_async()
        .await;
    let exchange = server
        .mock("GET", "/users/api_token")
        .match_header("authorization", "Bearer oauth-token")
        .with_body(format!(r#"{{"api_token":"{}"}}"#, jwt(exp)))
        .expect(2)
        .create_async()
        .await;
    let store = Arc::new(MapStore::default());
    let mgr = manager(&server, store.clone(), true)
        .with_flow(Arc::new(PasswordFlow))
        .with_jwt(true);
    let token = mgr.token().await.unwrap();
    assert_eq!(token.access_token.expose(), jwt(exp));
    assert_eq!(
        token.expires_at,
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(exp)),
        "expiry from the exp claim"
    );
    let TokenKind::Jwt {
        source: Some(source),
    } = &token.kind
    else {
        panic!("{token:?}")
    };
    assert_eq!(source.access_token.expose(), "oauth-token");

    // the JWT expires: a new one comes from the kept OAuth token, no password needed
    let mut stale = token.clone();
    stale.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
    store.save(&key(), &stale).await.unwrap();
    let mgr = manager(&server, store.clone(), false).with_jwt(true);
    assert_eq!(mgr.token().await.unwrap().access_token.expose(), jwt(exp));
    exchange.assert_async().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn authorized_client_adds_bearer_and_retries_once_after_401() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"second","expires_in":3600}"#)
        .expect(1)
        .create_async()
        .await;
    let first = server
        .mock("GET", "/me")
        .match_header("authorization", "Bearer first")
        .with_status(401)
        .expect(1)
        .create_async()
        .await;
    let second = server
        .mock("GET", "/me")
        .match_header("authorization", "Bearer second")
        .with_body("{\"login\":\"ana\"}")
        .expect(1)
        .create_async()
        .await;
    let store = Arc::new(MapStore::default());
    store
        .save(
            &key(),
            &Token::bearer("first")
                .expiring_at(SystemTime::now() + Duration::from_secs(3600))
                .with_refresh_token("rt"),
        )
        .await
        .unwrap();
    let mgr = Arc::new(manager(&server, store.clone(), false));
    let client = AuthorizedClient::new(Arc::new(LoopbackHttp::default()), mgr);
    let response = client
        .send(
            http::Request::get(format!("{}/me", server.url()))
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), b"{\"login\":\"ana\"}");
    first.assert_async().await;
    second.assert_async().await;
    assert_eq!(
        store
            .load(&key())
            .await
            .unwrap()
            .unwrap()
            .access_token
            .expose(),
        "second"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn authorized_client_gives_up_after_one_retry() {
    let mut server = mockito::Server::new_async().await;
    let refresh = server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"again","expires_in":3600}"#)
        .expect(1)
        .create_async()
        .await;
    let api = server
        .mock("GET", "/me")
        .with_status(401)
        .expect(2)
        .create_async()
        .await;
    let store = Arc::new(MapStore::default());
    store
        .save(
            &key(),
            &Token::bearer("first")
                .expiring_at(SystemTime::now() + Duration::from_secs(3600))
                .with_refresh_token("rt"),
        )
        .await
        .unwrap();
    let client = AuthorizedClient::new(
        Arc::new(LoopbackHttp::default()),
        Arc::new(manager(&server, store, false)),
    );
    let response = client
        .send(
            http::Request::get(format!("{}/me", server.url()))
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    refresh.assert_async().await;
    api.assert_async().await;
}

#[test]
fn the_blocking_facade_needs_no_runtime() {
    let mut server = mockito::Server::new();
    let m = server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"blocking","expires_in":3600}"#)
        .expect(1)
        .create();
    let store = Arc::new(MapStore::default());
    pollster::block_on(store.save(&key(), &expired("old"))).unwrap();
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::default());
    let mgr = auth_flows::blocking::TokenManager::new(TokenManager::new(
        key(),
        store,
        FlowContext::new(provider(&server), creds(false), http),
    ));
    assert_eq!(mgr.token().unwrap().access_token.expose(), "blocking");
    assert_eq!(mgr.token().unwrap().access_token.expose(), "blocking");
    m.assert();
    assert!(mgr.logout().unwrap());
}

#[test]
fn the_blocking_facade_reads_the_store_and_takes_the_stale_token() {
    let mut server = mockito::Server::new();
    let m = server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"renewed","expires_in":3600}"#)
        .expect(1)
        .create();
    let store = Arc::new(MapStore::default());
    let replaced = Token::bearer("replaced")
        .expiring_at(SystemTime::now() + Duration::from_secs(3600))
        .with_refresh_token("rt");
    pollster::block_on(store.save(&key(), &replaced)).unwrap();
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::default());
    let mgr = auth_flows::blocking::TokenManager::new(TokenManager::new(
        key(),
        store,
        FlowContext::new(provider(&server), creds(false), http),
    ));
    assert_eq!(mgr.key(), &key());
    let stored = mgr.stored().unwrap().expect("the saved token");
    assert_eq!(stored.access_token.expose(), "replaced");
    assert!(mgr.can_renew(&stored));
    // Another caller already replaced the refused token: no second renewal.
    let fresh = mgr.force_refresh(Some(expired("refused"))).unwrap();
    assert_eq!(fresh.access_token.expose(), "replaced");
    // Without a stale token it renews whatever the expiry says.
    let fresh = mgr.force_refresh(None).unwrap();
    assert_eq!(fresh.access_token.expose(), "renewed");
    m.assert();
}
