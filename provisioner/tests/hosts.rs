//! The hosts' room: cluster segments past the open hosts' capacity are refused, at once
//! and under concurrency; a drained host takes nothing new; the warm pool keeps to what is
//! left. Placement: a cluster's segments spread over the hosts, each driven on its own
//! host only. On SQLite, or on PostgreSQL with `CARINA_TEST_DATABASE_URL`.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use provisioner::reconciler::Outcome;
use provisioner::{Account, ClusterStatus, Error, Fleet, Quotas, LOCAL_HOST};
use support::driver::{OnHost, Owners};
use support::{short_patience, Fixture};

/// The fixture's account, with quotas that leave the hosts' room the only limit.
async fn roomy_account(f: &Fixture) -> Account {
    let quotas = Quotas { max_clusters: 10, max_segments_per_cluster: 10 };
    f.p.set_quotas("ada@example.com", quotas).await.unwrap()
}

fn refusal(result: provisioner::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::Conflict(message)) => message,
        other => panic!("not refused as a conflict: {other:?}"),
    }
}

#[tokio::test]
async fn clusters_fit_the_hosts_capacity_and_a_drained_host_takes_nothing() {
    let f = Fixture::new().await;
    let ada = roomy_account(&f).await;
    // No host registered (a database without a server yet): no limit.
    f.p.create_cluster(&ada, "before", 2).await.unwrap();
    f.p.register_local_host("lxc:///system").await.unwrap();
    let host = f.p.set_host_capacity(LOCAL_HOST, Some(6)).await.unwrap();
    assert_eq!((host.capacity, host.draining), (Some(6), false));

    f.p.create_cluster(&ada, "web", 3).await.unwrap();
    let full = refusal(f.p.create_cluster(&ada, "db", 2).await);
    assert!(full.contains("1 more segment(s) fit") && full.contains("needs 2"), "{full}");
    assert!(f.p.storage().cluster_by_name(&f.account.id, "db").await.unwrap().is_none(), "nothing left behind");
    let full = refusal(f.p.grow_cluster(&ada, "web", 5).await);
    assert!(full.contains("needs 2"), "{full}");
    f.p.create_cluster(&ada, "db", 1).await.unwrap();

    // Drained: nothing new, even with room; what is there stays.
    f.p.set_host_capacity(LOCAL_HOST, None).await.unwrap();
    f.p.set_host_draining(LOCAL_HOST, true).await.unwrap();
    let paused = refusal(f.p.create_cluster(&ada, "cache", 1).await);
    assert!(paused.contains("drained for maintenance"), "{paused}");
    assert_eq!(f.p.clusters(&ada).await.unwrap().len(), 3);
    f.p.set_host_draining(LOCAL_HOST, false).await.unwrap();
    f.p.create_cluster(&ada, "cache", 1).await.unwrap();

    // Unknown hosts are named in the error.
    let unknown = f.p.set_host_draining("elsewhere", true).await.unwrap_err().to_string();
    assert!(unknown.contains("\"elsewhere\"") && unknown.contains("server admin hosts"), "{unknown}");
    // A server starting again keeps the operator's settings.
    f.p.set_host_capacity(LOCAL_HOST, Some(9)).await.unwrap();
    f.p.register_local_host("lxc:///system").await.unwrap();
    assert_eq!(f.p.hosts().await.unwrap()[0].capacity, Some(9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_requests_never_both_take_the_last_room() {
    let f = Fixture::new().await;
    let ada = roomy_account(&f).await;
    f.p.register_local_host("lxc:///system").await.unwrap();
    f.p.set_host_capacity(LOCAL_HOST, Some(3)).await.unwrap();
    for round in 0..5 {
        let (first, second) = (format!("a{round}"), format!("b{round}"));
        let (a, b) = tokio::join!(f.p.create_cluster(&ada, &first, 2), f.p.create_cluster(&ada, &second, 2));
        assert!(a.is_ok() != b.is_ok(), "round {round}: exactly one fits");
        let (winner, loser) = if a.is_ok() { (first, b) } else { (second, a) };
        assert!(refusal(loser).contains("The service is full"), "round {round}");
        let id = f.p.storage().cluster_by_name(&ada.id, &winner).await.unwrap().unwrap().id;
        f.p.storage().delete_cluster(&id).await.unwrap();
    }
}

#[tokio::test]
async fn the_warm_pool_keeps_to_the_room_the_clusters_leave() {
    let f = Fixture::with_pool(3).await;
    f.p.register_local_host("lxc:///system").await.unwrap();
    f.p.set_host_capacity(LOCAL_HOST, Some(4)).await.unwrap();
    let web = f.p.create_cluster(&f.account, "web", 3).await.unwrap().id;
    // Built (the filler waits while a cluster is being made).
    f.p.storage().set_cluster_status(&web, "active", None, 0).await.unwrap();
    let r = f.reconciler(short_patience());
    assert_eq!(r.refill_pool().await.unwrap(), 1, "one warm segment fits beside the cluster's three");
    // Drained: the warm ones go.
    f.p.set_host_draining(LOCAL_HOST, true).await.unwrap();
    r.refill_pool().await.unwrap();
    assert!(f.p.storage().pool_segments().await.unwrap().is_empty());
}

/// Two fake hosts, each knowing only the segments it made: a call for a segment sent to
/// the other host fails (see [`OnHost`]).
fn two_host_fleet(f: &Fixture) -> Fleet {
    two_host_fleet_with_switch(f).0
}

/// [`two_host_fleet`], and the switch that takes the second host away.
fn two_host_fleet_with_switch(f: &Fixture) -> (Fleet, Arc<AtomicBool>) {
    let (world, owners) = (f.world.clone(), Owners::default());
    let away = Arc::new(AtomicBool::new(false));
    let switch = away.clone();
    let fleet = Fleet::new(
        Arc::new(OnHost::new(LOCAL_HOST, world.clone(), owners.clone())),
        Box::new(move |uri: &str| {
            assert_eq!(uri, "lxc+tls://127.0.0.1/system");
            Ok(Arc::new(OnHost { away: away.clone(), ..OnHost::new("second", world.clone(), owners.clone()) }))
        }),
    );
    (fleet, switch)
}

/// How many of the cluster's segments each host holds.
async fn spread(f: &Fixture, id: &str) -> BTreeMap<String, usize> {
    let mut by_host = BTreeMap::new();
    for segment in f.segments(id).await {
        *by_host.entry(segment.host).or_default() += 1;
    }
    by_host
}

#[tokio::test]
async fn a_clusters_segments_spread_over_the_hosts_each_driven_on_its_own() {
    let f = Fixture::new().await;
    let ada = roomy_account(&f).await;
    f.p.register_local_host("lxc:///system").await.unwrap();
    f.p.add_host("second", "lxc+tls://127.0.0.1/system", None).await.unwrap();
    let r = f.reconciler_over(short_patience(), two_host_fleet(&f));
    r.remove_orphans().await.unwrap();

    let web = f.create("web", 3).await;
    assert_eq!(f.converge(&r, &web, 10).await.unwrap(), Outcome::Converged);
    let expected = BTreeMap::from([(LOCAL_HOST.to_owned(), 2), ("second".to_owned(), 1)]);
    assert_eq!(spread(&f, &web).await, expected);
    // A second cluster starts on the emptier host: each host ends with three.
    let db = f.create("db", 3).await;
    assert_eq!(f.converge(&r, &db, 10).await.unwrap(), Outcome::Converged);
    assert_eq!(spread(&f, &db).await, BTreeMap::from([(LOCAL_HOST.to_owned(), 1), ("second".to_owned(), 2)]));
    let hosts = f.p.hosts().await.unwrap();
    assert_eq!(hosts.iter().map(|h| h.segments).collect::<Vec<_>>(), [3, 3]);

    // A host that holds segments stays, and says what to do.
    let held = refusal(f.p.remove_host("second").await);
    assert!(held.contains("still holds 3 segment(s)") && held.contains("drain-host second"), "{held}");
    // Drained, it takes nothing new: a grow lands on the other host.
    f.p.set_host_draining("second", true).await.unwrap();
    f.p.grow_cluster(&ada, "web", 4).await.unwrap();
    assert_eq!(f.converge(&r, &web, 10).await.unwrap(), Outcome::Converged);
    assert_eq!(spread(&f, &web).await[LOCAL_HOST], 3);

    // Deleted clusters are taken apart on each segment's own host; then the host can go.
    for name in ["web", "db"] {
        f.p.delete_cluster(&ada, name).await.unwrap();
    }
    for id in [&web, &db] {
        assert_eq!(f.converge(&r, id, 10).await.unwrap(), Outcome::Deleted);
    }
    assert!(f.world.state().segments.is_empty(), "every segment removed from its host");
    f.p.remove_host("second").await.unwrap();
    assert_eq!(f.p.hosts().await.unwrap().len(), 1);
}

#[tokio::test]
async fn hosts_are_added_once_and_the_servers_own_stays() {
    let f = Fixture::new().await;
    f.p.register_local_host("lxc:///system").await.unwrap();
    let added = f.p.add_host("second", "lxc+tls://127.0.0.1/system", Some(4)).await.unwrap();
    assert_eq!((added.capacity, added.segments, added.draining), (Some(4), 0, false));
    let again = refusal(f.p.add_host("second", "lxc:///system", None).await);
    assert!(again.contains("named \"second\" already"), "{again}");
    for (name, uri) in [("local", "lxc:///system"), ("far", "lxc+tls://10.1.2.3/system"), ("Bad", "lxc:///system")] {
        assert!(matches!(f.p.add_host(name, uri, None).await, Err(Error::Invalid(_))), "{name} {uri}");
    }
    assert!(matches!(f.p.remove_host(LOCAL_HOST).await, Err(Error::Invalid(_))));
    assert!(matches!(f.p.remove_host("elsewhere").await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn warm_segments_spread_over_the_hosts_and_go_with_their_host_to_a_cluster() {
    let f = Fixture::with_pool(3).await;
    f.p.register_local_host("lxc:///system").await.unwrap();
    f.p.add_host("second", "lxc+tls://127.0.0.1/system", None).await.unwrap();
    let r = f.reconciler_over(short_patience(), two_host_fleet(&f));
    r.remove_orphans().await.unwrap();
    assert_eq!(r.refill_pool().await.unwrap(), 3);
    let mut on: BTreeMap<String, usize> = BTreeMap::new();
    for row in f.p.storage().pool_segments().await.unwrap() {
        *on.entry(row.host).or_default() += 1;
    }
    assert_eq!(on, BTreeMap::from([(LOCAL_HOST.to_owned(), 2), ("second".to_owned(), 1)]));

    // Taken whole by a cluster: each segment stays on (and is driven on) its host.
    let web = f.create("web", 3).await;
    assert_eq!(f.converge(&r, &web, 10).await.unwrap(), Outcome::Converged);
    assert!(f.segments(&web).await.iter().all(|s| s.domain.is_some()), "not taken from the pool");
    assert_eq!(spread(&f, &web).await, on);

    // A drained host's warm segments go; the others stay.
    assert_eq!(r.refill_pool().await.unwrap(), 3);
    f.p.set_host_draining("second", true).await.unwrap();
    r.refill_pool().await.unwrap();
    let left = f.p.storage().pool_segments().await.unwrap();
    assert!(!left.is_empty() && left.iter().all(|p| p.host == LOCAL_HOST), "{left:?}");
}

#[tokio::test]
async fn a_host_that_goes_away_leaves_its_segments_down_until_a_rebuild_moves_them() {
    let f = Fixture::new().await;
    let ada = roomy_account(&f).await;
    f.p.register_local_host("lxc:///system").await.unwrap();
    f.p.add_host("second", "lxc+tls://127.0.0.1/system", None).await.unwrap();
    let (fleet, second_away) = two_host_fleet_with_switch(&f);
    let r = f.reconciler_over(short_patience(), fleet);
    r.look_at_hosts().await.unwrap();
    let web = f.create("web", 3).await;
    assert_eq!(f.converge(&r, &web, 10).await.unwrap(), Outcome::Converged);
    let on_second = f.segments(&web).await.into_iter().find(|s| s.host == "second").unwrap();

    second_away.store(true, Ordering::SeqCst);
    r.look_at_hosts().await.unwrap();
    assert!(f.p.hosts().await.unwrap().iter().any(|h| h.name == "second" && h.unreachable_since.is_some()));
    // A pass shows its segment down, keeps the others ready and the cluster active, and
    // says what to do.
    let said = f.converge(&r, &web, 1).await.unwrap_err().to_string();
    assert!(said.contains("does not answer") && said.contains("rebuild"), "{said}");
    for segment in f.segments(&web).await {
        let expected = if segment.host == "second" { "down" } else { "ready" };
        assert_eq!(segment.state.as_str(), expected, "{}", segment.name);
    }
    assert_eq!(f.status(&web).await, Some(ClusterStatus::Active));
    assert!(f.events(&web).await.iter().any(|e| e.contains("its host second does not answer")));
    // New segments go to the host that answers.
    let db = f.create("db", 2).await;
    assert_eq!(f.converge(&r, &db, 10).await.unwrap(), Outcome::Converged);
    assert_eq!(spread(&f, &db).await, BTreeMap::from([(LOCAL_HOST.to_owned(), 2)]));

    // A rebuild moves every segment to the answering host; the one left behind is stranded
    // there, its address kept from every new segment.
    f.p.rebuild_cluster(&ada, "web").await.unwrap();
    assert_eq!(f.converge(&r, &web, 10).await.unwrap(), Outcome::Converged);
    assert_eq!(spread(&f, &web).await, BTreeMap::from([(LOCAL_HOST.to_owned(), 3)]));
    let stranded = f.p.storage().stranded_segments().await.unwrap();
    assert_eq!(stranded.iter().map(|s| s.domain.as_str()).collect::<Vec<_>>(), [on_second.domain()]);
    let taken: Vec<String> = [&web, &db]
        .iter()
        .map(|id| f.segments(id))
        .collect::<futures::future::JoinAll<_>>()
        .await
        .into_iter()
        .flatten()
        .map(|s| s.address)
        .collect();
    assert!(!taken.contains(&on_second.address), "the stranded address was handed out again");
    let held = refusal(f.p.remove_host("second").await);
    assert!(held.contains("still holds 1 segment(s)"), "{held}");

    // Back: the stranded segment goes from its host, then the host can go.
    second_away.store(false, Ordering::SeqCst);
    r.look_at_hosts().await.unwrap();
    assert!(f.p.storage().stranded_segments().await.unwrap().is_empty());
    assert!(f.world.segment(on_second.domain()).is_none(), "removed from the host");
    assert!(f.p.hosts().await.unwrap().iter().all(|h| h.unreachable_since.is_none()));
    f.p.remove_host("second").await.unwrap();
}
