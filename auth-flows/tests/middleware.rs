//! The HTTP client middlewares (`ReqwestAuth`, `UreqAuth`) against real servers on
//! 127.0.0.1, one suite run per adapter: the token goes only to allowed origins (never
//! after a redirect elsewhere), a 401 to the token renews it once and retries once, a
//! second 401 reaches the caller, and a token about to expire is renewed before use.
#![cfg(all(feature = "reqwest-middleware", feature = "ureq-middleware"))]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_core::{
    AllowedOrigins, ClientAuth, Credentials, Endpoint, FlowContext, HttpBackend, Provider, Token,
    TokenKey, TokenStore,
};
use auth_flows::TokenManager;
use auth_flows::middleware::{ReqwestAuth, UreqAuth};
use auth_store::MemoryStore;
use auth_testkit::{LoopbackHttp, RecordingServer, respond};
use mockito::Matcher;

const OLD: &str = "Bearer old-token-3b7";
const NEW: &str = "Bearer new-token-8d2";

/// What a test needs from an adapter: GET a URL with the user's own client, and say the
/// status (or the error).
trait Client {
    fn get(&self, url: &str) -> Result<u16, String>;
    fn post(&self, url: &str, body: &'static str) -> Result<u16, String>;
}

struct Reqwest {
    runtime: tokio::runtime::Runtime,
    client: reqwest_middleware::ClientWithMiddleware,
}

impl Client for Reqwest {
    fn get(&self, url: &str) -> Result<u16, String> {
        self.runtime.block_on(async {
            let response = self
                .client
                .get(url)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            Ok(response.status().as_u16())
        })
    }

    fn post(&self, url: &str, body: &'static str) -> Result<u16, String> {
        self.runtime.block_on(async {
            let response = self
                .client
                .post(url)
                .body(body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            Ok(response.status().as_u16())
        })
    }
}

fn reqwest_client(manager: Arc<TokenManager>, extra: AllowedOrigins) -> Box<dyn Client> {
    // The user's own client, with its own settings (here: its own TLS setup).
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    let own = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let client = reqwest_middleware::ClientBuilder::new(own)
        .with(ReqwestAuth::new(manager).allow_origins(extra))
        .build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    Box::new(Reqwest { runtime, client })
}

struct Ureq(ureq::Agent);

impl Client for Ureq {
    fn get(&self, url: &str) -> Result<u16, String> {
        status(self.0.get(url).call())
    }

    fn post(&self, url: &str, body: &'static str) -> Result<u16, String> {
        status(self.0.post(url).send(body))
    }
}

fn status(outcome: Result<http::Response<ureq::Body>, ureq::Error>) -> Result<u16, String> {
    match outcome {
        Ok(response) => Ok(response.status().as_u16()),
        // The agent's own setting (`http_status_as_error`, on by default) still applies.
        Err(ureq::Error::StatusCode(code)) => Ok(code),
        Err(e) => Err(e.to_string()),
    }
}

fn ureq_client(manager: Arc<TokenManager>, extra: AllowedOrigins) -> Box<dyn Client> {
    let agent = UreqAuth::new(manager)
        .allow_origins(extra)
        .agent(|| ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))));
    Box::new(Ureq(agent))
}

type MakeClient = fn(Arc<TokenManager>, AllowedOrigins) -> Box<dyn Client>;

/// A token endpoint that renews `expect` times, answering the new token.
fn token_server(expect: usize) -> (mockito::ServerGuard, mockito::Mock) {
    let mut idp = mockito::Server::new();
    let renewals = idp
        .mock("POST", "/token")
        .match_body(Matcher::UrlEncoded(
            "grant_type".into(),
            "refresh_token".into(),
        ))
        .with_body(r#"{"access_token":"new-token-8d2","refresh_token":"rt-2","expires_in":3600}"#)
        .expect(expect)
        .create();
    (idp, renewals)
}

/// A manager whose provider has its token endpoint on `idp` and its API on `api`, holding
/// `old-token-3b7` valid for `valid_for`.
fn manager(idp: &mockito::ServerGuard, api: &RecordingServer, valid_for: u64) -> Arc<TokenManager> {
    let mut provider = Provider::new("mock")
        .with_endpoint(Endpoint::Token, &format!("{}/token", idp.url()))
        .unwrap();
    provider.endpoints.api_base = Some(api.url("/v1/").parse().unwrap());
    provider.client_auth = ClientAuth::Body;
    let key = TokenKey::new("mock", "ana", "client");
    let store = Arc::new(MemoryStore::new());
    pollster::block_on(
        store.save(
            &key,
            &Token::bearer("old-token-3b7")
                .expiring_at(SystemTime::now() + Duration::from_secs(valid_for))
                .with_refresh_token("rt-1"),
        ),
    )
    .unwrap();
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::default());
    let creds = Credentials {
        client_id: Some("client".into()),
        client_secret: Some("secret".into()),
        ..Credentials::default()
    };
    Arc::new(TokenManager::new(
        key,
        store,
        FlowContext::new(provider, creds, http),
    ))
}

fn ok() -> RecordingServer {
    RecordingServer::start(|_| respond("200 OK", "", "ok"))
}

fn auth(value: &str) -> Option<String> {
    Some(value.to_owned())
}

