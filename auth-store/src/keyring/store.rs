//! [`KeyringStore`]: tokens in the system keyring.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use auth_core::store::{StoreLock, Versioned};
use auth_core::{Error, Secret, Token, TokenFormatError, TokenKey, TokenStore, async_trait};
use keyring_core::{CredentialStore, Entry};

use super::backend::{Backend, map_error};
use crate::sanitize::without_quoted_values;

/// The keyring service under which [`KeyringStore`] keeps tokens by default.
pub const DEFAULT_TOKEN_SERVICE: &str = "authctl";

/// The user name of the entry [`KeyringStore::probe`] looks up (it is never written).
const PROBE_USER: &str = "authctl-availability-probe";

/// The user name prefix of a provider's key index entry.
const INDEX_PREFIX: &str = "authctl-index:";
/// The user name prefix of a provider's active account entry.
const ACTIVE_PREFIX: &str = "authctl-active:";
/// The lock file that orders this store's read-modify-writes (compare-and-set, the
/// index) across processes; short-held.
const WRITE_LOCK: &str = "keyring-writes.lock";

/// Tokens in the system keyring: one entry per [`TokenKey`], under a service
/// ([`DEFAULT_TOKEN_SERVICE`] unless changed) with the key's
/// [`TokenKey::storage_id`] as user name, holding the token's stored JSON form.
///
/// The rest of the [`TokenStore`] contract:
///
/// - **Revisions** are a 64-bit FNV-1a hash of the stored text, so every entry has one,
///   entries written by older programs too, and any change of the token changes it.
///   [`save_if`](TokenStore::save_if) compares and writes while holding a short OS lock
///   on `keyring-writes.lock` in the lock folder.
/// - **Keys** are listed from an index entry per provider (`authctl-index:<provider>`),
///   kept up to date by every save and delete of this store; a token saved by a program
///   that kept no index is found by [`load`](TokenStore::load) but not listed.
/// - **The active account** is the entry `authctl-active:<provider>`.
/// - **The renewal lock** is an OS file lock on a per-key file in the lock folder, since
///   a keyring has no locks; the OS releases it when the holder dies. The lock folder is
///   the file store's default folder (`authctl` in the platform's data folder) unless
///   [`with_lock_dir`](KeyringStore::with_lock_dir) sets another; every program sharing
///   the keyring must use the same one.
///
/// `Debug` and `describe()` name the keyring and the service, never a token.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::{Error, TokenKey, TokenStore};
/// use auth_store::KeyringStore;
/// use auth_store::keyring_core::{mock, CredentialStore};
///
/// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
/// let store = KeyringStore::new().with_service("myapp").with_credential_store(mock);
/// assert_eq!(store.service(), "myapp");
/// let key = TokenKey::new("p", "a", "c");
/// assert_eq!(pollster::block_on(store.load(&key)).unwrap(), None);
/// assert!(store.probe().is_ok());
/// ```
#[derive(Debug)]
pub struct KeyringStore {
    service: String,
    backend: Backend,
    lock_dir: Option<PathBuf>,
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyringStore {
    /// A store in the platform keyring under service [`DEFAULT_TOKEN_SERVICE`]. Nothing
    /// is contacted until the first operation.
    ///
    /// ```
    /// let store = auth_store::KeyringStore::new();
    /// assert_eq!(store.service(), "authctl");
    /// ```
    pub fn new() -> Self {
        KeyringStore {
            service: DEFAULT_TOKEN_SERVICE.into(),
            backend: Backend::platform(),
            lock_dir: None,
        }
    }

    /// Uses another service name (one program's tokens apart from another's).
    ///
    /// ```
    /// assert_eq!(auth_store::KeyringStore::new().with_service("x").service(), "x");
    /// ```
    pub fn with_service(mut self, service: impl Into<String>) -> Self {
        self.service = service.into();
        self
    }

    /// Uses `store` instead of the platform keyring: `keyring_core::mock` in tests, or
    /// any other keyring-core 1.x store.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_store::keyring_core::{mock, CredentialStore};
    /// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
    /// let store = auth_store::KeyringStore::new().with_credential_store(mock);
    /// assert!(format!("{store:?}").contains("Mock"));
    /// ```
    pub fn with_credential_store(mut self, store: Arc<CredentialStore>) -> Self {
        self.backend = Backend::Custom(store);
        self
    }

    /// Keeps the lock files in `dir` instead of the default folder.
    ///
    /// ```
    /// let store = auth_store::KeyringStore::new().with_lock_dir("/run/user/1000/authctl");
    /// assert_eq!(store.lock_dir().unwrap(), std::path::Path::new("/run/user/1000/authctl"));
    /// ```
    pub fn with_lock_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.lock_dir = Some(dir.into());
        self
    }

