//! What the host's kernel offers the segments (they share it).

/// Whether the kernel has IPVS, which Swarm's service virtual IPs and its ingress routing
/// mesh need. Without it (no `CONFIG_IP_VS`, and no modules to load), a service name
/// resolving to its virtual IP answers "No route to host".
pub fn kernel_has_ipvs() -> bool {
    std::path::Path::new("/proc/net/ip_vs").exists()
}
