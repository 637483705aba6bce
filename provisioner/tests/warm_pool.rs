//! The warm pool against fakes of the segments and their Docker, on real SQLite: pooled
//! segments are nobody's, a cluster takes them and makes them its own, a crash during the
//! hand-over converges, and what a cluster lets go is destroyed, never pooled again.

mod support;

use std::collections::BTreeSet;

use provisioner::reconciler::Outcome;
use provisioner::ClusterStatus;
use support::{short_patience, Fixture, Hold};

async fn pooled(f: &Fixture) -> BTreeSet<String> {
    f.p.storage().pool_segments().await.unwrap().into_iter().map(|p| p.domain).collect()
}

async fn domains_of(f: &Fixture, id: &str) -> BTreeSet<String> {
    f.segments(id).await.iter().map(|s| s.domain().to_owned()).collect()
}

#[tokio::test]
async fn a_cluster_takes_warm_segments_and_makes_them_its_own() {
    let f = Fixture::with_pool(3).await;
    let r = f.reconciler(short_patience());
    assert_eq!(r.refill_pool().await.unwrap(), 3);
    let warm = pooled(&f).await;
    {
        let state = f.world.state();
        for domain in &warm {
            let seg = &state.segments[domain];
            assert!(seg.running && seg.images.contains(segments::BASE_IMAGE_REF) && seg.adopted.is_none(), "{domain}");
            assert!(seg.frozen, "{domain} waits in the pool unfrozen");
            assert!(seg.spec.tls.ca_pem.contains("BEGIN CERTIFICATE"));
        }
    }
    // One group: a swarm of the three, which reach each other and nothing else.
    assert_apart(&f, &[]).await;
    let groups: BTreeSet<Option<String>> =
        f.p.storage().pool_segments().await.unwrap().into_iter().map(|p| p.swarm_group).collect();
    assert_eq!(groups.len(), 1, "{groups:?}");
    f.world.clear_calls();

    let id = f.create("web", 3).await;
    assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Converged);
    assert_eq!(f.status(&id).await, Some(ClusterStatus::Active));
    assert_eq!(domains_of(&f, &id).await, warm, "the cluster did not take the warm segments");
    assert!(f.world.calls_of("ensure").is_empty(), "a warm segment was started again");
    assert_eq!(
        f.world.calls_of("thaw").into_iter().collect::<BTreeSet<_>>(),
        warm,
        "the hand-over thaws what it takes"
    );
    for op in ["swarm_init", "swarm_join", "swarm_leave"] {
        assert!(f.world.calls_of(op).is_empty(), "{op}: the group's swarm was not kept whole");
    }
    assert_apart(&f, &[&id]).await;
    for row in &f.segments(&id).await {
        let seg = f.world.segment(row.domain()).unwrap();
        assert_eq!(seg.adopted, Some((row.name.clone(), row.cert_pem.clone())), "{} is not the cluster's", row.name);
        assert_eq!(seg.starts, 1);
    }
    let events = f.events(&id).await;
    assert_eq!(events.iter().filter(|e| e.contains("taken from the warm pool")).count(), 3, "{events:?}");
    assert!(pooled(&f).await.is_empty());

    // Refilled with new segments; deleted segments are destroyed, not pooled.
    assert_eq!(r.refill_pool().await.unwrap(), 3);
    let refilled = pooled(&f).await;
    assert!(refilled.is_disjoint(&warm));
    f.p.delete_cluster(&f.account, "web").await.unwrap();
    assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Deleted);
    for domain in &warm {
        assert!(f.world.segment(domain).is_none(), "{domain} outlived its cluster");
    }
    assert_eq!(pooled(&f).await, refilled);
}

#[tokio::test]
async fn a_grow_and_a_rebuild_use_the_pool_too() {
    let f = Fixture::with_pool(2).await;
    let r = f.reconciler(short_patience());
    let id = f.create("web", 1).await;
    assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Converged);
    assert!(f.segments(&id).await[0].domain.is_none(), "built cold: the pool was empty");

    r.refill_pool().await.unwrap();
    let warm = pooled(&f).await;
    f.p.grow_cluster(&f.account, "web", 2).await.unwrap();
    assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Converged);
    let grown = domains_of(&f, &id).await;
    assert_eq!(grown.intersection(&warm).count(), 1, "the grow did not take a warm segment");

    r.refill_pool().await.unwrap();
    let warm = pooled(&f).await;
    f.p.rebuild_cluster(&f.account, "web").await.unwrap();
    assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Converged);
    assert_eq!(f.status(&id).await, Some(ClusterStatus::Active));
    assert_eq!(domains_of(&f, &id).await, warm, "the rebuild did not take the warm segments");
    for old in grown {
        assert!(f.world.segment(&old).is_none(), "{old} survived the rebuild");
    }
}

