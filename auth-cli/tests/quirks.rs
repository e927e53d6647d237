//! Quirks as a person uses them: a profile names a provider's deviation, logs in once, and
//! later commands in other processes (without the client secret in their environment) use
//! the token as the provider wants it.

use std::path::Path;
use std::process::{Command, Output};

use mockito::Matcher;

mod common;

fn authctl(home: &Path) -> Command {
    common::authctl(home, &["FB_", "PLAIN_", "IG_"])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(home: &Path, args: &[&str], credentials: Option<&str>) -> Output {
    let mut cmd = authctl(home);
    cmd.args(args);
    if let Some(prefix) = credentials {
        cmd.env(format!("{prefix}_CLIENT_SECRET"), "SECRET-quirk-tr4ce");
    }
    cmd.output().unwrap()
}

/// The seconds left on the profile's stored token, from `status --json`.
fn expires_in(home: &Path, profile: &str) -> Option<i64> {
    let out = run(home, &["status", "--profile", profile, "--json"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    fn find(v: &serde_json::Value) -> Option<i64> {
        match v {
            serde_json::Value::Object(map) => map
                .get("expires_in_seconds")
                .and_then(serde_json::Value::as_i64)
                .or_else(|| map.values().find_map(find)),
            serde_json::Value::Array(items) => items.iter().find_map(find),
            _ => None,
        }
    }
    find(&report)
}

#[test]
fn a_facebook_profile_logs_in_and_another_process_uses_the_token_until_it_expires() {
    let mut server = mockito::Server::new();
    // Facebook's classic answer: form-encoded, labelled text/plain, `expires` not
    // `expires_in`.
    let token = server
        .mock("POST", "/token")
        .with_header("content-type", "text/plain; charset=UTF-8")
        .with_body("access_token=FB-ACCESS-tr4ce&expires=5183999")
        .expect(2)
        .create();
    let url = server.url();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.fb]\ntoken_url = \"{url}/token\"\nflow = \"client-credentials\"\nstore = \"file\"\nclient_id = \"app\"\nquirks = [\"facebook\"]\n\n\
             [profiles.plain]\ntoken_url = \"{url}/token\"\nflow = \"client-credentials\"\nstore = \"file\"\nclient_id = \"app\"\n"
        ),
    )
    .unwrap();

    for (profile, prefix) in [("fb", "FB"), ("plain", "PLAIN")] {
        let login = run(home.path(), &["login", "--profile", profile], Some(prefix));
        assert!(login.status.success(), "{}", text(&login.stderr));
    }
    // Another process, without the credentials: the stored token.
    let out = run(home.path(), &["token", "--profile", "fb"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "FB-ACCESS-tr4ce\n");

    let left = expires_in(home.path(), "fb").expect("the quirk gives the token its lifetime");
    assert!((5_183_000..=5_183_999).contains(&left), "{left}");
    assert_eq!(
        expires_in(home.path(), "plain"),
        None,
        "without the quirk the lifetime is lost"
    );
    token.assert();
}

#[test]
fn an_instagram_profile_sends_the_token_in_the_query_from_authctl_api() {
    let mut server = mockito::Server::new();
    let _token = server
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"IG-ACCESS-tr4ce","expires_in":3600}"#)
        .create();
    let me = server
        .mock("GET", "/v1/users/self")
        .match_query(Matcher::UrlEncoded(
            "access_token".into(),
            "IG-ACCESS-tr4ce".into(),
        ))
        .match_header("authorization", Matcher::Missing)
        .with_body(r#"{"data":{"username":"ana"}}"#)
        .expect(1)
        .create();
    let url = server.url();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.ig]\ntoken_url = \"{url}/token\"\napi_base_url = \"{url}/v1/\"\nflow = \"client-credentials\"\nstore = \"file\"\nclient_id = \"app\"\nquirks = [\"instagram\"]\n"
        ),
    )
    .unwrap();
    let login = run(home.path(), &["login", "--profile", "ig"], Some("IG"));
    assert!(login.status.success(), "{}", text(&login.stderr));
    let out = run(
        home.path(),
        &["api", "--profile", "ig", "/users/self"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ana"));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("IG-ACCESS-tr4ce"), "{stderr}");
    me.assert();
}

#[test]
fn providers_list_their_quirks_and_an_unknown_quirk_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["providers", "--json"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let quirks = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))["quirks"]
            .clone()
    };
    assert_eq!(quirks("facebook"), serde_json::json!(["facebook"]));
    assert_eq!(quirks("ebay"), serde_json::json!(["ebay"]));
    assert_eq!(quirks("github"), serde_json::json!([]));

    std::fs::write(
        home.path().join("config.toml"),
        "[profiles.x]\ntoken_url = \"https://a.example/token\"\nquirks = [\"myspace\"]\n",
    )
    .unwrap();
    let out = run(home.path(), &["token", "--profile", "x"], None);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("myspace") && stderr.contains("facebook") && stderr.contains("line 3"),
        "{stderr}"
    );
}