    /// The folder of the lock files: the one given to
    /// [`with_lock_dir`](KeyringStore::with_lock_dir), else `authctl` in the platform's
    /// data folder (`~/.local/share/authctl` on Linux).
    ///
    /// ```
    /// if let Ok(dir) = auth_store::KeyringStore::new().lock_dir() {
    ///     assert!(dir.ends_with("authctl"));
    /// }
    /// ```
    pub fn lock_dir(&self) -> Result<PathBuf, Error> {
        match &self.lock_dir {
            Some(dir) => Ok(dir.clone()),
            None => dirs::data_dir().map(|d| d.join("authctl")).ok_or_else(|| {
                Error::store(
                    "keyring",
                    "cannot tell where the lock files go: the user's data folder is unknown",
                    "set HOME, or choose a lock folder for the keyring store",
                )
            }),
        }
    }

    /// The service name entries are kept under.
    ///
    /// ```
    /// assert_eq!(auth_store::KeyringStore::new().service(), "authctl");
    /// ```
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Checks that the keyring answers, cheaply: connects and looks up an entry that is
    /// never written. `KeyringOrFileStore` (with the
    /// `file` feature) uses the keyring when this is `Ok`, otherwise a file store. A locked collection can pass the probe and still refuse
    /// the first save, which then fails with [`Error::KeyringUnavailable`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_store::keyring_core::{mock, CredentialStore};
    /// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
    /// assert!(auth_store::KeyringStore::new().with_credential_store(mock).probe().is_ok());
    /// ```
    pub fn probe(&self) -> Result<(), Error> {
        let entry = self.entry(PROBE_USER, "the availability probe")?;
        match entry.get_password() {
            Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e, "the availability probe")),
        }
    }

    /// True when the platform keyring answers ([`KeyringStore::probe`] on a new store).
    ///
    /// ```no_run
    /// let store = if auth_store::KeyringStore::is_available() { "keyring" } else { "file" };
    /// ```
    pub fn is_available() -> bool {
        Self::new().probe().is_ok()
    }

    fn entry(&self, user: &str, what: &str) -> Result<Entry, Error> {
        self.backend.entry(&self.service, user, what)
    }

    fn what(key: &TokenKey) -> String {
        format!("the token of {key}")
    }

    /// The text of entry `user`, or `None`.
    fn read(&self, user: &str, what: &str) -> Result<Option<Secret>, Error> {
        match self.entry(user, what)?.get_password() {
            Ok(text) => Ok(Some(Secret::new(text))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e, what)),
        }
    }

    fn write(&self, user: &str, what: &str, text: &str) -> Result<(), Error> {
        self.entry(user, what)?
            .set_password(text)
            .map_err(|e| map_error(e, what))
    }

    /// Deletes entry `user`; true when there was one.
    fn remove(&self, user: &str, what: &str) -> Result<bool, Error> {
        match self.entry(user, what)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e, what)),
        }
    }

    fn decode(what: &str, text: &Secret) -> Result<Token, Error> {
        Token::from_json(text.expose()).map_err(|e| {
            let message = match e {
                TokenFormatError::NewerVersion(v) => format!(
                    "the keyring entry for {what} has token format version {v}, newer than \
                     this program understands; upgrade it"
                ),
                other => format!(
                    "the keyring entry for {what} is corrupt ({})",
                    without_quoted_values(&other.to_string())
                ),
            };
            Error::Store {
                backend: "keyring".into(),
                path: None,
                message,
                hint: "log in again to replace it, or log out to delete it".into(),
            }
        })
    }

    /// Runs `f` holding the write lock (an OS lock, released when `f` returns or the
    /// process dies).
    fn with_write_lock<R>(&self, f: impl FnOnce() -> Result<R, Error>) -> Result<R, Error> {
        let dir = self.lock_dir()?;
        let file = crate::lock::open_lock_file("keyring", &dir, &dir.join(WRITE_LOCK))?;
        fs4::FileExt::lock(&file).map_err(|e| {
            Error::store(
                "keyring",
                format!("could not lock {}: {e}", dir.join(WRITE_LOCK).display()),
                "check that the lock folder is yours, then try again",
            )
        })?;
        let result = f();
        drop(file);
        result
    }

    fn index_user(provider: &str) -> String {
        format!("{INDEX_PREFIX}{}", escaped(provider))
    }

    /// The storage ids in `provider`'s index.
    fn index(&self, provider: &str) -> Result<Vec<String>, Error> {
        let what = format!("the key index of {provider}");
        match self.read(&Self::index_user(provider), &what)? {
            Some(text) => serde_json::from_str(text.expose()).map_err(|_| {
                Error::store(
                    "keyring",
                    format!("the keyring entry of {what} is corrupt"),
                    "delete that entry with your keyring manager; tokens are kept, only the \
                     listing of accounts is lost until they are saved again",
                )
            }),
            None => Ok(Vec::new()),
        }
    }

    /// Adds (`true`) or removes `key` from its provider's index, under the write lock.
    fn update_index(&self, key: &TokenKey, present: bool) -> Result<(), Error> {
        let mut ids = self.index(&key.provider)?;
        let id = key.storage_id();
        let had = ids.contains(&id);
        if had == present {
            return Ok(());
        }
        if present {
            ids.push(id);
        } else {
            ids.retain(|i| *i != id);
        }
        let what = format!("the key index of {}", key.provider);
        let user = Self::index_user(&key.provider);
        if ids.is_empty() {
            self.remove(&user, &what).map(|_| ())
        } else {
            let text = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
            self.write(&user, &what, &text)
        }
    }

    fn save_unlocked(&self, key: &TokenKey, json: &Secret) -> Result<u64, Error> {
        self.write(&key.storage_id(), &Self::what(key), json.expose())?;
        self.update_index(key, true)?;
        Ok(revision_of(json))
    }
}

