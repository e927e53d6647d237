//! The [`TokenStore`] trait.

use async_trait::async_trait;

use crate::error::Error;
use crate::key::TokenKey;
use crate::token::Token;

/// Keeps tokens by [`TokenKey`]: memory, a file, the system keyring, a shared server.
///
/// Contract (checked by `auth_testkit::token_store`): a saved token loads back
/// equal; saving again overwrites; keys that differ in any part never see each other's
/// token; concurrent saves of different keys all survive; a store that cannot read its
/// data says so and never silently replaces it.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use auth_core::{async_trait, Error, Token, TokenKey, TokenStore};
///
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<TokenKey, Token>>);
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
