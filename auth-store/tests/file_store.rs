//! FileStore behaviour beyond the conformance suite: permissions, corrupt and newer
//! files, corrupt entries, several processes at once, and a writer killed mid-save.
//!
//! The multi-process and crash tests start this test binary again as a worker
//! (`worker`, selected with `--exact --ignored` and told what to do through
//! `AUTH_STORE_FILE_WORKER`).

#![cfg(feature = "file")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_core::{Error, Token, TokenKey, TokenStore};
use auth_store::FileStore;

const WORKER_ENV: &str = "AUTH_STORE_FILE_WORKER";

fn load(store: &FileStore, key: &TokenKey) -> Result<Option<Token>, Error> {
    pollster::block_on(store.load(key))
}

fn save(store: &FileStore, key: &TokenKey, token: &Token) -> Result<(), Error> {
    pollster::block_on(store.save(key, token))
}

fn delete(store: &FileStore, key: &TokenKey) -> Result<bool, Error> {
    pollster::block_on(store.delete(key))
}

fn key(account: &str) -> TokenKey {
    TokenKey::new("example", account, "client-1")
}

/// Asserts `err` is a file store error naming the token file, and returns its text.
fn file_error(err: Error, store: &FileStore) -> String {
    let text = err.to_string();
    match &err {
        Error::Store { backend, path, .. } => {
            assert_eq!(backend, "file", "{text}");
            assert_eq!(path.as_deref(), Some(store.path()), "{text}");
        }
        other => panic!("expected a file store error, got {other:?}"),
    }
    assert!(text.contains(&store.path().display().to_string()), "{text}");
    text
}

fn write_raw(store: &FileStore, bytes: &[u8]) {
    std::fs::create_dir_all(store.dir()).unwrap();
    std::fs::write(store.path(), bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[test]
fn a_missing_folder_loads_nothing_and_is_not_created_by_reads_or_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("a/b/authctl"));
    assert_eq!(load(&store, &key("ana")).unwrap(), None);
    assert!(!delete(&store, &key("ana")).unwrap());
    assert!(store.all_keys().unwrap().is_empty());
    assert!(
        !store.dir().exists(),
        "reads and deletes must not create the folder"
    );
    save(&store, &key("ana"), &Token::bearer("AT")).unwrap();
    assert!(store.path().is_file());
    assert_eq!(store.describe(), format!("file {}", store.path().display()));
}

#[test]
fn the_file_is_one_versioned_json_document_keyed_by_storage_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let k = TokenKey::new("inaturalist", "ana:1", "app");
    let token = Token::bearer("AT").with_refresh_token("RT");
    save(&store, &k, &token).unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path()).unwrap()).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"version": 1, "tokens": {"inaturalist:ana%3A1:app": token.to_json_value()},
            "revision": 1, "revisions": {"inaturalist:ana%3A1:app": 1}})
    );
    assert_eq!(store.all_keys().unwrap(), vec![k]);
}

#[cfg(unix)]
#[test]
fn folder_is_created_0700_and_files_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("new/authctl"));
    save(&store, &key("ana"), &Token::bearer("AT")).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(store.dir()), 0o700);
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(&store.dir().join("tokens.json.lock")), 0o600);
    // a rewrite keeps the mode
    save(&store, &key("bob"), &Token::bearer("AT2")).unwrap();
    assert_eq!(mode(store.path()), 0o600);
}

#[cfg(unix)]
#[test]
fn a_token_file_others_can_read_is_refused_with_the_chmod_to_run() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("my tokens"));
    save(&store, &key("ana"), &Token::bearer("AT-SECRET")).unwrap();
    for mode in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        let before = std::fs::read(store.path()).unwrap();
        let text = file_error(load(&store, &key("ana")).unwrap_err(), &store);
        let quoted = format!("'{}'", store.path().display());
        assert!(
            text.contains(&format!("chmod 600 {quoted}")),
            "the hint must give the chmod to run: {text}"
        );
        assert!(text.contains(&format!("{mode:04o}")), "{text}");
        assert!(!text.contains("AT-SECRET"), "{text}");
        let text = file_error(
            save(&store, &key("bob"), &Token::bearer("B")).unwrap_err(),
            &store,
        );
        assert!(text.contains("chmod 600"), "{text}");
        assert!(delete(&store, &key("ana")).is_err());
        assert_eq!(
            std::fs::read(store.path()).unwrap(),
            before,
            "a refused file must not be rewritten"
        );
    }
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        load(&store, &key("ana")).unwrap(),
        Some(Token::bearer("AT-SECRET"))
    );
}

