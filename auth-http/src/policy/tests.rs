//! The policy end to end, over a scripted transport.

use std::sync::Mutex;
use std::time::Duration;

use auth_core::{Error, HttpConfig, HttpRequest, HttpResponse, RequestKind, TransportErrorKind};
use http::Method;
use http::header::{self, HeaderMap, HeaderValue};
use url::Url;

use super::{Exchange, SendOnce, execute, transport_error, validate_config};

/// A URL from a literal (shared by the policy's unit tests).
pub(super) fn url(s: &str) -> Url {
    s.parse().unwrap()
}

/// A response with a status, headers and no body (shared by the policy's unit tests).
pub(super) fn response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
    let mut builder = http::Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder.body(Vec::new()).unwrap()
}

#[test]
fn config_validation() {
    assert!(validate_config(&HttpConfig::default()).is_ok());
    let mut bad_agent = HttpConfig::default();
    bad_agent.user_agent = "app/1\r\nX-Injected: 1".into();
    let err = validate_config(&bad_agent).unwrap_err();
    assert!(err.to_string().contains("user agent"), "{err}");
    let mut no_time = HttpConfig::default();
    no_time.read_timeout = Duration::ZERO;
    let err = validate_config(&no_time).unwrap_err();
    assert!(err.to_string().contains("read_timeout"), "{err}");
    let mut empty_agent = HttpConfig::default();
    empty_agent.user_agent = String::new();
    assert!(
        validate_config(&empty_agent).is_ok(),
        "an empty agent sends none"
    );
}

/// What the scripted transport was sent: method, URL, headers, body.
type Sent = (Method, String, HeaderMap, Vec<u8>);

/// A scripted transport: answers from a list and records what it was sent.
struct Script {
    answers: Mutex<Vec<Result<HttpResponse, Error>>>,
    seen: Mutex<Vec<Sent>>,
    /// The parsed URI each exchange offered (`Exchange::uri`).
    uris: Mutex<Vec<Option<String>>>,
    slept: Mutex<Vec<Duration>>,
}

impl Script {
    fn new(answers: Vec<Result<HttpResponse, Error>>) -> Self {
        Script {
            answers: Mutex::new(answers.into_iter().rev().collect()),
            seen: Mutex::new(Vec::new()),
            uris: Mutex::new(Vec::new()),
            slept: Mutex::new(Vec::new()),
        }
    }
}

impl SendOnce for Script {
    async fn send_once(&self, ex: Exchange<'_>) -> Result<HttpResponse, Error> {
        self.seen.lock().unwrap().push((
            ex.method().clone(),
            ex.url().to_string(),
            ex.headers().clone(),
            ex.body().to_vec(),
        ));
        self.uris
            .lock()
            .unwrap()
            .push(ex.uri().map(ToString::to_string));
        self.answers
            .lock()
            .unwrap()
            .pop()
            .expect("the script ran out of answers: an unexpected extra request")
    }
    async fn sleep(&self, duration: Duration) {
        self.slept.lock().unwrap().push(duration);
    }
}

fn request(method: Method, uri: &str, kind: RequestKind) -> HttpRequest {
    let mut r = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", "Bearer T0KEN")
        .header("cookie", "session=abcd")
        .header("content-type", "application/json")
        .body(b"{\"a\":1}".to_vec())
        .unwrap();
    r.extensions_mut().insert(kind);
    r
}

#[test]
fn driver_drops_credentials_across_origins_and_keeps_them_within() {
    let script = Script::new(vec![
        Ok(response(302, &[("location", "/same")])),
        Ok(response(301, &[("location", "https://other.example/x")])),
        Ok(response(302, &[("location", "https://api.example/back")])),
        Ok(response(200, &[])),
    ]);
    let config = HttpConfig::default();
    let r = pollster::block_on(execute(
        &script,
        &config,
        request(Method::POST, "https://api.example/start", RequestKind::Api),
    ))
    .unwrap();
    assert_eq!(r.status(), 200);
    let seen = script.seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].0, Method::POST);
    assert_eq!(seen[0].3, b"{\"a\":1}");
    assert_eq!(seen[1].1, "https://api.example/same");
    assert_eq!(seen[1].0, Method::GET);
    assert!(seen[1].3.is_empty());
    assert!(!seen[1].2.contains_key("content-type"));
    assert_eq!(seen[1].2["authorization"], "Bearer T0KEN");
    assert_eq!(seen[2].1, "https://other.example/x");
    for h in ["authorization", "cookie"] {
        assert!(!seen[2].2.contains_key(h), "{h} crossed origins");
        // and they do not come back on returning to the first origin
        assert!(!seen[3].2.contains_key(h), "{h} came back");
    }
    assert!(
        seen[0].2["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("authctl/")
    );
}

