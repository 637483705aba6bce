//! Hosts that stop answering. Every replica asks each host's libvirt, every tick, whether it
//! answers, and records the answer (`hosts.unreachable_since`): placement then puts nothing
//! new there, and a pass shows that host's segments as down and goes on with the others
//! (see `converge.rs`). A segment that must go while its host is away (a rebuild moves it,
//! or its cluster is deleted) is *stranded*: taken off its cluster at once, its address
//! kept, and removed from the host as soon as the host answers again.

use std::time::Duration;

use futures::future::join_all;

use super::{Reconciler, TICK};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::host::LOCAL_HOST;
use crate::segment::SegmentStatus;
use crate::storage::{ClusterRow, SegmentRow};

/// How long a host's libvirt may take to answer a probe before it counts as away.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

impl Reconciler {
    /// Probes the hosts and removes stranded segments from those that answer, forever.
    pub(super) async fn watch_hosts(&self) {
        loop {
            if let Err(err) = self.look_at_hosts().await {
                tracing::warn!(error = %err, "could not look at the hosts");
            }
            tokio::time::sleep(TICK).await;
        }
    }

    /// One look: every host other than this server's own is asked (side by side), the
    /// answers recorded, and stranded segments on answering hosts removed.
    pub async fn look_at_hosts(&self) -> Result<()> {
        let storage = &self.inner.provisioner.storage;
        self.inner.fleet.refresh(storage).await?;
        let others: Vec<_> = self.inner.fleet.all().into_iter().filter(|(host, _)| host != LOCAL_HOST).collect();
        let answers = join_all(others.iter().map(|(host, driver)| async move {
            let answered = matches!(tokio::time::timeout(PROBE_TIMEOUT, driver.list()).await, Ok(Ok(_)));
            (host, answered)
        }))
        .await;
        for (host, answered) in answers {
            if storage.set_host_reachable(host, answered, now_ms()).await? {
                match answered {
                    true => tracing::info!(%host, "the host answers again"),
                    false => tracing::warn!(%host, "the host does not answer"),
                }
            }
        }
        self.remove_stranded().await
    }

    /// Removes every stranded segment whose host answers, then forgets it.
    async fn remove_stranded(&self) -> Result<()> {
        let storage = &self.inner.provisioner.storage;
        let away = self.unreachable_hosts().await?;
        for stranded in storage.stranded_segments().await?.into_iter().filter(|s| !away.contains(&s.host)) {
            let removed: Result<()> = async {
                self.inner.fleet.on(&stranded.host)?.remove(&stranded.domain).await?;
                storage.delete_stranded(&stranded.domain).await
            }
            .await;
            match removed {
                Ok(()) => tracing::info!(segment = %stranded.domain, host = %stranded.host, "stranded segment removed"),
                Err(err) => tracing::warn!(
                    segment = %stranded.domain, host = %stranded.host, error = %err, "stranded segment not removed yet"
                ),
            }
        }
        Ok(())
    }

    /// The hosts that do not answer, as the replicas last recorded.
    pub(super) async fn unreachable_hosts(&self) -> Result<Vec<String>> {
        let hosts = self.inner.provisioner.storage.hosts().await?;
        Ok(hosts.into_iter().filter(|h| h.unreachable_since.is_some()).map(|h| h.name).collect())
    }

    /// Splits a cluster's segments into those on answering hosts and those on the hosts
    /// `away`, and shows each of the latter down (once).
    pub(super) async fn split_off_away(
        &self,
        cluster: &ClusterRow,
        segments: Vec<SegmentRow>,
        away: &[String],
    ) -> Result<(Vec<SegmentRow>, Vec<SegmentRow>)> {
        let p = &self.inner.provisioner;
        let (mut cut_off, reachable): (Vec<_>, Vec<_>) = segments.into_iter().partition(|s| away.contains(&s.host));
        for segment in cut_off.iter_mut().filter(|s| s.state != SegmentStatus::Down) {
            let why = format!("its host {} does not answer", segment.host);
            p.storage.set_segment_state(&segment.id, SegmentStatus::Down, Some(&why), now_ms()).await?;
            segment.state = SegmentStatus::Down;
            let message = format!(
                "Segment n{} is down ({why}); the others go on serving, and a rebuild moves it to another host",
                segment.ordinal
            );
            p.record(&cluster.id, EventKind::Progress, &message).await;
            tracing::warn!(cluster = %cluster.id, segment = %segment.name, "{message}");
        }
        Ok((reachable, cut_off))
    }

    /// New segment rows, each given a libvirt domain of its own when one named like it is
    /// still stranded on a host that does not answer (the one it replaces).
    pub(super) async fn clear_of_stranded(&self, rows: impl Iterator<Item = SegmentRow>) -> Result<Vec<SegmentRow>> {
        let stranded = self.inner.provisioner.storage.stranded_segments().await?;
        Ok(rows
            .map(|row| match stranded.iter().any(|s| s.domain == row.name) {
                true => SegmentRow { domain: Some(format!("{}-g{}", row.name, row.generation)), ..row },
                false => row,
            })
            .collect())
    }

    /// Takes `segment` off its cluster for good: removed from its host now, or, when the
    /// host is away, stranded there until it answers.
    pub(super) async fn remove_segment(&self, segment: &SegmentRow, away: &[String]) -> Result<()> {
        let storage = &self.inner.provisioner.storage;
        if away.contains(&segment.host) {
            tracing::warn!(segment = %segment.name, host = %segment.host, "its host does not answer: stranded");
            return storage.strand_segment(segment, now_ms()).await;
        }
        self.inner.fleet.on(&segment.host)?.remove(segment.domain()).await?;
        // The address is free again only once the segment is really gone.
        storage.delete_segment(&segment.id).await
    }
}

/// A pass over a cluster with segments `away` did not converge: it says which, and what
/// the owner can do.
pub(super) fn none_away(away: &[SegmentRow]) -> Result<()> {
    match away.first() {
        None => Ok(()),
        Some(segment) => Err(Error::Conflict(format!(
            "segment n{} is on host {}, which does not answer; rebuild the cluster to move it",
            segment.ordinal, segment.host
        ))),
    }
}
