//! A sleep that works under any executor (tokio, pollster, a GUI loop), used between
//! device flow polls, where waits are seconds long. It is `futures-timer`'s [`Delay`]:
//! one timer thread serves every sleep, instead of a thread per sleep.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use futures_timer::Delay;

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
///
/// ```
/// let sleeper = auth_flows::sleep::default_sleeper();
/// # let _ = sleeper;
/// ```
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
pub fn sleep(duration: Duration) -> Delay {
    Delay::new(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn many_sleeps_share_one_timer_and_all_finish() {
        let start = Instant::now();
        let sleeps: Vec<_> = (0..200)
            .map(|i| sleep(Duration::from_millis(10 + i % 20)))
            .collect();
        for s in sleeps {
            pollster::block_on(s);
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(29), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }
}
