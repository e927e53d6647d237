//! The whole three-legged dance against a mockito provider that checks the signature of
//! every request it receives (with its own code and the verification key), with
//! HMAC-SHA1 through a callback source and RSA-SHA256 out of band; and the failures a
//! person can meet: a 401 from the provider, a callback for another login, an OAuth 1.0
//! provider that does not confirm the callback.
#![cfg(feature = "oauth1")]

mod oauth1_common;

use std::sync::{Arc, Mutex};

use auth_core::{
    AuthFlow, Credentials, Endpoint, Error, FlowContext, Interaction, Provider, Token, TokenKind,
    async_trait,
};
use auth_flows::oauth1::{CallbackSource, OAuth1Flow, Placement, RsaKey, SignatureMethod};
use mockito::{Matcher, Server, ServerGuard};
use oauth1_common::{TcpBackend, VerifyKey, verify};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

const CONSUMER_KEY: &str = "dpf43f3p2l4k3l03";
const CONSUMER_SECRET: &str = "kd94hf93k423kf44";
const TEMP_TOKEN: &str = "hh5s93j4hdidpola";
const TEMP_SECRET: &str = "hdhd0244k9j7ao03";
const VERIFIER: &str = "hfdp7dh39dks9884";
const TOKEN: &str = "nnch734d00sl2jdk";
const TOKEN_SECRET: &str = "pfkkdhi9sl3r4s00";

fn provider(server: &ServerGuard) -> Provider {
    let base = server.url();
    Provider::new("photos")
        .with_endpoint(Endpoint::RequestToken, &format!("{base}/initiate"))
        .unwrap()
        .with_endpoint(Endpoint::Authorize, &format!("{base}/authorize?lang=en"))
        .unwrap()
        .with_endpoint(Endpoint::AccessToken, &format!("{base}/token"))
        .unwrap()
}

fn credentials(secret: Option<&str>) -> Credentials {
    Credentials {
        client_id: Some(CONSUMER_KEY.into()),
        client_secret: secret.map(Into::into),
        ..Default::default()
    }
}

/// The person: remembers the URL the flow opened, and types `verifier` when asked.
#[derive(Default)]
struct Person {
    opened: Mutex<Vec<String>>,
    verifier: String,
}

#[async_trait]
impl Interaction for Person {
    async fn open_url(&self, url: &str) -> Result<(), Error> {
        self.opened.lock().unwrap().push(url.to_owned());
        Ok(())
    }
    async fn prompt_code(&self, _prompt: &str) -> Result<String, Error> {
        Ok(self.verifier.clone())
    }
}

/// Plays the provider's redirect: takes `oauth_token` from the URL the person opened
/// (or uses `token_override`) and returns the callback query with the verifier.
struct Redirect {
    person: Arc<Person>,
    token_override: Option<String>,
}

#[async_trait]
impl CallbackSource for Redirect {
    fn callback_url(&self) -> String {
        "http://127.0.0.1:8765/callback".into()
    }
    async fn receive(&self) -> Result<String, Error> {
        let opened = self.person.opened.lock().unwrap().last().cloned();
        let opened = url::Url::parse(&opened.expect("the flow opened a URL first")).unwrap();
        let token = match &self.token_override {
            Some(t) => t.clone(),
            None => opened
                .query_pairs()
                .find(|(k, _)| k == "oauth_token")
                .map(|(_, v)| v.into_owned())
                .expect("oauth_token in the authorization URL"),
        };
        Ok(format!("oauth_token={token}&oauth_verifier={VERIFIER}"))
    }
}

/// Mocks the request token endpoint: answers only correctly signed requests that carry
/// the expected `oauth_callback` and no token.
fn mock_initiate(
    server: &mut ServerGuard,
    key: VerifyKey,
    callback: &'static str,
) -> mockito::Mock {
    server
        .mock("POST", "/initiate")
        .match_request(move |request| {
            verify(request, &key).is_ok_and(|p| {
                p.get("oauth_callback").map(String::as_str) == Some(callback)
                    && p.get("oauth_consumer_key").map(String::as_str) == Some(CONSUMER_KEY)
                    && !p.contains_key("oauth_token")
            })
        })
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body(format!(
            "oauth_token={TEMP_TOKEN}&oauth_token_secret={TEMP_SECRET}&oauth_callback_confirmed=true"
        ))
        .expect(1)
        .create()
}

