//! The keyring store and source against a real Secret Service.
//!
//! These need a D-Bus session with an unlocked Secret Service (`gnome-keyring-daemon`),
//! so they are ignored by default: `cargo xtask conformance` starts a private one and
//! runs them with `--ignored`. They write only under service names unique to the run
//! (and the default `authctl` service, with keys unique to the run), and clean up.

#![cfg(feature = "keyring")]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_core::{
    CredentialField, CredentialNames, CredentialSource, Credentials, Error, Provider, Secret,
    Token, TokenKey, TokenStore,
};
use auth_store::{ChainSource, KeyringSource, KeyringStore, StaticSource};
use proptest::prelude::*;

/// Set in the child process of `unavailable_without_a_session_bus`.
const CHILD_ENV: &str = "AUTH_STORE_KEYRING_UNAVAILABLE_CHILD";

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn secret_tool(args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("secret-tool (package libsecret-tools) must be installed; cargo xtask installs it");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The token store suite, one test per case, against the Secret Service.
mod token_store_conformance {
    use super::*;
    auth_testkit::token_store_tests!(
        #[ignore = "needs a Secret Service: run cargo xtask conformance"]
        store: KeyringStore::new(),
    );
}

#[test]
#[ignore = "needs a Secret Service: run cargo xtask conformance"]
fn the_probe_answers() {
    let started = Instant::now();
    KeyringStore::new().probe().unwrap();
    assert!(KeyringStore::is_available());
    eprintln!(
        "two probes (connect + lookup): {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
}

proptest! {
    #![proptest_config(common::config(24, "proptest-regressions/secret_service.txt"))]
    #[test]
    #[ignore = "needs a Secret Service: run cargo xtask conformance"]
    fn any_token_round_trips_through_the_secret_service(
        key in common::printable_key(),
        token in common::any_token(),
    ) {
        let store = KeyringStore::new().with_service(unique("authctl-proptest"));
        pollster::block_on(async {
            store.save(&key, &token).await.unwrap();
            prop_assert_eq!(store.load(&key).await.unwrap(), Some(token));
            prop_assert!(store.delete(&key).await.unwrap());
            prop_assert_eq!(store.load(&key).await.unwrap(), None);
            Ok(())
        })?;
    }
}

#[test]
#[ignore = "needs a Secret Service: run cargo xtask conformance"]
fn tokens_are_items_other_tools_can_find() {
    let service = unique("authctl-items");
    let store = KeyringStore::new().with_service(&service);
    let key = TokenKey::new("github", "octocat", "client-1");
    let token = Token::bearer("AT-items").with_refresh_token("RT-items");
    pollster::block_on(store.save(&key, &token)).unwrap();
    // the item has the `service` and `username` attributes every keyring library uses
    let (ok, json) = secret_tool(
        &["lookup", "service", &service, "username", &key.storage_id()],
        None,
    );
    assert!(ok, "secret-tool did not find the token item");
    assert_eq!(Token::from_json(&json).unwrap(), token);
    assert!(pollster::block_on(store.delete(&key)).unwrap());
    let (found, _) = secret_tool(
        &["lookup", "service", &service, "username", &key.storage_id()],
        None,
    );
    assert!(!found, "the item is still there after delete");
}

#[test]
#[ignore = "needs a Secret Service: run cargo xtask conformance"]
fn keyring_source_set_get_delete() {
    let service = unique("authctl:test");
    let source = KeyringSource::new(&service);
    let provider = Provider::new("test");
    assert_eq!(
        pollster::block_on(source.credentials(&provider)).unwrap(),
        Credentials::default()
    );
    let all = Credentials {
        username: Some("ana".into()),
        password: Some(Secret::new("pw-ünï")),
        client_id: Some("app-1".into()),
        client_secret: Some(Secret::new("cs-1")),
    };
    assert_eq!(source.set(&all).unwrap(), CredentialField::ALL.to_vec());
    assert_eq!(
        pollster::block_on(source.credentials(&provider)).unwrap(),
        all
    );

    // setting one field replaces it and leaves the others
    source
        .set(&Credentials {
            password: Some(Secret::new("pw-2")),
            ..Default::default()
        })
        .unwrap();
    let now = pollster::block_on(source.credentials(&provider)).unwrap();
    assert_eq!(now.password.as_ref().map(Secret::expose), Some("pw-2"));
    assert_eq!(now.client_secret.as_ref().map(Secret::expose), Some("cs-1"));

    assert_eq!(source.delete().unwrap(), CredentialField::ALL.to_vec());
    assert_eq!(
        pollster::block_on(source.credentials(&provider)).unwrap(),
        Credentials::default()
    );
    assert!(source.delete().unwrap().is_empty());
}

/// Items written the way pyinaturalist's `set_keyring_credentials` (python-keyring's
/// Secret Service backend) writes them: attributes `service` and `username`.
#[test]
#[ignore = "needs a Secret Service: run cargo xtask conformance"]
fn credentials_written_by_other_tools_are_found() {
    let service = unique("/inaturalist-compat");
    for (user, value) in [
        ("username", "ana"),
        ("password", "pw-from-python"),
        ("app_id", "inat-app"),
        ("app_secret", "inat-secret"),
    ] {
        let label = format!("--label=Password for '{user}' on '{service}'");
        let (ok, _) = secret_tool(
            &[
                "store",
                &label,
                "service",
                &service,
                "username",
                user,
                "application",
                "Python keyring library",
            ],
            Some(value),
        );
        assert!(ok, "secret-tool store failed");
    }
    // the entry names pyinaturalist uses, as the iNaturalist preset gives them
    let names = CredentialNames::new()
        .with_keyring_entry(CredentialField::ClientId, "app_id")
        .with_keyring_entry(CredentialField::ClientSecret, "app_secret");
    let source = KeyringSource::new(&service).with_names(&names);
    let c = pollster::block_on(source.credentials(&Provider::new("inaturalist"))).unwrap();
    assert_eq!(c.username.as_deref(), Some("ana"));
    assert_eq!(
        c.password.as_ref().map(Secret::expose),
        Some("pw-from-python")
    );
    assert_eq!(c.client_id.as_deref(), Some("inat-app"));
    assert_eq!(
        c.client_secret.as_ref().map(Secret::expose),
        Some("inat-secret")
    );
    // and what this crate writes, other tools read
    source
        .set(&Credentials {
            password: Some(Secret::new("pw-from-rust")),
            ..Default::default()
        })
        .unwrap();
    let (ok, value) = secret_tool(
        &["lookup", "service", &service, "username", "password"],
        None,
    );
    assert!(ok);
    assert_eq!(value, "pw-from-rust");
    assert_eq!(source.delete().unwrap().len(), 4);
}

/// Runs itself again in a child process whose session bus address points nowhere (the
/// process environment is shared by all tests of this binary, so it is never changed
/// here), and the child checks that every operation says the keyring is unavailable.
#[test]
#[ignore = "needs a Secret Service: run cargo xtask conformance"]
fn unavailable_without_a_session_bus() {
    if std::env::var_os(CHILD_ENV).is_some() {
        check_unavailable();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "unavailable_without_a_session_bus",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", dir.path().join("no-bus").display()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the child failed:\n{stdout}\n{stderr}"
    );
    eprintln!("child with no bus: {:.2}s", started.elapsed().as_secs_f64());
}

fn assert_unavailable<T: std::fmt::Debug>(what: &str, result: Result<T, Error>) {
    match result {
        Err(e @ Error::KeyringUnavailable { .. }) => {
            let text = e.to_string();
            assert!(text.contains("file store"), "{what}: {text}");
            assert!(!text.contains("AT-never-stored"), "{what}: {text}");
        }
        other => panic!("{what}: expected KeyringUnavailable, got {other:?}"),
    }
}

fn check_unavailable() {
    let started = Instant::now();
    let store = KeyringStore::new();
    let key = TokenKey::new("p", "a", "c");
    assert_unavailable("probe", store.probe());
    assert!(!KeyringStore::is_available());
    assert_unavailable("load", pollster::block_on(store.load(&key)));
    assert_unavailable(
        "save",
        pollster::block_on(store.save(&key, &Token::bearer("AT-never-stored"))),
    );
    assert_unavailable("delete", pollster::block_on(store.delete(&key)));

    let source = KeyringSource::new("/inaturalist");
    assert_unavailable(
        "source credentials",
        pollster::block_on(source.credentials(&Provider::new("inaturalist"))),
    );
    assert_unavailable(
        "source set",
        source.set(&Credentials {
            password: Some(Secret::new("pw")),
            ..Default::default()
        }),
    );
    assert_unavailable("source delete", source.delete());

    // a chain skips the keyring and says so
    let chain = ChainSource::new()
        .with(StaticSource::new(Credentials {
            username: Some("ana".into()),
            ..Default::default()
        }))
        .with(source)
        .with(
            StaticSource::new(Credentials {
                client_id: Some("id".into()),
                ..Default::default()
            })
            .named("config"),
        );
    let r = pollster::block_on(chain.resolve(&Provider::new("inaturalist"))).unwrap();
    assert_eq!(r.origin(CredentialField::ClientId), Some("config"));
    assert_eq!(r.unavailable.len(), 1);
    assert_eq!(r.unavailable[0].0, "keyring /inaturalist");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "finding out that there is no keyring took {:?}",
        started.elapsed()
    );
}

/// Set in the child process of `one_connection_per_process`.
const ONE_CONNECTION_CHILD_ENV: &str = "AUTH_STORE_KEYRING_ONE_CONNECTION_CHILD";

/// The sockets this process has open (Linux: `/proc/self/fd`).
fn open_sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
        })
        .count()
}

