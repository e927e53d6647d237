//! Discovery (OpenID and the RFC 8414 fallback), token validation, introspection and the
//! JWT exchange's errors, against mock servers.
#![cfg(all(feature = "discovery", feature = "inaturalist"))]

use std::sync::Arc;

use auth_core::{Credentials, Endpoint, Error, HttpBackend, Provider, Token};
use auth_flows::Validation;
use auth_testkit::LoopbackHttp;

fn http() -> Arc<dyn HttpBackend> {
    Arc::new(LoopbackHttp::default())
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_reads_openid_configuration() {
    let mut server = mockito::Server::new_async().await;
    let issuer = server.url();
    server
        .mock("GET", "/.well-known/openid-configuration")
        .with_body(format!(
            r#"{{"issuer":"{issuer}","authorization_endpoint":"{issuer}/auth","token_endpoint":"{issuer}/token",
                "revocation_endpoint":"{issuer}/revoke","userinfo_endpoint":"{issuer}/me",
                "token_endpoint_auth_methods_supported":["client_secret_post"]}}"#
        ))
        .create_async()
        .await;
    let p = auth_flows::discover(http().as_ref(), Provider::new("idp"), &issuer)
        .await
        .unwrap();
    assert_eq!(
        p.endpoint(Endpoint::Token).unwrap().as_str(),
        format!("{issuer}/token")
    );
    assert_eq!(
        p.endpoint(Endpoint::Userinfo).unwrap().as_str(),
        format!("{issuer}/me")
    );
    assert_eq!(
        p.client_auth,
        auth_core::ClientAuth::Body,
        "client_secret_post only: body"
    );
    assert!(p.endpoint(Endpoint::DeviceAuthorization).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_falls_back_to_rfc8414_and_checks_the_issuer() {
    let mut server = mockito::Server::new_async().await;
    let issuer = format!("{}/tenant", server.url());
    server
        .mock("GET", "/tenant/.well-known/openid-configuration")
        .with_status(404)
        .create_async()
        .await;
    server
        .mock("GET", "/.well-known/oauth-authorization-server/tenant")
        .with_body(format!(
            r#"{{"issuer":"{issuer}","token_endpoint":"{issuer}/token"}}"#
        ))
        .create_async()
        .await;
    let p = auth_flows::discover(http().as_ref(), Provider::new("idp"), &issuer)
        .await
        .unwrap();
    assert_eq!(
        p.endpoint(Endpoint::Token).unwrap().as_str(),
        format!("{issuer}/token")
    );

    let mut other = mockito::Server::new_async().await;
    other
        .mock("GET", "/.well-known/openid-configuration")
        .with_body(
            r#"{"issuer":"https://evil.example","token_endpoint":"https://evil.example/token"}"#,
        )
        .create_async()
        .await;
    let err = auth_flows::discover(http().as_ref(), Provider::new("idp"), &other.url())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("evil.example"),
        "a document for another issuer is refused: {err}"
    );
}

/// Answers every request with one discovery document for `http://idp.intranet.example`,
/// behind the real HTTP policy: only the policy decides whether plain `http://` goes out.
struct IntranetIdp;

impl auth_http::policy::SendOnce for IntranetIdp {
    async fn send_once(
        &self,
        _: auth_http::policy::Exchange<'_>,
    ) -> Result<auth_core::HttpResponse, Error> {
        let document = r#"{"issuer":"http://idp.intranet.example","token_endpoint":"http://idp.intranet.example/token"}"#;
        Ok(http::Response::builder()
            .status(200)
            .body(document.as_bytes().to_vec())
            .unwrap())
    }

    async fn sleep(&self, _: std::time::Duration) {}
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_of_a_plain_http_issuer_follows_the_templates_insecure_http() {
    let http = auth_http::policy::PolicyBackend::with_transport(
        IntranetIdp,
        auth_core::HttpConfig::default(),
    )
    .unwrap();
    let issuer = "http://idp.intranet.example";

    let err = auth_flows::discover(&http, Provider::new("intranet"), issuer)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InsecureTransport { .. }),
        "without the switch nothing goes out: {err}"
    );

    let mut template = Provider::new("intranet");
    template.insecure_http = true;
    template.default_scopes = vec!["openid".into()];
    let p = auth_flows::discover(&http, template, issuer).await.unwrap();
    assert_eq!(
        p.endpoint(Endpoint::Token).unwrap().as_str(),
        "http://idp.intranet.example/token"
    );
    assert!(
        p.insecure_http,
        "the switch stays on the discovered provider"
    );
    assert_eq!(p.default_scopes, ["openid"], "the template's settings stay");
    assert!(p.validate().is_ok());
}

