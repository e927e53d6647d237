//! Property tests of every parser of what a server or a browser sends: the token response
//! and error body, the callback query, the device authorization response, the discovery
//! document and the JWT claims. The inputs are near-valid documents with hostile values
//! (`auth_testkit::hostile`): each parser must answer or refuse, never panic, and never
//! put a secret or a terminal escape into an error.
//!
//! CI runs them at proptest's default count (fewer for the flows); `cargo xtask fuzz`
//! runs each with 10,000 cases or more.
#![cfg(all(feature = "device", feature = "discovery"))]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::{
    AuthFlow, Credentials, DeviceCode, Endpoint, Error, FlowContext, HttpBackend, HttpRequest,
    HttpResponse, Interaction, Provider, Secret, async_trait,
};
use auth_flows::loopback::{CallbackVerdict, authorization_code_verdict, parse_callback_query};
use auth_flows::token_response::{parse_error_response, parse_token_response};
use auth_flows::{DeviceFlow, jwt_claims};
use auth_testkit::hostile;
use base64::Engine;
use proptest::prelude::*;

const ACCESS_TOKEN: &str = "AT-MARKER-7f3a";
const STATE: &str = "STATE-MARKER-91c2";

/// Puts `prefix` (valid fields) at the start of a JSON object body, so that the parser
/// gets past its first check and meets the hostile fields; other bodies stay as they are.
fn with_fields(body: Vec<u8>, prefix: &str, add: bool) -> Vec<u8> {
    if add && body.first() == Some(&b'{') {
        let mut out = format!("{{{prefix},").into_bytes();
        out.extend_from_slice(&body[1..]);
        out
    } else {
        body
    }
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(400), Just(401), 100u16..600]
}

/// A moment from 1970 to about 2514, or now.
fn now() -> impl Strategy<Value = SystemTime> {
    prop_oneof![
        Just(SystemTime::now()),
        (0u64..(1 << 34)).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
    ]
}

fn no_escape(text: &str) -> bool {
    !text.contains('\u{1b}') && !text.contains('\u{7}')
}

const TOKEN_FIELDS: &[&str] = &[
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
    "id_token",
    "error",
    "error_description",
    "error_uri",
];

proptest! {
    #![proptest_config(hostile::config(256))]

    /// A token endpoint answer, JSON or form, at any status, never panics; a token that
    /// comes out has an expiry that fits the clock; an error never shows the access token.
    #[test]
    fn token_response_and_error_body(
        json in hostile::json_object(TOKEN_FIELDS),
        form in hostile::form_body(TOKEN_FIELDS),
        use_form in any::<bool>(),
        add_token in any::<bool>(),
        status in status(),
        now in now(),
    ) {
        let body = if use_form { form } else {
            with_fields(json, &format!("\"access_token\":\"{ACCESS_TOKEN}\""), add_token)
        };
        match parse_token_response(status, "https://idp.example/token?q=QUERY-MARKER", &body, now) {
            Ok(token) => {
                prop_assert!((200..300).contains(&status));
                let debug = format!("{token:?}");
                prop_assert!(!debug.contains(ACCESS_TOKEN), "{}", debug);
                if let Some(at) = token.expires_at {
                    prop_assert!(at >= now);
                }
            }
            Err(e) => {
                let text = e.to_string();
                prop_assert!(!text.contains(ACCESS_TOKEN), "{}", text);
                prop_assert!(!text.contains("QUERY-MARKER"), "no query in errors: {}", text);
            }
        }
        if let Some(error) = parse_error_response(status, &body) {
            prop_assert!(!error.code.trim().is_empty());
            let _ = Error::OAuth(error).to_string();
        }
    }

    /// A redirect to the loopback server with any query never panics; a callback is
    /// accepted only with exactly one matching `state` and one non-empty `code`, and a
    /// refused one shows no terminal escape.
    #[test]
    fn callback_query(
        query in hostile::query(&["code", "state", "error", "error_description", "error_uri", "iss"]),
        with_state in any::<bool>(),
        form in 0..4u8,
        raw in hostile::text(),
    ) {
        let query = if with_state { format!("state={STATE}&{query}") } else { query };
        let target = match form {
            0 => format!("/?{query}"),
            1 => format!("http://127.0.0.1:8080/cb?{query}#frag"),
            2 => format!("/cb?{query}&{raw}"),
            _ => raw,
        };
        let parsed = parse_callback_query(&target);
        prop_assert!(parsed.path().starts_with('/') || !parsed.path().is_empty());
        match authorization_code_verdict(&parsed, &Secret::new(STATE)) {
            CallbackVerdict::Accept(callback) => {
                prop_assert_eq!(parsed.get_all("state").collect::<Vec<_>>(), vec![STATE]);
                prop_assert_eq!(parsed.count("code"), 1);
                prop_assert!(!callback.code.expose().is_empty());
            }
            CallbackVerdict::Fail(e) => {
                let text = e.to_string();
                prop_assert!(no_escape(&text), "{:?}", text);
            }
            _ => {}
        }
    }

    /// A JWT with any header and claims (absurd `exp`, duplicates, deep nesting, broken
    /// base64) never panics the unverified claim reader.
    #[test]
    fn jwt_claims(
        claims in hostile::json_object(&["exp", "iat", "nbf", "sub", "iss", "aud"]),
        header in hostile::json_object(&["alg", "typ", "kid"]),
        signature in "[A-Za-z0-9_-]{0,12}",
        shape in 0..5u8,
        raw in hostile::text(),
    ) {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let token = match shape {
            0 => format!("{}.{}.{signature}", b64.encode(&header), b64.encode(&claims)),
            1 => format!("eyJhbGciOiJub25lIn0.{}.", b64.encode(&claims)),
            2 => format!("a.{}=.b", base64::engine::general_purpose::STANDARD.encode(&claims)),
            3 => format!("{}.{}", b64.encode(&claims), raw),
            _ => raw,
        };
        let expiry = jwt_claims::expiry(&token);
        let claims = jwt_claims::claims(&token);
        if expiry.is_some() {
            prop_assert!(claims.is_some());
        }
    }
}

