//! What users do with clusters: create, grow, rebuild, delete, look. These only write
//! desired state and wake the reconciler; they never wait for infrastructure.

use uuid::Uuid;

use crate::account::Account;
use crate::clock::now_ms;
use crate::cluster::{validate_name, Action, ClusterStatus};
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::segment::SegmentStatus;
use crate::storage::{ClusterRow, EventRow, Generation, SegmentRow, Transition};
use crate::Provisioner;

/// A cluster as its owner sees it in a list.
#[derive(Clone, Debug)]
pub struct ClusterSummary {
    pub id: String,
    pub name: String,
    pub status: ClusterStatus,
    pub status_reason: Option<String>,
    pub desired_segments: u32,
    /// Segments that run and answer Docker.
    pub ready_segments: u32,
    pub flavor: String,
    pub created_at: i64,
}

/// A segment as its owner sees it.
#[derive(Clone, Debug)]
pub struct SegmentInfo {
    pub name: String,
    pub ordinal: u32,
    pub address: String,
    pub state: SegmentStatus,
    pub state_reason: Option<String>,
    pub memory_mib: u64,
    pub vcpus: u32,
    /// The segment's disk quota (its Docker file system).
    pub disk_mib: u64,
}

/// One line of a cluster's history.
#[derive(Clone, Debug)]
pub struct ClusterEvent {
    pub kind: String,
    pub message: String,
    pub at: i64,
}

/// A cluster with everything its page shows.
#[derive(Clone, Debug)]
pub struct ClusterDetail {
    pub summary: ClusterSummary,
    /// `token://<cluster id>`: lists the segments through the discovery endpoint.
    pub token: String,
    /// What `docker.env` sets `DOCKER_HOST` to.
    pub docker_host: String,
    pub segments: Vec<SegmentInfo>,
    pub events: Vec<ClusterEvent>,
}

/// How many events a cluster page shows.
const EVENTS_SHOWN: i64 = 50;

/// A discovery token for a cluster id.
pub fn token_of(cluster_id: &str) -> String {
    format!("token://{cluster_id}")
}

impl Provisioner {
    /// Creates a cluster of `segments` segments. Refused beyond the account's quotas, also
    /// under concurrent requests.
    pub async fn create_cluster(&self, account: &Account, name: &str, segments: u32) -> Result<ClusterSummary> {
        let name = name.trim();
        validate_name(name)?;
        account.quotas.check_segments(segments)?;
        let id = Uuid::new_v4().to_string();
        let ca = pki::new_cluster_ca(&id, name)?;
        let now = now_ms();
        let row = ClusterRow {
            id: id.clone(),
            account_id: account.id.clone(),
            name: name.to_owned(),
            status: ClusterStatus::New.as_str().into(),
            status_reason: None,
            desired_segments: segments.into(),
            generation: 1,
            endpoint_port: 0,
            ca_cert_pem: ca.cert_pem,
            ca_key_sealed: self.seal_ca_key(&id, &ca.key_pem),
            created_at: now,
            updated_at: now,
        };
        self.storage.insert_cluster_within_quota(&row, self.config.endpoint_ports.clone()).await?;
        self.record(&id, EventKind::Action, &format!("Cluster created with {segments} segment(s)")).await;
        tracing::info!(cluster = %id, account = %account.id, segments, "cluster created");
        self.wake_reconciler();
        self.summary(row).await
    }

    /// Grows a cluster to `segments` segments. Segments are only ever added.
    pub async fn grow_cluster(&self, account: &Account, name: &str, segments: u32) -> Result<ClusterSummary> {
        let row = self.owned_cluster(account, name).await?;
        let current = row.desired_segments as u32;
        if segments <= current {
            return Err(Error::Invalid(format!(
                "The cluster already has {current} segment(s); growing adds segments, it never removes them. Choose more than {current}."
            )));
        }
        account.quotas.check_segments(segments)?;
        let change =
            Change { to: ClusterStatus::Growing, desired_segments: Some(segments), generation: Generation::Keep };
        self.transition(&row, Action::Grow, change).await?;
        self.record(&row.id, EventKind::Action, &format!("Grow to {segments} segments requested")).await;
        self.wake_reconciler();
        self.cluster_summary(account, name).await
    }

    /// Adds `by` segments to a cluster (Carina's API grew *by* a number of nodes).
    pub async fn grow_cluster_by(&self, account: &Account, name: &str, by: u32) -> Result<ClusterSummary> {
        if by == 0 {
            return Err(Error::Invalid("Grow by at least 1 segment; a cluster never shrinks.".into()));
        }
        let current = self.owned_cluster(account, name).await?.desired_segments as u32;
        self.grow_cluster(account, name, current.saturating_add(by)).await
    }

    /// Replaces all of a cluster's segments, keeping its identity, name, CA and endpoint.
    pub async fn rebuild_cluster(&self, account: &Account, name: &str) -> Result<ClusterSummary> {
        let row = self.owned_cluster(account, name).await?;
        let change = Change { to: ClusterStatus::Rebuilding, desired_segments: None, generation: Generation::Next };
        self.transition(&row, Action::Rebuild, change).await?;
        self.record(&row.id, EventKind::Action, "Rebuild requested").await;
        self.wake_reconciler();
        self.cluster_summary(account, name).await
    }

    /// Deletes a cluster: the reconciler removes its segments, then the cluster.
    pub async fn delete_cluster(&self, account: &Account, name: &str) -> Result<()> {
        let row = self.owned_cluster(account, name).await?;
        let change = Change { to: ClusterStatus::Deleting, desired_segments: None, generation: Generation::Keep };
        self.transition(&row, Action::Delete, change).await?;
        self.record(&row.id, EventKind::Action, "Delete requested").await;
        self.wake_reconciler();
        Ok(())
    }

