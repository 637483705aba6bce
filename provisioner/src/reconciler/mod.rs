//! The reconciler: compares each cluster's desired state (SQL) with what libvirt and Docker
//! report, and acts until they agree. Every step checks the world first, so a pass can be
//! interrupted anywhere (server killed, libvirtd restarted) and the next one carries on.
//!
//! It sees the world only through its [`Context`]: a [`SegmentDriver`] for the segments and
//! a [`DockerConnector`] for their dockerds, both narrow traits, so that its tests run
//! against fakes (`tests/support/`).

mod context;
mod converge;
mod health;
mod heartbeat;
mod hosts;
mod lease;
mod pass_metrics;
mod pool;
mod roles;
mod teardown;

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use std::time::{Duration, Instant};
use tokio::sync::Notify;

use segments::{BollardDocker, DockerAddress, DockerConnector, SegmentDriver};

use crate::cluster::ClusterStatus;
use crate::error::Result;
use crate::fleet::Fleet;
use crate::Provisioner;

pub use context::{Context, Patience};
pub use heartbeat::Heartbeat;
pub use lease::cluster_lease;
pub use roles::{manager_ordinals, stale_nodes, NodeEntry};

/// How often clusters are looked at when nothing wakes the reconciler: also how soon a
/// dead segment is noticed.
const TICK: Duration = Duration::from_secs(2);
/// Retry delays after failed passes: doubling, capped.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(15);
/// A build, grow or rebuild that has not converged after this long ends in `error` (the
/// default of [`Patience::converge_deadline`]).
pub const CONVERGE_DEADLINE: Duration = Duration::from_secs(10 * 60);

/// Drives clusters towards their desired state.
#[derive(Clone)]
pub struct Reconciler {
    inner: Arc<Inner>,
}

struct Inner {
    provisioner: Provisioner,
    fleet: Fleet,
    docker: Arc<dyn DockerConnector>,
    base_image_tar: PathBuf,
    patience: Patience,
    /// Clusters with a pass under way, and when failing ones may be retried.
    running: Mutex<HashMap<String, Schedule>>,
    /// Wakes the warm pool's filler (a segment was taken, a build ended).
    pool_wake: Notify,
    /// Held while warm segments are handed out, and while the filler changes the rules of
    /// warm segments other than the one it starts (see `pool.rs`); with the lease that
    /// stands for it across replicas ([`Reconciler::lock_pool`]).
    pool_lock: Arc<tokio::sync::Mutex<()>>,
    /// This replica's name in the leases ([`crate::ProvisionerConfig::replica`]).
    replica: String,
    /// Beats after every loop over all clusters.
    heartbeat: Heartbeat,
}

impl Inner {
    /// The driver of the host segment `domain` (of a cluster, or warm) was placed on.
    async fn driver(&self, domain: &str) -> Result<Arc<dyn SegmentDriver>> {
        let host = self.provisioner.storage.host_of_domain(domain).await?;
        let host =
            host.ok_or_else(|| crate::Error::Internal(format!("segment {domain} is not recorded on any host")))?;
        self.fleet.on(&host)
    }

    /// Where the dockerd of segment `domain` at `address` is reached.
    async fn dockerd(&self, domain: &str, address: Ipv4Addr) -> Result<DockerAddress> {
        let driver = self.driver(domain).await?;
        Ok(driver.docker_address(domain, address, self.provisioner.control_identity()))
    }
}

#[derive(Default)]
struct Schedule {
    busy: bool,
    failures: u32,
    not_before: Option<Instant>,
    /// When the last full pass succeeded (see [`health`]).
    full_pass_at: Option<Instant>,
}

/// What one pass over a cluster achieved.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Desired and actual state agree.
    Converged,
    /// The cluster and all its segments are gone.
    Deleted,
    /// Nothing to do (the cluster is in `error`, or gone already).
    Idle,
}

impl Reconciler {
    /// A reconciler for this provisioner's clusters, running segments with `driver` and
    /// reaching their Docker with bollard, with the production [`Patience`].
    pub fn new(provisioner: Provisioner, fleet: Fleet, base_image_tar: PathBuf) -> Self {
        Self::with_context(Context {
            provisioner,
            fleet,
            docker: Arc::new(BollardDocker),
            base_image_tar,
            patience: Patience::default(),
        })
    }

    /// A reconciler over this context (tests pass fakes of the segments and their Docker).
    pub fn with_context(context: Context) -> Self {
        let Context { provisioner, fleet, docker, base_image_tar, patience } = context;
        let replica = provisioner.config.replica.clone();
        Reconciler {
            inner: Arc::new(Inner {
                provisioner,
                fleet,
                docker,
                base_image_tar,
                patience,
                running: Mutex::new(HashMap::new()),
                pool_wake: Notify::new(),
                pool_lock: Arc::new(tokio::sync::Mutex::new(())),
                replica,
                heartbeat: Heartbeat::default(),
            }),
        }
    }

    /// When the loop of [`Reconciler::run`] last went over every cluster.
    pub fn heartbeat(&self) -> Heartbeat {
        self.inner.heartbeat.clone()
    }

