//! The warm pool: segments started ahead of demand, so that a new cluster (or a grow, or a
//! rebuild) waits only for what makes segments its own, not for their cold start.
//!
//! A pooled segment is a domain `pool-<id>` with an address, dockerd answering, the base
//! image loaded, and a server certificate of a CA whose key was dropped at once: no tenant
//! data and no tenant certificate. Most warm segments form groups of up to [`GROUP_SIZE`]:
//! one swarm of managers, allowed to reach each other and nothing else; the others wait as
//! singles in no swarm, for grows and smaller clusters ([`grouped_slots`]). A cluster of as many
//! segments takes a group whole ([`crate::storage::Storage::take_pool_segments`], one
//! transaction) and keeps its swarm, which spares it the slowest step of its build: the
//! joins. A segment taken alone leaves its group's swarm; the rest of that group is broken
//! and the filler regroups it. A segment a cluster lets go is destroyed, never pooled
//! again, so nothing of one tenant can reach another through the pool.
//!
//! One replica fills the pool (the `pool` lease, see `lease.rs`). Two rules keep a tenant's
//! segment out of the pool's swarms and rules: the filler changes the isolation rules of
//! warm segments other than the one it starts only under the pool lock (one for all
//! replicas), which the hand-over takes too, and only while they are still in the pool;
//! and it joins a group only with join tokens read while the group's first member was
//! still in the pool (a segment handed out never comes back, and a swarm it makes for its
//! cluster has other tokens).
//!
//! The filler starts or regroups one segment at a time and only while no cluster is being
//! built, grown or rebuilt, so refilling never slows what users are waiting for. It also
//! removes what a crash left half made.
//!
//! Ready warm segments wait frozen ([`segments::SegmentDriver::freeze`]): with nothing left
//! to do, the filler freezes them under `pool_lock`, and whatever uses a warm segment's
//! dockerd thaws it first: the hand-over (under the same lock, so a segment handed out is
//! never frozen again), a regroup, a join (the group's managers, whose quorum it needs).
//! A pass that meets a cluster's segment still frozen, after a crash between the take and
//! the thaw, thaws it.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use futures::future::try_join_all;
use segments::{SegmentDocker, SegmentState, SegmentTls};
use uuid::Uuid;

use super::lease::POOL_LEASE;
use super::Reconciler;
use crate::clock::now_ms;
use crate::cluster::ClusterStatus;
use crate::error::{Error, Result};
use crate::storage::{OpenGroup, PoolRow, PoolState, TakenSegment};

/// How often the filler looks when nothing wakes it.
const POOL_TICK: Duration = Duration::from_secs(2);
/// How often the warm segments are checked to still run.
const POOL_CHECK: Duration = Duration::from_secs(30);
/// The most warm segments in one group (one swarm): a cluster of this many segments, the
/// usual size, takes a group whole.
const GROUP_SIZE: usize = 3;
/// After a pooled segment failed to start: wait this long before the next try.
const POOL_BACKOFF: Duration = Duration::from_secs(15);

/// How many of a pool of `wanted` segments wait in groups; the others wait as singles,
/// in no swarm. Groups serve creates of [`GROUP_SIZE`] segments with no swarm step at all;
/// singles serve grows and smaller clusters with one join or init and no leave (a segment
/// taken alone from a group first leaves its swarm, which costs dockerd most of a second).
/// At least one group once the pool can hold one, and one single once it can hold more.
pub(crate) fn grouped_slots(wanted: usize) -> usize {
    if wanted < GROUP_SIZE {
        return 0;
    }
    GROUP_SIZE * ((wanted - 1) / GROUP_SIZE).max(1)
}

/// What one step of the filler did.
enum Filled {
    Nothing,
    Started,
    Regrouped,
}