/// Mocks the access token endpoint: answers only requests signed with the temporary
/// credentials and carrying the verifier.
fn mock_token(server: &mut ServerGuard, key: VerifyKey) -> mockito::Mock {
    server
        .mock("POST", "/token")
        .match_request(move |request| {
            verify(request, &key).is_ok_and(|p| {
                p.get("oauth_token").map(String::as_str) == Some(TEMP_TOKEN)
                    && p.get("oauth_verifier").map(String::as_str) == Some(VERIFIER)
            })
        })
        .with_body(format!(
            "oauth_token={TOKEN}&oauth_token_secret={TOKEN_SECRET}&user_id=42&screen_name=ana"
        ))
        .expect(1)
        .create()
}

fn check_token(token: &Token) {
    assert_eq!(token.access_token.expose(), TOKEN);
    match &token.kind {
        TokenKind::OAuth1 { token_secret } => assert_eq!(token_secret.expose(), TOKEN_SECRET),
        other => panic!("expected an OAuth 1 token, got {other:?}"),
    }
    assert_eq!(token.extra["user_id"], "42");
    assert_eq!(token.extra["screen_name"], "ana");
    // What a store writes and reads back.
    assert_eq!(&Token::from_json(&token.to_json()).unwrap(), token);
    let shown = format!("{token:?}");
    assert!(
        !shown.contains(TOKEN) && !shown.contains(TOKEN_SECRET),
        "{shown}"
    );
}

#[test]
fn hmac_sha1_dance_with_a_callback_source() {
    let mut server = Server::new();
    let consumer = VerifyKey::HmacSha1 {
        consumer_secret: CONSUMER_SECRET.into(),
        token_secret: String::new(),
    };
    let temporary = VerifyKey::HmacSha1 {
        consumer_secret: CONSUMER_SECRET.into(),
        token_secret: TEMP_SECRET.into(),
    };
    let initiate = mock_initiate(&mut server, consumer, "http://127.0.0.1:8765/callback");
    let exchange = mock_token(&mut server, temporary);

    let person = Arc::new(Person::default());
    let http = Arc::new(TcpBackend::default());
    let ctx = FlowContext::new(
        provider(&server),
        credentials(Some(CONSUMER_SECRET)),
        http.clone(),
    )
    .with_interaction(person.clone());
    let flow = OAuth1Flow::with_callback(Arc::new(Redirect {
        person: person.clone(),
        token_override: None,
    }));

    let token = pollster::block_on(flow.authenticate(&ctx)).unwrap();
    check_token(&token);
    initiate.assert();
    exchange.assert();

    let opened = person.opened.lock().unwrap().clone();
    assert_eq!(
        opened,
        [format!(
            "{}/authorize?lang=en&oauth_token={TEMP_TOKEN}",
            server.url()
        )]
    );
    let seen = http.seen();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|s| s.kind == auth_core::RequestKind::TokenEndpoint && s.method == "POST")
    );
}

#[test]
fn rsa_sha256_dance_out_of_band() {
    let mut server = Server::new();
    let public = oauth1_common::rsa_public_key();
    let initiate = mock_initiate(&mut server, VerifyKey::RsaSha256(public.clone()), "oob");
    let exchange = mock_token(&mut server, VerifyKey::RsaSha256(public));

    // The key as PKCS#8 PEM, the form `openssl genpkey` writes.
    let pkcs8 = rsa::RsaPrivateKey::from_pkcs1_pem(&oauth1_common::rsa_private_pem())
        .unwrap()
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap();
    let flow = OAuth1Flow::oob()
        .with_method(SignatureMethod::RsaSha256)
        .with_rsa_key(RsaKey::from_pem(&pkcs8).unwrap());
    let person = Arc::new(Person {
        verifier: format!("  {VERIFIER}\n"),
        ..Default::default()
    });
    // RSA needs no consumer secret.
    let ctx = FlowContext::new(
        provider(&server),
        credentials(None),
        Arc::new(TcpBackend::default()),
    )
    .with_interaction(person.clone());

    let token = pollster::block_on(flow.authenticate(&ctx)).unwrap();
    check_token(&token);
    initiate.assert();
    exchange.assert();
    assert_eq!(person.opened.lock().unwrap().len(), 1);
}

