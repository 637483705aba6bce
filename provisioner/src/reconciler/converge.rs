//! Bringing a cluster to its desired state: segment rows and certificates, running
//! segments answering Docker, the base image, one Swarm with the right managers, the
//! infrastructure containers, and the endpoint. Each step checks before it acts.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use futures::future::try_join_all;
use segments::bollard::models::{LocalNodeState, Reachability};
use segments::{NodeRole, SegmentDocker, SegmentDriver, SegmentSpec, SegmentState, SegmentTls};
use uuid::Uuid;

use super::pass_metrics::step;
use super::roles::{manager_ordinals, stale_nodes, NodeEntry};
use super::{Outcome, Reconciler};
use crate::clock::now_ms;
use crate::cluster::{segment_name, ClusterStatus};
use crate::endpoints::EndpointSpec;
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::segment::SegmentStatus;
use crate::storage::{ClusterRow, SegmentRow};
use crate::token_of;

/// A segment that answers Docker.
struct Live {
    row: SegmentRow,
    address: Ipv4Addr,
    engine: Box<dyn SegmentDocker>,
}

impl Reconciler {
    /// One pass towards the desired state; moves the cluster to `active` once there, or to
    /// `error` once converging took longer than [`super::Patience::converge_deadline`].
    #[tracing::instrument(skip_all, fields(cluster = %row.id))]
    pub(super) async fn converge(&self, row: ClusterRow) -> Result<Outcome> {
        let p = &self.inner.provisioner;
        let mut status: ClusterStatus = row.status.parse()?;
        if status == ClusterStatus::New {
            if !self.move_status(&row.id, ClusterStatus::New, ClusterStatus::Building, None).await? {
                return Ok(Outcome::Idle);
            }
            p.record(&row.id, EventKind::Progress, &format!("Building {} segment(s)", row.desired_segments)).await;
            status = ClusterStatus::Building;
        }
        if status == ClusterStatus::Active && step("health_check", self.looks_healthy(&row)).await? {
            step("revocations", self.sync_revocations(&row.id)).await?;
            return Ok(Outcome::Converged);
        }
        let started = Instant::now();
        match self.converge_steps(&row, status).await {
            Ok(()) => {
                self.record_full_pass(&row.id);
                // Only if nobody changed the cluster during the pass: a delete requested
                // meanwhile must win.
                if status.is_converging() && self.move_status(&row.id, status, ClusterStatus::Active, None).await? {
                    let since = Duration::from_millis((now_ms() - row.updated_at).max(0) as u64);
                    p.record(&row.id, EventKind::Progress, &format!("Cluster active ({:.1} s)", since.as_secs_f64()))
                        .await;
                    tracing::info!(cluster = %row.id, took = ?since, pass = ?started.elapsed(), "cluster active");
                }
                Ok(Outcome::Converged)
            }
            Err(err) => {
                let waited = Duration::from_millis((now_ms() - row.updated_at).max(0) as u64);
                if status.is_converging() && waited > self.inner.patience.converge_deadline {
                    tracing::warn!(cluster = %row.id, error = %err, "converging ran out of time");
                    let reason = format!(
                        "{status} did not finish within {} minutes: {}",
                        waited.as_secs() / 60,
                        err.user_message()
                    );
                    if self.move_status(&row.id, status, ClusterStatus::Error, Some(&reason)).await? {
                        p.record(&row.id, EventKind::Progress, &reason).await;
                    }
                    return Ok(Outcome::Idle);
                }
                if status.is_converging() {
                    p.storage.set_cluster_reason(&row.id, Some(&format!("retrying: {}", err.user_message()))).await?;
                }
                Err(err)
            }
        }
    }

    /// Moves the cluster from `from` to `to` unless its status changed meanwhile; returns
    /// whether it moved.
    async fn move_status(
        &self,
        id: &str,
        from: ClusterStatus,
        to: ClusterStatus,
        reason: Option<&str>,
    ) -> Result<bool> {
        self.inner.provisioner.storage.move_cluster_status(id, from.as_str(), to.as_str(), reason, now_ms()).await
    }