    /// Runs forever: removes leftovers of earlier runs, then looks at every cluster on each
    /// tick and whenever desired state changes.
    pub async fn run(self) {
        if let Err(err) = self.remove_orphans().await {
            tracing::warn!(error = %err, "could not look for leftover segments");
        }
        let wake = self.inner.provisioner.wake.clone();
        let clusters = async {
            loop {
                match self.schedule_all().await {
                    Ok(()) => self.inner.heartbeat.beat(),
                    Err(err) => tracing::warn!(error = %err, "could not list clusters"),
                }
                let _ = tokio::time::timeout(TICK, wake.notified()).await;
            }
        };
        // One future: stopping the reconciler stops the warm pool's filler, the renewal of
        // its leases (as a crash would: other replicas take over once they expire), and
        // the following of other replicas' wake-ups and revocations.
        let provisioner = &self.inner.provisioner;
        tokio::join!(
            clusters,
            self.fill_pool(),
            self.renew_leases(),
            self.watch_hosts(),
            provisioner.follow_replicas()
        );
    }

    /// Starts a pass for every cluster that has none under way and is not backing off.
    async fn schedule_all(&self) -> Result<()> {
        // Hosts an operator added since the last loop (on any replica).
        self.inner.fleet.refresh(&self.inner.provisioner.storage).await?;
        for row in self.inner.provisioner.storage.all_clusters().await? {
            if self.claim(&row.id) {
                let this = self.clone();
                tokio::spawn(async move {
                    let lease = lease::cluster_lease(&row.id);
                    match this.hold(&lease).await {
                        Ok(true) => {}
                        // Another replica works on it, and serves its endpoint.
                        Ok(false) => {
                            this.close_endpoint_of_other(&row.id).await;
                            return this.release(&row.id, true);
                        }
                        Err(err) => {
                            this.release(&row.id, false);
                            return tracing::warn!(cluster = %row.id, error = %err, "could not take the lease");
                        }
                    }
                    let started = Instant::now();
                    let result = this.while_holding(&lease, this.reconcile(&row.id)).await;
                    pass_metrics::record_pass(started.elapsed(), result.is_ok());
                    match result {
                        Ok(Outcome::Deleted) => {
                            this.forget(&row.id);
                            this.let_go(&lease).await;
                        }
                        Ok(_) => this.release(&row.id, true),
                        Err(err) => {
                            this.release(&row.id, false);
                            tracing::warn!(cluster = %row.id, error = %err, "reconcile pass failed; will retry");
                        }
                    }
                });
            }
        }
        Ok(())
    }

    fn claim(&self, id: &str) -> bool {
        let mut running = self.inner.running.lock().unwrap_or_else(|e| e.into_inner());
        let schedule = running.entry(id.to_owned()).or_default();
        let due = schedule.not_before.is_none_or(|t| Instant::now() >= t);
        if schedule.busy || !due {
            return false;
        }
        schedule.busy = true;
        true
    }

    /// Drops the schedule of a cluster that is gone.
    fn forget(&self, id: &str) {
        self.inner.running.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }

    fn release(&self, id: &str, succeeded: bool) {
        let mut running = self.inner.running.lock().unwrap_or_else(|e| e.into_inner());
        let schedule = running.entry(id.to_owned()).or_default();
        schedule.busy = false;
        if succeeded {
            schedule.failures = 0;
            schedule.not_before = None;
        } else {
            let delay = FIRST_RETRY.saturating_mul(1 << schedule.failures.min(5)).min(MAX_RETRY);
            schedule.failures += 1;
            schedule.not_before = Some(Instant::now() + delay);
            // Retry without waiting for the next tick once the delay is over.
            let wake = self.inner.provisioner.wake.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                wake.notify_one();
            });
        }
    }

    /// One pass over one cluster: converge it, or tear it down if it is being deleted.
    pub async fn reconcile(&self, cluster_id: &str) -> Result<Outcome> {
        let Some(row) = self.inner.provisioner.storage.cluster_by_id(cluster_id).await? else {
            return Ok(Outcome::Idle);
        };
        match row.status.parse::<ClusterStatus>()? {
            ClusterStatus::Deleting => self.teardown(&row).await,
            ClusterStatus::Error => Ok(Outcome::Idle),
            _ => self.converge(row).await,
        }
    }

    /// Removes segments on the hosts that no cluster knows: leftovers of a server killed
    /// between creating a segment and recording it, or during a delete.
    pub async fn remove_orphans(&self) -> Result<usize> {
        self.inner.fleet.refresh(&self.inner.provisioner.storage).await?;
        let mut removed = 0;
        for (host, driver) in self.inner.fleet.all() {
            // The host first: a segment is recorded before its domain is made, so one made
            // by another replica after this look is not seen, and one seen is in the
            // database.
            let on_host = driver.list().await?;
            let known = self.inner.provisioner.storage.all_segment_domains().await?;
            for name in on_host.into_iter().filter(|n| !known.contains(n)) {
                tracing::info!(segment = %name, %host, "removing a leftover segment");
                driver.remove(&name).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
