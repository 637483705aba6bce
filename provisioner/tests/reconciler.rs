//! The reconciler against fake segments and fake dockerds (`support/`), over a real
//! migrated SQLite database: builds, repairs, rebuilds, deletes, deadlines and crashes,
//! each in milliseconds and without root.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use provisioner::reconciler::{Outcome, Patience};
use provisioner::{ClusterStatus, SegmentStatus};
use segments::{NodeRole, BASE_IMAGE_REF, SWARM_DATA, SWARM_MANAGER};
use support::{short_patience, Fixture, Hold};

/// Each segment's swarm id and role, by segment name.
fn membership(f: &Fixture) -> Vec<(String, Option<String>, Option<NodeRole>)> {
    let state = f.world.state();
    state
        .segments
        .iter()
        .map(|(name, seg)| {
            let (swarm, role) = match &seg.node {
                Some((sw, id)) => {
                    let role = state.swarms[sw].iter().find(|n| &n.id == id).map(|n| n.role);
                    (Some(sw.clone()), role)
                }
                None => (None, None),
            };
            (name.clone(), swarm, role)
        })
        .collect()
}

/// Asserts the cluster is active, every segment ready, and all in one swarm whose node
/// list holds exactly them, all ready.
async fn assert_converged(f: &Fixture, id: &str, segments: usize) {
    assert_eq!(f.status(id).await, Some(ClusterStatus::Active), "{:?}", f.reason(id).await);
    let rows = f.segments(id).await;
    assert_eq!(rows.len(), segments);
    assert!(rows.iter().all(|s| s.state == SegmentStatus::Ready), "{rows:?}");
    let members = membership(f);
    let swarms: BTreeSet<_> = members.iter().map(|(_, sw, _)| sw.clone()).collect();
    assert_eq!(swarms.len(), 1, "{members:?}");
    let swarm = swarms.into_iter().next().flatten().expect("in a swarm");
    let state = f.world.state();
    assert_eq!(state.swarms[&swarm].len(), segments, "stale nodes left: {:?}", state.swarms[&swarm]);
    assert!(state.swarms[&swarm].iter().all(|n| state.node_ready(&swarm, &n.id)));
}

#[tokio::test]
async fn a_three_segment_cluster_is_built_to_active_with_the_right_roles() {
    let f = Fixture::new().await;
    let id = f.create("web", 3).await;
    let r = f.reconciler(short_patience());
    assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Converged);
    assert_converged(&f, &id, 3).await;

    let rows = f.segments(&id).await;
    let names: Vec<_> = rows.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names, (1..=3).map(|n| format!("{id}-n{n}")).collect::<Vec<_>>());
    let addresses: BTreeSet<_> = rows.iter().map(|s| s.address.parse().unwrap()).collect();
    assert_eq!(addresses.len(), 3);
    // Three segments: all managers, so that a majority survives the loss of one.
    assert!(membership(&f).iter().all(|(_, _, role)| *role == Some(NodeRole::Manager)), "{:?}", membership(&f));
    for (n, name) in names.iter().enumerate() {
        let seg = f.world.segment(name).unwrap();
        assert!(seg.running);
        assert!(seg.images.contains(BASE_IMAGE_REF));
        assert!(seg.containers.contains(SWARM_DATA));
        // swarm-manager only on the first segment, as Carina's.
        assert_eq!(seg.containers.contains(SWARM_MANAGER), n == 0, "{name}");
        let peers = f.world.state().peers[name].iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(peers, addresses, "{name} reaches exactly its cluster");
    }
    assert!(f.events(&id).await.iter().any(|e| e.starts_with("Cluster active")));
    // Stored under the same names as before the states were typed.
    // (Only SQLite databases predate the typed states.)
    if let Some(pool) = f.p.storage().sqlite_pool() {
        let stored: Vec<String> = sqlx::query_scalar("SELECT state FROM segments").fetch_all(pool).await.unwrap();
        assert_eq!(stored, vec!["ready"; 3]);
    }
}

#[tokio::test]
async fn two_segments_make_one_manager_and_one_worker() {
    let f = Fixture::new().await;
    let id = f.create("pair", 2).await;
    let r = f.reconciler(short_patience());
    assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Converged);
    assert_converged(&f, &id, 2).await;
    let roles: Vec<_> = membership(&f).into_iter().map(|(name, _, role)| (name, role.unwrap())).collect();
    assert_eq!(roles, vec![(format!("{id}-n1"), NodeRole::Manager), (format!("{id}-n2"), NodeRole::Worker)]);
}