impl Reconciler {
    /// Keeps the warm pool at its size, forever (returns at once when the size is 0).
    pub(super) async fn fill_pool(&self) {
        let wanted = self.inner.provisioner.config.warm_segments as usize;
        let mut checked_at: Option<Instant> = None;
        // Whether warm segments may run unfrozen: after a start or regroup, or when a check
        // found one (after a restart, or the rest of a group a segment left), until the
        // filler has nothing left to do.
        let mut thawed = false;
        loop {
            // One replica fills the pool; one that takes over cleans up after the last first.
            match self.hold(POOL_LEASE).await {
                Ok(true) => {}
                Ok(false) => {
                    checked_at = None;
                    let _ = tokio::time::timeout(POOL_TICK, self.inner.pool_wake.notified()).await;
                    continue;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not take the warm pool's lease");
                    tokio::time::sleep(POOL_TICK).await;
                    continue;
                }
            }
            let target = match self.pool_target(wanted).await {
                Ok(target) => target,
                Err(err) => {
                    tracing::warn!(error = %err, "could not read the hosts' room for warm segments");
                    tokio::time::sleep(POOL_TICK).await;
                    continue;
                }
            };
            // A pooled segment whose dockerd died stops running: replace it. Asking libvirt
            // about every warm segment on each tick would cost more than it finds.
            if checked_at.is_none_or(|at| at.elapsed() >= POOL_CHECK) {
                match self.clean_pool(target).await {
                    Ok(unfrozen) => thawed |= unfrozen,
                    Err(err) => tracing::warn!(error = %err, "could not check the warm pool"),
                }
                checked_at = Some(Instant::now());
            }
            if wanted == 0 {
                return;
            }
            let pause = match self.fill_one(target).await {
                Ok(Filled::Started | Filled::Regrouped) => {
                    thawed = true;
                    continue;
                }
                Ok(Filled::Nothing) => {
                    if thawed {
                        match self.freeze_pool().await {
                            Ok(()) => thawed = false,
                            Err(err) => tracing::warn!(error = %err, "could not freeze the warm pool"),
                        }
                    }
                    POOL_TICK
                }
                Err(err) => {
                    tracing::warn!(error = %err, "a warm segment failed to start; will retry");
                    POOL_BACKOFF
                }
            };
            let _ = tokio::time::timeout(pause, self.inner.pool_wake.notified()).await;
        }
    }

    /// Cleans the pool and starts segments until it is full, at once (what the filler does
    /// over time). Returns how many it started; none when another replica fills the pool.
    pub async fn refill_pool(&self) -> Result<usize> {
        if !self.hold(POOL_LEASE).await? {
            return Ok(0);
        }
        let wanted = self.pool_target(self.inner.provisioner.config.warm_segments as usize).await?;
        self.clean_pool(wanted).await?;
        let mut started = 0;
        loop {
            match self.fill_one(wanted).await? {
                Filled::Started => started += 1,
                Filled::Regrouped => {}
                Filled::Nothing => break,
            }
        }
        self.freeze_pool().await?;
        Ok(started)
    }

    /// The pool's size: `wanted`, within the room the hosts have beside the clusters'
    /// segments (none on drained hosts). What is beyond it goes at the next check.
    async fn pool_target(&self, wanted: usize) -> Result<usize> {
        let room = self.inner.provisioner.room_for_warm_segments().await?;
        Ok(room.map_or(wanted, |room| wanted.min(room)))
    }

    /// Freezes every warm segment that is ready: a frozen segment keeps its memory, its
    /// swarm and its place in the pool, and uses no CPU (an unfrozen member of a group spends
    /// a few hundred milliseconds a minute on Raft heartbeats and gossip). Under
    /// `pool_lock`, so that a segment handed out meanwhile, which the hand-over thaws under
    /// the same lock, is never frozen again.
    async fn freeze_pool(&self) -> Result<()> {
        let _pool = self.lock_pool().await?;
        let rows = self.inner.provisioner.storage.pool_segments().await?;
        let ready = rows.iter().filter(|r| r.state == PoolState::Ready);
        let fleet = &self.inner.fleet;
        try_join_all(ready.map(|r| async { Ok::<_, Error>(fleet.on(&r.host)?.freeze(&r.domain).await?) })).await?;
        Ok(())
    }

    /// Thaws what a hand-over needs running, under `pool_lock` right after the take: the
    /// segments taken, and the rest of every group one of them leaves (a manager leaves a
    /// swarm only while its quorum answers). A few milliseconds each, side by side.
    pub(super) async fn thaw_handed_over(&self, taken: &[TakenSegment]) -> Result<()> {
        let mut domains: Vec<(String, String)> = taken.iter().map(|t| (t.host.clone(), t.domain.clone())).collect();
        if taken.iter().any(|t| t.leave_swarm.is_some()) {
            let rows = self.inner.provisioner.storage.pool_segments().await?;
            let split = |r: &&PoolRow| taken.iter().any(|t| t.leave_swarm.is_some() && t.leave_swarm == r.swarm_group);
            domains.extend(rows.iter().filter(split).map(|r| (r.host.clone(), r.domain.clone())));
        }
        let fleet = &self.inner.fleet;
        try_join_all(domains.iter().map(|(host, d)| async { Ok::<_, Error>(fleet.on(host)?.thaw(d).await?) })).await?;
        Ok(())
    }