#[tokio::test]
async fn a_crash_while_a_warm_segment_is_handed_over_converges() {
    // A group taken whole (n1 keeps the swarm), and two segments taken alone from a group of
    // three (they leave it; n1 founds the cluster's swarm, n2 joins it).
    let cases = [("adopt", 0, Hold::Before, 3), ("adopt", 0, Hold::After, 3), ("swarm_leave", 1, Hold::After, 2)];
    for (op, ordinal, when, size) in cases {
        let f = Fixture::with_pool(3).await;
        f.reconciler(short_patience()).refill_pool().await.unwrap();
        let first = f.p.storage().pool_segments().await.unwrap().remove(ordinal).domain;
        let id = f.create("web", size).await;
        f.world.hold(op, &first, when);
        let crashed = f.reconciler(short_patience());
        let pass = tokio::spawn({
            let id = id.clone();
            async move { crashed.reconcile(&id).await }
        });
        f.world.called(op, &first).await;
        pass.abort();
        assert!(pass.await.unwrap_err().is_cancelled());
        f.world.release();

        // The restarted server: the cleanup at start keeps taken and pooled segments.
        let next = f.reconciler(short_patience());
        assert_eq!(next.remove_orphans().await.unwrap(), 0, "after a crash in {op}");
        assert_eq!(f.converge(&next, &id, 5).await.unwrap(), Outcome::Converged, "after a crash in {op}");
        assert!(domains_of(&f, &id).await.contains(&first));
        {
            let state = f.world.state();
            assert!(state.segments.values().all(|s| s.running), "after a crash in {op}");
            assert_eq!(state.segments.len(), 3, "a segment was lost or duplicated after a crash in {op}");
        }
        next.refill_pool().await.unwrap();
        assert_apart(&f, &[&id]).await;
    }
}

#[tokio::test]
async fn the_pool_drops_what_a_crash_left_half_started() {
    let f = Fixture::with_pool(2).await;
    let r = f.reconciler(short_patience());
    r.refill_pool().await.unwrap();
    let first = pooled(&f).await.into_iter().next().unwrap();
    // Its dockerd died meanwhile, and a start was cut short by a crash.
    f.world.kill(&first);
    f.p.storage().insert_pool_segment("pool-halfstarted", f.p.config().segment_network, 0).await.unwrap();
    assert_eq!(r.refill_pool().await.unwrap(), 1);
    let now = pooled(&f).await;
    assert_eq!(now.len(), 2);
    assert!(!now.contains(&first) && !now.contains("pool-halfstarted"), "{now:?}");
    assert!(f.world.segment(&first).is_none());
}

/// Checks what keeps tenants and the pool apart, for `clusters` and the warm pool:
/// - a cluster's segments share one swarm, and every node of that swarm that still exists
///   is one of the cluster's segments (no warm segment, no other cluster's);
/// - a warm segment's swarm holds warm segments only;
/// - each segment's isolation rules name only segments of its own side (its cluster, or the
///   pool), so no rule joins a tenant to the pool or to another tenant.
async fn assert_apart(f: &Fixture, clusters: &[&str]) {
    let mut sides: Vec<(String, BTreeSet<String>)> = Vec::new();
    for id in clusters {
        sides.push((id.to_string(), f.segments(id).await.iter().map(|s| s.domain().to_owned()).collect()));
    }
    sides.push(("the pool".into(), pooled(f).await));
    let state = f.world.state();
    for (side, domains) in &sides {
        let addresses: BTreeSet<_> =
            domains.iter().filter_map(|d| state.segments.get(d)).map(|s| s.spec.address).collect();
        let swarms: BTreeSet<&String> =
            domains.iter().filter_map(|d| state.segments.get(d)?.node.as_ref()).map(|(swarm, _)| swarm).collect();
        if *side != "the pool" && !domains.is_empty() {
            assert_eq!(swarms.len(), 1, "{side}'s segments are not in one swarm: {swarms:?}");
        }
        for swarm in swarms {
            for (name, seg) in &state.segments {
                if seg.node.as_ref().is_some_and(|(s, _)| s == swarm) {
                    assert!(domains.contains(name), "{name} is in a swarm of {side}'s");
                }
            }
        }
        for domain in domains {
            let peers = state.peers.get(domain).cloned().unwrap_or_default();
            for peer in peers {
                assert!(addresses.contains(&peer), "{domain} of {side} may reach {peer}, which is not {side}'s");
            }
        }
    }
}

