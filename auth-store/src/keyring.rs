//! The system keyring: [`KeyringStore`] for tokens and [`KeyringSource`] for credentials.
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
//! [`Error::KeyringUnavailable`], whose message tells the person to use the file store.
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

use std::fmt;
use std::sync::{Arc, Mutex};

use auth_core::{
    CredentialField, CredentialSource, Credentials, Error, Provider, Secret, Token,
    TokenFormatError, TokenKey, TokenStore, async_trait,
};
use keyring_core::{CredentialStore, Entry};

use crate::sanitize::without_quoted_values;

/// The keyring service under which [`KeyringStore`] keeps tokens by default.
pub const DEFAULT_TOKEN_SERVICE: &str = "authctl";

/// The keyring service pyinaturalist keeps iNaturalist credentials under.
pub const INATURALIST_SERVICE: &str = "/inaturalist";

/// The user name of the entry [`KeyringStore::probe`] looks up (it is never written).
const PROBE_USER: &str = "authctl-availability-probe";

/// Where the keyring connection comes from.
enum Backend {
    /// The platform store (or keyring-core's default store), connected on first use.
    /// A failed connection is not remembered, so a keyring that starts later is found.
    Platform(Mutex<Option<Arc<CredentialStore>>>),
    /// A store the program handed in.
    Custom(Arc<CredentialStore>),
}

impl Backend {
    fn platform() -> Self {
        Backend::Platform(Mutex::new(None))
    }

    fn store(&self) -> Result<Arc<CredentialStore>, Error> {
        match self {
            Backend::Custom(store) => Ok(Arc::clone(store)),
            Backend::Platform(slot) => {
                let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(store) = slot.as_ref() {
                    return Ok(Arc::clone(store));
                }
                let store = platform_store()?;
                *slot = Some(Arc::clone(&store));
                Ok(store)
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Backend::Custom(store) => store.vendor(),
            Backend::Platform(_) => PLATFORM_NAME.to_owned(),
        }
    }
}

impl fmt::Debug for Backend {
    // Only the vendor string: a store's own Debug may show more than it should
    // (keyring-core's mock shows the stored bytes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Custom(store) => write!(f, "Custom({:?})", store.vendor()),
            Backend::Platform(_) => write!(f, "Platform({PLATFORM_NAME:?})"),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd"))]
const PLATFORM_NAME: &str = "Secret Service";
#[cfg(target_os = "macos")]
const PLATFORM_NAME: &str = "macOS Keychain";
#[cfg(windows)]
const PLATFORM_NAME: &str = "Windows Credential Manager";
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "macos",
    windows
)))]
const PLATFORM_NAME: &str = "none on this platform";

/// The platform's credential store, or keyring-core's default store when the program
/// set one.
fn platform_store() -> Result<Arc<CredentialStore>, Error> {
    if let Some(store) = keyring_core::get_default_store() {
        return Ok(store);
    }
    #[cfg(any(target_os = "linux", target_os = "freebsd"))]
    let store = zbus_secret_service_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| unavailable(&e));
    #[cfg(target_os = "macos")]
    let store = apple_native_keyring_store::keychain::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| unavailable(&e));
    #[cfg(windows)]
    let store = windows_native_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| unavailable(&e));
    #[cfg(not(any(
        target_os = "linux",
        target_os = "freebsd",
        target_os = "macos",
        windows
    )))]
    let store = Err(Error::KeyringUnavailable {
        message: "this build has no system keyring support for this platform".into(),
    });
    store
}

/// The "keyring unavailable" error for a keyring-core error.
fn unavailable(e: &keyring_core::Error) -> Error {
    let detail = match e {
        keyring_core::Error::NoStorageAccess(inner) => {
            format!("access was refused ({inner}); unlock the keyring and try again")
        }
        keyring_core::Error::PlatformFailure(inner) => format!("{PLATFORM_NAME} failed: {inner}"),
        keyring_core::Error::NoDefaultStore => "no keyring store is configured".into(),
        other => other.to_string(),
    };
    Error::KeyringUnavailable { message: detail }
}

