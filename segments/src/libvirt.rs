//! The real segment driver: libvirt LXC domains over an overlay root.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use dockerlink::{ControlIdentity, DockerAddress};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::ErrorNumber;

use crate::connection::{destroy, lookup, mac_in, owner_of, Connection};
use crate::dockerd::{
    daemon_json, init_script, CA_FILE, CERT_FILE, CLIENT_CA, DAEMON_JSON, INIT_SCRIPT, KEY_FILE, LISTENER_CERT,
    LISTENER_KEY, TLS_DIR,
};
use crate::domain_xml::domain_xml;
use crate::files::{clear_dir, create_dir, remove_dir_all, remove_file, write_if_changed};
use crate::freezer;
use crate::layout::MAX_SOCKET_PATH;
use crate::link_filter::LinkIdentity;
use crate::{
    apparmor, disk, identity, isolation, link_filter, mounts, pids, userns, validate_name, HostConfig, SegmentDriver,
    SegmentError, SegmentLayout, SegmentSpec, SegmentState, SegmentTls, SegmentUsage, DOCKERD_TLS_PORT, LXC_SYSTEM_URI,
};

/// Where libvirt's LXC driver writes each domain's log.
const LXC_LOG_DIR: &str = "/var/log/libvirt/lxc";

/// Segments as libvirt LXC domains (see the crate docs for their shape).
#[derive(Debug, Clone)]
pub struct LibvirtSegments {
    config: HostConfig,
    apparmor: bool,
    /// What [`SegmentDriver::allow_peers`] last applied per segment: the filter rules are
    /// listed and changed only when this differs.
    allowed: Arc<Mutex<HashMap<String, AppliedPeers>>>,
}

/// A segment's own address and the peers its filter lets through.
type AppliedPeers = (Ipv4Addr, Vec<Ipv4Addr>);

/// What libvirt has of one domain name.
enum DomainStatus {
    Absent,
    /// Defined; `ours` is false when its owner metadata names another state dir.
    Present {
        active: bool,
        /// Active with its processes frozen (paused, in libvirt's words).
        frozen: bool,
        ours: bool,
        owner: Option<String>,
    },
}

impl LibvirtSegments {
    /// A driver for the instance `config` describes. Creates the state dir, and stores it
    /// canonicalized: it is what marks this instance's domains.
    pub fn new(mut config: HostConfig) -> Result<Self, SegmentError> {
        std::fs::create_dir_all(&config.state_dir).map_err(SegmentError::io("create", &config.state_dir))?;
        config.state_dir =
            std::fs::canonicalize(&config.state_dir).map_err(SegmentError::io("resolve", &config.state_dir))?;
        // libvirt would otherwise print every expected error (a lookup of an absent domain).
        virt::error::clear_error_callback();
        Ok(LibvirtSegments { config, apparmor: apparmor::apparmor_enforced(), allowed: Arc::default() })
    }

    /// The configuration this driver uses (state dir canonicalized).
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// The host directories of segment `name`.
    pub fn layout(&self, name: &str) -> SegmentLayout {
        SegmentLayout::new(&self.config.state_dir, name)
    }

    fn owner_key(&self) -> String {
        self.config.state_dir.to_string_lossy().into_owned()
    }

    /// Runs `f` on a fresh libvirt connection in the blocking pool. A connection per call
    /// keeps the driver working across libvirtd restarts; opening one costs a millisecond.
    async fn with_conn<T, F>(&self, f: F) -> Result<T, SegmentError>
    where
        T: Send + 'static,
        F: FnOnce(&Connect) -> Result<T, SegmentError> + Send + 'static,
    {
        let uri = self.config.libvirt_uri.clone();
        tokio::task::spawn_blocking(move || {
            let conn = Connection::open(&uri)?;
            f(&conn.0)
        })
        .await?
    }

    async fn domain_status(&self, name: &str) -> Result<DomainStatus, SegmentError> {
        let name = name.to_owned();
        let me = self.owner_key();
        self.with_conn(move |conn| {
            let Some(dom) = lookup(conn, &name)? else {
                return Ok(DomainStatus::Absent);
            };
            let owner = owner_of(&dom);
            let active = dom.is_active().map_err(SegmentError::libvirt("query", &name))?;
            let frozen = active && freezer::is_frozen(&dom, &name)?;
            Ok(DomainStatus::Present { active, frozen, ours: owner.as_deref() == Some(me.as_str()), owner })
        })
        .await
    }

