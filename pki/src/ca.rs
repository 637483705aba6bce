//! The per-cluster certificate authority.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::fingerprint::{fingerprint_of_pem, pem_certificate_der};
use crate::names::check_text;
use crate::serial::random_serial;
use crate::validity::{window, CA_VALIDITY};
use crate::PkiError;

/// A cluster's own CA: it signs that cluster's server and client certificates and nothing
/// else, so a certificate of one cluster never verifies against another cluster's CA.
///
/// `key_pem` is a PKCS#8 ECDSA P-256 key; it never leaves the host (it is not part of the
/// credentials bundle). `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterCa {
    /// The self-signed CA certificate, PEM (what goes into the bundle as `ca.pem`).
    pub cert_pem: String,
    /// The CA's private key, PKCS#8 PEM.
    pub key_pem: String,
}

impl std::fmt::Debug for ClusterCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterCa").field("cert_pem", &self.cert_pem).field("key_pem", &"<redacted>").finish()
    }
}

impl ClusterCa {
    /// The CA certificate's fingerprint (see [`crate::fingerprint_of_der`]).
    pub fn fingerprint(&self) -> Result<String, PkiError> {
        fingerprint_of_pem(&self.cert_pem)
    }

    /// Loads the CA as an rcgen issuer, with its own `notAfter` (leaves must not outlive it).
    ///
    /// Checks that the key belongs to the certificate and that the certificate is a CA:
    /// a key mixed up between clusters would otherwise sign certificates that no client
    /// accepts, and fail only at the first TLS handshake.
    pub(crate) fn issuer(&self) -> Result<(Issuer<'static, KeyPair>, OffsetDateTime), PkiError> {
        let bad = |what: &str| PkiError::BadCa(what.to_string());
        let key = KeyPair::from_pem(&self.key_pem).map_err(|e| bad(&format!("key: {e}")))?;
        let der = pem_certificate_der(&self.cert_pem)?;
        let (_, cert) = X509Certificate::from_der(&der).map_err(|e| bad(&format!("certificate: {e}")))?;
        if !cert.is_ca() {
            return Err(bad("the certificate is not a CA"));
        }
        if cert.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
            return Err(bad("the key does not belong to the certificate"));
        }
        let not_after = cert.validity().not_after.to_datetime();
        // A leaf is capped at the CA's expiry, so an expired CA could only sign dead leaves.
        if not_after <= OffsetDateTime::now_utc() {
            return Err(bad("the CA has expired"));
        }
        let issuer =
            Issuer::from_ca_cert_der(&der.as_slice().into(), key).map_err(|e| bad(&format!("certificate: {e}")))?;
        Ok((issuer, not_after))
    }
}

/// Makes a new self-signed CA for one cluster.
///
/// Subject: `CN=carina cluster <cluster_name> CA, OU=<cluster_id>, O=Carina`; the id keeps
/// the subjects of two clusters with the same name apart. ECDSA P-256, valid for
/// [`crate::CA_VALIDITY`], basic constraints `CA:TRUE, pathlen:0` (it signs leaves only),
/// key usage `keyCertSign, cRLSign`.
pub fn new_cluster_ca(cluster_id: &str, cluster_name: &str) -> Result<ClusterCa, PkiError> {
    check_text("cluster id", cluster_id)?;
    check_text("cluster name", cluster_name)?;

    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, format!("carina cluster {cluster_name} CA"));
    params.distinguished_name.push(DnType::OrganizationalUnitName, cluster_id);
    params.distinguished_name.push(DnType::OrganizationName, "Carina");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.serial_number = Some(random_serial().0);
    (params.not_before, params.not_after) = window(CA_VALIDITY, None);

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let cert = params.self_signed(&key)?;
    Ok(ClusterCa { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
}
