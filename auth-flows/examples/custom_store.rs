//! A custom `TokenStore`: one file per key in a folder, written atomically, checked by
//! the conformance suite.
//!
//! ```toml
//! [dependencies]
//! auth-core = "0.1"
//! auth-flows = { version = "0.1", default-features = false, features = ["client-credentials", "blocking"] }
//! auth-http = { version = "0.1", default-features = false, features = ["ureq"] }
//!
//! [dev-dependencies]
//! # the conformance suites (unpublished: a git or path dependency)
//! auth-testkit = { git = "https://github.com/authctl/authctl" }
//! tempfile = "3"
//! ```
//!
//! The suite needs the store to be `TokenStore + Debug + 'static`, and its `Debug` and
//! `describe()` must never show a token. Run it with `cargo test`: it is the `conformance`
//! module at the end (here: `cargo test -p auth-flows --all-features --example custom_store`).
//!
//! Run: `cargo run -p auth-flows --example custom_store --all-features`.

mod support;

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use auth_core::{
    Endpoint, Error, FlowContext, HttpBackend, HttpConfig, Provider, Token, TokenKey, TokenStore,
    async_trait,
};
use auth_flows::{ClientCredentialsFlow, TokenManager, blocking};

/// Tokens in `dir`, one JSON file per key, named by the key's hex-encoded storage id.
///
/// `Debug` is derived: it shows the folder, never a token.
#[derive(Debug)]
pub struct DirStore {
    dir: PathBuf,
    /// Makes temporary file names unique within the process.
    writes: AtomicU64,
}

impl DirStore {
    /// A store in `dir`; the folder is created on the first save.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DirStore {
            dir: dir.into(),
            writes: AtomicU64::new(0),
        }
    }

    fn path(&self, key: &TokenKey) -> PathBuf {
        let name: String = key
            .storage_id()
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    /// A store error that names the file and the next step.
    fn error(&self, path: &Path, e: impl std::fmt::Display) -> Error {
        Error::Store {
            backend: "dir".into(),
            path: Some(path.to_owned()),
            message: e.to_string(),
            hint: format!(
                "check that {} is a folder you may write",
                self.dir.display()
            ),
        }
    }
}

#[async_trait]
impl TokenStore for DirStore {
    fn describe(&self) -> String {
        format!("one file per key in {}", self.dir.display())
    }

    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        let path = self.path(key);
        match std::fs::read_to_string(&path) {
            // An unreadable file is an error, never silently "no token".
            Ok(text) => Token::from_json(&text)
                .map(Some)
                .map_err(|e| self.error(&path, e)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error(&path, e)),
        }
    }

    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        let path = self.path(key);
        std::fs::create_dir_all(&self.dir).map_err(|e| self.error(&self.dir, e))?;
        // Write a temporary file, then rename: a reader sees the old token or the new one.
        let n = self.writes.fetch_add(1, Ordering::Relaxed);
        let tmp = path.with_extension(format!("{}-{n}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(token.to_json().as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.error(&path, e)
        })
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        let path = self.path(key);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.error(&path, e)),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::Target::from_env_or_demo()?;
    let dir = std::env::temp_dir().join(format!("auth-flows-dir-store-{}", std::process::id()));
    let http: Arc<dyn HttpBackend> = Arc::new(auth_http::UreqBackend::new(HttpConfig::default())?);
    let provider = Provider::new("example").with_endpoint(Endpoint::Token, &target.token_url)?;
    let client_id = target.credentials.client_id.clone().unwrap_or_default();
    let key = TokenKey::new("example", "default", client_id);

    // Any `Arc<dyn TokenStore>` plugs into the manager.
    let manager = |store: Arc<dyn TokenStore>| {
        let ctx = FlowContext::new(
            provider.clone(),
            target.credentials.clone(),
            Arc::clone(&http),
        );
        blocking::TokenManager::new(
            TokenManager::new(key.clone(), store, ctx).with_flow(Arc::new(ClientCredentialsFlow)),
        )
    };
    let first = manager(Arc::new(DirStore::new(&dir)));
    let token = first.token()?;
    println!(
        "got a token; the store keeps it: {}",
        first.store().describe()
    );

    // A second manager (think: the next run of the program) finds it in the folder.
    let second = manager(Arc::new(DirStore::new(&dir)));
    let stored = second.stored()?.ok_or("the token was not stored")?;
    assert_eq!(stored.access_token, token.access_token);
    println!("a second manager loaded it back: {stored:?}");

    second.logout()?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// The token store suite, one `#[test]` per rule: `cargo test --example custom_store`.
#[cfg(test)]
mod conformance {
    use super::*;

    auth_testkit::token_store_tests!(
        let dir = tempfile::tempdir().unwrap();
        store: DirStore::new(dir.path()),
    );
}
