//! The token store suite: [`token_store_tests!`](crate::token_store_tests), one `#[test]`
//! per case, and [`token_store`], every case in a row on one store.
//!
//! Each case uses keys unique to itself and the run (provider
//! `conformance-<case>-<pid>-<nanos>`) and deletes them before it returns, so the cases
//! can run in parallel against one shared store (a real keyring).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::{Secret, Token, TokenKey, TokenKind, TokenStore};

/// Emits one `#[test]` per case of the token store contract, each named after its case,
/// so one broken rule does not hide the others and `cargo test CASE_NAME` runs one case:
///
/// - `missing_key_loads_as_none`: a missing key loads as `None`, deletes as `false`;
/// - `a_full_token_round_trips`: a token with every field set (unicode, 8 KiB values)
///   loads back equal;
/// - `every_token_kind_round_trips`: OAuth 1 and JWT tokens load back equal;
/// - `a_second_save_overwrites`;
/// - `keys_are_isolated`: keys differing only in provider, account or client id never
///   see each other's token;
/// - `concurrent_saves_all_survive`: 16 saves of different keys from 16 threads;
/// - `no_secret_in_debug_or_describe`: neither `Debug` of the store nor `describe()`
///   shows a secret;
/// - `delete_removes`: delete returns `true`, and the key then loads as `None`;
/// - `keys_lists_a_providers_keys`: [`keys`](TokenStore::keys) lists every account and
///   client id of one provider, and no other provider's, as seen by a second instance;
/// - `active_account_is_remembered`: the active account of a provider is set, changed,
///   cleared, seen by a second instance, and independent of other providers; and
///   [`load_active`](TokenStore::load_active) returns its key with its token (or none);
/// - `save_if_refuses_a_stale_revision`: compare-and-set writes only over the revision
///   it was given (`None`: only when nothing is stored), and a late writer holding an
///   older revision writes nothing;
/// - `a_lock_excludes_a_second_instance`: while one instance holds a key's lock, another
///   instance on the same storage waits for it, gives up at the bound with an error
///   naming the key, and may still lock other keys;
/// - `a_dropped_lock_is_free_again`: dropping the lock lets a waiter in, at once or
///   while it waits.
///
/// Invoke it inside a module (the tests are named by case, so two stores need two
/// modules) with an expression building the store under test
/// (`TokenStore + Debug + 'static`). The expression is evaluated once per test, so every
/// case gets a fresh store. The long form, `store: EXPR` after the extras, adds:
///
/// - attributes put on every test, such as `#[ignore = "needs a keyring"]` for a store
///   that needs a real service;
/// - `let` statements run at the start of every test, for what the store needs to outlive
///   it (a temporary directory);
/// - after the store, `second: EXPR` builds a second instance on the same storage (the
///   same folder, the same server) for the cases that check what two processes see.
///   Without it those cases use the first instance twice, which is right only for a store
///   whose storage is its own memory.
///
/// A store that needs a running server builds it in the `let` statements (or checks an
/// environment variable there and returns early), and marks the tests `#[ignore]`.
///
/// ```no_run
/// # #[derive(Debug, Default)] struct MyStore;
/// # #[auth_core::async_trait] impl auth_core::TokenStore for MyStore {
/// #   fn describe(&self) -> String { String::new() }
/// #   async fn load(&self, _: &auth_core::TokenKey) -> auth_core::Result<Option<auth_core::Token>> { Ok(None) }
/// #   async fn save(&self, _: &auth_core::TokenKey, _: &auth_core::Token) -> auth_core::Result<()> { Ok(()) }
/// #   async fn delete(&self, _: &auth_core::TokenKey) -> auth_core::Result<bool> { Ok(false) }
/// # }
/// # fn open_in(_: &std::path::Path) -> MyStore { MyStore }
/// mod my_store {
///     use super::*;
///     auth_testkit::token_store_tests!(MyStore::default());
/// }
///
/// mod my_store_on_disk {
///     use super::*;
///     auth_testkit::token_store_tests!(
///         let dir = std::env::temp_dir();
///         store: open_in(&dir),
///     );
/// }
///
/// mod my_store_in_a_real_service {
///     use super::*;
///     auth_testkit::token_store_tests!(
///         #[ignore = "needs the service"]
///         store: MyStore::default(),
///     );
/// }
///
/// mod two_instances_on_one_folder {
///     use super::*;
///     auth_testkit::token_store_tests!(
///         let dir = std::env::temp_dir();
///         store: open_in(&dir),
///         second: open_in(&dir),
///     );
/// }
/// ```
#[macro_export]
macro_rules! token_store_tests {
    (
        $(#[$attr:meta])*
        $(let $guard:pat = $init:expr;)*
        store: $make:expr,
        second: $second:expr $(,)?
    ) => {
        $crate::__token_store_cases!(
            $crate::__token_store_test,
            [$(#[$attr])*] [$(let $guard = $init;)*] [$make] [::std::sync::Arc::new($second)]
        );
    };
    (
        $(#[$attr:meta])*
        $(let $guard:pat = $init:expr;)*
        store: $make:expr $(,)?
    ) => {
        $crate::__token_store_cases!(
            $crate::__token_store_test,
            [$(#[$attr])*] [$(let $guard = $init;)*] [$make] []
        );
    };
    ($make:expr $(,)?) => {
        $crate::token_store_tests!(store: $make);
    };
}

/// Calls `$each!($args, case)` for every case of the token store suite, in order: the
/// one list of cases.
#[doc(hidden)]
#[macro_export]
macro_rules! __token_store_cases {
    ($($each:ident)::+, $($args:tt)*) => {
        $($each)::+!($($args)* missing_key_loads_as_none);
        $($each)::+!($($args)* a_full_token_round_trips);
        $($each)::+!($($args)* every_token_kind_round_trips);
        $($each)::+!($($args)* a_second_save_overwrites);
        $($each)::+!($($args)* keys_are_isolated);
        $($each)::+!($($args)* concurrent_saves_all_survive);
        $($each)::+!($($args)* no_secret_in_debug_or_describe);
        $($each)::+!($($args)* delete_removes);
        $($each)::+!($($args)* pair keys_lists_a_providers_keys);
        $($each)::+!($($args)* pair active_account_is_remembered);
        $($each)::+!($($args)* pair save_if_refuses_a_stale_revision);
        $($each)::+!($($args)* pair a_lock_excludes_a_second_instance);
        $($each)::+!($($args)* pair a_dropped_lock_is_free_again);
    };
}

/// One test of [`token_store_tests!`](crate::token_store_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __token_store_test {
    ([$(#[$attr:meta])*] [$($setup:tt)*] [$make:expr] [$($second:tt)*] pair $case:ident) => {
        #[test]
        $(#[$attr])*
        fn $case() {
            $($setup)*
            let first = ::std::sync::Arc::new($make);
            let second = $crate::__token_store_second!(first, $($second)*);
            $crate::__store::block_on($crate::__store::cases::$case(first, second));
        }
    };
    ([$(#[$attr:meta])*] [$($setup:tt)*] [$make:expr] [$($second:tt)*] $case:ident) => {
        #[test]
        $(#[$attr])*
        fn $case() {
            $($setup)*
            $crate::__store::block_on($crate::__store::cases::$case(
                ::std::sync::Arc::new($make),
            ));
        }
    };
}

/// The second instance of a pair case: the one given, or the first again.
#[doc(hidden)]
#[macro_export]
macro_rules! __token_store_second {
    ($first:ident,) => {
        ::std::sync::Arc::clone(&$first)
    };
    ($first:ident, $second:expr) => {
        $second
    };
}

/// Runs every case of [`token_store_tests!`](crate::token_store_tests) in a row against
/// one store, for a test that checks the store afterwards (a file store holding an empty
/// document once the suite cleaned up). Prefer the macro: it reports each case on its own.
///
/// ```no_run
/// # #[derive(Debug)] struct MyStore;
/// # #[auth_core::async_trait] impl auth_core::TokenStore for MyStore {
/// #   fn describe(&self) -> String { String::new() }
/// #   async fn load(&self, _: &auth_core::TokenKey) -> auth_core::Result<Option<auth_core::Token>> { Ok(None) }
/// #   async fn save(&self, _: &auth_core::TokenKey, _: &auth_core::Token) -> auth_core::Result<()> { Ok(()) }
/// #   async fn delete(&self, _: &auth_core::TokenKey) -> auth_core::Result<bool> { Ok(false) }
/// # }
/// #[test]
/// fn the_whole_suite_on_one_store() {
///     pollster::block_on(auth_testkit::token_store(std::sync::Arc::new(MyStore)));
/// }
/// ```
pub async fn token_store<S: TokenStore + Debug + 'static>(store: Arc<S>) {
    macro_rules! run {
        (pair $case:ident) => {
            cases::$case(Arc::clone(&store), Arc::clone(&store)).await
        };
        ($case:ident) => {
            cases::$case(Arc::clone(&store)).await
        };
    }
    crate::__token_store_cases!(run,);
}

/// The cases, public for [`token_store_tests!`](crate::token_store_tests).
pub mod cases {
    use super::*;

    /// Keys unique to one case in one run.
    struct Run(String);

    impl Run {
        fn new(case: &str) -> Self {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            Run(format!("conformance-{case}-{}-{nanos}", std::process::id()))
        }

        fn key(&self, account: &str, client: &str) -> TokenKey {
            TokenKey::new(&self.0, account, client)
        }
    }

    /// A missing key loads as `None` and deletes as `false`.
    pub async fn missing_key_loads_as_none<S: TokenStore + Debug + 'static>(store: Arc<S>) {
        let key = Run::new("missing").key("ana", "client-1");
        assert_eq!(
            store.load(&key).await.expect("load of a missing key"),
            None,
            "a missing key must load as None"
        );
        assert!(
            !store.delete(&key).await.expect("delete of a missing key"),
            "deleting a missing key must return false"
        );
    }

    /// A token with every field set loads back equal.
    pub async fn a_full_token_round_trips<S: TokenStore + Debug + 'static>(store: Arc<S>) {
        let key = Run::new("full").key("ana", "client-1");
        let full = full_token("AT-ünïcødé-🔑", 8 * 1024);
        store.save(&key, &full).await.expect("save");
        assert_eq!(
            store.load(&key).await.expect("load").as_ref(),
            Some(&full),
            "a saved token must load back equal"
        );
        store.delete(&key).await.expect("cleanup delete");
    }

    /// OAuth 1 and JWT tokens load back equal.
    pub async fn every_token_kind_round_trips<S: TokenStore + Debug + 'static>(store: Arc<S>) {
        let run = Run::new("kinds");
        for kind in [
            TokenKind::OAuth1 {
                token_secret: Secret::new("oauth1-token-secret"),
            },
            TokenKind::Jwt {
                source: Some(Box::new(full_token("source", 16))),
            },
        ] {
            let k = run.key(&format!("kind-{}", kind.name()), "client-1");
            let mut token = Token::bearer("kind-token");
            token.kind = kind;
            store.save(&k, &token).await.expect("save");
            assert_eq!(
                store.load(&k).await.expect("load"),
                Some(token),
                "token kinds must round-trip"
            );
            assert!(store.delete(&k).await.expect("delete"));
        }
    }

    /// A second save of a key replaces the first token.
    pub async fn a_second_save_overwrites<S: TokenStore + Debug + 'static>(store: Arc<S>) {
        let key = Run::new("overwrite").key("ana", "client-1");
        store
            .save(&key, &full_token("AT-first", 64))
            .await
            .expect("save");
        let newer = second_token();
        store.save(&key, &newer).await.expect("second save");
        assert_eq!(
            store.load(&key).await.expect("load"),
            Some(newer),
            "a second save must overwrite"
        );
        store.delete(&key).await.expect("cleanup delete");
    }

    /// Keys differing only in provider, account or client id never see each other's
    /// token.
    pub async fn keys_are_isolated<S: TokenStore + Debug + 'static>(store: Arc<S>) {
        let run = Run::new("isolation");
        let key = run.key("ana", "client-1");
        let newer = second_token();
        store.save(&key, &newer).await.expect("save");
        let other_account = run.key("bob", "client-1");
        let other_client = run.key("ana", "client-2");
        let other_provider = TokenKey::new(format!("{}-other", run.0), "ana", "client-1");
        for other in [&other_account, &other_client, &other_provider] {
            assert_eq!(
                store.load(other).await.expect("load"),
                None,
                "{other} must not see {key}'s token"
            );
        }
        store
            .save(&other_account, &Token::bearer("AT-bob"))
            .await
            .expect("save");
        store
            .save(&other_client, &Token::bearer("AT-client-2"))
            .await
            .expect("save");
        assert_eq!(
            store.load(&key).await.expect("load"),
            Some(newer),
            "saving other keys must not touch this one"
        );
        assert_eq!(
            store
                .load(&other_account)
                .await
                .expect("load")
                .map(|t| t.access_token),
            Some(Secret::new("AT-bob"))
        );
        assert!(store.delete(&other_account).await.expect("delete"));
        assert_eq!(
            store
                .load(&other_client)
                .await
                .expect("load")
                .map(|t| t.access_token),
            Some(Secret::new("AT-client-2"))
        );
        assert!(store.delete(&other_client).await.expect("delete"));
        store.delete(&key).await.expect("cleanup delete");
    }

    /// 16 saves of different keys from 16 threads all survive.
    pub async fn concurrent_saves_all_survive<S: TokenStore + Debug + 'static>(store: Arc<S>) {
        let run = Run::new("concurrency");
        let keys: Vec<TokenKey> = (0..16)
            .map(|i| run.key(&format!("thread-{i}"), "client-1"))
            .collect();
        std::thread::scope(|scope| {
            for (i, k) in keys.iter().enumerate() {
                let store = Arc::clone(&store);
                scope.spawn(move || {
                    pollster::block_on(store.save(k, &Token::bearer(format!("AT-thread-{i}"))))
                        .expect("concurrent save");
                });
            }
        });
        for (i, k) in keys.iter().enumerate() {
            let loaded = store.load(k).await.expect("load after concurrent saves");
            assert_eq!(
                loaded.map(|t| t.access_token.expose().to_owned()),
                Some(format!("AT-thread-{i}")),
                "concurrent save of {k} was lost"
            );
        }
        for k in &keys {
            store.delete(k).await.expect("cleanup delete");
        }
    }

    /// Neither `Debug` of the store nor `describe()` shows a secret it holds.
    pub async fn no_secret_in_debug_or_describe<S: TokenStore + Debug + 'static>(store: Arc<S>) {
        let run = Run::new("debug");
        let key = run.key("ana", "client-1");
        let thread = run.key("thread-3", "client-1");
        store.save(&key, &second_token()).await.expect("save");
        store
            .save(&thread, &Token::bearer("AT-thread-3"))
            .await
            .expect("save");
        let shown = format!(
            "{store:?} {} {:?}",
            store.describe(),
            store.load(&key).await.expect("load")
        );
        for secret in ["AT-second", "RT-second", "AT-thread-3"] {
            assert!(
                !shown.contains(secret),
                "a secret appears in Debug/describe output: {shown}"
            );
        }
        store.delete(&key).await.expect("cleanup delete");
        store.delete(&thread).await.expect("cleanup delete");
    }

    /// Delete of a stored key returns `true`, and the key then loads as `None`.
    pub async fn delete_removes<S: TokenStore + Debug + 'static>(store: Arc<S>) {
        let key = Run::new("delete").key("ana", "client-1");
        store.save(&key, &second_token()).await.expect("save");
        assert!(
            store.delete(&key).await.expect("delete"),
            "delete of a stored key must return true"
        );
        assert_eq!(
            store.load(&key).await.expect("load after delete"),
            None,
            "a deleted key must load as None"
        );
    }

    /// `keys` lists every account and client id of one provider, and no other's.
    pub async fn keys_lists_a_providers_keys<S: TokenStore + Debug + 'static>(
        store: Arc<S>,
        second: Arc<S>,
    ) {
        let run = Run::new("keys");
        let mut mine = vec![
            run.key("ana", "client-1"),
            run.key("bob", "client-1"),
            run.key("ana", "client-2"),
        ];
        let other = TokenKey::new(format!("{}-other", run.0), "ana", "client-1");
        for k in mine.iter().chain([&other]) {
            store
                .save(k, &Token::bearer("AT-keys"))
                .await
                .expect("save");
        }
        let mut listed = second.keys(&run.0).await.expect("keys");
        listed.sort();
        mine.sort();
        assert_eq!(
            listed, mine,
            "keys(provider) must list exactly that provider's keys"
        );
        assert!(store.delete(&mine[0]).await.expect("delete"));
        let listed = second.keys(&run.0).await.expect("keys after delete");
        assert_eq!(listed.len(), 2, "a deleted key must no longer be listed");
        for k in mine.iter().skip(1).chain([&other]) {
            store.delete(k).await.expect("cleanup delete");
        }
        assert!(
            store.keys(&run.0).await.expect("keys").is_empty(),
            "no keys must be listed once all are deleted"
        );
    }

    /// The active account of a provider is remembered, changed, cleared, and seen by a
    /// second instance.
    pub async fn active_account_is_remembered<S: TokenStore + Debug + 'static>(
        store: Arc<S>,
        second: Arc<S>,
    ) {
        let run = Run::new("active");
        let other = format!("{}-other", run.0);
        assert_eq!(store.active_account(&run.0).await.expect("active"), None);
        store
            .set_active_account(&run.0, Some("ana"))
            .await
            .expect("set active");
        store
            .set_active_account(&other, Some("zoe"))
            .await
            .expect("set active");
        assert_eq!(
            second
                .active_account(&run.0)
                .await
                .expect("active")
                .as_deref(),
            Some("ana"),
            "the active account must be seen by a second instance"
        );
        second
            .set_active_account(&run.0, Some("bob"))
            .await
            .expect("change active");
        assert_eq!(
            store
                .active_account(&run.0)
                .await
                .expect("active")
                .as_deref(),
            Some("bob")
        );
        // `load_active`: the active account's key and its token, together.
        let key_of = |account: &str| run.key(account, "client-1");
        let bob = key_of("bob");
        store
            .save(&bob, &Token::bearer("bob-token"))
            .await
            .expect("save");
        let (key, token) = second
            .load_active(&run.0, &key_of)
            .await
            .expect("load active")
            .expect("an active account");
        assert_eq!(key, bob, "load_active must name the active account's key");
        assert_eq!(
            token.map(|t| t.access_token.expose().to_owned()).as_deref(),
            Some("bob-token"),
            "load_active must return the active account's token"
        );
        store.delete(&bob).await.expect("delete");
        let (key, token) = second
            .load_active(&run.0, &key_of)
            .await
            .expect("load active")
            .expect("an active account");
        assert_eq!(key, bob);
        assert!(
            token.is_none(),
            "an active account without a token has none"
        );
        store
            .set_active_account(&run.0, None)
            .await
            .expect("clear active");
        assert_eq!(second.active_account(&run.0).await.expect("active"), None);
        assert!(
            second
                .load_active(&run.0, &key_of)
                .await
                .expect("load active")
                .is_none(),
            "no active account: load_active has nothing"
        );
        assert_eq!(
            second
                .active_account(&other)
                .await
                .expect("active")
                .as_deref(),
            Some("zoe"),
            "providers' active accounts are independent"
        );
        store
            .set_active_account(&other, None)
            .await
            .expect("cleanup");
    }

    /// Compare-and-set writes only over the revision it was given.
    pub async fn save_if_refuses_a_stale_revision<S: TokenStore + Debug + 'static>(
        store: Arc<S>,
        second: Arc<S>,
    ) {
        let key = Run::new("cas").key("ana", "client-1");
        assert_eq!(store.load_versioned(&key).await.expect("load"), None);
        let first = store
            .save_if(&key, &Token::bearer("AT-1"), None)
            .await
            .expect("save_if")
            .expect("save_if(None) on an empty key must write");
        assert_eq!(
            store
                .save_if(&key, &Token::bearer("AT-x"), None)
                .await
                .expect("save_if"),
            None,
            "save_if(None) must not overwrite a stored token"
        );
        let read = second
            .load_versioned(&key)
            .await
            .expect("load_versioned")
            .expect("a stored token");
        assert_eq!(
            (read.token.clone(), read.revision),
            (Token::bearer("AT-1"), first)
        );
        let newer = second
            .save_if(&key, &Token::bearer("AT-2"), Some(first))
            .await
            .expect("save_if")
            .expect("save_if over the current revision must write");
        assert_ne!(newer, first, "a write must change the revision");
        assert_eq!(
            store
                .save_if(&key, &Token::bearer("AT-late"), Some(first))
                .await
                .expect("save_if"),
            None,
            "a writer holding a stale revision must be refused"
        );
        assert_eq!(
            store.load(&key).await.expect("load"),
            Some(Token::bearer("AT-2")),
            "a refused save_if must write nothing"
        );
        store
            .save(&key, &Token::bearer("AT-3"))
            .await
            .expect("save");
        let after_save = store
            .load_versioned(&key)
            .await
            .expect("load")
            .expect("a stored token");
        assert_ne!(
            after_save.revision, newer,
            "a plain save must change the revision"
        );
        assert_eq!(
            store
                .save_if(&key, &Token::bearer("AT-late"), Some(newer))
                .await
                .expect("save_if"),
            None
        );
        assert!(store.delete(&key).await.expect("delete"));
        assert_eq!(
            store
                .save_if(&key, &Token::bearer("AT-late"), Some(after_save.revision))
                .await
                .expect("save_if"),
            None,
            "save_if over a deleted token must be refused"
        );
        assert_eq!(store.load(&key).await.expect("load"), None);
    }

    /// While one instance holds a key's lock, another waits, gives up at the bound with
    /// an error naming the key, and may still lock other keys.
    pub async fn a_lock_excludes_a_second_instance<S: TokenStore + Debug + 'static>(
        store: Arc<S>,
        second: Arc<S>,
    ) {
        let run = Run::new("lock");
        let key = run.key("ana", "client-1");
        let held = store
            .lock(&key, Duration::from_secs(5))
            .await
            .expect("lock a free key");
        let started = std::time::Instant::now();
        let err = second
            .lock(&key, Duration::from_millis(300))
            .await
            .expect_err("a held lock must not be taken by a second instance");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(250),
            "the waiter must wait up to its bound, waited {waited:?}"
        );
        assert!(
            waited < Duration::from_secs(5),
            "the waiter must give up near its bound, waited {waited:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("ana") && message.contains("lock"),
            "the error at the bound must name the key and the lock: {message}"
        );
        let other = second
            .lock(&run.key("bob", "client-1"), Duration::from_secs(5))
            .await
            .expect("another key's lock must be free");
        drop(other);
        drop(held);
    }

    /// Dropping the lock lets a waiter in, at once or while it waits.
    pub async fn a_dropped_lock_is_free_again<S: TokenStore + Debug + 'static>(
        store: Arc<S>,
        second: Arc<S>,
    ) {
        let key = Run::new("relock").key("ana", "client-1");
        let held = store
            .lock(&key, Duration::from_secs(5))
            .await
            .expect("lock");
        drop(held);
        let again = second
            .lock(&key, Duration::from_secs(5))
            .await
            .expect("a dropped lock must be free again");
        // Release from another thread while the first instance waits.
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(again);
        });
        let started = std::time::Instant::now();
        let relocked = store
            .lock(&key, Duration::from_secs(10))
            .await
            .expect("a waiter must get the lock once it is dropped");
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the waiter must get the lock soon after it is dropped"
        );
        releaser.join().expect("releaser thread");
        drop(relocked);
    }

    fn second_token() -> Token {
        Token::bearer("AT-second").with_refresh_token("RT-second")
    }

    fn full_token(access: &str, big: usize) -> Token {
        let mut token = Token::bearer(format!("{access}-{}", "x".repeat(big)))
            .expiring_at(UNIX_EPOCH + Duration::from_secs(1_900_000_000))
            .with_refresh_token(format!("RT-{}", "é".repeat(big / 2)));
        token.token_type = "bearer".into();
        token.scopes = vec!["read".into(), "write:all".into(), "日本".into()];
        token.id_token = Some(Secret::new("id.token.value"));
        let mut extra = BTreeMap::new();
        extra.insert("user_id".to_owned(), serde_json::json!(42));
        extra.insert(
            "nested".to_owned(),
            serde_json::json!({"a": [1, "two", null]}),
        );
        token.extra = extra;
        token
    }
}