    #[tracing::instrument(skip_all, fields(cluster = %row.id))]
    async fn converge_steps(&self, row: &ClusterRow, status: ClusterStatus) -> Result<()> {
        // Each step named, for `carina_reconcile_failures_total{step}`.
        // Hosts that do not answer, as the replicas' probes last recorded: their segments
        // are left as they are (shown down), and none is removed from them.
        let away = self.unreachable_hosts().await?;
        let segments = step("segment_rows", self.ensure_segment_rows(row, &away)).await?;
        let (reachable, cut_off) = self.split_off_away(row, segments, &away).await?;
        step("isolate", self.isolate(&reachable, &cut_off)).await?;
        let live = step("bring_up", try_join_all(reachable.into_iter().map(|s| self.bring_up(row, s, status)))).await?;
        // Each segment's base image and infrastructure containers, while the Swarm forms.
        let infrastructure = try_join_all(live.iter().map(|l| async move {
            l.engine.ensure_base_image(&self.inner.base_image_tar).await?;
            l.engine.ensure_infra_containers(&row.id, l.row.ordinal == 1).await
        }));
        // The Swarm is left as it is while a segment is away: its node is down, and the
        // other managers keep the quorum.
        let swarm = async {
            if cut_off.is_empty() {
                self.ensure_swarm(row, &live).await
            } else {
                Ok(())
            }
        };
        let (_, ()) = futures::try_join!(
            step("infrastructure", async { infrastructure.await.map_err(Error::from) }),
            step("swarm", swarm)
        )?;
        let p = &self.inner.provisioner;
        for l in &live {
            let was_down = l.row.state == SegmentStatus::Down;
            if p.storage.set_segment_state(&l.row.id, SegmentStatus::Ready, None, now_ms()).await? && was_down {
                p.record(&row.id, EventKind::Progress, &format!("Segment n{} repaired", l.row.ordinal)).await;
            }
        }
        step("endpoint", self.ensure_endpoint(row)).await?;
        super::hosts::none_away(&cut_off)
    }

    /// Lets each segment reach the cluster's other segments (`away` too: those on hosts that
    /// do not answer), and no other segment on the bridge (before they start, so that the
    /// Swarm forms across the allowed paths only).
    async fn isolate(&self, segments: &[SegmentRow], away: &[SegmentRow]) -> Result<()> {
        let addresses = segments.iter().chain(away).map(parse_address).collect::<Result<Vec<_>>>()?;
        let allowed = segments.iter().zip(&addresses).map(|(segment, own)| async {
            self.inner
                .fleet
                .on(&segment.host)?
                .allow_peers(segment.domain(), *own, &addresses)
                .await
                .map_err(Error::from)
        });
        try_join_all(allowed).await?;
        Ok(())
    }

