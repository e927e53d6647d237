//! The [`TokenStore`] trait.

use async_trait::async_trait;

use crate::error::Error;
use crate::key::TokenKey;
use crate::token::Token;

/// Keeps tokens by [`TokenKey`]: memory, a file, the system keyring, a shared server.
///
/// Contract (checked by the unpublished `auth-testkit` crate's
/// `token_store_tests!(make_store)`, one `#[test]` per rule): a saved token loads back
/// equal; saving again overwrites; keys that differ in any part never see each other's
/// token; concurrent saves of different keys all survive; neither `Debug` nor
/// [`describe`](TokenStore::describe) shows a secret; a store that cannot read its data
/// says so and never silently replaces it. The suite needs the store to be
/// `Debug + 'static`, as the example is.
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
}
