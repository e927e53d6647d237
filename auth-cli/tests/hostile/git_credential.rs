//! What a hostile repository URL or remote can make git send to `authctl git-credential`:
//! hosts that only look like a listed one, plain http, over-long lines, control characters
//! and binary input. None gets a token, none makes the helper panic.

use std::io::Write;
use std::process::{Output, Stdio};

use crate::common::authctl;

/// A home whose `forge` profile lists `git.example.com` and has a stored token, valid for
/// an hour, in the file store.
fn home_with_token() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[profiles.forge]\ntoken_url = \"https://idp.example/token\"\nflow = \"pkce\"\n\
         store = \"file\"\ngit_hosts = [\"git.example.com\"]\n",
    )
    .unwrap();
    let store = auth_store::FileStore::new(home.path());
    let key = auth_core::TokenKey::new("forge", "ana", "");
    let token = auth_core::Token::bearer("FORGE-TOKEN-1")
        .expiring_at(std::time::SystemTime::now() + std::time::Duration::from_secs(3600));
    pollster::block_on(async {
        use auth_core::TokenStore;
        store.save(&key, &token).await.unwrap();
        store
            .set_active_account("forge", Some("ana"))
            .await
            .unwrap();
    });
    home
}

fn helper(home: &std::path::Path, operation: &str, input: &[u8]) -> Output {
    let mut child = authctl(home, &["FORGE_"])
        .args(["git-credential", "--profile", "forge", operation])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the helper may stop reading early; a broken pipe here is fine
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

fn assert_nothing_given(out: &Output, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.stdout.is_empty(), "{what}: {stdout}");
    assert!(!stderr.contains("FORGE-TOKEN-1"), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
}

#[test]
fn git_credential_gives_the_token_only_to_a_listed_https_host() {
    let home = home_with_token();
    let out = helper(
        home.path(),
        "get",
        b"protocol=https\nhost=git.example.com\n\n",
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("password=FORGE-TOKEN-1\n"),
        "the listed host gets the token: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lookalikes: [&[u8]; 7] = [
        b"protocol=https\nhost=git.example.com.evil.example\n\n",
        b"protocol=https\nhost=evil.example\nhost_=git.example.com\n\n",
        b"protocol=https\nhost=git.example.com:8443\n\n",
        b"protocol=https\n\nhost=git.example.com\n\n",
        b"protocol=http\nhost=git.example.com\n\n",
        b"protocol=https\nhost=git.example.com\0\n\n",
        b"host=git.example.com\n\n",
    ];
    for input in lookalikes {
        let out = helper(home.path(), "get", input);
        assert_nothing_given(&out, &String::from_utf8_lossy(input));
    }
}

#[test]
fn git_credential_survives_long_lines_control_characters_and_binary_input() {
    let home = home_with_token();
    let mut long = b"protocol=https\nhost=".to_vec();
    long.extend(std::iter::repeat_n(b'g', 3 * 1024 * 1024));
    let mut binary: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    binary.extend(b"\nhost=git.example.com");
    let inputs: [(&str, Vec<u8>); 4] = [
        ("a 3 MiB line", long),
        (
            "control characters",
            b"protocol=https\x1b[2J\nhost=\x07\x08\x7f\n\n".to_vec(),
        ),
        ("binary", binary),
        (
            "no trailing newline",
            b"protocol=https\nhost=evil.example".to_vec(),
        ),
    ];
    for operation in ["get", "erase", "store", "unknown-op"] {
        for (what, input) in &inputs {
            let out = helper(home.path(), operation, input);
            assert_nothing_given(&out, &format!("{operation}: {what}"));
        }
    }
    // nothing was erased: the listed host still gets the same token
    let out = helper(home.path(), "get", b"protocol=https\nhost=git.example.com");
    assert!(String::from_utf8_lossy(&out.stdout).contains("password=FORGE-TOKEN-1\n"));
}

#[test]
fn git_erase_of_another_password_keeps_the_token() {
    let home = home_with_token();
    let out = helper(
        home.path(),
        "erase",
        b"protocol=https\nhost=git.example.com\nusername=oauth2\npassword=NOT-THE-TOKEN\n\n",
    );
    assert_nothing_given(&out, "erase with a stranger's password");
    let out = helper(
        home.path(),
        "get",
        b"protocol=https\nhost=git.example.com\n\n",
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("password=FORGE-TOKEN-1\n"));
}

#[test]
fn git_setup_refuses_a_host_that_would_change_the_git_config() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[profiles.forge]\ntoken_url = \"https://idp.example/token\"\n\
         git_hosts = [\"git.example.com\\\"]\\n[core]\\n\\tsshCommand = evil\"]\n",
    )
    .unwrap();
    let gitconfig = home.path().join("gitconfig");
    let out = authctl(home.path(), &["FORGE_"])
        .args(["git-setup", "--profile", "forge", "--file"])
        .arg(&gitconfig)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("git_hosts"), "{stderr}");
    assert!(!gitconfig.exists(), "nothing was written");
}
