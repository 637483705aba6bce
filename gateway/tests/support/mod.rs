//! Test harness: real dockerds standing in for segments, a throwaway PKI and the real
//! docker CLIs (from `testkit`), and a directory of one cluster.

use std::net::Ipv4Addr;
use std::sync::Arc;

use gateway::{SegmentEndpoint, StaticDirectory};
pub use testkit::cli::{CliEnv, CLI_NEW, CLI_OLD};
pub use testkit::dockerd::{self, busybox_tar};
pub use testkit::tls::{Leaf, TestCa as Ca};

/// The cluster id the harness uses; segments are `<id>-n1`...
pub const CLUSTER_ID: &str = "6d1c1a2e-5e0d-4b8a-9c1f-00000000c1a5";

/// A directory of the harness's cluster whose segments are the dockerds.
pub fn directory_for(d: &testkit::dockerd::Dockerds) -> Arc<StaticDirectory> {
    let segments = d
        .daemons
        .iter()
        .enumerate()
        .map(|(i, daemon)| SegmentEndpoint {
            name: format!("{CLUSTER_ID}-n{}", i + 1),
            address: Ipv4Addr::new(127, 0, 0, 11 + i as u8),
            dockerd: dockerlink::DockerAddress::Unix(daemon.socket.clone()),
            docker_root: Some(daemon.data_root.clone()),
            tls_port: 42376,
        })
        .collect();
    Arc::new(StaticDirectory::new(CLUSTER_ID, segments))
}