    /// Freezes or thaws our running domain `name`; anything else is left as it is.
    async fn set_frozen(&self, name: &str, frozen: bool) -> Result<(), SegmentError> {
        validate_name(name)?;
        let (owned, me) = (name.to_owned(), self.owner_key());
        let changed = self.with_conn(move |conn| freezer::set_frozen(conn, &owned, &me, frozen)).await?;
        if changed {
            tracing::debug!(segment = %name, frozen, "segment frozen or thawed");
        }
        Ok(())
    }

    fn check_socket_path(&self, layout: &SegmentLayout) -> Result<(), SegmentError> {
        let socket = layout.docker_socket();
        let len = socket.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            return Err(SegmentError::InvalidConfig(format!(
                "docker socket path {} is {len} bytes, more than a unix socket allows ({MAX_SOCKET_PATH}); \
                 use a shorter state dir",
                socket.display()
            )));
        }
        Ok(())
    }

    /// Directories, overlay root, files inside the root, and an empty `/run`; all of it
    /// owned by the segment's root (see [`userns`]).
    async fn prepare_root(&self, spec: &SegmentSpec, layout: &SegmentLayout) -> Result<(), SegmentError> {
        create_dir(&layout.dir, 0o700).await?;
        // libvirt's container process reaches the mounts it makes through host paths.
        userns::own(&layout.dir)?;
        for dir in [layout.upper(), layout.work(), layout.root(), layout.docker(), layout.run()] {
            create_dir(&dir, 0o755).await?;
        }
        // Mounted read-only from the first start on.
        let lower_mount = layout.lower_mount();
        tokio::fs::create_dir_all(&lower_mount).await.map_err(SegmentError::io("create", &lower_mount))?;
        disk::ensure_docker_disk(layout, &spec.name, spec.disk_mib).await?;
        if mounts::is_mount_point(&layout.docker()).await? {
            mounts::check_libvirtd_sees(&layout.docker()).await?;
        }
        // Before the overlay is mounted: overlayfs keeps the owner its root had then. The
        // Docker disk is mounted by now, so its file system's root is shifted too.
        userns::shift_tree(&layout.upper()).await?;
        userns::shift_tree(&layout.docker()).await?;
        let root = layout.root();
        let mounted = mounts::mounts_of("self").await?;
        let wanted = format!("lowerdir={},", lower_mount.display());
        if mounted.iter().any(|m| m.mount_point == root && !m.super_options.contains(&wanted)) {
            // Mounted while segments were privileged: straight on the root filesystem.
            mounts::unmount_all_under(&root).await?;
        }
        if !mounts::is_mount_point(&root).await? {
            if !mounts::is_mount_point(&lower_mount).await? {
                let lower = self.lower_for(layout).await?;
                userns::mount_idmapped(&lower, &lower_mount).await?;
            }
            mounts::mount_overlay(&lower_mount, &layout.upper(), &layout.work(), &root).await?;
        }
        mounts::check_libvirtd_sees(&root).await?;

        let tls = root.join(TLS_DIR.trim_start_matches('/'));
        create_dir(&tls, 0o755).await?;
        let client_ca = root.join(CLIENT_CA.trim_start_matches('/'));
        let init = root.join(INIT_SCRIPT.trim_start_matches('/'));
        let config = root.join(DAEMON_JSON.trim_start_matches('/'));
        let listener_cert = root.join(LISTENER_CERT.trim_start_matches('/'));
        let listener_key = root.join(LISTENER_KEY.trim_start_matches('/'));
        for parent in [client_ca.parent(), init.parent()].into_iter().flatten() {
            create_dir(parent, 0o755).await?;
            userns::own(parent)?;
        }
        userns::own(&tls)?;
        let (script, json) = (init_script(), daemon_json());
        for (path, content, mode) in [
            (tls.join(CA_FILE), spec.tls.ca_pem.as_str(), 0o644),
            (tls.join(CERT_FILE), spec.tls.cert_pem.as_str(), 0o644),
            (tls.join(KEY_FILE), spec.tls.key_pem.as_str(), 0o600),
            (client_ca, spec.tls.client_ca_pem.as_str(), 0o644),
            (listener_cert, spec.tls.listener_cert_pem.as_str(), 0o644),
            (listener_key, spec.tls.listener_key_pem.as_str(), 0o600),
            (init, script.as_str(), 0o755),
            (config, json.as_str(), 0o644),
        ] {
            write_if_changed(&path, content, mode).await?;
            userns::own(&path)?;
        }

        // /run starts empty, as after a boot: a killed dockerd leaves pid files and a
        // dead socket that would stop the next one (and fool a readiness check).
        let run = layout.run();
        mounts::unmount_all_under(&run).await?;
        clear_dir(&run).await?;
        userns::own(&run)
    }

    /// The lower layer: the one this segment's upper layer was made against if it still
    /// exists, else the current root filesystem (recorded for next time).
    async fn lower_for(&self, layout: &SegmentLayout) -> Result<PathBuf, SegmentError> {
        let record = layout.lower_record();
        if let Ok(text) = tokio::fs::read_to_string(&record).await {
            let recorded = PathBuf::from(text.trim());
            if recorded.join("usr/sbin/dockerd").exists() {
                return Ok(recorded);
            }
        }
        let current = tokio::fs::canonicalize(&self.config.rootfs).await.map_err(|_| {
            SegmentError::InvalidConfig(format!(
                "segment root filesystem {} is missing (run scripts/host-setup.sh)",
                self.config.rootfs.display()
            ))
        })?;
        if !current.join("usr/sbin/dockerd").exists() {
            return Err(SegmentError::InvalidConfig(format!(
                "{} holds no dockerd (run scripts/host-setup.sh)",
                current.display()
            )));
        }
        let text = current.to_string_lossy().into_owned();
        tokio::fs::write(&record, text).await.map_err(SegmentError::io("write", &record))?;
        Ok(current)
    }

    /// Removes the cgroups the segment's init made for itself (see [`init_script`]).
    async fn remove_cgroups(&self, name: &str) -> Result<(), SegmentError> {
        let dirs = userns::own_cgroup_dirs(name).await?;
        tokio::task::spawn_blocking(move || {
            for dir in dirs {
                mounts::remove_cgroup_tree(&dir).map_err(SegmentError::io("remove cgroup", &dir))?;
            }
            Ok(())
        })
        .await?
    }

    /// Whom the segment may talk ARP with: the host, and the peers last allowed to it
    /// (none yet before the first [`SegmentDriver::allow_peers`]).
    fn arp_peers(&self, name: &str) -> Vec<Ipv4Addr> {
        let allowed = self.allowed.lock().unwrap_or_else(|e| e.into_inner());
        let peers = allowed.get(name).map(|(_, peers)| peers.clone()).unwrap_or_default();
        peers.into_iter().chain([self.config.gateway]).collect()
    }

    /// The MAC of a running segment's interface, from its live definition.
    async fn live_mac(&self, name: &str) -> Result<Option<String>, SegmentError> {
        let owned = name.to_owned();
        self.with_conn(move |conn| {
            let Some(dom) = lookup(conn, &owned)? else { return Ok(None) };
            if !dom.is_active().map_err(SegmentError::libvirt("query", &owned))? {
                return Ok(None);
            }
            let xml = dom.get_xml_desc(0).map_err(SegmentError::libvirt("describe", &owned))?;
            Ok(mac_in(&xml))
        })
        .await
    }

    async fn load_apparmor_profile(&self, layout: &SegmentLayout, name: &str) -> Result<String, SegmentError> {
        let file = layout.apparmor_profile();
        write_if_changed(&file, &apparmor::profile(name), 0o644).await?;
        apparmor::load(&file).await?;
        Ok(apparmor::profile_name(name))
    }
}

