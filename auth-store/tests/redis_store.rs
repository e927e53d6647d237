//! `RedisStore` against a real `redis-server`: the token store suite, encryption at rest,
//! compare-and-set, the leased lock across instances and processes, and outages.
//!
//! The tests are ignored by default. The shared ones read the server's URL from
//! `AUTHCTL_TEST_REDIS_URL` (`cargo xtask conformance` starts a server and sets it); the
//! outage tests start a private `redis-server` of their own, because they stop it.

#![cfg(feature = "redis")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use std::time::{Duration, Instant};

use auth_core::{Secret, Token, TokenKey, TokenStore};
use auth_store::{RedisStore, StoreKey};
use auth_testkit::RedisServer;

const PREFIX: &str = "authctl-test";

fn url() -> String {
    std::env::var("AUTHCTL_TEST_REDIS_URL")
        .expect("AUTHCTL_TEST_REDIS_URL must name a redis-server (redis://127.0.0.1:PORT/0)")
}

fn key_a() -> StoreKey {
    StoreKey::from_bytes([0xA5; 32])
}

fn store_at(url: &str, key: Option<StoreKey>) -> RedisStore {
    let builder = RedisStore::builder(url)
        .prefix(PREFIX)
        .lease(Duration::from_millis(900));
    match key {
        Some(k) => builder.key(k),
        None => builder,
    }
    .build()
    .expect("build the store")
}

fn store() -> RedisStore {
    store_at(&url(), Some(key_a()))
}

/// A key no other test or run uses.
fn unique(case: &str) -> TokenKey {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    TokenKey::new(
        format!("{case}-{}-{nanos}", std::process::id()),
        "ana:{x}",
        "app-1",
    )
}

fn raw() -> redis::Connection {
    redis::Client::open(url().as_str())
        .unwrap()
        .get_connection()
        .expect("a plain connection to the test server")
}

fn token_key_name(key: &TokenKey) -> String {
    let mut conn = raw();
    let pattern = format!("{PREFIX}:{{*}}:token");
    let names: Vec<String> = redis::cmd("KEYS").arg(pattern).query(&mut conn).unwrap();
    let provider: String = key
        .provider
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-~@+".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    names
        .into_iter()
        .find(|n| n.contains(&format!("{{{provider}:")))
        .expect("the token's Redis key")
}

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    pollster::block_on(f)
}

fn full() -> Token {
    Token::bearer("AT-plaintext-must-not-show")
        .with_refresh_token("RT-plaintext-must-not-show")
        .expiring_at(std::time::UNIX_EPOCH + Duration::from_secs(2_000_000_000))
}

mod conformance {
    use super::*;
    auth_testkit::token_store_tests!(
        #[ignore = "needs redis-server: set AUTHCTL_TEST_REDIS_URL (cargo xtask conformance does)"]
        store: store(),
        second: store(),
    );
}

#[test]
#[ignore = "needs redis-server: set AUTHCTL_TEST_REDIS_URL (cargo xtask conformance does)"]
fn values_in_redis_are_encrypted_and_tagged() {
    let store = store();
    let key = unique("sealed");
    block(store.save(&key, &full())).unwrap();
    let name = token_key_name(&key);
    assert!(
        name.starts_with(&format!("{PREFIX}:{{")) && name.ends_with("}:token"),
        "{name}"
    );
    assert_eq!(name.matches('{').count(), 1, "one hash tag: {name}");
    let mut conn = raw();
    let values: Vec<Vec<u8>> = redis::cmd("HVALS").arg(&name).query(&mut conn).unwrap();
    let all: Vec<u8> = values.concat();
    for secret in [
        "AT-plaintext-must-not-show",
        "RT-plaintext-must-not-show",
        "access_token",
    ] {
        assert!(
            !all.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is readable in Redis"
        );
    }
    // two writes of one token never look alike (a fresh nonce each time)
    let before: Vec<u8> = redis::cmd("HGET")
        .arg(&name)
        .arg("data")
        .query(&mut conn)
        .unwrap();
    block(store.save(&key, &full())).unwrap();
    let after: Vec<u8> = redis::cmd("HGET")
        .arg(&name)
        .arg("data")
        .query(&mut conn)
        .unwrap();
    assert_ne!(before, after);
    assert_eq!(block(store.load(&key)).unwrap(), Some(full()));
    block(store.delete(&key)).unwrap();
}

