//! What the service as a whole looks like, for `/status.json`: counts only, nothing of any
//! one tenant (no names, addresses or paths).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::storage::PoolState;
use crate::Provisioner;

/// The service's state in numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceStatus {
    /// Clusters by status (`active`, `building`…).
    pub clusters: BTreeMap<String, u64>,
    /// Segments of clusters by state (`ready`, `down`…).
    pub segments: BTreeMap<String, u64>,
    /// The warm pool of started, unassigned segments.
    pub warm_pool: WarmPool,
}

/// The warm pool's size and fill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WarmPool {
    /// How many segments it keeps (`--warm-segments`).
    pub size: u32,
    /// Started and ready to be handed out.
    pub ready: u64,
    /// Being started.
    pub starting: u64,
}

impl Provisioner {
    /// The service's state in numbers.
    pub async fn service_status(&self) -> Result<ServiceStatus> {
        let mut clusters = BTreeMap::new();
        let mut segments = BTreeMap::new();
        for cluster in self.storage.all_clusters().await? {
            *clusters.entry(cluster.status.clone()).or_insert(0) += 1;
            for segment in self.storage.segments_of(&cluster.id).await? {
                *segments.entry(segment.state.to_string()).or_insert(0) += 1;
            }
        }
        let pool = self.storage.pool_segments().await?;
        let count = |state| pool.iter().filter(|p| p.state == state).count() as u64;
        let warm_pool = WarmPool {
            size: self.config.warm_segments,
            ready: count(PoolState::Ready),
            starting: count(PoolState::Starting),
        };
        Ok(ServiceStatus { clusters, segments, warm_pool })
    }
}
