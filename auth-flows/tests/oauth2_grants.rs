//! The OAuth 2 grants against a mock server: exact requests (pinned to the RFC 6749 /
//! oauthlib vectors in `shared/vectors`), parsed responses, and error handling.
#![cfg(all(
    feature = "password",
    feature = "client-credentials",
    feature = "authorization-code",
    feature = "device"
))]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::{
    AuthFlow, ClientAuth, CredentialField, Credentials, DeviceCode, Endpoint, Error, FlowContext,
    HttpBackend, Interaction, Provider, Secret, Token, async_trait,
};
use auth_flows::{
    AuthorizationCodeFlow, ClientCredentialsFlow, DeviceFlow, PasswordFlow, Redirect,
};
use auth_testkit::{LoopbackHttp, SentRequest};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/oauth-vectors.json"
    );
    serde_json::from_str(
        &std::fs::read_to_string(path).expect("shared/vectors beside the repository"),
    )
    .unwrap()
}

fn form(s: &str) -> BTreeMap<String, String> {
    form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn sent_form(r: &SentRequest) -> BTreeMap<String, String> {
    r.form().into_iter().collect()
}

fn provider(server: &mockito::ServerGuard, auth: ClientAuth) -> Provider {
    let mut p = Provider::new("mock")
        .with_endpoint(Endpoint::Authorize, &format!("{}/authorize", server.url()))
        .unwrap()
        .with_endpoint(Endpoint::Token, &format!("{}/token", server.url()))
        .unwrap()
        .with_endpoint(
            Endpoint::DeviceAuthorization,
            &format!("{}/device", server.url()),
        )
        .unwrap()
        .with_endpoint(Endpoint::Revocation, &format!("{}/revoke", server.url()))
        .unwrap();
    p.client_auth = auth;
    p
}

fn rfc_credentials() -> Credentials {
    Credentials {
        username: Some("johndoe".into()),
        password: Some("A3ddj3w".into()),
        client_id: Some("s6BhdRkqt3".into()),
        client_secret: Some("gX1fBat3bV".into()),
    }
}

const TOKEN_BODY: &str = r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"example","expires_in":3600,"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","example_parameter":"example_value"}"#;

/// A person who pastes a fixed code and records the URLs they were shown.
#[derive(Default)]
struct Person {
    code: String,
    opened: Mutex<Vec<String>>,
    device: Mutex<Vec<DeviceCode>>,
}

#[async_trait]
impl Interaction for Person {
    async fn open_url(&self, url: &str) -> Result<(), Error> {
        self.opened.lock().unwrap().push(url.to_owned());
        Ok(())
    }
    async fn prompt_code(&self, _prompt: &str) -> Result<String, Error> {
        Ok(format!("  {}\n", self.code))
    }
    async fn show_device_code(&self, code: &DeviceCode) -> Result<(), Error> {
        self.device.lock().unwrap().push(code.clone());
        Ok(())
    }
}

fn ctx(p: Provider, c: Credentials, http: &Arc<LoopbackHttp>) -> FlowContext {
    FlowContext::new(p, c, http.clone() as Arc<dyn HttpBackend>)
}