#[test]
#[ignore = "needs redis-server: set AUTHCTL_TEST_REDIS_URL (cargo xtask conformance does)"]
fn a_wrong_key_fails_clearly_and_destroys_nothing() {
    let good = store();
    let wrong = store_at(&url(), Some(StoreKey::from_bytes([0x5A; 32])));
    let key = unique("wrongkey");
    block(good.save(&key, &full())).unwrap();
    let name = token_key_name(&key);
    for err in [
        block(wrong.load(&key)).unwrap_err(),
        block(wrong.save(&key, &Token::bearer("other"))).unwrap_err(),
    ] {
        let text = err.to_string();
        assert!(text.contains(&name), "names the key: {text}");
        assert!(text.contains("does not decrypt"), "{text}");
        assert!(!text.contains("AT-plaintext"), "{text}");
    }
    assert_eq!(
        block(good.load(&key)).unwrap(),
        Some(full()),
        "the token survived"
    );
    block(good.delete(&key)).unwrap();
}

#[test]
#[ignore = "needs redis-server: set AUTHCTL_TEST_REDIS_URL (cargo xtask conformance does)"]
fn a_value_copied_to_another_key_or_changed_does_not_decrypt() {
    let store = store();
    let (from, to) = (unique("copyfrom"), unique("copyto"));
    block(store.save(&from, &full())).unwrap();
    block(store.save(&to, &Token::bearer("AT-to"))).unwrap();
    let (from_name, to_name) = (token_key_name(&from), token_key_name(&to));
    let mut conn = raw();
    let data: Vec<u8> = redis::cmd("HGET")
        .arg(&from_name)
        .arg("data")
        .query(&mut conn)
        .unwrap();
    let _: () = redis::cmd("HSET")
        .arg(&to_name)
        .arg("data")
        .arg(&data)
        .query(&mut conn)
        .unwrap();
    let err = block(store.load(&to)).unwrap_err().to_string();
    assert!(
        err.contains(&to_name) && err.contains("does not decrypt"),
        "{err}"
    );
    let mut flipped = data.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let _: () = redis::cmd("HSET")
        .arg(&from_name)
        .arg("data")
        .arg(&flipped)
        .query(&mut conn)
        .unwrap();
    let err = block(store.load(&from)).unwrap_err().to_string();
    assert!(
        err.contains(&from_name) && err.contains("does not decrypt"),
        "{err}"
    );
    block(store.delete(&from)).unwrap();
    block(store.delete(&to)).unwrap();
}

#[test]
#[ignore = "needs redis-server: set AUTHCTL_TEST_REDIS_URL (cargo xtask conformance does)"]
fn without_a_key_tokens_are_neither_written_nor_read() {
    let keyless = store_at(&url(), None);
    let key = unique("nokey");
    let err = block(keyless.save(&key, &full())).unwrap_err().to_string();
    assert!(err.contains("head -c 32 /dev/urandom | base64"), "{err}");
    assert!(err.contains("encryption key"), "{err}");
    block(store().save(&key, &full())).unwrap();
    let err = block(keyless.load(&key)).unwrap_err().to_string();
    assert!(err.contains("head -c 32 /dev/urandom | base64"), "{err}");
    assert!(keyless.describe().contains("no encryption key"));
    // names hold no secret: listing and deleting work without the key
    assert_eq!(
        block(keyless.keys(&key.provider)).unwrap(),
        vec![key.clone()]
    );
    assert!(block(keyless.delete(&key)).unwrap());
}