#[test]
fn corrupt_truncated_and_newer_files_are_refused_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    save(
        &store,
        &key("ana"),
        &Token::bearer("AT-SECRET-ANA").with_refresh_token("RT-SECRET"),
    )
    .unwrap();
    save(&store, &key("bob"), &Token::bearer("AT-SECRET-BOB")).unwrap();
    let good = std::fs::read(store.path()).unwrap();

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", good[..good.len() / 2].to_vec(), "truncated"),
        ("empty", Vec::new(), "empty"),
        (
            "garbage",
            b"\x00\x01 not json at all".to_vec(),
            "not valid JSON",
        ),
        ("array", b"[]".to_vec(), "not a JSON object"),
        (
            "newer",
            br#"{"version":2,"tokens":{},"something_new":true}"#.to_vec(),
            "version 2",
        ),
    ];
    for (name, bytes, expected) in cases {
        write_raw(&store, &bytes);
        let text = file_error(load(&store, &key("ana")).unwrap_err(), &store);
        assert!(text.contains(expected), "{name}: {text}");
        for secret in ["AT-SECRET", "RT-SECRET"] {
            assert!(!text.contains(secret), "{name}: {text}");
        }
        let text = file_error(
            save(&store, &key("carol"), &Token::bearer("C")).unwrap_err(),
            &store,
        );
        assert!(text.contains(expected), "{name}: {text}");
        assert!(delete(&store, &key("bob")).is_err(), "{name}");
        assert!(store.all_keys().is_err(), "{name}");
        assert_eq!(
            std::fs::read(store.path()).unwrap(),
            bytes,
            "{name}: the store must never overwrite a file it could not read"
        );
    }
    write_raw(&store, &good);
    assert_eq!(
        load(&store, &key("bob")).unwrap(),
        Some(Token::bearer("AT-SECRET-BOB"))
    );
}

#[test]
fn a_corrupt_entry_spoils_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let good = Token::bearer("AT-GOOD");
    let bad_entry =
        serde_json::json!({"version": 1, "access_token": ["SECRETVALUE"], "token_type": "Bearer"});
    let newer_entry = serde_json::json!({"version": 5, "access_token": "x", "future": true});
    let huge_expiry = serde_json::json!({"version": 1, "access_token": "x", "token_type": "Bearer",
        "kind": {"type": "bearer"}, "expires_at": u64::MAX});
    let doc = serde_json::json!({"version": 1, "tokens": {
        key("good").storage_id(): good.to_json_value(),
        key("bad").storage_id(): bad_entry,
        key("newer").storage_id(): newer_entry,
        key("huge").storage_id(): huge_expiry,
    }});
    write_raw(&store, doc.to_string().as_bytes());

    assert_eq!(load(&store, &key("good")).unwrap(), Some(good.clone()));
    let text = file_error(load(&store, &key("bad")).unwrap_err(), &store);
    assert!(
        text.contains("example/bad (client client-1)") && text.contains("corrupt"),
        "{text}"
    );
    assert!(!text.contains("SECRETVALUE"), "{text}");
    let text = file_error(load(&store, &key("newer")).unwrap_err(), &store);
    assert!(
        text.contains("version 5") && text.contains("upgrade"),
        "{text}"
    );
    let text = file_error(load(&store, &key("huge")).unwrap_err(), &store);
    assert!(text.contains("out of range"), "{text}");

    // saving another key keeps the unreadable entries exactly as they were
    save(&store, &key("other"), &Token::bearer("AT-OTHER")).unwrap();
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path()).unwrap()).unwrap();
    for k in ["bad", "newer", "huge"] {
        assert_eq!(
            after["tokens"][key(k).storage_id()],
            doc["tokens"][key(k).storage_id()],
            "{k}"
        );
    }
    // logging in again replaces a corrupt entry; logging out deletes one
    save(&store, &key("bad"), &Token::bearer("AT-NEW")).unwrap();
    assert_eq!(
        load(&store, &key("bad")).unwrap(),
        Some(Token::bearer("AT-NEW"))
    );
    assert!(delete(&store, &key("huge")).unwrap());
    assert_eq!(load(&store, &key("huge")).unwrap(), None);
}