fn userinfo_provider(server: &mockito::ServerGuard) -> Provider {
    Provider::new("inat-like")
        .with_endpoint(Endpoint::Userinfo, &format!("{}/v1/users/me", server.url()))
        .unwrap()
        .with_endpoint(Endpoint::Jwt, &format!("{}/users/api_token", server.url()))
        .unwrap()
        .with_endpoint(
            Endpoint::Introspection,
            &format!("{}/introspect", server.url()),
        )
        .unwrap()
        .with_endpoint(Endpoint::Token, &format!("{}/token", server.url()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_answers_valid_invalid_or_could_not_check() {
    let mut server = mockito::Server::new_async().await;
    let p = userinfo_provider(&server);
    server
        .mock("GET", "/v1/users/me")
        .match_header("authorization", "Bearer good")
        .with_body("{}")
        .create_async()
        .await;
    server
        .mock("GET", "/v1/users/me")
        .match_header("authorization", "Bearer bad")
        .with_status(401)
        .create_async()
        .await;
    server
        .mock("GET", "/v1/users/me")
        .match_header("authorization", "Bearer flaky")
        .with_status(503)
        .create_async()
        .await;
    assert_eq!(
        auth_flows::validate(&p, http().as_ref(), &Token::bearer("good")).await,
        Validation::Valid
    );
    assert_eq!(
        auth_flows::validate(&p, http().as_ref(), &Token::bearer("bad")).await,
        Validation::Invalid
    );
    assert!(
        matches!(auth_flows::validate(&p, http().as_ref(), &Token::bearer("flaky")).await, Validation::CouldNotCheck(r) if r.contains("503"))
    );
    let none = Provider::new("bare");
    assert!(
        matches!(auth_flows::validate(&none, http().as_ref(), &Token::bearer("x")).await, Validation::CouldNotCheck(r) if r.contains("userinfo_url"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_exchange_errors_are_clear() {
    let mut server = mockito::Server::new_async().await;
    let p = userinfo_provider(&server);
    let m = server
        .mock("GET", "/users/api_token")
        .with_status(401)
        .create_async()
        .await;
    let err = auth_flows::exchange_jwt(&p, http().as_ref(), &Token::bearer("revoked"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LoginRequired { .. }), "{err}");
    m.remove_async().await;
    server
        .mock("GET", "/users/api_token")
        .with_body(r#"{"other":"x"}"#)
        .create_async()
        .await;
    let err = auth_flows::exchange_jwt(&p, http().as_ref(), &Token::bearer("t"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("api_token"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_reports_activity_and_details() {
    let mut server = mockito::Server::new_async().await;
    let p = userinfo_provider(&server);
    let m = server
        .mock("POST", "/introspect")
        .match_body(mockito::Matcher::UrlEncoded("token".into(), "at-1".into()))
        .with_header("content-type", "application/json")
        .with_body(r#"{"active":true,"scope":"read write","client_id":"c1","username":"ana","exp":1900000000}"#)
        .create_async()
        .await;
    let creds = Credentials {
        client_id: Some("c1".into()),
        client_secret: Some("s".into()),
        ..Default::default()
    };
    let info = auth_flows::introspect(&p, &creds, &http(), &"at-1".into())
        .await
        .unwrap();
    m.assert_async().await;
    assert!(info.active);
    assert_eq!(info.scopes, ["read", "write"]);
    assert_eq!(info.username.as_deref(), Some("ana"));
    assert_eq!(
        info.expires_at,
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_900_000_000))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_compares_the_issuer_exactly_and_keeps_it() {
    let mut server = mockito::Server::new_async().await;
    let issuer = server.url();
    server
        .mock("GET", "/.well-known/openid-configuration")
        .with_body(format!(
            r#"{{"issuer":"{issuer}/","token_endpoint":"{issuer}/token"}}"#
        ))
        .create_async()
        .await;
    let err = auth_flows::discover(http().as_ref(), Provider::new("idp"), &issuer)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("identical"),
        "a trailing slash is another issuer (RFC 8414 §3.3): {err}"
    );

    let mut server = mockito::Server::new_async().await;
    let issuer = server.url();
    server
        .mock("GET", "/.well-known/openid-configuration")
        .with_body(format!(
            r#"{{"issuer":"{issuer}","token_endpoint":"{issuer}/token",
                "authorization_response_iss_parameter_supported":true}}"#
        ))
        .create_async()
        .await;
    let p = auth_flows::discover(http().as_ref(), Provider::new("idp"), &issuer)
        .await
        .unwrap();
    assert_eq!(p.issuer.as_deref(), Some(issuer.as_str()));
    assert!(p.authorization_response_iss_parameter_supported);
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_does_not_follow_a_redirect_to_another_origin() {
    let mut elsewhere = mockito::Server::new_async().await;
    let evil = elsewhere.url();
    let served = elsewhere
        .mock("GET", "/.well-known/openid-configuration")
        .with_body(format!(
            r#"{{"issuer":"{evil}","token_endpoint":"{evil}/token"}}"#
        ))
        .expect(0)
        .create_async()
        .await;
    let mut server = mockito::Server::new_async().await;
    let issuer = server.url();
    server
        .mock("GET", "/.well-known/openid-configuration")
        .with_status(302)
        .with_header(
            "location",
            &format!("{evil}/.well-known/openid-configuration"),
        )
        .create_async()
        .await;
    // A transport that follows redirects, as the default ones do.
    let http = LoopbackHttp::with_config(auth_core::HttpConfig::default());
    let err = auth_flows::discover(&http, Provider::new("idp"), &issuer)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another origin"), "{err}");
    served.assert_async().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_discovery_document_fails_clearly() {
    let mut server = mockito::Server::new_async().await;
    let issuer = server.url();
    let padding = "x".repeat(2 * 1024 * 1024);
    server
        .mock("GET", "/.well-known/openid-configuration")
        .with_body(format!(
            r#"{{"issuer":"{issuer}","token_endpoint":"{issuer}/token","pad":"{padding}"}}"#
        ))
        .create_async()
        .await;
    let err = auth_flows::discover(http().as_ref(), Provider::new("idp"), &issuer)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("limit"), "{err}");
}
