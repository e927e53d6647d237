//! A custom `TokenStore`: one file per key in a folder, written atomically, with the
//! whole contract (revisions, a renewal lock, the active account), checked by the
//! conformance suite.
//!
//! ```toml
//! [dependencies]
//! auth-core = "0.1"
//! auth-flows = { version = "0.1", default-features = false, features = ["client-credentials", "blocking"] }
//! auth-http = { version = "0.1", default-features = false, features = ["ureq"] }
//! # `auth_store::lock_file`, the per-key renewal lock file of the built-in stores
//! auth-store = { version = "0.1", default-features = false, features = ["file"] }
//! fs4 = "1"
//! serde_json = "1"
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

use std::collections::BTreeMap;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::store::{StoreLock, Versioned};
use auth_core::{
    Endpoint, Error, FlowContext, HttpBackend, HttpConfig, Provider, Token, TokenFormatError,
    TokenKey, TokenStore, async_trait,
};
use auth_flows::{ClientCredentialsFlow, TokenManager, blocking};
use serde_json::{Value, json};

/// Tokens in `dir`, one file per key, named by the key's hex-encoded storage id and
/// holding `{"revision": 1733412345000000000, "token": {...}}`.
///
/// - Every write of a key (`save`, `save_if`, `delete`) holds that key's write lock, an
///   OS lock on `<name>.json.lock`, so compare-and-set is atomic across processes; it
///   writes a temporary file and renames it, so a reader sees the old token or the new.
/// - The renewal lock (`lock`) is `auth_store::lock_file`, the built-in stores' per-key
///   lock file. It is another file than the write lock: a token manager holds it while
///   it saves.
/// - The active account of each provider is in `active.json`: `{"github": "octocat"}`.
///
/// `Debug` is derived: it shows the folder, never a token.
#[derive(Debug)]
pub struct DirStore {
    dir: PathBuf,
}

impl DirStore {
    /// A store in `dir`; the folder is created on the first write.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DirStore { dir: dir.into() }
    }

    fn path(&self, key: &TokenKey) -> PathBuf {
        let name: String = key
            .storage_id()
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    fn active_path(&self) -> PathBuf {
        self.dir.join("active.json")
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

    /// The error for a file this store cannot read: it is left as it is.
    fn unreadable(&self, path: &Path, why: impl std::fmt::Display) -> Error {
        Error::Store {
            backend: "dir".into(),
            path: Some(path.to_owned()),
            message: format!("the file cannot be read ({why}); it was left as it is"),
            hint: "move it aside and log in again".into(),
        }
    }

    /// The JSON in `path`, or `None` when there is no file. An unreadable file is an
    /// error, never silently "nothing stored".
    fn read_json(&self, path: &Path) -> Result<Option<Value>, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| self.unreadable(path, e)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error(path, e)),
        }
    }

    /// Writes `value` to a temporary file readable by its owner only (it holds tokens),
    /// then renames it over `path`. Called with the write lock of `path` held, so the
    /// temporary file is this writer's alone.
    fn write_json(&self, path: &Path, value: &Value) -> Result<(), Error> {
        let tmp = path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            let mut options = std::fs::File::options();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            file.write_all(value.to_string().as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.error(path, e)
        })
    }

    /// Runs `f` holding the write lock of `path`: an OS lock on `<path>.lock`, released
    /// when `f` returns or this process dies. Writes are short, so it waits unbounded.
    fn locked<R>(&self, path: &Path, f: impl FnOnce() -> Result<R, Error>) -> Result<R, Error> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.error(&self.dir, e))?;
        let lock_path = path.with_extension("json.lock");
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| self.error(&lock_path, e))?;
        fs4::FileExt::lock(&file).map_err(|e| self.error(&lock_path, e))?;
        f()
    }

    /// The entry at `path` with its revision, or `None`.
    fn read_entry(&self, path: &Path) -> Result<Option<Versioned>, Error> {
        let Some(mut entry) = self.read_json(path)? else {
            return Ok(None);
        };
        let revision = entry.get("revision").and_then(Value::as_u64);
        let (Some(revision), Some(token)) = (revision, entry.get_mut("token").map(Value::take))
        else {
            return Err(self.unreadable(path, "no \"revision\" and \"token\""));
        };
        let token = Token::from_json_value(token).map_err(|e| match e {
            // The details of a corrupt token may quote its values: leave them out.
            TokenFormatError::Corrupt(_) => self.unreadable(path, "the token is corrupt"),
            other => self.unreadable(path, other),
        })?;
        Ok(Some(Versioned { token, revision }))
    }

    /// Writes `token` to `path` with a new revision, which it returns: the clock in
    /// nanoseconds, or one more than `previous` if the clock has not moved past it. So a
    /// key saved again after a delete never repeats a revision a late writer may hold.
    fn write_entry(&self, path: &Path, token: &Token, previous: Option<u64>) -> Result<u64, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let revision = now.max(previous.map_or(0, |p| p + 1));
        let entry = json!({"revision": revision, "token": token.to_json_value()});
        self.write_json(path, &entry)?;
        Ok(revision)
    }

    /// The active account of every provider.
    fn read_active(&self) -> Result<BTreeMap<String, String>, Error> {
        let path = self.active_path();
        match self.read_json(&path)? {
            Some(value) => serde_json::from_value(value).map_err(|e| self.unreadable(&path, e)),
            None => Ok(BTreeMap::new()),
        }
    }
}

