//! Wiring the domain to real infrastructure: libvirt segments, the reconciler, and the
//! cluster endpoints.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use gateway::{Gateway, GatewayOptions};
use provisioner::reconciler::Heartbeat;
use provisioner::storage::AddressPool;
use provisioner::{Flavor, Fleet, Provisioner, ProvisionerConfig, Reconciler, SecretKey, Storage};
use segments::{HostConfig, LibvirtSegments, SegmentDriver};
use tokio::task::JoinHandle;

use crate::config::{SegmentSettings, Serve};
use crate::endpoints::{Directory, GatewayEndpoints};

/// The running background parts of the service.
pub struct Infrastructure {
    pub provisioner: Provisioner,
    /// This server's own segment host (readiness asks it).
    pub driver: Arc<dyn SegmentDriver>,
    /// Every host's driver (the metrics read segments' usage through them).
    pub fleet: Fleet,
    /// Beats after each of the reconciler's loops over the clusters.
    pub heartbeat: Heartbeat,
    reconciler: JoinHandle<()>,
    housekeeping: JoinHandle<()>,
    /// Keeps the live models of the clusters in use running.
    live_models: JoinHandle<()>,
}

/// The segment host settings for this data directory and these flags.
pub fn host_config(data_dir: &Path, seg: &SegmentSettings) -> anyhow::Result<HostConfig> {
    let (gateway, prefix_len) = segments::parse_cidr(&seg.bridge_addr).context("reading --bridge-addr")?;
    let image_dir = seg.image_dir.clone().unwrap_or_else(|| data_dir.join("images"));
    Ok(HostConfig {
        state_dir: seg.segments_root.join(&seg.instance),
        rootfs: image_dir.join("rootfs"),
        base_image_tar: image_dir.join("base-image.tar"),
        bridge: seg.bridge.clone(),
        gateway,
        prefix_len,
        libvirt_uri: seg.libvirt_uri.clone(),
        docker_over_tls: segments::docker_over_tls(&seg.libvirt_uri, seg.docker_transport.as_deref())?,
    })
}

/// Connects to libvirt, builds the provisioner and starts the reconciler.
pub async fn start(
    storage: Storage,
    secret_key: SecretKey,
    data_dir: &Path,
    serve: &Serve,
) -> anyhow::Result<Infrastructure> {
    let seg = &serve.segments;
    let host = host_config(data_dir, seg)?;
    let (gateway, prefix_len) = (host.gateway, host.prefix_len);
    if !host.rootfs.exists() || !host.base_image_tar.exists() {
        tracing::warn!(
            rootfs = %host.rootfs.display(),
            "the segment root filesystem or base image is missing: run scripts/host-setup.sh (clusters cannot be built until then)"
        );
    }
    let base_image_tar = host.base_image_tar.clone();
    let driver: Arc<dyn SegmentDriver> =
        Arc::new(LibvirtSegments::new(host.clone()).context("setting up the segment driver")?);
    let fleet = Fleet::new(driver.clone(), Box::new(move |uri: &str| other_host(&host, uri)));
    let identity = Arc::new(std::sync::OnceLock::new());
    let directory = Directory { storage: storage.clone(), fleet: fleet.clone(), identity: identity.clone() };
    let options = GatewayOptions {
        policy: policy::Policy { extra_log_drivers: serve.endpoints.allow_log_drivers.clone() },
        ipvs: segments::kernel_has_ipvs(),
        ..GatewayOptions::default()
    };
    let endpoints = GatewayEndpoints {
        gateway: Gateway::with_options(Arc::new(directory), options),
        bind: serve.endpoints.endpoint_bind,
    };
    let config = ProvisionerConfig {
        flavor: Flavor {
            name: format!("container1-{}G", seg.segment_memory_mib.div_ceil(1024)),
            memory_mib: seg.segment_memory_mib,
            vcpus: seg.segment_vcpus,
            disk_mib: seg.segment_disk_gib * 1024,
            pids_max: seg.segment_pids_max,
        },
        segment_network: AddressPool { gateway, prefix_len },
        endpoint_host: serve.endpoint_host(),
        endpoint_ports: serve.endpoints.endpoint_ports.clone(),
        warm_segments: seg.warm_segments,
        audit_retention: std::time::Duration::from_secs(serve.audit_retention_days * 24 * 3600),
        replica: serve.replica.clone().unwrap_or_else(host_name),
        ..ProvisionerConfig::default()
    };
    let provisioner =
        Provisioner::with_infrastructure(storage, config, secret_key, Arc::new(endpoints), fleet.clone()).await?;
    // Before any endpoint serves: the provisioner starts them after this function returns.
    let _ = identity.set(provisioner.control_identity().clone());
    provisioner.register_local_host(&seg.libvirt_uri).await.context("registering this server's libvirt host")?;
    fleet.refresh(provisioner.storage()).await.context("reading the hosts")?;
    let reconciler = Reconciler::new(provisioner.clone(), fleet.clone(), base_image_tar);
    let heartbeat = reconciler.heartbeat();
    let reconciler = tokio::spawn(reconciler.run());
    let housekeeping = tokio::spawn(crate::housekeeping::run(provisioner.clone()));
    let live_models = {
        let provisioner = provisioner.clone();
        tokio::spawn(async move { provisioner.follow_active_clusters().await })
    };
    Ok(Infrastructure { provisioner, driver, fleet, heartbeat, reconciler, housekeeping, live_models })
}

/// The driver of another host, at libvirt URI `uri`: this server's settings otherwise
/// (its bridge, images and segment directories, all on this machine: `add-host` takes only
/// a libvirt of this machine for now, see `provisioner::host`), and dockerds reached over
/// TLS unless the URI is this machine's own.
fn other_host(local: &HostConfig, uri: &str) -> Result<Arc<dyn SegmentDriver>, segments::SegmentError> {
    let config = HostConfig {
        libvirt_uri: uri.to_owned(),
        docker_over_tls: local.docker_over_tls || segments::docker_over_tls(uri, None)?,
        ..local.clone()
    };
    Ok(Arc::new(LibvirtSegments::new(config)?))
}

impl Infrastructure {
    /// Stops the background tasks. Segments keep running: they are infrastructure, and the
    /// next start picks them up.
    pub async fn stop(self) {
        self.housekeeping.abort();
        self.live_models.abort();
        self.reconciler.abort();
        let _ = self.reconciler.await;
    }
}

/// The machine's host name (the default replica name), or "local" if it has none.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "local".into())
}
