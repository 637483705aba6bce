//! Server and client certificates signed by a cluster CA.

use std::net::IpAddr;

use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType, PKCS_ECDSA_P256_SHA256,
};
use serde::{Deserialize, Serialize};

use crate::fingerprint::fingerprint_of_der;
use crate::names::{check_dns_name, check_text};
use crate::serial::random_serial;
use crate::validity::{window, LEAF_VALIDITY};
use crate::{ClusterCa, PkiError};

/// A freshly issued leaf certificate with its private key.
///
/// `Debug` leaves the key out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PKCS#8 PEM (ECDSA P-256).
    pub key_pem: String,
    /// The serial number as lowercase hex without leading zeros or separators.
    pub serial_hex: String,
    /// Lowercase hex SHA-256 of the certificate's DER bytes (see [`crate::fingerprint_of_der`]).
    pub fingerprint: String,
    /// The certificate's `notAfter`, in Unix seconds.
    pub not_after: i64,
}

impl std::fmt::Debug for IssuedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCert")
            .field("serial_hex", &self.serial_hex)
            .field("fingerprint", &self.fingerprint)
            .field("not_after", &self.not_after)
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Issues a server certificate (extended key usage `serverAuth` only) for a segment's
/// dockerd or for the cluster endpoint.
///
/// The subject alternative names are exactly `ips` and `dns_names`; at least one is needed,
/// because Go checks the server's identity against them and ignores the common name.
pub fn issue_server_cert(
    ca: &ClusterCa,
    common_name: &str,
    ips: &[IpAddr],
    dns_names: &[String],
) -> Result<IssuedCert, PkiError> {
    if ips.is_empty() && dns_names.is_empty() {
        return Err(PkiError::NoSubjectAltNames);
    }
    let mut sans = Vec::with_capacity(ips.len() + dns_names.len());
    for name in dns_names {
        check_dns_name(name)?;
        sans.push(SanType::DnsName(name.as_str().try_into()?));
    }
    sans.extend(ips.iter().copied().map(SanType::IpAddress));
    issue(ca, common_name, ExtendedKeyUsagePurpose::ServerAuth, sans)
}

/// Issues a client certificate (extended key usage `clientAuth` only) for one credentials
/// bundle; `common_name` is the bundle's label.
pub fn issue_client_cert(ca: &ClusterCa, common_name: &str) -> Result<IssuedCert, PkiError> {
    issue(ca, common_name, ExtendedKeyUsagePurpose::ClientAuth, Vec::new())
}

/// Signs a leaf with exactly one extended key usage: the usages must not mix, or the
/// tenant-readable server key of a segment would also open the cluster endpoint.
fn issue(
    ca: &ClusterCa,
    common_name: &str,
    usage: ExtendedKeyUsagePurpose,
    sans: Vec<SanType>,
) -> Result<IssuedCert, PkiError> {
    check_text("common name", common_name)?;
    let (issuer, ca_not_after) = ca.issuer()?;

    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.subject_alt_names = sans;
    params.is_ca = IsCa::ExplicitNoCa;
    // ECDHE-ECDSA needs signatures only; no keyAgreement or keyEncipherment.
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    let (serial, serial_hex) = random_serial();
    params.serial_number = Some(serial);
    (params.not_before, params.not_after) = window(LEAF_VALIDITY, Some(ca_not_after));

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let cert = params.signed_by(&key, &issuer)?;
    Ok(IssuedCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        serial_hex,
        fingerprint: fingerprint_of_der(cert.der()),
        not_after: params.not_after.unix_timestamp(),
    })
}
