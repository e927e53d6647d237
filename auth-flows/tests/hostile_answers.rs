//! What a hostile authorization server can answer, at the library level: device flow
//! numbers that would overflow the clock, error bodies that echo the secrets of the
//! request, and terminal escape sequences in every field it controls.
#![cfg(all(feature = "password", feature = "device"))]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth_core::{
    AuthFlow, ClientAuth, Credentials, DeviceCode, Endpoint, Error, FlowContext, HttpBackend,
    Interaction, Provider, Token, async_trait,
};
use auth_flows::{DeviceFlow, PasswordFlow};
use auth_testkit::{LoopbackHttp, TraceCapture};

const CLIENT_SECRET: &str = "CS-h0stile-client-secret";
const PASSWORD: &str = "PW-h0stile-password";
const REFRESH: &str = "RT-h0stile-refresh-token";
const ACCESS: &str = "AT-h0stile-access-token";

fn provider(server: &mockito::ServerGuard, auth: ClientAuth) -> Provider {
    let mut p = Provider::new("hostile")
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

fn credentials() -> Credentials {
    Credentials {
        username: Some("alice".into()),
        password: Some(PASSWORD.into()),
        client_id: Some("hostile-client".into()),
        client_secret: Some(CLIENT_SECRET.into()),
    }
}

#[derive(Default)]
struct Person(Mutex<Vec<DeviceCode>>);

#[async_trait]
impl Interaction for Person {
    async fn open_url(&self, _url: &str) -> Result<(), Error> {
        Ok(())
    }
    async fn prompt_code(&self, _prompt: &str) -> Result<String, Error> {
        Ok(String::new())
    }
    async fn show_device_code(&self, code: &DeviceCode) -> Result<(), Error> {
        self.0.lock().unwrap().push(code.clone());
        Ok(())
    }
}

fn context(server: &mockito::ServerGuard, person: Arc<Person>) -> FlowContext {
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::default());
    FlowContext::new(provider(server, ClientAuth::Basic), credentials(), http)
        .with_interaction(person)
}

/// A device server whose numbers are absurd, and whose token endpoint never approves.
fn device_server(device_body: &str) -> mockito::ServerGuard {
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/device")
        .with_body(device_body)
        .create();
    server
        .mock("POST", "/token")
        .with_status(400)
        .with_body(r#"{"error":"authorization_pending"}"#)
        .create();
    server
}

#[test]
fn a_huge_device_interval_and_lifetime_end_at_the_timeout() {
    let server = device_server(
        r#"{"device_code":"DEV-h0stile","user_code":"ABCD","verification_uri":"https://example.com/device",
            "expires_in":18446744073709551615,"interval":18446744073709551615}"#,
    );
    let person = Arc::new(Person::default());
    let started = Instant::now();
    let err = pollster::block_on(
        DeviceFlow::default()
            .with_timeout(Duration::from_secs(2))
            .authenticate(&context(&server, person.clone())),
    )
    .unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, Error::TimedOut { .. }), "{err}");
    assert!(waited < Duration::from_secs(6), "waited {waited:?}");
    assert_eq!(
        person.0.lock().unwrap()[0].expires_in,
        Duration::from_secs(2),
        "the person is told the real limit"
    );
}

