//! What one segment should be.

use std::net::Ipv4Addr;

use crate::SegmentError;

/// The TLS material of one segment's dockerd, PEM encoded.
#[derive(Clone, PartialEq, Eq)]
pub struct SegmentTls {
    /// The cluster CA certificate (`/etc/docker/ca.pem`, what the server certificate
    /// chains to, as Carina's `swarm-data` showed it).
    pub ca_pem: String,
    /// The CA that client certificates on dockerd's TCP port must chain to: the
    /// control-plane CA, whose client certificate only the control plane holds. Not the
    /// cluster CA: tenants hold client certificates of that one, and dockerd itself has no
    /// policy, so a tenant reaching it directly (from a container, over the bridge) could
    /// start privileged containers.
    pub client_ca_pem: String,
    /// The segment's server certificate, as the cluster CA issued it (what `swarm-data`
    /// shows in `/etc/docker`, as on Carina).
    pub cert_pem: String,
    /// The segment's server private key, which tenants can read through `swarm-data`.
    pub key_pem: String,
    /// The certificate dockerd's TCP listener serves: issued by the control-plane CA for
    /// the segment's address, so that the control plane, which trusts that CA only, knows
    /// it reached this segment. Kept out of `/etc/docker`, where tenants look.
    pub listener_cert_pem: String,
    /// The listener certificate's private key.
    pub listener_key_pem: String,
}

impl std::fmt::Debug for SegmentTls {
    // Keys never end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentTls").finish_non_exhaustive()
    }
}

/// The desired shape of one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSpec {
    /// Domain name, host name and directory name: `<cluster_uuid>-n<i>`.
    pub name: String,
    /// The segment's address on the bridge.
    pub address: Ipv4Addr,
    /// Memory limit in MiB.
    pub memory_mib: u64,
    /// CPU limit, in whole CPUs.
    pub vcpus: u32,
    /// Size of the segment's `/var/lib/docker` file system in MiB: its disk quota (a
    /// sparse image, see the crate docs).
    pub disk_mib: u64,
    /// Most tasks (processes and threads) the segment may have at once (`pids.max`).
    pub pids_max: u64,
    /// dockerd's TLS material.
    pub tls: SegmentTls,
}

/// What the host has of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentState {
    /// No domain of that name (leftover directories may still exist).
    Absent,
    /// The domain runs (its dockerd is its init, so dockerd runs too).
    Running,
    /// The domain's processes are frozen (a warm segment waiting in the pool): they keep
    /// their memory but get no CPU, and dockerd answers nothing until
    /// [`crate::SegmentDriver::thaw`].
    Frozen,
    /// Defined but not running: dockerd died or was killed, the domain was destroyed, or
    /// the host rebooted. `ensure` starts it again.
    Stopped,
}

/// Longest segment name: a host name label may not be longer.
pub(crate) const MAX_NAME_LEN: usize = 63;

/// Checks that `name` is usable as a libvirt domain name, a host name and a directory name.
pub fn validate_name(name: &str) -> Result<(), SegmentError> {
    let invalid = |reason| SegmentError::InvalidName { name: name.to_owned(), reason };
    if name.is_empty() {
        return Err(invalid("empty"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(invalid("longer than 63 characters"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(invalid("only ASCII letters, digits and '-' are allowed"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(invalid("must not start or end with '-'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_cluster_segment_names() {
        validate_name("57d513b9-ed36-487d-8415-4ac65b6d41a8-n1").unwrap();
    }

    #[test]
    fn rejects_names_that_could_escape_a_directory() {
        for bad in ["", "..", "a/b", "a b", "-a", "a-", &"x".repeat(64)] {
            assert!(validate_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn tls_debug_hides_keys() {
        let tls = SegmentTls {
            ca_pem: "ca".into(),
            client_ca_pem: "lock".into(),
            cert_pem: "cert".into(),
            key_pem: "SECRET".into(),
            listener_cert_pem: "listener".into(),
            listener_key_pem: "HIDDEN".into(),
        };
        assert!(!format!("{tls:?}").contains("SECRET"));
        assert!(!format!("{tls:?}").contains("HIDDEN"));
    }
}