#[test]
fn body_placement_dance() {
    let mut server = Server::new();
    let consumer = VerifyKey::HmacSha1 {
        consumer_secret: CONSUMER_SECRET.into(),
        token_secret: String::new(),
    };
    let temporary = VerifyKey::HmacSha1 {
        consumer_secret: CONSUMER_SECRET.into(),
        token_secret: TEMP_SECRET.into(),
    };
    let initiate = mock_initiate(&mut server, consumer, "oob");
    let exchange = mock_token(&mut server, temporary);
    let person = Arc::new(Person {
        verifier: VERIFIER.into(),
        ..Default::default()
    });
    let ctx = FlowContext::new(
        provider(&server),
        credentials(Some(CONSUMER_SECRET)),
        Arc::new(TcpBackend::default()),
    )
    .with_interaction(person);
    let flow = OAuth1Flow::oob().with_placement(Placement::Body);
    check_token(&pollster::block_on(flow.authenticate(&ctx)).unwrap());
    initiate.assert();
    exchange.assert();
}

#[test]
fn oob_accepts_a_pasted_callback_url_and_still_checks_its_token() {
    for (pasted_token, works) in [(TEMP_TOKEN, true), ("another-login", false)] {
        let mut server = Server::new();
        let consumer = VerifyKey::HmacSha1 {
            consumer_secret: CONSUMER_SECRET.into(),
            token_secret: String::new(),
        };
        let temporary = VerifyKey::HmacSha1 {
            consumer_secret: CONSUMER_SECRET.into(),
            token_secret: TEMP_SECRET.into(),
        };
        let initiate = mock_initiate(&mut server, consumer, "oob");
        let exchange = mock_token(&mut server, temporary).expect(usize::from(works));
        let person = Arc::new(Person {
            verifier: format!(
                "https://photos.example.net/ready?oauth_token={pasted_token}&oauth_verifier={VERIFIER}"
            ),
            ..Default::default()
        });
        let ctx = FlowContext::new(
            provider(&server),
            credentials(Some(CONSUMER_SECRET)),
            Arc::new(TcpBackend::default()),
        )
        .with_interaction(person);
        let result = pollster::block_on(OAuth1Flow::oob().authenticate(&ctx));
        if works {
            check_token(&result.unwrap());
        } else {
            assert!(matches!(result, Err(Error::StateMismatch)), "{result:?}");
        }
        initiate.assert();
        exchange.assert();
    }
}