#[test]
fn temp_files_left_by_a_dead_writer_are_removed_by_the_next_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    save(&store, &key("ana"), &Token::bearer("A")).unwrap();
    let stale = dir.path().join(".tokens.json.99999.0.tmp");
    std::fs::write(&stale, b"{\"version\":1,\"tok").unwrap();
    let unrelated = dir.path().join("notes.txt");
    std::fs::write(&unrelated, b"keep me").unwrap();
    assert_eq!(load(&store, &key("ana")).unwrap(), Some(Token::bearer("A")));
    save(&store, &key("bob"), &Token::bearer("B")).unwrap();
    assert!(!stale.exists());
    assert!(unrelated.exists());
}

// ---- several processes -------------------------------------------------------------

const PROCESSES: usize = 8;
const SAVES_PER_PROCESS: usize = 200;

fn worker_token(process: usize, i: usize) -> Token {
    Token::bearer(format!("AT-{process}-{i}-ünï"))
        .with_refresh_token(format!("RT-{process}-{i}"))
        .expiring_at(std::time::UNIX_EPOCH + Duration::from_secs(1_900_000_000 + i as u64))
}

fn worker_key(process: usize, i: usize) -> TokenKey {
    TokenKey::new("multi", format!("process-{process}"), format!("key-{i}"))
}

/// Saves and re-reads `count` tokens under this process's own keys.
fn save_and_reread(dir: &Path, process: usize, count: usize) {
    let store = FileStore::new(dir);
    for i in 0..count {
        let (k, t) = (worker_key(process, i), worker_token(process, i));
        save(&store, &k, &t).unwrap_or_else(|e| panic!("process {process} save {i}: {e}"));
        let back = load(&store, &k).unwrap_or_else(|e| panic!("process {process} read {i}: {e}"));
        assert_eq!(
            back,
            Some(t),
            "process {process} read back a different token at {i}"
        );
    }
}

fn crash_token(round: usize, i: usize) -> Token {
    // Big enough that each rewrite takes a while, so the kill lands mid-write often.
    Token::bearer(format!("AT-{round}-{i}-{}", "x".repeat(32 * 1024)))
}

fn crash_key(round: usize, i: usize) -> TokenKey {
    TokenKey::new("crash", format!("round-{round}"), format!("{i:05}"))
}

/// Saves forever (until killed).
fn save_until_killed(dir: &Path, round: usize) {
    let store = FileStore::new(dir);
    for i in 0.. {
        save(&store, &crash_key(round, i), &crash_token(round, i)).unwrap();
    }
}

/// The worker process. Run by hand (no `AUTH_STORE_FILE_WORKER`), it does one small
/// save-and-reread job in a temporary folder.
#[test]
#[ignore = "worker process of the multi-process and crash tests, which start it"]
fn worker() {
    let Ok(job) = std::env::var(WORKER_ENV) else {
        let dir = tempfile::tempdir().unwrap();
        save_and_reread(dir.path(), 0, 20);
        return;
    };
    let parts: Vec<&str> = job.splitn(3, ':').collect();
    let [mode, n, dir] = parts[..] else {
        panic!("bad {WORKER_ENV}: {job}");
    };
    let n: usize = n.parse().unwrap();
    match mode {
        "saves" => save_and_reread(Path::new(dir), n, SAVES_PER_PROCESS),
        "crash" => save_until_killed(Path::new(dir), n),
        other => panic!("unknown worker mode {other}"),
    }
}

