//! Accounts, from the command line: a person and their scripts run several `authctl`
//! processes with different environments against a local token server and the file
//! store (and the "keyring, else file" store with no keyring), and every command finds
//! the account it should.

use std::path::Path;
use std::process::{Command, Output};

mod common;

/// `authctl` with a private home, no inherited profile, account or credentials, and a
/// D-Bus session that does not exist (no keyring).
fn authctl(home: &Path) -> Command {
    common::authctl(home, &["R_", "DEV_", "NAT_"])
}

fn run(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = authctl(home);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs and asserts success; the trimmed stdout.
fn ok(home: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let out = run(home, env, args);
    assert!(
        out.status.success(),
        "authctl {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout).trim().to_owned()
}

/// A token endpoint for the password grant: user `u` gets `AT-u` (and `RT-u`), valid
/// for an hour.
fn password_server() -> mockito::ServerGuard {
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body_from_request(|request| {
            let user = url::form_urlencoded::parse(request.body().unwrap())
                .find(|(k, _)| k == "username")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            serde_json::json!({
                "access_token": format!("AT-{user}"),
                "refresh_token": format!("RT-{user}"),
                "token_type": "Bearer",
                "expires_in": 3600,
            })
            .to_string()
            .into_bytes()
        })
        .create();
    server
}

/// A home with profile `r` (password flow, file store unless `store` says otherwise).
fn home_for(server: &mockito::ServerGuard, store: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.r]\ntoken_url = \"{}/token\"\nflow = \"password\"\nstore = \"{store}\"\n\
             insecure_http = true\nclient_id = \"r-client\"\n",
            server.url()
        ),
    )
    .unwrap();
    home
}

/// `R_USERNAME=user R_PASSWORD=... authctl token --profile r`: a script's login.
fn token_as(home: &Path, user: &str) -> String {
    ok(
        home,
        &[("R_USERNAME", user), ("R_PASSWORD", "PW-1")],
        &["token", "--profile", "r"],
    )
}

fn status_json(home: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["status", "--profile", "r", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(home, &[], &args)).unwrap()
}

/// The accounts `status --json` lists, with the active one marked `*`.
fn accounts(home: &Path) -> Vec<String> {
    status_json(home, &[])["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let name = a["name"].as_str().unwrap().to_owned();
            if a["active"] == true {
                format!("{name}*")
            } else {
                name
            }
        })
        .collect()
}

fn tokens_file(home: &Path) -> String {
    std::fs::read_to_string(home.join("tokens.json")).unwrap_or_default()
}

