//! One cluster endpoint's configuration.

use std::net::SocketAddr;

/// Everything needed to serve one cluster's endpoint.
#[derive(Clone)]
pub struct EndpointConfig {
    /// The cluster's id (a UUID).
    pub cluster_id: String,
    /// The cluster's name, shown as `Name` in `docker info`.
    pub cluster_name: String,
    /// The discovery token, `token://<cluster_id>`.
    pub token: String,
    /// Where this cluster's listener binds.
    pub bind: SocketAddr,
    /// The cluster's CA: client certificates must chain to it.
    pub ca_pem: String,
    /// The endpoint's server certificate (PEM; may include intermediates), issued by that CA.
    pub server_cert_pem: String,
    /// The server certificate's private key (PEM).
    pub server_key_pem: String,
    /// Revoked client certificates: lowercase hex SHA-256 of the certificate DER.
    pub revoked_fingerprints: Vec<String>,
}

impl std::fmt::Debug for EndpointConfig {
    // The private key must never end up in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("cluster_id", &self.cluster_id)
            .field("cluster_name", &self.cluster_name)
            .field("bind", &self.bind)
            .field("revoked_fingerprints", &self.revoked_fingerprints.len())
            .finish_non_exhaustive()
    }
}
