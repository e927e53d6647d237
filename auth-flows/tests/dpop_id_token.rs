//! DPoP (RFC 9449) and ID token validation (OpenID Connect Core §3.1.3.7) through the
//! whole HTTP policy, over a scripted transport that records every hop as sent: proofs on
//! token and resource requests, server nonces, redirects, refresh, and every refusal of a
//! bad ID token, with nothing stored.
#![cfg(all(feature = "client-credentials", feature = "authorization-code"))]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::http::Method;
use auth_core::{
    AuthFlow, Credentials, Endpoint, Error, FlowContext, HttpBackend, HttpConfig, HttpResponse,
    Interaction, Provider, Secret, Token, TokenKey, TokenStore, async_trait,
};
use auth_flows::dpop::{DpopKey, ath, htu};
use auth_flows::id_token::{IdTokenValidator, Jwks};
use auth_flows::{
    AuthorizationCodeFlow, AuthorizedClient, ClientCredentialsFlow, Redirect, TokenManager,
};
use auth_http::policy::{Exchange, PolicyBackend, SendOnce};
use auth_store::MemoryStore;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use serde_json::{Value, json};

/// One request as it went out.
#[derive(Clone, Debug)]
struct Sent {
    method: Method,
    url: String,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Sent {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Answers with scripted responses, in order, and records what it was sent.
#[derive(Default)]
struct Scripted {
    answers: Mutex<VecDeque<HttpResponse>>,
    sent: Mutex<Vec<Sent>>,
}

/// The transport half of a [`Scripted`] server.
struct Transport(Arc<Scripted>);

impl SendOnce for Transport {
    async fn send_once(&self, e: Exchange<'_>) -> Result<HttpResponse, Error> {
        self.0.sent.lock().unwrap().push(Sent {
            method: e.method().clone(),
            url: e.url().to_string(),
            headers: e.headers().clone(),
            body: e.body().to_vec(),
        });
        Ok(self
            .0
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .expect("a scripted answer for every request"))
    }
    async fn sleep(&self, _: Duration) {}
}

fn answer(status: u16, headers: &[(&str, &str)], body: Value) -> HttpResponse {
    let mut b = http::Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(body.to_string().into_bytes()).unwrap()
}

fn transport(answers: Vec<HttpResponse>) -> (Arc<Scripted>, Arc<dyn HttpBackend>) {
    let script = Arc::new(Scripted {
        answers: Mutex::new(answers.into()),
        sent: Mutex::new(Vec::new()),
    });
    let http = PolicyBackend::with_transport(Transport(Arc::clone(&script)), HttpConfig::default())
        .unwrap();
    (script, Arc::new(http))
}

fn provider(dpop: bool) -> Provider {
    let mut p = Provider::new("idp")
        .with_endpoint(Endpoint::Token, "https://as.example/token")
        .unwrap()
        .with_endpoint(Endpoint::Authorize, "https://as.example/authorize")
        .unwrap();
    p.endpoints.api_base = Some("https://rs.example/".parse().unwrap());
    p.dpop = dpop;
    p
}

fn credentials() -> Credentials {
    Credentials {
        client_id: Some("app".into()),
        client_secret: Some(Secret::new("s3cret")),
        ..Default::default()
    }
}

/// The header and the verified claims of a proof, checked against its own header `jwk`.
fn verified_proof(proof: &str) -> (jsonwebtoken::Header, Value) {
    let header = jsonwebtoken::decode_header(proof).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(header.jwk.as_ref().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .expect("the proof verifies against its header's jwk")
        .claims;
    (header, claims)
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/dpop-vectors.json")).unwrap()
}

fn thumbprint(header: &jsonwebtoken::Header) -> String {
    header
        .jwk
        .as_ref()
        .unwrap()
        .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
}

#[test]
fn proofs_have_the_committed_structure_and_ath_matches_rfc_9449() {
    let v = vectors();
    assert_eq!(
        ath(v["ath"]["access_token"].as_str().unwrap()),
        v["ath"]["ath"].as_str().unwrap()
    );
    for case in v["htu"].as_array().unwrap() {
        let url = case["url"].as_str().unwrap().parse().unwrap();
        assert_eq!(htu(&url), case["htu"].as_str().unwrap());
    }
    let shape = &v["proof_structure"];
    let key = DpopKey::generate().unwrap();
    let url = "https://resource.example.org/protectedresource?x=1"
        .parse()
        .unwrap();
    let token = Secret::new(v["ath"]["access_token"].as_str().unwrap());
    for (access, claims_key) in [
        (None, "claims_token_request"),
        (Some(&token), "claims_resource_request"),
    ] {
        let proof = key.proof(&Method::GET, &url, access, None).unwrap();
        let (header, claims) = verified_proof(&proof);
        let raw_header: Value = serde_json::to_value(&header).unwrap();
        assert_eq!(raw_header["typ"], shape["header"]["typ"]);
        assert_eq!(raw_header["alg"], shape["header"]["alg"]);
        for field in shape["header"]["jwk"].as_array().unwrap() {
            assert!(
                raw_header["jwk"].get(field.as_str().unwrap()).is_some(),
                "{field}"
            );
        }
        assert_eq!(raw_header["jwk"]["kty"], shape["header_jwk"]["kty"]);
        assert_eq!(raw_header["jwk"]["crv"], shape["header_jwk"]["crv"]);
        for field in shape["header_jwk_forbidden"].as_array().unwrap() {
            assert!(raw_header["jwk"].get(field.as_str().unwrap()).is_none());
        }
        let names: Vec<&str> = claims
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected: Vec<&str> = shape[claims_key]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        expected.sort_unstable();
        assert_eq!(names, expected, "{claims_key}");
        assert_eq!(claims["htm"], "GET");
        assert_eq!(
            claims["htu"],
            "https://resource.example.org/protectedresource"
        );
        if access.is_some() {
            assert_eq!(claims["ath"], v["ath"]["ath"]);
        }
    }
}

#[tokio::test]
async fn a_token_request_carries_a_proof_and_meets_a_nonce_demand_once() {
    let (script, http) = transport(vec![
        answer(
            400,
            &[("DPoP-Nonce", "nonce-1")],
            json!({"error": "use_dpop_nonce", "error_description": "nonce required"}),
        ),
        answer(
            200,
            &[("DPoP-Nonce", "nonce-2")],
            json!({"access_token": "at-1", "token_type": "DPoP", "expires_in": 600}),
        ),
    ]);
    let ctx = FlowContext::new(provider(true), credentials(), http);
    let token = ClientCredentialsFlow.authenticate(&ctx).await.unwrap();
    assert!(token.is_dpop());
    let sent = script.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "one retry");
    let (first_header, first) = verified_proof(sent[0].header("dpop").unwrap());
    let (second_header, second) = verified_proof(sent[1].header("dpop").unwrap());
    assert_eq!(
        (first["htm"].as_str(), first["htu"].as_str()),
        (Some("POST"), Some("https://as.example/token"))
    );
    assert!(first.get("nonce").is_none() && first.get("ath").is_none());
    assert_eq!(second["nonce"], "nonce-1");
    assert_ne!(first["jti"], second["jti"]);
    assert_eq!(thumbprint(&first_header), thumbprint(&second_header));
    // the key is kept with the token, and it is the key that signed
    let stored = DpopKey::from_secret(token.dpop_key.as_ref().unwrap()).unwrap();
    assert_eq!(stored.thumbprint(), thumbprint(&first_header));
    assert!(!format!("{token:?}").contains(token.dpop_key.as_ref().unwrap().expose()));
}

/// Token exchange builds its own form like the password and client credentials grants,
/// and is sent by the same path: a DPoP provider gets a proof on it, the nonce retry, and
/// a refusal that echoes the subject token does not show it.
#[cfg(feature = "token-exchange")]
#[tokio::test]
async fn a_token_exchange_carries_a_proof_too() {
    use auth_flows::{SubjectToken, TokenExchangeFlow, token_types};
    let (script, http) = transport(vec![
        answer(
            400,
            &[("DPoP-Nonce", "nonce-x")],
            json!({"error": "use_dpop_nonce"}),
        ),
        answer(
            200,
            &[],
            json!({"access_token": "at-x", "token_type": "DPoP", "issued_token_type": token_types::ACCESS_TOKEN}),
        ),
        answer(
            400,
            &[],
            json!({"error": "invalid_grant", "error_description": "subject subject-tok-123 is unknown"}),
        ),
    ]);
    let ctx = FlowContext::new(provider(true), credentials(), http);
    let subject = SubjectToken::given(Secret::new("subject-tok-123"), token_types::ACCESS_TOKEN);
    let flow = TokenExchangeFlow::new(subject);
    let token = flow.authenticate(&ctx).await.unwrap();
    assert!(token.is_dpop() && token.dpop_key.is_some());
    let sent = script.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "one retry with the nonce");
    let (_, second) = verified_proof(sent[1].header("dpop").unwrap());
    assert_eq!(second["nonce"], "nonce-x");
    assert_eq!(second["htu"], "https://as.example/token");
    let form = String::from_utf8(sent[1].body.clone()).unwrap();
    assert!(
        form.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"),
        "{form}"
    );
    let err = flow.authenticate(&ctx).await.unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.code == "invalid_grant"),
        "{err}"
    );
    assert!(!err.to_string().contains("subject-tok-123"), "{err}");
}

