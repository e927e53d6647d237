//! Your own ureq 3 agent gets the token: `UreqAuth` adds it to requests for the API's
//! origin, renews it before it expires, and after a 401 renews once and retries once. No
//! async runtime anywhere.
//!
//! Runs offline against a demo server (`cargo run -p auth-flows --all-features --example
//! ureq_middleware`), or against a provider named by `OAUTH_TOKEN_URL`, `OAUTH_CLIENT_ID`,
//! `OAUTH_CLIENT_SECRET` and `OAUTH_API_URL`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use auth_core::{
    AllowedOrigins, Endpoint, FlowContext, HttpBackend, HttpConfig, Provider, TokenKey,
};
use auth_flows::middleware::UreqAuth;
use auth_flows::{ClientCredentialsFlow, TokenManager};
use auth_http::UreqBackend;
use auth_store::MemoryStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::Target::from_env_or_demo()?;
    let Some(api_url) = target.api_url.clone() else {
        println!("set OAUTH_API_URL to call an API");
        return Ok(());
    };

    // The token manager: where tokens come from and are kept.
    let http: Arc<dyn HttpBackend> = Arc::new(UreqBackend::new(HttpConfig::default())?);
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

    // Your own agent, with your settings. The token goes to the provider's API origin and
    // the origins allowed here, only.
    let agent = UreqAuth::new(manager)
        .allow_origins(AllowedOrigins::new().with_entry(&api_url)?)
        .agent(|| ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(30))));

    for _ in 0..2 {
        let response = agent.get(&api_url).call()?;
        println!("GET {api_url}: {}", response.status());
    }
    Ok(())
}
