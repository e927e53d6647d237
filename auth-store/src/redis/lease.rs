//! The renewal lock: `SET lock random NX PX lease`, kept alive by a thread that renews
//! the lease while the [`StoreLock`](auth_core::store::StoreLock) lives, released by
//! compare-and-delete.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use redis::Cmd;

use super::conn::SyncLink;

/// Extends the lease only while the lock still holds our random value.
const RENEW: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
     return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";

/// Deletes the lock only while it still holds our random value.
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
     return redis.call('DEL', KEYS[1]) else return 0 end";

/// The command that takes the lock when it is free.
pub(crate) fn acquire(name: &str, value: &str, lease: Duration) -> Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(name)
        .arg(value)
        .arg("NX")
        .arg("PX")
        .arg(millis(lease));
    cmd
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The command that releases the lock `name` if it still holds `value`.
pub(crate) fn release(name: &str, value: &str) -> Cmd {
    script(RELEASE, name, value, None)
}

fn script(body: &str, name: &str, value: &str, extra: Option<u64>) -> Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(body).arg(1).arg(name).arg(value);
    if let Some(x) = extra {
        cmd.arg(x);
    }
    cmd
}

/// A held lock: the thread that renews it, and the way to stop it (which releases).
pub(crate) struct Held {
    stop: Option<mpsc::Sender<()>>,
    keeper: Option<JoinHandle<()>>,
}

impl Held {
    /// Starts renewing the lock `name` holding `value` every third of `lease`, over a
    /// connection of its own.
    /// Fails only when no thread can be started; the caller then releases the lock.
    pub(crate) fn keep(
        mut link: SyncLink,
        name: String,
        value: String,
        lease: Duration,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let every = lease / 3;
        let keeper = std::thread::Builder::new()
            .name("redis-lease".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    // A failed renewal (Redis away for a moment) is tried again at the next
                    // tick; if the lease ran out meanwhile, the compare-and-set on the
                    // token is what keeps the writes safe.
                    let _ = link.query::<i64>(&script(RENEW, &name, &value, Some(millis(lease))));
                }
                let _ = link.query::<i64>(&release(&name, &value));
            });
        Ok(Held {
            stop: Some(stop),
            keeper: Some(keeper?),
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(keeper) = self.keeper.take() {
            // Waits for the release (one round trip), so a program that exits right after
            // never leaves the lock to expire.
            let _ = keeper.join();
        }
    }
}
