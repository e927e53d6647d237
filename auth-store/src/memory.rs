//! [`MemoryStore`]: tokens kept for the life of the process.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use auth_core::{Error, Token, TokenKey, TokenStore, async_trait};

/// A token store in memory: nothing survives the process. For tests, for programs that
/// log in on every start, and as the store of last resort a person asks for explicitly
/// (it is never a silent fallback).
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
    tokens: Mutex<HashMap<TokenKey, Token>>,
}

impl MemoryStore {
    /// An empty store.
    ///
    /// ```
    /// assert!(auth_store::MemoryStore::new().keys().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys that have a token, sorted.
    ///
    /// ```
    /// use auth_core::{Token, TokenKey, TokenStore};
    /// let store = auth_store::MemoryStore::new();
    /// let key = TokenKey::new("p", "a", "c");
    /// pollster::block_on(store.save(&key, &Token::bearer("t"))).unwrap();
    /// assert_eq!(store.keys(), vec![key]);
    /// ```
    pub fn keys(&self) -> Vec<TokenKey> {
        let mut keys: Vec<TokenKey> = self.map().keys().cloned().collect();
        keys.sort();
        keys
    }

    // A panic while holding the lock cannot leave the map half-updated (every
    // operation is one map call), so a poisoned lock is still safe to use.
    fn map(&self) -> MutexGuard<'_, HashMap<TokenKey, Token>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("tokens", &self.map().len())
            .finish()
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    fn describe(&self) -> String {
        "memory (kept until the program exits)".into()
    }

    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        Ok(self.map().get(key).cloned())
    }

    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        self.map().insert(key.clone(), token.clone());
        Ok(())
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        Ok(self.map().remove(key).is_some())
    }
}
