//! The domain: accounts, quotas, clusters, credentials, storage and the reconciler.
//!
//! [`Provisioner`] is the one entry point the panel, the JSON API and the command line
//! call; it writes desired state and reads status, and never blocks on infrastructure.

#![warn(unreachable_pub)]

pub mod account;
pub mod audit;
mod auth;
mod clock;
pub mod cluster;
mod cluster_ca;
mod clusters;
pub mod config;
mod control_plane;
mod credentials;
pub mod endpoints;
pub mod error;
pub mod event;
pub mod fleet;
mod history;
pub mod host;
mod housekeeping;
pub mod live;
mod operator;
mod operator_view;
mod password;
mod placement;
pub mod quota;
pub mod reconciler;
mod replicas;
mod secret;
pub mod secret_key;
pub mod segment;
mod status;
pub mod storage;
pub mod throttle;

use std::sync::Arc;

use tokio::sync::Notify;

pub use account::Account;
pub use audit::{acting, Actor, AuditEntry, Via, AUDIT_LIMIT};
pub use auth::{ApiKey, NewSession};
pub use cluster::{Action, ClusterStatus};
pub use cluster_ca::open_secret_key;
pub use clusters::{token_of, ClusterDetail, ClusterEvent, ClusterSummary, SegmentInfo};
pub use config::{Flavor, ProvisionerConfig};
pub use credentials::{bundle_label, BundleInfo, CredentialsZip};
pub use endpoints::{EndpointSpec, Endpoints, NoEndpoints};
pub use error::{Error, Result};
pub use fleet::Fleet;
pub use history::{AccountEvent, EVENTS_LIMIT};
pub use host::{HostView, LOCAL_HOST};
pub use housekeeping::Pruned;
pub use live::{Feed, PlacedContainer, Reserved, Sample};
pub use operator_view::{AccountOverview, ClusterOverview, HostCapacity, OperatorOverview};
pub use placement::{ClusterWatch, SegmentPlacement};
pub use quota::Quotas;
pub use reconciler::Reconciler;
pub use secret_key::{SecretKey, SecretKeyError};
pub use segment::SegmentStatus;
pub use status::{ServiceStatus, WarmPool};
pub use storage::Storage;

/// The service's domain layer.
#[derive(Clone)]
pub struct Provisioner {
    storage: Storage,
    config: ProvisionerConfig,
    endpoints: Arc<dyn Endpoints>,
    /// The segments' hosts, for reading what runs on them (placement); `None` without
    /// infrastructure (tests of the domain alone).
    fleet: Option<Fleet>,
    /// The clusters' live models (with a driver only).
    live: Option<live::LiveModels>,
    /// Wakes the reconciler when desired state changes, so it does not wait for its tick.
    wake: Arc<Notify>,
    /// A valid argon2 hash of a random password, checked for unknown emails so that a
    /// sign-in takes as long whether or not the account exists.
    dummy_password_hash: String,
    /// Seals cluster CA keys in the database; kept in a file outside it.
    secret_key: Arc<secret_key::SecretKey>,
    /// The control-plane CA and this server's client identity towards segments' dockerds.
    control: Arc<control_plane::ControlPlane>,
}

impl Provisioner {
    /// A provisioner over this database, without cluster endpoints. `secret_key` seals
    /// the CA keys; plaintext ones from an older database are sealed now.
    pub async fn new(storage: Storage, config: ProvisionerConfig, secret_key: SecretKey) -> Result<Self> {
        Self::with_endpoints(storage, config, secret_key, Arc::new(NoEndpoints)).await
    }

    /// A provisioner over this database that drives these cluster endpoints and reads
    /// segments on the hosts of `fleet`.
    pub async fn with_infrastructure(
        storage: Storage,
        config: ProvisionerConfig,
        secret_key: SecretKey,
        endpoints: Arc<dyn Endpoints>,
        fleet: Fleet,
    ) -> Result<Self> {
        let mut provisioner = Self::with_endpoints(storage, config, secret_key, endpoints).await?;
        let identity = provisioner.control_identity().clone();
        provisioner.live = Some(live::LiveModels::new(provisioner.storage.clone(), fleet.clone(), identity));
        provisioner.fleet = Some(fleet);
        Ok(provisioner)
    }

    /// Whether Swarm services can have virtual IPs here (the kernel has IPVS); without,
    /// the cluster endpoint gives them DNS round-robin endpoints and host-mode ports.
    pub fn ipvs_available(&self) -> bool {
        segments::kernel_has_ipvs()
    }

    /// The size every new segment gets: memory, vCPUs, disk and process limit.
    pub fn flavor(&self) -> &Flavor {
        &self.config.flavor
    }

    /// Whether segments run under an enforced AppArmor profile on this host.
    pub fn apparmor_enforced(&self) -> bool {
        self.fleet.as_ref().is_some_and(|f| f.local().apparmor_enforced())
    }

    /// A provisioner over this database that drives these cluster endpoints.
    pub async fn with_endpoints(
        storage: Storage,
        config: ProvisionerConfig,
        secret_key: SecretKey,
        endpoints: Arc<dyn Endpoints>,
    ) -> Result<Self> {
        let dummy_password_hash = account::hash_password(secret::new_secret()).await?;
        let control = control_plane::ControlPlane::load_or_create(&storage, &secret_key).await?;
        let provisioner = Provisioner {
            storage,
            config,
            endpoints,
            fleet: None,
            live: None,
            wake: Arc::new(Notify::new()),
            dummy_password_hash,
            secret_key: Arc::new(secret_key),
            control: Arc::new(control),
        };
        provisioner.seal_plaintext_ca_keys().await?;
        Ok(provisioner)
    }

    /// The database (for the server's housekeeping tasks).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The settings.
    pub fn config(&self) -> &ProvisionerConfig {
        &self.config
    }

    /// Asks the reconciler (every replica's) to look at desired state now.
    pub fn wake_reconciler(&self) {
        self.wake.notify_one();
        self.wake_other_replicas();
    }
}