/// A program with several keyring stores and a keyring source connects to the Secret
/// Service once (each connection is a D-Bus connection plus an encrypted session). Runs
/// in a child process of its own, so no other test's sockets are counted.
#[test]
#[ignore = "needs a Secret Service: run cargo xtask conformance"]
fn one_connection_per_process() {
    if std::env::var_os(ONE_CONNECTION_CHILD_ENV).is_none() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "one_connection_per_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ONE_CONNECTION_CHILD_ENV, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the child failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let before = open_sockets();
    let key = TokenKey::new(unique("one-connection"), "ana", "c");
    let first = KeyringStore::new();
    pollster::block_on(first.save(&key, &Token::bearer("AT-one-connection"))).unwrap();
    let connected = open_sockets();
    assert!(connected > before, "the first store connected");

    let second = KeyringStore::new();
    let loaded = pollster::block_on(second.load(&key)).unwrap().unwrap();
    assert_eq!(loaded.access_token.expose(), "AT-one-connection");
    second.probe().unwrap();
    let source = KeyringSource::new(unique("/one-connection"));
    pollster::block_on(source.credentials(&Provider::new("p"))).unwrap();
    assert_eq!(
        open_sockets(),
        connected,
        "a second store and a source opened connections of their own"
    );
    pollster::block_on(second.delete(&key)).unwrap();
}
