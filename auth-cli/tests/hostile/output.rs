//! A hostile authorization server against what authctl prints and opens: device flow
//! numbers that would overflow the clock, terminal escape sequences in every field the
//! server controls, error bodies that echo the secrets of the request, and URLs for the
//! browser that are not web pages. Each runs the real `authctl` against a fake server
//! on 127.0.0.1.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::common;

const CLIENT_SECRET: &str = "CS-h0stile-cli-secret";
const PASSWORD: &str = "PW-h0stile-cli-password";
const ACCESS: &str = "AT-h0stile-cli-access";
const REFRESH: &str = "RT-h0stile-cli-refresh";

fn authctl(home: &Path) -> Command {
    let mut cmd = common::authctl(home, &["DEV_", "ROBOT_"]);
    cmd.env("DEV_CLIENT_ID", "dev-client")
        .env("ROBOT_CLIENT_ID", "robot")
        .env("ROBOT_CLIENT_SECRET", CLIENT_SECRET)
        .env("ROBOT_USERNAME", "alice")
        .env("ROBOT_PASSWORD", PASSWORD);
    cmd
}

fn home_with(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    home
}

fn device_home(server: &mockito::ServerGuard) -> tempfile::TempDir {
    let url = server.url();
    home_with(&format!(
        "[profiles.dev]\ndevice_authorization_url = \"{url}/device\"\ntoken_url = \"{url}/token\"\n\
         flow = \"device\"\nstore = \"file\"\n"
    ))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Neither stdout nor stderr carries a byte that drives a terminal.
fn assert_no_terminal_controls(out: &Output) {
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let shown = text(bytes);
        assert!(
            !bytes.contains(&0x1b) && !bytes.contains(&0x07) && !shown.contains('\u{9b}'),
            "{name} carries a control sequence: {shown:?}"
        );
        assert!(
            !shown.contains('\u{202e}'),
            "{name} carries a bidi override"
        );
    }
}

fn assert_not_a_panic(out: &Output) {
    assert_ne!(
        out.status.code(),
        Some(101),
        "authctl panicked: {}",
        text(&out.stderr)
    );
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn device_flow_with_huge_numbers_fails_clearly_within_the_timeout() {
    for expires_in in ["18446744073709551615", "600"] {
        device_login_ends_at_the_timeout(expires_in);
    }
}

/// `interval` is always the largest number JSON can hold for a u64.
fn device_login_ends_at_the_timeout(expires_in: &str) {
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/device")
        .with_body(format!(
            r#"{{"device_code":"DEV-h","user_code":"ABCD-EFGH","verification_uri":"https://example.com/device",
                "expires_in":{expires_in},"interval":18446744073709551615}}"#
        ))
        .create();
    server
        .mock("POST", "/token")
        .with_status(400)
        .with_body(r#"{"error":"authorization_pending"}"#)
        .create();
    let home = device_home(&server);
    let started = Instant::now();
    let out = authctl(home.path())
        .args([
            "login",
            "--profile",
            "dev",
            "--timeout",
            "3",
            "--no-browser",
        ])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_not_a_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("timed out after 3s"), "{stderr}");
    assert!(
        stderr.contains("--timeout"),
        "the advice names the flag: {stderr}"
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

fn unsigned_jwt(claims: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(claims))
}

#[test]
fn escape_sequences_in_every_server_field_never_reach_the_terminal() {
    // A device login whose code, account name and scopes carry escapes; then `status`
    // in another process, which prints what was stored.
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/device")
        .with_body(
            r#"{"device_code":"DEV-e","user_code":"AB\u001b]0;pwned\u0007CD\u001b[2J","verification_uri":"https://example.com/dev\u001b[31mice",
                "verification_uri_complete":"https://example.com/device?c=\u001b[2J","expires_in":60,"interval":1}"#,
        )
        .create();
    let id_token = unsigned_jwt(
        r#"{"sub":"1","preferred_username":"eve\u001b[2J\u001b]0;owned\u0007\u202e"}"#,
    );
    server
        .mock("POST", "/token")
        .with_body(format!(
            r#"{{"access_token":"ok-token","scope":"read\u001b]0;t\u0007 write\u009b2J","id_token":"{id_token}"}}"#
        ))
        .create();
    let home = device_home(&server);
    let out = authctl(home.path())
        .args([
            "login",
            "--profile",
            "dev",
            "--no-browser",
            "--timeout",
            "20",
        ])
        .output()
        .unwrap();
    assert_not_a_panic(&out);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_no_terminal_controls(&out);
    assert!(
        text(&out.stderr).contains("AB ]0;pwned CD [2J"),
        "{}",
        text(&out.stderr)
    );
    let status = authctl(home.path())
        .args(["status", "--profile", "dev"])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert_no_terminal_controls(&status);
    assert!(
        text(&status.stdout).contains("eve [2J ]0;owned"),
        "{}",
        text(&status.stdout)
    );

    // OAuth error fields and a non-OAuth body, through `authctl token`.
    for (code, body) in [
        (
            400,
            r#"{"error":"invalid_grant\u001b]0;x\u0007","error_description":"\u001b[2J\u001b[Hlogin:\u202e","error_uri":"https://e.example/\u001b[31m"}"#,
        ),
        (502, "<h1>\u{1b}[2J\u{1b}]0;gateway\u{7}</h1>"),
    ] {
        let mut server = mockito::Server::new();
        server
            .mock("POST", "/token")
            .with_status(code)
            .with_body(body)
            .create();
        let home = home_with(&format!(
            "[profiles.robot]\ntoken_url = \"{}/token\"\nflow = \"client-credentials\"\nstore = \"file\"\n",
            server.url()
        ));
        let out = authctl(home.path())
            .args(["-vv", "token", "--profile", "robot"])
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert_not_a_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert_no_terminal_controls(&out);
    }
}

