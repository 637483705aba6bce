//! The quick look at an active cluster between full passes. A full pass asks each segment's
//! Docker about images, the Swarm, roles and the infrastructure containers: about fifteen
//! calls per cluster. Every tick, a healthy cluster needs only to show that its segments
//! run and answer; the full pass then comes every [`FULL_PASS_EVERY`], or at once when the
//! quick look finds anything amiss.

use std::time::{Duration, Instant};

use futures::future::join_all;
use segments::SegmentState;

use super::Reconciler;
use crate::error::Result;
use crate::segment::SegmentStatus;
use crate::storage::ClusterRow;

/// How often an active cluster that looks healthy gets a full pass anyway.
pub(super) const FULL_PASS_EVERY: Duration = Duration::from_secs(30);

impl Reconciler {
    /// Whether `row` (an active cluster) may skip a full pass: one succeeded less than
    /// [`FULL_PASS_EVERY`] ago, and every segment of its generation is ready, runs and
    /// answers Docker.
    pub(super) async fn looks_healthy(&self, row: &ClusterRow) -> Result<bool> {
        let recent = self.full_pass_at(&row.id).is_some_and(|at| at.elapsed() < FULL_PASS_EVERY);
        if !recent {
            return Ok(false);
        }
        let segments = self.inner.provisioner.storage.segments_of(&row.id).await?;
        let complete = segments.len() as i64 == row.desired_segments
            && segments.iter().all(|s| s.state == SegmentStatus::Ready && s.generation == row.generation);
        if !complete {
            return Ok(false);
        }
        let docker = &self.inner.docker;
        // A full pass follows if a segment does not answer within the quick look's patience.
        let patience = self.inner.patience.quick_look;
        let identity = self.inner.provisioner.control_identity();
        let answers = join_all(segments.iter().map(|s| async move {
            let Ok(driver) = self.inner.fleet.on(&s.host) else { return false };
            matches!(driver.state(s.domain()).await, Ok(SegmentState::Running))
                && match s.address.parse() {
                    Ok(address) => {
                        docker.wait_ready(&driver.docker_address(s.domain(), address, identity), patience).await.is_ok()
                    }
                    Err(_) => false,
                }
        }))
        .await;
        Ok(answers.into_iter().all(|ok| ok))
    }

    fn full_pass_at(&self, id: &str) -> Option<Instant> {
        self.inner.running.lock().unwrap_or_else(|e| e.into_inner()).get(id).and_then(|s| s.full_pass_at)
    }

    /// Notes that a full pass over cluster `id` just succeeded.
    pub(super) fn record_full_pass(&self, id: &str) {
        let mut running = self.inner.running.lock().unwrap_or_else(|e| e.into_inner());
        running.entry(id.to_owned()).or_default().full_pass_at = Some(Instant::now());
    }
}