#[tokio::test]
async fn a_stale_nonce_is_retried_once_then_reported() {
    let stale = || {
        answer(
            400,
            &[("DPoP-Nonce", "fresh")],
            json!({"error": "use_dpop_nonce"}),
        )
    };
    let (script, http) = transport(vec![stale(), stale()]);
    let ctx = FlowContext::new(provider(true), credentials(), http);
    let err = ClientCredentialsFlow.authenticate(&ctx).await.unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(&err, Error::OAuth(e) if e.code == "use_dpop_nonce"),
        "{err:?}"
    );
    assert!(
        message.contains("again after a retry with the nonce"),
        "{message}"
    );
    assert_eq!(script.sent.lock().unwrap().len(), 2, "exactly one retry");
}

#[tokio::test]
async fn a_server_without_dpop_gets_a_bearer_token_and_no_key_is_kept() {
    let (_, http) = transport(vec![answer(
        200,
        &[],
        json!({"access_token": "at", "token_type": "Bearer"}),
    )]);
    let ctx = FlowContext::new(provider(true), credentials(), http);
    let token = ClientCredentialsFlow.authenticate(&ctx).await.unwrap();
    assert!(!token.is_dpop() && token.dpop_key.is_none());
}

fn dpop_token(key: &DpopKey, expires_in: i64) -> Token {
    let mut token = Token::bearer("at-old").with_refresh_token("rt-1");
    token.token_type = "DPoP".into();
    token.dpop_key = Some(key.to_secret());
    let at = if expires_in >= 0 {
        SystemTime::now() + Duration::from_secs(expires_in as u64)
    } else {
        SystemTime::now() - Duration::from_secs(expires_in.unsigned_abs())
    };
    token.expires_at = Some(at);
    token
}