#[test]
fn error_bodies_that_echo_the_secrets_never_show_them() {
    let mut server = mockito::Server::new();
    // A password login echoes the password and client secret.
    server
        .mock("POST", "/token")
        .match_body(mockito::Matcher::UrlEncoded("grant_type".into(), "password".into()))
        .with_status(401)
        .with_body(format!(
            r#"{{"error":"invalid_client","error_description":"client_secret '{CLIENT_SECRET}' is wrong; password was {PASSWORD}"}}"#
        ))
        .create();
    // A client-credentials login succeeds; its refresh then echoes the refresh token.
    server
        .mock("POST", "/token")
        .match_body(mockito::Matcher::UrlEncoded(
            "grant_type".into(),
            "client_credentials".into(),
        ))
        .with_body(format!(
            r#"{{"access_token":"{ACCESS}","refresh_token":"{REFRESH}","expires_in":3600}}"#
        ))
        .create();
    let refresh = server
        .mock("POST", "/token")
        .match_body(mockito::Matcher::UrlEncoded(
            "grant_type".into(),
            "refresh_token".into(),
        ))
        .expect_at_least(1)
        .with_status(400)
        .with_body(format!(
            r#"{{"error":"invalid_request","error_description":"refresh {REFRESH} of {ACCESS} rejected for {CLIENT_SECRET}"}}"#
        ))
        .create();
    let url = server.url();
    let home = home_with(&format!(
        "[profiles.robot]\ntoken_url = \"{url}/token\"\nflow = \"client-credentials\"\nstore = \"file\"\n\
         [profiles.pw]\ntoken_url = \"{url}/token\"\nflow = \"password\"\nstore = \"file\"\nenv_prefix = \"ROBOT_\"\n"
    ));
    let secrets = [CLIENT_SECRET, PASSWORD, REFRESH, ACCESS];
    let check = |out: &Output, what: &str| {
        assert_not_a_panic(out);
        let stderr = text(&out.stderr);
        for secret in secrets {
            assert!(
                !stderr.contains(secret),
                "{what}: {secret} on stderr:\n{stderr}"
            );
        }
    };

    let out = authctl(home.path())
        .args(["-vv", "login", "--profile", "pw"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    check(&out, "password login");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("password was ***"),
        "{}",
        text(&out.stderr)
    );

    let out = authctl(home.path())
        .args(["token", "--profile", "robot"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), ACCESS);
    let out = authctl(home.path())
        .args(["-vv", "token", "--profile", "robot", "--refresh"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    check(&out, "refresh");
    refresh.assert();
}

#[test]
fn browser_urls_that_are_not_web_pages_are_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let opened = dir.path().join("opened.txt");
    let browser = dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> {}\n", opened.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    for hostile in [
        "javascript:alert(document.cookie)",
        "file:///etc/passwd",
        "x&\\\\host\\share\\p.exe",
    ] {
        let mut server = mockito::Server::new();
        let body = serde_json::json!({
            "device_code": "DEV-b",
            "user_code": "ABCD",
            "verification_uri": "https://example.com/device",
            "verification_uri_complete": hostile,
            "expires_in": 60,
            "interval": 1,
        });
        server
            .mock("POST", "/device")
            .with_body(body.to_string())
            .create();
        let token = server
            .mock("POST", "/token")
            .with_body(r#"{"access_token":"never"}"#)
            .expect(0)
            .create();
        let home = device_home(&server);
        let out = authctl(home.path())
            .args(["login", "--profile", "dev", "--timeout", "10"])
            .env("BROWSER", browser.display().to_string())
            .output()
            .unwrap();
        assert_not_a_panic(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{hostile}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        assert!(stderr.contains("refusing to open"), "{hostile}: {stderr}");
        assert!(stderr.contains("only https"), "the advice: {stderr}");
        token.assert();
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(!opened.exists(), "a browser was started");
}
