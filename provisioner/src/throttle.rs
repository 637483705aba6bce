//! Slowing down password guessing: after a few failures per email, each further attempt
//! must wait, twice as long each time, up to a ceiling.

use std::time::Duration;

/// Failures allowed before attempts are slowed down.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait imposed.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// How long to wait before the next attempt is even checked, given the failures so far and
/// the time since the last one; `None` when an attempt may be made now.
pub fn wait_before_attempt(failures: i64, since_last_failure: Duration) -> Option<Duration> {
    if failures < FREE_FAILURES {
        return None;
    }
    let doublings = (failures - FREE_FAILURES).min(20) as u32;
    let required = Duration::from_secs(1u64 << doublings).min(MAX_WAIT);
    required.checked_sub(since_last_failure).filter(|left| !left.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_failures_are_free() {
        assert_eq!(wait_before_attempt(4, Duration::ZERO), None);
    }

    #[test]
    fn waits_double_and_are_capped() {
        assert_eq!(wait_before_attempt(5, Duration::ZERO), Some(Duration::from_secs(1)));
        assert_eq!(wait_before_attempt(7, Duration::ZERO), Some(Duration::from_secs(4)));
        assert_eq!(wait_before_attempt(7, Duration::from_secs(3)), Some(Duration::from_secs(1)));
        assert_eq!(wait_before_attempt(7, Duration::from_secs(4)), None);
        assert_eq!(wait_before_attempt(60, Duration::ZERO), Some(MAX_WAIT));
    }
}