async fn manager_with(
    http: Arc<dyn HttpBackend>,
    token: Token,
) -> (Arc<TokenManager>, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let key = TokenKey::new("idp", "ana", "app");
    store.save(&key, &token).await.unwrap();
    let ctx = FlowContext::new(provider(false), credentials(), http);
    (Arc::new(TokenManager::new(key, store.clone(), ctx)), store)
}

#[tokio::test]
async fn resource_requests_send_dpop_auth_with_ath_follow_redirects_and_meet_a_nonce() {
    let key = DpopKey::generate().unwrap();
    let (script, http) = transport(vec![
        http::Response::builder()
            .status(401)
            .header(
                "WWW-Authenticate",
                r#"DPoP error="use_dpop_nonce", error_description="nonce""#,
            )
            .header("DPoP-Nonce", "rs-nonce")
            .body(Vec::new())
            .unwrap(),
        http::Response::builder()
            .status(302)
            .header("Location", "/v2/items?page=2")
            .body(Vec::new())
            .unwrap(),
        answer(200, &[], json!({"ok": true})),
    ]);
    let (manager, _) = manager_with(Arc::clone(&http), dpop_token(&key, 3600)).await;
    let client = AuthorizedClient::new(http, manager);
    let response = client
        .send(
            http::Request::get("https://rs.example/v1/items?page=1")
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let sent = script.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 3);
    for s in &sent {
        assert_eq!(
            s.header("authorization"),
            Some("DPoP at-old"),
            "never Bearer"
        );
        assert_eq!(s.method, Method::GET);
    }
    let claims: Vec<Value> = sent
        .iter()
        .map(|s| {
            let (header, claims) = verified_proof(s.header("dpop").unwrap());
            assert_eq!(thumbprint(&header), key.thumbprint());
            claims
        })
        .collect();
    assert!(claims[0].get("nonce").is_none());
    assert_eq!(claims[1]["nonce"], "rs-nonce");
    assert_eq!(claims[1]["htu"], "https://rs.example/v1/items");
    // the redirect hop gets its own proof, for the URL it really goes to
    assert_eq!(claims[2]["htu"], "https://rs.example/v2/items");
    assert_eq!(claims[2]["htm"], "GET");
    for c in &claims {
        assert_eq!(c["ath"], ath("at-old"));
    }
    assert!(sent[2].url.ends_with("/v2/items?page=2"));
}