#[test]
fn a_request_uri_marked_as_parsed_reaches_the_transport_on_its_first_hop_only() {
    use auth_core::http::{Hop, HopHook, HopHooks, ParsedUrl};
    let marked = |uri: &str, parsed: &str| {
        let mut r = request(Method::GET, uri, RequestKind::Api);
        r.extensions_mut().insert(ParsedUrl(url(parsed)));
        r
    };
    let config = HttpConfig::default();
    let script = Script::new(vec![
        Ok(response(302, &[("location", "/next")])),
        Ok(response(200, &[])),
    ]);
    let r = marked(
        "https://api.example/start?q=1",
        "https://api.example/start?q=1",
    );
    pollster::block_on(execute(&script, &config, r)).unwrap();
    let uris = script.uris.lock().unwrap().clone();
    assert_eq!(
        uris,
        [Some("https://api.example/start?q=1".to_owned()), None],
        "the redirect's hop is not the request's URI"
    );

    // a URL that is not the URI's text, or hooks that may change the hop: no URI
    let script = Script::new(vec![Ok(response(200, &[]))]);
    let r = marked("https://api.example/a", "https://api.example/b");
    pollster::block_on(execute(&script, &config, r)).unwrap();
    assert_eq!(script.seen.lock().unwrap()[0].1, "https://api.example/a");
    struct Tag;
    impl HopHook for Tag {
        fn on_hop(&self, hop: &mut Hop<'_>) -> Result<(), Error> {
            hop.url_mut().query_pairs_mut().append_pair("tag", "1");
            Ok(())
        }
    }
    let script = Script::new(vec![Ok(response(200, &[]))]);
    let mut r = marked("https://api.example/a", "https://api.example/a");
    HopHooks::push(&mut r, std::sync::Arc::new(Tag));
    pollster::block_on(execute(&script, &config, r)).unwrap();
    assert_eq!(
        script.seen.lock().unwrap()[0].1,
        "https://api.example/a?tag=1"
    );
    assert_eq!(script.uris.lock().unwrap().clone(), [None]);
}

#[test]
fn driver_never_redirects_token_requests() {
    let script = Script::new(vec![Ok(response(302, &[("location", "/elsewhere")]))]);
    let r = pollster::block_on(execute(
        &script,
        &HttpConfig::default(),
        request(
            Method::POST,
            "https://api.example/token",
            RequestKind::TokenEndpoint,
        ),
    ))
    .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(script.seen.lock().unwrap().len(), 1);
}

#[test]
fn driver_checks_every_redirect_target() {
    let script = Script::new(vec![Ok(response(
        302,
        &[("location", "http://api.example/plain")],
    ))]);
    let err = pollster::block_on(execute(
        &script,
        &HttpConfig::default(),
        request(Method::GET, "https://api.example/x", RequestKind::Api),
    ))
    .unwrap_err();
    assert!(matches!(err, Error::InsecureTransport { .. }), "{err}");
    assert_eq!(script.seen.lock().unwrap().len(), 1);
}

#[test]
fn driver_limits_redirects() {
    let mut config = HttpConfig::default();
    config.max_redirects = 2;
    let script = Script::new(
        (0..3)
            .map(|_| Ok(response(302, &[("location", "/again")])))
            .collect(),
    );
    let err = pollster::block_on(execute(
        &script,
        &config,
        request(Method::GET, "https://api.example/x", RequestKind::Api),
    ))
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportErrorKind::TooManyRedirects,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(script.seen.lock().unwrap().len(), 3);
}