#[test]
fn slow_down_never_waits_more_than_a_minute() {
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/device")
        .with_body(r#"{"device_code":"DEV","user_code":"U","verification_uri":"https://example.com/d","expires_in":600,"interval":58}"#)
        .create();
    for _ in 0..3 {
        server
            .mock("POST", "/token")
            .with_status(400)
            .with_body(r#"{"error":"slow_down"}"#)
            .expect(1)
            .create();
    }
    server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"device-ok"}"#)
        .create();
    let waits = Arc::new(Mutex::new(Vec::new()));
    let recorded = waits.clone();
    let flow = DeviceFlow::default().with_sleeper(Arc::new(move |d| {
        recorded.lock().unwrap().push(d);
        Box::pin(async {})
    }));
    let token = pollster::block_on(flow.authenticate(&context(&server, Arc::default()))).unwrap();
    assert_eq!(token.access_token.expose(), "device-ok");
    assert_eq!(*waits.lock().unwrap(), [Duration::from_secs(60); 3]);
}

#[test]
fn a_negative_or_zero_lifetime_expires_the_code_instead_of_crashing() {
    for expires in ["-5", "0", "-1e300", "\"-3\""] {
        let server = device_server(&format!(
            r#"{{"device_code":"DEV","user_code":"U","verification_uri":"https://example.com/d","expires_in":{expires},"interval":-7}}"#
        ));
        let started = Instant::now();
        let err = pollster::block_on(
            DeviceFlow::default().authenticate(&context(&server, Arc::default())),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::OAuth(e) if e.code == "expired_token")
                || matches!(err, Error::InvalidResponse { .. }),
            "{expires}: {err}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{expires}");
    }
}

fn assert_free_of_secrets(err: &Error, capture: &TraceCapture, secrets: &[&str]) {
    let shown = format!("{err} {err:?}");
    for secret in secrets {
        assert!(!shown.contains(secret), "{secret} shown in {shown}");
    }
    capture.assert_free_of(secrets);
}

#[test]
fn error_descriptions_that_echo_the_request_secrets_are_scrubbed() {
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/token")
        .with_status(401)
        .with_body(format!(
            r#"{{"error":"invalid_client","error_description":"client_secret '{CLIENT_SECRET}' is wrong; password was {PASSWORD}","error_uri":"https://e.example/{PASSWORD}"}}"#
        ))
        .create();
    let capture = TraceCapture::new();
    let err = capture
        .in_scope(|| {
            pollster::block_on(PasswordFlow.authenticate(&context(&server, Arc::default())))
        })
        .unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.code == "invalid_client"),
        "{err}"
    );
    assert!(
        err.to_string().contains("is wrong; password was ***"),
        "{err}"
    );
    assert_free_of_secrets(&err, &capture, &[CLIENT_SECRET, PASSWORD]);
}

#[test]
fn bodies_that_are_not_oauth_errors_are_scrubbed_too() {
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/token")
        .with_status(500)
        .with_body(format!(
            "<h1>crash</h1> login alice/{PASSWORD} with {CLIENT_SECRET} refresh {REFRESH} of {ACCESS}"
        ))
        .create();
    let capture = TraceCapture::new();
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::default());
    let stored = Token::bearer(ACCESS).with_refresh_token(REFRESH);
    let p = provider(&server, ClientAuth::Body);
    let err = capture
        .in_scope(|| pollster::block_on(auth_flows::refresh(&p, &credentials(), &http, &stored)))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidResponse { .. }), "{err}");
    assert_free_of_secrets(&err, &capture, &[CLIENT_SECRET, REFRESH, ACCESS]);

    // Revocation builds its request itself: the same rule applies.
    server
        .mock("POST", "/revoke")
        .with_status(400)
        .with_body(format!(
            r#"{{"error":"invalid_request","error_description":"token {REFRESH} unknown for {CLIENT_SECRET}"}}"#
        ))
        .create();
    let err = capture
        .in_scope(|| pollster::block_on(auth_flows::revoke(&p, &credentials(), &http, &stored)))
        .unwrap_err();
    assert_free_of_secrets(&err, &capture, &[CLIENT_SECRET, REFRESH, ACCESS]);
}

#[test]
fn escape_sequences_in_error_fields_never_reach_the_message() {
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/token")
        .with_status(400)
        .with_body(
            r#"{"error":"invalid_grant\u001b]0;pwned\u0007","error_description":"\u001b[2J\u001b[Hlogin: \u202e","error_uri":"https://e.example/\u001b[31m"}"#,
        )
        .create();
    let err = pollster::block_on(PasswordFlow.authenticate(&context(&server, Arc::default())))
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains('\x1b') && !shown.contains('\x07') && !shown.contains('\u{202e}'),
        "{shown:?}"
    );
    assert!(shown.contains("invalid_grant"), "{shown}");
}
