//! [`KeyringOrFileStore`]: the system keyring when it answers, else a file.

use std::fmt;
use std::sync::{Arc, OnceLock};

use std::time::Duration;

use auth_core::store::{StoreLock, Versioned};
use auth_core::{Error, Token, TokenKey, TokenStore, async_trait};

use crate::{FileStore, KeyringStore};

/// Why a [`KeyringOrFileStore`] keeps its tokens in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FallBackCause {
    /// The keyring did not answer when first asked ([`KeyringStore::probe`] failed).
    NoKeyring,
    /// The keyring answered, then refused an operation as unavailable (a locked
    /// collection answers reads and refuses writes).
    Refused,
}

/// The moment a [`KeyringOrFileStore`] turned to its file, handed to the hook of
/// [`KeyringOrFileStore::on_fall_back`] and kept for [`KeyringOrFileStore::fell_back`].
/// It names no token or secret.
///
/// ```
/// use auth_store::{FallBack, FallBackCause};
/// let event = FallBack::new(FallBackCause::Refused, "the collection is locked", "file /tmp/tokens.json");
/// assert_eq!(event.reason, "the collection is locked");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FallBack {
    /// Why.
    pub cause: FallBackCause,
    /// What the keyring said (the message of [`Error::KeyringUnavailable`]).
    pub reason: String,
    /// [`TokenStore::describe`] of the file store now in use.
    pub file: String,
}

impl FallBack {
    /// An event (for tests of a hook).
    ///
    /// ```
    /// use auth_store::{FallBack, FallBackCause};
    /// assert_eq!(FallBack::new(FallBackCause::NoKeyring, "no bus", "file x").cause, FallBackCause::NoKeyring);
    /// ```
    pub fn new(cause: FallBackCause, reason: impl Into<String>, file: impl Into<String>) -> Self {
        FallBack {
            cause,
            reason: reason.into(),
            file: file.into(),
        }
    }
}

type Hook = dyn Fn(&FallBack) + Send + Sync;

/// The system keyring while it answers, a [`FileStore`] otherwise: the store for a
/// program that prefers the keyring but must never lose a token to it.
///
/// - The keyring is asked once, on first use ([`KeyringStore::probe`]); when it does not
///   answer, every operation goes to the file.
/// - When the keyring answered but later refuses an operation as unavailable
///   ([`Error::KeyringUnavailable`], a locked collection), that operation and every
///   later one go to the file. Other keyring errors are returned as they are.
/// - A token the keyring does not have is looked up in the file too, so a token kept in
///   the file by an earlier run (when the keyring refused it) is still found.
/// - Once a token is saved in the keyring, a plaintext copy of it in the file is removed.
/// - **Delete never lies.** It removes the key from both places. When the keyring cannot
///   be reached, it still removes the file's copy; if the file held none, the token may
///   be in the unreachable keyring, so delete fails with an error saying so instead of
///   reporting "nothing stored". (A token in the file was saved there last: every save
///   to the keyring removes the file's copy.)
/// - Revisions, keys and the active account come from where the token is; the renewal
///   lock is a per-key lock file in the file store's folder, whichever place is in use.
///
/// The switch happens once per store; the hook given to
/// [`KeyringOrFileStore::on_fall_back`] is called then, so a program can tell the
/// person where their tokens went. The store itself prints nothing.
/// [`describe`](TokenStore::describe) names the store in use.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use auth_core::{Token, TokenKey, TokenStore};
/// use auth_store::{FallBackCause, FileStore, KeyringOrFileStore, KeyringStore};
/// use auth_store::keyring_core::{mock, CredentialStore};
///
/// let dir = tempfile::tempdir().unwrap();
/// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// let store = KeyringOrFileStore::new(
///     KeyringStore::new().with_credential_store(mock),
///     FileStore::new(dir.path()),
/// )
/// .on_fall_back(move |event| log.lock().unwrap().push(event.cause));
/// let key = TokenKey::new("github", "octocat", "client-1");
/// pollster::block_on(store.save(&key, &Token::bearer("gho_abc"))).unwrap();
/// assert!(store.describe().starts_with("keyring"));
/// assert!(store.fell_back().is_none() && seen.lock().unwrap().is_empty());
/// ```
pub struct KeyringOrFileStore {
    keyring: KeyringStore,
    file: FileStore,
    /// Set once the keyring was probed.
    probed: OnceLock<()>,
    /// Set once the store turned to the file.
    fell_back: OnceLock<FallBack>,
    hook: Option<Arc<Hook>>,
}