/// No segment of a cluster is ever frozen; once the filler is done (`settled`), every
/// ready warm segment is.
async fn assert_frozen_only_in_pool(f: &Fixture, clusters: &[&str], settled: bool) {
    for id in clusters {
        for row in f.segments(id).await {
            let seg = f.world.segment(row.domain()).unwrap();
            assert!(!seg.frozen, "{} of a cluster is frozen", row.name);
        }
    }
    if settled {
        for row in f.p.storage().pool_segments().await.unwrap() {
            let seg = f.world.segment(&row.domain).unwrap();
            assert!(seg.frozen, "{} waits in the pool unfrozen", row.domain);
        }
    }
}

#[tokio::test]
async fn a_segment_taken_alone_leaves_its_group_and_the_rest_is_regrouped() {
    let f = Fixture::with_pool(3).await;
    let r = f.reconciler(short_patience());
    r.refill_pool().await.unwrap();
    let warm = pooled(&f).await;
    f.world.clear_calls();
    let one = f.create("one", 1).await;
    assert_eq!(f.converge(&r, &one, 3).await.unwrap(), Outcome::Converged);
    let taken = f.segments(&one).await[0].clone();
    assert!(warm.contains(taken.domain()), "the single segment did not come from the pool");
    // Cut off from its group, it has lost its swarm's quorum (the fake models that): it
    // must still leave that swarm and make one of its own, and then no longer be marked.
    assert!(
        f.world.calls_of("swarm_leave").iter().any(|s| s == taken.domain()),
        "a segment taken alone from a group must leave its swarm"
    );
    assert_eq!(taken.leave_swarm, None, "a segment that left its group's swarm is still marked");
    assert_apart(&f, &[&one]).await;
    let rest = f.p.storage().pool_segments().await.unwrap();
    assert!(rest.iter().all(|p| p.broken), "the rest of the group is not marked broken: {rest:?}");

    // The filler regroups what is left and adds one: one group of three again, which the
    // next three-segment cluster takes whole.
    r.refill_pool().await.unwrap();
    let rows = f.p.storage().pool_segments().await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|p| !p.broken && p.swarm_group == rows[0].swarm_group), "{rows:?}");
    assert_apart(&f, &[&one]).await;
    f.world.clear_calls();
    let three = f.create("three", 3).await;
    assert_eq!(f.converge(&r, &three, 3).await.unwrap(), Outcome::Converged);
    assert!(f.world.calls_of("swarm_join").is_empty(), "the regrouped group was not taken whole");
    assert_apart(&f, &[&one, &three]).await;
}

#[tokio::test]
async fn a_segment_joins_a_group_that_waited_frozen() {
    let f = Fixture::with_pool(3).await;
    let r = f.reconciler(short_patience());
    // The filler founds a group with its first segment, then finds a user waiting and
    // stops, freezing what is ready: a group of one waits frozen.
    f.world.hold("ensure", "pool-*", Hold::After);
    let filler = tokio::spawn({
        let r = r.clone();
        async move { r.refill_pool().await }
    });
    while f.world.calls_of("ensure").is_empty() {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let waiting = f.create("waiting", 1).await;
    f.world.release();
    assert_eq!(filler.await.unwrap().unwrap(), 1);
    let founder = f.p.storage().pool_segments().await.unwrap();
    assert_eq!(founder.len(), 1);
    assert!(founder[0].swarm_group.is_some() && f.world.segment(&founder[0].domain).unwrap().frozen);

    // Once nobody waits, the next segments join that group: its manager is thawed first.
    f.p.delete_cluster(&f.account, "waiting").await.unwrap();
    assert_eq!(f.converge(&r, &waiting, 3).await.unwrap(), Outcome::Deleted);
    assert_eq!(r.refill_pool().await.unwrap(), 2);
    let rows = f.p.storage().pool_segments().await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|p| !p.broken && p.swarm_group == founder[0].swarm_group), "{rows:?}");
    assert_eq!(f.world.calls_of("swarm_init"), [founder[0].domain.clone()], "the group was founded again");
    assert_frozen_only_in_pool(&f, &[], true).await;
}

