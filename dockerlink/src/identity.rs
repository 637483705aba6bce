//! The control plane's TLS client identity towards segments' dockerds.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// Why an identity could not be built from its PEM files.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// A PEM input held no certificate or key of the expected kind.
    #[error("the control plane's {what} is missing or not PEM")]
    Pem {
        /// Which input.
        what: &'static str,
    },
    /// rustls refused the material (a key that does not match its certificate, say).
    #[error("the control plane's TLS identity is unusable: {0}")]
    Tls(#[from] rustls::Error),
}

/// The control plane's client certificate and the one CA it trusts for servers (the
/// control-plane CA, which also issued the certificate). Cheap to clone.
#[derive(Clone)]
pub struct ControlIdentity {
    connector: TlsConnector,
    config: Arc<ClientConfig>,
}

impl ControlIdentity {
    /// Builds the identity from the control-plane CA's certificate and the client
    /// certificate and key it issued, all PEM.
    pub fn new(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Result<Self, IdentityError> {
        let mut roots = RootCertStore::empty();
        for ca in certificates(ca_pem, "CA certificate")? {
            roots.add(ca)?;
        }
        let chain = certificates(cert_pem, "client certificate")?;
        let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.as_bytes())
            .ok()
            .flatten()
            .ok_or(IdentityError::Pem { what: "client key" })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)?;
        let config = Arc::new(config);
        Ok(ControlIdentity { connector: TlsConnector::from(config.clone()), config })
    }

    /// What opens TLS connections with this identity.
    pub(crate) fn connector(&self) -> &TlsConnector {
        &self.connector
    }
}

fn certificates(pem: &str, what: &'static str) -> Result<Vec<CertificateDer<'static>>, IdentityError> {
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_bytes()).filter_map(Result::ok).collect();
    if certs.is_empty() {
        return Err(IdentityError::Pem { what });
    }
    Ok(certs)
}

impl PartialEq for ControlIdentity {
    /// The same identity: built once and cloned.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.config, &other.config)
    }
}

impl Eq for ControlIdentity {}

impl fmt::Debug for ControlIdentity {
    // The key never ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlIdentity").finish_non_exhaustive()
    }
}