#[tokio::test(flavor = "multi_thread")]
async fn password_grant_sends_the_rfc_request_with_basic_auth() {
    let v = vectors();
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(TOKEN_BODY)
        .create_async()
        .await;
    let http = Arc::new(LoopbackHttp::default());
    let token = PasswordFlow
        .authenticate(&ctx(
            provider(&server, ClientAuth::Basic),
            rfc_credentials(),
            &http,
        ))
        .await
        .unwrap();
    mock.assert_async().await;

    let sent = &http.sent()[0];
    assert_eq!(
        sent_form(sent),
        form(
            v["oauth2"]["token_request_body_password"]["expected"]
                .as_str()
                .unwrap()
        )
    );
    assert_eq!(
        sent.header("authorization"),
        v["oauth2"]["client_auth_basic"]["expected_header"].as_str()
    );
    assert_eq!(
        sent.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(token.access_token.expose(), "2YotnFZFEjr1zCsicMWpAA");
    assert_eq!(
        token.refresh_token.as_ref().unwrap().expose(),
        "tGzv3JOkF0XG5Qx2TlKWIA"
    );
    assert_eq!(token.token_type, "example");
    assert_eq!(token.extra["example_parameter"], "example_value");
    let left = token.remaining(SystemTime::now()).unwrap();
    assert!(
        left > Duration::from_secs(3590) && left <= Duration::from_secs(3600),
        "{left:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_basic_and_body() {
    let v = vectors();
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"cc","token_type":"bearer"}"#)
        .expect(2)
        .create_async()
        .await;
    let http = Arc::new(LoopbackHttp::default());
    let mut creds = rfc_credentials();
    creds.username = None;
    creds.password = None;
    ClientCredentialsFlow
        .authenticate(&ctx(
            provider(&server, ClientAuth::Basic),
            creds.clone(),
            &http,
        ))
        .await
        .unwrap();
    ClientCredentialsFlow
        .authenticate(&ctx(provider(&server, ClientAuth::Body), creds, &http))
        .await
        .unwrap();
    let sent = http.sent();
    assert_eq!(
        sent_form(&sent[0]),
        form(
            v["oauth2"]["token_request_body_client_credentials"]["expected"]
                .as_str()
                .unwrap()
        )
    );
    assert_eq!(
        sent[0].header("authorization"),
        v["oauth2"]["client_auth_basic"]["expected_header"].as_str()
    );
    let body = sent_form(&sent[1]);
    assert_eq!(
        body.get("client_id").map(String::as_str),
        Some("s6BhdRkqt3")
    );
    assert_eq!(
        body.get("client_secret").map(String::as_str),
        Some("gX1fBat3bV")
    );
    assert_eq!(sent[1].header("authorization"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_form_encodes_id_and_secret_first() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"cc"}"#)
        .create_async()
        .await;
    let http = Arc::new(LoopbackHttp::default());
    let creds = Credentials {
        client_id: Some("id:with space".into()),
        client_secret: Some("s&c=ret".into()),
        ..Default::default()
    };
    ClientCredentialsFlow
        .authenticate(&ctx(provider(&server, ClientAuth::Basic), creds, &http))
        .await
        .unwrap();
    use base64::Engine;
    let header = http.sent()[0].header("authorization").unwrap().to_owned();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(header.trim_start_matches("Basic "))
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "id%3Awith+space:s%26c%3Dret"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn authorization_code_with_pkce_sends_verifier_and_no_secret() {
    let v = vectors();
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_body(TOKEN_BODY)
        .create_async()
        .await;
    let http = Arc::new(LoopbackHttp::default());
    let person = Arc::new(Person {
        code: "SplxlOBeZQQYbYS6WxSbIA".into(),
        ..Default::default()
    });
    let creds = Credentials {
        client_id: Some("s6BhdRkqt3".into()),
        ..Default::default()
    };
    let context = ctx(provider(&server, ClientAuth::Basic), creds, &http)
        .with_interaction(person.clone())
        .with_scopes(["list", "of", "scopes"]);
    let token = AuthorizationCodeFlow::new(Redirect::Oob)
        .authenticate(&context)
        .await
        .unwrap();
    assert_eq!(
        token.scopes,
        ["list", "of", "scopes"],
        "requested scopes are recorded when the server omits scope"
    );

    let opened = person.opened.lock().unwrap()[0].clone();
    let url = url::Url::parse(&opened).unwrap();
    let q: BTreeMap<String, String> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "s6BhdRkqt3");
    assert_eq!(q["redirect_uri"], auth_flows::OOB_REDIRECT_URI);
    assert_eq!(q["scope"], "list of scopes");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["state"].len() >= 16);
    // the same shape as the vector (order aside)
    let expected = url::Url::parse(
        v["oauth2"]["authorization_uri_pkce_list_scope"]["expected"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let expected_keys: std::collections::BTreeSet<String> = expected
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    let keys: std::collections::BTreeSet<String> =
        q.keys().filter(|k| *k != "redirect_uri").cloned().collect();
    assert_eq!(keys, expected_keys);

    let sent = &http.sent()[0];
    let body = sent_form(sent);
    assert_eq!(body["grant_type"], "authorization_code");
    assert_eq!(body["code"], "SplxlOBeZQQYbYS6WxSbIA");
    assert_eq!(body["client_id"], "s6BhdRkqt3");
    assert_eq!(body["redirect_uri"], auth_flows::OOB_REDIRECT_URI);
    assert!(!body.contains_key("client_secret") && sent.header("authorization").is_none());
    // the verifier matches the challenge (RFC 7636 S256)
    use base64::Engine;
    use sha2::Digest;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(body["code_verifier"].as_bytes()));
    assert_eq!(challenge, q["code_challenge"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn authorization_code_without_pkce_authenticates_the_client() {
    let v = vectors();
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_body(TOKEN_BODY)
        .create_async()
        .await;
    let http = Arc::new(LoopbackHttp::default());
    let person = Arc::new(Person {
        code: "SplxlOBeZQQYbYS6WxSbIA".into(),
        ..Default::default()
    });
    let mut flow = AuthorizationCodeFlow::new(Redirect::Oob);
    flow.pkce = false;
    let context = ctx(
        provider(&server, ClientAuth::Body),
        rfc_credentials(),
        &http,
    )
    .with_interaction(person.clone());
    flow.authenticate(&context).await.unwrap();
    let body = sent_form(&http.sent()[0]);
    assert!(!body.contains_key("code_verifier"));
    assert_eq!(body["client_secret"], "gX1fBat3bV");
    let mut expected = form(
        v["oauth2"]["token_request_body_authorization_code"]["expected"]
            .as_str()
            .unwrap(),
    );
    expected.insert("client_secret".into(), "gX1fBat3bV".into());
    expected.insert("redirect_uri".into(), auth_flows::OOB_REDIRECT_URI.into());
    assert_eq!(body, expected);
    assert!(!person.opened.lock().unwrap()[0].contains("code_challenge"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confidential_client_keeps_pkce_with_its_secret() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_body(TOKEN_BODY)
        .create_async()
        .await;
    let http = Arc::new(LoopbackHttp::default());
    let person = Arc::new(Person {
        code: "SplxlOBeZQQYbYS6WxSbIA".into(),
        ..Default::default()
    });
    let flow = AuthorizationCodeFlow::new(Redirect::Oob).with_client_secret(true);
    let context = ctx(
        provider(&server, ClientAuth::Body),
        rfc_credentials(),
        &http,
    )
    .with_interaction(person.clone());
    flow.authenticate(&context).await.unwrap();
    let body = sent_form(&http.sent()[0]);
    assert_eq!(body["client_secret"], "gX1fBat3bV");
    let opened = url::Url::parse(&person.opened.lock().unwrap()[0]).unwrap();
    let q: BTreeMap<String, String> = opened
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(q["code_challenge_method"], "S256");
    use base64::Engine;
    use sha2::Digest;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(body["code_verifier"].as_bytes()));
    assert_eq!(challenge, q["code_challenge"]);

    // Without the secret the confidential flow does not start.
    let context = ctx(
        provider(&server, ClientAuth::Body),
        Credentials {
            client_id: Some("s6BhdRkqt3".into()),
            ..Default::default()
        },
        &http,
    )
    .with_interaction(person);
    let err = flow.authenticate(&context).await.unwrap_err();
    assert!(matches!(err, Error::MissingCredentials { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn authorization_uri_matches_the_rfc_example() {
    let v = vectors();
    let case = &v["oauth2"]["authorization_uri"];
    let inputs = &case["inputs"];
    let expected = url::Url::parse(case["expected"].as_str().unwrap()).unwrap();
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_body(TOKEN_BODY)
        .create_async()
        .await;
    let http = Arc::new(LoopbackHttp::default());
    let person = Arc::new(Person {
        code: "c".into(),
        ..Default::default()
    });
    let mut flow = AuthorizationCodeFlow::new(Redirect::Oob);
    flow.pkce = false;
    let creds = Credentials {
        client_id: Some(inputs["client_id"].as_str().unwrap().into()),
        client_secret: Some("s".into()),
        ..Default::default()
    };
    let context = ctx(provider(&server, ClientAuth::Basic), creds, &http)
        .with_interaction(person.clone())
        .with_scopes([inputs["scope"].as_str().unwrap()]);
    flow.authenticate(&context).await.unwrap();
    let opened = url::Url::parse(&person.opened.lock().unwrap()[0]).unwrap();
    let got: BTreeMap<String, String> = opened
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let want: BTreeMap<String, String> = expected
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the same parameters as the RFC example"
    );
    for name in ["response_type", "client_id", "scope"] {
        assert_eq!(got[name], want[name], "{name}");
    }
    // state is random per login (the RFC's `xyz` is an example); the redirect is ours
    assert!(got["state"].len() >= 16);
    assert_eq!(got["redirect_uri"], auth_flows::OOB_REDIRECT_URI);
}

#[test]
fn rfc7636_appendix_b() {
    let v = vectors();
    let case = &v["pkce"][0];
    let verifier =
        oauth2::PkceCodeVerifier::new(case["code_verifier"].as_str().unwrap().to_owned());
    let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    assert_eq!(
        challenge.as_str(),
        case["code_challenge_S256"].as_str().unwrap()
    );
    assert_eq!(challenge.method().as_str(), "S256");
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_keeps_or_rotates_the_refresh_token() {
    let v = vectors();
    let mut server = mockito::Server::new_async().await;
    let p = provider(&server, ClientAuth::Basic);
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::default());
    let old = Token::bearer("old").with_refresh_token("tGzv3JOkF0XG5Qx2TlKWIA");

    let m = server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"new","expires_in":"60"}"#)
        .create_async()
        .await;
    let fresh = auth_flows::refresh(&p, &rfc_credentials(), &http, &old)
        .await
        .unwrap();
    m.remove_async().await;
    assert_eq!(fresh.access_token.expose(), "new");
    assert_eq!(
        fresh.refresh_token, old.refresh_token,
        "a refresh that does not rotate keeps the old refresh token"
    );

    let m = server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"newer","refresh_token":"rotated"}"#)
        .create_async()
        .await;
    let rotated = auth_flows::refresh(&p, &rfc_credentials(), &http, &old)
        .await
        .unwrap();
    m.remove_async().await;
    assert_eq!(rotated.refresh_token.unwrap().expose(), "rotated");

    server
        .mock("POST", "/token")
        .with_status(400)
        .with_body(r#"{"error":"invalid_grant","error_description":"expired"}"#)
        .create_async()
        .await;
    let err = auth_flows::refresh(&p, &rfc_credentials(), &http, &old)
        .await
        .unwrap_err();
    assert!(err.needs_login(), "{err}");
    assert!(err.to_string().contains("log in again"), "{err}");
    assert!(!err.to_string().contains("tGzv3"), "{err}");

    let loopback = LoopbackHttp::default();
    let loopback = Arc::new(loopback);
    let as_dyn: Arc<dyn HttpBackend> = loopback.clone();
    let _ = auth_flows::refresh(&p, &rfc_credentials(), &as_dyn, &old).await;
    let body = sent_form(&loopback.sent()[0]);
    assert_eq!(
        body,
        form(
            v["oauth2"]["refresh_request_body"]["expected"]
                .as_str()
                .unwrap()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn error_responses_are_reported_with_status_and_without_secrets() {
    let mut server = mockito::Server::new_async().await;
    let http = Arc::new(LoopbackHttp::default());
    let p = provider(&server, ClientAuth::Basic);

    let m = server
        .mock("POST", "/token")
        .with_status(401)
        .with_body(r#"{"error":"invalid_client","error_description":"unknown client"}"#)
        .create_async()
        .await;
    match PasswordFlow
        .authenticate(&ctx(p.clone(), rfc_credentials(), &http))
        .await
        .unwrap_err()
    {
        Error::OAuth(e) => {
            assert_eq!(
                (e.code.as_str(), e.status, e.description.as_deref()),
                ("invalid_client", 401, Some("unknown client"))
            );
        }
        other => panic!("{other}"),
    }
    m.remove_async().await;

    let m = server
        .mock("POST", "/token")
        .with_status(502)
        .with_header("content-type", "text/html")
        .with_body("<html><h1>Bad Gateway</h1></html>")
        .create_async()
        .await;
    let err = PasswordFlow
        .authenticate(&ctx(p.clone(), rfc_credentials(), &http))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidResponse { status: 502, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("Bad Gateway"), "{err}");
    m.remove_async().await;

    server
        .mock("POST", "/token")
        .with_status(200)
        .with_body("garbage{")
        .create_async()
        .await;
    let err = PasswordFlow
        .authenticate(&ctx(p, rfc_credentials(), &http))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidResponse { status: 200, .. }),
        "{err}"
    );
    for e in [err.to_string(), format!("{err:?}")] {
        assert!(!e.contains("A3ddj3w") && !e.contains("gX1fBat3bV"), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_name_each_field() {
    let server = mockito::Server::new_async().await;
    let http = Arc::new(LoopbackHttp::default());
    let creds = Credentials {
        client_id: Some("id".into()),
        ..Default::default()
    };
    let err = PasswordFlow
        .authenticate(&ctx(provider(&server, ClientAuth::Basic), creds, &http))
        .await
        .unwrap_err();
    match &err {
        Error::MissingCredentials { missing, .. } => assert_eq!(
            missing,
            &[CredentialField::Username, CredentialField::Password]
        ),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("username, password"), "{err}");
    assert!(
        http.sent().is_empty(),
        "nothing is sent without credentials"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn json_body_providers_get_json() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_body("access_token=formtoken&token_type=bearer&expires_in=120")
        .create_async()
        .await;
    let http = Arc::new(LoopbackHttp::default());
    let mut p = provider(&server, ClientAuth::Body);
    p.body_format = auth_core::BodyFormat::Json;
    let token = PasswordFlow
        .authenticate(&ctx(p, rfc_credentials(), &http))
        .await
        .unwrap();
    assert_eq!(
        token.access_token.expose(),
        "formtoken",
        "form-encoded token responses are accepted"
    );
    let sent = &http.sent()[0];
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["grant_type"], "password");
    assert_eq!(body["username"], "johndoe");
}

fn recording_sleeper() -> (auth_flows::sleep::Sleeper, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = waits.clone();
    (
        Arc::new(move |d| {
            w.lock().unwrap().push(d);
            Box::pin(async {})
        }),
        waits,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn device_flow_polls_backs_off_and_succeeds() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/device")
        .with_body(r#"{"device_code":"DEV","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device","expires_in":1800,"interval":2}"#)
        .create_async()
        .await;
    // mockito serves the first matching mock that still misses hits: one mock per poll.
    let responses = [
        (400, r#"{"error":"authorization_pending"}"#),
        (400, r#"{"error":"slow_down"}"#),
        (400, r#"{"error":"authorization_pending"}"#),
        (
            200,
            r#"{"access_token":"device-token","token_type":"bearer","expires_in":3600}"#,
        ),
    ];
    let mut mocks = Vec::new();
    for (status, body) in responses {
        mocks.push(
            server
                .mock("POST", "/token")
                .with_status(status)
                .with_body(body)
                .expect(1)
                .create_async()
                .await,
        );
    }
    let http = Arc::new(LoopbackHttp::default());
    let person = Arc::new(Person::default());
    let (sleeper, waits) = recording_sleeper();
    let creds = Credentials {
        client_id: Some("dev-client".into()),
        ..Default::default()
    };
    let context =
        ctx(provider(&server, ClientAuth::Basic), creds, &http).with_interaction(person.clone());
    let token = DeviceFlow::default()
        .with_sleeper(sleeper)
        .authenticate(&context)
        .await
        .unwrap();
    assert_eq!(token.access_token.expose(), "device-token");
    assert_eq!(person.device.lock().unwrap()[0].user_code, "WDJB-MJHT");
    let waits = waits.lock().unwrap().clone();
    // poll, wait 2 s, poll (slow_down), wait 7 s, poll, wait 7 s, poll (token)
    assert_eq!(
        waits,
        [
            Duration::from_secs(2),
            Duration::from_secs(7),
            Duration::from_secs(7)
        ]
    );
    let token_requests: Vec<_> = http
        .sent()
        .into_iter()
        .filter(|r| r.url.ends_with("/token"))
        .collect();
    assert_eq!(token_requests.len(), 4);
    let body = sent_form(&token_requests[0]);
    assert_eq!(
        body["grant_type"],
        "urn:ietf:params:oauth:grant-type:device_code"
    );
    assert_eq!(body["device_code"], "DEV");
    for m in mocks {
        m.assert_async().await;
    }
}

async fn device_error(error_body: &str) -> Error {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/device")
        .with_body(r#"{"device_code":"DEV","user_code":"U","verification_uri":"https://example.com/device","expires_in":600,"interval":1}"#)
        .create_async()
        .await;
    server
        .mock("POST", "/token")
        .with_status(400)
        .with_body(error_body)
        .create_async()
        .await;
    let http = Arc::new(LoopbackHttp::default());
    let (sleeper, _) = recording_sleeper();
    let creds = Credentials {
        client_id: Some("dev-client".into()),
        ..Default::default()
    };
    let context = ctx(provider(&server, ClientAuth::Basic), creds, &http)
        .with_interaction(Arc::new(Person::default()));
    DeviceFlow::default()
        .with_sleeper(sleeper)
        .authenticate(&context)
        .await
        .unwrap_err()
}

#[tokio::test(flavor = "multi_thread")]
async fn device_flow_stops_on_expired_token_and_access_denied() {
    let err = device_error(r#"{"error":"expired_token"}"#).await;
    assert!(
        matches!(&err, Error::OAuth(e) if e.code == "expired_token"),
        "{err}"
    );
    assert!(err.to_string().contains("run the login again"), "{err}");
    let err = device_error(r#"{"error":"access_denied","error_description":"user said no"}"#).await;
    assert!(
        matches!(&err, Error::AccessDenied { description: Some(d) } if d == "user said no"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn person_flows_refuse_to_run_without_a_person() {
    let server = mockito::Server::new_async().await;
    let http = Arc::new(LoopbackHttp::default());
    let creds = Credentials {
        client_id: Some("id".into()),
        ..Default::default()
    };
    let context = ctx(provider(&server, ClientAuth::Basic), creds, &http);
    let err = AuthorizationCodeFlow::new(Redirect::Oob)
        .authenticate(&context)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LoginRequired { .. }), "{err}");
    assert!(
        (err.to_string().contains("log in again")
            && err.hint()
                == Some(auth_core::Hint::LoginRequired {
                    profile: "mock".into()
                }))
    );
    let err = DeviceFlow::default()
        .authenticate(&context)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LoginRequired { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn revocation_sends_the_refresh_token() {
    let mut server = mockito::Server::new_async().await;
    let m = server
        .mock("POST", "/revoke")
        .with_status(200)
        .create_async()
        .await;
    let http = Arc::new(LoopbackHttp::default());
    let as_dyn: Arc<dyn HttpBackend> = http.clone();
    let token = Token::bearer("at").with_refresh_token("rt");
    auth_flows::revoke(
        &provider(&server, ClientAuth::Basic),
        &rfc_credentials(),
        &as_dyn,
        &token,
    )
    .await
    .unwrap();
    m.assert_async().await;
    let body = sent_form(&http.sent()[0]);
    assert_eq!(body["token"], "rt");
    assert_eq!(body["token_type_hint"], "refresh_token");
    let no_endpoint = Provider::new("bare")
        .with_endpoint(Endpoint::Token, &format!("{}/token", server.url()))
        .unwrap();
    let err = auth_flows::revoke(&no_endpoint, &rfc_credentials(), &as_dyn, &token)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("revocation_url"), "{err}");
}

#[test]
fn implicit_fragment() {
    let state = Secret::new("st");
    let err = auth_flows::token_from_fragment("https://a/cb#error=access_denied&state=st", &state)
        .unwrap_err();
    assert!(matches!(err, Error::AccessDenied { .. }));
    let err = auth_flows::token_from_fragment("https://a/cb#access_token=x", &state).unwrap_err();
    assert!(matches!(err, Error::StateMismatch));
}
