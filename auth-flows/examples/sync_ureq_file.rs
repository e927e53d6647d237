//! Sync: the blocking facade over ureq, tokens kept in a file. No async runtime at all.
//!
//! ```toml
//! [dependencies]
//! auth-core = "0.1"
//! auth-flows = { version = "0.1", default-features = false, features = ["client-credentials", "blocking"] }
//! auth-http = { version = "0.1", default-features = false, features = ["ureq"] }
//! auth-store = { version = "0.1", default-features = false, features = ["file"] }
//! ```
//!
//! Run: `cargo run -p auth-flows --example sync_ureq_file` (a demo server on 127.0.0.1),
//! or set `OAUTH_TOKEN_URL`, `OAUTH_CLIENT_ID`, `OAUTH_CLIENT_SECRET` (and `OAUTH_API_URL`)
//! to use your provider.

mod support;

use std::sync::Arc;
use std::time::SystemTime;

use auth_core::{Endpoint, FlowContext, HttpBackend, HttpConfig, Provider, TokenKey};
use auth_flows::{ClientCredentialsFlow, TokenManager, blocking};
use auth_http::UreqBackend;
use auth_store::FileStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::Target::from_env_or_demo()?;

    // The transport: blocking, no tokio. Its settings have builders (`HttpConfig::default().with_...`).
    let http: Arc<dyn HttpBackend> = Arc::new(UreqBackend::new(HttpConfig::default())?);
    // The store: one JSON file, written atomically. A real program would use
    // `FileStore::open_default()` (the platform's data folder).
    let dir = std::env::temp_dir().join(format!("auth-flows-example-{}", std::process::id()));
    let store = Arc::new(FileStore::new(&dir));

    let provider = Provider::new("example").with_endpoint(Endpoint::Token, &target.token_url)?;
    let client_id = target.credentials.client_id.clone().unwrap_or_default();
    let key = TokenKey::new("example", "default", client_id);
    let ctx = FlowContext::new(provider, target.credentials, Arc::clone(&http));
    let manager = blocking::TokenManager::new(
        TokenManager::new(key, store, ctx).with_flow(Arc::new(ClientCredentialsFlow)),
    );

    // Nothing stored yet: the manager runs the client credentials grant and saves the token.
    let token = manager.token()?;
    println!(
        "got a {} token, valid for {:?}",
        token.token_type,
        token.remaining(SystemTime::now())
    );
    // Later calls get it from memory (or from the file, in the next process).
    assert_eq!(manager.token()?.access_token, token.access_token);
    println!("stored in {}", manager.store().describe());

    // An authorized call: the bearer header is added per hop and never leaves the origin.
    if let Some(api_url) = &target.api_url {
        // The token goes only to the provider's API origin and the origins allowed here.
        let client = manager
            .client(http)
            .allow_origins(auth_core::AllowedOrigins::new().with_entry(api_url)?);
        let response = client.send(http::Request::get(api_url.as_str()).body(Vec::new())?)?;
        println!("GET {api_url}: {}", response.status());
    }

    manager.logout()?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
