//! The hosts' room: cluster segments past the open hosts' capacity are refused, at once
//! and under concurrency; a drained host takes nothing new; the warm pool keeps to what is
//! left. On SQLite, or on PostgreSQL with `CARINA_TEST_DATABASE_URL`.

mod support;

use provisioner::{Account, Error, Quotas, LOCAL_HOST};
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
