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
            assert!(seg.spec.tls.ca_pem.contains("BEGIN CERTIFICATE"));
            assert_eq!(state.peers[domain], Vec::<std::net::Ipv4Addr>::new(), "{domain} is not isolated");
        }
    }
    f.world.clear_calls();

    let id = f.create("web", 3).await;
    assert_eq!(f.converge(&r, &id, 3).await.unwrap(), Outcome::Converged);
    assert_eq!(f.status(&id).await, Some(ClusterStatus::Active));
    assert_eq!(domains_of(&f, &id).await, warm, "the cluster did not take the warm segments");
    assert!(f.world.calls_of("ensure").is_empty(), "a warm segment was started again");
    assert!(f.world.calls_of("swarm_init").is_empty(), "n1's swarm from the pool was not kept");
    assert_eq!(f.world.calls_of("swarm_join").len(), 2);
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
    for (op, ordinal, when) in [("adopt", 0, Hold::Before), ("adopt", 0, Hold::After), ("swarm_join", 1, Hold::After)] {
        let f = Fixture::with_pool(3).await;
        f.reconciler(short_patience()).refill_pool().await.unwrap();
        // Taken in this order: n1 keeps its swarm, the others join it.
        let first = f.p.storage().pool_segments().await.unwrap().remove(ordinal).domain;
        let id = f.create("web", 3).await;
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
        let state = f.world.state();
        assert!(state.segments.values().all(|s| s.running), "after a crash in {op}");
        assert_eq!(state.segments.len(), 3, "a segment was lost or duplicated after a crash in {op}");
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