#[test]
fn a_token_saved_under_the_environments_username_is_found_without_it() {
    let server = password_server();
    let home = home_for(&server, "file");
    let home = home.path();
    assert_eq!(token_as(home, "alice"), "AT-alice");
    // a later command, without the username, uses the active account
    assert_eq!(ok(home, &[], &["token", "--profile", "r"]), "AT-alice");
    let status = status_json(home, &[]);
    assert_eq!(status["account"], "alice");
    assert_eq!(status["active_account"], "alice");
    assert_eq!(status["token"]["kind"], "bearer");
    assert_eq!(accounts(home), ["alice*"]);
    let human = ok(home, &[], &["status", "--profile", "r"]);
    assert!(human.contains("alice (active)"), "{human}");
    assert!(!human.contains("token:      none"), "{human}");

    let out = run(home, &[], &["logout", "--profile", "r"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Deleted the stored token of r (account alice)"),
        "{}",
        text(&out.stderr)
    );
    let file = tokens_file(home);
    assert!(
        !file.contains("AT-alice") && !file.contains("RT-alice") && !file.contains("alice"),
        "nothing is left: {file}"
    );
    assert!(accounts(home).is_empty());
    let after = run(home, &[], &["token", "--profile", "r"]);
    assert_eq!(after.status.code(), Some(3), "{}", text(&after.stderr));
    // and a second logout says so truthfully
    let again = run(home, &[], &["logout", "--profile", "r"]);
    assert!(again.status.success());
    assert!(text(&again.stderr).contains("No stored token"));
}

#[test]
fn the_account_flag_and_variable_pick_another_account_without_switching() {
    let server = password_server();
    let home = home_for(&server, "file");
    let home = home.path();
    token_as(home, "alice");
    token_as(home, "bob");
    // the latest login is active
    assert_eq!(accounts(home), ["alice", "bob*"]);
    assert_eq!(ok(home, &[], &["token", "--profile", "r"]), "AT-bob");
    assert_eq!(
        ok(
            home,
            &[],
            &["token", "--profile", "r", "--account", "alice"]
        ),
        "AT-alice"
    );
    assert_eq!(
        ok(
            home,
            &[("AUTHCTL_ACCOUNT", "alice")],
            &["token", "--profile", "r"]
        ),
        "AT-alice"
    );
    assert_eq!(
        status_json(home, &["--account", "alice"])["account"],
        "alice"
    );
    // using another account does not switch the active one
    assert_eq!(accounts(home), ["alice", "bob*"]);
    assert_eq!(ok(home, &[], &["token", "--profile", "r"]), "AT-bob");
    // an account with no token needs a login
    let none = run(
        home,
        &[],
        &["token", "--profile", "r", "--account", "carol"],
    );
    assert_eq!(none.status.code(), Some(3), "{}", text(&none.stderr));
    // the flow never logs one user in under another's account
    let mixed = run(
        home,
        &[("R_USERNAME", "alice"), ("R_PASSWORD", "PW-1")],
        &["token", "--profile", "r", "--account", "dave"],
    );
    assert_eq!(mixed.status.code(), Some(1));
    assert!(
        text(&mixed.stderr).contains("--account alice"),
        "{}",
        text(&mixed.stderr)
    );
    assert!(!tokens_file(home).contains("dave"));
    // `logout --account` removes that one only
    ok(
        home,
        &[],
        &["logout", "--profile", "r", "--account", "alice"],
    );
    assert_eq!(accounts(home), ["bob*"]);
}

#[test]
fn when_the_active_account_logs_out_the_latest_remaining_login_becomes_active() {
    let server = password_server();
    let home = home_for(&server, "file");
    let home = home.path();
    for user in ["alice", "carol", "bob"] {
        token_as(home, user);
    }
    assert_eq!(accounts(home), ["alice", "bob*", "carol"]);
    let out = run(home, &[], &["logout", "--profile", "r"]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("Active account of r: carol"),
        "{}",
        text(&out.stderr)
    );
    // carol logged in after alice: she is the most recent remaining login
    assert_eq!(accounts(home), ["alice", "carol*"]);
    assert_eq!(ok(home, &[], &["token", "--profile", "r"]), "AT-carol");
    // logging out an account that is not active keeps the active one
    ok(
        home,
        &[],
        &["logout", "--profile", "r", "--account", "alice"],
    );
    assert_eq!(accounts(home), ["carol*"]);
    // a new login of alice makes her active again
    token_as(home, "alice");
    assert_eq!(accounts(home), ["alice*", "carol"]);

    let all = run(home, &[], &["logout", "--profile", "r", "--all"]);
    assert!(all.status.success(), "{}", text(&all.stderr));
    assert!(
        text(&all.stderr).contains("every account of r"),
        "{}",
        text(&all.stderr)
    );
    assert!(accounts(home).is_empty());
    assert_eq!(
        status_json(home, &[])["active_account"],
        serde_json::Value::Null
    );
    let file = tokens_file(home);
    assert!(!file.contains("AT-") && !file.contains("RT-"), "{file}");
    let after = run(home, &[], &["token", "--profile", "r"]);
    assert_eq!(after.status.code(), Some(3));
}

/// A device-flow server whose token answer is `token` (JSON), and a userinfo endpoint
/// answering `userinfo` (404 when `None`).
fn device_server(token: serde_json::Value, userinfo: Option<&str>) -> mockito::ServerGuard {
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/device")
        .with_header("content-type", "application/json")
        .with_body(
            r#"{"device_code":"DEV","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device","expires_in":600,"interval":1}"#,
        )
        .create();
    server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(token.to_string())
        .create();
    let me = server.mock("GET", "/userinfo");
    match userinfo {
        Some(body) => me
            .match_header("authorization", "Bearer AT-DEV")
            .with_body(body),
        None => me.with_status(404),
    }
    .create();
    server
}

fn device_home(server: &mockito::ServerGuard, extra: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let url = server.url();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.dev]\nflow = \"device\"\ndevice_authorization_url = \"{url}/device\"\n\
             token_url = \"{url}/token\"\nuserinfo_url = \"{url}/userinfo\"\nclient_id = \"dev-client\"\n\
             store = \"file\"\ninsecure_http = true\n{extra}"
        ),
    )
    .unwrap();
    home
}

fn login_dev(home: &Path, profile: &str) -> Output {
    let out = run(
        home,
        &[],
        &[
            "login",
            "--profile",
            profile,
            "--no-browser",
            "--timeout",
            "30",
        ],
    );
    assert!(out.status.success(), "login: {}", text(&out.stderr));
    out
}

fn unsigned_jwt(claims: &serde_json::Value) -> String {
    use base64::Engine;
    let b64 = |s: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2ln",
        b64(br#"{"alg":"RS256"}"#),
        b64(claims.to_string().as_bytes())
    )
}

