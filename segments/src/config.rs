//! Machine-level settings of one instance of the service.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use crate::SegmentError;

/// The libvirt URI of the real LXC driver.
pub const LXC_SYSTEM_URI: &str = "lxc:///system";

/// Machine-level settings for one instance of the service.
///
/// Several instances (the panel, test runs) may share one machine: each has its own
/// `state_dir` and usually its own bridge, and all share the root filesystem and image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// This instance's segment directories live under here. It must lie below the
    /// machine-wide shared mount root that `scripts/host-setup.sh` prepares, so that the
    /// overlays mounted here reach libvirtd's mount namespace.
    pub state_dir: PathBuf,
    /// The shared, read-only lower layer of every segment's root (a debootstrapped Debian).
    pub rootfs: PathBuf,
    /// The base image tarball (`docker load` format) every segment loads.
    pub base_image_tar: PathBuf,
    /// The host bridge segments attach to.
    pub bridge: String,
    /// The bridge's address on the host: the segments' default gateway.
    pub gateway: Ipv4Addr,
    /// Prefix length of the segments' subnet.
    pub prefix_len: u8,
    /// The libvirt connection URI, normally [`LXC_SYSTEM_URI`].
    pub libvirt_uri: String,
    /// Whether the control plane reaches segments' dockerds over TLS (as it must on a host
    /// reached over the network) rather than through their unix sockets on this machine.
    pub docker_over_tls: bool,
}

impl HostConfig {
    /// Reads the same variables, with the same defaults, as `scripts/host-setup.sh`:
    /// `CARINA_SEGMENTS_ROOT` (`/var/lib/carina-segments`), `CARINA_INSTANCE` (`default`,
    /// the state dir is `$CARINA_SEGMENTS_ROOT/$CARINA_INSTANCE`), `CARINA_DATA_DIR`
    /// (`/var/lib/carina`), `CARINA_IMAGE_DIR` (`$CARINA_DATA_DIR/images`), `CARINA_BRIDGE`
    /// (`carina0`), `CARINA_BRIDGE_ADDR` (`10.213.0.1/24`) and `CARINA_LIBVIRT_URI`; also
    /// `CARINA_DOCKER_TRANSPORT`: `unix` (the default for a local libvirt URI) or `tls`
    /// (the default, and the only choice, for a libvirt reached over the network).
    pub fn from_env() -> Result<Self, SegmentError> {
        let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        let data_dir = var("CARINA_DATA_DIR", "/var/lib/carina");
        let image_dir = PathBuf::from(var("CARINA_IMAGE_DIR", &format!("{data_dir}/images")));
        let segments_root = PathBuf::from(var("CARINA_SEGMENTS_ROOT", "/var/lib/carina-segments"));
        let instance = var("CARINA_INSTANCE", "default");
        let (gateway, prefix_len) = parse_cidr(&var("CARINA_BRIDGE_ADDR", "10.213.0.1/24"))?;
        let libvirt_uri = var("CARINA_LIBVIRT_URI", LXC_SYSTEM_URI);
        let docker_over_tls = docker_over_tls(&libvirt_uri, std::env::var("CARINA_DOCKER_TRANSPORT").ok().as_deref())?;
        Ok(HostConfig {
            state_dir: segments_root.join(instance),
            rootfs: image_dir.join("rootfs"),
            base_image_tar: image_dir.join("base-image.tar"),
            bridge: var("CARINA_BRIDGE", "carina0"),
            gateway,
            prefix_len,
            libvirt_uri,
            docker_over_tls,
        })
    }
}

/// Whether the control plane reaches the dockerds of the host at libvirt URI `uri` over
/// TLS, given the transport an operator asked for (`unix` or `tls`; none: TLS exactly
/// when the host is not this machine, where there are no sockets to reach).
pub fn docker_over_tls(uri: &str, wanted: Option<&str>) -> Result<bool, SegmentError> {
    match wanted {
        None => Ok(!is_local_uri(uri)),
        Some("tls") => Ok(true),
        Some("unix") if is_local_uri(uri) => Ok(false),
        Some(other) => Err(SegmentError::InvalidConfig(format!(
            "docker transport {other:?} for libvirt {uri}: use \"tls\", or \"unix\" for this machine's libvirt"
        ))),
    }
}

/// Whether a libvirt URI names this machine's libvirtd (no transport, no host name), so
/// that segments' files and sockets are on this machine.
pub fn is_local_uri(uri: &str) -> bool {
    match uri.split_once("://") {
        Some((scheme, rest)) => !scheme.contains('+') && rest.starts_with('/'),
        None => false,
    }
}

/// Parses `a.b.c.d/len` into the address and the prefix length.
pub fn parse_cidr(text: &str) -> Result<(Ipv4Addr, u8), SegmentError> {
    let bad = || SegmentError::InvalidConfig(format!("{text:?} is not an IPv4 address/prefix"));
    let (addr, len) = text.split_once('/').ok_or_else(bad)?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    if len > 32 {
        return Err(bad());
    }
    Ok((addr, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cidr() {
        assert_eq!(parse_cidr("10.214.0.1/24").unwrap(), (Ipv4Addr::new(10, 214, 0, 1), 24));
        assert!(parse_cidr("10.214.0.1").is_err());
        assert!(parse_cidr("10.214.0.1/33").is_err());
    }

    #[test]
    fn tells_local_libvirt_uris_from_network_ones() {
        assert!(is_local_uri("lxc:///system"));
        for remote in ["lxc+tcp://127.0.0.1/system", "lxc+tls://host2/system", "lxc://host2/system", "lxc"] {
            assert!(!is_local_uri(remote), "{remote}");
        }
    }

    #[test]
    fn segments_on_another_host_are_reached_over_tls_only() {
        assert!(!docker_over_tls("lxc:///system", None).unwrap());
        assert!(docker_over_tls("lxc:///system", Some("tls")).unwrap());
        assert!(docker_over_tls("lxc+tcp://127.0.0.1/system", None).unwrap());
        assert!(docker_over_tls("lxc+tcp://127.0.0.1/system", Some("unix")).is_err());
        assert!(docker_over_tls("lxc:///system", Some("ssh")).is_err());
    }
}
