//! Compliance hooks and quirks. Each quirk runs against a local server that answers as that
//! provider does on the wire, once without the quirk (the deviation shows) and once with
//! it; each of the five hook points runs a hook written here; and a property checks that a
//! provider with no quirks and no hooks parses token answers exactly as the parser does.
#![cfg(all(feature = "client-credentials", feature = "password"))]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::hooks::{ComplianceHook, Quirk, TokenPlacement, TokenResponseParts};
use auth_core::{Error, HttpBackend, Provider, Token, TokenStore};
use auth_flows::{AuthorizedClient, ClientCredentialsFlow};
use auth_store::MemoryStore;
use auth_testkit::LoopbackHttp;
use mockito::Matcher;

mod compliance_common;
use compliance_common::{Recorder, key, manager, provider};

/// A client-credentials login against `server` with these quirks.
async fn login(server: &mockito::ServerGuard, quirks: &[Quirk]) -> Result<Token, Error> {
    let mgr = manager(provider(server, quirks), Arc::new(MemoryStore::new()));
    mgr.login(&ClientCredentialsFlow).await
}

/// A refresh of an expired token against `server` with these quirks.
async fn refresh(server: &mockito::ServerGuard, quirks: &[Quirk]) -> Result<Token, Error> {
    let store = Arc::new(MemoryStore::new());
    let expired = Token::bearer("old")
        .expiring_at(SystemTime::now() - Duration::from_secs(10))
        .with_refresh_token("rt");
    store.save(&key(), &expired).await.unwrap();
    manager(provider(server, quirks), store).token().await
}

/// `GET /api/me` through `AuthorizedClient` with a stored valid token `tok`; the status.
async fn api_call(server: &mockito::ServerGuard, provider: Provider, method: &str) -> u16 {
    let store = Arc::new(MemoryStore::new());
    let valid = Token::bearer("tok").expiring_at(SystemTime::now() + Duration::from_secs(3600));
    store.save(&key(), &valid).await.unwrap();
    let client = AuthorizedClient::new(
        Arc::new(LoopbackHttp::default()),
        Arc::new(manager(provider, store)),
    );
    let request = http::Request::builder()
        .method(method)
        .uri(format!("{}/api/me?x=1", server.url()))
        .body(Vec::new())
        .unwrap();
    client.send(request).await.unwrap().status().as_u16()
}

fn in_a_year() -> SystemTime {
    SystemTime::now() + Duration::from_secs(365 * 24 * 3600)
}

#[tokio::test(flavor = "multi_thread")]
async fn facebook_form_answer_labelled_text_plain() {
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/token")
        .with_header("content-type", "text/plain; charset=UTF-8")
        .with_body("access_token=fb-token&expires=5183999")
        .create_async()
        .await;
    let without = login(&server, &[]).await.unwrap();
    assert_eq!(without.access_token.expose(), "fb-token");
    assert_eq!(
        without.expires_at, None,
        "without the quirk `expires` is not understood: the token seems never to expire"
    );
    let with = login(&server, &[Quirk::Facebook]).await.unwrap();
    let expires = with.expires_at.expect("the quirk reads `expires`");
    let left = expires.duration_since(SystemTime::now()).unwrap();
    assert!(left > Duration::from_secs(5_183_000) && left <= Duration::from_secs(5_183_999));
    assert_eq!(with.token_type, "Bearer");
    assert!(!with.extra.contains_key("expires_in"));
}