    /// Makes sure rows exist for segments 1..=desired, each with an address and a server
    /// certificate: taken from the warm pool when a segment is ready there, else made cold.
    /// Segments of an older generation (after a rebuild) are removed first and replaced
    /// the same way.
    #[tracing::instrument(skip_all, fields(cluster = %cluster.id))]
    async fn ensure_segment_rows(&self, cluster: &ClusterRow, away: &[String]) -> Result<Vec<SegmentRow>> {
        let p = &self.inner.provisioner;
        let mut existing = p.storage.segments_of(&cluster.id).await?;
        for segment in existing.iter().filter(|s| s.generation < cluster.generation) {
            // Rebuild: the segment goes (never back to the pool); a fresh one replaces it,
            // on a host that answers.
            self.remove_segment(segment, away).await?;
            let message = format!("Segment n{} removed for the rebuild", segment.ordinal);
            p.record(&cluster.id, EventKind::Progress, &message).await;
        }
        existing.retain(|s| s.generation >= cluster.generation);
        let missing = (1..=cluster.desired_segments)
            .filter(|ordinal| !existing.iter().any(|s| s.ordinal == *ordinal))
            .map(|ordinal| {
                let now = now_ms();
                SegmentRow {
                    id: Uuid::new_v4().to_string(),
                    cluster_id: cluster.id.clone(),
                    ordinal,
                    name: segment_name(&cluster.id, ordinal as u32),
                    address: String::new(),
                    generation: cluster.generation,
                    state: SegmentStatus::Pending,
                    state_reason: None,
                    cert_pem: String::new(),
                    key_pem: String::new(),
                    created_at: now,
                    updated_at: now,
                    domain: None,
                    leave_swarm: None,
                    // Placement chooses it when the row is stored.
                    host: String::new(),
                }
            });
        let missing = self.clear_of_stranded(missing).await?;
        let taken = if missing.is_empty() {
            Vec::new()
        } else {
            // The filler changes warm segments' rules only under this lock, and only while
            // they are still in the pool.
            let _pool = self.lock_pool().await?;
            let taken = p.storage.take_pool_segments(&missing).await?;
            self.thaw_handed_over(&taken).await?;
            // One at a time, so that each leaves a swarm that still has its quorum.
            for (row, segment) in missing.iter().zip(&taken).filter(|(_, t)| t.leave_swarm.is_some()) {
                self.leave_group_swarm(&row.id, &segment.domain, segment.address).await;
            }
            let split: Vec<&String> = taken.iter().filter_map(|t| t.leave_swarm.as_ref()).collect();
            self.isolate_rest_of(&split).await?;
            taken
        };
        if !taken.is_empty() {
            self.inner.pool_wake.notify_one();
        }
        for (i, row) in missing.iter().enumerate() {
            let message = match taken.get(i) {
                Some(segment) => format!("Segment n{} taken from the warm pool ({})", row.ordinal, segment.address),
                None => {
                    let (address, host) = p.storage.insert_segment_with_address(row, p.config.segment_network).await?;
                    format!("Segment n{} gets address {address} on host {host}", row.ordinal)
                }
            };
            p.record(&cluster.id, EventKind::Progress, &message).await;
        }
        let ca = p.cluster_ca(cluster)?;
        let mut segments = p.storage.segments_of(&cluster.id).await?;
        for segment in &mut segments {
            if segment.cert_pem.is_empty() {
                let ip: IpAddr = parse_address(segment)?.into();
                let cert = pki::issue_server_cert(
                    &ca,
                    &segment.name,
                    &[ip, IpAddr::V4(Ipv4Addr::LOCALHOST)],
                    &[segment.name.clone(), "localhost".into()],
                )?;
                p.storage.set_segment_cert(&segment.id, &cert.cert_pem, &cert.key_pem, now_ms()).await?;
                segment.cert_pem = cert.cert_pem;
                segment.key_pem = cert.key_pem;
            }
        }
        Ok(segments)
    }

