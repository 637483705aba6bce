//! Per-cluster runtime state: its segments, and what the gateway remembers about them.

pub(crate) mod fanout;
pub(crate) mod snapshot;
mod versions;

pub(crate) use versions::{VersionCache, Versions};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::directory::{ClusterDirectory, DirectoryError, EndpointEvent};
use crate::error::ApiError;
use crate::placement::PendingPlacements;
use crate::transport::upstream::{Pool, Seg};

use crate::lock::lock;

/// How long the segment list from the directory is reused.
const SEGMENTS_TTL: Duration = Duration::from_secs(2);
/// How long a segment's `/info` is reused for placement and ping.
const INFO_TTL: Duration = Duration::from_secs(10);

/// How long a stale `/info` may still be served while it is refreshed.
const INFO_STALE_MAX: Duration = Duration::from_secs(300);

#[derive(Clone)]
struct InfoEntry {
    at: Instant,
    info: Arc<serde_json::Value>,
    refreshing: bool,
}

/// Bound of the id caches (they are only caches: a miss asks the segments).
const CACHE_CAP: usize = 100_000;

pub(crate) type Segs = Arc<Vec<Arc<Seg>>>;

/// What the gateway knows about one cluster.
pub(crate) struct Cluster {
    pub id: String,
    pub name: RwLock<String>,
    pub token: RwLock<String>,
    /// The operator's settings (the same for every cluster): policy, bounds, IPVS.
    pub options: Arc<crate::GatewayOptions>,
    directory: Arc<dyn ClusterDirectory>,
    /// This cluster's own clients: their idle connections go with the cluster.
    pool: Pool,
    segments: Mutex<Option<(Instant, Segs)>>,
    /// Container id (full) → segment name. Ids never move, so this never goes stale.
    owners: Mutex<HashMap<String, String>>,
    /// Exec id → segment name.
    execs: Mutex<HashMap<String, String>>,
    /// Segment name → cached `/info`.
    infos: Mutex<HashMap<String, InfoEntry>>,
    /// Container id → its reservations, read once by inspect (or known from create).
    pub facts: Mutex<HashMap<String, Arc<crate::placement::ContainerFacts>>>,
    /// Placements decided but maybe not yet visible in a segment's container list.
    pub pending: Arc<PendingPlacements>,
    /// The segments' versions, for `/_ping` and `/version`.
    pub versions: VersionCache,
}

impl Cluster {
    pub(crate) fn new(
        id: String,
        name: String,
        token: String,
        options: Arc<crate::GatewayOptions>,
        directory: Arc<dyn ClusterDirectory>,
    ) -> Self {
        Self {
            id,
            name: RwLock::new(name),
            token: RwLock::new(token),
            options,
            directory,
            pool: Pool::default(),
            segments: Mutex::new(None),
            owners: Mutex::default(),
            execs: Mutex::default(),
            infos: Mutex::default(),
            facts: Mutex::default(),
            pending: Arc::default(),
            versions: Default::default(),
        }
    }

    pub(crate) fn name(&self) -> String {
        self.name.read().map(|n| n.clone()).unwrap_or_default()
    }

    /// The current segments (cached briefly; the directory may be a database).
    pub(crate) async fn segments(&self) -> Result<Segs, ApiError> {
        if let Some((at, segs)) = lock(&self.segments).as_ref() {
            if at.elapsed() < SEGMENTS_TTL {
                return Ok(segs.clone());
            }
        }
        let endpoints = self.directory.segments(&self.id).await.map_err(|e| {
            tracing::warn!(cluster = %self.id, error = %e, "cluster directory failed");
            match e {
                DirectoryError::NotFound => ApiError::unavailable("this cluster no longer exists"),
                DirectoryError::Unavailable(_) => ApiError::unavailable("the cluster is unavailable, try again later"),
            }
        })?;
        let segs: Segs = Arc::new(endpoints.into_iter().map(|e| Arc::new(self.pool.segment(e))).collect());
        *lock(&self.segments) = Some((Instant::now(), segs.clone()));
        Ok(segs)
    }