#[test]
fn a_device_login_is_named_from_the_id_token() {
    let id_token = unsigned_jwt(&serde_json::json!({"sub": "u-1", "preferred_username": "ana"}));
    let server = device_server(
        serde_json::json!({"access_token": "AT-DEV", "token_type": "Bearer", "expires_in": 3600,
            "id_token": id_token}),
        Some(r#"{"email":"not-asked@example.com"}"#),
    );
    let home = device_home(&server, "");
    let out = login_dev(home.path(), "dev");
    assert!(
        text(&out.stderr).contains("(account ana)"),
        "{}",
        text(&out.stderr)
    );
    let status: serde_json::Value = serde_json::from_str(&ok(
        home.path(),
        &[],
        &["status", "--profile", "dev", "--json"],
    ))
    .unwrap();
    assert_eq!(status["account"], "ana");
    assert_eq!(status["accounts"][0]["name"], "ana");
    assert_eq!(status["accounts"][0]["active"], true);
    assert_eq!(
        ok(home.path(), &[], &["token", "--profile", "dev"]),
        "AT-DEV"
    );
    assert!(!tokens_file(home.path()).contains(":default:"));
}

#[test]
fn a_device_login_is_named_from_userinfo_else_default() {
    let server = device_server(
        serde_json::json!({"access_token": "AT-DEV", "token_type": "Bearer", "expires_in": 3600}),
        Some(r#"{"sub":"248289761001","email":"bo@example.com"}"#),
    );
    let home = device_home(&server, "");
    let out = login_dev(home.path(), "dev");
    assert!(
        text(&out.stderr).contains("(account bo@example.com)"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        ok(home.path(), &[], &["token", "--profile", "dev"]),
        "AT-DEV"
    );

    // nothing names it: `default`
    let server = device_server(
        serde_json::json!({"access_token": "AT-DEV", "token_type": "Bearer", "expires_in": 3600}),
        None,
    );
    let home = device_home(&server, "");
    let out = login_dev(home.path(), "dev");
    assert!(
        text(&out.stderr).contains("(account default)"),
        "{}",
        text(&out.stderr)
    );
    // --account names it too
    let out = run(
        home.path(),
        &[],
        &[
            "login",
            "--profile",
            "dev",
            "--no-browser",
            "--timeout",
            "30",
            "--account",
            "work",
        ],
    );
    assert!(
        text(&out.stderr).contains("(account work)"),
        "{}",
        text(&out.stderr)
    );
    let status: serde_json::Value = serde_json::from_str(&ok(
        home.path(),
        &[],
        &["status", "--profile", "dev", "--json"],
    ))
    .unwrap();
    assert_eq!(status["active_account"], "work");
    assert_eq!(status["accounts"].as_array().unwrap().len(), 2);
}

#[test]
fn an_inaturalist_login_is_named_by_its_who_am_i_call() {
    let mut server = device_server(
        serde_json::json!({"access_token": "AT-DEV", "token_type": "Bearer", "expires_in": 3600}),
        None,
    );
    let me = server
        .mock("GET", "/v1/users/me")
        .match_header("authorization", "Bearer AT-DEV")
        .with_body(r#"{"total_results":1,"results":[{"id":7,"login":"kueda"}]}"#)
        .create();
    let url = server.url();
    let home = device_home(
        &server,
        &format!("provider = \"inaturalist\"\njwt = false\napi_base_url = \"{url}/v1/\"\n"),
    );
    let out = login_dev(home.path(), "dev");
    assert!(
        text(&out.stderr).contains("(account kueda)"),
        "{}",
        text(&out.stderr)
    );
    me.assert();
}

/// Only a build with the keyring can leave a copy in it; without the `keyring` feature
/// `auto` is the file store alone, and its logout is complete.
#[cfg(feature = "keyring")]
#[test]
fn logout_fails_when_auto_cannot_reach_the_keyring_and_quiet_still_warns() {
    let server = password_server();
    let home = home_for(&server, "auto");
    let home = home.path();
    let out = run(
        home,
        &[("R_USERNAME", "alice"), ("R_PASSWORD", "PW-1")],
        &["token", "--profile", "r", "-q"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("plaintext") && err.contains("tokens.json"),
        "the plaintext warning shows even with -q: {err}"
    );
    assert!(tokens_file(home).contains("AT-alice"));

    let out = run(home, &[], &["logout", "--profile", "r", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("keyring") && err.contains("may survive") && err.contains("--store file"),
        "{err}"
    );
    assert!(
        !tokens_file(home).contains("AT-alice"),
        "the file copy is deleted all the same"
    );
    // with the file store chosen, there is nothing else to check
    let out = run(home, &[], &["logout", "--profile", "r", "--store", "file"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("No stored token"));
}
