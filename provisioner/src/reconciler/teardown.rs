//! Deleting a cluster: close its endpoint, remove every segment (or strand it on a host
//! that does not answer), then forget it.

use futures::future::try_join_all;

use super::{Outcome, Reconciler};
use crate::clock::now_ms;
use crate::error::Result;
use crate::segment::SegmentStatus;
use crate::storage::ClusterRow;

impl Reconciler {
    /// Removes the cluster's endpoint, segments (domains, mounts, directories, addresses)
    /// and finally its rows. Safe to repeat after an interruption: each step checks first.
    #[tracing::instrument(skip_all, fields(cluster = %row.id))]
    pub(super) async fn teardown(&self, row: &ClusterRow) -> Result<Outcome> {
        let p = &self.inner.provisioner;
        p.endpoints.close(&row.id).await;
        let segments = p.storage.segments_of(&row.id).await?;
        let away = &self.unreachable_hosts().await?;
        let removals = try_join_all(segments.iter().map(|segment| async move {
            p.storage.set_segment_state(&segment.id, SegmentStatus::Removing, None, now_ms()).await?;
            self.remove_segment(segment, away).await
        }));
        super::pass_metrics::step("teardown", removals).await?;
        p.storage.delete_cluster(&row.id).await?;
        tracing::info!(cluster = %row.id, "cluster deleted");
        Ok(Outcome::Deleted)
    }
}
