//! Dev-only helpers shared by the crates' tests (never a dependency of the product):
//! - [`host`]: `scripts/host-setup.sh` for a test bridge, once per test binary;
//! - [`dockerd`]: real, throwaway dockerds standing in for segments;
//! - [`tls`]: test certificates made with the `pki` crate the product uses;
//! - [`cli`]: the two docker CLIs, run against an endpoint;
//! - [`database`]: the database tests store in, SQLite or a fresh PostgreSQL one;
//! - [`free_port`] and [`segment_pids`].

pub mod cli;
pub mod database;
pub mod dockerd;
pub mod host;
pub mod tls;

use std::net::TcpListener;

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Host pids of the processes named `comm` inside segment `name` (found by the libvirt
/// LXC cgroup that names the segment), not counting a fork of one of them that has not
/// started its own program yet.
pub fn segment_pids(name: &str, comm: &str) -> Vec<u32> {
    let marker = format!("-{name}.libvirt-lxc");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            comm_of(*pid).as_deref() == Some(comm)
                && std::fs::read_to_string(format!("/proc/{pid}/cgroup")).map(|c| c.contains(&marker)).unwrap_or(false)
                // A child forked to run another program carries its parent's name until
                // its exec: dockerd does that for every runc or iptables it runs.
                && parent_of(*pid).and_then(comm_of).as_deref() != Some(comm)
        })
        .collect()
}

fn comm_of(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).ok().map(|c| c.trim().to_owned())
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}