fn header_only_for_allowed_origins(make: MakeClient) {
    let (idp, renewals) = token_server(0);
    let api = ok();
    let listed = ok();
    let other = ok();
    let client = make(
        manager(&idp, &api, 3600),
        AllowedOrigins::new().with_entry(listed.origin()).unwrap(),
    );
    assert_eq!(client.get(&api.url("/v1/me")), Ok(200));
    assert_eq!(client.get(&listed.url("/files/1")), Ok(200));
    assert_eq!(client.get(&other.url("/elsewhere")), Ok(200));
    assert_eq!(api.authorizations(), [auth(OLD)]);
    assert_eq!(listed.authorizations(), [auth(OLD)]);
    assert_eq!(
        other.authorizations(),
        [None],
        "another origin gets no token"
    );
    renewals.assert();
}

fn no_header_after_a_cross_origin_redirect(make: MakeClient) {
    let (idp, renewals) = token_server(0);
    let other = RecordingServer::start(|_| respond("401 Unauthorized", "", "no"));
    let target = other.url("/blob");
    let api = RecordingServer::start(move |_| {
        respond("302 Found", &format!("Location: {target}\r\n"), "")
    });
    let client = make(manager(&idp, &api, 3600), AllowedOrigins::new());
    assert_eq!(client.get(&api.url("/v1/files/1")), Ok(401));
    assert_eq!(api.authorizations(), [auth(OLD)]);
    assert_eq!(
        other.authorizations(),
        [None],
        "the redirect carried no token"
    );
    renewals.assert(); // the foreign 401 renewed nothing
}

fn a_401_renews_once_and_retries_once(make: MakeClient) {
    let (idp, renewals) = token_server(1);
    let api = RecordingServer::start(|head| {
        if head.contains(NEW) {
            respond("200 OK", "", "ok")
        } else {
            respond("401 Unauthorized", "", "expired")
        }
    });
    let client = make(manager(&idp, &api, 3600), AllowedOrigins::new());
    assert_eq!(client.get(&api.url("/v1/me")), Ok(200));
    assert_eq!(api.authorizations(), [auth(OLD), auth(NEW)]);
    renewals.assert();
    // The renewed token is kept: the next request needs no renewal.
    assert_eq!(client.get(&api.url("/v1/me")), Ok(200));
    assert_eq!(api.authorizations().len(), 3);
    renewals.assert();
}

fn a_second_401_reaches_the_caller(make: MakeClient) {
    let (idp, renewals) = token_server(1);
    let api = RecordingServer::start(|_| respond("401 Unauthorized", "", "no"));
    let client = make(manager(&idp, &api, 3600), AllowedOrigins::new());
    assert_eq!(client.get(&api.url("/v1/me")), Ok(401));
    assert_eq!(api.authorizations(), [auth(OLD), auth(NEW)]);
    renewals.assert();
}

fn a_token_about_to_expire_is_renewed_before_use(make: MakeClient) {
    let (idp, renewals) = token_server(1);
    let api = ok();
    // Valid for 5 more seconds: inside the manager's leeway.
    let client = make(manager(&idp, &api, 5), AllowedOrigins::new());
    assert_eq!(client.get(&api.url("/v1/me")), Ok(200));
    assert_eq!(client.get(&api.url("/v1/me")), Ok(200));
    assert_eq!(api.authorizations(), [auth(NEW), auth(NEW)]);
    renewals.assert();
}

macro_rules! adapter_suite {
    ($adapter:ident, $make:path) => {
        mod $adapter {
            #[test]
            fn header_only_for_allowed_origins() {
                super::header_only_for_allowed_origins($make);
            }
            #[test]
            fn no_header_after_a_cross_origin_redirect() {
                super::no_header_after_a_cross_origin_redirect($make);
            }
            #[test]
            fn a_401_renews_once_and_retries_once() {
                super::a_401_renews_once_and_retries_once($make);
            }
            #[test]
            fn a_second_401_reaches_the_caller() {
                super::a_second_401_reaches_the_caller($make);
            }
            #[test]
            fn a_token_about_to_expire_is_renewed_before_use() {
                super::a_token_about_to_expire_is_renewed_before_use($make);
            }
        }
    };
}

adapter_suite!(reqwest_middleware_adapter, super::reqwest_client);
adapter_suite!(ureq_adapter, super::ureq_client);

/// A server that refuses the old token and accepts the new one.
fn accepts_only_the_new_token() -> RecordingServer {
    RecordingServer::start(|head| {
        if head.contains(NEW) {
            respond("200 OK", "", "ok")
        } else {
            respond("401 Unauthorized", "", "expired")
        }
    })
}

#[test]
fn reqwest_retries_a_request_whose_body_it_can_copy() {
    let (idp, renewals) = token_server(1);
    let api = accepts_only_the_new_token();
    let client = reqwest_client(manager(&idp, &api, 3600), AllowedOrigins::new());
    assert_eq!(client.post(&api.url("/v1/things"), "name=x"), Ok(200));
    assert_eq!(api.authorizations(), [auth(OLD), auth(NEW)]);
    renewals.assert();
}

#[test]
fn ureq_returns_the_401_of_a_request_with_a_body_and_the_next_request_is_renewed() {
    let (idp, renewals) = token_server(1);
    let api = accepts_only_the_new_token();
    let client = ureq_client(manager(&idp, &api, 3600), AllowedOrigins::new());
    assert_eq!(
        client.post(&api.url("/v1/things"), "name=x"),
        Ok(401),
        "a consumed body is not sent twice"
    );
    assert_eq!(api.authorizations(), [auth(OLD)]);
    renewals.assert();
    assert_eq!(client.get(&api.url("/v1/things")), Ok(200));
    assert_eq!(api.authorizations(), [auth(OLD), auth(NEW)]);
}
