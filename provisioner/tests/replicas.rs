//! Several replicas (server processes) on one database and one host: each cluster is
//! worked on by one replica at a time, and another finishes what a replica that died left
//! half done. On SQLite, or on PostgreSQL with `CARINA_TEST_DATABASE_URL`.

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use provisioner::reconciler::{cluster_lease, Context};
use provisioner::{
    ClusterStatus, EndpointSpec, Endpoints, Fleet, Provisioner, ProvisionerConfig, Reconciler, SecretKey, Storage,
};
use support::{short_patience, FakeDocker, FakeDriver, Hold, World};

/// A replica's cluster endpoints: which are open, and what they refuse.
#[derive(Default)]
struct FakeEndpoints {
    open: Mutex<BTreeSet<String>>,
    revoked: Mutex<BTreeSet<(String, String)>>,
}

#[async_trait::async_trait]
impl Endpoints for FakeEndpoints {
    async fn open(&self, spec: EndpointSpec) -> provisioner::Result<()> {
        let mut revoked = self.revoked.lock().unwrap();
        revoked.extend(spec.revoked_fingerprints.iter().map(|f| (spec.cluster_id.clone(), f.clone())));
        self.open.lock().unwrap().insert(spec.cluster_id);
        Ok(())
    }
    async fn close(&self, cluster_id: &str) {
        self.open.lock().unwrap().remove(cluster_id);
    }
    fn revoke(&self, cluster_id: &str, fingerprint: &str) {
        self.revoked.lock().unwrap().insert((cluster_id.to_owned(), fingerprint.to_owned()));
    }
    fn is_open(&self, cluster_id: &str) -> bool {
        self.open.lock().unwrap().contains(cluster_id)
    }
}

/// A replica: a process of its own (runtime, database connections, reconciler) that
/// shares the database, the secret key and the host with the others.
struct Replica {
    runtime: Option<tokio::runtime::Runtime>,
    endpoints: Arc<FakeEndpoints>,
}

impl Replica {
    fn start(name: &str, url: &str, key_file: &std::path::Path, world: &World) -> Replica {
        let endpoints = Arc::new(FakeEndpoints::default());
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let (name, url, key_file, world) = (name.to_owned(), url.to_owned(), key_file.to_owned(), world.clone());
        let served = endpoints.clone();
        runtime.spawn(async move {
            let storage = Storage::connect(&url).await.unwrap();
            let config = ProvisionerConfig { replica: name, ..ProvisionerConfig::default() };
            let key = SecretKey::load_or_create(&key_file).unwrap();
            let p = Provisioner::with_endpoints(storage, config, key, served).await.unwrap();
            let reconciler = Reconciler::with_context(Context {
                provisioner: p,
                fleet: Fleet::single(Arc::new(FakeDriver { world: world.clone() })),
                docker: Arc::new(FakeDocker { world }),
                base_image_tar: "base-image.tar".into(),
                patience: short_patience(),
            });
            reconciler.run().await
        });
        Replica { runtime: Some(runtime), endpoints }
    }