/// Maps a keyring-core error (other than `NoEntry`, which callers handle) for `what`
/// (a non-secret description such as `the token of github/ana (client x)`).
fn map_error(e: keyring_core::Error, what: &str) -> Error {
    use keyring_core::Error as K;
    let (message, hint) = match e {
        K::NoStorageAccess(_) | K::PlatformFailure(_) | K::NoDefaultStore => {
            return unavailable(&e);
        }
        K::NoEntry => (
            format!("{what} is not in the keyring"),
            "store it first".to_owned(),
        ),
        K::BadEncoding(_) | K::BadDataFormat(..) => (
            format!("the keyring entry for {what} is not readable text"),
            "delete that entry with your keyring manager and store it again".to_owned(),
        ),
        K::TooLong(attribute, limit) => (
            format!("{what}: `{attribute}` is longer than the keyring allows ({limit})"),
            "keep this profile's tokens in a file store instead".to_owned(),
        ),
        K::Ambiguous(items) => (
            format!(
                "{} keyring items match {what}, so the keyring cannot tell which one is meant",
                items.len()
            ),
            "delete the duplicates with your keyring manager (seahorse, secret-tool clear, \
             Keychain Access)"
                .to_owned(),
        ),
        K::Invalid(attribute, reason) => (
            format!("the keyring refused {what}: `{attribute}` {reason}"),
            "use the file store for this profile".to_owned(),
        ),
        other => (
            format!("the keyring failed for {what}: {other}"),
            "use the file store for this profile".to_owned(),
        ),
    };
    Error::Store {
        backend: "keyring".into(),
        path: None,
        message: without_quoted_values(&message),
        hint,
    }
}

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
    /// never written. For a CLI's `store = "auto"`: use the keyring when this is `Ok`,
    /// otherwise the file store. A locked collection can pass the probe and still refuse
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
        self.backend
            .store()?
            .build(&self.service, user, None)
            .map_err(|e| map_error(e, what))
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

/// Credentials in the system keyring: one entry per field under one service, with user
/// names `username`, `password`, `app_id` and `app_secret`.
///
/// For iNaturalist the service is `/inaturalist`, the names pyinaturalist's
/// `set_keyring_credentials` writes, so credentials stored by pyinaturalist are found
/// (and the other way round); other profiles use `authctl:<profile>`
/// ([`KeyringSource::service_for_profile`]).
///
/// ```
/// use std::sync::Arc;
/// use auth_core::{CredentialField, CredentialSource, Credentials, Provider};
/// use auth_store::KeyringSource;
/// use auth_store::keyring_core::{mock, CredentialStore};
///
/// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
/// let source = KeyringSource::for_profile("inaturalist").with_credential_store(mock);
/// assert_eq!(source.service(), "/inaturalist");
/// let stored = source.set(&Credentials { username: Some("ana".into()), password: Some("pw".into()), ..Default::default() }).unwrap();
/// assert_eq!(stored, vec![CredentialField::Username, CredentialField::Password]);
/// let c = pollster::block_on(source.credentials(&Provider::new("inaturalist"))).unwrap();
/// assert_eq!(c.password.unwrap().expose(), "pw");
/// assert_eq!(source.delete().unwrap().len(), 2);
/// ```
#[derive(Debug)]
pub struct KeyringSource {
    service: String,
    backend: Backend,
}

impl KeyringSource {
    /// A source for `service` in the platform keyring. Nothing is contacted until used.
    ///
    /// ```
    /// assert_eq!(auth_store::KeyringSource::new("myapp").service(), "myapp");
    /// ```
    pub fn new(service: impl Into<String>) -> Self {
        KeyringSource {
            service: service.into(),
            backend: Backend::platform(),
        }
    }

    /// A source for a profile, under [`KeyringSource::service_for_profile`].
    ///
    /// ```
    /// assert_eq!(auth_store::KeyringSource::for_profile("github").service(), "authctl:github");
    /// ```
    pub fn for_profile(profile: &str) -> Self {
        Self::new(Self::service_for_profile(profile))
    }