    /// Starts the segment if it does not run (recording a fault if it ran before), and
    /// waits until its Docker answers.
    #[tracing::instrument(skip_all, fields(cluster = %cluster.id, segment = %segment.name))]
    async fn bring_up(&self, cluster: &ClusterRow, mut segment: SegmentRow, status: ClusterStatus) -> Result<Live> {
        let p = &self.inner.provisioner;
        let (docker, patience) = (&self.inner.docker, &self.inner.patience);
        let driver = self.inner.fleet.on(&segment.host)?;
        let address = parse_address(&segment)?;
        let domain = segment.domain().to_owned();
        let dockerd = driver.docker_address(&domain, address, p.control_identity());
        let n = segment.ordinal;
        let mut state = driver.state(&domain).await?;
        if state == SegmentState::Frozen {
            // Taken from the warm pool by a pass that ended before it thawed the segment.
            driver.thaw(&domain).await?;
            state = SegmentState::Running;
        }
        if state == SegmentState::Running {
            match docker.wait_ready(&dockerd, patience.health).await {
                Ok(engine) if segment.state == SegmentStatus::Ready => {
                    return Ok(Live { row: segment, address, engine })
                }
                Ok(_) => {}
                Err(err) if segment.state == SegmentStatus::Ready => {
                    tracing::warn!(cluster = %cluster.id, segment = %segment.name, error = %err, "Docker does not answer");
                    self.mark_down(cluster, &mut segment, "Docker does not answer").await?;
                    if self.hangs(driver.as_ref(), &domain, &dockerd).await? {
                        driver.stop(&domain).await?;
                    }
                    // Starts it again if it stopped; a running one is left alone.
                    driver.ensure(&self.spec_of(cluster, &segment, address)?).await?;
                }
                Err(_) => {}
            }
        } else {
            if segment.state == SegmentStatus::Ready {
                self.mark_down(cluster, &mut segment, "its processes stopped").await?;
            } else if segment.state == SegmentStatus::Pending {
                let what = if status == ClusterStatus::Growing { "Adding" } else { "Starting" };
                p.record(&cluster.id, EventKind::Progress, &format!("{what} segment n{n} ({address})")).await;
                p.storage.set_segment_state(&segment.id, SegmentStatus::Starting, None, now_ms()).await?;
            }
            driver.ensure(&self.spec_of(cluster, &segment, address)?).await?;
        }
        let engine = docker.wait_ready(&dockerd, patience.start).await?;
        if segment.domain.is_some() {
            // From the pool: the segment becomes the cluster's (again, after a restart,
            // which gives a domain its own name back).
            let spec = self.spec_of(cluster, &segment, address)?;
            driver.adopt(&domain, &segment.name, &spec.tls).await?;
        }
        if !matches!(segment.state, SegmentStatus::Ready | SegmentStatus::Running) {
            p.record(&cluster.id, EventKind::Progress, &format!("Segment n{n} answers Docker")).await;
        }
        p.storage.set_segment_state(&segment.id, SegmentStatus::Running, None, now_ms()).await?;
        Ok(Live { row: segment, address, engine })
    }

