//! `authctl` with `store = "redis"`: two homes (two "machines") sharing one
//! `redis-server`, against a strict token endpoint that rotates refresh tokens and revokes
//! a grant whose refresh token is used twice.
//!
//! Ignored by default: `cargo xtask conformance` starts a `redis-server` and sets
//! `AUTHCTL_TEST_REDIS_URL`. The outage test starts a private server of its own, because
//! it stops it. The `over_tls` test needs a TLS server with a self-signed certificate
//! instead: `AUTHCTL_TEST_REDIS_TLS_URL` and `AUTHCTL_TEST_REDIS_CA_FILE` (xtask runs it
//! on its own, with those set).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use assert_cmd::cargo::CommandCargoExt;
use auth_testkit::{RedisServer, StrictConfig, StrictTokenServer};

/// The store key both homes share (`head -c 32 /dev/urandom | base64` makes one).
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const PASSWORD: &str = "PASSWORD-redis-7q";

fn shared_url() -> String {
    std::env::var("AUTHCTL_TEST_REDIS_URL")
        .expect("AUTHCTL_TEST_REDIS_URL must name a redis-server (cargo xtask conformance sets it)")
}

/// A profile name no other test or run uses, so tests can share one server.
fn profile() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("r{}x{nanos}", std::process::id())
}

/// A home (a machine) whose profile keeps tokens in Redis at `redis_url`.
fn home(profile: &str, token_url: &str, redis_url: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.{profile}]\ntoken_url = \"{token_url}\"\nflow = \"password\"\n\
             store = \"redis\"\nredis_url = \"{redis_url}\"\n"
        ),
    )
    .unwrap();
    home
}

/// `authctl` in `home` for `profile`, as user `ana` of client `app-1`, with the shared
/// store key and no password (so only a stored token can answer).
fn authctl(home: &Path, profile: &str) -> Command {
    let mut cmd = Command::cargo_bin("authctl").unwrap();
    let prefix = profile.to_uppercase();
    cmd.env("AUTHCTL_HOME", home)
        .env_remove("AUTHCTL_PROFILE")
        .env_remove("AUTHCTL_REDIS_URL")
        .env_remove("AUTHCTL_REDIS_PASSWORD")
        .env_remove("AUTHCTL_REDIS_CA_FILE")
        .env_remove("AUTHCTL_ACCOUNT")
        .env("AUTHCTL_STORE_KEY", KEY)
        .env(format!("{prefix}_USERNAME"), "ana")
        .env(format!("{prefix}_APP_ID"), "app-1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/authctl-test-bus",
        )
        .args(["--profile", profile])
        .stdin(Stdio::null());
    cmd
}

/// `authctl token` with the password: a login by the password grant.
fn login(home: &Path, profile: &str) -> Output {
    authctl(home, profile)
        .arg("token")
        .env(format!("{}_PASSWORD", profile.to_uppercase()), PASSWORD)
        .output()
        .unwrap()
}

fn token(home: &Path, profile: &str) -> Output {
    authctl(home, profile).arg("token").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "authctl failed: {}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains(PASSWORD));
    text(&out.stdout).trim().to_owned()
}

