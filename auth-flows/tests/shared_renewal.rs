//! The token manager against a strict server (rotating refresh tokens, a reuse revokes
//! the grant): several managers sharing one store renew once, and `min_valid` longer
//! than the server's token lifetime makes one request for all concurrent callers.
#![cfg(feature = "password")]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_core::{
    ClientAuth, Credentials, Endpoint, FlowContext, HttpBackend, Provider, Token, TokenKey,
    TokenStore,
};
use auth_flows::{PasswordFlow, TokenManager};
use auth_store::MemoryStore;
use auth_testkit::{LoopbackHttp, StrictConfig, StrictTokenServer, TraceCapture};

fn key() -> TokenKey {
    TokenKey::new("strict", "ana", "client")
}

fn manager(server: &StrictTokenServer, store: Arc<dyn TokenStore>) -> TokenManager {
    let mut provider = Provider::new("strict")
        .with_endpoint(Endpoint::Token, &server.token_url())
        .unwrap();
    provider.client_auth = ClientAuth::Body;
    let credentials = Credentials {
        username: Some("ana".into()),
        password: Some("pw".into()),
        client_id: Some("client".into()),
        client_secret: Some("secret".into()),
    };
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::default());
    TokenManager::new(key(), store, FlowContext::new(provider, credentials, http))
        .with_flow(Arc::new(PasswordFlow))
}

/// Logs in once, then makes the stored token expire (its refresh token stays current).
async fn expiring_login(server: &StrictTokenServer, store: &Arc<MemoryStore>) -> Token {
    let first = manager(server, store.clone()).token().await.unwrap();
    let mut expiring = first.clone();
    expiring.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
    store.save(&key(), &expiring).await.unwrap();
    expiring
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_managers_sharing_a_store_refresh_once() {
    let server = StrictTokenServer::start(
        StrictConfig::new().with_refresh_delay(Duration::from_millis(300)),
    );
    let store = Arc::new(MemoryStore::new());
    let stale = expiring_login(&server, &store).await;
    // eight managers: eight processes' in-process single flights, one shared store
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let mgr = manager(&server, store.clone());
            tokio::spawn(async move { mgr.token().await })
        })
        .collect();
    let mut seen = HashSet::new();
    for task in tasks {
        let token = task.await.unwrap().expect("every manager gets a token");
        seen.insert(token.access_token.expose().to_owned());
    }
    assert_eq!(server.refreshes(), 1, "one refresh for eight managers");
    assert_eq!(server.reuses(), 0, "no refresh token was used twice");
    assert_eq!(seen.len(), 1, "all got the same token: {seen:?}");
    let fresh = seen.into_iter().next().unwrap();
    assert_ne!(fresh, stale.access_token.expose());
    assert_eq!(
        server.current_access_token().as_deref(),
        Some(fresh.as_str())
    );
    assert_eq!(
        store
            .load(&key())
            .await
            .unwrap()
            .unwrap()
            .access_token
            .expose(),
        fresh,
        "the rotated token was saved"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_that_finds_a_token_renewed_elsewhere_sends_nothing() {
    let server = StrictTokenServer::start(StrictConfig::new().with_refresh_delay(Duration::ZERO));
    let store = Arc::new(MemoryStore::new());
    let stale = expiring_login(&server, &store).await;
    let other = manager(&server, store.clone());
    // this manager saw the stale token and is about to renew it...
    let late = manager(&server, store.clone());
    let renewed = other.force_refresh(Some(stale.clone())).await.unwrap();
    let before = server.requests();
    // ...and, holding the stale one, asks for a renewal: it finds the renewed one
    let got = late.force_refresh(Some(stale)).await.unwrap();
    assert_eq!(got, renewed);
    assert_eq!(server.requests(), before, "no request was sent");
    assert_eq!(server.reuses(), 0);
}

#[test]
fn min_valid_beyond_the_token_lifetime_makes_one_request_and_warns() {
    let server = StrictTokenServer::start(
        StrictConfig::new()
            .with_expires_in(600)
            .with_refresh_delay(Duration::from_millis(100)),
    );
    let capture = TraceCapture::new();
    let store = Arc::new(MemoryStore::new());
    // the token was stored by an earlier run: this manager does not know its lifetime
    let mgr = Arc::new(manager(&server, store.clone()));
    let login = manager(&server, store.clone());
    let tokens = capture.in_scope(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            login.token().await.unwrap();
            assert_eq!(server.token_requests(), 1, "the login");
            let tasks: Vec<_> = (0..100)
                .map(|_| {
                    let mgr = Arc::clone(&mgr);
                    tokio::spawn(
                        async move { mgr.token_valid_for(Duration::from_secs(3600)).await },
                    )
                })
                .collect();
            let mut tokens = HashSet::new();
            for task in tasks {
                let token = task.await.unwrap().unwrap();
                tokens.insert(token.access_token.expose().to_owned());
            }
            tokens
        })
    });
    assert_eq!(
        server.token_requests(),
        2,
        "100 callers asking for more than the server gives make one request"
    );
    assert_eq!(server.refreshes(), 1);
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    let text = capture.text();
    assert!(
        text.contains("shorter than asked") && text.contains("3600"),
        "{text}"
    );
    let token = tokens.into_iter().next().unwrap();
    assert!(!text.contains(&token), "no token in the trace: {text}");
}
