//! TLS for one cluster endpoint: the cluster's server certificate, mandatory client
//! certificates chaining to the cluster's CA, and revocation by fingerprint.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::error::GatewayError;

/// Fingerprints of revoked client certificates, shared by the handshake verifier and
/// the per-request check.
#[derive(Debug, Default)]
pub(crate) struct Revocations(RwLock<HashSet<String>>);

impl Revocations {
    pub(crate) fn contains(&self, fingerprint: &str) -> bool {
        self.0.read().map(|set| set.contains(fingerprint)).unwrap_or(true)
    }
    pub(crate) fn insert(&self, fingerprint: &str) {
        if let Ok(mut set) = self.0.write() {
            set.insert(fingerprint.to_ascii_lowercase());
        }
    }
}

/// Lowercase hex SHA-256 of a certificate's DER: how certificates are named for revocation.
pub(crate) fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// Who is on the other end of a connection.
#[derive(Debug, Clone)]
pub(crate) struct ClientId {
    pub fingerprint: String,
    /// The CN, or the fingerprint's first 16 hex digits when the cert has none.
    pub label: String,
}

impl ClientId {
    pub(crate) fn from_cert(der: &[u8]) -> Self {
        let fingerprint = fingerprint(der);
        let cn = x509_parser::parse_x509_certificate(der).ok().and_then(|(_, cert)| {
            cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_owned)
        });
        let label = cn.unwrap_or_else(|| fingerprint[..16].to_owned());
        Self { fingerprint, label }
    }
}

/// WebPKI client verification plus two rules of ours: the certificate must carry the
/// clientAuth EKU explicitly (webpki accepts certificates without any EKU), and it must
/// not be revoked.
#[derive(Debug)]
struct ClusterClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    revoked: Arc<Revocations>,
}

impl ClientCertVerifier for ClusterClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        true
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self.inner.verify_client_cert(end_entity, intermediates, now)?;
        if !has_client_auth_eku(end_entity) {
            return Err(rustls::Error::InvalidCertificate(rustls::CertificateError::InvalidPurpose));
        }
        if self.revoked.contains(&fingerprint(end_entity)) {
            return Err(rustls::Error::InvalidCertificate(rustls::CertificateError::Revoked));
        }
        Ok(verified)
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn has_client_auth_eku(der: &[u8]) -> bool {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return false;
    };
    matches!(cert.extended_key_usage(), Ok(Some(eku)) if eku.value.client_auth)
}

fn parse_certs(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, GatewayError> {
    let certs = rustls_pemfile::certs(&mut pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| GatewayError::Tls(format!("{what}: {e}")))?;
    if certs.is_empty() {
        return Err(GatewayError::Tls(format!("{what}: no certificate")));
    }
    Ok(certs)
}

/// Builds the rustls server configuration of one cluster endpoint.
pub(crate) fn server_config(
    ca_pem: &str,
    cert_pem: &str,
    key_pem: &str,
    revoked: Arc<Revocations>,
) -> Result<Arc<ServerConfig>, GatewayError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for ca in parse_certs(ca_pem, "CA")? {
        roots.add(ca).map_err(|e| GatewayError::Tls(format!("CA: {e}")))?;
    }
    let inner = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| GatewayError::Tls(format!("client verifier: {e}")))?;
    let verifier = Arc::new(ClusterClientVerifier { inner, revoked });
    let chain = parse_certs(cert_pem, "server certificate")?;
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.as_bytes())
        .map_err(|e| GatewayError::Tls(format!("server key: {e}")))?
        .ok_or_else(|| GatewayError::Tls("server key: no private key".into()))?;
    // No ALPN: without it Go clients stay on HTTP/1.1, which hijacking needs.
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| GatewayError::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| GatewayError::Tls(format!("server certificate/key: {e}")))?;
    Ok(Arc::new(config))
}