#[tokio::test]
async fn a_pool_of_four_keeps_a_single_that_serves_small_clusters_and_grows_without_a_leave() {
    let f = Fixture::with_pool(4).await;
    let r = f.reconciler(short_patience());
    r.refill_pool().await.unwrap();
    let single = |rows: &[provisioner::storage::PoolRow]| {
        let singles: Vec<String> = rows.iter().filter(|p| p.swarm_group.is_none()).map(|p| p.domain.clone()).collect();
        assert_eq!(singles.len(), 1, "{rows:?}");
        assert!(f.world.segment(&singles[0]).unwrap().node.is_none(), "a single is in a swarm");
        singles[0].clone()
    };
    let first = single(&f.p.storage().pool_segments().await.unwrap());
    f.world.clear_calls();
    let one = f.create("one", 1).await;
    assert_eq!(f.converge(&r, &one, 3).await.unwrap(), Outcome::Converged);
    assert_eq!(f.segments(&one).await[0].domain(), first, "a one-segment cluster did not take the single");
    assert!(f.world.calls_of("swarm_leave").is_empty(), "the single left a swarm");

    r.refill_pool().await.unwrap();
    let second = single(&f.p.storage().pool_segments().await.unwrap());
    f.world.clear_calls();
    f.p.grow_cluster(&f.account, "one", 2).await.unwrap();
    assert_eq!(f.converge(&r, &one, 3).await.unwrap(), Outcome::Converged);
    assert!(f.segments(&one).await.iter().any(|s| s.domain() == second), "the grow did not take the single");
    assert!(f.world.calls_of("swarm_leave").is_empty(), "the grow made a segment leave a swarm");
    assert_eq!(f.world.calls_of("swarm_join"), [second], "the grow is one join");
    assert_apart(&f, &[&one]).await;
}

/// What happens to clusters in the property test below.
#[derive(Clone, Debug)]
enum Step {
    Create(u32),
    Grow(usize),
    Rebuild(usize),
    Delete(usize),
    Refill,
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (1u32..=3).prop_map(Step::Create),
        (0usize..3).prop_map(Step::Grow),
        (0usize..3).prop_map(Step::Rebuild),
        (0usize..3).prop_map(Step::Delete),
        Just(Step::Refill),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 48, ..Default::default() })]

    /// Any sequence of creates, grows, rebuilds, deletes and refills, with the pool's groups
    /// whole, split or broken, keeps every cluster in a swarm of its own segments only and
    /// every rule within one cluster or within the pool.
    #[test]
    fn clusters_and_the_pool_stay_apart(pool in 3u32..=5, steps in proptest::collection::vec(step(), 1..10)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let f = Fixture::with_pool(pool).await;
            let r = f.reconciler(short_patience());
            r.refill_pool().await.unwrap();
            let mut clusters: Vec<(String, String, u32)> = Vec::new();
            for (i, step) in steps.iter().enumerate() {
                match *step {
                    Step::Create(n) if clusters.len() < 3 => {
                        let name = format!("c{i}");
                        clusters.push((f.create(&name, n).await, name, n));
                    }
                    Step::Grow(k) if k < clusters.len() && clusters[k].2 < 3 => {
                        f.p.grow_cluster(&f.account, &clusters[k].1, clusters[k].2 + 1).await.unwrap();
                        clusters[k].2 += 1;
                    }
                    Step::Rebuild(k) if k < clusters.len() => {
                        f.p.rebuild_cluster(&f.account, &clusters[k].1).await.unwrap();
                    }
                    Step::Delete(k) if k < clusters.len() => {
                        let (id, name, _) = clusters.remove(k);
                        f.p.delete_cluster(&f.account, &name).await.unwrap();
                        assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Deleted);
                    }
                    Step::Refill => {
                        r.refill_pool().await.unwrap();
                    }
                    _ => continue,
                }
                for (id, name, _) in &clusters {
                    let outcome = f.converge(&r, id, 5).await;
                    assert!(matches!(outcome, Ok(Outcome::Converged)), "{name} after {step:?}: {outcome:?}");
                }
                let ids: Vec<&str> = clusters.iter().map(|(id, _, _)| id.as_str()).collect();
                assert_apart(&f, &ids).await;
                assert_frozen_only_in_pool(&f, &ids, matches!(step, Step::Refill)).await;
            }
        });
    }
}
