//! Segments: libvirt LXC domains, each running its own dockerd, and the Docker and
//! Swarm operations the provisioner performs on them.
//!
//! A segment is a libvirt LXC domain (`lxc:///system`) whose root is an overlay: the
//! shared read-only root filesystem that `scripts/host-setup.sh` debootstraps, plus an
//! upper layer of its own, so the host's files are never visible inside. Its
//! `/var/lib/docker` and `/run` are plain per-segment host directories; the latter puts
//! the segment's `docker.sock` on the host, where [`SegmentEngine`] reaches it. tini runs
//! dockerd as the segment's only service: if dockerd dies, the domain stops, and
//! [`SegmentDriver::state`] reports [`SegmentState::Stopped`] until `ensure` restarts it.
//!
//! The reconciler sees a segment through two narrow traits only: [`SegmentDriver`] (the
//! domain) and [`SegmentDocker`] (its dockerd, reached through a [`DockerConnector`]), so
//! that fakes can stand in for both in its tests.
//!
//! Segments are unprivileged: each runs in a user namespace that maps its root to host id
//! 100000 (ids 0-65535 to 100000-165535), with a capability bounding set cut to what
//! nested Docker uses. The shared root filesystem reaches it through an idmapped mount
//! (unchanged on disk); the segment's own directories belong to the mapped ids.
//!
//! Limits from the flavor: memory and CPU through the domain (libvirt's cgroups), a
//! process limit (`pids.max`, see `pids.rs`) and a disk quota (`/var/lib/docker` is a
//! loop-mounted sparse ext4 image, see `disk.rs`), all in place before the domain starts.
//! On the bridge, each segment may send only IPv4 and ARP from its own MAC and address
//! (`link_filter.rs`), and reach only its cluster's peers (`isolation.rs`).
//!
//! dockerd gets the segment's own cgroups (a cgroup namespace, see [`init_script`]), so
//! the segment's memory and CPU limits apply to its containers too, and `docker stats`
//! works. Its log is `<segment>/run/dockerd.log` on the host.
//!
//! Tests (`cargo test -p segments`) need root and run against the real libvirt LXC and
//! dockerd: they call `scripts/host-setup.sh` themselves with the test bridge `carinat0`
//! (10.214.0.1/24; override with `CARINA_TEST_BRIDGE`/`CARINA_TEST_BRIDGE_ADDR`), use a
//! state dir of their own below the shared root and remove everything on drop
//! (`CARINA_TEST_KEEP=1` keeps it for debugging).
//!
//! Host layout of one instance (`HostConfig::state_dir`, below the machine-wide shared
//! mount root): `<state_dir>/<name>/{upper,work,root,lower-idmapped,docker,run}` and
//! `docker.img`.

#![warn(unreachable_pub)]

mod apparmor;
mod config;
mod connection;
mod disk;
mod dockerd;
mod domain_xml;
mod driver;
mod engine;
mod error;
mod files;
mod freezer;
mod identity;
mod infra;
mod isolation;
mod kernel;
mod layout;
mod libvirt;
mod link_filter;
mod mounts;
mod pids;
mod segment_docker;
mod spec;
mod swarm;
mod userns;

pub use apparmor::{
    apparmor_enforced, check_compiles as check_apparmor_profile, profile as apparmor_profile,
    profile_name as apparmor_profile_name,
};
pub use config::{docker_over_tls, is_local_uri, parse_cidr, HostConfig, LXC_SYSTEM_URI};
pub use connection::check_reachable;
pub use disk::MIN_DISK_MIB;
pub use dockerd::{dockerd_args, init_script, DOCKERD_TLS_PORT};
pub use domain_xml::domain_xml;
pub use driver::{SegmentDriver, SegmentUsage};
pub use engine::{EngineError, RunOutput, SegmentEngine, BASE_IMAGE_REF};
pub use error::SegmentError;
pub use infra::{swarm_manager_cmd, CLUSTER_LABEL, INFRA_LABEL, SWARM_DATA, SWARM_MANAGER};
pub use isolation::{chain_name, veth_name};
pub use kernel::kernel_has_ipvs;
pub use layout::SegmentLayout;
pub use libvirt::LibvirtSegments;
pub use link_filter::{chain_of as link_chain, mac_address, SEGMENTS_CHAIN, TABLE as LINK_FILTER_TABLE};
pub use mounts::{parse_mountinfo, MountEntry};
pub use pids::{cgroup_dir as pids_cgroup_dir, containers_share as containers_pids_share, MIN_PIDS};
pub use segment_docker::{BollardDocker, DockerConnector, SegmentDocker};
pub use spec::{validate_name, SegmentSpec, SegmentState, SegmentTls};
pub use swarm::{JoinTokens, LocalSwarm, NodeRole, SwarmNode, SWARM_PORT};

/// The bollard version this crate speaks, for callers that need more of the Docker API.
pub use bollard;
/// How the control plane reaches a segment's dockerd.
pub use dockerlink::{ControlIdentity, DockerAddress};
