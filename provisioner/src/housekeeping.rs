//! Forgetting what has no use any more: expired sessions, sign-in attempt buckets idle
//! for [`FORGET_AFTER`], and events (history, audit trail) past their retention. None is
//! needed for correctness (an expired session is never accepted, an idle bucket is
//! dropped when it is next used), but without pruning these tables only grow.

use crate::clock::now_ms;
use crate::error::Result;
use crate::throttle::FORGET_AFTER;
use crate::Provisioner;

/// What one round of housekeeping removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Expired sessions.
    pub sessions: u64,
    /// Sign-in attempt buckets idle for [`FORGET_AFTER`].
    pub sign_in_attempts: u64,
    /// Events older than the retention.
    pub events: u64,
}

impl Provisioner {
    /// Prunes expired sessions and idle sign-in attempt buckets, now.
    pub async fn prune(&self) -> Result<Pruned> {
        self.prune_at(now_ms()).await
    }

    /// Prunes as if it were `now` (unix milliseconds).
    pub async fn prune_at(&self, now: i64) -> Result<Pruned> {
        let sessions = self.storage.delete_expired_sessions(now).await?;
        let sign_in_attempts = self.storage.delete_idle_sign_in_attempts(now - FORGET_AFTER.as_millis() as i64).await?;
        let events = self.storage.delete_events_before(now - self.config.audit_retention.as_millis() as i64).await?;
        Ok(Pruned { sessions, sign_in_attempts, events })
    }
}
