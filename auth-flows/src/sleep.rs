//! A sleep that works under any executor (tokio, pollster, a GUI loop): a thread per
//! sleep wakes the task. Used between device flow polls, where waits are seconds long.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A boxed sleep function: given a duration, a future that completes after it. Tests
/// inject one that records the waits and returns at once.
///
/// ```
/// use std::time::Duration;
/// let sleeper = auth_flows::sleep::default_sleeper();
/// pollster::block_on(sleeper(Duration::from_millis(5)));
/// ```
pub type Sleeper = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The default [`Sleeper`]: [`sleep`].
pub fn default_sleeper() -> Sleeper {
    Arc::new(|d| Box::pin(sleep(d)))
}

/// Completes after `duration`, whatever executor polls it.
///
/// ```
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// pollster::block_on(auth_flows::sleep::sleep(Duration::from_millis(20)));
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
        shared: None,
    }
}

/// Whether the sleep is over, and the task to wake when it is.
type Shared = Arc<Mutex<(bool, Option<Waker>)>>;

/// The future returned by [`sleep`].
#[derive(Debug)]
pub struct Sleep {
    deadline: Instant,
    shared: Option<Shared>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        let shared = self.shared.get_or_insert_with(|| {
            let shared = Arc::new(Mutex::new((false, None::<Waker>)));
            let for_thread = Arc::clone(&shared);
            std::thread::spawn(move || {
                std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                let mut state = for_thread.lock().unwrap_or_else(|p| p.into_inner());
                state.0 = true;
                if let Some(waker) = state.1.take() {
                    waker.wake();
                }
            });
            shared
        });
        let mut state = shared.lock().unwrap_or_else(|p| p.into_inner());
        if state.0 {
            Poll::Ready(())
        } else {
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
