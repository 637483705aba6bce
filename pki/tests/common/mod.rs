//! Helpers shared by the integration tests: DER decoding and a real webpki path check.
// Every test binary compiles this module but uses only some of the helpers.
#![allow(dead_code)]

use pki::{ClusterCa, IssuedCert};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

/// DER bytes of the first certificate in PEM text.
pub fn der(pem: &str) -> Vec<u8> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("PEM");
    assert_eq!(pem.label, "CERTIFICATE");
    pem.contents
}

/// Runs webpki's chain validation (what rustls does) of `leaf` against `ca` for `usage`.
pub fn verify(ca: &ClusterCa, leaf: &IssuedCert, usage: KeyUsage) -> Result<(), webpki::Error> {
    let ca_der = CertificateDer::from(der(&ca.cert_pem));
    let anchor = webpki::anchor_from_trusted_cert(&ca_der)?;
    let leaf_der = CertificateDer::from(der(&leaf.cert_pem));
    let ee = EndEntityCert::try_from(&leaf_der)?;
    ee.verify_for_usage(webpki::ALL_VERIFICATION_ALGS, &[anchor], &[], UnixTime::now(), usage, None, None).map(|_| ())
}

/// Whether webpki accepts `leaf` as a server certificate for `name` (a DNS name or an IP).
pub fn valid_for_name(leaf: &IssuedCert, name: &str) -> bool {
    let leaf_der = CertificateDer::from(der(&leaf.cert_pem));
    let ee = EndEntityCert::try_from(&leaf_der).expect("parses");
    let name = ServerName::try_from(name.to_string()).expect("server name");
    ee.verify_is_valid_for_subject_name(&name).is_ok()
}
