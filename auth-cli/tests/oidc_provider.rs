//! authctl against a strict OpenID provider (panva's `oidc-provider` in the project's
//! configuration, `xtask/oidc-provider/server.mjs`). Every test is ignored unless
//! `cargo xtask conformance` (or `cargo xtask with-oidc -- cargo test ...`) runs it with
//! the `AUTHCTL_TEST_OIDC_*` environment set.

use std::path::Path;
use std::process::{Command, Output};

mod common;

/// A variable of the provider's environment.
fn env(name: &str) -> String {
    let key = format!("AUTHCTL_TEST_OIDC_{name}");
    std::env::var(&key).unwrap_or_else(|_| panic!("{key}: run `cargo xtask conformance`"))
}

/// `authctl` in `home`, with the provider's stand-in browser.
fn authctl(home: &Path) -> Command {
    let mut cmd = common::authctl(home, &["OIDC_"]);
    cmd.env("BROWSER", env("BROWSER"));
    cmd
}

fn run(home: &Path, args: &[&str]) -> Output {
    authctl(home).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn home_with(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    home
}

/// A person logs in with a public native client (PKCE, a loopback port of the moment);
/// another process then gets the token and calls the userinfo endpoint with it.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn native_login_then_token_and_api_from_other_processes() {
    let issuer = env("ISSUER");
    let home = home_with(&format!(
        "[profiles.op]\nissuer = \"{issuer}\"\napi_base_url = \"{issuer}\"\n\
         client_id = \"{client}\"\nflow = \"pkce\"\nstore = \"file\"\n\
         scopes = [\"openid\", \"email\"]\nredirect_port = 0\n",
        client = env("NATIVE_CLIENT"),
    ));
    let login = run(
        home.path(),
        &["login", "--profile", "op", "--timeout", "30"],
    );
    assert!(login.status.success(), "login: {}", text(&login.stderr));

    let token = run(home.path(), &["token", "--profile", "op"]);
    assert!(token.status.success(), "token: {}", text(&token.stderr));
    assert!(!text(&token.stdout).trim().is_empty());

    let me = run(home.path(), &["api", "--profile", "op", "/me"]);
    assert!(me.status.success(), "api /me: {}", text(&me.stderr));
    assert!(
        text(&me.stdout).contains("\"sub\":\"alice\""),
        "userinfo: {}",
        text(&me.stdout)
    );
}
