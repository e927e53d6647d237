//! `RedisStore` over `rediss://`: a CA that cannot be used is a clear error when the
//! store is built; against a real `redis-server` with a self-signed certificate, tokens
//! round-trip over both connections with the CA given, and without it the connection
//! fails with an error that names the URL and no password.
//!
//! The server tests are ignored by default: `cargo xtask conformance` starts a TLS
//! `redis-server` and sets `AUTHCTL_TEST_REDIS_TLS_URL` (its `rediss://` URL) and
//! `AUTHCTL_TEST_REDIS_CA_FILE` (the PEM certificate to trust).

#![cfg(feature = "redis")]

use auth_core::{Error, Token, TokenKey, TokenStore};
use auth_store::{RedisStore, StoreKey};

const NEEDS: &str = "AUTHCTL_TEST_REDIS_TLS_URL and AUTHCTL_TEST_REDIS_CA_FILE";

fn tls_url() -> String {
    std::env::var("AUTHCTL_TEST_REDIS_TLS_URL")
        .unwrap_or_else(|_| panic!("{NEEDS} must name a TLS redis-server and its certificate"))
}

fn ca_file() -> String {
    std::env::var("AUTHCTL_TEST_REDIS_CA_FILE")
        .unwrap_or_else(|_| panic!("{NEEDS} must name a TLS redis-server and its certificate"))
}

/// A key no other test or run uses.
fn unique(case: &str) -> TokenKey {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    TokenKey::new(
        format!("{case}-{}-{nanos}", std::process::id()),
        "ana",
        "app-1",
    )
}

fn token() -> Token {
    Token::bearer("tls-access").with_refresh_token("tls-refresh")
}

/// Saves, loads and deletes a token.
async fn round_trip(store: &RedisStore, case: &str) {
    let key = unique(case);
    store.ping().await.expect("PING over TLS");
    store.save(&key, &token()).await.expect("save over TLS");
    let loaded = store.load(&key).await.expect("load over TLS");
    assert_eq!(loaded, Some(token()));
    assert!(store.delete(&key).await.unwrap());
}

/// The server's URL with a password in it, and the error of a store without the CA.
async fn untrusted() -> (String, Error) {
    let url = tls_url().replacen("rediss://", "rediss://:PASSWORD-tls-9z@", 1);
    let store = RedisStore::builder(&url)
        .key(StoreKey::from_bytes([7; 32]))
        .build()
        .unwrap();
    (
        url,
        store
            .ping()
            .await
            .expect_err("a self-signed server is not trusted"),
    )
}

fn assert_names_the_url_and_no_password(err: &Error) {
    let text = format!("{err} {err:?}");
    let shown = tls_url();
    assert!(text.contains(&shown), "names the URL: {text}");
    assert!(!text.contains("PASSWORD-tls-9z"), "no password: {text}");
    assert!(
        text.contains("TLS certificate of Redis at") && text.contains("is not trusted"),
        "says the certificate is the problem: {text}"
    );
    assert!(
        text.contains("RedisStoreBuilder::ca_file"),
        "says what to do: {text}"
    );
}

#[test]
#[ignore = "needs a TLS redis-server: AUTHCTL_TEST_REDIS_TLS_URL, AUTHCTL_TEST_REDIS_CA_FILE (cargo xtask conformance)"]
fn with_the_ca_file_a_token_round_trips_over_tls() {
    let store = RedisStore::builder(tls_url())
        .ca_file(ca_file())
        .key(StoreKey::from_bytes([7; 32]))
        .build()
        .expect("build the store");
    pollster::block_on(round_trip(&store, "tls-blocking"));
}

#[test]
#[ignore = "needs a TLS redis-server: AUTHCTL_TEST_REDIS_TLS_URL, AUTHCTL_TEST_REDIS_CA_FILE (cargo xtask conformance)"]
fn without_the_ca_the_connection_fails_naming_the_url_and_no_password() {
    let (_, err) = pollster::block_on(untrusted());
    assert_names_the_url_and_no_password(&err);
}

#[cfg(feature = "redis-tokio")]
#[tokio::test]
#[ignore = "needs a TLS redis-server: AUTHCTL_TEST_REDIS_TLS_URL, AUTHCTL_TEST_REDIS_CA_FILE (cargo xtask conformance)"]
async fn inside_tokio_the_async_connection_uses_the_ca_too() {
    let pem = std::fs::read(ca_file()).unwrap();
    let store = RedisStore::builder(tls_url())
        .ca_certificate_pem(pem)
        .key(StoreKey::from_bytes([7; 32]))
        .build()
        .expect("build the store");
    round_trip(&store, "tls-tokio").await;
    let (_, err) = untrusted().await;
    assert_names_the_url_and_no_password(&err);
}

#[test]
fn a_ca_that_cannot_be_used_is_a_clear_error_when_built() {
    let dir = tempfile::tempdir().unwrap();
    let build = |url: &str, file: &std::path::Path| {
        RedisStore::builder(url)
            .ca_file(file)
            .build()
            .expect_err("an unusable CA")
            .to_string()
    };
    let missing = dir.path().join("missing.pem");
    let text = build("rediss://:pw@127.0.0.1:6380/0", &missing);
    assert!(text.contains(&missing.display().to_string()), "{text}");
    assert!(
        text.contains("not usable") && !text.contains("pw@"),
        "{text}"
    );

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let text = build("rediss://127.0.0.1:6380/0", &empty);
    assert!(text.contains("holds no PEM certificate"), "{text}");

    let broken = dir.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let text = build("rediss://127.0.0.1:6380/0", &broken);
    assert!(text.contains("does not parse"), "{text}");

    let text = build("redis://:pw@127.0.0.1:6379/0", &missing);
    assert!(
        text.contains("not rediss://") && !text.contains("pw@"),
        "{text}"
    );
}