fn spawn_worker(mode: &str, n: usize, dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "worker",
            "--exact",
            "--ignored",
            "--quiet",
            "--test-threads=1",
        ])
        .env(WORKER_ENV, format!("{mode}:{n}:{}", dir.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a worker process")
}

/// A folder on tmpfs when there is one. The multi-process test is about the lock and the
/// read-modify-write, which behave the same there; on a disk its 1600 fsyncs of a
/// growing file would be most of its run time.
fn memory_backed_tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap()
}

#[test]
fn eight_processes_saving_their_own_keys_lose_nothing() {
    let dir = memory_backed_tempdir();
    let started = Instant::now();
    let workers: Vec<Child> = (0..PROCESSES)
        .map(|p| spawn_worker("saves", p, dir.path()))
        .collect();
    for (p, w) in workers.into_iter().enumerate() {
        let out = w.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "worker {p} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let store = FileStore::new(dir.path());
    assert_eq!(
        store.all_keys().unwrap().len(),
        PROCESSES * SAVES_PER_PROCESS
    );
    for p in 0..PROCESSES {
        for i in 0..SAVES_PER_PROCESS {
            assert_eq!(
                load(&store, &worker_key(p, i)).unwrap(),
                Some(worker_token(p, i)),
                "process {p} key {i}"
            );
        }
    }
    eprintln!(
        "{PROCESSES} processes x {SAVES_PER_PROCESS} saves+reads in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// Checks the file holds exactly a document some writer committed: for every round so
/// far, the keys `0..n` (a prefix, nothing missing in the middle) with their tokens.
fn assert_committed_document(dir: &Path, rounds: usize) -> usize {
    let store = FileStore::new(dir);
    let keys: Vec<TokenKey> = store
        .all_keys()
        .unwrap_or_else(|e| panic!("the file no longer parses: {e}"))
        .into_iter()
        .filter(|k| k.provider == "crash")
        .collect();
    let mut total = 0;
    for round in 0..rounds {
        let n = keys
            .iter()
            .filter(|k| k.account == format!("round-{round}"))
            .count();
        for i in 0..n {
            assert_eq!(
                load(&store, &crash_key(round, i)).unwrap(),
                Some(crash_token(round, i)),
                "round {round}: entry {i} of {n} is missing or wrong"
            );
        }
        total += n;
    }
    assert_eq!(total, keys.len(), "entries nobody wrote: {keys:?}");
    total
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect()
}

#[test]
fn a_writer_killed_mid_save_leaves_the_old_or_the_new_document() {
    const ROUNDS: usize = 6;
    let dir = tempfile::tempdir().unwrap();
    let mut killed_mid_write = 0;
    for round in 0..ROUNDS {
        let mut child = spawn_worker("crash", round, dir.path());
        // wait until this round's writer has committed something
        let store = FileStore::new(dir.path());
        let deadline = Instant::now() + Duration::from_secs(60);
        while load(&store, &crash_key(round, 2)).ok().flatten().is_none() {
            if let Some(status) = child.try_wait().unwrap() {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "the writer exited early ({status}): {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert!(Instant::now() < deadline, "the writer made no progress");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(3 + 7 * round as u64));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        if !temp_files(dir.path()).is_empty() {
            killed_mid_write += 1;
        }
        let total = assert_committed_document(dir.path(), round + 1);
        assert!(total >= 3);
    }
    // a later save cleans up what the killed writers left behind
    let store = FileStore::new(dir.path());
    save(&store, &key("after"), &Token::bearer("A")).unwrap();
    assert!(temp_files(dir.path()).is_empty());
    assert_committed_document(dir.path(), ROUNDS);
    eprintln!(
        "{killed_mid_write} of {ROUNDS} kills landed while a temporary file was being written"
    );
}
