//! [`KeyringStore`]: tokens in the system keyring.

use std::sync::Arc;

use auth_core::{Error, Secret, Token, TokenFormatError, TokenKey, TokenStore, async_trait};
use keyring_core::{CredentialStore, Entry};

use super::backend::{Backend, map_error};
use crate::sanitize::without_quoted_values;

/// The keyring service under which [`KeyringStore`] keeps tokens by default.
pub const DEFAULT_TOKEN_SERVICE: &str = "authctl";

/// The user name of the entry [`KeyringStore::probe`] looks up (it is never written).
const PROBE_USER: &str = "authctl-availability-probe";

/// Tokens in the system keyring: one entry per [`TokenKey`], under a service
/// ([`DEFAULT_TOKEN_SERVICE`] unless changed) with the key's
/// [`TokenKey::storage_id`] as user name, holding the token's stored JSON form.
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
        let what = Self::what(key);
        let entry = self.entry(&key.storage_id(), &what)?;
        let text = match entry.get_password() {
            Ok(text) => Secret::new(text),
            Err(keyring_core::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(map_error(e, &what)),
        };
        Token::from_json(text.expose()).map(Some).map_err(|e| {
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

    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        let what = Self::what(key);
        let json = Secret::new(token.to_json());
        self.entry(&key.storage_id(), &what)?
            .set_password(json.expose())
            .map_err(|e| map_error(e, &what))
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        let what = Self::what(key);
        match self.entry(&key.storage_id(), &what)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e, &what)),
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