#[async_trait]
impl SegmentDriver for LibvirtSegments {
    async fn ensure(&self, spec: &SegmentSpec) -> Result<(), SegmentError> {
        validate_name(&spec.name)?;
        let layout = self.layout(&spec.name);
        self.check_socket_path(&layout)?;
        match self.domain_status(&spec.name).await? {
            DomainStatus::Present { ours: false, owner, .. } => {
                return Err(SegmentError::NameTaken { name: spec.name.clone(), owner });
            }
            DomainStatus::Present { active: true, .. } => {
                // Started by an earlier ensure that may have died before it handed the
                // segment its cgroups: the segment's init waits for them (and dockerd with
                // it), so hand them over now. Idempotent.
                let name = spec.name.clone();
                let controller = self
                    .with_conn(move |conn| {
                        let id = lookup(conn, &name)?.and_then(|dom| dom.get_id());
                        id.ok_or_else(|| SegmentError::InvalidConfig(format!("domain {name} stopped meanwhile")))
                    })
                    .await?;
                return userns::hand_over_libvirt_cgroups(&spec.name, controller).await;
            }
            _ => {}
        }

        self.prepare_root(spec, &layout).await?;
        userns::prepare_own_cgroups(&spec.name).await?;
        // Both before the start: the segment never runs without its L2 filter or its
        // process limit. The limit goes on the cgroups just made for the segment.
        let id = LinkIdentity {
            address: spec.address,
            mac: link_filter::mac_address(spec.address),
            arp_peers: self.arp_peers(&spec.name),
        };
        link_filter::ensure(&spec.name, &id).await?;
        pids::apply(&spec.name, spec.pids_max).await?;
        let label = if self.apparmor { Some(self.load_apparmor_profile(&layout, &spec.name).await?) } else { None };
        let (config, spec2) = (self.config.clone(), spec.clone());
        let name = spec.name.clone();
        let controller = self
            .with_conn(move |conn| {
                // Defining again updates a stopped domain to the current spec, under its UUID.
                let uuid = match lookup(conn, &name)? {
                    Some(existing) => Some(existing.get_uuid_string().map_err(SegmentError::libvirt("query", &name))?),
                    None => None,
                };
                let xml = domain_xml(&config, &spec2, &layout, uuid.as_deref(), label.as_deref());
                let dom = Domain::define_xml(conn, &xml).map_err(SegmentError::libvirt("define", &name))?;
                if let Err(e) = dom.create() {
                    // A concurrent ensure may have started it first.
                    if !dom.is_active().unwrap_or(false) {
                        return Err(SegmentError::libvirt("start", &name)(e));
                    }
                }
                // For an LXC domain: the pid of its libvirt_lxc controller.
                dom.get_id()
                    .ok_or_else(|| SegmentError::InvalidConfig(format!("domain {name} has no id after its start")))
            })
            .await?;
        userns::hand_over_libvirt_cgroups(&spec.name, controller).await?;
        tracing::info!(segment = %spec.name, address = %spec.address, "segment started");
        Ok(())
    }

