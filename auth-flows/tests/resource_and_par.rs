//! Resource indicators (RFC 8707) on the token and refresh requests, and the discovery of
//! PAR (RFC 9126) and of the client assertion algorithms, against mock servers that check
//! the exact parameters received.
#![cfg(all(feature = "discovery", feature = "client-credentials"))]

use std::sync::Arc;

use auth_core::{
    AuthFlow, Credentials, Endpoint, FlowContext, HttpBackend, Provider, Secret, Token,
};
use auth_testkit::LoopbackHttp;
use mockito::Matcher;

fn http() -> Arc<dyn HttpBackend> {
    Arc::new(LoopbackHttp::default())
}

fn provider(server: &mockito::Server) -> Provider {
    let mut p = Provider::new("api")
        .with_endpoint(Endpoint::Token, &format!("{}/token", server.url()))
        .unwrap();
    p.resources = vec![
        "https://api.example/orders".into(),
        "https://api.example/users".into(),
    ];
    p.audience = Some("orders-api".into());
    p
}

/// Both resources and the audience, each as its own parameter.
fn resource_matchers() -> Vec<Matcher> {
    vec![
        Matcher::Regex("resource=https%3A%2F%2Fapi.example%2Forders".into()),
        Matcher::Regex("resource=https%3A%2F%2Fapi.example%2Fusers".into()),
        Matcher::UrlEncoded("audience".into(), "orders-api".into()),
    ]
}

const TOKEN: &str =
    r#"{"access_token":"at-1","token_type":"Bearer","expires_in":60,"refresh_token":"rt-2"}"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_token_and_refresh_requests_carry_the_resources_and_audience() {
    let mut server = mockito::Server::new_async().await;
    let mut grant = resource_matchers();
    grant.push(Matcher::UrlEncoded(
        "grant_type".into(),
        "client_credentials".into(),
    ));
    let grant = server
        .mock("POST", "/token")
        .match_body(Matcher::AllOf(grant))
        .with_body(TOKEN)
        .create_async()
        .await;
    let mut renew = resource_matchers();
    renew.push(Matcher::UrlEncoded(
        "grant_type".into(),
        "refresh_token".into(),
    ));
    let renew = server
        .mock("POST", "/token")
        .match_body(Matcher::AllOf(renew))
        .with_body(TOKEN)
        .create_async()
        .await;
    let credentials = Credentials {
        client_id: Some("cid".into()),
        client_secret: Some(Secret::new("cs-secret")),
        ..Default::default()
    };
    let ctx = FlowContext::new(provider(&server), credentials.clone(), http());
    let token = auth_flows::ClientCredentialsFlow
        .authenticate(&ctx)
        .await
        .unwrap();
    grant.assert_async().await;
    let old = Token::bearer("at-0").with_refresh_token("rt-1");
    auth_flows::refresh(&provider(&server), &credentials, &http(), &old)
        .await
        .unwrap();
    renew.assert_async().await;
    assert_eq!(token.access_token.expose(), "at-1");
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_reads_par_and_the_assertion_algorithms() {
    let mut server = mockito::Server::new_async().await;
    let issuer = server.url();
    server
        .mock("GET", "/.well-known/openid-configuration")
        .with_body(format!(
            r#"{{"issuer":"{issuer}","token_endpoint":"{issuer}/token",
                "pushed_authorization_request_endpoint":"{issuer}/par",
                "require_pushed_authorization_requests":true,
                "token_endpoint_auth_signing_alg_values_supported":["PS256","ES256"]}}"#
        ))
        .create_async()
        .await;
    let p = auth_flows::discover(http().as_ref(), Provider::new("idp"), &issuer)
        .await
        .unwrap();
    assert!(p.par);
    assert_eq!(
        p.endpoint(Endpoint::PushedAuthorization).unwrap().as_str(),
        format!("{issuer}/par")
    );
    assert_eq!(p.client_assertion_algs, ["PS256", "ES256"]);
}