#[test]
fn a_401_from_the_request_token_endpoint_is_a_clear_error_without_secrets() {
    let mut server = Server::new();
    let initiate = server
        .mock("POST", "/initiate")
        .with_status(401)
        .with_body(format!(
            "oauth_problem=signature_invalid&oauth_token=leaked-{TEMP_TOKEN}&oauth_problem_advice=check%20your%20keys"
        ))
        .expect(1)
        .create();
    let exchange = server.mock("POST", "/token").expect(0).create();
    let person = Arc::new(Person::default());
    let ctx = FlowContext::new(
        provider(&server),
        credentials(Some(CONSUMER_SECRET)),
        Arc::new(TcpBackend::default()),
    )
    .with_interaction(person.clone());

    let err = pollster::block_on(OAuth1Flow::oob().authenticate(&ctx)).unwrap_err();
    assert!(
        matches!(err, Error::InvalidResponse { status: 401, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    for expected in [
        "/initiate",
        "HTTP 401",
        "signature_invalid",
        "consumer key and secret",
    ] {
        assert!(message.contains(expected), "{expected:?} in {message}");
    }
    let debug = format!("{err:?}");
    for secret in [CONSUMER_SECRET, TEMP_TOKEN] {
        assert!(
            !message.contains(secret) && !debug.contains(secret),
            "{message}"
        );
    }
    assert!(
        person.opened.lock().unwrap().is_empty(),
        "no browser opened"
    );
    initiate.assert();
    exchange.assert();
}

#[test]
fn a_callback_for_another_login_is_refused() {
    let mut server = Server::new();
    let consumer = VerifyKey::HmacSha1 {
        consumer_secret: CONSUMER_SECRET.into(),
        token_secret: String::new(),
    };
    let initiate = mock_initiate(&mut server, consumer, "http://127.0.0.1:8765/callback");
    let exchange = server.mock("POST", "/token").expect(0).create();
    let person = Arc::new(Person::default());
    let ctx = FlowContext::new(
        provider(&server),
        credentials(Some(CONSUMER_SECRET)),
        Arc::new(TcpBackend::default()),
    )
    .with_interaction(person.clone());
    let flow = OAuth1Flow::with_callback(Arc::new(Redirect {
        person,
        token_override: Some("someone-elses-token".into()),
    }));

    let err = pollster::block_on(flow.authenticate(&ctx)).unwrap_err();
    assert!(matches!(err, Error::StateMismatch), "{err:?}");
    assert!(err.to_string().contains("run the login again"), "{err}");
    initiate.assert();
    exchange.assert();
}

#[test]
fn a_provider_without_oauth_1_0a_is_refused() {
    let mut server = Server::new();
    let initiate = server
        .mock("POST", "/initiate")
        .with_body(format!(
            "oauth_token={TEMP_TOKEN}&oauth_token_secret={TEMP_SECRET}"
        ))
        .create();
    let ctx = FlowContext::new(
        provider(&server),
        credentials(Some(CONSUMER_SECRET)),
        Arc::new(TcpBackend::default()),
    )
    .with_interaction(Arc::new(Person::default()));
    let err = pollster::block_on(OAuth1Flow::oob().authenticate(&ctx)).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("oauth_callback_confirmed"), "{message}");
    assert!(!message.contains(TEMP_SECRET), "{message}");
    initiate.assert();
}

#[test]
fn missing_consumer_credentials_and_scripts_fail_before_any_request() {
    let mut server = Server::new();
    let untouched = server.mock("POST", Matcher::Any).expect(0).create();
    let http = Arc::new(TcpBackend::default());

    let ctx = FlowContext::new(provider(&server), Credentials::default(), http.clone())
        .with_interaction(Arc::new(Person::default()));
    let err = pollster::block_on(OAuth1Flow::oob().authenticate(&ctx)).unwrap_err();
    assert!(
        matches!(err, Error::MissingCredentials { ref missing, .. } if missing.len() == 2),
        "{err:?}"
    );

    // A script (no person to ask) gets "log in first" instead of a hanging prompt.
    let ctx = FlowContext::new(
        provider(&server),
        credentials(Some(CONSUMER_SECRET)),
        http.clone(),
    );
    let err = pollster::block_on(OAuth1Flow::oob().authenticate(&ctx)).unwrap_err();
    assert!(matches!(err, Error::LoginRequired { .. }), "{err:?}");
    assert!(
        (err.to_string().contains("log in again")
            && err.hint()
                == Some(auth_core::Hint::LoginRequired {
                    profile: "photos".into()
                })),
        "{err}"
    );

    // RSA without a key is a configuration error naming the setting.
    let ctx = FlowContext::new(provider(&server), credentials(None), http.clone())
        .with_interaction(Arc::new(Person::default()));
    let flow = OAuth1Flow::oob().with_method(SignatureMethod::RsaSha1);
    let err = pollster::block_on(flow.authenticate(&ctx)).unwrap_err();
    assert!(err.to_string().contains("rsa_key_file"), "{err}");

    assert!(http.seen().is_empty());
    untouched.assert();
}
