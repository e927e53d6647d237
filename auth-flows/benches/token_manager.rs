//! `cargo bench -p auth-flows --bench token_manager`: the cost of a cached `token()`
//! call, and the single-flight refresh under 1,000 concurrent callers.
//!
//! Reports medians (these machines are shared and noisy), the count of token requests
//! (must be 1) and the p99 latency of the concurrent callers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use auth_core::{
    Credentials, Endpoint, Error, FlowContext, HttpBackend, HttpRequest, HttpResponse, Provider,
    Token, TokenKey, TokenStore, async_trait,
};
use auth_flows::TokenManager;

#[derive(Debug, Default)]
struct MapStore(Mutex<HashMap<TokenKey, Token>>);

#[async_trait]
impl TokenStore for MapStore {
    fn describe(&self) -> String {
        "map".into()
    }
    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        Ok(self.0.lock().unwrap().get(key).cloned())
    }
    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        self.0.lock().unwrap().insert(key.clone(), token.clone());
        Ok(())
    }
    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        Ok(self.0.lock().unwrap().remove(key).is_some())
    }
}

/// A token endpoint that takes 20 ms to answer and counts its requests.
#[derive(Default)]
struct SlowTokenEndpoint(AtomicUsize);

#[async_trait]
impl HttpBackend for SlowTokenEndpoint {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, Error> {
        self.0.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(br#"{"access_token":"fresh","token_type":"bearer","expires_in":3600,"refresh_token":"r2"}"#.to_vec())
            .unwrap())
    }
}

fn manager(http: Arc<dyn HttpBackend>, token: Token) -> TokenManager {
    let key = TokenKey::new("bench", "ana", "client");
    let store = Arc::new(MapStore::default());
    pollster::block_on(store.save(&key, &token)).unwrap();
    let provider = Provider::new("bench")
        .with_endpoint(Endpoint::Token, "https://auth.example.com/token")
        .unwrap();
    let creds = Credentials {
        client_id: Some("client".into()),
        ..Default::default()
    };
    TokenManager::new(key, store, FlowContext::new(provider, creds, http))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // 1. cached token(): 21 rounds of 100,000 calls
    let valid = Token::bearer("cached").expiring_at(SystemTime::now() + Duration::from_secs(3600));
    let mgr = manager(Arc::new(SlowTokenEndpoint::default()), valid);
    let mut per_call = Vec::new();
    for _ in 0..21 {
        let n = 100_000;
        let start = Instant::now();
        for _ in 0..n {
            std::hint::black_box(pollster::block_on(mgr.token()).unwrap());
        }
        per_call.push(start.elapsed().as_nanos() as f64 / n as f64);
    }
    println!(
        "token_manager/cached_token: median {:.0} ns per call (21 rounds x 100000)",
        median(per_call)
    );

    // 2. 1,000 concurrent callers on an expired token: 5 rounds
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut p99s = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..5 {
        let endpoint = Arc::new(SlowTokenEndpoint::default());
        let expired = Token::bearer("old")
            .expiring_at(SystemTime::now() - Duration::from_secs(1))
            .with_refresh_token("r1");
        let mgr = Arc::new(manager(endpoint.clone(), expired));
        let mut latencies: Vec<f64> = runtime.block_on(async {
            let tasks: Vec<_> = (0..1000)
                .map(|_| {
                    let mgr = Arc::clone(&mgr);
                    tokio::spawn(async move {
                        let start = Instant::now();
                        let t = mgr.token().await.unwrap();
                        assert_eq!(t.access_token.expose(), "fresh");
                        start.elapsed().as_secs_f64() * 1000.0
                    })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        latencies.sort_by(f64::total_cmp);
        p99s.push(latencies[latencies.len() * 99 / 100]);
        requests.push(endpoint.0.load(Ordering::SeqCst));
    }
    println!(
        "token_manager/single_flight_1000: token requests per round {:?} (must all be 1); p99 latency median {:.1} ms (token endpoint takes 20 ms)",
        requests,
        median(p99s)
    );
    assert!(
        requests.iter().all(|&r| r == 1),
        "single flight broken: {requests:?}"
    );
}
