//! Certificate fingerprints, the key by which the cluster endpoint recognises (and revokes)
//! client certificates.

use sha2::{Digest, Sha256};
use x509_parser::pem::parse_x509_pem;

use crate::PkiError;

/// Lowercase hex SHA-256 of a certificate's DER bytes, without separators (64 characters).
///
/// This is what the cluster endpoint computes from the certificate a TLS peer presents.
pub fn fingerprint_of_der(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// The fingerprint (as [`fingerprint_of_der`]) of the first certificate in PEM text.
pub fn fingerprint_of_pem(cert_pem: &str) -> Result<String, PkiError> {
    Ok(fingerprint_of_der(&pem_certificate_der(cert_pem)?))
}

/// The DER bytes of the first `CERTIFICATE` block in PEM text, checked to parse as X.509.
pub(crate) fn pem_certificate_der(cert_pem: &str) -> Result<Vec<u8>, PkiError> {
    let (_, pem) = parse_x509_pem(cert_pem.as_bytes()).map_err(|e| PkiError::BadCertificate(e.to_string()))?;
    if pem.label != "CERTIFICATE" {
        return Err(PkiError::BadCertificate(format!("PEM block is {:?}, not CERTIFICATE", pem.label)));
    }
    pem.parse_x509().map_err(|e| PkiError::BadCertificate(e.to_string()))?;
    Ok(pem.contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_a_certificate() {
        assert!(fingerprint_of_pem("").is_err());
        assert!(fingerprint_of_pem("hello").is_err());
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(matches!(fingerprint_of_pem(key), Err(PkiError::BadCertificate(_))));
    }

    #[test]
    fn der_fingerprint_is_lowercase_sha256_hex() {
        // SHA-256 of the empty string, a well-known value.
        assert_eq!(fingerprint_of_der(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