    /// The keyring service of a profile: `/inaturalist` for `inaturalist`
    /// (pyinaturalist's), `authctl:<profile>` for any other.
    ///
    /// ```
    /// use auth_store::KeyringSource;
    /// assert_eq!(KeyringSource::service_for_profile("inaturalist"), "/inaturalist");
    /// assert_eq!(KeyringSource::service_for_profile("work"), "authctl:work");
    /// ```
    pub fn service_for_profile(profile: &str) -> String {
        if profile == "inaturalist" {
            INATURALIST_SERVICE.into()
        } else {
            format!("authctl:{profile}")
        }
    }

    /// Uses `store` instead of the platform keyring.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_store::keyring_core::{mock, CredentialStore};
    /// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
    /// let source = auth_store::KeyringSource::new("s").with_credential_store(mock);
    /// assert!(source.delete().unwrap().is_empty());
    /// ```
    pub fn with_credential_store(mut self, store: Arc<CredentialStore>) -> Self {
        self.backend = Backend::Custom(store);
        self
    }

    /// The keyring service.
    ///
    /// ```
    /// assert_eq!(auth_store::KeyringSource::new("s").service(), "s");
    /// ```
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The entry (keyring user name) that holds `field`: `username`, `password`,
    /// `app_id`, `app_secret`.
    ///
    /// ```
    /// use auth_core::CredentialField;
    /// assert_eq!(auth_store::KeyringSource::entry_name(CredentialField::ClientSecret), "app_secret");
    /// ```
    pub fn entry_name(field: CredentialField) -> &'static str {
        match field {
            CredentialField::Username => "username",
            CredentialField::Password => "password",
            CredentialField::ClientId => "app_id",
            CredentialField::ClientSecret => "app_secret",
        }
    }

    /// Stores every field of `credentials` that is set (and not empty), replacing what
    /// the keyring held for it; fields that are not set are left alone. Returns the
    /// fields written. Blocks for the keyring round trips.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_core::{CredentialField, Credentials};
    /// use auth_store::keyring_core::{mock, CredentialStore};
    /// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
    /// let source = auth_store::KeyringSource::new("s").with_credential_store(mock);
    /// let c = Credentials { client_id: Some("id".into()), ..Default::default() };
    /// assert_eq!(source.set(&c).unwrap(), vec![CredentialField::ClientId]);
    /// ```
    pub fn set(&self, credentials: &Credentials) -> Result<Vec<CredentialField>, Error> {
        let mut written = Vec::new();
        for field in CredentialField::ALL {
            if !credentials.has(field) {
                continue;
            }
            let value = match field {
                CredentialField::Username => credentials.username.as_deref(),
                CredentialField::Password => credentials.password.as_ref().map(Secret::expose),
                CredentialField::ClientId => credentials.client_id.as_deref(),
                CredentialField::ClientSecret => {
                    credentials.client_secret.as_ref().map(Secret::expose)
                }
            };
            let Some(value) = value else { continue };
            let what = self.what(field);
            self.entry(field)?
                .set_password(value)
                .map_err(|e| map_error(e, &what))?;
            written.push(field);
        }
        Ok(written)
    }

    /// Deletes all four entries; returns the fields that were stored.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_store::keyring_core::{mock, CredentialStore};
    /// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
    /// assert!(auth_store::KeyringSource::new("s").with_credential_store(mock).delete().unwrap().is_empty());
    /// ```
    pub fn delete(&self) -> Result<Vec<CredentialField>, Error> {
        let mut deleted = Vec::new();
        for field in CredentialField::ALL {
            match self.entry(field)?.delete_credential() {
                Ok(()) => deleted.push(field),
                Err(keyring_core::Error::NoEntry) => {}
                Err(e) => return Err(map_error(e, &self.what(field))),
            }
        }
        Ok(deleted)
    }

    fn what(&self, field: CredentialField) -> String {
        format!("the {field} of keyring service {}", self.service)
    }

    fn entry(&self, field: CredentialField) -> Result<Entry, Error> {
        self.backend
            .store()?
            .build(&self.service, Self::entry_name(field), None)
            .map_err(|e| map_error(e, &self.what(field)))
    }

    fn get(&self, field: CredentialField) -> Result<Option<String>, Error> {
        match self.entry(field)?.get_password() {
            Ok(value) if value.is_empty() => Ok(None),
            Ok(value) => Ok(Some(value)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e, &self.what(field))),
        }
    }
}

