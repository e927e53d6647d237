//! Many `authctl token` processes on one expiring token, against a strict token server
//! (refresh tokens rotate; a reused one revokes the grant): exactly one refresh, every
//! process gets the same token, and a lock holder killed mid-refresh blocks nobody.
//!
//! The keyring variant needs a Secret Service: `cargo xtask conformance` runs it.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use assert_cmd::cargo::CommandCargoExt;
use auth_core::TokenStore;
use auth_testkit::{StrictConfig, StrictTokenServer};

/// How many processes race.
const PROCESSES: usize = 8;

/// `authctl token --profile race` with a private home and the race profile's
/// credentials in the environment.
fn token_command(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("authctl").unwrap();
    cmd.env("AUTHCTL_HOME", home)
        .env_remove("AUTHCTL_PROFILE")
        .env_remove("AUTHCTL_ACCOUNT")
        .env("RACE_USERNAME", "ana")
        .env("RACE_PASSWORD", "RACE-PASSWORD-1")
        .env("RACE_APP_ID", "race-client")
        .args(["token", "--profile", "race"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A home whose `race` profile uses the password grant at `server` and `store`, logged
/// in once; returns the home.
fn logged_in(server: &StrictTokenServer, store: &str, keyring_bus: bool) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.race]\ntoken_url = \"{}\"\nflow = \"password\"\nstore = \"{store}\"\n\
             insecure_http = true\n",
            server.token_url()
        ),
    )
    .unwrap();
    let mut first = token_command(home.path());
    if !keyring_bus {
        first.env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/authctl-test-bus",
        );
    }
    let out = first.output().unwrap();
    assert!(out.status.success(), "login: {}", text(&out.stderr));
    assert_eq!(server.token_requests(), 1, "one login");
    home
}

/// Makes the stored token expired, keeping its (current) refresh token.
fn expire(store: &dyn TokenStore) {
    pollster::block_on(async {
        let keys = store.keys("race").await.unwrap();
        assert_eq!(keys.len(), 1, "{keys:?}");
        let mut token = store.load(&keys[0]).await.unwrap().unwrap();
        assert!(token.refresh_token.is_some());
        token.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
        store.save(&keys[0], &token).await.unwrap();
    });
}

fn start(home: &Path, keyring_bus: bool) -> Child {
    let mut cmd = token_command(home);
    if !keyring_bus {
        cmd.env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/authctl-test-bus",
        );
    }
    cmd.spawn().unwrap()
}

/// Starts `n` processes at once and waits for them all.
fn race(home: &Path, n: usize, keyring_bus: bool) -> (Vec<Output>, Duration) {
    let started = Instant::now();
    let children: Vec<Child> = (0..n).map(|_| start(home, keyring_bus)).collect();
    let outputs = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    (outputs, started.elapsed())
}

/// Every process exited 0 and printed the same token, the server's current one.
fn assert_one_token(server: &StrictTokenServer, outputs: &[Output]) -> String {
    let mut printed = Vec::new();
    for out in outputs {
        assert!(
            out.status.success(),
            "exit {:?}: {}",
            out.status.code(),
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("RACE-PASSWORD-1"));
        printed.push(text(&out.stdout).trim().to_owned());
    }
    let first = printed[0].clone();
    assert!(
        printed.iter().all(|p| *p == first),
        "all processes print the same token: {printed:?}"
    );
    assert_eq!(
        server.current_access_token().as_deref(),
        Some(first.as_str()),
        "the printed token is the server's current one"
    );
    first
}

/// The 8-process race on the file store; returns its wall time.
fn file_store_race() -> Duration {
    let server = StrictTokenServer::start(StrictConfig::new());
    let home = logged_in(&server, "file", false);
    expire(&auth_store::FileStore::new(home.path()));
    let (outputs, took) = race(home.path(), PROCESSES, false);
    assert_one_token(&server, &outputs);
    assert_eq!(server.refreshes(), 1, "exactly one refresh request");
    assert_eq!(server.reuses(), 0, "no refresh token was used twice");
    assert!(!server.any_grant_revoked());
    // `cargo xtask bench` reads this line.
    eprintln!(
        "{PROCESSES}-process refresh race (file store): {:.1} ms",
        took.as_secs_f64() * 1000.0
    );
    took
}

#[test]
fn eight_processes_on_an_expiring_token_refresh_once() {
    file_store_race();
}

#[test]
fn a_lock_holder_killed_mid_refresh_blocks_nobody() {
    // a long refresh, so the holder can be killed while the server holds its request
    let server =
        StrictTokenServer::start(StrictConfig::new().with_refresh_delay(Duration::from_secs(2)));
    let home = logged_in(&server, "file", false);
    expire(&auth_store::FileStore::new(home.path()));
    let mut holder = start(home.path(), false);
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.refreshes() == 0 {
        assert!(
            Instant::now() < deadline,
            "the holder never sent its refresh"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // the holder has the lock and its refresh is in flight; the others queue up
    let waiting: Vec<Child> = (0..PROCESSES - 1)
        .map(|_| start(home.path(), false))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    holder.kill().unwrap(); // SIGKILL
    let _ = holder.wait();
    let killed_at = Instant::now();
    let outputs: Vec<Output> = waiting
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let waited = killed_at.elapsed();
    assert_one_token(&server, &outputs);
    // The holder's refresh spent the stored refresh token, so the next holder's refresh
    // is a reuse: the server revokes the grant, and the password grant logs in again,
    // once, for everyone.
    assert!(
        waited < Duration::from_secs(15),
        "the others got a token within the bound, after {waited:?}"
    );
    assert_eq!(
        server.token_requests(),
        4,
        "login, the killed refresh, one refresh that found the grant revoked, one re-login"
    );
}

#[cfg(feature = "keyring")]
#[test]
#[ignore = "needs a Secret Service: run cargo xtask conformance"]
fn eight_processes_on_the_keyring_refresh_once() {
    let server = StrictTokenServer::start(StrictConfig::new());
    let home = logged_in(&server, "keyring", true);
    let keyring = auth_store::KeyringStore::new();
    expire(&keyring);
    let (outputs, took) = race(home.path(), PROCESSES, true);
    assert_one_token(&server, &outputs);
    assert_eq!(server.refreshes(), 1, "exactly one refresh request");
    assert_eq!(server.reuses(), 0, "no refresh token was used twice");
    eprintln!("{PROCESSES}-process refresh race (keyring): {took:.2?}");
    pollster::block_on(async {
        for key in keyring.keys("race").await.unwrap() {
            keyring.delete(&key).await.unwrap();
        }
    });
}