    /// Removes pooled segments a crash left starting, ready ones that no longer run, those
    /// on a drained host, and those beyond the pool's size; strands those on a host that
    /// does not answer. Returns whether a ready one it kept runs unfrozen.
    async fn clean_pool(&self, wanted: usize) -> Result<bool> {
        let storage = &self.inner.provisioner.storage;
        let hosts = storage.hosts().await?;
        let host_is =
            |host: &str, what: fn(&crate::storage::HostRow) -> bool| hosts.iter().any(|h| h.name == host && what(h));
        let (mut kept, mut unfrozen) = (0, false);
        for row in storage.pool_segments().await? {
            if host_is(&row.host, |h| h.unreachable_since.is_some()) {
                tracing::warn!(segment = %row.domain, host = %row.host, "its host does not answer: stranded");
                storage.strand_pool_segment(&row, now_ms()).await?;
                continue;
            }
            let ready = row.state == PoolState::Ready && !host_is(&row.host, |h| h.draining);
            let state = if ready { Some(self.inner.fleet.on(&row.host)?.state(&row.domain).await?) } else { None };
            let runs = matches!(state, Some(SegmentState::Running | SegmentState::Frozen)) && kept < wanted;
            if runs {
                kept += 1;
                unfrozen |= state == Some(SegmentState::Running);
                continue;
            }
            tracing::info!(segment = %row.domain, state = ?row.state, "removing a warm segment");
            self.inner.fleet.on(&row.host)?.remove(&row.domain).await?;
            storage.delete_pool_segment(&row.domain).await?;
        }
        Ok(unfrozen)
    }

    /// Whether a cluster is being built, grown or rebuilt (the filler then waits).
    async fn users_wait(&self) -> Result<bool> {
        let making = [ClusterStatus::New, ClusterStatus::Building, ClusterStatus::Growing, ClusterStatus::Rebuilding];
        let clusters = self.inner.provisioner.storage.all_clusters().await?;
        Ok(clusters.iter().any(|c| making.iter().any(|s| s.as_str() == c.status)))
    }

    /// Regroups one warm segment of a broken group, or else starts one if the pool is
    /// short; only while no cluster is being made.
    async fn fill_one(&self, wanted: usize) -> Result<Filled> {
        let p = &self.inner.provisioner;
        let rows = p.storage.pool_segments().await?;
        if self.users_wait().await? {
            return Ok(Filled::Nothing);
        }
        if let Some(row) = rows.iter().find(|r| r.state == PoolState::Ready && r.broken) {
            self.regroup(&row.domain, &row.address, wanted).await?;
            return Ok(Filled::Regrouped);
        }
        if rows.len() >= wanted {
            return Ok(Filled::Nothing);
        }
        let domain = format!("pool-{}", &Uuid::new_v4().simple().to_string()[..12]);
        let (address, host) = p.storage.insert_pool_segment(&domain, p.config.segment_network, now_ms()).await?;
        let made = async {
            let engine = self.start_pooled(&domain, address).await?;
            self.settle(&domain, address, engine.as_ref(), wanted).await
        };
        match made.await {
            Ok(swarm) => {
                p.storage.set_pool_segment_ready(&domain, swarm.as_deref(), now_ms()).await?;
                tracing::info!(segment = %domain, %address, %host, "warm segment ready");
                Ok(Filled::Started)
            }
            Err(err) => {
                self.inner.driver(&domain).await?.remove(&domain).await?;
                p.storage.delete_pool_segment(&domain).await?;
                Err(err)
            }
        }
    }