#[tokio::test]
async fn a_refresh_proves_the_stored_key_and_keeps_it() {
    let key = DpopKey::generate().unwrap();
    let (script, http) = transport(vec![answer(
        200,
        &[],
        json!({"access_token": "at-new", "token_type": "DPoP", "expires_in": 600, "refresh_token": "rt-2"}),
    )]);
    let (manager, store) = manager_with(http, dpop_token(&key, -10)).await;
    let fresh = manager.token().await.unwrap();
    assert_eq!(fresh.access_token.expose(), "at-new");
    let sent = script.sent.lock().unwrap().clone();
    let (header, claims) = verified_proof(sent[0].header("dpop").unwrap());
    assert_eq!(
        thumbprint(&header),
        key.thumbprint(),
        "the refresh token's key"
    );
    assert!(claims.get("ath").is_none());
    assert!(String::from_utf8_lossy(&sent[0].body).contains("grant_type=refresh_token"));
    let saved = store
        .load(&TokenKey::new("idp", "ana", "app"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.dpop_key, Some(key.to_secret()));
}

// ---- ID tokens ----

struct Issuer {
    key: EncodingKey,
    jwk: Value,
}

impl Issuer {
    fn new(kid: &str) -> Issuer {
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().unwrap();
        let key = EncodingKey::from_ec_der(der.as_bytes());
        let mut jwk = serde_json::to_value(
            jsonwebtoken::jwk::Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap(),
        )
        .unwrap();
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        Issuer { key, jwk }
    }

    fn sign(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }
}

const ISS: &str = "https://as.example";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(nonce: &str) -> Value {
    json!({"iss": ISS, "sub": "248289761001", "aud": "app", "exp": now() + 300,
           "iat": now(), "nonce": nonce, "preferred_username": "ana"})
}

fn jwks_answer(keys: &[&Issuer]) -> HttpResponse {
    answer(
        200,
        &[],
        json!({"keys": keys.iter().map(|i| i.jwk.clone()).collect::<Vec<_>>()}),
    )
}

fn validator(http: Arc<dyn HttpBackend>) -> IdTokenValidator {
    IdTokenValidator::new(
        ISS,
        "app",
        Jwks::new(http, "https://as.example/jwks".parse().unwrap(), false),
    )
}

#[tokio::test]
async fn a_good_id_token_validates_and_the_keys_are_cached() {
    let issuer = Issuer::new("k1");
    let (script, http) = transport(vec![jwks_answer(&[&issuer])]);
    let v = validator(http);
    let nonce = Secret::new("n-1");
    let token = issuer.sign("k1", &claims("n-1"));
    let got = v.validate(&token, Some(&nonce)).await.unwrap();
    assert_eq!(got["sub"], "248289761001");
    v.validate(&token, Some(&nonce)).await.unwrap();
    assert_eq!(
        script.sent.lock().unwrap().len(),
        1,
        "a warm cache fetches nothing"
    );
}

#[tokio::test]
async fn an_unknown_kid_fetches_the_keys_again_once() {
    let old = Issuer::new("k1");
    let rotated = Issuer::new("k2");
    let (script, http) = transport(vec![
        jwks_answer(&[&old]),
        jwks_answer(&[&old, &rotated]),
        jwks_answer(&[&old, &rotated]),
    ]);
    let v = validator(http);
    v.validate(&old.sign("k1", &claims("n")), None)
        .await
        .unwrap();
    v.validate(&rotated.sign("k2", &claims("n")), None)
        .await
        .unwrap();
    assert_eq!(script.sent.lock().unwrap().len(), 2);
    let err = v
        .validate(&rotated.sign("k9", &claims("n")), None)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no ES256 key with kid \"k9\""),
        "{err}"
    );
    assert_eq!(
        script.sent.lock().unwrap().len(),
        3,
        "one fetch for the unknown kid"
    );
}

