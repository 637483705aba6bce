//! When the reconciler's loop last went over every cluster: the readiness check's sign
//! that it is neither stuck nor dead. One atomic, so reading it costs nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The reconciler's last completed pass, shared with whoever watches it.
#[derive(Clone, Debug)]
pub struct Heartbeat {
    /// What the stored milliseconds count from (monotonic: clock changes do not matter).
    origin: Instant,
    /// Milliseconds from `origin` to the last pass, plus one; 0 while there was none.
    last: Arc<AtomicU64>,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat { origin: Instant::now(), last: Arc::default() }
    }
}

impl Heartbeat {
    /// Notes a completed pass, now.
    pub fn beat(&self) {
        let since = self.origin.elapsed().as_millis() as u64;
        self.last.store(since + 1, Ordering::Relaxed);
    }

    /// How long ago the last pass completed; `None` before the first.
    pub fn age(&self) -> Option<Duration> {
        match self.last.load(Ordering::Relaxed) {
            0 => None,
            at => Some(self.origin.elapsed().saturating_sub(Duration::from_millis(at - 1))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_age_before_the_first_beat() {
        let heartbeat = Heartbeat::default();
        assert_eq!(heartbeat.age(), None);
        let watcher = heartbeat.clone();
        heartbeat.beat();
        assert!(watcher.age().is_some_and(|age| age < Duration::from_secs(1)));
    }
}
