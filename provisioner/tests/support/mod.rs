//! Test doubles of the infrastructure the reconciler drives, in the manner of youki's
//! `Syscall` test double: in-memory state, every call recorded, any call can be told to
//! fail or to hang. With them the reconciler runs as an ordinary user, in milliseconds,
//! over a real migrated database: SQLite, or PostgreSQL when `CARINA_TEST_DATABASE_URL`
//! names a server (see `testkit::database`).

#![allow(dead_code, unused_imports)]

pub mod docker;
pub mod driver;
pub mod world;

use std::sync::Arc;
use std::time::Duration;

use provisioner::reconciler::{Context, Outcome, Patience};
use provisioner::storage::SegmentRow;
use provisioner::{Account, ClusterStatus, Fleet, Provisioner, ProvisionerConfig, Reconciler, SecretKey, Storage};

pub use docker::FakeDocker;
pub use driver::FakeDriver;
pub use world::{Hold, World};

/// Patience scaled down from seconds to milliseconds.
pub fn short_patience() -> Patience {
    Patience {
        start: Duration::from_millis(200),
        health: Duration::from_millis(20),
        hang: Duration::from_millis(60),
        hang_probe: Duration::from_millis(10),
        nodes_ready: Duration::from_millis(200),
        quick_look: Duration::from_millis(20),
        converge_deadline: Duration::from_secs(600),
        lease: Duration::from_millis(300),
    }
}

/// A provisioner over a fresh database file, an account, and a fake world.
pub struct Fixture {
    pub p: Provisioner,
    pub account: Account,
    pub world: World,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_pool(0).await
    }

    /// A fixture whose provisioner keeps `warm_segments` in its warm pool.
    pub async fn with_pool(warm_segments: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::connect(&testkit::database::url_in(dir.path())).await.unwrap();
        let config = ProvisionerConfig { warm_segments, ..ProvisionerConfig::default() };
        let p = Provisioner::new(storage, config, SecretKey::generate()).await.unwrap();
        let (account, _) = p.sign_up("ada@example.com", "correct horse battery").await.unwrap();
        Fixture { p, account, world: World::new(), _dir: dir }
    }

    /// A reconciler over this database and world (call again for a fresh one, as after a
    /// restart of the server).
    pub fn reconciler(&self, patience: Patience) -> Reconciler {
        self.reconciler_over(patience, Fleet::single(Arc::new(FakeDriver { world: self.world.clone() })))
    }

    /// A reconciler over this database and world that drives segments through `fleet`.
    pub fn reconciler_over(&self, patience: Patience, fleet: Fleet) -> Reconciler {
        Reconciler::with_context(Context {
            provisioner: self.p.clone(),
            fleet,
            docker: Arc::new(FakeDocker { world: self.world.clone() }),
            base_image_tar: "base-image.tar".into(),
            patience,
        })
    }

    /// Creates a cluster and returns its id.
    pub async fn create(&self, name: &str, segments: u32) -> String {
        self.p.create_cluster(&self.account, name, segments).await.unwrap().id
    }

    pub async fn status(&self, id: &str) -> Option<ClusterStatus> {
        let row = self.p.storage().cluster_by_id(id).await.unwrap()?;
        Some(row.status.parse().unwrap())
    }

    pub async fn reason(&self, id: &str) -> Option<String> {
        self.p.storage().cluster_by_id(id).await.unwrap()?.status_reason
    }

    pub async fn segments(&self, id: &str) -> Vec<SegmentRow> {
        self.p.storage().segments_of(id).await.unwrap()
    }

    /// The cluster's history, oldest first.
    pub async fn events(&self, id: &str) -> Vec<String> {
        let mut events: Vec<String> =
            self.p.storage().events_of(id, 1000).await.unwrap().into_iter().map(|e| e.message).collect();
        events.reverse();
        events
    }

    /// Passes until one converges (or `tries` passes failed); returns the last result.
    pub async fn converge(&self, r: &Reconciler, id: &str, tries: usize) -> provisioner::Result<Outcome> {
        let mut last = r.reconcile(id).await;
        for _ in 1..tries {
            if matches!(last, Ok(Outcome::Converged | Outcome::Deleted)) {
                break;
            }
            last = r.reconcile(id).await;
        }
        last
    }
}
