//! The system keyring: [`KeyringStore`] for tokens (`store.rs`) and [`KeyringSource`]
//! for credentials (`source.rs`), over one shared backend (`backend.rs`: where the
//! connection comes from, entries, error mapping).
//!
//! Both speak the `keyring-core` 1.x API. The platform store is chosen by target: the
//! Secret Service (GNOME Keyring, KWallet, KeePassXC) over D-Bus on Linux and FreeBSD,
//! the login Keychain on macOS, the Credential Manager on Windows. A program that has
//! already set keyring-core's default store (`keyring_core::set_default_store`) gets that
//! one instead; tests hand in `keyring_core::mock` with `with_credential_store`.
//!
//! The keyring is reached lazily, on the first operation, so building a store or a
//! source never fails. When no keyring answers (no D-Bus session, no Secret Service, a
//! locked collection, a sandbox refusing access) every operation returns
//! [`Error::KeyringUnavailable`](auth_core::Error::KeyringUnavailable), whose message tells the person to use the file store.
//! Nothing ever falls back silently to memory.
//!
//! Calls block the current thread for the length of a D-Bus (or Keychain) round trip.
//!
//! ```
//! use std::sync::Arc;
//! use auth_core::{Token, TokenKey, TokenStore};
//! use auth_store::KeyringStore;
//! use auth_store::keyring_core::{mock, CredentialStore};
//!
//! let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
//! let store = KeyringStore::new().with_credential_store(mock);
//! let key = TokenKey::new("github", "octocat", "client-1");
//! pollster::block_on(async {
//!     store.save(&key, &Token::bearer("gho_abc")).await.unwrap();
//!     assert_eq!(store.load(&key).await.unwrap(), Some(Token::bearer("gho_abc")));
//! });
//! ```

mod backend;
mod source;
mod store;

pub use source::KeyringSource;
pub use store::{DEFAULT_TOKEN_SERVICE, KeyringStore};

#[cfg(all(test, feature = "file"))]
pub(crate) use backend::testing;