#[test]
#[ignore = "needs redis-server: set AUTHCTL_TEST_REDIS_URL (cargo xtask conformance does)"]
fn a_stale_revision_is_refused() {
    let store = store();
    let key = unique("cas");
    assert_eq!(block(store.load_versioned(&key)).unwrap(), None);
    let first = block(store.save_if(&key, &Token::bearer("AT-1"), None))
        .unwrap()
        .expect("nothing stored yet: written");
    assert_eq!(
        block(store.save_if(&key, &Token::bearer("AT-x"), None)).unwrap(),
        None,
        "expected nothing, found a token: refused"
    );
    let second = block(store.save_if(&key, &Token::bearer("AT-2"), Some(first)))
        .unwrap()
        .expect("current revision: written");
    assert_ne!(first, second);
    assert_eq!(
        block(store.save_if(&key, &Token::bearer("AT-late"), Some(first))).unwrap(),
        None,
        "a late writer must not overwrite a newer token"
    );
    let now = block(store.load_versioned(&key)).unwrap().unwrap();
    assert_eq!((now.token, now.revision), (Token::bearer("AT-2"), second));
    // a revision is not reused after a delete
    block(store.delete(&key)).unwrap();
    let third = block(store.save_if(&key, &Token::bearer("AT-3"), None))
        .unwrap()
        .unwrap();
    assert!(third > second);
    assert_eq!(
        block(store.save_if(&key, &Token::bearer("AT-x"), Some(second))).unwrap(),
        None
    );
    block(store.delete(&key)).unwrap();
}

#[test]
#[ignore = "needs redis-server: set AUTHCTL_TEST_REDIS_URL (cargo xtask conformance does)"]
fn keys_list_one_profile_and_the_active_account_is_kept() {
    let store = store();
    let base = unique("keys");
    let p = base.provider.clone();
    let keys = [
        TokenKey::new(&p, "ana", "app-1"),
        TokenKey::new(&p, "b:o}b{", "app-2"),
        TokenKey::new(format!("{p}x"), "ana", "app-1"),
    ];
    for k in &keys {
        block(store.save(k, &Token::bearer("t"))).unwrap();
    }
    let mut listed = block(store.keys(&p)).unwrap();
    listed.sort();
    let mut expected = keys[..2].to_vec();
    expected.sort();
    assert_eq!(listed, expected);
    assert_eq!(block(store.active_account(&p)).unwrap(), None);
    block(store.set_active_account(&p, Some("b:o}b{"))).unwrap();
    assert_eq!(
        block(store_at(&url(), None).active_account(&p))
            .unwrap()
            .as_deref(),
        Some("b:o}b{")
    );
    block(store.set_active_account(&p, None)).unwrap();
    assert_eq!(block(store.active_account(&p)).unwrap(), None);
    for k in &keys {
        block(store.delete(k)).unwrap();
    }
}

#[test]
#[ignore = "needs redis-server: set AUTHCTL_TEST_REDIS_URL (cargo xtask conformance does)"]
fn the_lock_excludes_another_instance_and_is_renewed_while_held() {
    let (a, b) = (store(), store());
    let key = unique("lock");
    let held = block(a.lock(&key, Duration::from_secs(1))).unwrap();
    assert!(format!("{held:?}").contains("redis lock"));
    // longer than the 900 ms lease: only renewal keeps it held
    let start = Instant::now();
    let err = block(b.lock(&key, Duration::from_millis(2000)))
        .unwrap_err()
        .to_string();
    assert!(start.elapsed() >= Duration::from_millis(1900));
    assert!(err.contains("held by another process or machine"), "{err}");
    drop(held);
    let start = Instant::now();
    let again = block(b.lock(&key, Duration::from_secs(5))).unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "released on drop"
    );
    drop(again);
}

/// Not a test on its own: the child process of `a_killed_holder_frees_the_lock_within_the_lease`
/// (takes the lock, says so, then waits to be killed).
#[test]
#[ignore = "a child process of another test"]
fn lock_holder_child() {
    let Ok(provider) = std::env::var("REDIS_LOCK_CHILD_PROVIDER") else {
        return;
    };
    let key = TokenKey::new(provider, "ana:{x}", "app-1");
    let held = block(store().lock(&key, Duration::from_secs(5))).unwrap();
    println!("LOCKED");
    std::thread::sleep(Duration::from_secs(60));
    drop(held);
}

