//! What [`KeyringStore`](super::KeyringStore) and [`KeyringSource`](super::KeyringSource)
//! share: where the keyring connection comes from, building entries, and turning
//! keyring-core errors into [`Error`]s that name the problem and the next step.

use std::fmt;
use std::sync::{Arc, Mutex};

use auth_core::Error;
use keyring_core::{CredentialStore, Entry};

use crate::sanitize::without_quoted_values;

/// Where the keyring connection comes from.
pub(super) enum Backend {
    /// keyring-core's default store when the program set one, else the platform store
    /// of this process ([`PLATFORM`]).
    Platform,
    /// A store the program handed in.
    Custom(Arc<CredentialStore>),
}

/// The platform store, connected on first use and shared by every keyring store and
/// source of the process: on Linux each connection is a D-Bus connection plus an
/// encrypted Secret Service session (a Diffie-Hellman exchange), which costs more than
/// the reads that follow, so a program pays it once, not once per store or source.
/// A failed connection is not remembered, so a keyring that starts later is found.
static PLATFORM: Mutex<Option<Arc<CredentialStore>>> = Mutex::new(None);

impl Backend {
    pub(super) fn platform() -> Self {
        Backend::Platform
    }

    fn store(&self) -> Result<Arc<CredentialStore>, Error> {
        match self {
            Backend::Custom(store) => Ok(Arc::clone(store)),
            Backend::Platform => {
                // asked every time: the program may set (or change) it at any point
                if let Some(store) = keyring_core::get_default_store() {
                    return Ok(store);
                }
                let mut slot = PLATFORM.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(store) = slot.as_ref() {
                    return Ok(Arc::clone(store));
                }
                let store = platform_store()?;
                *slot = Some(Arc::clone(&store));
                Ok(store)
            }
        }
    }

    /// The entry `service`/`user`; `what` names it (without a secret) in errors.
    pub(super) fn entry(&self, service: &str, user: &str, what: &str) -> Result<Entry, Error> {
        self.store()?
            .build(service, user, None)
            .map_err(|e| map_error(e, what))
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Backend::Custom(store) => store.vendor(),
            Backend::Platform => PLATFORM_NAME.to_owned(),
        }
    }
}

impl fmt::Debug for Backend {
    // Only the vendor string: a store's own Debug may show more than it should
    // (keyring-core's mock shows the stored bytes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Custom(store) => write!(f, "Custom({:?})", store.vendor()),
            Backend::Platform => write!(f, "Platform({PLATFORM_NAME:?})"),
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

/// A new connection to the platform's credential store.
fn platform_store() -> Result<Arc<CredentialStore>, Error> {
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
pub(super) fn map_error(e: keyring_core::Error, what: &str) -> Error {
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
            "use the file store for this profile".to_owned(),
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

/// Helpers for the store's and the source's tests: a mock keyring and failures on cue.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Arc;

    use keyring_core::{CredentialStore, mock};

    /// A fresh, empty mock keyring.
    pub(crate) fn mock_store() -> Arc<CredentialStore> {
        mock::Store::new().unwrap()
    }

    /// Makes the next call on the mock entry `service`/`user` fail with `error`.
    pub(crate) fn fail_next(
        store: &Arc<CredentialStore>,
        service: &str,
        user: &str,
        error: keyring_core::Error,
    ) {
        let entry = store.build(service, user, None).unwrap();
        let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(error);
    }

    pub(crate) fn platform_error(text: &str) -> keyring_core::error::PlatformError {
        text.to_owned().into()
    }
}