    /// A segment just taken alone from its group (`segment` its row's id) leaves the
    /// group's swarm while it still reaches the group: cut off first, a manager without
    /// quorum took about ten seconds to leave (a connected one, under one), and one cut
    /// off from its leader soon knows no swarm to leave. Before any rule changes and
    /// before anything of the cluster reaches it. Best effort: what fails here the swarm
    /// step does later, only slower.
    pub(super) async fn leave_group_swarm(&self, segment: &str, domain: &str, address: Ipv4Addr) {
        let inner = &self.inner;
        let left = async {
            let engine = inner.docker.wait_ready(&inner.dockerd(domain, address).await?, inner.patience.health).await?;
            if engine.local_swarm().await?.is_active() {
                engine.swarm_leave(true).await?;
            }
            inner.provisioner.storage.swarm_left(segment).await
        };
        if let Err(err) = left.await {
            tracing::warn!(segment = %domain, error = %err, "could not leave its group's swarm yet");
        }
    }

    /// After a hand-over that split groups: the warm segments left of `groups` may reach
    /// only each other, no longer the segments that went to a cluster. Called under
    /// `pool_lock`, by the hand-over.
    pub(super) async fn isolate_rest_of(&self, groups: &[&String]) -> Result<()> {
        let rows = self.inner.provisioner.storage.pool_segments().await?;
        for group in groups {
            let rest: Vec<(&str, Ipv4Addr)> = rows
                .iter()
                .filter(|r| r.swarm_group.as_ref() == Some(*group))
                .filter_map(|r| Some((r.domain.as_str(), r.address.parse().ok()?)))
                .collect();
            let addresses: Vec<Ipv4Addr> = rest.iter().map(|(_, a)| *a).collect();
            for (domain, address) in &rest {
                self.inner.driver(domain).await?.allow_peers(domain, *address, &addresses).await?;
            }
        }
        Ok(())
    }

    /// Takes a warm segment of a broken group out of that group and puts it in another.
    async fn regroup(&self, domain: &str, address: &str, wanted: usize) -> Result<()> {
        let inner = &self.inner;
        let storage = &inner.provisioner.storage;
        let Ok(address) = address.parse::<Ipv4Addr>() else { return Ok(()) };
        {
            let _pool = self.lock_pool().await?;
            if !storage.reserve_pool_segment(domain, now_ms()).await? {
                return Ok(()); // handed out meanwhile
            }
        }
        let regrouped = async {
            let driver = inner.driver(domain).await?;
            driver.thaw(domain).await?;
            driver.allow_peers(domain, address, &[]).await?;
            let engine = inner.docker.wait_ready(&inner.dockerd(domain, address).await?, inner.patience.health).await?;
            self.settle(domain, address, engine.as_ref(), wanted).await
        };
        match regrouped.await {
            Ok(swarm) => {
                storage.set_pool_segment_ready(domain, swarm.as_deref(), now_ms()).await?;
                tracing::info!(segment = %domain, "warm segment regrouped");
                Ok(())
            }
            Err(err) => {
                inner.driver(domain).await?.remove(domain).await?;
                storage.delete_pool_segment(domain).await?;
                Err(err)
            }
        }
    }

    /// Makes a warm segment that nobody can take (it is `starting`) a member of a group
    /// while the pool has fewer grouped segments than [`grouped_slots`] wants, else a
    /// single outside any swarm. Returns its group's swarm id, none for a single.
    async fn settle(
        &self,
        domain: &str,
        address: Ipv4Addr,
        engine: &dyn SegmentDocker,
        wanted: usize,
    ) -> Result<Option<String>> {
        let rows = self.inner.provisioner.storage.pool_segments().await?;
        let grouped = rows.iter().filter(|r| r.domain != domain && r.swarm_group.is_some() && !r.broken).count();
        if grouped < grouped_slots(wanted) {
            return self.join_or_found_group(domain, address, engine, wanted).await.map(Some);
        }
        if engine.local_swarm().await?.is_active() {
            engine.swarm_leave(true).await?;
        }
        Ok(None)
    }

    /// Puts a warm segment that nobody can take (it is `starting`) in a group: it joins an
    /// open group when there is one, else founds its own. Returns the group's swarm id.
    async fn join_or_found_group(
        &self,
        domain: &str,
        address: Ipv4Addr,
        engine: &dyn SegmentDocker,
        wanted: usize,
    ) -> Result<String> {
        let inner = &self.inner;
        if let Some(group) = inner.provisioner.storage.join_open_group(domain, wanted.min(GROUP_SIZE)).await? {
            match self.join_group(domain, address, engine, &group).await {
                Ok(true) => return Ok(group.swarm),
                Ok(false) => tracing::info!(segment = %domain, "its group was handed out meanwhile; founding one"),
                Err(err) => tracing::warn!(segment = %domain, error = %err, "could not join a group; founding one"),
            }
            inner.driver(domain).await?.allow_peers(domain, address, &[]).await?;
        }
        if engine.local_swarm().await?.is_active() {
            engine.swarm_leave(true).await?;
        }
        engine.swarm_init(address).await?;
        engine.local_swarm().await?.swarm_id.ok_or_else(|| Error::Internal(format!("{domain} has no swarm id")))
    }

