//! The public face: open, close and revoke cluster endpoints.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::cluster::Cluster;
use crate::config::EndpointConfig;
use crate::directory::ClusterDirectory;
use crate::error::GatewayError;
use crate::limits::{ClusterLimits, EndpointLimits};
use crate::transport::listener::{self, EndpointShared};
use crate::transport::tls::{self, Revocations};

struct Endpoint {
    bind: SocketAddr,
    local: SocketAddr,
    ca_pem: String,
    shared: Arc<EndpointShared>,
    task: JoinHandle<()>,
}

/// What an operator sets for every cluster endpoint of a gateway.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// The policy beyond its fixed rules (e.g. extra log drivers).
    pub policy: policy::Policy,
    /// Connections and streams each cluster, and each client certificate, may hold.
    pub limits: EndpointLimits,
    /// Whether the segments' kernel has IPVS, which Swarm's service virtual IPs and
    /// ingress routing mesh need. Without it, services default to DNS round-robin
    /// endpoints and host-mode published ports.
    pub ipvs: bool,
}

impl Default for GatewayOptions {
    /// The fixed policy, the default bounds, and IPVS assumed (the server says otherwise
    /// where the kernel has none).
    fn default() -> Self {
        Self { policy: policy::Policy::default(), limits: EndpointLimits::default(), ipvs: true }
    }
}

/// Serves the cluster endpoints: one mTLS listener per cluster, each with its own CA,
/// in front of that cluster's segments.
pub struct Gateway {
    directory: Arc<dyn ClusterDirectory>,
    options: Arc<GatewayOptions>,
    endpoints: Mutex<HashMap<String, Endpoint>>,
    /// Serialises open/close so that two opens of one cluster cannot both bind.
    opening: tokio::sync::Mutex<()>,
}

impl Gateway {
    /// A gateway that learns segments from `directory` and audits refusals there.
    pub fn new(directory: Arc<dyn ClusterDirectory>) -> Self {
        Self::with_options(directory, GatewayOptions::default())
    }

    /// A gateway with the operator's policy settings and endpoint bounds.
    pub fn with_options(directory: Arc<dyn ClusterDirectory>, options: GatewayOptions) -> Self {
        Self {
            directory,
            options: Arc::new(options),
            endpoints: Mutex::default(),
            opening: tokio::sync::Mutex::new(()),
        }
    }

    fn endpoints(&self) -> std::sync::MutexGuard<'_, HashMap<String, Endpoint>> {
        self.endpoints.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Binds and serves one cluster's endpoint. Idempotent: opening an open cluster again
    /// updates its TLS material, name and revocations and keeps listening (a changed bind
    /// address rebinds). Revocations only grow: a fingerprint revoked once stays revoked.
    pub async fn open(&self, cfg: EndpointConfig) -> Result<(), GatewayError> {
        let _serial = self.opening.lock().await;
        let existing = {
            let endpoints = self.endpoints();
            endpoints.get(&cfg.cluster_id).map(|e| (e.bind, e.shared.clone(), e.ca_pem.clone()))
        };
        if let Some((bind, shared, ca_pem)) = existing {
            if bind == cfg.bind {
                let config =
                    tls::server_config(&cfg.ca_pem, &cfg.server_cert_pem, &cfg.server_key_pem, shared.revoked.clone())?;
                shared.set_acceptor(TlsAcceptor::from(config));
                if let Ok(mut n) = shared.cluster.name.write() {
                    n.clone_from(&cfg.cluster_name);
                }
                if let Ok(mut t) = shared.cluster.token.write() {
                    t.clone_from(&cfg.token);
                }
                for fp in &cfg.revoked_fingerprints {
                    shared.revoke(fp);
                }
                if ca_pem != cfg.ca_pem {
                    // Connections authenticated by the old CA must not outlive it.
                    shared.cut_all();
                    if let Some(e) = self.endpoints().get_mut(&cfg.cluster_id) {
                        e.ca_pem.clone_from(&cfg.ca_pem);
                    }
                }
                return Ok(());
            }
            self.close_locked(&cfg.cluster_id).await;
        }

        let revoked = Arc::new(Revocations::default());
        for fp in &cfg.revoked_fingerprints {
            revoked.insert(fp);
        }
        let config = tls::server_config(&cfg.ca_pem, &cfg.server_cert_pem, &cfg.server_key_pem, revoked.clone())?;
        let listener =
            TcpListener::bind(cfg.bind).await.map_err(|source| GatewayError::Bind { addr: cfg.bind, source })?;
        let local = listener.local_addr().unwrap_or(cfg.bind);
        let cluster = Arc::new(Cluster::new(
            cfg.cluster_id.clone(),
            cfg.cluster_name.clone(),
            cfg.token.clone(),
            self.options.clone(),
            self.directory.clone(),
        ));
        let limits = ClusterLimits::new(self.options.limits);
        let shared = Arc::new(EndpointShared::new(
            cluster,
            |conn, req| Box::pin(crate::entry::handle(conn, req)),
            revoked,
            TlsAcceptor::from(config),
            limits,
        ));
        let task = tokio::spawn(listener::serve(listener, shared.clone()));
        tracing::info!(cluster = %cfg.cluster_id, %local, "cluster endpoint open");
        self.endpoints()
            .insert(cfg.cluster_id.clone(), Endpoint { bind: cfg.bind, local, ca_pem: cfg.ca_pem, shared, task });
        Ok(())
    }