async fn built(segments: u32) -> (Fixture, String, provisioner::Reconciler) {
    let f = Fixture::new().await;
    let id = f.create("web", segments).await;
    let r = f.reconciler(short_patience());
    assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Converged);
    f.world.clear_calls();
    (f, id, r)
}

#[tokio::test]
async fn a_dead_segment_is_repaired() {
    let (f, id, r) = built(3).await;
    let victim = format!("{id}-n2");
    f.world.kill(&victim);
    assert_eq!(r.reconcile(&id).await.unwrap(), Outcome::Converged);
    assert_converged(&f, &id, 3).await;
    assert_eq!(f.world.calls_of("ensure"), vec![victim.clone()], "only the dead segment is started");
    assert_eq!(f.world.segment(&victim).unwrap().starts, 2);
    let events = f.events(&id).await;
    assert!(events.contains(&"Segment n2 is down (its processes stopped); repairing it".to_owned()), "{events:?}");
    assert!(events.contains(&"Segment n2 repaired".to_owned()), "{events:?}");
}

#[tokio::test]
async fn a_hung_dockerd_is_restarted() {
    let (f, id, r) = built(3).await;
    let victim = format!("{id}-n3");
    // The domain keeps running; its Docker answers nothing.
    f.world.hang_dockerd(&victim);
    assert_eq!(r.reconcile(&id).await.unwrap(), Outcome::Converged);
    assert_converged(&f, &id, 3).await;
    assert_eq!(f.world.calls_of("stop"), vec![victim.clone()]);
    let seg = f.world.segment(&victim).unwrap();
    assert!(!seg.hung && seg.running && seg.starts == 2);
    let events = f.events(&id).await;
    assert!(events.contains(&"Segment n3 is down (Docker does not answer); repairing it".to_owned()), "{events:?}");
    assert!(events.contains(&"Segment n3 repaired".to_owned()), "{events:?}");
}

#[tokio::test]
async fn a_rebuild_replaces_every_segment_under_the_same_names() {
    let (f, id, r) = built(3).await;
    let before = f.segments(&id).await;
    let old_nodes: Vec<_> =
        membership(&f).into_iter().map(|(name, _, _)| f.world.segment(&name).unwrap().node).collect();
    f.p.rebuild_cluster(&f.account, "web").await.unwrap();
    assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Converged);
    assert_converged(&f, &id, 3).await;

    let after = f.segments(&id).await;
    let key = |rows: &[provisioner::storage::SegmentRow]| {
        rows.iter().map(|s| (s.name.clone(), s.address.clone())).collect::<Vec<_>>()
    };
    // New rows (a rebuilt segment is a new segment), under the same names; without a warm
    // pool the freed addresses come back too.
    assert_eq!(key(&before), key(&after), "same names and addresses");
    assert!(before.iter().all(|b| after.iter().all(|a| a.id != b.id)), "a segment row was kept");
    assert!(after.iter().all(|s| s.generation == 2));
    let names: Vec<_> = before.iter().map(|s| s.name.clone()).collect();
    assert_eq!(f.world.calls_of("remove"), names, "every segment replaced");
    for (name, old) in names.iter().zip(old_nodes) {
        assert_ne!(f.world.segment(name).unwrap().node, old, "{name} is a fresh node");
    }
}

