//! DPoP (RFC 9449) and validated ID tokens with authctl against a strict OpenID provider
//! (panva's `oidc-provider`, `xtask/oidc-provider/server.mjs`, DPoP on, server nonces
//! required for its `dpop-nonce` client). Each step is its own authctl process, as a
//! person and their scripts would run them. Ignored unless `cargo xtask conformance` (or
//! `cargo xtask with-oidc -- cargo test ...`) runs it with the `AUTHCTL_TEST_OIDC_*`
//! environment set.

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

mod common;

fn env(name: &str) -> String {
    let key = format!("AUTHCTL_TEST_OIDC_{name}");
    std::env::var(&key).unwrap_or_else(|_| panic!("{key}: run `cargo xtask conformance`"))
}

fn run(home: &Path, args: &[&str]) -> Output {
    let mut cmd: Command = common::authctl(home, &["OIDC_"]);
    cmd.env("BROWSER", env("BROWSER"));
    cmd.args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(home: &Path, args: &[&str]) -> String {
    let out = run(home, args);
    assert!(
        out.status.success(),
        "authctl {args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Every file under `dir`, read as text.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            let body = std::fs::read(&path).unwrap_or_default();
            found.push((path.display().to_string(), text(&body)));
        }
    }
    found
}

fn json_part(jwt: &str, index: usize) -> Value {
    let part = jwt.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn dpop_bound_login_refresh_api_userinfo_proof_and_logout_across_processes() {
    let issuer = env("ISSUER");
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.op]\nissuer = \"{issuer}\"\napi_base_url = \"{issuer}\"\n\
             client_id = \"{client}\"\nflow = \"pkce\"\nstore = \"file\"\ndpop = true\n\
             scopes = [\"openid\", \"email\", \"offline_access\"]\nredirect_port = 0\n",
            client = env("DPOP_NONCE_CLIENT"),
        ),
    )
    .unwrap();
    let home = home.path();

    // a person logs in: the token requests carry proofs and meet the server's nonce
    ok(home, &["login", "--profile", "op", "--timeout", "30"]);
    let status: Value =
        serde_json::from_str(&ok(home, &["status", "--profile", "op", "--json"])).unwrap();
    assert_eq!(status["token"]["token_type"], "DPoP", "{status:#}");
    assert_eq!(status["token"]["dpop"], true);
    assert_eq!(
        status["token"]["subject"], "alice",
        "the validated ID token's sub"
    );
    assert_eq!(status["token"]["issuer"], issuer.as_str());
    let text_status = ok(home, &["status", "--profile", "op"]);
    assert!(text_status.contains("subject:    alice"), "{text_status}");
    let stored = files(home);
    assert!(
        stored.iter().any(|(_, body)| body.contains("\"dpop_key\"")),
        "the account's key is kept beside its token"
    );

    // another process calls the API: `DPoP` auth and a proof (the server refuses a
    // DPoP-bound token sent as Bearer), its own nonce demand met
    let me = ok(home, &["api", "--profile", "op", "/me"]);
    assert!(me.contains("\"sub\":\"alice\""), "{me}");

    // a refresh from yet another process proves the same key
    let before = ok(home, &["token", "--profile", "op"]);
    let after = ok(home, &["token", "--profile", "op", "--refresh"]);
    assert_ne!(before.trim(), after.trim(), "a new access token");
    let userinfo: Value =
        serde_json::from_str(&ok(home, &["userinfo", "--profile", "op"])).unwrap();
    assert_eq!(userinfo["sub"], "alice");

    // a proof for curl: bound to the current token, for the request named
    let url = format!("{issuer}/me?x=1");
    let proof = ok(
        home,
        &[
            "proof",
            "--profile",
            "op",
            "--method",
            "post",
            "--url",
            &url,
        ],
    );
    let (header, claims) = (json_part(proof.trim(), 0), json_part(proof.trim(), 1));
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert!(header["jwk"]["x"].is_string() && header["jwk"].get("d").is_none());
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], format!("{issuer}/me"));
    let token = ok(home, &["token", "--profile", "op"]);
    use sha2::Digest;
    let ath = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.trim().as_bytes()));
    assert_eq!(
        claims["ath"],
        ath.as_str(),
        "bound to the token `authctl token` prints"
    );

    // logout leaves no key behind
    ok(home, &["logout", "--profile", "op"]);
    for (path, body) in files(home) {
        assert!(
            !body.contains("dpop_key"),
            "{path} still holds the DPoP key"
        );
    }
}

#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn a_proof_needs_a_dpop_bound_login() {
    let issuer = env("ISSUER");
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.op]\nissuer = \"{issuer}\"\nclient_id = \"{client}\"\nflow = \"pkce\"\n\
             store = \"file\"\nscopes = [\"openid\"]\nredirect_port = 0\n",
            client = env("NATIVE_CLIENT"),
        ),
    )
    .unwrap();
    ok(
        home.path(),
        &["login", "--profile", "op", "--timeout", "30"],
    );
    let out = run(home.path(), &["proof", "--profile", "op", "--url", &issuer]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("dpop = true"),
        "{}",
        text(&out.stderr)
    );
}