/// A provider name as it appears in entry user names (the escaping of storage ids).
fn escaped(provider: &str) -> String {
    let id = TokenKey::new(provider, "", "").storage_id();
    id.trim_end_matches(':').to_owned()
}

/// The revision of a stored text: its FNV-1a hash.
fn revision_of(text: &Secret) -> u64 {
    crate::lock::stable_hash(text.expose())
}

#[async_trait]
impl TokenStore for KeyringStore {
    fn describe(&self) -> String {
        format!(
            "keyring ({}, service {})",
            self.backend.describe(),
            self.service
        )
    }

    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        Ok(self.load_versioned(key).await?.map(|v| v.token))
    }

    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        let json = Secret::new(token.to_json());
        self.with_write_lock(|| self.save_unlocked(key, &json))
            .map(|_| ())
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        self.with_write_lock(|| {
            let removed = self.remove(&key.storage_id(), &Self::what(key))?;
            self.update_index(key, false)?;
            Ok(removed)
        })
    }

    async fn keys(&self, provider: &str) -> Result<Vec<TokenKey>, Error> {
        let mut keys: Vec<TokenKey> = self
            .index(provider)?
            .iter()
            .filter_map(|id| TokenKey::from_storage_id(id))
            .filter(|k| k.provider == provider)
            .collect();
        keys.sort();
        Ok(keys)
    }

    async fn load_versioned(&self, key: &TokenKey) -> Result<Option<Versioned>, Error> {
        let what = Self::what(key);
        let Some(text) = self.read(&key.storage_id(), &what)? else {
            return Ok(None);
        };
        Ok(Some(Versioned {
            token: Self::decode(&what, &text)?,
            revision: revision_of(&text),
        }))
    }

    async fn save_if(
        &self,
        key: &TokenKey,
        token: &Token,
        expected: Option<u64>,
    ) -> Result<Option<u64>, Error> {
        let json = Secret::new(token.to_json());
        let what = Self::what(key);
        self.with_write_lock(|| {
            let current = self.read(&key.storage_id(), &what)?;
            if current.as_ref().map(revision_of) != expected {
                return Ok(None);
            }
            self.save_unlocked(key, &json).map(Some)
        })
    }

    async fn lock(&self, key: &TokenKey, wait: Duration) -> Result<StoreLock, Error> {
        crate::lock::lock_file("keyring", &self.lock_dir()?, key, wait).await
    }

    async fn active_account(&self, provider: &str) -> Result<Option<String>, Error> {
        let what = format!("the active account of {provider}");
        Ok(self
            .read(&format!("{ACTIVE_PREFIX}{}", escaped(provider)), &what)?
            .map(|s| s.expose().to_owned()))
    }

    async fn set_active_account(&self, provider: &str, account: Option<&str>) -> Result<(), Error> {
        let what = format!("the active account of {provider}");
        let user = format!("{ACTIVE_PREFIX}{}", escaped(provider));
        match account {
            Some(a) => self.write(&user, &what, a),
            None => self.remove(&user, &what).map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::backend::testing::{fail_next, mock_store, platform_error};

    #[test]
    fn refused_access_and_platform_failures_are_keyring_unavailable() {
        let backing = mock_store();
        let store = KeyringStore::new().with_credential_store(Arc::clone(&backing));
        let key = TokenKey::new("p", "a", "c");
        for error in [
            keyring_core::Error::NoStorageAccess(platform_error("collection is locked")),
            keyring_core::Error::PlatformFailure(platform_error(
                "org.freedesktop.DBus.Error.ServiceUnknown",
            )),
        ] {
            fail_next(&backing, "authctl", &key.storage_id(), error);
            let err = pollster::block_on(store.load(&key)).unwrap_err();
            assert!(matches!(err, Error::KeyringUnavailable { .. }), "{err:?}");
            assert!(err.to_string().contains("file store"), "{err}");
        }
        // the mock's error is cleared after one call: the store works again
        assert_eq!(pollster::block_on(store.load(&key)).unwrap(), None);

        fail_next(
            &backing,
            "authctl",
            PROBE_USER,
            keyring_core::Error::NoStorageAccess(platform_error("locked")),
        );
        assert!(matches!(
            store.probe(),
            Err(Error::KeyringUnavailable { .. })
        ));
        assert!(store.probe().is_ok());
    }

    #[test]
    fn save_failures_are_reported_not_swallowed() {
        let backing = mock_store();
        let store = KeyringStore::new().with_credential_store(Arc::clone(&backing));
        let key = TokenKey::new("p", "a", "c");
        fail_next(
            &backing,
            "authctl",
            &key.storage_id(),
            keyring_core::Error::TooLong("secret".into(), 2560),
        );
        let err = pollster::block_on(store.save(&key, &Token::bearer("AT-SECRET"))).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Store { .. }), "{err:?}");
        assert!(
            text.contains("2560") && text.contains("file store"),
            "{text}"
        );
        assert!(!text.contains("AT-SECRET"), "{text}");
        assert_eq!(
            pollster::block_on(store.load(&key)).unwrap(),
            None,
            "a failed save must not leave a token"
        );
    }

    #[test]
    fn a_corrupt_entry_is_a_store_error_without_its_value() {
        let backing = mock_store();
        let store = KeyringStore::new().with_credential_store(Arc::clone(&backing));
        let key = TokenKey::new("p", "a", "c");
        backing
            .build("authctl", &key.storage_id(), None)
            .unwrap()
            .set_password(r#"{"version":1,"access_token":5,"token_type":"SECRETVALUE"}"#)
            .unwrap();
        let err = pollster::block_on(store.load(&key)).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Store { .. }), "{err:?}");
        assert!(
            text.contains("corrupt") && text.contains("p/a (client c)"),
            "{text}"
        );
        assert!(!text.contains("SECRETVALUE"), "{text}");

        backing
            .build("authctl", &key.storage_id(), None)
            .unwrap()
            .set_password(r#"{"version":9}"#)
            .unwrap();
        let text = pollster::block_on(store.load(&key))
            .unwrap_err()
            .to_string();
        assert!(text.contains("version 9"), "{text}");
    }

    #[test]
    fn tokens_are_one_entry_per_key_under_the_service() {
        let backing = mock_store();
        let store = KeyringStore::new()
            .with_service("svc")
            .with_credential_store(Arc::clone(&backing));
        let key = TokenKey::new("github", "octo:cat", "c1");
        let token = Token::bearer("AT").with_refresh_token("RT");
        pollster::block_on(store.save(&key, &token)).unwrap();
        let raw = backing
            .build("svc", "github:octo%3Acat:c1", None)
            .unwrap()
            .get_password()
            .unwrap();
        assert_eq!(Token::from_json(&raw).unwrap(), token);
        assert!(pollster::block_on(store.delete(&key)).unwrap());
        assert!(!pollster::block_on(store.delete(&key)).unwrap());
        let shown = format!("{store:?} {}", store.describe());
        assert!(shown.contains("svc") && !shown.contains("RT"), "{shown}");
    }
}