#[tokio::test]
async fn a_delete_during_a_build_wins() {
    let f = Fixture::new().await;
    let id = f.create("web", 3).await;
    let r = f.reconciler(short_patience());
    let first = format!("{id}-n1");
    f.world.hold("ensure_base_image", &first, Hold::Before);
    let pass = tokio::spawn({
        let (r, id) = (r.clone(), id.clone());
        async move { r.reconcile(&id).await }
    });
    f.world.called("ensure_base_image", &first).await;
    f.p.delete_cluster(&f.account, "web").await.unwrap();
    f.world.release();
    // The pass finishes its steps but must not mark the cluster active.
    pass.await.unwrap().unwrap();
    assert_eq!(f.status(&id).await, Some(ClusterStatus::Deleting));

    assert_eq!(r.reconcile(&id).await.unwrap(), Outcome::Deleted);
    assert_eq!(f.status(&id).await, None);
    assert!(f.world.state().segments.is_empty());
    assert_eq!(f.world.calls_of("remove").len(), 3);
    assert!(f.p.storage().all_segment_domains().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_build_that_keeps_failing_ends_in_error_after_the_deadline() {
    let f = Fixture::new().await;
    let id = f.create("web", 3).await;
    // The detail is for the log; users read a safe line.
    let secret_detail = "internal-detail-7f3a";
    f.world.fail("ensure", &format!("{id}-n2"), secret_detail);

    let patient = f.reconciler(short_patience());
    assert!(patient.reconcile(&id).await.is_err());
    assert_eq!(f.status(&id).await, Some(ClusterStatus::Building));
    let reason = f.reason(&id).await.unwrap();
    assert!(reason.starts_with("retrying: ") && !reason.contains(secret_detail), "{reason}");

    tokio::time::sleep(Duration::from_millis(30)).await;
    let hasty = f.reconciler(Patience { converge_deadline: Duration::from_millis(20), ..short_patience() });
    assert_eq!(hasty.reconcile(&id).await.unwrap(), Outcome::Idle);
    assert_eq!(f.status(&id).await, Some(ClusterStatus::Error));
    let reason = f.reason(&id).await.unwrap();
    assert!(reason.starts_with("building did not finish within 0 minutes"), "{reason}");
    assert!(!reason.contains(secret_detail), "{reason}");
    assert!(f.events(&id).await.contains(&reason));

    // `error` is final until the user rebuilds: no more passes touch the segments.
    f.world.heal();
    f.world.clear_calls();
    assert_eq!(hasty.reconcile(&id).await.unwrap(), Outcome::Idle);
    assert!(f.world.calls().is_empty());
}

#[tokio::test]
async fn a_reconciler_dropped_mid_pass_is_succeeded_by_one_that_converges() {
    let points: [(&'static str, &str, Hold); 6] = [
        // After "starting" is recorded, before the domain is defined.
        ("ensure", "n2", Hold::Before),
        ("ensure", "n2", Hold::After),
        ("ensure_base_image", "n3", Hold::Before),
        ("swarm_init", "n1", Hold::After),
        ("swarm_join", "n3", Hold::After),
        ("nodes", "n1", Hold::Before),
    ];
    for (op, ordinal, when) in points {
        let f = Fixture::new().await;
        let id = f.create("web", 3).await;
        let segment = format!("{id}-{ordinal}");
        f.world.hold(op, &segment, when);
        let crashed = f.reconciler(short_patience());
        let pass = tokio::spawn({
            let id = id.clone();
            async move { crashed.reconcile(&id).await }
        });
        f.world.called(op, &segment).await;
        // The server dies here: the pass and its reconciler are gone mid-step.
        pass.abort();
        assert!(pass.await.unwrap_err().is_cancelled());
        f.world.release();

        let next = f.reconciler(short_patience());
        let outcome = f.converge(&next, &id, 5).await;
        assert_eq!(outcome.unwrap(), Outcome::Converged, "after a crash in {op} on {ordinal}");
        assert_converged(&f, &id, 3).await;
        assert!(membership(&f).iter().all(|(_, _, role)| *role == Some(NodeRole::Manager)), "{op} on {ordinal}");
        assert_eq!(f.world.state().segments.len(), 3);
    }
}

#[tokio::test]
async fn the_heartbeat_beats_while_the_loop_goes_round_and_stops_when_it_cannot() {
    let f = Fixture::new().await;
    let r = f.reconciler(short_patience());
    let heartbeat = r.heartbeat();
    assert_eq!(heartbeat.age(), None, "no pass yet");
    let task = tokio::spawn(r.run());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while heartbeat.age().is_none() {
        assert!(std::time::Instant::now() < deadline, "the loop never completed a pass");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The database goes away: the loop cannot list clusters any more, however often it is
    // woken, and the heartbeat grows old (what the readiness check reports).
    f.p.storage().close().await;
    let gone = std::time::Instant::now();
    for _ in 0..25 {
        f.p.wake_reconciler();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(heartbeat.age().unwrap() >= gone.elapsed(), "{:?}", heartbeat.age());
    task.abort();
}
