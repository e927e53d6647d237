//! Every token store runs auth-testkit's token store suite (one test per case), and any
//! `Token` round-trips through every store unchanged (proptest).

#![cfg(any(feature = "memory", feature = "file", feature = "keyring"))]

mod common;

use auth_core::{Token, TokenKey, TokenStore};
use common::{any_key, any_token};
use proptest::prelude::*;

fn round_trip(store: &dyn TokenStore, key: &TokenKey, token: &Token) -> Result<(), TestCaseError> {
    pollster::block_on(async {
        store
            .save(key, token)
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = store
            .load(key)
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back.as_ref(), Some(token));
        prop_assert!(
            store
                .delete(key)
                .await
                .map_err(|e| TestCaseError::fail(e.to_string()))?
        );
        prop_assert_eq!(
            store
                .load(key)
                .await
                .map_err(|e| TestCaseError::fail(e.to_string()))?,
            None
        );
        Ok(())
    })
}

#[cfg(feature = "memory")]
mod memory {
    use super::*;
    use auth_store::MemoryStore;

    mod conformance {
        use super::*;
        auth_testkit::token_store_tests!(MemoryStore::new());
    }

    proptest! {
        #![proptest_config(common::config(256, "proptest-regressions/conformance-memory.txt"))]
        #[test]
        fn any_token_round_trips(key in any_key(), token in any_token()) {
            round_trip(&MemoryStore::new(), &key, &token)?;
        }
    }
}

#[cfg(feature = "file")]
mod file {
    use super::*;
    use auth_store::FileStore;
    use std::sync::Arc;

    mod conformance {
        use super::*;
        auth_testkit::token_store_tests!(
            let dir = tempfile::tempdir().unwrap();
            store: FileStore::new(dir.path().join("authctl")),
            second: FileStore::new(dir.path().join("authctl")),
        );
    }

    #[test]
    fn the_suite_leaves_an_empty_document() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("authctl"));
        pollster::block_on(auth_testkit::token_store(Arc::new(store.clone())));
        // the suite cleaned up after itself: the file holds an empty document
        assert!(store.all_keys().unwrap().is_empty());
    }

    proptest! {
        #![proptest_config(common::config(64, "proptest-regressions/conformance-file.txt"))]
        #[test]
        fn any_token_round_trips(key in any_key(), token in any_token(), neighbour in any_token()) {
            let dir = tempfile::tempdir().unwrap();
            let store = FileStore::new(dir.path());
            // a neighbour entry must come through the rewrite unchanged too
            let other = TokenKey::new("neighbour", "n", "n");
            pollster::block_on(store.save(&other, &neighbour)).unwrap();
            round_trip(&store, &key, &token)?;
            let fresh = FileStore::new(dir.path());
            prop_assert_eq!(pollster::block_on(fresh.load(&other)).unwrap(), Some(neighbour));
        }
    }
}

#[cfg(feature = "keyring")]
mod keyring_mock {
    use super::*;
    use auth_store::KeyringStore;
    use auth_store::keyring_core::{CredentialStore, mock};
    use std::sync::Arc;

    fn store() -> KeyringStore {
        let backing: Arc<CredentialStore> = mock::Store::new().unwrap();
        KeyringStore::new().with_credential_store(backing)
    }

    /// A store on the mock keyring `backing`, with its lock files in `dir`.
    fn on(backing: &Arc<CredentialStore>, dir: &std::path::Path) -> KeyringStore {
        KeyringStore::new()
            .with_credential_store(Arc::clone(backing))
            .with_lock_dir(dir)
    }

    mod conformance {
        use super::*;
        auth_testkit::token_store_tests!(
            let dir = tempfile::tempdir().unwrap();
            let backing = mock::Store::new().unwrap() as Arc<CredentialStore>;
            store: on(&backing, dir.path()),
            second: on(&backing, dir.path()),
        );
    }

    proptest! {
        #![proptest_config(common::config(128, "proptest-regressions/conformance-keyring.txt"))]
        #[test]
        fn any_token_round_trips(key in any_key(), token in any_token()) {
            round_trip(&store(), &key, &token)?;
        }
    }
}

#[cfg(all(feature = "keyring", feature = "file"))]
mod keyring_or_file {
    use super::*;
    use auth_store::keyring_core::{CredentialStore, mock};
    use auth_store::{FileStore, KeyringOrFileStore, KeyringStore};
    use std::sync::Arc;

    fn store(dir: &std::path::Path) -> KeyringOrFileStore {
        let backing: Arc<CredentialStore> = mock::Store::new().unwrap();
        on(&backing, dir)
    }

    fn on(backing: &Arc<CredentialStore>, dir: &std::path::Path) -> KeyringOrFileStore {
        KeyringOrFileStore::new(
            KeyringStore::new()
                .with_credential_store(Arc::clone(backing))
                .with_lock_dir(dir),
            FileStore::new(dir),
        )
    }

    mod conformance {
        use super::*;
        auth_testkit::token_store_tests!(
            let dir = tempfile::tempdir().unwrap();
            let backing = mock::Store::new().unwrap() as Arc<CredentialStore>;
            store: on(&backing, dir.path()),
            second: on(&backing, dir.path()),
        );
    }

    proptest! {
        #![proptest_config(common::config(64, "proptest-regressions/conformance-keyring-or-file.txt"))]
        #[test]
        fn any_token_round_trips(key in any_key(), token in any_token()) {
            let dir = tempfile::tempdir().unwrap();
            round_trip(&store(dir.path()), &key, &token)?;
        }
    }
}