impl KeyringOrFileStore {
    /// The keyring `keyring`, else the file store `file`. Nothing is contacted yet.
    ///
    /// ```
    /// use auth_store::{FileStore, KeyringOrFileStore, KeyringStore};
    /// let store = KeyringOrFileStore::new(KeyringStore::new(), FileStore::new("/tmp/tokens"));
    /// assert!(store.fell_back().is_none());
    /// ```
    pub fn new(keyring: KeyringStore, file: FileStore) -> Self {
        KeyringOrFileStore {
            keyring,
            file,
            probed: OnceLock::new(),
            fell_back: OnceLock::new(),
            hook: None,
        }
    }

    /// Calls `hook` once, when the store turns to the file (a program's warning). The
    /// hook runs inside the operation that turned, so it must not call this store.
    ///
    /// ```
    /// use auth_store::{FileStore, KeyringOrFileStore, KeyringStore};
    /// let store = KeyringOrFileStore::new(KeyringStore::new(), FileStore::new("/tmp/tokens"))
    ///     .on_fall_back(|event| eprintln!("keeping tokens in {} ({})", event.file, event.reason));
    /// ```
    pub fn on_fall_back(mut self, hook: impl Fn(&FallBack) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Why the store keeps its tokens in the file, once it does. Does not ask the
    /// keyring.
    ///
    /// ```
    /// use auth_store::{FileStore, KeyringOrFileStore, KeyringStore};
    /// let store = KeyringOrFileStore::new(KeyringStore::new(), FileStore::new("/tmp/tokens"));
    /// assert_eq!(store.fell_back(), None);
    /// ```
    pub fn fell_back(&self) -> Option<&FallBack> {
        self.fell_back.get()
    }

    /// True when operations go to the file: the keyring did not answer the probe, or
    /// refused earlier.
    fn uses_file(&self) -> bool {
        self.probed.get_or_init(|| {
            if let Err(e) = self.keyring.probe() {
                self.fall_back(FallBackCause::NoKeyring, &e);
            }
        });
        self.fell_back.get().is_some()
    }

    /// Turns to the file when `e` says the keyring refused as unavailable; false for
    /// any other error, which the caller returns.
    fn refused(&self, e: &Error) -> bool {
        let refused = matches!(e, Error::KeyringUnavailable { .. });
        if refused {
            self.fall_back(FallBackCause::Refused, e);
        }
        refused
    }

    fn fall_back(&self, cause: FallBackCause, e: &Error) {
        let mut first = false;
        let event = self.fell_back.get_or_init(|| {
            first = true;
            let reason = match e {
                Error::KeyringUnavailable { message } => message.clone(),
                other => other.to_string(),
            };
            FallBack::new(cause, reason, self.file.describe())
        });
        if let (true, Some(hook)) = (first, &self.hook) {
            hook(event);
        }
    }
}

impl fmt::Debug for KeyringOrFileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringOrFileStore")
            .field("keyring", &self.keyring)
            .field("file", &self.file)
            .field("fell_back", &self.fell_back.get())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenStore for KeyringOrFileStore {
    fn describe(&self) -> String {
        if self.uses_file() {
            self.file.describe()
        } else {
            self.keyring.describe()
        }
    }

    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        if self.uses_file() {
            return self.file.load(key).await;
        }
        match self.keyring.load(key).await {
            Err(e) if self.refused(&e) => self.file.load(key).await,
            // an earlier run may have kept it in the file when the keyring refused a write
            Ok(None) => self.file.load(key).await,
            other => other,
        }
    }

    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        if self.uses_file() {
            return self.file.save(key, token).await;
        }
        match self.keyring.save(key, token).await {
            Err(e) if self.refused(&e) => self.file.save(key, token).await,
            Err(e) => Err(e),
            Ok(()) => self.remove_file_copy(key).await,
        }
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        let keyring = if self.uses_file() {
            Err(self
                .fell_back
                .get()
                .map(|f| f.reason.clone())
                .unwrap_or_default())
        } else {
            match self.keyring.delete(key).await {
                Err(e) if self.refused(&e) => Err(e.to_string()),
                Err(e) => return Err(e),
                Ok(found) => Ok(found),
            }
        };
        let in_file = self.file.delete(key).await?;
        match keyring {
            Ok(in_keyring) => Ok(in_keyring || in_file),
            Err(_) if in_file => Ok(true),
            Err(reason) => Err(Error::store(
                "keyring",
                format!(
                    "could not delete the token of {key} from the keyring, which cannot be \
                     reached ({reason}); the fallback file {} holds no copy, so the token may \
                     still be in the keyring",
                    self.file.path().display()
                ),
                "unlock the keyring (or start its service) and delete the token again",
            )),
        }
    }

    async fn keys(&self, provider: &str) -> Result<Vec<TokenKey>, Error> {
        let mut keys = self.file.keys(provider).await?;
        if !self.uses_file() {
            match self.keyring.keys(provider).await {
                Err(e) if self.refused(&e) => {}
                Err(e) => return Err(e),
                Ok(more) => keys.extend(more),
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    async fn load_versioned(&self, key: &TokenKey) -> Result<Option<Versioned>, Error> {
        if self.uses_file() {
            return self.file.load_versioned(key).await;
        }
        match self.keyring.load_versioned(key).await {
            Err(e) if self.refused(&e) => self.file.load_versioned(key).await,
            Ok(None) => self.file.load_versioned(key).await,
            other => other,
        }
    }

    async fn save_if(
        &self,
        key: &TokenKey,
        token: &Token,
        expected: Option<u64>,
    ) -> Result<Option<u64>, Error> {
        if self.uses_file() {
            return self.file.save_if(key, token, expected).await;
        }
        let in_keyring = match self.keyring.load_versioned(key).await {
            Err(e) if self.refused(&e) => return self.file.save_if(key, token, expected).await,
            other => other?,
        };
        // The revision `expected` is of the place the token was read from: the keyring
        // when it holds the key, else the file.
        let saved = if in_keyring.is_some() {
            self.keyring.save_if(key, token, expected).await
        } else {
            let in_file = self.file.load_versioned(key).await?.map(|v| v.revision);
            if in_file != expected {
                return Ok(None);
            }
            self.keyring.save_if(key, token, None).await
        };
        match saved {
            Err(e) if self.refused(&e) => self.file.save_if(key, token, expected).await,
            Err(e) => Err(e),
            Ok(None) => Ok(None),
            Ok(Some(revision)) => {
                self.remove_file_copy(key).await?;
                Ok(Some(revision))
            }
        }
    }

    async fn lock(&self, key: &TokenKey, wait: Duration) -> Result<StoreLock, Error> {
        crate::lock::lock_file("keyring or file", self.file.dir(), key, wait).await
    }

    async fn active_account(&self, provider: &str) -> Result<Option<String>, Error> {
        if !self.uses_file() {
            match self.keyring.active_account(provider).await {
                Err(e) if self.refused(&e) => {}
                Ok(None) => {}
                other => return other,
            }
        }
        self.file.active_account(provider).await
    }

    async fn set_active_account(&self, provider: &str, account: Option<&str>) -> Result<(), Error> {
        if !self.uses_file() {
            match self.keyring.set_active_account(provider, account).await {
                Err(e) if self.refused(&e) => {}
                Err(e) => return Err(e),
                // the file's mark, if any, must not outlive the keyring's
                Ok(()) => return self.file.set_active_account(provider, None).await,
            }
        }
        self.file.set_active_account(provider, account).await
    }
}

impl KeyringOrFileStore {
    /// Removes the file's plaintext copy of `key` once the keyring holds the token. A
    /// file that cannot be read holds no copy this store could have written; it is left
    /// for the operations that read it to report.
    async fn remove_file_copy(&self, key: &TokenKey) -> Result<(), Error> {
        if let Ok(Some(_)) = self.file.load(key).await {
            self.file.delete(key).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use keyring_core::CredentialStore;

    use super::*;
    use crate::keyring::DEFAULT_TOKEN_SERVICE;
    use crate::keyring::testing::{fail_next, mock_store, platform_error};

    fn store(backing: &Arc<CredentialStore>, dir: &std::path::Path) -> KeyringOrFileStore {
        KeyringOrFileStore::new(
            KeyringStore::new().with_credential_store(Arc::clone(backing)),
            FileStore::new(dir),
        )
    }

    /// A store that records its fall-back events.
    fn recording(
        backing: &Arc<CredentialStore>,
        dir: &std::path::Path,
    ) -> (KeyringOrFileStore, Arc<Mutex<Vec<FallBack>>>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&events);
        let store =
            store(backing, dir).on_fall_back(move |event| log.lock().unwrap().push(event.clone()));
        (store, events)
    }

    fn locked() -> keyring_core::Error {
        keyring_core::Error::NoStorageAccess(platform_error("the collection is locked"))
    }

    #[test]
    fn keeps_a_refused_token_in_the_file_and_finds_it_again() {
        let dir = tempfile::tempdir().unwrap();
        let backing = mock_store();
        let key = TokenKey::new("p", "a", "c");
        let token = Token::bearer("kept");
        let (first, events) = recording(&backing, dir.path());
        // the keyring answers the probe, then refuses the write
        fail_next(&backing, DEFAULT_TOKEN_SERVICE, &key.storage_id(), locked());
        pollster::block_on(first.save(&key, &token)).unwrap();
        assert!(first.describe().starts_with("file"), "{}", first.describe());
        let events = events.lock().unwrap().clone();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].cause, FallBackCause::Refused);
        assert!(events[0].reason.contains("locked"), "{events:?}");
        assert_eq!(first.fell_back(), Some(&events[0]));
        // a later run starts with the keyring again, and still finds the token
        let later = store(&backing, dir.path());
        assert_eq!(pollster::block_on(later.load(&key)).unwrap(), Some(token));
        assert!(
            later.describe().starts_with("keyring"),
            "{}",
            later.describe()
        );
        assert!(pollster::block_on(later.delete(&key)).unwrap());
        assert_eq!(pollster::block_on(later.load(&key)).unwrap(), None);
        assert!(later.fell_back().is_none());
    }

    #[test]
    fn a_keyring_that_does_not_answer_means_the_file_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let backing = mock_store();
        let (store, events) = recording(&backing, dir.path());
        fail_next(
            &backing,
            DEFAULT_TOKEN_SERVICE,
            "authctl-availability-probe",
            keyring_core::Error::PlatformFailure(platform_error("no bus")),
        );
        assert!(store.describe().starts_with("file"), "{}", store.describe());
        let key = TokenKey::new("p", "a", "c");
        pollster::block_on(store.save(&key, &Token::bearer("AT-SECRET"))).unwrap();
        assert_eq!(
            pollster::block_on(FileStore::new(dir.path()).load(&key)).unwrap(),
            Some(Token::bearer("AT-SECRET"))
        );
        let events = events.lock().unwrap().clone();
        assert_eq!(events.len(), 1, "the hook runs once: {events:?}");
        assert_eq!(events[0].cause, FallBackCause::NoKeyring);
        assert!(events[0].reason.contains("no bus"), "{events:?}");
        assert!(events[0].file.starts_with("file"), "{events:?}");
        let shown = format!("{store:?} {events:?}");
        assert!(!shown.contains("AT-SECRET"), "{shown}");
    }

    #[test]
    fn other_keyring_errors_are_returned_not_hidden_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let backing = mock_store();
        let (store, events) = recording(&backing, dir.path());
        let key = TokenKey::new("p", "a", "c");
        fail_next(
            &backing,
            DEFAULT_TOKEN_SERVICE,
            &key.storage_id(),
            keyring_core::Error::TooLong("secret".into(), 2560),
        );
        let err = pollster::block_on(store.save(&key, &Token::bearer("AT"))).unwrap_err();
        assert!(matches!(err, Error::Store { .. }), "{err:?}");
        assert!(events.lock().unwrap().is_empty());
        assert!(store.fell_back().is_none());
    }

    #[test]
    fn a_refused_delete_still_removes_the_file_copy() {
        let dir = tempfile::tempdir().unwrap();
        let backing = mock_store();
        let key = TokenKey::new("p", "a", "c");
        pollster::block_on(FileStore::new(dir.path()).save(&key, &Token::bearer("kept"))).unwrap();
        let store = store(&backing, dir.path());
        fail_next(&backing, DEFAULT_TOKEN_SERVICE, &key.storage_id(), locked());
        assert!(pollster::block_on(store.delete(&key)).unwrap());
        assert_eq!(pollster::block_on(store.load(&key)).unwrap(), None);
    }

    #[test]
    fn a_delete_the_keyring_refuses_fails_when_the_file_has_no_copy() {
        let dir = tempfile::tempdir().unwrap();
        let backing = mock_store();
        let key = TokenKey::new("p", "ana", "c");
        let store = store(&backing, dir.path());
        pollster::block_on(store.save(&key, &Token::bearer("AT-SECRET"))).unwrap();
        fail_next(&backing, DEFAULT_TOKEN_SERVICE, &key.storage_id(), locked());
        let err = pollster::block_on(store.delete(&key))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("p/ana") && err.contains("may") && err.contains("unlock"),
            "{err}"
        );
        assert!(!err.contains("AT-SECRET"), "{err}");
        // the token is indeed still in the keyring; a later delete that reaches it works
        let later = super::tests::store(&backing, dir.path());
        assert!(pollster::block_on(later.delete(&key)).unwrap());
    }

    #[test]
    fn a_keyring_save_removes_the_plaintext_copy() {
        let dir = tempfile::tempdir().unwrap();
        let backing = mock_store();
        let key = TokenKey::new("p", "a", "c");
        let file = FileStore::new(dir.path());
        pollster::block_on(file.save(&key, &Token::bearer("old-plaintext"))).unwrap();
        let store = store(&backing, dir.path());
        pollster::block_on(store.save(&key, &Token::bearer("new"))).unwrap();
        assert_eq!(pollster::block_on(file.load(&key)).unwrap(), None);
        assert_eq!(
            pollster::block_on(store.load(&key)).unwrap(),
            Some(Token::bearer("new"))
        );
        // the same through compare-and-set against the file's revision
        pollster::block_on(store.delete(&key)).unwrap();
        pollster::block_on(file.save(&key, &Token::bearer("plain"))).unwrap();
        let read = pollster::block_on(store.load_versioned(&key))
            .unwrap()
            .unwrap();
        let saved =
            pollster::block_on(store.save_if(&key, &Token::bearer("rotated"), Some(read.revision)))
                .unwrap();
        assert!(saved.is_some());
        assert_eq!(pollster::block_on(file.load(&key)).unwrap(), None);
    }
}
