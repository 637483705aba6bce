//! Dev-only helpers shared by the crates' tests (never a dependency of the product):
//! - [`host`]: `scripts/host-setup.sh` for a test bridge, once per test binary;
//! - [`dockerd`]: real, throwaway dockerds standing in for segments;
//! - [`tls`]: test certificates made with the `pki` crate the product uses;
//! - [`cli`]: the two docker CLIs, run against an endpoint;
//! - [`free_port`] and [`segment_pids`].

pub mod cli;
pub mod dockerd;
pub mod host;
pub mod tls;

use std::net::TcpListener;

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Host pids of the processes named `comm` inside segment `name` (found by the libvirt
/// LXC cgroup that names the segment).
pub fn segment_pids(name: &str, comm: &str) -> Vec<u32> {
    let marker = format!("-{name}.libvirt-lxc");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|c| c.trim() == comm).unwrap_or(false)
                && std::fs::read_to_string(format!("/proc/{pid}/cgroup")).map(|c| c.contains(&marker)).unwrap_or(false)
        })
        .collect()
}