    /// Dies: every task of it stops where it is, as when its process is killed.
    fn kill(mut self) {
        self.runtime.take().unwrap().shutdown_background();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn provisioner(url: &str, key_file: &std::path::Path, replica: &str) -> Provisioner {
    let storage = Storage::connect(url).await.unwrap();
    let config = ProvisionerConfig { replica: replica.into(), ..ProvisionerConfig::default() };
    Provisioner::new(storage, config, SecretKey::load_or_create(key_file).unwrap()).await.unwrap()
}

async fn wait_status(p: &Provisioner, id: &str, want: Option<ClusterStatus>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row = p.storage().cluster_by_id(id).await.unwrap();
        let status = row.as_ref().map(|r| r.status.parse::<ClusterStatus>().unwrap());
        if status == want {
            return;
        }
        assert!(Instant::now() < deadline, "{id} is {status:?}, not {want:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn holder(p: &Provisioner, id: &str) -> Option<String> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    p.storage().lease_holder(&cluster_lease(id), now).await.unwrap()
}

/// A shared database of the test's own (SQLite, or PostgreSQL with
/// `CARINA_TEST_DATABASE_URL`), its secret key file, a fake host, and the panel's side of
/// it (accounts and clusters, no reconciler) with an account.
struct Shared {
    _dir: tempfile::TempDir,
    url: String,
    key_file: std::path::PathBuf,
    world: World,
    panel: Provisioner,
    account: provisioner::Account,
}

async fn shared() -> Shared {
    let dir = tempfile::tempdir().unwrap();
    let url = testkit::database::url_in(dir.path());
    let key_file = dir.path().join("secret.key");
    let panel = provisioner(&url, &key_file, "panel").await;
    let (account, _) = panel.sign_up("ada@example.com", "correct horse battery").await.unwrap();
    Shared { _dir: dir, url, key_file, world: World::new(), panel, account }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_works_on_a_cluster_and_another_finishes_when_it_dies() {
    let Shared { url, key_file, world, panel, account, .. } = &shared().await;
    let (url, key_file) = (url.as_str(), key_file.as_path());
    let web = panel.create_cluster(account, "web", 3).await.unwrap().id;
    let db = panel.create_cluster(account, "db", 1).await.unwrap().id;
    // Whoever builds web stops at its third segment.
    let third = format!("{web}-n2");
    world.hold("ensure", &third, Hold::Before);

    let mut replicas =
        vec![("a", Replica::start("a", url, key_file, world)), ("b", Replica::start("b", url, key_file, world))];
    wait_status(panel, &db, Some(ClusterStatus::Active)).await;
    world.called("ensure", &third).await;
    let first = holder(panel, &web).await.expect("web has a lease");
    // Well past the lease time: the holder renews it, and the other replica leaves web
    // alone (no second start of the held segment, no other status).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(holder(panel, &web).await.as_deref(), Some(first.as_str()));
    assert_eq!(world.calls_of("ensure").iter().filter(|s| **s == third).count(), 1);
    wait_status(panel, &web, Some(ClusterStatus::Building)).await;
    assert!(holder(panel, &db).await.is_some());

    // The holder dies mid-build; the other one finishes, from what the dead one left.
    let at = replicas.iter().position(|(name, _)| *name == first).unwrap();
    replicas.remove(at).1.kill();
    world.release();
    wait_status(panel, &web, Some(ClusterStatus::Active)).await;
    let second = holder(panel, &web).await.unwrap();
    assert_ne!(second, first);
    {
        let state = world.state();
        let web_segments: Vec<_> = state.segments.keys().filter(|d| d.starts_with(&web)).collect();
        assert_eq!(web_segments.len(), 3, "{web_segments:?}");
        assert!(state.segments.values().all(|s| s.running));
        assert_eq!(state.segments.len(), 4, "a segment was lost or made twice");
    }

    // A bundle revoked through another server (here the panel's) is refused by the
    // endpoint of the replica that serves the cluster, by its next pass.
    let survivor = &replicas[0].1;
    assert_eq!(replicas[0].0, second);
    assert!(survivor.endpoints.is_open(&web));
    panel.download_credentials(account, "web").await.unwrap();
    let bundle = panel.bundles(account, "web").await.unwrap().remove(0);
    panel.revoke_credentials(account, "web", &bundle.id).await.unwrap();
    let fingerprint = panel.storage().revoked_fingerprints(&web).await.unwrap().remove(0);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !survivor.endpoints.revoked.lock().unwrap().contains(&(web.clone(), fingerprint.clone())) {
        assert!(Instant::now() < deadline, "the serving replica never learnt of the revocation");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A deleted cluster's lease goes with it.
    panel.delete_cluster(account, "db").await.unwrap();
    wait_status(panel, &db, None).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while holder(panel, &db).await.is_some() {
        assert!(Instant::now() < deadline, "the deleted cluster's lease stays");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// On PostgreSQL, a change through one server wakes another's pages, and a revocation
/// reaches its endpoint, at once: by their announcements, not by a pass (this replica runs
/// none).
#[tokio::test]
async fn changes_and_revocations_reach_every_replica_at_once() {
    let Some(url) = testkit::database::fresh_postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("secret.key");
    let panel = provisioner(&url, &key_file, "panel").await;
    let endpoints = Arc::new(FakeEndpoints::default());
    let storage = Storage::connect(&url).await.unwrap();
    let config = ProvisionerConfig { replica: "a".into(), ..ProvisionerConfig::default() };
    let key = SecretKey::load_or_create(&key_file).unwrap();
    let other = Provisioner::with_endpoints(storage, config, key, endpoints.clone()).await.unwrap();
    let mut changes = other.storage().changes();
    changes.mark_unchanged();
    let following = tokio::spawn(async move { other.follow_replicas().await });
    let (account, _) = panel.sign_up("ada@example.com", "correct horse battery").await.unwrap();
    // Listening before the writes: an announcement nobody hears is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let web = panel.create_cluster(&account, "web", 1).await.unwrap().id;
    tokio::time::timeout(Duration::from_secs(5), changes.changed())
        .await
        .expect("the other replica's pages were not told of the new cluster")
        .unwrap();
    panel.storage().set_cluster_status(&web, "active", None, 0).await.unwrap();
    panel.download_credentials(&account, "web").await.unwrap();
    let bundle = panel.bundles(&account, "web").await.unwrap().remove(0);
    panel.revoke_credentials(&account, "web", &bundle.id).await.unwrap();
    let fingerprint = panel.storage().revoked_fingerprints(&web).await.unwrap().remove(0);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !endpoints.revoked.lock().unwrap().contains(&(web.clone(), fingerprint.clone())) {
        assert!(Instant::now() < deadline, "the other replica never heard of the revocation");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    following.abort();
}

#[tokio::test]
async fn a_lease_is_one_holders_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::connect(&testkit::database::url_in(dir.path())).await.unwrap();
    assert!(storage.take_lease("pool", "a", 1_000, 2_000).await.unwrap());
    assert!(!storage.take_lease("pool", "b", 1_500, 2_500).await.unwrap(), "taken while a's is valid");
    assert!(storage.take_lease("pool", "a", 1_500, 2_500).await.unwrap(), "renewed by its holder");
    assert_eq!(storage.renew_leases("a", 3_000).await.unwrap(), 1);
    assert!(!storage.take_lease("pool", "b", 2_900, 4_000).await.unwrap(), "the renewal counts");
    assert_eq!(storage.lease_holder("pool", 2_900).await.unwrap().as_deref(), Some("a"));
    // Expired: anyone takes it, and the former holder cannot give it up any more.
    assert!(storage.take_lease("pool", "b", 3_000, 4_000).await.unwrap());
    storage.release_lease("pool", "a").await.unwrap();
    assert_eq!(storage.lease_holder("pool", 3_500).await.unwrap().as_deref(), Some("b"));
    storage.release_lease("pool", "b").await.unwrap();
    assert_eq!(storage.lease_holder("pool", 3_500).await.unwrap(), None);
    assert!(storage.take_lease("pool", "a", 3_500, 4_500).await.unwrap());
}

/// A replica that loses a cluster's lease while alive and at work (paused past the lease
/// time while another replica took over) stops that work at once, in the middle of its
/// step: a cluster is never worked on by two replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_loses_its_lease_stops_mid_step() {
    let Shared { url, key_file, world, panel, account, .. } = &shared().await;
    let (url, key_file) = (url.as_str(), key_file.as_path());
    let web = panel.create_cluster(account, "web", 2).await.unwrap().id;
    let first = format!("{web}-n1");
    world.hold("ensure", &first, Hold::Before);
    let replica = Replica::start("a", url, key_file, world);
    world.called("ensure", &first).await;
    assert_eq!(holder(panel, &web).await.as_deref(), Some("a"));

    // Another replica has the lease now, as if `a` had been paused past the lease time.
    let lease = cluster_lease(&web);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    panel.storage().release_lease(&lease, "a").await.unwrap();
    assert!(panel.storage().take_lease(&lease, "b", now, now + 60_000).await.unwrap());
    // `a` checks its lease every sixth of the lease time (50 ms here).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let calls = world.calls().len();
    world.release();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(world.segment(&first).is_none(), "the held segment was started after the lease was lost");
    let later: Vec<_> = world.calls().into_iter().skip(calls).filter(|c| c.segment.starts_with(&web)).collect();
    assert!(later.is_empty(), "a acted on a cluster b holds: {:?}", later.iter().map(|c| c.op).collect::<Vec<_>>());
    wait_status(panel, &web, Some(ClusterStatus::Building)).await;
    assert_eq!(holder(panel, &web).await.as_deref(), Some("b"));
    drop(replica);
}

/// A write by another process (an operator command) reaches a server's pages on either
/// engine: PostgreSQL's announcements, or SQLite's `data_version` on the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_by_another_process_moves_the_servers_version() {
    let dir = tempfile::tempdir().unwrap();
    let url = testkit::database::url_in(dir.path());
    let key_file = dir.path().join("secret.key");
    let server = provisioner(&url, &key_file, "server").await;
    let (account, _) = server.sign_up("ada@example.com", "correct horse battery").await.unwrap();
    let mut changes = server.storage().changes();
    let following = {
        let server = server.clone();
        tokio::spawn(async move { server.follow_replicas().await })
    };
    // Listening (and a first look at the file) before the write.
    tokio::time::sleep(Duration::from_millis(600)).await;
    changes.mark_unchanged();
    let command = Storage::connect(&url).await.unwrap();
    assert!(command.set_account_quotas(&account.id, 1, 3).await.unwrap());
    tokio::time::timeout(Duration::from_secs(5), changes.changed())
        .await
        .expect("the server never noticed the other process's write")
        .unwrap();
    following.abort();
}
