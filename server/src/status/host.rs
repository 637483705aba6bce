//! What the segments reserve of this host: their flavor's memory and vCPUs against the
//! host's memory and CPUs.

use provisioner::Flavor;
use serde::Serialize;

/// Reserved and total memory and CPUs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostCapacity {
    /// Segments on the host (clusters' and warm ones).
    pub segments: u64,
    /// Memory their flavor allows them, together, in MiB.
    pub reserved_memory_mib: u64,
    /// The host's memory, in MiB.
    pub host_memory_mib: u64,
    /// vCPUs their flavor gives them, together.
    pub reserved_vcpus: u64,
    /// The host's CPUs.
    pub host_cpus: u64,
}

impl HostCapacity {
    /// The capacity with `segments` segments of `flavor`, against this host.
    pub fn read(segments: u64, flavor: &Flavor) -> Self {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        HostCapacity {
            segments,
            reserved_memory_mib: segments * flavor.memory_mib,
            host_memory_mib: mem_total_kib(&meminfo) / 1024,
            reserved_vcpus: segments * u64::from(flavor.vcpus),
            host_cpus: std::thread::available_parallelism().map(|n| n.get() as u64).unwrap_or(1),
        }
    }
}

/// `MemTotal` of `/proc/meminfo`, in KiB (0 when missing).
fn mem_total_kib(meminfo: &str) -> u64 {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_host_memory() {
        assert_eq!(mem_total_kib("MemTotal:       24568740 kB\nMemFree: 1 kB\n"), 24_568_740);
        assert_eq!(mem_total_kib(""), 0);
        let flavor = Flavor { name: "x".into(), memory_mib: 1024, vcpus: 2, disk_mib: 1, pids_max: 1 };
        let capacity = HostCapacity::read(3, &flavor);
        assert_eq!((capacity.reserved_memory_mib, capacity.reserved_vcpus), (3072, 6));
        assert!(capacity.host_cpus >= 1);
    }
}