#[test]
#[ignore = "needs redis-server: set AUTHCTL_TEST_REDIS_URL (cargo xtask conformance does)"]
fn a_killed_holder_frees_the_lock_within_the_lease() {
    let key = unique("killed");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "lock_holder_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("REDIS_LOCK_CHILD_PROVIDER", &key.provider)
        .env("AUTHCTL_TEST_REDIS_URL", url())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains("LOCKED"))),
        "the child took the lock"
    );
    let other = store();
    assert!(
        block(other.lock(&key, Duration::from_millis(1200))).is_err(),
        "held while alive"
    );
    child.kill().unwrap(); // SIGKILL: no release, no renewal
    child.wait().unwrap();
    let start = Instant::now();
    let held = block(other.lock(&key, Duration::from_secs(5))).expect("freed by the lease");
    assert!(
        start.elapsed() <= Duration::from_millis(1100),
        "within one lease: {:?}",
        start.elapsed()
    );
    drop(held);
}

#[test]
fn no_password_in_describe_debug_or_errors() {
    let store = RedisStore::builder("redis://user:s3cr3t-pw@127.0.0.1:1/0")
        .key(key_a())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let with_env_password = RedisStore::builder("redis://127.0.0.1:1/0")
        .password(Secret::new("env-pw-s3cr3t"))
        .build()
        .unwrap();
    let err = block(store.load(&unique("pw"))).unwrap_err().to_string();
    let err2 = block(with_env_password.keys("p")).unwrap_err().to_string();
    let shown = format!(
        "{store:?} {} {err} {with_env_password:?} {err2}",
        store.describe()
    );
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(
        err.contains("Redis") && err.contains("redis://user@127.0.0.1:1/0"),
        "{err}"
    );
    assert!(err.contains("never falls back"), "{err}");
    let bad = RedisStore::builder("nonsense://:s3cr3t@x")
        .build()
        .unwrap_err()
        .to_string();
    assert!(!bad.contains("s3cr3t"), "{bad}");
}

#[test]
#[ignore = "needs the redis-server program (cargo xtask conformance installs it)"]
fn redis_stopped_is_a_clear_error_and_back_works_again() {
    let mut server = RedisServer::start().unwrap();
    let store = store_at(&server.url(), Some(key_a()));
    let key = unique("outage");
    block(store.save(&key, &full())).unwrap();
    server.stop();
    for err in [
        block(store.load(&key)).unwrap_err(),
        block(store.save(&key, &full())).unwrap_err(),
        block(store.lock(&key, Duration::from_millis(100))).unwrap_err(),
    ] {
        let text = err.to_string();
        assert!(
            text.contains("cannot reach Redis at") && text.contains(&server.url()),
            "{text}"
        );
    }
    server.restart().unwrap();
    block(store.save(&key, &full())).expect("Redis is back: the same store works again");
    assert_eq!(block(store.load(&key)).unwrap(), Some(full()));
}

#[test]
#[ignore = "needs the redis-server program (cargo xtask conformance installs it)"]
fn a_password_from_the_environment_is_used_and_never_shown() {
    let server = RedisServer::start().unwrap();
    let mut conn = redis::Client::open(server.url().as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("pw-from-env-123")
        .query(&mut conn)
        .unwrap();
    let good = RedisStore::builder(server.url())
        .password(Secret::new("pw-from-env-123"))
        .key(key_a())
        .build()
        .unwrap();
    block(good.ping()).unwrap();
    let wrong = RedisStore::builder(server.url().replace("redis://", "redis://:pw-wrong-456@"))
        .build()
        .unwrap();
    let err = block(wrong.ping()).unwrap_err().to_string();
    assert!(
        err.contains("refused the credentials") && !err.contains("pw-wrong-456"),
        "{err}"
    );
}

#[cfg(feature = "redis-tokio")]
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs redis-server: set AUTHCTL_TEST_REDIS_URL (cargo xtask conformance does)"]
async fn inside_tokio_the_async_connection_passes_the_suite() {
    use std::sync::Arc;
    let store = Arc::new(store());
    auth_testkit::token_store(Arc::clone(&store)).await;
    let key = unique("tokio");
    let held = store.lock(&key, Duration::from_secs(1)).await.unwrap();
    assert!(store.lock(&key, Duration::from_millis(100)).await.is_err());
    drop(held);
    store.lock(&key, Duration::from_secs(1)).await.unwrap();
}