/// A backend that answers from memory: the device endpoint with `device`, the first
/// token poll with `poll`, every later poll with `access_denied` (so the flow ends), and
/// anything else with `other`.
struct Canned {
    device: (u16, Vec<u8>),
    poll: (u16, Vec<u8>),
    other: (u16, Vec<u8>),
    polls: Mutex<u32>,
}

impl Canned {
    fn new(other: (u16, Vec<u8>)) -> Self {
        Canned {
            device: (404, Vec::new()),
            poll: (404, Vec::new()),
            other,
            polls: Mutex::new(0),
        }
    }
}

#[async_trait]
impl HttpBackend for Canned {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let path = request.uri().path().to_owned();
        let (status, body) = if path == "/device" {
            self.device.clone()
        } else if path == "/token" {
            let mut polls = self.polls.lock().unwrap();
            *polls += 1;
            if *polls == 1 {
                self.poll.clone()
            } else {
                (400, br#"{"error":"access_denied"}"#.to_vec())
            }
        } else {
            self.other.clone()
        };
        Ok(http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body)
            .unwrap())
    }
}

/// A person who sees the device code and waits.
#[derive(Default)]
struct Watcher {
    shown: Mutex<Vec<DeviceCode>>,
}

#[async_trait]
impl Interaction for Watcher {
    async fn open_url(&self, _url: &str) -> Result<(), Error> {
        Ok(())
    }
    async fn prompt_code(&self, _prompt: &str) -> Result<String, Error> {
        Err(Error::Interaction("no prompt here".into()))
    }
    async fn show_device_code(&self, code: &DeviceCode) -> Result<(), Error> {
        self.shown.lock().unwrap().push(code.clone());
        Ok(())
    }
}

fn provider() -> Provider {
    Provider::new("fuzz")
        .with_endpoint(Endpoint::Token, "https://idp.example/token")
        .unwrap()
        .with_endpoint(Endpoint::DeviceAuthorization, "https://idp.example/device")
        .unwrap()
}

