//! Token stores and credential sources for the authctl OAuth client toolkit.
//!
//! Every item implements a trait of `auth-core`, so flows and the CLI take them as
//! `Arc<dyn TokenStore>` / `Arc<dyn CredentialSource>` and never care which one it is.
//!
//! | item | trait | feature |
//! |------|-------|---------|
//! | `MemoryStore` | `TokenStore` | `memory` |
//! | `FileStore` | `TokenStore` | `file` (default) |
//! | `KeyringStore` | `TokenStore` | `keyring` |
//! | `KeyringOrFileStore` (the keyring, else a file) | `TokenStore` | `keyring` + `file` |
//! | `RedisStore` (shared, encrypted at rest; [`StoreKey`](crate::redis)) | `TokenStore` | `redis` (blocking), `redis-tokio` (async inside tokio) |
//! | `EnvSource` | `CredentialSource` | `env` (default) |
//! | `KeyringSource` | `CredentialSource` | `keyring` |
//! | `ConfigFileSource` | `CredentialSource` | `config` |
//! | [`StaticSource`], [`ChainSource`] | `CredentialSource` | always |
//! | `lock_file` (the per-key renewal lock file, for a store of one's own) | | `file` or `keyring` |
//!
//! A build with only `file` pulls in no D-Bus and no keyring crates; enabling a feature
//! never changes what another one does.
//!
//! ```
//! use auth_core::{Credentials, CredentialField, Provider};
//! use auth_store::{ChainSource, StaticSource};
//!
//! let explicit = StaticSource::new(Credentials { username: Some("ana".into()), ..Default::default() });
//! let fallback = StaticSource::new(Credentials {
//!     username: Some("bob".into()),
//!     client_id: Some("app-1".into()),
//!     ..Default::default()
//! })
//! .named("config");
//! let chain = ChainSource::new().with(explicit).with(fallback);
//! let resolved = pollster::block_on(chain.resolve(&Provider::new("example"))).unwrap();
//! assert_eq!(resolved.credentials.username.as_deref(), Some("ana"));
//! assert_eq!(resolved.origin(CredentialField::ClientId), Some("config"));
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod chain;
#[cfg(feature = "config")]
mod config;
#[cfg(feature = "env")]
mod env;
#[cfg(feature = "file")]
mod file;
#[cfg(feature = "file")]
mod folder;
#[cfg(feature = "keyring")]
pub mod keyring;
#[cfg(all(feature = "keyring", feature = "file"))]
mod keyring_or_file;
#[cfg(any(feature = "memory", feature = "file", feature = "keyring"))]
mod lock;
#[cfg(feature = "memory")]
mod memory;
#[cfg(any(feature = "file", feature = "config"))]
mod perms;
#[cfg(feature = "redis")]
pub mod redis;
mod sanitize;

pub use chain::{ChainSource, ResolvedCredentials, StaticSource};
#[cfg(feature = "config")]
pub use config::ConfigFileSource;
#[cfg(feature = "env")]
pub use env::EnvSource;
#[cfg(feature = "file")]
pub use file::{FILE_FORMAT_VERSION, FileStore};
#[cfg(feature = "keyring")]
pub use keyring::{KeyringSource, KeyringStore};
#[cfg(all(feature = "keyring", feature = "file"))]
pub use keyring_or_file::{FallBack, FallBackCause, KeyringOrFileStore};
#[cfg(any(feature = "file", feature = "keyring"))]
pub use lock::lock_file;
#[cfg(feature = "memory")]
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::{RedisStore, RedisStoreBuilder, StoreKey};
pub use sanitize::shell_quote;

/// The keyring-core crate this one is built on, so a program can hand
/// [`KeyringStore::with_credential_store`] any store of the same version
/// (`keyring_core::mock` in tests, another platform store).
#[cfg(feature = "keyring")]
pub use keyring_core;