    /// Segments, refusing an empty cluster with a clear message.
    pub(crate) async fn nonempty_segments(&self) -> Result<Segs, ApiError> {
        let segs = self.segments().await?;
        if segs.is_empty() {
            return Err(ApiError::unavailable("the cluster has no segments yet"));
        }
        Ok(segs)
    }

    pub(crate) async fn segment_named(&self, name: &str) -> Result<Option<Arc<Seg>>, ApiError> {
        Ok(self.segments().await?.iter().find(|s| s.name == name).cloned())
    }

    pub(crate) fn owner_of(&self, container_id: &str) -> Option<String> {
        lock(&self.owners).get(container_id).cloned()
    }
    pub(crate) fn remember_owner(&self, container_id: &str, segment: &str) {
        let mut owners = lock(&self.owners);
        // Removed containers are forgotten on DELETE; this bounds what is missed.
        if owners.len() > CACHE_CAP {
            owners.clear();
            lock(&self.facts).clear();
        }
        owners.insert(container_id.to_owned(), segment.to_owned());
    }
    pub(crate) fn forget_container(&self, container_id: &str) {
        lock(&self.owners).remove(container_id);
        lock(&self.facts).remove(container_id);
    }
    pub(crate) fn forget_facts(&self, container_id: &str) {
        lock(&self.facts).remove(container_id);
    }
    pub(crate) fn exec_owner(&self, exec_id: &str) -> Option<String> {
        lock(&self.execs).get(exec_id).cloned()
    }
    pub(crate) fn remember_exec(&self, exec_id: &str, segment: &str) {
        let mut execs = lock(&self.execs);
        // Exec ids are only useful for a while; keep the map from growing without bound.
        if execs.len() > CACHE_CAP {
            execs.clear();
        }
        execs.insert(exec_id.to_owned(), segment.to_owned());
    }

    /// A segment's `/info`: fresh for [`INFO_TTL`], then served stale while one
    /// background request refreshes it (dockerd's `/info` runs `runc --version` and the
    /// like: tens of milliseconds that `/_ping` and placement must not wait for).
    pub(crate) async fn info(self: &Arc<Self>, seg: &Arc<Seg>) -> Result<Arc<serde_json::Value>, ApiError> {
        let cached = lock(&self.infos).get(&seg.name).cloned();
        if let Some(entry) = cached {
            let age = entry.at.elapsed();
            if age < INFO_TTL {
                return Ok(entry.info);
            }
            if age < INFO_STALE_MAX {
                self.refresh_info_later(seg);
                return Ok(entry.info);
            }
        }
        self.fetch_info(seg).await
    }

    fn refresh_info_later(self: &Arc<Self>, seg: &Arc<Seg>) {
        {
            let mut infos = lock(&self.infos);
            match infos.get_mut(&seg.name) {
                Some(e) if !e.refreshing => e.refreshing = true,
                _ => return,
            }
        }
        let (cluster, seg) = (self.clone(), seg.clone());
        tokio::spawn(async move {
            if cluster.fetch_info(&seg).await.is_err() {
                // Unreachable now: the next caller asks again (and sees the error).
                lock(&cluster.infos).remove(&seg.name);
            }
        });
    }

    async fn fetch_info(&self, seg: &Seg) -> Result<Arc<serde_json::Value>, ApiError> {
        let info = Arc::new(seg.get_json("/v1.41/info").await?);
        lock(&self.infos)
            .insert(seg.name.clone(), InfoEntry { at: Instant::now(), info: info.clone(), refreshing: false });
        Ok(info)
    }

    pub(crate) fn drop_info(&self, segment: &str) {
        lock(&self.infos).remove(segment);
    }

    /// Audits a refusal.
    pub(crate) async fn record(&self, event: EndpointEvent) {
        self.directory.record_event(&self.id, event).await;
    }
}