/// The storage id a file name stands for: the reverse of `DirStore::path`.
fn unhex(name: &str) -> Option<String> {
    let bytes = (0..name.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(name.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[async_trait]
impl TokenStore for DirStore {
    fn describe(&self) -> String {
        format!("one file per key in {}", self.dir.display())
    }

    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        Ok(self.read_entry(&self.path(key))?.map(|v| v.token))
    }

    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        let path = self.path(key);
        self.locked(&path, || {
            // An unreadable file of this key is replaced; no other key is touched.
            let previous = self.read_entry(&path).ok().flatten().map(|v| v.revision);
            self.write_entry(&path, token, previous).map(drop)
        })
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        let path = self.path(key);
        if !self.dir.is_dir() {
            return Ok(false); // do not create the folder just to say so
        }
        self.locked(&path, || match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.error(&path, e)),
        })
    }

    async fn keys(&self, provider: &str) -> Result<Vec<TokenKey>, Error> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.error(&self.dir, e)),
        };
        let mut keys = Vec::new();
        for entry in entries {
            let name = entry.map_err(|e| self.error(&self.dir, e))?.file_name();
            // Entries only: lock and temporary files end otherwise, `active.json` is no hex.
            let key = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(unhex)
                .and_then(|id| TokenKey::from_storage_id(&id));
            keys.extend(key.filter(|k| k.provider == provider));
        }
        Ok(keys)
    }

    async fn load_versioned(&self, key: &TokenKey) -> Result<Option<Versioned>, Error> {
        self.read_entry(&self.path(key))
    }

    async fn save_if(
        &self,
        key: &TokenKey,
        token: &Token,
        expected: Option<u64>,
    ) -> Result<Option<u64>, Error> {
        let path = self.path(key);
        self.locked(&path, || {
            let current = self.read_entry(&path)?.map(|v| v.revision);
            if current != expected {
                return Ok(None); // someone wrote in between: write nothing
            }
            self.write_entry(&path, token, current).map(Some)
        })
    }

    async fn lock(&self, key: &TokenKey, wait: Duration) -> Result<StoreLock, Error> {
        // An OS lock on a file per key in the folder, released when the `StoreLock` is
        // dropped or this process dies; at the bound, an error naming the key.
        auth_store::lock_file("dir", &self.dir, key, wait).await
    }

    async fn active_account(&self, provider: &str) -> Result<Option<String>, Error> {
        Ok(self.read_active()?.remove(provider))
    }

    async fn set_active_account(&self, provider: &str, account: Option<&str>) -> Result<(), Error> {
        let path = self.active_path();
        self.locked(&path, || {
            let mut active = self.read_active()?;
            match account {
                Some(account) => active.insert(provider.to_owned(), account.to_owned()),
                None => active.remove(provider),
            };
            self.write_json(&path, &json!(active))
        })
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
        // A second store on the same folder: what another process sees.
        second: DirStore::new(dir.path()),
    );
}
