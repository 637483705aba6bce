//! How the domain drives cluster endpoints (the Docker API gateways users connect to)
//! without depending on their implementation.

use async_trait::async_trait;

use crate::error::Result;

/// Everything a cluster endpoint needs to serve one cluster.
#[derive(Clone)]
pub struct EndpointSpec {
    pub cluster_id: String,
    pub cluster_name: String,
    /// `token://<cluster id>`.
    pub token: String,
    /// The TCP port it listens on.
    pub port: u16,
    /// The cluster CA: client certificates must chain to it.
    pub ca_pem: String,
    /// Issued by the cluster CA for the public endpoint host.
    pub server_cert_pem: String,
    pub server_key_pem: String,
    /// Fingerprints (hex SHA-256 of the DER) of revoked client certificates.
    pub revoked_fingerprints: Vec<String>,
}

impl std::fmt::Debug for EndpointSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointSpec")
            .field("cluster_id", &self.cluster_id)
            .field("port", &self.port)
            .field("revoked", &self.revoked_fingerprints.len())
            .finish_non_exhaustive()
    }
}

/// Opens, closes and updates cluster endpoints.
#[async_trait]
pub trait Endpoints: Send + Sync + 'static {
    /// Starts serving a cluster (idempotent: an open endpoint gets the new spec).
    async fn open(&self, spec: EndpointSpec) -> Result<()>;
    /// Stops serving a cluster and drops its connections.
    async fn close(&self, cluster_id: &str);
    /// Refuses a client certificate from now on, cutting its open connections.
    fn revoke(&self, cluster_id: &str, fingerprint: &str);
    /// Whether a cluster's endpoint is serving.
    fn is_open(&self, cluster_id: &str) -> bool;
}

/// Endpoints that do nothing: for a provisioner without a gateway (tests of the domain).
#[derive(Debug, Default)]
pub struct NoEndpoints;

#[async_trait]
impl Endpoints for NoEndpoints {
    async fn open(&self, _spec: EndpointSpec) -> Result<()> {
        Ok(())
    }
    async fn close(&self, _cluster_id: &str) {}
    fn revoke(&self, _cluster_id: &str, _fingerprint: &str) {}
    fn is_open(&self, _cluster_id: &str) -> bool {
        false
    }
}
