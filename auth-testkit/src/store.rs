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
/// - `delete_removes`: delete returns `true`, and the key then loads as `None`.
///
/// Invoke it inside a module (the tests are named by case, so two stores need two
/// modules) with an expression building the store under test
/// (`TokenStore + Debug + 'static`). The expression is evaluated once per test, so every
/// case gets a fresh store. The long form, `store: EXPR` after the extras, adds:
///
/// - attributes put on every test, such as `#[ignore = "needs a keyring"]` for a store
///   that needs a real service;
/// - `let` statements run at the start of every test, for what the store needs to outlive
///   it (a temporary directory).
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
/// ```
#[macro_export]
macro_rules! token_store_tests {
    (
        $(#[$attr:meta])*
        $(let $guard:pat = $init:expr;)*
        store: $make:expr $(,)?
    ) => {
        $crate::__token_store_cases!(
            $crate::__token_store_test,
            [$(#[$attr])*] [$(let $guard = $init;)*] [$make]
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
    };
}

/// One test of [`token_store_tests!`](crate::token_store_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __token_store_test {
    ([$(#[$attr:meta])*] [$($setup:tt)*] [$make:expr] $case:ident) => {
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