    async fn adopt(&self, name: &str, hostname: &str, tls: &SegmentTls) -> Result<(), SegmentError> {
        validate_name(name)?;
        identity::write_files(&self.layout(name).root(), hostname, tls).await?;
        let owned = name.to_owned();
        let controller = self
            .with_conn(move |conn| {
                let id = lookup(conn, &owned)?.and_then(|dom| dom.get_id());
                id.ok_or_else(|| SegmentError::InvalidConfig(format!("segment {owned} does not run")))
            })
            .await?;
        identity::set_hostname(controller, hostname).await
    }

    async fn stop(&self, name: &str) -> Result<(), SegmentError> {
        validate_name(name)?;
        let (owned, me) = (name.to_owned(), self.owner_key());
        self.with_conn(move |conn| {
            let Some(dom) = lookup(conn, &owned)? else { return Ok(()) };
            if owner_of(&dom).as_deref() != Some(me.as_str()) {
                return Ok(());
            }
            destroy(&dom, &owned)
        })
        .await?;
        tracing::info!(segment = %name, "segment stopped");
        Ok(())
    }

    async fn freeze(&self, name: &str) -> Result<(), SegmentError> {
        self.set_frozen(name, true).await
    }

    async fn thaw(&self, name: &str) -> Result<(), SegmentError> {
        self.set_frozen(name, false).await
    }

    async fn allow_peers(&self, name: &str, address: Ipv4Addr, peers: &[Ipv4Addr]) -> Result<(), SegmentError> {
        validate_name(name)?;
        let wanted: Vec<Ipv4Addr> = peers.to_vec();
        if self.allowed.lock().unwrap_or_else(|e| e.into_inner()).get(name) == Some(&(address, wanted.clone())) {
            return Ok(());
        }
        // The MAC the running interface has: a segment defined before MACs were derived
        // from addresses keeps the one libvirt chose until it is defined again. A segment
        // that does not run sends nothing: `ensure` writes its chain, with these peers
        // (recorded below), before it starts, and the chain is written once, not twice.
        if let Some(mac) = self.live_mac(name).await? {
            let arp_peers = wanted.iter().copied().chain([self.config.gateway]).collect();
            link_filter::ensure(name, &LinkIdentity { address, mac, arp_peers }).await?;
        }
        isolation::allow_peers(&self.config.bridge, name, address, &wanted).await?;
        self.allowed.lock().unwrap_or_else(|e| e.into_inner()).insert(name.to_owned(), (address, wanted));
        Ok(())
    }

    async fn state(&self, name: &str) -> Result<SegmentState, SegmentError> {
        validate_name(name)?;
        Ok(match self.domain_status(name).await? {
            DomainStatus::Absent | DomainStatus::Present { ours: false, .. } => SegmentState::Absent,
            DomainStatus::Present { frozen: true, .. } => SegmentState::Frozen,
            DomainStatus::Present { active: true, .. } => SegmentState::Running,
            DomainStatus::Present { active: false, .. } => SegmentState::Stopped,
        })
    }

