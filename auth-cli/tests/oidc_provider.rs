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

/// A home whose config holds a secret: the file must be private.
fn private_home(config: &str) -> tempfile::TempDir {
    let home = home_with(config);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = home.path().join("config.toml");
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    home
}

/// A client-credentials profile named `name` for `client`, authenticating as `auth` with
/// the extra lines `more`.
fn robot(name: &str, client: &str, auth: &str, more: &str) -> String {
    format!(
        "[profiles.{name}]\nissuer = \"{issuer}\"\nclient_id = \"{client}\"\n\
         flow = \"client-credentials\"\nstore = \"file\"\nclient_auth = \"{auth}\"\n{more}\n",
        issuer = env("ISSUER"),
    )
}

/// Each signed client authentication gets a token from the strict provider, a second
/// process reads the same token from the store, and `logout --revoke` authenticates the
/// same way at the revocation endpoint (a fresh assertion: the server refuses a replayed
/// `jti`). The secret and the key never show in any output.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn signed_client_authentication_at_token_and_revocation_endpoints() {
    let secret = env("SECRET_JWT_SECRET");
    let config = [
        robot(
            "hs",
            &env("SECRET_JWT_CLIENT"),
            "client_secret_jwt",
            &format!("client_secret = \"{secret}\""),
        ),
        robot(
            "rsa",
            &env("RSA_CLIENT"),
            "private_key_jwt",
            &format!(
                "client_key_file = \"{}\"\nclient_key_id = \"{}\"",
                env("RSA_KEY_FILE"),
                env("RSA_KEY_ID")
            ),
        ),
        robot(
            "ec",
            &env("EC_CLIENT"),
            "private_key_jwt",
            &format!("client_key_file = \"{}\"", env("EC_KEY_FILE")),
        ),
    ]
    .join("\n");
    let home = private_home(&config);
    let key_text = std::fs::read_to_string(env("RSA_KEY_FILE")).unwrap();
    let key_line = key_text.lines().nth(1).unwrap().to_owned();
    for profile in ["hs", "rsa", "ec"] {
        let first = run(home.path(), &["token", "--profile", profile]);
        assert!(first.status.success(), "{profile}: {}", text(&first.stderr));
        let again = run(home.path(), &["token", "--profile", profile]);
        assert!(again.status.success(), "{profile}: {}", text(&again.stderr));
        assert_eq!(
            text(&first.stdout),
            text(&again.stdout),
            "{profile}: the stored token"
        );
        let logout = run(home.path(), &["logout", "--profile", profile, "--revoke"]);
        assert!(
            logout.status.success(),
            "{profile} logout: {}",
            text(&logout.stderr)
        );
        for out in [&first, &again, &logout] {
            let all = text(&out.stdout) + &text(&out.stderr);
            assert!(!all.contains(&secret) && !all.contains(&key_line));
        }
    }
}

/// A private key the server does not know is refused, and authctl says the client
/// authentication failed, without printing the key.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn a_wrong_client_key_is_refused_clearly() {
    let home = private_home(&robot(
        "wrong",
        &env("RSA_CLIENT"),
        "private_key_jwt",
        &format!("client_key_file = \"{}\"", env("WRONG_RSA_KEY_FILE")),
    ));
    let out = run(home.path(), &["token", "--profile", "wrong"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid_client"), "{stderr}");
    let key_text = std::fs::read_to_string(env("WRONG_RSA_KEY_FILE")).unwrap();
    assert!(!stderr.contains(key_text.lines().nth(1).unwrap()));
}
