//! Connects the domain to the cluster endpoints: the provisioner opens, closes and
//! revokes through [`GatewayEndpoints`]; the gateway learns segments and audits refusals
//! through [`Directory`].

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use gateway::{ClusterDirectory, DirectoryError, EndpointConfig, EndpointEvent, Gateway, SegmentEndpoint};
use provisioner::{EndpointSpec, Endpoints, Fleet, Storage};

/// The provisioner's handle on the gateway.
pub struct GatewayEndpoints {
    pub gateway: Gateway,
    /// The address every cluster endpoint listens on (each on its own port).
    pub bind: IpAddr,
}

#[async_trait]
impl Endpoints for GatewayEndpoints {
    async fn open(&self, spec: EndpointSpec) -> provisioner::Result<()> {
        let cluster_id = spec.cluster_id.clone();
        self.gateway
            .open(EndpointConfig {
                cluster_id: spec.cluster_id,
                cluster_name: spec.cluster_name,
                token: spec.token,
                bind: (self.bind, spec.port).into(),
                ca_pem: spec.ca_pem,
                server_cert_pem: spec.server_cert_pem,
                server_key_pem: spec.server_key_pem,
                revoked_fingerprints: spec.revoked_fingerprints,
            })
            .await
            .map_err(|e| provisioner::Error::Internal(format!("opening the endpoint of cluster {cluster_id}: {e}")))
    }

    async fn close(&self, cluster_id: &str) {
        self.gateway.close(cluster_id).await;
    }

    fn revoke(&self, cluster_id: &str, fingerprint: &str) {
        self.gateway.revoke(cluster_id, fingerprint);
    }

    fn is_open(&self, cluster_id: &str) -> bool {
        self.gateway.local_addr(cluster_id).is_some()
    }
}

/// What the gateway asks of the service: a cluster's segments, and where to audit.
pub struct Directory {
    pub storage: Storage,
    /// Every host's driver: a segment's dockerd is reached the way its host's is.
    pub fleet: Fleet,
    /// The control plane's identity towards dockerds over TLS, from the provisioner
    /// (which is made after the gateway, and set before any endpoint serves).
    pub identity: Arc<std::sync::OnceLock<segments::ControlIdentity>>,
}

#[async_trait]
impl ClusterDirectory for Directory {
    async fn segments(&self, cluster_id: &str) -> Result<Vec<SegmentEndpoint>, DirectoryError> {
        let rows =
            self.storage.segments_of(cluster_id).await.map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
        if rows.is_empty() && self.storage.cluster_by_id(cluster_id).await.ok().flatten().is_none() {
            return Err(DirectoryError::NotFound);
        }
        let identity =
            self.identity.get().ok_or_else(|| DirectoryError::Unavailable("the control plane is starting".into()))?;
        rows.into_iter()
            .map(|row| {
                let address = row
                    .address
                    .parse()
                    .map_err(|_| DirectoryError::Unavailable(format!("segment {} has no valid address", row.name)))?;
                let driver = self.fleet.on(&row.host).map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
                Ok(SegmentEndpoint {
                    // Only a segment reached through its socket has its directories here.
                    docker_root: driver.docker_root(row.domain()),
                    dockerd: driver.docker_address(row.domain(), address, identity),
                    name: row.name,
                    address,
                    tls_port: segments::DOCKERD_TLS_PORT,
                })
            })
            .collect()
    }

    async fn record_event(&self, cluster_id: &str, event: EndpointEvent) {
        let message = format!("Refused {} from {}: {}", event.request, event.client, event.message);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        // The actor is the credentials bundle the docker CLI authenticated with.
        let by = provisioner::storage::ActorColumns { actor: Some(format!("bundle {}", event.client)), address: None };
        let kind = provisioner::event::EventKind::Policy.as_str();
        if let Err(err) = self.storage.insert_event(cluster_id, kind, &message, &by, now).await {
            tracing::warn!(cluster = %cluster_id, error = %err, "could not record a policy event");
        }
    }
}
