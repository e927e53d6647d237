//! The renewal lock's shared parts: a bounded, runtime-agnostic wait, and the per-key
//! OS file lock of the file and keyring stores.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use auth_core::{Error, TokenKey};

/// Tries `try_once` until it gives a value or `wait` has passed, pausing between tries
/// (5 ms, doubling up to 50 ms) without blocking the caller's thread: the pause is a
/// timer thread that wakes the task, so any executor (tokio, pollster) works.
pub(crate) async fn acquire<T>(
    backend: &str,
    key: &TokenKey,
    wait: Duration,
    holder: &str,
    mut try_once: impl FnMut() -> Result<Option<T>, Error>,
) -> Result<T, Error> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(held) = try_once()? {
            return Ok(held);
        }
        let elapsed = start.elapsed();
        if elapsed >= wait {
            return Err(Error::store(
                backend,
                format!(
                    "the renewal lock of {key} was still held by another holder after waiting \
                     {:.1} s ({holder})",
                    wait.as_secs_f64()
                ),
                "another program (or task) is renewing this token right now; try again in a \
                 moment, or allow a longer lock wait. A holder that dies releases the lock by \
                 itself",
            ));
        }
        Delay::new(pause.min(wait - elapsed)).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// A future that is ready after a duration, woken by a short-lived thread.
struct Delay {
    duration: Duration,
    state: Arc<Mutex<(bool, Option<Waker>)>>,
    started: bool,
}

impl Delay {
    fn new(duration: Duration) -> Self {
        Delay {
            duration,
            state: Arc::new(Mutex::new((false, None))),
            started: false,
        }
    }
}

impl Future for Delay {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.0 {
                return Poll::Ready(());
            }
            state.1 = Some(cx.waker().clone());
        }
        if !self.started {
            self.started = true;
            let state = Arc::clone(&self.state);
            let duration = self.duration;
            std::thread::spawn(move || {
                std::thread::sleep(duration);
                let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                state.0 = true;
                if let Some(waker) = state.1.take() {
                    waker.wake();
                }
            });
        }
        Poll::Pending
    }
}

/// FNV-1a, 64 bits: a hash that is the same in every build and on every platform, so two
/// programs name the same key's lock file alike.
#[cfg(any(feature = "file", feature = "keyring"))]
pub(crate) fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The per-key lock file `tokens.json.<hash>.lock` in `dir`.
#[cfg(any(feature = "file", feature = "keyring"))]
pub(crate) fn lock_file_path(dir: &std::path::Path, key: &TokenKey) -> std::path::PathBuf {
    dir.join(format!(
        "tokens.json.{:016x}.lock",
        stable_hash(&key.storage_id())
    ))
}

/// Opens (creating it, 0600 in a 0700 folder) the lock file `path` in `dir`, unlocked.
#[cfg(any(feature = "file", feature = "keyring"))]
pub(crate) fn open_lock_file(
    backend: &str,
    dir: &std::path::Path,
    path: &std::path::Path,
) -> Result<std::fs::File, Error> {
    let io_error = |doing: &str, e: std::io::Error| Error::Store {
        backend: backend.into(),
        path: Some(path.to_owned()),
        message: format!("could not {doing}: {e}"),
        hint: "check that the folder exists and is yours, then try again".into(),
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| io_error("create the lock folder", e))?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| io_error("open the lock file", e))
}

/// Takes an exclusive OS lock (`flock` / `LockFileEx`) on the per-key lock file in `dir`,
/// waiting at most `wait`. The OS releases it when the file is closed, which happens when
/// the returned lock is dropped or the process dies, even by SIGKILL. Lock files are
/// never deleted: deleting a lock file another process has open would let two holders in.
///
/// This is the renewal lock ([`TokenStore::lock`](auth_core::TokenStore::lock)) of the
/// file and keyring stores, public so a store of one's own that keeps its data in a
/// folder can implement `lock` with it. The lock file is `tokens.json.<hash>.lock` in
/// `dir` (created 0700, the file 0600), where the hash is a stable 64-bit hash of the
/// key's [`TokenKey::storage_id`]: every program using the same folder locks the same
/// file for the same key, whatever the store. `backend` names the store in errors. At the
/// bound the error names the key and says the lock is busy.
///
/// The lock is held per open file, so a second `lock_file` of the same key in the same
/// process waits for the first, too; use another lock (another folder or file) to guard
/// short writes made while the renewal lock is held.
///
/// ```
/// use std::time::Duration;
/// use auth_core::TokenKey;
///
/// let dir = tempfile::tempdir().unwrap();
/// let key = TokenKey::new("github", "octocat", "client-1");
/// pollster::block_on(async {
///     let held = auth_store::lock_file("mine", dir.path(), &key, Duration::ZERO).await.unwrap();
///     let busy = auth_store::lock_file("mine", dir.path(), &key, Duration::from_millis(50))
///         .await
///         .unwrap_err();
///     assert!(busy.to_string().contains("renewal lock of github/octocat"), "{busy}");
///     drop(held);
///     auth_store::lock_file("mine", dir.path(), &key, Duration::ZERO).await.unwrap();
/// });
/// ```
#[cfg(any(feature = "file", feature = "keyring"))]
pub async fn lock_file(
    backend: &str,
    dir: &std::path::Path,
    key: &TokenKey,
    wait: Duration,
) -> Result<auth_core::store::StoreLock, Error> {
    let path = lock_file_path(dir, key);
    let file = open_lock_file(backend, dir, &path)?;
    let holder = format!("lock file {}", path.display());
    acquire(
        backend,
        key,
        wait,
        &holder,
        || match fs4::FileExt::try_lock(&file) {
            Ok(()) => Ok(Some(())),
            Err(fs4::TryLockError::WouldBlock) => Ok(None),
            Err(fs4::TryLockError::Error(e)) => Err(Error::Store {
                backend: backend.into(),
                path: Some(path.clone()),
                message: format!("could not lock the lock file: {e}"),
                hint: "check that the folder exists and is yours, then try again".into(),
            }),
        },
    )
    .await?;
    Ok(auth_core::store::StoreLock::new(holder, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acquire_gives_up_at_the_bound_and_names_the_key() {
        let key = TokenKey::new("p", "ana", "c");
        let start = Instant::now();
        let err = pollster::block_on(acquire::<()>(
            "memory",
            &key,
            Duration::from_millis(120),
            "in this process",
            || Ok(None),
        ))
        .unwrap_err()
        .to_string();
        assert!(start.elapsed() >= Duration::from_millis(120));
        assert!(start.elapsed() < Duration::from_secs(2));
        assert!(err.contains("p/ana") && err.contains("0.1 s"), "{err}");
        assert!(err.contains("try again"), "{err}");
    }

    #[test]
    fn acquire_returns_as_soon_as_the_try_succeeds() {
        let key = TokenKey::new("p", "a", "c");
        let mut tries = 0;
        let got = pollster::block_on(acquire("memory", &key, Duration::from_secs(5), "", || {
            tries += 1;
            Ok((tries == 3).then_some(7))
        }))
        .unwrap();
        assert_eq!((got, tries), (7, 3));
    }

    #[cfg(any(feature = "file", feature = "keyring"))]
    #[test]
    fn lock_file_names_are_stable_and_per_key() {
        let dir = std::path::Path::new("/d");
        let a = lock_file_path(dir, &TokenKey::new("p", "a", "c"));
        assert_eq!(a, lock_file_path(dir, &TokenKey::new("p", "a", "c")));
        assert_ne!(a, lock_file_path(dir, &TokenKey::new("p", "b", "c")));
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
    }
}