    /// Joins `group` as a manager. Returns false, having changed nothing of any segment
    /// that left the pool, when the group broke or was handed out meanwhile.
    async fn join_group(
        &self,
        domain: &str,
        address: Ipv4Addr,
        engine: &dyn SegmentDocker,
        group: &OpenGroup,
    ) -> Result<bool> {
        let inner = &self.inner;
        let storage = &inner.provisioner.storage;
        let addresses: Vec<Ipv4Addr> = group.members.iter().map(|(_, a)| *a).chain([address]).collect();
        {
            let _pool = self.lock_pool().await?;
            for (member, _) in &group.members {
                if !storage.is_pool_member(member, &group.swarm).await? {
                    return Ok(false);
                }
            }
            for (member, member_address) in &group.members {
                // Its managers must answer: the join needs their quorum.
                let driver = inner.driver(member).await?;
                driver.thaw(member).await?;
                driver.allow_peers(member, *member_address, &addresses).await?;
            }
        }
        inner.driver(domain).await?.allow_peers(domain, address, &addresses).await?;
        let (first, first_address) = &group.members[0];
        let first_engine =
            inner.docker.wait_ready(&inner.dockerd(first, *first_address).await?, inner.patience.health).await?;
        let tokens = first_engine.join_tokens().await?;
        // Still in the pool after the tokens were read: they are the group's swarm's.
        if !storage.is_pool_member(first, &group.swarm).await? || !storage.pool_segment_unbroken(domain).await? {
            return Ok(false);
        }
        if engine.local_swarm().await?.is_active() {
            engine.swarm_leave(true).await?;
        }
        engine.swarm_join(address, *first_address, &tokens.manager).await?;
        Ok(true)
    }

    /// Starts a pooled segment: isolated before its start, then Docker answering and the
    /// base image loaded.
    async fn start_pooled(&self, domain: &str, address: Ipv4Addr) -> Result<Box<dyn SegmentDocker>> {
        let inner = &self.inner;
        let flavor = &inner.provisioner.config.flavor;
        // Its own CA, whose key is dropped here: the certificate is a placeholder until a
        // cluster gives the segment its own.
        let ca = pki::new_cluster_ca(domain, "warm pool")?;
        let ip = IpAddr::V4(address);
        let cert = pki::issue_server_cert(&ca, domain, &[ip, IpAddr::V4(Ipv4Addr::LOCALHOST)], &[domain.into()])?;
        let listener = inner.provisioner.listener_cert(domain, address)?;
        let tls = SegmentTls {
            ca_pem: ca.cert_pem,
            client_ca_pem: inner.provisioner.control_ca_cert_pem().to_owned(),
            cert_pem: cert.cert_pem,
            key_pem: cert.key_pem,
            listener_cert_pem: listener.cert_pem,
            listener_key_pem: listener.key_pem,
        };
        let spec = flavor.segment_spec(domain, address, tls);
        let driver = inner.driver(domain).await?;
        driver.ensure(&spec).await?;
        driver.allow_peers(domain, address, &[]).await?;
        let engine = inner.docker.wait_ready(&inner.dockerd(domain, address).await?, inner.patience.start).await?;
        engine.ensure_base_image(&inner.base_image_tar).await?;
        Ok(engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_keeps_a_group_once_it_can_and_a_single_once_it_can_spare_one() {
        let shapes: Vec<usize> = (0..=10).map(grouped_slots).collect();
        assert_eq!(shapes, [0, 0, 0, 3, 3, 3, 3, 6, 6, 6, 9]);
        for wanted in 0..50 {
            let grouped = grouped_slots(wanted);
            assert!(grouped <= wanted && grouped.is_multiple_of(GROUP_SIZE));
            assert_eq!(grouped >= GROUP_SIZE, wanted >= GROUP_SIZE, "{wanted}");
            assert_eq!(wanted - grouped >= 1, wanted != GROUP_SIZE && wanted > 0, "{wanted}");
        }
    }
}
