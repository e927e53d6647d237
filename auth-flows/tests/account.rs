//! Naming an account from a token: the ID token, the userinfo endpoint, the provider's
//! "who am I" call, in that order, against a local server.
#![cfg(feature = "oauth2")]

use std::sync::Arc;

use auth_core::{Credentials, Endpoint, FlowContext, HttpBackend, Provider, Secret, Token};
use auth_flows::{WhoAmI, account_name};
use auth_testkit::LoopbackHttp;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn id_token(claims: &str) -> Secret {
    Secret::new(format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
        URL_SAFE_NO_PAD.encode(claims)
    ))
}

fn ctx(provider: Provider) -> FlowContext {
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::default());
    FlowContext::new(provider, Credentials::default(), http)
}

fn provider(server: &mockito::ServerGuard, userinfo: Option<&str>) -> Provider {
    let mut p = Provider::new("idp");
    if let Some(path) = userinfo {
        p = p
            .with_endpoint(Endpoint::Userinfo, &format!("{}{path}", server.url()))
            .unwrap();
    }
    p.endpoints.api_base = Some(format!("{}/v1", server.url()).parse().unwrap());
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn the_id_token_names_the_account_without_a_request() {
    let mut server = mockito::Server::new_async().await;
    let userinfo = server
        .mock("GET", "/userinfo")
        .expect(0)
        .create_async()
        .await;
    let ctx = ctx(provider(&server, Some("/userinfo")));
    for (claims, name) in [
        (
            r#"{"sub":"u-1","email":"ana@example.com","preferred_username":"ana"}"#,
            "ana",
        ),
        (
            r#"{"sub":"u-1","email":"ana@example.com"}"#,
            "ana@example.com",
        ),
        (r#"{"sub":"u-1"}"#, "u-1"),
    ] {
        let mut token = Token::bearer("at");
        token.id_token = Some(id_token(claims));
        assert_eq!(
            account_name(&ctx, &token, None).await.as_deref(),
            Some(name)
        );
    }
    userinfo.assert_async().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn userinfo_names_it_when_the_id_token_does_not() {
    let mut server = mockito::Server::new_async().await;
    let userinfo = server
        .mock("GET", "/userinfo")
        .match_header("authorization", "Bearer AT-1")
        .with_body(r#"{"sub":"248289761001","email":"bob@example.com"}"#)
        .create_async()
        .await;
    let ctx = ctx(provider(&server, Some("/userinfo")));
    let mut token = Token::bearer("AT-1");
    token.id_token = Some(id_token(r#"{"aud":"x"}"#));
    assert_eq!(
        account_name(&ctx, &token, None).await.as_deref(),
        Some("bob@example.com")
    );
    userinfo.assert_async().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_who_am_i_call_names_it_last() {
    let mut server = mockito::Server::new_async().await;
    let userinfo = server
        .mock("GET", "/userinfo")
        .with_status(404)
        .create_async()
        .await;
    let me = server
        .mock("GET", "/v1/users/me")
        .match_header("authorization", "Bearer AT-2")
        .with_body(r#"{"total_results":1,"results":[{"id":7,"login":"carol"}]}"#)
        .create_async()
        .await;
    let ctx = ctx(provider(&server, Some("/userinfo")));
    let who = auth_flows::preset("inaturalist").unwrap().who_am_i.unwrap();
    let token = Token::bearer("AT-2");
    assert_eq!(
        account_name(&ctx, &token, Some(&who)).await.as_deref(),
        Some("carol")
    );
    userinfo.assert_async().await;
    me.assert_async().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_userinfo_endpoint_that_is_the_who_am_i_call_is_asked_once() {
    let mut server = mockito::Server::new_async().await;
    let me = server
        .mock("GET", "/v1/users/me")
        .with_body(r#"{"results":[{"login":"dan"}]}"#)
        .expect(1)
        .create_async()
        .await;
    let ctx = ctx(provider(&server, Some("/v1/users/me")));
    let who = WhoAmI::new("users/me", "/results/0/login");
    assert_eq!(
        account_name(&ctx, &Token::bearer("AT-3"), Some(&who))
            .await
            .as_deref(),
        Some("dan")
    );
    me.assert_async().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_source_no_name() {
    let mut server = mockito::Server::new_async().await;
    let userinfo = server
        .mock("GET", "/userinfo")
        .with_status(401)
        .create_async()
        .await;
    let me = server
        .mock("GET", "/v1/users/me")
        .with_body(r#"{"results":[]}"#)
        .create_async()
        .await;
    let ctx = ctx(provider(&server, Some("/userinfo")));
    let who = WhoAmI::new("users/me", "/results/0/login");
    assert_eq!(
        account_name(&ctx, &Token::bearer("AT-4"), Some(&who)).await,
        None
    );
    userinfo.assert_async().await;
    me.assert_async().await;
    // nothing to ask at all
    let bare = ctx_without_endpoints();
    assert_eq!(
        account_name(&bare, &Token::bearer("AT-4"), None).await,
        None
    );
    // an OAuth 1 credential is never sent as a bearer token
    assert_eq!(
        account_name(&ctx, &Token::oauth1("t", "s"), Some(&who)).await,
        None
    );
}

fn ctx_without_endpoints() -> FlowContext {
    ctx(Provider::new("bare"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jwt_is_named_from_the_id_token_of_its_source() {
    let server = mockito::Server::new_async().await;
    let ctx = ctx(provider(&server, None));
    let mut source = Token::bearer("oauth");
    source.id_token = Some(id_token(r#"{"preferred_username":"erin"}"#));
    let mut jwt = Token::bearer("jwt");
    jwt.kind = auth_core::TokenKind::Jwt {
        source: Some(Box::new(source)),
    };
    assert_eq!(
        account_name(&ctx, &jwt, None).await.as_deref(),
        Some("erin")
    );
}
