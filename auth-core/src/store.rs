//! The [`TokenStore`] trait.

use async_trait::async_trait;

use crate::error::Error;
use crate::key::TokenKey;
use crate::token::Token;

/// A token as stored, with the store's revision of it: a number that changes on every
/// write of that key, so a writer can ask to save only if nobody wrote in between
/// ([`TokenStore::save_if`]).
///
/// ```
/// let v = auth_core::store::Versioned { token: auth_core::Token::bearer("t"), revision: 3 };
/// assert_eq!(v.revision, 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Versioned {
    /// The token.
    pub token: Token,
    /// The store's revision of this key; opaque, compared for equality only.
    pub revision: u64,
}

/// A held renewal lock on one key, from [`TokenStore::lock`]. The lock is released when
/// this value is dropped, and also when the process holding it dies (an OS file lock, or a
/// lease that expires), so a crashed holder never blocks the others for longer than the
/// store documents.
///
/// ```
/// let guard = auth_core::store::StoreLock::new("memory", ());
/// assert_eq!(format!("{guard:?}"), "StoreLock(memory)");
/// drop(guard); // releases
/// ```
pub struct StoreLock {
    what: String,
    _held: Box<dyn Send + Sync>,
}

impl StoreLock {
    /// A lock that is held as long as `held` lives; `what` describes it for people.
    ///
    /// ```
    /// let guard = auth_core::store::StoreLock::new("file lock", std::sync::Arc::new(1));
    /// # drop(guard);
    /// ```
    pub fn new(what: impl Into<String>, held: impl Send + Sync + 'static) -> Self {
        StoreLock {
            what: what.into(),
            _held: Box::new(held),
        }
    }
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreLock({})", self.what)
    }
}

const UNSUPPORTED: &str = "this store does not support ";

fn unsupported(store: String, what: &str) -> Error {
    Error::store(
        store,
        format!("{UNSUPPORTED}{what}"),
        "use a store that implements the whole TokenStore contract",
    )
}

/// True when `e` is the refusal of a [`TokenStore`] method the store does not implement
/// (the trait's default), so a caller can do without it (a token manager then renews
/// with in-process single flight only) instead of failing.
///
/// ```
/// use auth_core::{Token, TokenKey, TokenStore};
/// # #[derive(Default)] struct Minimal;
/// # #[auth_core::async_trait] impl TokenStore for Minimal {
/// #   fn describe(&self) -> String { "minimal".into() }
/// #   async fn load(&self, _: &TokenKey) -> auth_core::Result<Option<Token>> { Ok(None) }
/// #   async fn save(&self, _: &TokenKey, _: &Token) -> auth_core::Result<()> { Ok(()) }
/// #   async fn delete(&self, _: &TokenKey) -> auth_core::Result<bool> { Ok(false) }
/// # }
/// let key = TokenKey::new("p", "a", "c");
/// let refused = pollster::block_on(Minimal.lock(&key, std::time::Duration::ZERO)).unwrap_err();
/// assert!(auth_core::store::is_unsupported(&refused));
/// assert!(!auth_core::store::is_unsupported(&auth_core::Error::store("file", "disk full", "")));
/// ```
pub fn is_unsupported(e: &Error) -> bool {
    matches!(e, Error::Store { message, .. } if message.starts_with(UNSUPPORTED))
}