    /// After a failed health check of a running segment: whether it hangs, that is, its
    /// domain keeps running for [`super::Patience::hang`] while Docker stays silent. A dockerd that
    /// died takes its domain down a moment later (then this returns false at once, and the
    /// caller starts it again), a slow one answers meanwhile.
    async fn hangs(&self, driver: &dyn SegmentDriver, name: &str, dockerd: &segments::DockerAddress) -> Result<bool> {
        let patience = &self.inner.patience;
        let deadline = Instant::now() + patience.hang;
        while Instant::now() < deadline {
            if driver.state(name).await? != SegmentState::Running {
                return Ok(false);
            }
            if self.inner.docker.wait_ready(dockerd, patience.hang_probe).await.is_ok() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Records that a ready segment stopped working; the pass then repairs it, and marks it
    /// repaired once it is ready again.
    #[tracing::instrument(skip_all, fields(cluster = %cluster.id, segment = %segment.name))]
    async fn mark_down(&self, cluster: &ClusterRow, segment: &mut SegmentRow, why: &str) -> Result<()> {
        let p = &self.inner.provisioner;
        p.storage.set_segment_state(&segment.id, SegmentStatus::Down, Some(why), now_ms()).await?;
        segment.state = SegmentStatus::Down;
        let message = format!("Segment n{} is down ({why}); repairing it", segment.ordinal);
        p.record(&cluster.id, EventKind::Progress, &message).await;
        tracing::warn!(cluster = %cluster.id, segment = %segment.name, "{message}");
        Ok(())
    }

    fn spec_of(&self, cluster: &ClusterRow, segment: &SegmentRow, address: Ipv4Addr) -> Result<SegmentSpec> {
        let flavor = &self.inner.provisioner.config.flavor;
        let p = &self.inner.provisioner;
        let listener = p.listener_cert(segment.domain(), address)?;
        let tls = SegmentTls {
            ca_pem: cluster.ca_cert_pem.clone(),
            client_ca_pem: p.control_ca_cert_pem().to_owned(),
            cert_pem: segment.cert_pem.clone(),
            key_pem: segment.key_pem.clone(),
            listener_cert_pem: listener.cert_pem,
            listener_key_pem: listener.key_pem,
        };
        Ok(flavor.segment_spec(segment.domain(), address, tls))
    }

    /// One swarm across the segments: init on the first if no segment manages one, join
    /// the others, forget nodes of replaced segments, set the managers, wait until ready.
    #[tracing::instrument(skip_all, fields(cluster = %cluster.id))]
    async fn ensure_swarm(&self, cluster: &ClusterRow, live: &[Live]) -> Result<()> {
        let p = &self.inner.provisioner;
        let mut locals = try_join_all(live.iter().map(|l| l.engine.local_swarm())).await?;
        // A swarm the segment brought from the warm pool and shares with segments that are
        // not the cluster's: never the cluster's anchor, and left before the join. Until the
        // segment has joined the cluster's swarm, any swarm it is in counts as that one
        // unless it names another: cut off from its group, a manager loses its quorum and
        // then knows no swarm id at all.
        let foreign = |l: &Live, s: &segments::LocalSwarm| {
            l.row.leave_swarm.is_some()
                && s.state != LocalNodeState::INACTIVE
                && s.swarm_id.as_ref().is_none_or(|id| l.row.leave_swarm.as_ref() == Some(id))
        };
        // Segments from the warm pool manage a swarm of their group: the first such manager
        // anchors the cluster's swarm (a group taken whole needs no join at all), and the
        // others leave theirs to join it.
        let anchor = match live.iter().zip(&locals).position(|(l, s)| s.is_active() && s.is_manager && !foreign(l, s)) {
            Some(i) => i,
            None => {
                let first = &live[0];
                if locals[0].state != LocalNodeState::INACTIVE {
                    first.engine.swarm_leave(true).await?;
                }
                first.engine.swarm_init(first.address).await?;
                locals[0] = first.engine.local_swarm().await?;
                p.storage.swarm_left(&first.row.id).await?;
                p.record(&cluster.id, EventKind::Progress, &format!("Swarm initialised on n{}", first.row.ordinal))
                    .await;
                0
            }
        };
        let leader = &live[anchor];
        let tokens = leader.engine.join_tokens().await?;
        let ordinals: Vec<u32> = live.iter().map(|l| l.row.ordinal as u32).collect();
        let managers = manager_ordinals(&ordinals);
        let anchor_swarm = locals[anchor].swarm_id.clone();
        // A member: active, and a manager of the anchor's swarm or a worker (workers do not
        // know their swarm's id, and only a join makes one).
        let member = |l: &Live, s: &segments::LocalSwarm| {
            s.is_active() && !foreign(l, s) && (!s.is_manager || s.swarm_id == anchor_swarm)
        };
        let joins = live.iter().zip(&locals).enumerate().filter(|(i, (l, s))| *i != anchor && !member(l, s)).map(
            |(_, (l, s))| {
                let as_manager = managers.contains(&(l.row.ordinal as u32));
                let token = if as_manager { &tokens.manager } else { &tokens.worker };
                async move {
                    if s.state != LocalNodeState::INACTIVE {
                        l.engine.swarm_leave(true).await?;
                    }
                    l.engine.swarm_join(l.address, leader.address, token).await?;
                    p.storage.swarm_left(&l.row.id).await?;
                    let role = if as_manager { "manager" } else { "worker" };
                    p.record(
                        &cluster.id,
                        EventKind::Progress,
                        &format!("n{} joined the swarm as {role}", l.row.ordinal),
                    )
                    .await;
                    Ok::<_, Error>(())
                }
            },
        );
        try_join_all(joins).await?;

        let current = try_join_all(live.iter().map(|l| l.engine.local_swarm())).await?;
        let ids: Vec<String> = current.iter().map(|s| s.node_id.clone().unwrap_or_default()).collect();
        let nodes = leader.engine.nodes().await?;
        let entries: Vec<NodeEntry> = nodes
            .iter()
            .map(|n| NodeEntry { id: n.id.clone(), hostname: n.hostname.clone(), ready: n.ready })
            .collect();
        for stale in stale_nodes(&entries, &ids) {
            if nodes.iter().any(|n| n.id == stale.id && n.role == NodeRole::Manager) {
                leader.engine.set_role(&stale.id, NodeRole::Worker).await?;
            }
            leader.engine.remove_node(&stale.id, true).await?;
            p.record(&cluster.id, EventKind::Progress, &format!("Removed the old swarm node of {}", stale.hostname))
                .await;
        }
        // Promotions first, so the manager count never dips below a majority.
        let mut changes: Vec<(&String, NodeRole)> = live
            .iter()
            .zip(&ids)
            .filter_map(|(l, id)| {
                let want =
                    if managers.contains(&(l.row.ordinal as u32)) { NodeRole::Manager } else { NodeRole::Worker };
                let node = nodes.iter().find(|n| &n.id == id)?;
                (node.role != want).then_some((id, want))
            })
            .collect();
        changes.sort_by_key(|(_, role)| *role == NodeRole::Worker);
        for (id, role) in changes {
            leader.engine.set_role(id, role).await?;
        }
        self.wait_nodes_ready(leader, &ids).await
    }

    /// Waits until every node is ready and every manager is reachable by its Raft peers (a
    /// manager that has just joined reports ready before its peers reach it).
    async fn wait_nodes_ready(&self, leader: &Live, ids: &[String]) -> Result<()> {
        let deadline = Instant::now() + self.inner.patience.nodes_ready;
        let settled = |n: &segments::SwarmNode| {
            n.ready && (n.role == NodeRole::Worker || n.reachability == Some(Reachability::REACHABLE))
        };
        loop {
            let nodes = leader.engine.nodes().await?;
            let not_ready: Vec<&String> =
                ids.iter().filter(|id| !nodes.iter().any(|n| &&n.id == id && settled(n))).collect();
            if not_ready.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::Internal(format!("{} swarm node(s) not ready yet", not_ready.len())));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Opens the cluster's endpoint if it is not serving yet, with a server certificate
    /// from the cluster's CA for the public endpoint host.
    #[tracing::instrument(skip_all, fields(cluster = %cluster.id))]
    async fn ensure_endpoint(&self, cluster: &ClusterRow) -> Result<()> {
        let p = &self.inner.provisioner;
        if p.endpoints.is_open(&cluster.id) {
            return self.sync_revocations(&cluster.id).await;
        }
        let ca = p.cluster_ca(cluster)?;
        let host = &p.config.endpoint_host;
        let (ips, dns): (Vec<IpAddr>, Vec<String>) = match host.parse::<IpAddr>() {
            Ok(ip) => (vec![ip], vec![]),
            Err(_) => (vec![], vec![host.clone()]),
        };
        let cert = pki::issue_server_cert(&ca, &format!("{} endpoint", cluster.name), &ips, &dns)?;
        p.endpoints
            .open(EndpointSpec {
                cluster_id: cluster.id.clone(),
                cluster_name: cluster.name.clone(),
                token: token_of(&cluster.id),
                port: cluster.endpoint_port as u16,
                ca_pem: cluster.ca_cert_pem.clone(),
                server_cert_pem: cert.cert_pem,
                server_key_pem: cert.key_pem,
                revoked_fingerprints: p.storage.revoked_fingerprints(&cluster.id).await?,
            })
            .await
    }

    /// Refuses at this server's endpoint what was revoked through another replica (a
    /// revocation through this one took effect at once): by this replica's next pass over
    /// the cluster, a couple of seconds.
    async fn sync_revocations(&self, cluster_id: &str) -> Result<()> {
        let p = &self.inner.provisioner;
        if p.endpoints.is_open(cluster_id) {
            for fingerprint in p.storage.revoked_fingerprints(cluster_id).await? {
                p.endpoints.revoke(cluster_id, &fingerprint);
            }
        }
        Ok(())
    }
}

fn parse_address(segment: &SegmentRow) -> Result<Ipv4Addr> {
    segment
        .address
        .parse()
        .map_err(|_| Error::Internal(format!("segment {} has a malformed address {:?}", segment.name, segment.address)))
}
