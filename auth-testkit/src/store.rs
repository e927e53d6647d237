//! The [`token_store`] suite.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::{Secret, Token, TokenKey, TokenKind, TokenStore};

/// Runs the token store contract against `store`:
///
/// - a missing key loads as `None`, deletes as `false`;
/// - a token with every field set (unicode, 8 KiB values, OAuth 1 and JWT kinds) loads
///   back equal;
/// - a second save overwrites; delete removes;
/// - keys differing only in provider, account or client id are isolated;
/// - 16 concurrent saves of different keys, from 16 threads, all survive;
/// - neither `Debug` of the store nor `describe()` shows a secret.
///
/// Keys are unique to the run (provider `conformance-<pid>-<nanos>`) and deleted at the
/// end, so a shared store (a real keyring) can run it.
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
/// fn conformance() {
///     pollster::block_on(auth_testkit::token_store(std::sync::Arc::new(MyStore)));
/// }
/// ```
pub async fn token_store<S: TokenStore + Debug + 'static>(store: Arc<S>) {
    let run = format!(
        "conformance-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let key = TokenKey::new(&run, "ana", "client-1");

    // missing
    assert_eq!(
        store.load(&key).await.expect("load of a missing key"),
        None,
        "a missing key must load as None"
    );
    assert!(
        !store.delete(&key).await.expect("delete of a missing key"),
        "deleting a missing key must return false"
    );

    // round trip with every field
    let full = full_token("AT-ünïcødé-🔑", 8 * 1024);
    store.save(&key, &full).await.expect("save");
    assert_eq!(
        store.load(&key).await.expect("load").as_ref(),
        Some(&full),
        "a saved token must load back equal"
    );

    for kind in [
        TokenKind::OAuth1 {
            token_secret: Secret::new("oauth1-token-secret"),
        },
        TokenKind::Jwt {
            source: Some(Box::new(full_token("source", 16))),
        },
    ] {
        let k = TokenKey::new(&run, format!("kind-{}", kind.name()), "client-1");
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

    // overwrite
    let newer = Token::bearer("AT-second").with_refresh_token("RT-second");
    store.save(&key, &newer).await.expect("second save");
    assert_eq!(
        store.load(&key).await.expect("load"),
        Some(newer.clone()),
        "a second save must overwrite"
    );

    // isolation
    let other_account = TokenKey::new(&run, "bob", "client-1");
    let other_client = TokenKey::new(&run, "ana", "client-2");
    let other_provider = TokenKey::new(format!("{run}-other"), "ana", "client-1");
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
        Some(newer.clone()),
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

    // concurrency: 16 threads, 16 keys
    let keys: Vec<TokenKey> = (0..16)
        .map(|i| TokenKey::new(&run, format!("thread-{i}"), "client-1"))
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

    // no secret in Debug or describe
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

    // delete
    assert!(
        store.delete(&key).await.expect("delete"),
        "delete of a stored key must return true"
    );
    assert_eq!(
        store.load(&key).await.expect("load after delete"),
        None,
        "a deleted key must load as None"
    );
    for k in &keys {
        store.delete(k).await.expect("cleanup delete");
    }
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
