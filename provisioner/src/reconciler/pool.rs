//! The warm pool: segments started ahead of demand, so that a new cluster (or a grow, or a
//! rebuild) waits only for what makes segments its own, not for their cold start.
//!
//! A pooled segment is a domain `pool-<id>` with an address, dockerd answering, the base
//! image loaded, isolated from every other segment, and a server certificate of a CA whose
//! key was dropped at once: no tenant data and no tenant certificate. The cluster that takes
//! it ([`crate::storage::Storage::take_pool_segment`], one transaction) gives it its name,
//! its certificates and its peers; a segment a cluster lets go is destroyed, never pooled
//! again, so nothing of one tenant can reach another through the pool.
//!
//! The filler starts one segment at a time and only while no cluster is being built,
//! grown or rebuilt, so refilling never slows what users are waiting for. At start it
//! removes what a crash left half made.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use segments::{SegmentState, SegmentTls};
use uuid::Uuid;

use super::Reconciler;
use crate::clock::now_ms;
use crate::cluster::ClusterStatus;
use crate::error::Result;
use crate::storage::PoolState;

/// How often the filler looks when nothing wakes it.
const POOL_TICK: Duration = Duration::from_secs(2);
/// How often the warm segments are checked to still run.
const POOL_CHECK: Duration = Duration::from_secs(30);
/// After a pooled segment failed to start: wait this long before the next try.
const POOL_BACKOFF: Duration = Duration::from_secs(15);

impl Reconciler {
    /// Keeps the warm pool at its size, forever (returns at once when the size is 0).
    pub(super) async fn fill_pool(&self) {
        let wanted = self.inner.provisioner.config.warm_segments as usize;
        let mut checked_at: Option<Instant> = None;
        loop {
            // A pooled segment whose dockerd died stops running: replace it. Asking libvirt
            // about every warm segment on each tick would cost more than it finds.
            if checked_at.is_none_or(|at| at.elapsed() >= POOL_CHECK) {
                if let Err(err) = self.clean_pool(wanted).await {
                    tracing::warn!(error = %err, "could not check the warm pool");
                }
                checked_at = Some(Instant::now());
            }
            if wanted == 0 {
                return;
            }
            let pause = match self.fill_one(wanted).await {
                Ok(true) => continue,
                Ok(false) => POOL_TICK,
                Err(err) => {
                    tracing::warn!(error = %err, "a warm segment failed to start; will retry");
                    POOL_BACKOFF
                }
            };
            let _ = tokio::time::timeout(pause, self.inner.pool_wake.notified()).await;
        }
    }

    /// Cleans the pool and starts segments until it is full, at once (what the filler does
    /// over time). Returns how many it started.
    pub async fn refill_pool(&self) -> Result<usize> {
        let wanted = self.inner.provisioner.config.warm_segments as usize;
        self.clean_pool(wanted).await?;
        let mut started = 0;
        while self.fill_one(wanted).await? {
            started += 1;
        }
        Ok(started)
    }

    /// Removes pooled segments a crash left starting, ready ones that no longer run, and
    /// those beyond the pool's size.
    async fn clean_pool(&self, wanted: usize) -> Result<()> {
        let storage = &self.inner.provisioner.storage;
        let mut kept = 0;
        for row in storage.pool_segments().await? {
            let runs = row.state == PoolState::Ready
                && self.inner.driver.state(&row.domain).await? == SegmentState::Running
                && kept < wanted;
            if runs {
                kept += 1;
                continue;
            }
            tracing::info!(segment = %row.domain, state = ?row.state, "removing a warm segment");
            self.inner.driver.remove(&row.domain).await?;
            storage.delete_pool_segment(&row.domain).await?;
        }
        Ok(())
    }

    /// Starts one pooled segment if the pool is short and no cluster is being made.
    /// Returns whether it did.
    async fn fill_one(&self, wanted: usize) -> Result<bool> {
        let p = &self.inner.provisioner;
        if p.storage.pool_segments().await?.len() >= wanted {
            return Ok(false);
        }
        let making = [ClusterStatus::New, ClusterStatus::Building, ClusterStatus::Growing, ClusterStatus::Rebuilding];
        let busy = p.storage.all_clusters().await?.iter().any(|c| making.iter().any(|s| s.as_str() == c.status));
        if busy {
            return Ok(false);
        }
        let domain = format!("pool-{}", &Uuid::new_v4().simple().to_string()[..12]);
        let address = p.storage.insert_pool_segment(&domain, p.config.segment_network, now_ms()).await?;
        match self.start_pooled(&domain, address).await {
            Ok(()) => {
                p.storage.set_pool_segment_ready(&domain, now_ms()).await?;
                tracing::info!(segment = %domain, %address, "warm segment ready");
                Ok(true)
            }
            Err(err) => {
                self.inner.driver.remove(&domain).await?;
                p.storage.delete_pool_segment(&domain).await?;
                Err(err)
            }
        }
    }

    /// Starts a pooled segment: isolated before its start, then Docker answering and the
    /// base image loaded.
    async fn start_pooled(&self, domain: &str, address: Ipv4Addr) -> Result<()> {
        let inner = &self.inner;
        let flavor = &inner.provisioner.config.flavor;
        // Its own CA, whose key is dropped here: the certificate is a placeholder until a
        // cluster gives the segment its own, and nobody can ever authenticate with it.
        let ca = pki::new_cluster_ca(domain, "warm pool")?;
        let ip = IpAddr::V4(address);
        let cert = pki::issue_server_cert(&ca, domain, &[ip, IpAddr::V4(Ipv4Addr::LOCALHOST)], &[domain.into()])?;
        let tls = SegmentTls {
            ca_pem: ca.cert_pem.clone(),
            client_ca_pem: ca.cert_pem,
            cert_pem: cert.cert_pem,
            key_pem: cert.key_pem,
        };
        let spec = flavor.segment_spec(domain, address, tls);
        inner.driver.ensure(&spec).await?;
        inner.driver.allow_peers(domain, address, &[]).await?;
        let engine = inner.docker.wait_ready(&inner.driver.docker_socket(domain), inner.patience.start).await?;
        engine.ensure_base_image(&inner.base_image_tar).await?;
        // A swarm of its own: the segment that becomes a cluster's first keeps it, which
        // spares the cluster the slowest step of its build (the others leave theirs and
        // join). Swarm takes the node's name at `init`; the endpoint shows segment names.
        engine.swarm_init(address).await?;
        Ok(())
    }
}
