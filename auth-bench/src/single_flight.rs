//! 1,000 concurrent callers of `TokenManager::token()` on an expired token: exactly one
//! refresh, and the callers' p99 latency against the token endpoint's own latency.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use auth_core::{
    Credentials, Endpoint, Error, FlowContext, HttpBackend, HttpRequest, HttpResponse, Provider,
    Token, TokenKey, TokenStore, async_trait,
};
use auth_flows::TokenManager;

use crate::Sample;

const CALLERS: usize = 1000;
const ENDPOINT_DELAY: Duration = Duration::from_millis(20);

/// A token endpoint that takes [`ENDPOINT_DELAY`] to answer, counts its requests and
/// records how long it really took (the latency the callers are compared with).
#[derive(Default)]
struct SlowTokenEndpoint {
    requests: AtomicUsize,
    took: Mutex<Option<Duration>>,
}

#[async_trait]
impl HttpBackend for SlowTokenEndpoint {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, Error> {
        let start = Instant::now();
        self.requests.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(ENDPOINT_DELAY).await;
        let response = http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(crate::server::TOKEN_JSON.as_bytes().to_vec())
            .map_err(|e| Error::config(e.to_string()))?;
        *self.took.lock().unwrap_or_else(|p| p.into_inner()) = Some(start.elapsed());
        Ok(response)
    }
}

/// One round on a multi-thread runtime: p99 of the callers and the endpoint's own
/// latency, in milliseconds. More than one refresh is an error.
pub(crate) fn measure() -> Result<Sample, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let endpoint = Arc::new(SlowTokenEndpoint::default());
    let key = TokenKey::new("bench", "ana", "client");
    let store = Arc::new(auth_store::MemoryStore::new());
    let expired = Token::bearer("old")
        .expiring_at(SystemTime::now() - Duration::from_secs(1))
        .with_refresh_token("r1");
    pollster::block_on(store.save(&key, &expired)).map_err(|e| e.to_string())?;
    let provider = Provider::new("bench")
        .with_endpoint(Endpoint::Token, "https://auth.example.com/token")
        .map_err(|e| e.to_string())?;
    let creds = Credentials {
        client_id: Some("client".into()),
        ..Default::default()
    };
    let http: Arc<dyn HttpBackend> = endpoint.clone();
    let mgr = Arc::new(TokenManager::new(
        key,
        store,
        FlowContext::new(provider, creds, http),
    ));
    let mut latencies = runtime.block_on(async {
        let tasks: Vec<_> = (0..CALLERS)
            .map(|_| {
                let mgr = Arc::clone(&mgr);
                tokio::spawn(async move {
                    let start = Instant::now();
                    let token = mgr.token().await.map_err(|e| e.to_string())?;
                    if token.access_token.expose() != "bench-access-token" {
                        return Err("a caller got another token than the refreshed one".into());
                    }
                    Ok::<f64, String>(start.elapsed().as_secs_f64() * 1000.0)
                })
            })
            .collect();
        let mut out = Vec::with_capacity(CALLERS);
        for task in tasks {
            out.push(task.await.map_err(|e| e.to_string())??);
        }
        Ok::<_, String>(out)
    })?;
    let requests = endpoint.requests.load(Ordering::SeqCst);
    if requests != 1 {
        return Err(format!(
            "{CALLERS} callers sent {requests} refreshes; single flight must send exactly 1"
        ));
    }
    latencies.sort_by(f64::total_cmp);
    let p99 = latencies[latencies.len() * 99 / 100];
    let took = endpoint
        .took
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .ok_or("the token endpoint was never called")?;
    Ok(Sample::new(p99, took.as_secs_f64() * 1000.0))
}
