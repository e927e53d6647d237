//! Async: `TokenManager` over reqwest on tokio, tokens kept in memory.
//!
//! ```toml
//! [dependencies]
//! auth-core = "0.1"
//! auth-flows = { version = "0.1", default-features = false, features = ["client-credentials"] }
//! auth-http = { version = "0.1", default-features = false, features = ["reqwest"] }
//! auth-store = { version = "0.1", default-features = false, features = ["memory"] }
//! tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
//! ```
//!
//! For tokens that outlive the process, use `features = ["keyring"]` and
//! `KeyringStore` (or `KeyringOrFileStore` with `["keyring", "file"]`) instead of
//! `MemoryStore`.
//!
//! Run: `cargo run -p auth-flows --example async_reqwest_memory --all-features` (a demo
//! server on 127.0.0.1), or set `OAUTH_TOKEN_URL`, `OAUTH_CLIENT_ID`,
//! `OAUTH_CLIENT_SECRET` (and `OAUTH_API_URL`) to use your provider.

mod support;

use std::sync::Arc;

use auth_core::{
    AllowedOrigins, Endpoint, FlowContext, HttpBackend, HttpConfig, Provider, TokenKey,
};
use auth_flows::{AuthorizedClient, ClientCredentialsFlow, TokenManager};
use auth_http::ReqwestBackend;
use auth_store::MemoryStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::Target::from_env_or_demo()?;

    // The transport needs a tokio runtime: build it inside one (here, `#[tokio::main]`).
    let http: Arc<dyn HttpBackend> = Arc::new(ReqwestBackend::new(HttpConfig::default())?);
    let store = Arc::new(MemoryStore::new());

    let provider = Provider::new("example").with_endpoint(Endpoint::Token, &target.token_url)?;
    let client_id = target.credentials.client_id.clone().unwrap_or_default();
    let key = TokenKey::new("example", "default", client_id);
    let ctx = FlowContext::new(provider, target.credentials, Arc::clone(&http));
    let manager =
        Arc::new(TokenManager::new(key, store, ctx).with_flow(Arc::new(ClientCredentialsFlow)));

    // Many tasks ask at once: they share one token request.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let manager = Arc::clone(&manager);
            tokio::spawn(async move { manager.token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await??);
    }
    assert!(
        tokens
            .iter()
            .all(|t| t.access_token == tokens[0].access_token)
    );
    println!("8 tasks, one token: {:?}", tokens[0]); // Debug never shows the secret

    // An authorized client is an HttpBackend itself: it adds the bearer token per hop and
    // renews the token once after a 401. The token goes only to the provider's API origin
    // and the origins allowed here.
    if let Some(api_url) = &target.api_url {
        let client = AuthorizedClient::new(http, Arc::clone(&manager))
            .allow_origins(AllowedOrigins::new().with_entry(api_url)?);
        let response = client
            .send(http::Request::get(api_url.as_str()).body(Vec::new())?)
            .await?;
        println!("GET {api_url}: {}", response.status());
    }
    Ok(())
}