/// Every value Redis holds for `profile`, as raw bytes.
fn raw_values(redis_url: &str, profile: &str) -> Vec<u8> {
    let mut conn = redis::Client::open(redis_url)
        .unwrap()
        .get_connection()
        .unwrap();
    let names: Vec<String> = redis::cmd("KEYS")
        .arg(format!("authctl:{{{profile}*"))
        .query(&mut conn)
        .unwrap();
    assert!(!names.is_empty(), "the token is in Redis");
    let mut all = Vec::new();
    for name in names {
        let kind: String = redis::cmd("TYPE").arg(&name).query(&mut conn).unwrap();
        let values: Vec<Vec<u8>> = if kind == "hash" {
            redis::cmd("HVALS").arg(&name).query(&mut conn).unwrap()
        } else {
            vec![redis::cmd("GET").arg(&name).query(&mut conn).unwrap()]
        };
        all.extend(values.concat());
        all.extend(name.as_bytes());
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
#[ignore = "needs redis-server: AUTHCTL_TEST_REDIS_URL (cargo xtask conformance)"]
fn a_login_on_one_machine_is_the_token_of_the_other_and_redis_holds_no_plaintext() {
    let server = StrictTokenServer::start(StrictConfig::new());
    let (p, url) = (profile(), shared_url());
    let (a, b) = (
        home(&p, &server.token_url(), &url),
        home(&p, &server.token_url(), &url),
    );
    let issued = ok(&login(a.path(), &p));
    assert!(!issued.is_empty());
    assert_eq!(
        ok(&token(b.path(), &p)),
        issued,
        "the other home sees the login"
    );
    assert_eq!(server.token_requests(), 1, "the other home sent no request");
    for home in [&a, &b] {
        assert!(
            !home.path().join("tokens.json").exists(),
            "no file store was used"
        );
    }
    let raw = raw_values(&url, &p);
    for plain in [issued.as_str(), "refresh_token", "access_token", PASSWORD] {
        assert!(!contains(&raw, plain), "{plain} is readable in Redis");
    }
}

#[test]
#[ignore = "needs redis-server: AUTHCTL_TEST_REDIS_URL (cargo xtask conformance)"]
fn four_and_four_processes_on_two_machines_refresh_once() {
    // 65 s tokens: fresh after the login, within the 60 s leeway 6 s later.
    let server = StrictTokenServer::start(
        StrictConfig::new()
            .with_expires_in(65)
            .with_refresh_delay(Duration::from_millis(500)),
    );
    let (p, url) = (profile(), shared_url());
    let (a, b) = (
        home(&p, &server.token_url(), &url),
        home(&p, &server.token_url(), &url),
    );
    let first = ok(&login(a.path(), &p));
    std::thread::sleep(Duration::from_secs(6));
    let children: Vec<_> = (0..8)
        .map(|i| {
            let home = if i % 2 == 0 { a.path() } else { b.path() };
            authctl(home, &p)
                .arg("token")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let tokens: Vec<String> = outputs.iter().map(ok).collect();
    assert!(
        tokens.iter().all(|t| *t == tokens[0]),
        "every process prints the same token: {tokens:?}"
    );
    assert_ne!(tokens[0], first, "the token was renewed");
    assert_eq!(
        server.refreshes(),
        1,
        "exactly one refresh across 8 processes"
    );
    assert_eq!(server.reuses(), 0, "no refresh token was used twice");
    assert!(!server.any_grant_revoked());
}

#[test]
#[ignore = "needs the redis-server program (cargo xtask conformance installs it)"]
fn redis_stopped_is_a_clear_error_with_no_file_fallback_and_back_works_again() {
    let mut redis = RedisServer::start().unwrap();
    let server = StrictTokenServer::start(StrictConfig::new());
    let p = profile();
    let a = home(&p, &server.token_url(), &redis.url());
    ok(&login(a.path(), &p));
    redis.stop();
    for out in [token(a.path(), &p), login(a.path(), &p)] {
        let err = text(&out.stderr);
        assert!(!out.status.success(), "exits non-zero when Redis is down");
        assert!(err.contains("Redis") && err.contains(&redis.url()), "{err}");
        assert!(out.stdout.is_empty(), "no token is printed");
    }
    assert!(
        !a.path().join("tokens.json").exists(),
        "never falls back to a token file"
    );
    redis.restart().unwrap();
    // the server came back empty: a login works again, and then the cached token
    let again = ok(&login(a.path(), &p));
    assert_eq!(ok(&token(a.path(), &p)), again);
}

#[test]
#[ignore = "needs redis-server: AUTHCTL_TEST_REDIS_URL (cargo xtask conformance)"]
fn without_a_key_nothing_is_written_and_the_error_says_how_to_make_one() {
    let server = StrictTokenServer::start(StrictConfig::new());
    let (p, url) = (profile(), shared_url());
    let a = home(&p, &server.token_url(), &url);
    let out = authctl(a.path(), &p)
        .arg("token")
        .env_remove("AUTHCTL_STORE_KEY")
        .env(format!("{}_PASSWORD", p.to_uppercase()), PASSWORD)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("head -c 32 /dev/urandom | base64"), "{err}");
    assert!(
        err.contains("AUTHCTL_STORE_KEY") && err.contains("store_key_file"),
        "{err}"
    );
    assert!(!a.path().join("tokens.json").exists());
}

#[test]
#[ignore = "needs redis-server: AUTHCTL_TEST_REDIS_URL (cargo xtask conformance)"]
fn the_key_comes_from_a_private_key_file_and_the_url_from_the_environment() {
    let server = StrictTokenServer::start(StrictConfig::new());
    let (p, url) = (profile(), shared_url());
    // a URL in the config that does not answer: AUTHCTL_REDIS_URL wins
    let a = home(&p, &server.token_url(), "redis://127.0.0.1:9/0");
    let config = a.path().join("config.toml");
    let mut text_of_config = std::fs::read_to_string(&config).unwrap();
    text_of_config.push_str("store_key_file = \"store.key\"\n");
    std::fs::write(&config, text_of_config).unwrap();
    let key_file = a.path().join("store.key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let with_file = |home: &Path| {
        let mut cmd = authctl(home, &p);
        cmd.arg("token")
            .env_remove("AUTHCTL_STORE_KEY")
            .env("AUTHCTL_REDIS_URL", &url)
            .env(format!("{}_PASSWORD", p.to_uppercase()), PASSWORD);
        cmd.output().unwrap()
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = with_file(a.path());
        assert!(!out.status.success());
        assert!(
            text(&out.stderr).contains("chmod 600"),
            "{}",
            text(&out.stderr)
        );
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let issued = ok(&with_file(a.path()));
    // the same key from the environment reads what the key file wrote
    let b = home(&p, &server.token_url(), &url);
    assert_eq!(ok(&token(b.path(), &p)), issued);
}

#[test]
#[ignore = "needs a TLS redis-server: AUTHCTL_TEST_REDIS_TLS_URL, AUTHCTL_TEST_REDIS_CA_FILE (cargo xtask conformance)"]
fn over_tls_the_ca_of_redis_ca_file_or_the_environment_is_trusted() {
    let tls_url = std::env::var("AUTHCTL_TEST_REDIS_TLS_URL").expect(
        "AUTHCTL_TEST_REDIS_TLS_URL must name a TLS redis-server (cargo xtask conformance sets it)",
    );
    let ca = std::env::var("AUTHCTL_TEST_REDIS_CA_FILE").expect(
        "AUTHCTL_TEST_REDIS_CA_FILE must name its certificate (cargo xtask conformance sets it)",
    );
    let server = StrictTokenServer::start(StrictConfig::new());
    let p = profile();

    // without a CA, the system's roots do not trust the self-signed server
    let b = home(&p, &server.token_url(), &tls_url);
    let out = login(b.path(), &p);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("not trusted") && err.contains(&tls_url),
        "{err}"
    );
    assert!(
        err.contains("redis_ca_file") && err.contains("AUTHCTL_REDIS_CA_FILE"),
        "{err}"
    );

    // the CA in a file beside the config, named by redis_ca_file
    let a = home(&p, &server.token_url(), &tls_url);
    std::fs::copy(&ca, a.path().join("redis-ca.pem")).unwrap();
    let config = a.path().join("config.toml");
    let mut text_of_config = std::fs::read_to_string(&config).unwrap();
    text_of_config.push_str("redis_ca_file = \"redis-ca.pem\"\n");
    std::fs::write(&config, text_of_config).unwrap();
    let issued = ok(&login(a.path(), &p));
    assert_eq!(ok(&token(a.path(), &p)), issued);

    // the CA from the environment: the other home reads the same token
    let out = authctl(b.path(), &p)
        .arg("token")
        .env("AUTHCTL_REDIS_CA_FILE", &ca)
        .output()
        .unwrap();
    assert_eq!(ok(&out), issued);
    assert_eq!(
        server.token_requests(),
        1,
        "only the login asked for a token"
    );
}
