//! A local user against the token file: a token folder others may change, one owned by
//! someone else, a `tokens.json` that is a symbolic link to another file, and a corrupt
//! `tokens.json`. authctl refuses each one clearly, with the command that fixes it, and
//! the stored token is there again once it is fixed.

use std::path::Path;
use std::process::Output;

use auth_testkit::{StrictConfig, StrictTokenServer};

use crate::common::authctl;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `authctl token --profile files` (the password grant at the test server, file store).
fn run_token(home: &Path) -> Output {
    authctl(home, &["FILES_"])
        .env("FILES_USERNAME", "ana")
        .env("FILES_PASSWORD", "FILES-PASSWORD-1")
        .env("FILES_APP_ID", "files-client")
        .args(["token", "--profile", "files"])
        .output()
        .unwrap()
}

/// A private home whose `files` profile is logged in once; returns it and the token.
fn logged_in(server: &StrictTokenServer) -> (tempfile::TempDir, String) {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.files]\ntoken_url = \"{}\"\nflow = \"password\"\nstore = \"file\"\n\
             insecure_http = true\n",
            server.token_url()
        ),
    )
    .unwrap();
    let out = run_token(home.path());
    assert!(out.status.success(), "login: {}", text(&out.stderr));
    assert_eq!(server.token_requests(), 1);
    (home, text(&out.stdout).trim().to_owned())
}

/// authctl failed with exit 1, printed nothing on stdout, no secret and no panic, and
/// sent nothing to the server; returns stderr.
fn refused(out: &Output, server: &StrictTokenServer, token: &str) -> String {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.contains(token) && !err.contains("FILES-PASSWORD-1"),
        "{err}"
    );
    assert_eq!(
        server.token_requests(),
        1,
        "no new login behind the refusal"
    );
    err
}

/// The stored token is still there: authctl prints it without a new login.
fn still_stored(home: &Path, server: &StrictTokenServer, token: &str) {
    let out = run_token(home);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), token);
    assert_eq!(server.token_requests(), 1, "the stored token was used");
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
fn quoted(path: &Path) -> String {
    auth_store::shell_quote(&path.canonicalize().unwrap().display().to_string())
}

#[cfg(unix)]
#[test]
fn a_group_writable_token_folder_is_refused_with_the_chmod_to_run() {
    let server = StrictTokenServer::start(StrictConfig::new());
    let (home, stored) = logged_in(&server);
    let file = home.path().join("tokens.json");
    let before = std::fs::read(&file).unwrap();
    chmod(home.path(), 0o770);
    let err = refused(&run_token(home.path()), &server, &stored);
    assert!(err.contains("its group (mode 0770)"), "{err}");
    assert!(
        err.contains(&format!("run `chmod 700 {}`", quoted(home.path()))),
        "the exact command: {err}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the token file is kept"
    );
    chmod(home.path(), 0o700);
    still_stored(home.path(), &server, &stored);
}

#[cfg(unix)]
#[test]
fn a_token_folder_owned_by_another_user_is_refused_with_the_chown_to_run() {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::tempdir().unwrap();
    let me = std::fs::metadata(probe.path()).unwrap().uid();
    if me != 0 {
        println!("skipped: only root can give a folder to another user (run as root to cover it)");
        return;
    }
    let server = StrictTokenServer::start(StrictConfig::new());
    let (home, stored) = logged_in(&server);
    const NOBODY: u32 = 65534;
    std::os::unix::fs::chown(home.path(), Some(NOBODY), None).unwrap();
    let err = refused(&run_token(home.path()), &server, &stored);
    assert!(err.contains("owned by user id 65534"), "{err}");
    assert!(
        err.contains(&format!("`sudo chown {me} {}`", quoted(home.path()))),
        "the exact command: {err}"
    );
    std::os::unix::fs::chown(home.path(), Some(me), None).unwrap();
    still_stored(home.path(), &server, &stored);
}

#[cfg(unix)]
#[test]
fn a_token_file_symlinked_to_another_file_is_refused_and_the_target_untouched() {
    let server = StrictTokenServer::start(StrictConfig::new());
    let (home, stored) = logged_in(&server);
    let file = home.path().join("tokens.json");
    // Another user's file, reachable by path: the link must neither be read nor written.
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("victim.json");
    let victim_bytes = b"{\"version\":1,\"tokens\":{}}\n";
    std::fs::write(&victim, victim_bytes).unwrap();
    chmod(&victim, 0o600);
    let kept = elsewhere.path().join("kept.json");
    std::fs::rename(&file, &kept).unwrap();
    std::os::unix::fs::symlink(&victim, &file).unwrap();

    for args in [
        &["token", "--profile", "files"][..],
        &["logout", "--profile", "files"][..],
    ] {
        let out = authctl(home.path(), &["FILES_"])
            .env("FILES_USERNAME", "ana")
            .env("FILES_PASSWORD", "FILES-PASSWORD-1")
            .env("FILES_APP_ID", "files-client")
            .args(args)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains(&stored), "{err}");
        assert!(
            err.contains("symbolic link") && err.contains("victim.json"),
            "{args:?}: {err}"
        );
        assert_eq!(
            std::fs::read(&victim).unwrap(),
            victim_bytes,
            "target untouched"
        );
        assert!(
            std::fs::symlink_metadata(&file)
                .unwrap()
                .file_type()
                .is_symlink(),
            "{args:?}: the link is neither deleted nor replaced"
        );
    }
    assert_eq!(server.token_requests(), 1, "no login behind the refusal");
    std::fs::remove_file(&file).unwrap();
    std::fs::rename(&kept, &file).unwrap();
    still_stored(home.path(), &server, &stored);
}

#[test]
fn a_corrupt_token_file_is_refused_clearly_and_kept() {
    let server = StrictTokenServer::start(StrictConfig::new());
    let (home, stored) = logged_in(&server);
    let file = home.path().join("tokens.json");
    let good = std::fs::read(&file).unwrap();
    let corrupt = &good[..good.len() / 2];
    std::fs::write(&file, corrupt).unwrap();
    let err = refused(&run_token(home.path()), &server, &stored);
    assert!(
        err.contains("corrupt") && err.contains("tokens.json"),
        "{err}"
    );
    assert!(err.contains(".bak"), "says how to move it aside: {err}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        corrupt,
        "the file is kept as it is"
    );
    std::fs::write(&file, &good).unwrap();
    still_stored(home.path(), &server, &stored);
}