async fn refusal(token_for: impl FnOnce(&Issuer) -> String, nonce: Option<&str>) -> String {
    let issuer = Issuer::new("k1");
    let (_, http) = transport(vec![jwks_answer(&[&issuer]), jwks_answer(&[&issuer])]);
    let token = token_for(&issuer);
    let nonce = nonce.map(Secret::new);
    let err = validator(http)
        .validate(&token, nonce.as_ref())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IdTokenInvalid { .. }), "{err:?}");
    err.to_string()
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

#[tokio::test]
async fn bad_id_tokens_are_refused_with_the_reason() {
    let forged = refusal(|_| Issuer::new("k1").sign("k1", &claims("n")), Some("n")).await;
    assert!(forged.contains("signature does not verify"), "{forged}");
    let audience = refusal(
        |i| i.sign("k1", &with(claims("n"), "aud", json!("other-app"))),
        Some("n"),
    )
    .await;
    assert!(
        audience.contains("audience") && audience.contains("other-app"),
        "{audience}"
    );
    let nonce = refusal(|i| i.sign("k1", &claims("replayed")), Some("n")).await;
    assert!(nonce.contains("nonce"), "{nonce}");
    let expired = refusal(
        |i| i.sign("k1", &with(claims("n"), "exp", json!(now() - 3600))),
        Some("n"),
    )
    .await;
    assert!(expired.contains("expired"), "{expired}");
    let issuer = refusal(
        |i| {
            i.sign(
                "k1",
                &with(claims("n"), "iss", json!("https://evil.example")),
            )
        },
        None,
    )
    .await;
    assert!(issuer.contains("issuer"), "{issuer}");
    let azp = refusal(
        |i| i.sign("k1", &with(claims("n"), "azp", json!("other-app"))),
        None,
    )
    .await;
    assert!(azp.contains("azp"), "{azp}");
    let future = refusal(
        |i| i.sign("k1", &with(claims("n"), "iat", json!(now() + 3600))),
        None,
    )
    .await;
    assert!(future.contains("future"), "{future}");
    // HS256 with a public key as the secret, and an unsigned token
    let hs = refusal(
        |i| {
            let public = serde_json::to_vec(&i.jwk).unwrap();
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("k1".into());
            jsonwebtoken::encode(&header, &claims("n"), &EncodingKey::from_secret(&public)).unwrap()
        },
        Some("n"),
    )
    .await;
    assert!(hs.contains("HS256"), "{hs}");
    let none = refusal(
        |_| {
            use base64::Engine;
            let b64 =
                |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
            format!(
                "{}.{}.",
                b64(json!({"alg": "none", "kid": "k1"})),
                b64(claims("n"))
            )
        },
        Some("n"),
    )
    .await;
    assert!(none.contains("none"), "{none}");
}