#[tokio::test(flavor = "multi_thread")]
async fn fitbit_errors_list_becomes_an_oauth_error_on_login_and_refresh() {
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/token")
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"errors":[{"errorType":"invalid_grant","message":"Refresh token invalid: rt"}],"success":false}"#)
        .create_async()
        .await;
    let without = login(&server, &[]).await.unwrap_err();
    assert!(
        matches!(without, Error::InvalidResponse { .. }),
        "without the quirk the answer is not an OAuth error: {without:?}"
    );
    let with = login(&server, &[Quirk::Fitbit]).await.unwrap_err();
    let Error::OAuth(e) = &with else {
        panic!("an OAuth error: {with:?}")
    };
    assert_eq!(e.code, "invalid_grant");
    let refreshed = refresh(&server, &[Quirk::Fitbit]).await.unwrap_err();
    assert!(
        refreshed.needs_login(),
        "a refused refresh asks for a login: {refreshed}"
    );
    let plain = refresh(&server, &[]).await.unwrap_err();
    assert!(!plain.needs_login(), "{plain}");
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_token_goes_as_a_token_form_field_or_query_parameter() {
    let mut server = mockito::Server::new_async().await;
    let _query = server
        .mock("GET", "/api/me")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("x".into(), "1".into()),
            Matcher::UrlEncoded("token".into(), "tok".into()),
        ]))
        .with_body(r#"{"ok":true}"#)
        .create_async()
        .await;
    let _form = server
        .mock("POST", "/api/me")
        .match_query(Matcher::UrlEncoded("x".into(), "1".into()))
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body(Matcher::UrlEncoded("token".into(), "tok".into()))
        .with_body(r#"{"ok":true}"#)
        .create_async()
        .await;
    // anything else gets mockito's 501, as Slack answers `not_authed`
    assert_ne!(api_call(&server, provider(&server, &[]), "GET").await, 200);
    let slack = provider(&server, &[Quirk::Slack]);
    assert_eq!(api_call(&server, slack.clone(), "GET").await, 200);
    assert_eq!(api_call(&server, slack, "POST").await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn instagram_and_weibo_put_the_token_in_the_query() {
    let mut server = mockito::Server::new_async().await;
    let _ok = server
        .mock("GET", "/api/me")
        .match_query(Matcher::UrlEncoded("access_token".into(), "tok".into()))
        .match_header("authorization", Matcher::Missing)
        .with_body("{}")
        .create_async()
        .await;
    // anything else gets mockito's 501, as Instagram answers OAuthParameterException
    assert_ne!(api_call(&server, provider(&server, &[]), "GET").await, 200);
    for quirk in [Quirk::Instagram, Quirk::Weibo] {
        assert_eq!(
            api_call(&server, provider(&server, &[quirk]), "GET").await,
            200,
            "{quirk}"
        );
    }
    // the profile's own placement wins over the quirk's
    let header = provider(&server, &[Quirk::Weibo]).with_token_placement(TokenPlacement::Header);
    assert_ne!(api_call(&server, header, "GET").await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn weibo_and_douban_answers_without_token_type() {
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"w-token","expires_in":157679999,"remind_in":"157679999","uid":"12341234"}"#)
        .create_async()
        .await;
    // Our parser already reads a missing token_type as Bearer (RFC 6750 is the only type
    // it can be), so these answers parse without the quirk too; the quirk writes it in.
    for quirks in [&[][..], &[Quirk::Weibo], &[Quirk::Douban]] {
        let token = login(&server, quirks).await.unwrap();
        assert_eq!(token.token_type, "Bearer", "{quirks:?}");
        assert_eq!(token.extra["uid"], "12341234");
    }
    // Douban keeps the token in the Authorization header (see the compliance docs).
    assert_eq!(
        provider(&server, &[Quirk::Douban]).token_placement(),
        TokenPlacement::Header
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mailchimp_null_scope_and_zero_lifetime() {
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"mc-token","expires_in":0,"scope":null}"#)
        .create_async()
        .await;
    // Without the quirk the generic parser already reads `0` as "lifetime unknown" and
    // `null` as no scope; the quirk makes that explicit (see the compliance docs for why a
    // token that does not expire gets no invented lifetime).
    for quirks in [&[][..], &[Quirk::Mailchimp]] {
        let token = login(&server, quirks).await.unwrap();
        assert_eq!(token.access_token.expose(), "mc-token");
        assert_eq!(token.expires_at, None, "{quirks:?}");
        assert!(token.scopes.is_empty());
        assert!(!token.extra.contains_key("scope"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plentymarkets_camel_case_keys() {
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(r#"{"tokenType":"Bearer","expiresIn":86400,"accessToken":"pm-token","refreshToken":"pm-refresh"}"#)
        .create_async()
        .await;
    let without = login(&server, &[]).await.unwrap_err();
    assert!(
        without.to_string().contains("access_token"),
        "without the quirk there is no access_token: {without}"
    );
    let with = login(&server, &[Quirk::Plentymarkets]).await.unwrap();
    assert_eq!(with.access_token.expose(), "pm-token");
    assert_eq!(with.refresh_token.unwrap().expose(), "pm-refresh");
    assert!(with.expires_at.unwrap() < in_a_year());
}

#[tokio::test(flavor = "multi_thread")]
async fn ebay_token_type_names_on_login_and_refresh() {
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/token")
        .match_body(Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()))
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"v^1.1#app","expires_in":7200,"token_type":"Application Access Token"}"#)
        .create_async()
        .await;
    let _r = server
        .mock("POST", "/token")
        .match_body(Matcher::UrlEncoded(
            "grant_type".into(),
            "refresh_token".into(),
        ))
        .with_header("content-type", "application/json")
        .with_body(
            r#"{"access_token":"v^1.1#user","expires_in":7200,"token_type":"User Access Token"}"#,
        )
        .create_async()
        .await;
    let without = login(&server, &[]).await.unwrap();
    assert_eq!(
        without.authorization_header().expose(),
        "Application Access Token v^1.1#app",
        "without the quirk eBay's name is sent as the scheme, and eBay refuses it"
    );
    let with = login(&server, &[Quirk::Ebay]).await.unwrap();
    assert_eq!(with.authorization_header().expose(), "Bearer v^1.1#app");
    let refreshed = refresh(&server, &[Quirk::Ebay]).await.unwrap();
    assert_eq!(
        refreshed.authorization_header().expose(),
        "Bearer v^1.1#user"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_token_request_and_response_hooks() {
    let mut server = mockito::Server::new_async().await;
    let m = server
        .mock("POST", "/token")
        .match_header("x-tenant", "blue")
        .match_body(Matcher::UrlEncoded("refresh_token".into(), "rt".into()))
        .with_status(299)
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"renewed","expires_in":60}"#)
        .expect(1)
        .create_async()
        .await;
    let recorder = Recorder::default();
    let store = Arc::new(MemoryStore::new());
    let expired = Token::bearer("old")
        .expiring_at(SystemTime::now() - Duration::from_secs(10))
        .with_refresh_token("rt");
    store.save(&key(), &expired).await.unwrap();
    let token = manager(provider(&server, &[]).with_hook(recorder.clone()), store)
        .token()
        .await
        .unwrap();
    assert_eq!(token.access_token.expose(), "renewed");
    m.assert_async().await;
    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "refresh_token_request Some(\"***\")",
            "refresh_token_response 299"
        ],
        "the refresh token reaches the hook only as a Secret"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn protected_request_hook_runs_before_the_token_is_attached() {
    let mut server = mockito::Server::new_async().await;
    let m = server
        .mock("GET", "/api/me")
        .match_query(Matcher::Any)
        .match_header("x-api-version", "2")
        .match_header("authorization", "Bearer tok")
        .with_body("{}")
        .expect(1)
        .create_async()
        .await;
    let recorder = Recorder::default();
    let p = provider(&server, &[]).with_hook(recorder.clone());
    assert_eq!(api_call(&server, p, "GET").await, 200);
    m.assert_async().await;
    assert_eq!(
        recorder.seen.lock().unwrap().clone(),
        ["protected_request auth=false"]
    );
}

/// Records the order hooks run in.
struct Named(&'static str, Arc<Mutex<Vec<&'static str>>>);

impl ComplianceHook for Named {
    fn name(&self) -> &str {
        self.0
    }
    fn access_token_response(&self, response: &mut TokenResponseParts) -> Result<(), Error> {
        self.1.lock().unwrap().push(self.0);
        // each hook sees what the one before it left: the quirk has made the body JSON
        assert_eq!(response.content_type().as_deref(), Some("application/json"));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hooks_run_quirks_first_then_in_the_order_they_were_added() {
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/token")
        .with_header("content-type", "text/plain")
        .with_body("access_token=t&expires=60")
        .create_async()
        .await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let p = provider(&server, &[Quirk::Facebook])
        .with_hook(Named("first", order.clone()))
        .with_hook(Named("second", order.clone()));
    let token = manager(p, Arc::new(MemoryStore::new()))
        .login(&ClientCredentialsFlow)
        .await
        .unwrap();
    assert!(token.expires_at.is_some());
    assert_eq!(*order.lock().unwrap(), ["first", "second"]);
}

/// A hook that refuses: its error stops the request and nothing is stored.
struct Refuse;

impl ComplianceHook for Refuse {
    fn name(&self) -> &str {
        "refuse"
    }
    fn access_token_response(&self, _: &mut TokenResponseParts) -> Result<(), Error> {
        Err(Error::config("this provider's answer is not trusted"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hook_error_stops_the_request_and_stores_nothing() {
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"t"}"#)
        .create_async()
        .await;
    let store = Arc::new(MemoryStore::new());
    let err = manager(provider(&server, &[]).with_hook(Refuse), store.clone())
        .login(&ClientCredentialsFlow)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not trusted"), "{err}");
    assert!(store.load(&key()).await.unwrap().is_none());
}

mod no_quirks_parse_as_today {
    use super::*;
    use proptest::prelude::*;

    /// Token answers shaped like real ones, with the deviations providers have.
    fn answer() -> impl Strategy<Value = (u16, String)> {
        let value = prop_oneof![
            Just("null".to_owned()),
            any::<u32>().prop_map(|n| n.to_string()),
            "[a-z0-9 ._-]{0,12}".prop_map(|s| format!("{s:?}")),
            Just("0".to_owned()),
            Just("\"3600\"".to_owned()),
        ];
        let key = prop_oneof![
            Just("access_token"),
            Just("token_type"),
            Just("expires_in"),
            Just("refresh_token"),
            Just("scope"),
            Just("error"),
            Just("expires"),
            Just("accessToken"),
            Just("errors"),
        ];
        let json = proptest::collection::vec((key, value), 0..6).prop_map(|pairs| {
            let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
            format!("{{{}}}", body.join(","))
        });
        let form = "[a-z_]{1,12}=[a-zA-Z0-9]{0,12}(&[a-z_]{1,12}=[a-zA-Z0-9]{0,12}){0,4}";
        let status = prop_oneof![Just(200u16), Just(400), Just(401), Just(500)];
        (status, prop_oneof![json, form.prop_map(|s| s)])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn a_provider_without_quirks_or_hooks_parses_exactly_as_the_parser((status, body) in answer()) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let got = runtime.block_on(async {
                let mut server = mockito::Server::new_async().await;
                let _m = server
                    .mock("POST", "/token")
                    .with_status(usize::from(status))
                    .with_header("content-type", "application/json")
                    .with_body(&body)
                    .create_async()
                    .await;
                login(&server, &[]).await
            });
            let expected = auth_flows::token_response::parse_token_response(
                status, "http://127.0.0.1/token", body.as_bytes(), SystemTime::now());
            match (got, expected) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(a.access_token.expose(), b.access_token.expose());
                    prop_assert_eq!(a.token_type, b.token_type);
                    prop_assert_eq!(a.refresh_token, b.refresh_token);
                    prop_assert_eq!(a.extra, b.extra);
                    prop_assert_eq!(a.expires_at.is_some(), b.expires_at.is_some());
                }
                (Err(a), Err(b)) => {
                    prop_assert_eq!(std::mem::discriminant(&a), std::mem::discriminant(&b), "{} / {}", a, b);
                }
                (a, b) => prop_assert!(false, "flow {:?} but parser {:?}", a.map(|t| t.token_type), b.map(|t| t.token_type)),
            }
        }
    }
}