    /// The account's clusters.
    pub async fn clusters(&self, account: &Account) -> Result<Vec<ClusterSummary>> {
        let mut out = Vec::new();
        for row in self.storage.clusters_of(&account.id).await? {
            out.push(self.summary(row).await?);
        }
        Ok(out)
    }

    /// One of the account's clusters, in a line.
    pub async fn cluster_summary(&self, account: &Account, name: &str) -> Result<ClusterSummary> {
        let row = self.owned_cluster(account, name).await?;
        self.summary(row).await
    }

    /// One of the account's clusters, with segments and history.
    pub async fn cluster_detail(&self, account: &Account, name: &str) -> Result<ClusterDetail> {
        let row = self.owned_cluster(account, name).await?;
        let segments = self.storage.segments_of(&row.id).await?;
        let events = self.storage.events_of(&row.id, EVENTS_SHOWN).await?;
        let docker_host = self.docker_host(row.endpoint_port as u16);
        let token = token_of(&row.id);
        Ok(ClusterDetail {
            segments: segments.iter().map(|s| self.segment_info(s)).collect(),
            events: events.into_iter().map(event_of).collect(),
            summary: summarize(row, &segments, &self.config.flavor.name),
            token,
            docker_host,
        })
    }

    /// The `ip:port` of every segment of the cluster with this discovery token
    /// (`token://<id>` or the bare id), like classic Swarm's hosted discovery.
    pub async fn discover(&self, token: &str) -> Result<Vec<String>> {
        let id = token.strip_prefix("token://").unwrap_or(token);
        let not_found = || Error::NotFound(format!("No cluster has the discovery token {token:?}."));
        if Uuid::parse_str(id).is_err() {
            return Err(not_found());
        }
        let row = self.storage.cluster_by_id(id).await?.ok_or_else(not_found)?;
        let segments = self.storage.segments_of(&row.id).await?;
        Ok(segments.iter().map(|s| format!("{}:{}", s.address, segments::DOCKERD_TLS_PORT)).collect())
    }

    /// `tcp://<endpoint host>:<port>`.
    pub fn docker_host(&self, port: u16) -> String {
        let host = &self.config.endpoint_host;
        if host.contains(':') {
            format!("tcp://[{host}]:{port}")
        } else {
            format!("tcp://{host}:{port}")
        }
    }

    pub(crate) async fn owned_cluster(&self, account: &Account, name: &str) -> Result<ClusterRow> {
        self.storage
            .cluster_by_name(&account.id, name.trim())
            .await?
            .ok_or_else(|| Error::NotFound(format!("You have no cluster named {:?}.", name.trim())))
    }

    /// Makes `change` if the cluster's status permits `action` (checked in the same SQL
    /// statement as the change, so that concurrent requests cannot both succeed).
    async fn transition(&self, row: &ClusterRow, action: Action, change: Change) -> Result<()> {
        let transition = Transition {
            from: ClusterStatus::permitting(action),
            to: change.to,
            desired_segments: change.desired_segments.map(i64::from),
            generation: change.generation,
        };
        if self.storage.transition_cluster(&row.id, &transition, now_ms()).await? {
            return Ok(());
        }
        let current = self.storage.cluster_by_id(&row.id).await?.map(|r| r.status).unwrap_or_default();
        let from: Vec<&str> = transition.from.iter().map(|s| s.as_str()).collect();
        Err(Error::Conflict(format!(
            "The cluster is {current}; it can only {} when it is {}.",
            action.verb(),
            from.join(" or ")
        )))
    }

    async fn summary(&self, row: ClusterRow) -> Result<ClusterSummary> {
        let segments = self.storage.segments_of(&row.id).await?;
        Ok(summarize(row, &segments, &self.config.flavor.name))
    }

    fn segment_info(&self, row: &SegmentRow) -> SegmentInfo {
        SegmentInfo {
            name: row.name.clone(),
            ordinal: row.ordinal as u32,
            address: row.address.clone(),
            state: row.state,
            state_reason: row.state_reason.clone(),
            memory_mib: self.config.flavor.memory_mib,
            vcpus: self.config.flavor.vcpus,
            disk_mib: self.config.flavor.disk_mib,
        }
    }

    /// Appends to a cluster's history, naming the request's actor (see [`crate::audit`]).
    /// A failure to record is logged, never fatal: the history must not stop the work it
    /// describes.
    pub(crate) async fn record(&self, cluster_id: &str, kind: EventKind, message: &str) {
        let by = crate::audit::current();
        if let Err(err) = self.storage.insert_event(cluster_id, kind.as_str(), message, &by, now_ms()).await {
            tracing::warn!(cluster = %cluster_id, error = %err, "could not record an event");
        }
    }
}

/// What an accepted request changes besides the status.
struct Change {
    to: ClusterStatus,
    desired_segments: Option<u32>,
    generation: Generation,
}

fn summarize(row: ClusterRow, segments: &[SegmentRow], flavor: &str) -> ClusterSummary {
    ClusterSummary {
        status: row.status.parse().unwrap_or(ClusterStatus::Error),
        ready_segments: segments.iter().filter(|s| s.state == SegmentStatus::Ready).count() as u32,
        desired_segments: row.desired_segments as u32,
        status_reason: row.status_reason,
        flavor: flavor.to_owned(),
        created_at: row.created_at,
        id: row.id,
        name: row.name,
    }
}

fn event_of(row: EventRow) -> ClusterEvent {
    ClusterEvent { kind: row.kind, message: row.message, at: row.created_at }
}