#[async_trait]
impl CredentialSource for KeyringSource {
    fn name(&self) -> String {
        format!("keyring {}", self.service)
    }

    async fn credentials(&self, _provider: &Provider) -> Result<Credentials, Error> {
        Ok(Credentials {
            username: self.get(CredentialField::Username)?,
            password: self.get(CredentialField::Password)?.map(Secret::new),
            client_id: self.get(CredentialField::ClientId)?,
            client_secret: self.get(CredentialField::ClientSecret)?.map(Secret::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use keyring_core::mock;

    use super::*;

    fn mock_store() -> Arc<CredentialStore> {
        mock::Store::new().unwrap()
    }

    /// Makes the next call on the mock entry `service`/`user` fail with `error`.
    fn fail_next(
        store: &Arc<CredentialStore>,
        service: &str,
        user: &str,
        error: keyring_core::Error,
    ) {
        let entry = store.build(service, user, None).unwrap();
        let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(error);
    }

    fn platform_error(text: &str) -> keyring_core::error::PlatformError {
        text.to_owned().into()
    }

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

    #[test]
    fn source_uses_pyinaturalist_names_and_reads_what_they_wrote() {
        let backing = mock_store();
        // what pyinaturalist's set_keyring_credentials leaves in the keyring
        for (user, value) in [
            ("username", "ana"),
            ("password", "pw"),
            ("app_id", "id"),
            ("app_secret", "secret"),
        ] {
            backing
                .build("/inaturalist", user, None)
                .unwrap()
                .set_password(value)
                .unwrap();
        }
        let source = KeyringSource::for_profile("inaturalist").with_credential_store(backing);
        let c = pollster::block_on(source.credentials(&Provider::new("inaturalist"))).unwrap();
        assert_eq!(c.username.as_deref(), Some("ana"));
        assert_eq!(c.password.as_ref().map(Secret::expose), Some("pw"));
        assert_eq!(c.client_id.as_deref(), Some("id"));
        assert_eq!(c.client_secret.as_ref().map(Secret::expose), Some("secret"));
        assert_eq!(source.name(), "keyring /inaturalist");
        assert!(!format!("{source:?}").contains("secret\""));
    }

    #[test]
    fn source_set_replaces_only_given_fields_and_delete_removes_all() {
        let source = KeyringSource::for_profile("work").with_credential_store(mock_store());
        assert_eq!(source.service(), "authctl:work");
        source
            .set(&Credentials {
                username: Some("ana".into()),
                password: Some("old".into()),
                client_id: Some("id".into()),
                client_secret: Some("".into()),
            })
            .unwrap();
        let written = source
            .set(&Credentials {
                password: Some("new".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(written, vec![CredentialField::Password]);
        let c = pollster::block_on(source.credentials(&Provider::new("work"))).unwrap();
        assert_eq!(c.username.as_deref(), Some("ana"));
        assert_eq!(c.password.as_ref().map(Secret::expose), Some("new"));
        assert_eq!(c.client_secret, None, "an empty value is not stored");
        assert_eq!(
            source.delete().unwrap(),
            vec![
                CredentialField::Username,
                CredentialField::Password,
                CredentialField::ClientId
            ]
        );
        let c = pollster::block_on(source.credentials(&Provider::new("work"))).unwrap();
        assert_eq!(c, Credentials::default());
    }

    #[test]
    fn source_reports_an_unavailable_keyring() {
        let backing = mock_store();
        let source = KeyringSource::new("s").with_credential_store(Arc::clone(&backing));
        fail_next(
            &backing,
            "s",
            "username",
            keyring_core::Error::PlatformFailure(platform_error("no bus")),
        );
        let err = pollster::block_on(source.credentials(&Provider::new("x"))).unwrap_err();
        assert!(matches!(err, Error::KeyringUnavailable { .. }), "{err:?}");
        fail_next(
            &backing,
            "s",
            "password",
            keyring_core::Error::NoStorageAccess(platform_error("locked")),
        );
        let err = source
            .set(&Credentials {
                password: Some("pw".into()),
                ..Default::default()
            })
            .unwrap_err();
        assert!(matches!(err, Error::KeyringUnavailable { .. }), "{err:?}");
    }
}