proptest! {
    #![proptest_config(hostile::config(64))]

    /// A device authorization response and the first poll answer, with absurd numbers
    /// (`interval`, `expires_in`), huge or escape-laden codes and URIs, never panic the
    /// device flow; it ends with a token or a clear error.
    #[test]
    fn device_response(
        device in hostile::json_object(&[
            "device_code", "user_code", "verification_uri", "verification_uri_complete",
            "expires_in", "interval",
        ]),
        add_valid in any::<bool>(),
        device_status in prop_oneof![Just(200u16), 100u16..600],
        poll in hostile::json_object(TOKEN_FIELDS),
        poll_status in status(),
    ) {
        let device = with_fields(
            device,
            "\"device_code\":\"D\",\"user_code\":\"U\",\"verification_uri\":\"https://idp.example/d\"",
            add_valid,
        );
        let mut http = Canned::new((404, Vec::new()));
        http.device = (device_status, device);
        http.poll = (poll_status, poll);
        let sleeps = Arc::new(Mutex::new(0u32));
        let counter = sleeps.clone();
        let sleeper: auth_flows::sleep::Sleeper = Arc::new(move |_| {
            *counter.lock().unwrap() += 1;
            Box::pin(async {})
        });
        let credentials = Credentials {
            client_id: Some("fuzz-client".into()),
            ..Default::default()
        };
        let context = FlowContext::new(provider(), credentials, Arc::new(http) as Arc<dyn HttpBackend>)
            .with_interaction(Arc::new(Watcher::default()));
        let result = pollster::block_on(DeviceFlow::default().with_sleeper(sleeper).authenticate(&context));
        if let Err(e) = result {
            let text = e.to_string();
            prop_assert!(!text.contains(ACCESS_TOKEN), "{}", text);
        }
    }

    /// A well-formed device authorization response whose numbers are absurd (`interval`,
    /// `expires_in`: zero, negative, 2^64 - 1, fractions, exponents), followed by a poll
    /// answer that keeps the flow waiting or ends it: the flow never panics.
    #[test]
    fn device_numbers(
        interval in prop::sample::select(hostile::ABSURD_NUMBERS),
        expires_in in prop::sample::select(hostile::ABSURD_NUMBERS),
        poll in prop::sample::select(vec![
            (400u16, r#"{"error":"authorization_pending"}"#),
            (400, r#"{"error":"slow_down"}"#),
            (400, r#"{"error":"expired_token"}"#),
            (200, r#"{"access_token":"AT-MARKER-7f3a","token_type":"Bearer","expires_in":18446744073709551615}"#),
        ]),
    ) {
        let device = format!(
            "{{\"device_code\":\"D\",\"user_code\":\"U\",\"verification_uri\":\"https://idp.example/d\",\
             \"expires_in\":{expires_in},\"interval\":{interval}}}"
        );
        let mut http = Canned::new((404, Vec::new()));
        http.device = (200, device.into_bytes());
        http.poll = (poll.0, poll.1.as_bytes().to_vec());
        let sleeper: auth_flows::sleep::Sleeper = Arc::new(|_| Box::pin(async {}));
        let credentials = Credentials {
            client_id: Some("fuzz-client".into()),
            ..Default::default()
        };
        let context = FlowContext::new(provider(), credentials, Arc::new(http) as Arc<dyn HttpBackend>)
            .with_interaction(Arc::new(Watcher::default()));
        let result = pollster::block_on(DeviceFlow::default().with_sleeper(sleeper).authenticate(&context));
        if let Err(e) = result {
            prop_assert!(!e.to_string().contains(ACCESS_TOKEN), "{}", e);
        }
    }

    /// A discovery document with hostile fields (issuer, endpoints, auth methods) never
    /// panics discovery; a provider that comes out has a token endpoint.
    #[test]
    fn discovery_document(
        doc in hostile::json_object(&[
            "issuer", "authorization_endpoint", "token_endpoint", "device_authorization_endpoint",
            "revocation_endpoint", "introspection_endpoint", "userinfo_endpoint",
            "token_endpoint_auth_methods_supported", "authorization_response_iss_parameter_supported",
        ]),
        add_valid in any::<bool>(),
        status in prop_oneof![Just(200u16), 100u16..600],
    ) {
        let doc = with_fields(
            doc,
            "\"issuer\":\"https://idp.example\",\"token_endpoint\":\"https://idp.example/token\"",
            add_valid,
        );
        let http = Canned::new((status, doc));
        let result = pollster::block_on(auth_flows::discover(
            &http,
            Provider::new("fuzz"),
            "https://idp.example",
        ));
        match result {
            Ok(provider) => prop_assert!(provider.endpoint(Endpoint::Token).is_ok()),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
}