    async fn usage(&self, name: &str) -> Result<Option<SegmentUsage>, SegmentError> {
        validate_name(name)?;
        let owned = name.to_owned();
        self.with_conn(move |conn| {
            let Some(dom) = lookup(conn, &owned)? else { return Ok(None) };
            if !dom.is_active().map_err(SegmentError::libvirt("query", &owned))? {
                return Ok(None);
            }
            // For LXC, libvirt reads both from the domain's cgroups.
            let info = dom.get_info().map_err(SegmentError::libvirt("query", &owned))?;
            Ok(Some(SegmentUsage { cpu_seconds: info.cpu_time as f64 / 1e9, memory_bytes: info.memory * 1024 }))
        })
        .await
    }

    async fn remove(&self, name: &str) -> Result<(), SegmentError> {
        validate_name(name)?;
        let layout = self.layout(name);
        let me = self.owner_key();
        let owned = name.to_owned();
        // Whether the name is taken by another instance's domain: then its cgroups, log
        // and AppArmor profile are that instance's too, and only our directory goes.
        let foreign = self
            .with_conn(move |conn| {
                let Some(dom) = lookup(conn, &owned)? else { return Ok(false) };
                if owner_of(&dom).as_deref() != Some(me.as_str()) {
                    tracing::warn!(segment = %owned, "domain belongs to another instance; removing only our files");
                    return Ok(true);
                }
                if dom.is_active().map_err(SegmentError::libvirt("query", &owned))? {
                    destroy(&dom, &owned)?;
                }
                match dom.undefine() {
                    Ok(()) => Ok(false),
                    Err(e) if e.code() == ErrorNumber::NoDomain => Ok(false),
                    Err(e) => Err(SegmentError::libvirt("undefine", &owned)(e)),
                }
            })
            .await?;

        if !foreign {
            self.allowed.lock().unwrap_or_else(|e| e.into_inner()).remove(name);
            isolation::forget(&self.config.bridge, name).await?;
            link_filter::forget(name).await?;
        }
        mounts::unmount_all_under(&layout.dir).await?;
        let left = mounts::mounts_under(&mounts::mounts_of("self").await?, &layout.dir);
        if let Some(point) = left.first() {
            return Err(SegmentError::Command {
                command: format!("umount {}", point.display()),
                detail: "still mounted".into(),
            });
        }
        let profile = layout.apparmor_profile();
        if self.apparmor && !foreign && profile.exists() {
            if let Err(e) = apparmor::unload(&profile).await {
                tracing::warn!(segment = %name, error = %e, "could not unload the AppArmor profile");
            }
        }
        if !foreign {
            self.remove_cgroups(name).await?;
        }
        remove_dir_all(&layout.dir).await?;
        if self.config.libvirt_uri == LXC_SYSTEM_URI && !foreign {
            remove_file(&Path::new(LXC_LOG_DIR).join(format!("{name}.log"))).await?;
        }
        tracing::info!(segment = %name, "segment removed");
        Ok(())
    }

    async fn list(&self) -> Result<Vec<String>, SegmentError> {
        let me = self.owner_key();
        let mut names = self
            .with_conn(move |conn| {
                let doms = conn.list_all_domains(0).map_err(SegmentError::libvirt("list domains", ""))?;
                Ok(doms
                    .iter()
                    .filter(|d| owner_of(d).as_deref() == Some(me.as_str()))
                    .filter_map(|d| d.get_name().ok())
                    .collect::<Vec<_>>())
            })
            .await?;
        let dir = &self.config.state_dir;
        let mut entries = tokio::fs::read_dir(dir).await.map_err(SegmentError::io("list", dir))?;
        while let Some(entry) = entries.next_entry().await.map_err(SegmentError::io("list", dir))? {
            let is_dir = entry.file_type().await.map(|t| t.is_dir()).unwrap_or(false);
            if let Some(name) = entry.file_name().to_str() {
                if is_dir && validate_name(name).is_ok() {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn docker_address(&self, name: &str, address: Ipv4Addr, identity: &ControlIdentity) -> DockerAddress {
        let tls =
            || DockerAddress::Tls { addr: SocketAddrV4::new(address, DOCKERD_TLS_PORT), identity: identity.clone() };
        self.docker_root(name).map_or_else(tls, |_| DockerAddress::Unix(self.layout(name).docker_socket()))
    }

    fn docker_root(&self, name: &str) -> Option<PathBuf> {
        (!self.config.docker_over_tls).then(|| self.layout(name).docker())
    }

    fn apparmor_enforced(&self) -> bool {
        self.apparmor
    }
}
