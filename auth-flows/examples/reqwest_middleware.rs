//! Your own `reqwest` client (with `reqwest-middleware`) gets the token: `ReqwestAuth`
//! adds it to requests for the API's origin, renews it before it expires, and after a 401
//! renews once and retries once.
//!
//! Runs offline against a demo server (`cargo run -p auth-flows --all-features --example
//! reqwest_middleware`), or against a provider named by `OAUTH_TOKEN_URL`,
//! `OAUTH_CLIENT_ID`, `OAUTH_CLIENT_SECRET` and `OAUTH_API_URL`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use auth_core::{
    AllowedOrigins, Endpoint, FlowContext, HttpBackend, HttpConfig, Provider, TokenKey,
};
use auth_flows::middleware::ReqwestAuth;
use auth_flows::{ClientCredentialsFlow, TokenManager};
use auth_http::ReqwestBackend;
use auth_store::MemoryStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::Target::from_env_or_demo()?;
    let Some(api_url) = target.api_url.clone() else {
        println!("set OAUTH_API_URL to call an API");
        return Ok(());
    };

    // The token manager: where tokens come from and are kept.
    let http: Arc<dyn HttpBackend> = Arc::new(ReqwestBackend::new(HttpConfig::default())?);
    let provider = Provider::new("example").with_endpoint(Endpoint::Token, &target.token_url)?;
    let client_id = target.credentials.client_id.clone().unwrap_or_default();
    let ctx = FlowContext::new(provider, target.credentials, http);
    let manager = Arc::new(
        TokenManager::new(
            TokenKey::new("example", "default", client_id),
            Arc::new(MemoryStore::new()),
            ctx,
        )
        .with_flow(Arc::new(ClientCredentialsFlow)),
    );

    // Your own client, with your settings. (This workspace builds reqwest without a TLS
    // provider of its own; with reqwest's default features, skip this line.)
    let _ = rustls::crypto::ring::default_provider().install_default();
    let own = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    // The token goes to the provider's API origin and the origins allowed here, only.
    let client = reqwest_middleware::ClientBuilder::new(own)
        .with(ReqwestAuth::new(manager).allow_origins(AllowedOrigins::new().with_entry(&api_url)?))
        .build();

    for _ in 0..2 {
        let response = client.get(&api_url).send().await?;
        println!("GET {api_url}: {}", response.status());
    }
    Ok(())
}
