//! Leases: with several replicas (server processes) on one database, each cluster is
//! reconciled by one replica at a time, the warm pool is filled by one, and warm segments
//! change hands under one lock for all. A replica keeps what it took (a cluster's lease is
//! not given up after a pass, so its endpoint stays where it is) and renews its leases
//! while it runs; when it dies, they expire after [`Patience::lease`] and another replica
//! takes the work over, from whatever state the dead one left (every step checks the world
//! first). With one server, every lease is simply its own.
//!
//! [`Patience::lease`]: super::Patience::lease

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Reconciler;
use crate::clock::now_ms;
use crate::error::{Error, Result};

/// The lease of the warm pool's filler.
pub(super) const POOL_LEASE: &str = "pool";
/// The lease that stands for `pool_lock` across replicas.
const POOL_LOCK_LEASE: &str = "pool-lock";
/// How often a replica waiting for the pool lock asks again.
const POOL_LOCK_POLL: Duration = Duration::from_millis(10);

/// The name of the lease on one cluster's passes.
pub fn cluster_lease(cluster_id: &str) -> String {
    format!("cluster:{cluster_id}")
}

/// The pool lock, held: given back to other replicas, then to this one's, when dropped.
pub(super) struct PoolGuard {
    local: Option<tokio::sync::OwnedMutexGuard<()>>,
    reconciler: Reconciler,
}

impl Drop for PoolGuard {
    fn drop(&mut self) {
        // The local lock is held until the lease is given back: otherwise this replica's
        // next holder could take the lease again and lose it to this late release.
        let local = self.local.take();
        let reconciler = self.reconciler.clone();
        tokio::spawn(async move {
            let storage = &reconciler.inner.provisioner.storage;
            if let Err(err) = storage.release_lease(POOL_LOCK_LEASE, &reconciler.inner.replica).await {
                tracing::warn!(error = %err, "could not give back the pool lock; it expires");
            }
            drop(local);
        });
    }
}

impl Reconciler {
    /// Takes or renews lease `name`: whether this replica has it now.
    pub(super) async fn hold(&self, name: &str) -> Result<bool> {
        let now = now_ms();
        let until = now + self.lease_ms();
        self.inner.provisioner.storage.take_lease(name, &self.inner.replica, now, until).await
    }

    /// Runs `work` while this replica keeps lease `name`, which it has: the lease is
    /// confirmed (and renewed) every sixth of the lease time, and `work` is dropped where
    /// it is, as a crash would stop it, as soon as another replica has the lease, or when
    /// it could not be confirmed for a whole lease time (this replica was paused, or cut
    /// off from the database, long enough for another to take over). Every step checks
    /// the world first, so the new holder carries on from wherever this one stopped.
    pub(super) async fn while_holding<T>(&self, name: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
        let lease = self.inner.patience.lease;
        let lost = async {
            let mut confirmed = Instant::now();
            loop {
                tokio::time::sleep(lease / 6).await;
                // Before asking: a replica that was paused must not go on while it asks.
                if confirmed.elapsed() >= lease {
                    return "it could not be confirmed in time";
                }
                match self.hold(name).await {
                    Ok(true) => confirmed = Instant::now(),
                    Ok(false) => return "another replica has it",
                    Err(err) => tracing::warn!(lease = name, error = %err, "could not confirm a lease"),
                }
            }
        };
        // Biased: after a pause, the lease's check runs before the work's next step.
        tokio::select! {
            biased;
            why = lost => {
                tracing::warn!(lease = name, why, "lost a lease; this replica stops its work under it");
                Err(Error::Conflict(format!("The lease {name} was lost: {why}.")))
            }
            done = work => done,
        }
    }

    /// Gives up lease `name` (a deleted cluster's).
    pub(super) async fn let_go(&self, name: &str) {
        if let Err(err) = self.inner.provisioner.storage.release_lease(name, &self.inner.replica).await {
            tracing::warn!(lease = name, error = %err, "could not give up a lease; it expires");
        }
    }

    /// Closes this replica's endpoint of a cluster another replica holds (it had the lease,
    /// and lost it while alive): the cluster's endpoint is the lease holder's, which opens
    /// it on the same port.
    pub(super) async fn close_endpoint_of_other(&self, cluster_id: &str) {
        let endpoints = &self.inner.provisioner.endpoints;
        if endpoints.is_open(cluster_id) {
            tracing::info!(cluster = %cluster_id, "another replica has the cluster now; closing its endpoint here");
            endpoints.close(cluster_id).await;
        }
    }

    /// Renews this replica's leases, forever, three times per lease time.
    pub(super) async fn renew_leases(&self) {
        loop {
            tokio::time::sleep(self.inner.patience.lease / 3).await;
            let until = now_ms() + self.lease_ms();
            if let Err(err) = self.inner.provisioner.storage.renew_leases(&self.inner.replica, until).await {
                tracing::warn!(error = %err, "could not renew this replica's leases");
            }
        }
    }

    /// Takes the pool lock: this replica's, then the database's lease for it, waiting
    /// while another replica has it.
    pub(super) async fn lock_pool(&self) -> Result<PoolGuard> {
        let local = Arc::clone(&self.inner.pool_lock).lock_owned().await;
        while !self.hold(POOL_LOCK_LEASE).await? {
            tokio::time::sleep(POOL_LOCK_POLL).await;
        }
        Ok(PoolGuard { local: Some(local), reconciler: self.clone() })
    }

    fn lease_ms(&self) -> i64 {
        self.inner.patience.lease.as_millis() as i64
    }
}
