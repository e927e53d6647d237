//! [`MemoryStore`]: tokens kept for the life of the process.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use auth_core::store::{StoreLock, Versioned};
use auth_core::{Error, Token, TokenKey, TokenStore, async_trait};

/// A token store in memory: nothing survives the process. For tests, for programs that
/// log in on every start, and as the store of last resort a person asks for explicitly
/// (it is never a silent fallback).
///
/// The whole [`TokenStore`] contract holds within the process: revisions for
/// compare-and-set, a renewal lock per key (held by whoever holds the [`StoreLock`]; it
/// spans clones of nothing, so two `MemoryStore`s never share tokens or locks), and the
/// active account per provider.
///
/// `Debug` shows how many tokens it holds, never a token.
///
/// ```
/// use auth_core::{Token, TokenKey, TokenStore};
/// use auth_store::MemoryStore;
///
/// let store = MemoryStore::new();
/// let key = TokenKey::new("github", "octocat", "client-1");
/// pollster::block_on(async {
///     store.save(&key, &Token::bearer("gho_abc")).await.unwrap();
///     assert_eq!(store.load(&key).await.unwrap(), Some(Token::bearer("gho_abc")));
/// });
/// assert_eq!(format!("{store:?}"), "MemoryStore { tokens: 1 }");
/// ```
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    /// Keys whose renewal lock is held; shared with the [`StoreLock`]s handed out.
    held: Arc<Mutex<HashSet<TokenKey>>>,
}

#[derive(Default)]
struct Inner {
    tokens: HashMap<TokenKey, (Token, u64)>,
    active: HashMap<String, String>,
    /// The last revision given out; revisions only grow, so a deleted and re-saved key
    /// never repeats one.
    revision: u64,
}

impl Inner {
    /// Keeps a copy of `token` for `key` under a new revision, and returns it. A key saved
    /// before keeps its entry (its key is not copied again, and the token is copied into
    /// the old one's buffers).
    fn put(&mut self, key: &TokenKey, token: &Token) -> u64 {
        self.revision += 1;
        let revision = self.revision;
        match self.tokens.get_mut(key) {
            Some(entry) => {
                entry.0.clone_from(token);
                entry.1 = revision;
            }
            None => {
                self.tokens.insert(key.clone(), (token.clone(), revision));
            }
        }
        revision
    }
}

/// Releases a memory lock when dropped.
struct Held {
    key: TokenKey,
    held: Arc<Mutex<HashSet<TokenKey>>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        lock_ignoring_poison(&self.held).remove(&self.key);
    }
}

// A panic while holding a mutex here cannot leave the data half-updated (every operation
// is one map call), so a poisoned lock is still safe to use.
fn lock_ignoring_poison<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryStore {
    /// An empty store.
    ///
    /// ```
    /// assert!(auth_store::MemoryStore::new().all_keys().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Every key that has a token, of every provider, sorted.
    ///
    /// ```
    /// use auth_core::{Token, TokenKey, TokenStore};
    /// let store = auth_store::MemoryStore::new();
    /// let key = TokenKey::new("p", "a", "c");
    /// pollster::block_on(store.save(&key, &Token::bearer("t"))).unwrap();
    /// assert_eq!(store.all_keys(), vec![key]);
    /// ```
    pub fn all_keys(&self) -> Vec<TokenKey> {
        let mut keys: Vec<TokenKey> = self.inner().tokens.keys().cloned().collect();
        keys.sort();
        keys
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        lock_ignoring_poison(&self.inner)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("tokens", &self.inner().tokens.len())
            .finish()
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    fn describe(&self) -> String {
        "memory (kept until the program exits)".into()
    }

    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        Ok(self.inner().tokens.get(key).map(|(t, _)| t.clone()))
    }

    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        self.inner().put(key, token);
        Ok(())
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        Ok(self.inner().tokens.remove(key).is_some())
    }

    async fn keys(&self, provider: &str) -> Result<Vec<TokenKey>, Error> {
        Ok(self
            .all_keys()
            .into_iter()
            .filter(|k| k.provider == provider)
            .collect())
    }

    async fn load_versioned(&self, key: &TokenKey) -> Result<Option<Versioned>, Error> {
        Ok(self
            .inner()
            .tokens
            .get(key)
            .map(|(token, revision)| Versioned {
                token: token.clone(),
                revision: *revision,
            }))
    }

    async fn save_if(
        &self,
        key: &TokenKey,
        token: &Token,
        expected: Option<u64>,
    ) -> Result<Option<u64>, Error> {
        let mut inner = self.inner();
        if inner.tokens.get(key).map(|(_, r)| *r) != expected {
            return Ok(None);
        }
        Ok(Some(inner.put(key, token)))
    }

    async fn lock(&self, key: &TokenKey, wait: Duration) -> Result<StoreLock, Error> {
        let held = crate::lock::acquire("memory", key, wait, "in this process", || {
            Ok(lock_ignoring_poison(&self.held)
                .insert(key.clone())
                .then(|| Held {
                    key: key.clone(),
                    held: Arc::clone(&self.held),
                }))
        })
        .await?;
        Ok(StoreLock::new("memory lock", held))
    }

    async fn active_account(&self, provider: &str) -> Result<Option<String>, Error> {
        Ok(self.inner().active.get(provider).cloned())
    }

    async fn set_active_account(&self, provider: &str, account: Option<&str>) -> Result<(), Error> {
        let mut inner = self.inner();
        match account {
            Some(a) => inner.active.insert(provider.to_owned(), a.to_owned()),
            None => inner.active.remove(provider),
        };
        Ok(())
    }
}