/// A person in the loop who approves and "pastes" the code; the scripted server then
/// answers the token request with an ID token of `claims`, carrying the nonce of the
/// authorization request unless `claims` sets its own.
struct ApprovesLogin {
    script: Arc<Scripted>,
    issuer: Arc<Issuer>,
    claims: Value,
}

#[async_trait]
impl Interaction for ApprovesLogin {
    async fn open_url(&self, url: &str) -> Result<(), Error> {
        let url: url::Url = url.parse().unwrap();
        let nonce = url
            .query_pairs()
            .find(|(k, _)| k == "nonce")
            .map(|(_, v)| v.into_owned())
            .expect("an openid login sends a nonce");
        let mut claims = self.claims.clone();
        if claims.get("nonce").is_none() {
            claims["nonce"] = json!(nonce);
        }
        let id_token = self.issuer.sign("k1", &claims);
        let mut answers = self.script.answers.lock().unwrap();
        answers.push_back(answer(
            200,
            &[],
            json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token}),
        ));
        answers.push_back(jwks_answer(&[&self.issuer]));
        Ok(())
    }
    async fn prompt_code(&self, _prompt: &str) -> Result<String, Error> {
        Ok("the-code".into())
    }
}

#[tokio::test]
async fn a_login_with_a_bad_id_token_stores_nothing_and_a_good_one_keeps_its_claims() {
    let issuer = Arc::new(Issuer::new("k1"));
    let mut good = claims("");
    good.as_object_mut().unwrap().remove("nonce");
    let cases = [
        (
            with(good.clone(), "aud", json!("other-app")),
            Some("audience"),
        ),
        (
            with(good.clone(), "nonce", json!("replayed")),
            Some("nonce"),
        ),
        (
            with(good.clone(), "exp", json!(now() - 600)),
            Some("expired"),
        ),
        (good, None),
    ];
    for (claims, refused) in cases {
        let (script, http) = transport(Vec::new());
        let mut p = provider(false);
        p.issuer = Some(ISS.into());
        p.endpoints.jwks = Some("https://as.example/jwks".parse().unwrap());
        let person = ApprovesLogin {
            script: Arc::clone(&script),
            issuer: Arc::clone(&issuer),
            claims,
        };
        let ctx = FlowContext::new(p, credentials(), http)
            .with_interaction(Arc::new(person))
            .with_scopes(["openid"]);
        let store = Arc::new(MemoryStore::new());
        let key = TokenKey::new("idp", "ana", "app");
        let manager = TokenManager::new(key.clone(), store.clone(), ctx.clone());
        let result = manager
            .login(&AuthorizationCodeFlow::new(Redirect::Oob))
            .await;
        let saved = store.load(&key).await.unwrap();
        match refused {
            Some(reason) => {
                let err = result.unwrap_err();
                assert!(matches!(err, Error::IdTokenInvalid { .. }), "{err:?}");
                assert!(err.to_string().contains(reason), "{err}");
                assert!(saved.is_none(), "nothing stored after a refused ID token");
            }
            None => {
                let token = result.unwrap();
                let claims = token.id_claims.as_ref().expect("validated claims kept");
                assert_eq!(claims["iss"], ISS);
                assert_eq!(saved.unwrap().id_claims, token.id_claims);
                // the account is named from the validated claims
                let name = auth_flows::account_name(&ctx, &token, None).await;
                assert_eq!(name.as_deref(), Some("ana"));
            }
        }
    }
}
