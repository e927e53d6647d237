//! Where `AuthorizedClient` sends the token: only to the provider's API origin and the
//! origins it is given, hop by hop; a 401 from anywhere else never renews the token.
#![cfg(feature = "password")]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_core::{
    AllowedOrigins, ClientAuth, Credentials, Endpoint, FlowContext, HttpBackend, HttpConfig,
    Provider, Token, TokenKey, TokenStore,
};
use auth_flows::{AuthorizedClient, TokenManager};
use auth_store::MemoryStore;
use auth_testkit::LoopbackHttp;
use mockito::Matcher;

fn key() -> TokenKey {
    TokenKey::new("mock", "ana", "client")
}

/// A provider whose token endpoint is on `idp` and whose API is on `api`.
fn provider(idp: &mockito::ServerGuard, api: &mockito::ServerGuard) -> Provider {
    let mut p = Provider::new("mock")
        .with_endpoint(Endpoint::Token, &format!("{}/token", idp.url()))
        .unwrap();
    p.endpoints.api_base = Some(format!("{}/v1/", api.url()).parse().unwrap());
    p.client_auth = ClientAuth::Body;
    p
}

async fn client(idp: &mockito::ServerGuard, api: &mockito::ServerGuard) -> AuthorizedClient {
    let store = Arc::new(MemoryStore::new());
    store
        .save(
            &key(),
            &Token::bearer("provider-token-5e1")
                .expiring_at(SystemTime::now() + Duration::from_secs(3600))
                .with_refresh_token("provider-refresh-9c2"),
        )
        .await
        .unwrap();
    // Follows redirects as a real transport does; retries nothing.
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::with_config(
        HttpConfig::default().with_max_retries(0),
    ));
    let creds = Credentials {
        client_id: Some("client".into()),
        client_secret: Some("secret".into()),
        ..Credentials::default()
    };
    let manager = TokenManager::new(
        key(),
        store,
        FlowContext::new(provider(idp, api), creds, Arc::clone(&http)),
    );
    AuthorizedClient::new(http, Arc::new(manager))
}

fn get(url: String) -> auth_core::HttpRequest {
    http::Request::get(url).body(Vec::new()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_origin_never_gets_the_token_and_its_401_never_renews_it() {
    let mut idp = mockito::Server::new_async().await;
    let api = mockito::Server::new_async().await;
    let mut foreign = mockito::Server::new_async().await;
    let refresh = idp.mock("POST", "/token").expect(0).create_async().await;
    let with_token = foreign
        .mock("GET", "/steal")
        .match_header("authorization", Matcher::Any)
        .with_status(401)
        .expect(0)
        .create_async()
        .await;
    let client = client(&idp, &api).await;
    let outcome = client.send(get(format!("{}/steal", foreign.url()))).await;
    with_token.assert_async().await;
    refresh.assert_async().await;
    let err = outcome
        .expect_err("a request to a foreign origin is refused")
        .to_string();
    assert!(err.contains(&foreign.url()), "{err}");
    assert!(err.contains("allow_origins"), "{err}");
    assert!(!err.contains("provider-token-5e1"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_another_origin_carries_no_token_and_its_401_renews_nothing() {
    let mut idp = mockito::Server::new_async().await;
    let mut api = mockito::Server::new_async().await;
    let mut foreign = mockito::Server::new_async().await;
    let refresh = idp.mock("POST", "/token").expect(0).create_async().await;
    let api_hop = api
        .mock("GET", "/v1/files/1")
        .match_header("authorization", "Bearer provider-token-5e1")
        .with_status(302)
        .with_header("location", &format!("{}/blob/1", foreign.url()))
        .expect(1)
        .create_async()
        .await;
    let foreign_hop = foreign
        .mock("GET", "/blob/1")
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .expect(1)
        .create_async()
        .await;
    let client = client(&idp, &api).await;
    let response = client
        .send(get(format!("{}/v1/files/1", api.url())))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    api_hop.assert_async().await;
    foreign_hop.assert_async().await;
    refresh.assert_async().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_origin_it_is_given_gets_the_token_and_its_401_renews_once() {
    let mut idp = mockito::Server::new_async().await;
    let api = mockito::Server::new_async().await;
    let mut other = mockito::Server::new_async().await;
    let refresh = idp
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"renewed-44","expires_in":3600}"#)
        .expect(1)
        .create_async()
        .await;
    let rejected = other
        .mock("GET", "/x")
        .match_header("authorization", "Bearer provider-token-5e1")
        .with_status(401)
        .expect(1)
        .create_async()
        .await;
    let accepted = other
        .mock("GET", "/x")
        .match_header("authorization", "Bearer renewed-44")
        .with_body("ok")
        .expect(1)
        .create_async()
        .await;
    let allowed = AllowedOrigins::new().with_entry(&other.url()).unwrap();
    let client = client(&idp, &api).await.allow_origins(allowed);
    let response = client
        .send(get(format!("{}/x", other.url())))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    rejected.assert_async().await;
    accepted.assert_async().await;
    refresh.assert_async().await;
}
