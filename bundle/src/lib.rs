//! The credentials bundle a user downloads for a cluster: a zip holding one folder named
//! after the cluster, with the CA certificate, a client certificate and its key, and files
//! that point the docker CLI at the cluster from bash/zsh, fish, PowerShell and cmd.
//!
//! The layout follows Carina's, less `ca-key.pem`: the CA key never leaves the host.

#![warn(unreachable_pub)]
#![warn(missing_docs)]

mod readme;
mod scripts;
mod validate;
mod write;

pub use validate::check_cluster_name;
pub use write::build_zip;

/// What goes into a bundle. Every value is checked before use, so that none can break out
/// of the quoting in the shell files. `Debug` leaves the key out.
#[derive(Clone, Copy)]
pub struct BundleInput<'a> {
    /// The cluster's name: the folder inside the zip (see [`check_cluster_name`]).
    pub cluster_name: &'a str,
    /// The cluster endpoint, `tcp://host:port` (an IPv6 host in brackets).
    pub docker_host: &'a str,
    /// The cluster CA's certificate, PEM (`ca.pem`).
    pub ca_pem: &'a str,
    /// The bundle's client certificate, PEM (`cert.pem`).
    pub cert_pem: &'a str,
    /// The client certificate's private key, PEM (`key.pem`).
    pub key_pem: &'a str,
    /// The Docker version the cluster runs, e.g. `20.10.24` (`DOCKER_VERSION`, for dvm).
    pub docker_version: &'a str,
}

impl std::fmt::Debug for BundleInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleInput")
            .field("cluster_name", &self.cluster_name)
            .field("docker_host", &self.docker_host)
            .field("docker_version", &self.docker_version)
            .field("ca_pem", &self.ca_pem)
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Why a bundle could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// An input value is not acceptable; `field` names which.
    #[error("invalid {field} {value:?}: {reason}")]
    Invalid {
        /// The [`BundleInput`] field.
        field: &'static str,
        /// The rejected value (never a private key: those are reported as `"<key>"`).
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Writing the zip failed.
    #[error("writing the zip failed: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing into the in-memory buffer failed.
    #[error("writing the zip failed: {0}")]
    Io(#[from] std::io::Error),
}
