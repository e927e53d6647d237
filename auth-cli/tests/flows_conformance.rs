//! The OAuth 2 flows against a real OAuth server (npm `oauth2-mock-server`), once per
//! transport. `cargo xtask conformance` starts the server and runs these with
//! `AUTHCTL_TEST_OAUTH_ISSUER` set; without it they are ignored.

use std::sync::Arc;
use std::time::Duration;

mod common;

use auth_core::{
    AuthFlow, Credentials, Error, FlowContext, HttpBackend, HttpConfig, Interaction, Provider,
    async_trait,
};
use auth_flows::{
    AuthorizationCodeFlow, ClientCredentialsFlow, LoopbackConfig, PasswordFlow, Redirect,
};

fn issuer() -> String {
    std::env::var("AUTHCTL_TEST_OAUTH_ISSUER")
        .expect("AUTHCTL_TEST_OAUTH_ISSUER: run `cargo xtask conformance`")
}

struct Browser;

#[async_trait]
impl Interaction for Browser {
    async fn open_url(&self, url: &str) -> Result<(), Error> {
        let url = url.to_owned();
        std::thread::spawn(move || common::browse(&url));
        Ok(())
    }
    async fn prompt_code(&self, _prompt: &str) -> Result<String, Error> {
        Err(Error::Interaction("no prompt in this test".into()))
    }
}

fn transports() -> Vec<(&'static str, Arc<dyn HttpBackend>)> {
    vec![
        (
            "ureq",
            Arc::new(auth_http::UreqBackend::new(HttpConfig::default()).unwrap()),
        ),
        (
            "reqwest",
            Arc::new(auth_http::ReqwestBackend::new(HttpConfig::default()).unwrap()),
        ),
    ]
}

async fn context(http: Arc<dyn HttpBackend>) -> FlowContext {
    let provider = auth_flows::discover(http.as_ref(), Provider::new("mock"), &issuer())
        .await
        .expect("discovery");
    let credentials = Credentials {
        username: Some("ana".into()),
        password: Some("pw".into()),
        client_id: Some("conformance-client".into()),
        client_secret: Some("conformance-secret".into()),
    };
    FlowContext::new(provider, credentials, http).with_interaction(Arc::new(Browser))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a real OAuth server: cargo xtask conformance"]
async fn every_grant_with_every_transport() {
    for (name, http) in transports() {
        let ctx = context(http.clone()).await;
        assert!(
            ctx.provider.endpoints.revocation.is_some(),
            "{name}: discovery found the revocation endpoint"
        );

        let password = PasswordFlow
            .authenticate(&ctx)
            .await
            .unwrap_or_else(|e| panic!("{name} password: {e}"));
        assert!(
            password.refresh_token.is_some() && password.id_token.is_some(),
            "{name}"
        );
        assert!(password.expires_at.is_some(), "{name}");

        let cc = ClientCredentialsFlow
            .authenticate(&ctx)
            .await
            .unwrap_or_else(|e| panic!("{name} client credentials: {e}"));
        assert!(
            cc.refresh_token.is_none(),
            "{name}: no refresh token for client credentials"
        );

        let flow = AuthorizationCodeFlow::new(Redirect::Loopback(
            LoopbackConfig::default()
                .with_port(0)
                .with_timeout(Duration::from_secs(20)),
        ));
        let code = flow
            .authenticate(&ctx)
            .await
            .unwrap_or_else(|e| panic!("{name} authorization code + PKCE: {e}"));
        let claims =
            auth_flows::jwt_claims::claims(code.access_token.expose()).expect("a JWT access token");
        assert_eq!(claims["sub"], "johndoe", "{name}");

        // refresh rotates the refresh token
        let fresh = auth_flows::refresh(&ctx.provider, &ctx.credentials, &ctx.http, &code)
            .await
            .unwrap_or_else(|e| panic!("{name} refresh: {e}"));
        assert_ne!(
            fresh.refresh_token, code.refresh_token,
            "{name}: the server rotates refresh tokens"
        );
        // (the access token may repeat: the server's JWTs are deterministic within a second)
        assert!(fresh.expires_at.is_some(), "{name}");

        // revocation (RFC 7009): the server answers 200 to a well-formed request; it does
        // not remember revoked tokens, so refusal afterwards is not checked here
        auth_flows::revoke(&ctx.provider, &ctx.credentials, &ctx.http, &fresh)
            .await
            .unwrap_or_else(|e| panic!("{name} revoke: {e}"));

        // the server's errors come back as OAuth errors
        let mut rejected = ctx.clone();
        rejected.credentials.username = Some("reject".into());
        let err = PasswordFlow.authenticate(&rejected).await.unwrap_err();
        assert!(
            matches!(&err, Error::OAuth(e) if e.code == "invalid_grant" && e.status == 400),
            "{name}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a real OAuth server: cargo xtask conformance"]
async fn authorized_client_calls_userinfo_with_each_transport() {
    for (name, http) in transports() {
        let ctx = context(http.clone()).await;
        let store: Arc<dyn auth_core::TokenStore> = Arc::new(auth_store::MemoryStore::new());
        let manager = Arc::new(
            auth_flows::TokenManager::new(
                auth_core::TokenKey::new("mock", "ana", "conformance-client"),
                store,
                ctx.clone(),
            )
            .with_flow(Arc::new(PasswordFlow)),
        );
        let userinfo = ctx
            .provider
            .endpoints
            .userinfo
            .clone()
            .expect("userinfo endpoint");
        let client = auth_flows::AuthorizedClient::new(http, manager)
            .allow_origins(auth_core::AllowedOrigins::new().with_url(&userinfo));
        let response = client
            .send(
                http::Request::get(userinfo.as_str())
                    .body(Vec::new())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["sub"], "johndoe", "{name}");
    }
}