/// Keeps tokens by [`TokenKey`]: memory, a file, the system keyring, a shared server.
///
/// Contract (checked by the unpublished `auth-testkit` crate's
/// `token_store_tests!(make_store)`, one `#[test]` per rule): a saved token loads back
/// equal; saving again overwrites; keys that differ in any part never see each other's
/// token; concurrent saves of different keys all survive; neither `Debug` nor
/// [`describe`](TokenStore::describe) shows a secret; a store that cannot read its data
/// says so and never silently replaces it; [`keys`](TokenStore::keys) lists one
/// provider's keys; the active account is remembered; [`save_if`](TokenStore::save_if)
/// refuses a stale revision; a held [`lock`](TokenStore::lock) excludes a second
/// instance on the same storage until dropped, and waiting for it is bounded. The suite
/// needs the store to be `Debug + 'static`, as the example is; `second: EXPR` gives it a
/// second instance on the same storage.
///
/// Every built-in store implements the whole contract. The methods after
/// [`delete`](TokenStore::delete) have refusing defaults so a store of one's own can
/// start small; [`is_unsupported`] recognises such a refusal, and a token manager then
/// makes do without it.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use auth_core::{async_trait, Error, Token, TokenKey, TokenStore};
///
/// /// `Debug` shows how many tokens it holds, never a token.
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<TokenKey, Token>>);
///
/// impl std::fmt::Debug for MapStore {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         write!(f, "MapStore({} tokens)", self.0.lock().unwrap().len())
///     }
/// }
///
/// #[async_trait]
/// impl TokenStore for MapStore {
///     fn describe(&self) -> String { "map".into() }
///     async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
///         Ok(self.0.lock().unwrap().get(key).cloned())
///     }
///     async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
///         self.0.lock().unwrap().insert(key.clone(), token.clone());
///         Ok(())
///     }
///     async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
///         Ok(self.0.lock().unwrap().remove(key).is_some())
///     }
/// }
///
/// let store = MapStore::default();
/// let key = TokenKey::new("p", "a", "c");
/// pollster::block_on(async {
///     store.save(&key, &Token::bearer("t")).await.unwrap();
///     assert!(store.load(&key).await.unwrap().is_some());
///     assert!(store.delete(&key).await.unwrap());
/// });
/// assert_eq!(format!("{store:?}"), "MapStore(0 tokens)");
///
/// // In the store's tests (auth-testkit as a dev-dependency):
/// // mod conformance {
/// //     use super::*;
/// //     auth_testkit::token_store_tests!(MapStore::default());
/// // }
/// ```
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// A short description for people: `file /home/ana/.local/share/authctl/tokens.json`,
    /// `keyring (Secret Service)`, `memory`.
    fn describe(&self) -> String;

    /// The token stored under `key`, or `None`.
    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error>;

    /// Stores `token` under `key`, replacing any previous one.
    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error>;

    /// Removes the token under `key`; true when there was one.
    async fn delete(&self, key: &TokenKey) -> Result<bool, Error>;

    /// Every key this store holds for `provider` (all accounts and client ids), in no
    /// particular order.
    ///
    /// The default refuses: a store that can list its keys overrides it.
    async fn keys(&self, provider: &str) -> Result<Vec<TokenKey>, Error> {
        let _ = provider;
        Err(unsupported(self.describe(), "listing its keys"))
    }

    /// The token under `key` with its current revision.
    ///
    /// The default refuses: a store that supports compare-and-set overrides it together
    /// with [`save_if`](TokenStore::save_if).
    async fn load_versioned(&self, key: &TokenKey) -> Result<Option<Versioned>, Error> {
        let _ = key;
        Err(unsupported(self.describe(), "revisions"))
    }

    /// Saves `token` under `key` only if the stored revision is still `expected`
    /// (`None`: only if nothing is stored). Returns the new revision, or `None` when the
    /// stored revision was another one, in which case nothing was written: a late writer
    /// never overwrites a newer token.
    ///
    /// The default refuses.
    async fn save_if(
        &self,
        key: &TokenKey,
        token: &Token,
        expected: Option<u64>,
    ) -> Result<Option<u64>, Error> {
        let _ = (key, token, expected);
        Err(unsupported(self.describe(), "compare-and-set"))
    }

    /// Takes the renewal lock for `key`, which excludes every other holder of the same
    /// key's lock in any process (and, for a shared store, on any machine) using the same
    /// storage. Waits at most `wait`, then fails with an error that says the lock is busy.
    /// The lock is advisory: it orders renewals among well-behaved clients.
    ///
    /// The default refuses.
    async fn lock(&self, key: &TokenKey, wait: std::time::Duration) -> Result<StoreLock, Error> {
        let _ = (key, wait);
        Err(unsupported(self.describe(), "locking"))
    }

    /// The account marked active for `provider` (the most recent login), if any.
    ///
    /// The default refuses.
    async fn active_account(&self, provider: &str) -> Result<Option<String>, Error> {
        let _ = provider;
        Err(unsupported(self.describe(), "an active account"))
    }

    /// Marks `account` as the active one for `provider`; `None` clears the mark.
    ///
    /// The default refuses.
    async fn set_active_account(&self, provider: &str, account: Option<&str>) -> Result<(), Error> {
        let _ = (provider, account);
        Err(unsupported(self.describe(), "an active account"))
    }

    /// The active account of `provider` as the key `key` makes of it, with the token
    /// stored under that key: [`active_account`](TokenStore::active_account) then
    /// [`load`](TokenStore::load), for a program that reads the token of "the current
    /// account". `None` when no account is active.
    ///
    /// The default makes those two calls; a store that keeps both in one place (the file
    /// store's one document) overrides it to read once.
    ///
    /// ```
    /// # pollster::block_on(async {
    /// use auth_core::{TokenKey, TokenStore};
    /// # struct Store;
    /// # #[auth_core::async_trait]
    /// # impl TokenStore for Store {
    /// #   fn describe(&self) -> String { "example".into() }
    /// #   async fn load(&self, _: &TokenKey) -> auth_core::Result<Option<auth_core::Token>> {
    /// #       Ok(Some(auth_core::Token::bearer("t")))
    /// #   }
    /// #   async fn save(&self, _: &TokenKey, _: &auth_core::Token) -> auth_core::Result<()> { Ok(()) }
    /// #   async fn delete(&self, _: &TokenKey) -> auth_core::Result<bool> { Ok(false) }
    /// #   async fn active_account(&self, _: &str) -> auth_core::Result<Option<String>> {
    /// #       Ok(Some("ana".into()))
    /// #   }
    /// # }
    /// # let store = Store;
    /// let key_of = |account: &str| TokenKey::new("github", account, "my-app");
    /// if let Some((key, token)) = store.load_active("github", &key_of).await.unwrap() {
    ///     assert_eq!(key.account, "ana");
    ///     assert!(token.is_some());
    /// }
    /// # });
    /// ```
    async fn load_active(
        &self,
        provider: &str,
        key: &(dyn for<'a> Fn(&'a str) -> TokenKey + Sync),
    ) -> Result<Option<(TokenKey, Option<Token>)>, Error> {
        let Some(account) = self.active_account(provider).await? else {
            return Ok(None);
        };
        let key = key(&account);
        let token = self.load(&key).await?;
        Ok(Some((key, token)))
    }
}

