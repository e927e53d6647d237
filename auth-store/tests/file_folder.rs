//! FileStore and the folder it lives in: a folder other users may change (group- or
//! world-writable, or owned by someone else) and a token file that is a symbolic link are
//! refused before anything is read or written, and the stored token is never lost.

#![cfg(all(feature = "file", unix))]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use auth_core::{Error, Hint, Token, TokenKey, TokenStore};
use auth_store::FileStore;

fn load(store: &FileStore, key: &TokenKey) -> Result<Option<Token>, Error> {
    pollster::block_on(store.load(key))
}

fn save(store: &FileStore, key: &TokenKey, token: &Token) -> Result<(), Error> {
    pollster::block_on(store.save(key, token))
}

fn delete(store: &FileStore, key: &TokenKey) -> Result<bool, Error> {
    pollster::block_on(store.delete(key))
}

fn key() -> TokenKey {
    TokenKey::new("example", "ana", "client-1")
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every operation of `store` is refused with a `NotPrivate` error whose hint is `fix`,
/// and the token file keeps its bytes.
fn assert_refused_everywhere(store: &FileStore, fix: &Hint) {
    let before = std::fs::read(store.path()).unwrap();
    for (what, result) in [
        ("load", load(store, &key()).map(|_| ())),
        (
            "save",
            save(store, &key(), &Token::bearer("ATTACKER-CHOSEN")).map(|_| ()),
        ),
        ("delete", delete(store, &key()).map(|_| ())),
    ] {
        let err = result.expect_err(what);
        assert!(
            matches!(err, Error::NotPrivate { .. }),
            "{what}: a NotPrivate error, got {err:?}"
        );
        assert_eq!(err.hint().as_ref(), Some(fix), "{what}");
        assert!(!err.to_string().contains("AT-SECRET"), "{err}");
    }
    assert_eq!(
        std::fs::read(store.path()).unwrap(),
        before,
        "a refused folder's token file is never rewritten"
    );
}

#[test]
fn a_group_or_world_writable_token_folder_is_refused_with_chmod_700() {
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("tokens");
    let store = FileStore::new(&dir);
    save(&store, &key(), &Token::bearer("AT-SECRET")).unwrap();
    for mode in [0o770, 0o730, 0o703, 0o777] {
        chmod(&dir, mode);
        let fix = Hint::MakePrivate {
            path: dir.canonicalize().unwrap(),
            chmod: Some(0o700),
            chown: None,
        };
        assert_refused_everywhere(&store, &fix);
        let text = load(&store, &key()).unwrap_err().to_string();
        assert!(text.contains(&format!("{mode:04o}")), "{text}");
        assert!(text.contains("set its mode to 700"), "{text}");
    }
    chmod(&dir, 0o700);
    assert_eq!(
        load(&store, &key()).unwrap(),
        Some(Token::bearer("AT-SECRET")),
        "after the chmod the stored token is there again"
    );
}

#[test]
fn a_folder_created_inside_a_group_writable_parent_is_refused_before_the_first_write() {
    let top = tempfile::tempdir().unwrap();
    let parent = top.path().join("shared");
    std::fs::create_dir(&parent).unwrap();
    chmod(&parent, 0o775);
    let store = FileStore::new(parent.join("tokens"));
    let err = save(&store, &key(), &Token::bearer("AT-SECRET")).unwrap_err();
    assert_eq!(
        err.hint(),
        Some(Hint::MakePrivate {
            path: parent.canonicalize().unwrap(),
            chmod: Some(0o755),
            chown: None,
        })
    );
    assert!(!store.path().exists(), "nothing written: {err}");
    chmod(&parent, 0o755);
    save(&store, &key(), &Token::bearer("AT-SECRET")).unwrap();
}

#[test]
fn a_token_folder_owned_by_another_user_is_refused_with_chown() {
    if !running_as_root() {
        println!("skipped: only root can give a folder to another user (run as root to cover it)");
        return;
    }
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("tokens");
    let store = FileStore::new(&dir);
    save(&store, &key(), &Token::bearer("AT-SECRET")).unwrap();
    const NOBODY: u32 = 65534;
    std::os::unix::fs::chown(&dir, Some(NOBODY), None).unwrap();
    let fix = Hint::MakePrivate {
        path: dir.canonicalize().unwrap(),
        chmod: None,
        chown: Some(0),
    };
    assert_refused_everywhere(&store, &fix);
    let text = load(&store, &key()).unwrap_err().to_string();
    assert!(text.contains("owned by user id 65534"), "{text}");
    std::os::unix::fs::chown(&dir, Some(0), None).unwrap();
    assert_eq!(
        load(&store, &key()).unwrap(),
        Some(Token::bearer("AT-SECRET"))
    );
}

fn running_as_root() -> bool {
    // The owner of a folder this process just created is its effective user.
    let probe = tempfile::tempdir().unwrap();
    std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(probe.path()).unwrap()) == 0
}

#[test]
fn a_token_file_that_is_a_symlink_is_never_followed_replaced_or_deleted() {
    let top = tempfile::tempdir().unwrap();
    let other = top.path().join("someone-elses.json");
    let theirs = br#"{"version":1,"tokens":{}}"#;
    std::fs::write(&other, theirs).unwrap();
    chmod(&other, 0o600);
    let dir = top.path().join("tokens");
    std::fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o700);
    let store = FileStore::new(&dir);
    std::os::unix::fs::symlink(&other, store.path()).unwrap();

    for (what, result) in [
        ("load", load(&store, &key()).map(|_| ())),
        ("save", save(&store, &key(), &Token::bearer("AT-NEW"))),
        ("delete", delete(&store, &key()).map(|_| ())),
        ("keys", store.all_keys().map(|_| ())),
    ] {
        let err = result.expect_err(what);
        let text = err.to_string();
        assert!(
            text.contains("symbolic link") && text.contains("someone-elses.json"),
            "{what}: {text}"
        );
        assert!(
            std::fs::symlink_metadata(store.path())
                .unwrap()
                .file_type()
                .is_symlink(),
            "{what}: the link is left in place"
        );
        assert_eq!(
            std::fs::read(&other).unwrap(),
            theirs,
            "{what}: target untouched"
        );
    }
}

#[test]
fn a_stored_token_survives_a_symlink_put_in_its_place_and_back() {
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("tokens");
    let store = FileStore::new(&dir);
    save(&store, &key(), &Token::bearer("AT-SECRET")).unwrap();
    let real = top.path().join("moved.json");
    std::fs::rename(store.path(), &real).unwrap();
    std::os::unix::fs::symlink(&real, store.path()).unwrap();
    assert!(save(&store, &key(), &Token::bearer("AT-OTHER")).is_err());
    std::fs::remove_file(store.path()).unwrap();
    std::fs::rename(&real, store.path()).unwrap();
    assert_eq!(
        load(&store, &key()).unwrap(),
        Some(Token::bearer("AT-SECRET"))
    );
}