    /// Stops listening and drops every connection of the cluster, hijacked streams included.
    /// When it returns, the port is free again.
    pub async fn close(&self, cluster_id: &str) {
        let _serial = self.opening.lock().await;
        self.close_locked(cluster_id).await;
    }

    async fn close_locked(&self, cluster_id: &str) {
        let endpoint = self.endpoints().remove(cluster_id);
        if let Some(endpoint) = endpoint {
            endpoint.shared.cancel.cancel();
            let _ = endpoint.task.await;
            tracing::info!(cluster = %cluster_id, "cluster endpoint closed");
        }
    }

    /// Revokes a client certificate (lowercase hex SHA-256 of its DER) at once: new
    /// handshakes are refused and open connections using it, hijacked streams included,
    /// are cut.
    pub fn revoke(&self, cluster_id: &str, fingerprint: &str) {
        let shared = self.endpoints().get(cluster_id).map(|e| e.shared.clone());
        match shared {
            Some(shared) => shared.revoke(fingerprint),
            None => {
                tracing::debug!(cluster = %cluster_id, "revoke for a cluster without an open endpoint")
            }
        }
    }

    /// The address an open endpoint listens on (useful after binding port 0).
    pub fn local_addr(&self, cluster_id: &str) -> Option<SocketAddr> {
        self.endpoints().get(cluster_id).map(|e| e.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{DirectoryError, EndpointEvent, SegmentEndpoint};

    struct Nobody;

    #[async_trait::async_trait]
    impl ClusterDirectory for Nobody {
        async fn segments(&self, _: &str) -> Result<Vec<SegmentEndpoint>, DirectoryError> {
            Err(DirectoryError::NotFound)
        }
        async fn record_event(&self, _: &str, _: EndpointEvent) {}
    }

    fn send<T: Send>(_: &T) {}

    /// An endpoint of cluster "c" on a free port, with `ca_pem` and no certificate.
    fn config_with_ca(ca_pem: &str) -> EndpointConfig {
        EndpointConfig {
            cluster_id: "c".into(),
            cluster_name: "c".into(),
            token: "token://c".into(),
            bind: "127.0.0.1:0".parse().unwrap(),
            ca_pem: ca_pem.into(),
            server_cert_pem: String::new(),
            server_key_pem: String::new(),
            revoked_fingerprints: Vec::new(),
        }
    }

    #[test]
    fn usable_from_any_task() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Gateway>();
        let gateway = Gateway::new(Arc::new(Nobody));
        send(&gateway.open(config_with_ca("")));
        send(&gateway.close("c"));
    }

    #[tokio::test]
    async fn bad_tls_material_is_an_error() {
        let gateway = Gateway::new(Arc::new(Nobody));
        let cfg = config_with_ca("not a pem");
        assert!(matches!(gateway.open(cfg).await, Err(GatewayError::Tls(_))));
        assert!(gateway.local_addr("c").is_none());
    }
}
