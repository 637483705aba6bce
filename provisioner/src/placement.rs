//! Placement: which containers run on which segment, read from the cluster's live model.

use std::time::Duration;

use tokio::sync::watch;

use crate::account::Account;
use crate::error::Result;
use crate::live::{Containers, Feed, PlacedContainer, Sample};
use crate::Provisioner;

/// The containers of one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentPlacement {
    pub segment: String,
    pub ordinal: u32,
    pub address: String,
    /// `None` when the segment's Docker could not be asked (it is down or starting).
    pub containers: Option<Vec<PlacedContainer>>,
    /// Its use of the host, oldest first, since the model started (15 minutes at most).
    pub usage: Vec<Sample>,
}

/// How long a look at a model that has just started waits for its segments' first
/// listings, so that a page's first render shows containers rather than "not answering".
const FIRST_LISTING: Duration = Duration::from_secs(3);

impl Provisioner {
    /// Where each container of one of the account's clusters runs, segment by segment.
    pub async fn placement(&self, account: &Account, name: &str) -> Result<Vec<SegmentPlacement>> {
        let row = self.owned_cluster(account, name).await?;
        let segments = self.storage.segments_of(&row.id).await?;
        let Some(live) = &self.live else {
            return Ok(Vec::new());
        };
        let mut model = live.subscribe(&row.id);
        // Until every segment the database lists has had its first answer (or failure).
        let settled =
            |c: &Containers| segments.iter().all(|s| c.segments.get(&s.name).is_some_and(|f| *f != Feed::Connecting));
        let _ = tokio::time::timeout(FIRST_LISTING, model.wait_for(settled)).await;
        let now = model.borrow().clone();
        Ok(segments
            .into_iter()
            .map(|segment| SegmentPlacement {
                containers: match now.segments.get(&segment.name) {
                    Some(Feed::Following(list)) => Some(list.clone()),
                    _ => None,
                },
                usage: now.usage.get(&segment.name).cloned().unwrap_or_default(),
                ordinal: segment.ordinal as u32,
                address: segment.address,
                segment: segment.name,
            })
            .collect())
    }

    /// Wakes whenever something one of the account's cluster pages shows may have
    /// changed: its containers (the live model) or the database. `NotFound` for a
    /// cluster that is not the account's.
    pub async fn watch_cluster(&self, account: &Account, name: &str) -> Result<ClusterWatch> {
        let row = self.owned_cluster(account, name).await?;
        Ok(ClusterWatch {
            containers: self.live.as_ref().map(|live| live.subscribe(&row.id)),
            database: self.storage.changes(),
        })
    }

    /// Keeps the live model of every cluster in use running, for as long as the future
    /// lives (none without infrastructure).
    pub async fn follow_active_clusters(&self) {
        match &self.live {
            Some(live) => live.clone().follow_active().await,
            None => std::future::pending().await,
        }
    }

    /// Wakes whenever the database changes (the clusters page shows nothing else).
    pub fn watch_database(&self) -> ClusterWatch {
        ClusterWatch { containers: None, database: self.storage.changes() }
    }

    /// The database's version: a number that moves with every write that pages show, this
    /// process's at once, another replica's or an operator command's soon after (what may
    /// be kept of a rendered page depends on it).
    pub fn watch_database_version(&self) -> watch::Receiver<u64> {
        self.storage.changes()
    }
}

/// A subscription to what a page shows; see [`Provisioner::watch_cluster`].
pub struct ClusterWatch {
    containers: Option<watch::Receiver<Containers>>,
    database: watch::Receiver<u64>,
}

impl ClusterWatch {
    /// Resolves at the next change; `false` once nothing more can change (the server is
    /// stopping or the cluster's model ended with its cluster).
    pub async fn changed(&mut self) -> bool {
        let containers = async {
            match &mut self.containers {
                Some(rx) => rx.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ok = containers => ok,
            ok = self.database.changed() => ok.is_ok(),
        }
    }
}