#[test]
fn driver_retries_with_backoff_then_gives_up() {
    let mut config = HttpConfig::default();
    config.max_retries = 2;
    let u = url("https://api.example/x");
    let reset = || {
        Err(transport_error(
            &u,
            &HeaderMap::new(),
            TransportErrorKind::ConnectionReset,
            "reset",
        ))
    };
    let script = Script::new(vec![reset(), reset(), reset()]);
    let err = pollster::block_on(execute(
        &script,
        &config,
        request(Method::GET, "https://api.example/x", RequestKind::Api),
    ))
    .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }));
    assert_eq!(script.seen.lock().unwrap().len(), 3);
    assert_eq!(
        *script.slept.lock().unwrap(),
        vec![Duration::from_millis(200), Duration::from_millis(400)]
    );
}

#[test]
fn driver_keeps_a_caller_user_agent_and_rejects_relative_uris() {
    let script = Script::new(vec![Ok(response(200, &[]))]);
    let mut req = request(Method::GET, "https://api.example/x", RequestKind::Api);
    req.headers_mut()
        .insert(header::USER_AGENT, HeaderValue::from_static("mine/1"));
    pollster::block_on(execute(&script, &HttpConfig::default(), req)).unwrap();
    assert_eq!(script.seen.lock().unwrap()[0].2["user-agent"], "mine/1");

    let err = pollster::block_on(execute(
        &script,
        &HttpConfig::default(),
        request(Method::GET, "/relative?code=SECRET", RequestKind::Api),
    ))
    .unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
    assert!(!err.to_string().contains("SECRET"), "{err}");
}

#[test]
fn metadata_follows_redirects_only_within_its_origin() {
    let script = Script::new(vec![
        Ok(response(
            301,
            &[("location", "/moved/openid-configuration")],
        )),
        Ok(response(200, &[])),
    ]);
    let config = HttpConfig::default();
    let get = |uri: &str| {
        let mut r = http::Request::get(uri).body(Vec::new()).unwrap();
        r.extensions_mut().insert(RequestKind::Metadata);
        r
    };
    let r = pollster::block_on(execute(
        &script,
        &config,
        get("https://id.example/.well-known/openid-configuration"),
    ))
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(script.seen.lock().unwrap().len(), 2);

    let script = Script::new(vec![Ok(response(
        302,
        &[(
            "location",
            "https://evil.example/.well-known/openid-configuration",
        )],
    ))]);
    let err = pollster::block_on(execute(
        &script,
        &config,
        get("https://id.example/.well-known/openid-configuration?x=SECRET"),
    ))
    .unwrap_err();
    assert!(
        matches!(err, Error::InvalidResponse { status: 302, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("https://evil.example") && text.contains("another origin"),
        "{text}"
    );
    assert!(!text.contains("SECRET"), "{text}");
    assert_eq!(
        script.seen.lock().unwrap().len(),
        1,
        "nothing sent elsewhere"
    );
}

#[test]
fn a_parsed_url_is_used_only_when_it_is_the_request_uri() {
    let config = HttpConfig::default();
    // the same URL: sent there (and checked like any other)
    let script = Script::new(vec![Ok(response(200, &[]))]);
    let mut same = request(
        Method::POST,
        "https://api.example/token",
        RequestKind::TokenEndpoint,
    );
    same.extensions_mut()
        .insert(auth_core::ParsedUrl(url("https://api.example/token")));
    pollster::block_on(execute(&script, &config, same)).unwrap();
    assert_eq!(
        script.seen.lock().unwrap()[0].1,
        "https://api.example/token"
    );

    // another URL than the URI: ignored, the request goes where its URI says
    let script = Script::new(vec![Ok(response(200, &[]))]);
    let mut other = request(
        Method::POST,
        "https://api.example/token",
        RequestKind::TokenEndpoint,
    );
    other
        .extensions_mut()
        .insert(auth_core::ParsedUrl(url("https://evil.example/token")));
    pollster::block_on(execute(&script, &config, other)).unwrap();
    assert_eq!(
        script.seen.lock().unwrap()[0].1,
        "https://api.example/token"
    );

    // a plain http:// URL is refused whether parsed already or not
    let script = Script::new(vec![]);
    let mut plain = request(
        Method::POST,
        "http://api.example/token",
        RequestKind::TokenEndpoint,
    );
    plain
        .extensions_mut()
        .insert(auth_core::ParsedUrl(url("http://api.example/token")));
    let err = pollster::block_on(execute(&script, &config, plain)).unwrap_err();
    assert!(matches!(err, Error::InsecureTransport { .. }), "{err}");
}
