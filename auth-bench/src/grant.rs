//! A password-grant round trip through `TokenManager` and each transport, against a raw
//! POST of the same body with the same HTTP client crate to the same local server (which
//! answers at once). Both sides reuse one connection pool and parse the JSON answer.

use std::sync::Arc;
use std::time::Instant;

use auth_core::{Credentials, Endpoint, FlowContext, HttpBackend, HttpConfig, Provider, TokenKey};
use auth_flows::{PasswordFlow, TokenManager};

use crate::Sample;
use crate::server::Server;

/// Round trips per side and round.
const PER_ROUND: u32 = 400;
/// The body both sides send (ours sends these fields; the order may differ).
const BODY: &str =
    "grant_type=password&username=ana&password=bench-password&client_id=bench-client";

fn manager(server: &Server, http: Arc<dyn HttpBackend>) -> Result<TokenManager, String> {
    let mut provider = Provider::new("bench")
        .with_endpoint(Endpoint::Token, &server.url("/token"))
        .map_err(|e| e.to_string())?;
    provider.insecure_http = true;
    let creds = Credentials {
        username: Some("ana".into()),
        password: Some("bench-password".into()),
        client_id: Some("bench-client".into()),
        client_secret: None,
    };
    Ok(TokenManager::new(
        TokenKey::new("bench", "ana", "bench-client"),
        Arc::new(auth_store::MemoryStore::new()),
        FlowContext::new(provider, creds, http),
    ))
}

/// Times `per_round` calls of `f` in blocks of a tenth, alternating with `g`; returns
/// microseconds per call of each.
fn interleaved(
    mut ours: impl FnMut() -> Result<(), String>,
    mut theirs: impl FnMut() -> Result<(), String>,
) -> Result<Sample, String> {
    // warm both pools and code paths
    for _ in 0..20 {
        ours()?;
        theirs()?;
    }
    let (mut a, mut b) = (0.0, 0.0);
    for _ in 0..10 {
        let start = Instant::now();
        for _ in 0..PER_ROUND / 10 {
            ours()?;
        }
        a += start.elapsed().as_secs_f64();
        let start = Instant::now();
        for _ in 0..PER_ROUND / 10 {
            theirs()?;
        }
        b += start.elapsed().as_secs_f64();
    }
    let per_call = |total: f64| total * 1e6 / f64::from(PER_ROUND);
    Ok(Sample::new(per_call(a), per_call(b)))
}

fn check_token(body: &str) -> Result<(), String> {
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the token answer is not JSON: {e}"))?;
    match json["access_token"].as_str() {
        Some(_) => Ok(()),
        None => Err("the token answer has no access_token".into()),
    }
}

/// `TokenManager::login(PasswordFlow)` over `UreqBackend` against a raw `ureq` POST.
pub(crate) fn ureq(server: &Server) -> Result<Sample, String> {
    let backend = auth_http::UreqBackend::new(HttpConfig::default()).map_err(|e| e.to_string())?;
    let mgr = manager(server, Arc::new(backend))?;
    let agent = ureq::Agent::new_with_defaults();
    let url = server.url("/token");
    interleaved(
        || {
            pollster::block_on(mgr.login(&PasswordFlow))
                .map(drop)
                .map_err(|e| e.to_string())
        },
        || {
            let mut response = agent
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .send(BODY)
                .map_err(|e| e.to_string())?;
            let body = response
                .body_mut()
                .read_to_string()
                .map_err(|e| e.to_string())?;
            check_token(&body)
        },
    )
}

/// `TokenManager::login(PasswordFlow)` over `ReqwestBackend` against a raw `reqwest`
/// POST, both on one current-thread tokio runtime.
pub(crate) fn reqwest(server: &Server) -> Result<Sample, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let _guard = runtime.enter();
    let backend =
        auth_http::ReqwestBackend::new(HttpConfig::default()).map_err(|e| e.to_string())?;
    let mgr = manager(server, Arc::new(backend))?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let url = server.url("/token");
    interleaved(
        || {
            runtime
                .block_on(mgr.login(&PasswordFlow))
                .map(drop)
                .map_err(|e| e.to_string())
        },
        || {
            runtime.block_on(async {
                let response = client
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("accept", "application/json")
                    .body(BODY)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let body = response.text().await.map_err(|e| e.to_string())?;
                check_token(&body)
            })
        },
    )
}