#[async_trait]
impl<T: TokenStore + ?Sized> TokenStore for std::sync::Arc<T> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        (**self).load(key).await
    }
    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        (**self).save(key, token).await
    }
    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        (**self).delete(key).await
    }
    async fn keys(&self, provider: &str) -> Result<Vec<TokenKey>, Error> {
        (**self).keys(provider).await
    }
    async fn load_versioned(&self, key: &TokenKey) -> Result<Option<Versioned>, Error> {
        (**self).load_versioned(key).await
    }
    async fn save_if(
        &self,
        key: &TokenKey,
        token: &Token,
        expected: Option<u64>,
    ) -> Result<Option<u64>, Error> {
        (**self).save_if(key, token, expected).await
    }
    async fn lock(&self, key: &TokenKey, wait: std::time::Duration) -> Result<StoreLock, Error> {
        (**self).lock(key, wait).await
    }
    async fn active_account(&self, provider: &str) -> Result<Option<String>, Error> {
        (**self).active_account(provider).await
    }
    async fn set_active_account(&self, provider: &str, account: Option<&str>) -> Result<(), Error> {
        (**self).set_active_account(provider, account).await
    }
    async fn load_active(
        &self,
        provider: &str,
        key: &(dyn for<'a> Fn(&'a str) -> TokenKey + Sync),
    ) -> Result<Option<(TokenKey, Option<Token>)>, Error> {
        (**self).load_active(provider, key).await
    }
}
