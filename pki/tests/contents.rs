//! What the certificates contain: names, usages, constraints, serials, fingerprints, dates.

mod common;

use std::net::IpAddr;

use common::der;
use pki::{fingerprint_of_der, fingerprint_of_pem, issue_client_cert, issue_server_cert, new_cluster_ca, PkiError};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

fn parse(der: &[u8]) -> X509Certificate<'_> {
    X509Certificate::from_der(der).expect("X.509").1
}

fn cn(cert: &X509Certificate<'_>) -> String {
    cert.subject().iter_common_name().next().unwrap().as_str().unwrap().to_string()
}

#[test]
fn ca_is_a_p256_pathlen0_ca_for_signing_only() {
    let ca = new_cluster_ca("8f1c", "web").unwrap();
    let der = der(&ca.cert_pem);
    let cert = parse(&der);
    assert_eq!(cn(&cert), "carina cluster web CA");
    assert_eq!(cert.subject(), cert.issuer());
    assert!(cert.subject().to_string().contains("OU=8f1c"));
    let bc = cert.basic_constraints().unwrap().unwrap().value;
    assert!(bc.ca);
    assert_eq!(bc.path_len_constraint, Some(0));
    let ku = cert.key_usage().unwrap().unwrap().value;
    assert!(ku.key_cert_sign() && ku.crl_sign());
    assert!(!ku.digital_signature());
    assert!(cert.extended_key_usage().unwrap().is_none());
    // ecdsa-with-SHA256, id-ecPublicKey on prime256v1.
    assert_eq!(cert.signature_algorithm.algorithm.to_id_string(), "1.2.840.10045.4.3.2");
    let spki = &cert.public_key().algorithm;
    assert_eq!(spki.algorithm.to_id_string(), "1.2.840.10045.2.1");
    let curve = spki.parameters.as_ref().unwrap().as_oid().unwrap();
    assert_eq!(curve.to_id_string(), "1.2.840.10045.3.1.7");
    let years = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp()) / (365 * 86400);
    assert_eq!(years, 10);
    assert!(ca.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(!format!("{ca:?}").contains("PRIVATE KEY"));
}

#[test]
fn server_cert_has_server_auth_only_and_exactly_the_given_sans() {
    let ca = new_cluster_ca("8f1c", "web").unwrap();
    let ips: Vec<IpAddr> = vec!["192.168.122.10".parse().unwrap()];
    let dns = vec!["endpoint.example".to_string(), "localhost".to_string()];
    let issued = issue_server_cert(&ca, "web endpoint", &ips, &dns).unwrap();
    let der = der(&issued.cert_pem);
    let cert = parse(&der);

    assert_eq!(cn(&cert), "web endpoint");
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.server_auth && !eku.client_auth && !eku.any && eku.other.is_empty());
    let sans: Vec<String> = cert
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(|n| match n {
            GeneralName::DNSName(d) => format!("dns:{d}"),
            GeneralName::IPAddress(b) => format!("ip:{b:?}"),
            other => format!("other:{other:?}"),
        })
        .collect();
    assert_eq!(
        sans,
        vec!["dns:endpoint.example".to_string(), "dns:localhost".to_string(), "ip:[192, 168, 122, 10]".to_string(),]
    );
    assert!(!cert.is_ca());
    assert!(cert.basic_constraints().unwrap().is_some(), "explicit CA:FALSE");
    assert!(cert.key_usage().unwrap().unwrap().value.digital_signature());
    assert_eq!(cert.issuer(), parse(&common::der(&ca.cert_pem)).subject());
}

#[test]
fn client_cert_has_client_auth_only_and_no_sans() {
    let ca = new_cluster_ca("8f1c", "web").unwrap();
    let issued = issue_client_cert(&ca, "bundle 2024-05 laptop").unwrap();
    let der = der(&issued.cert_pem);
    let cert = parse(&der);
    assert_eq!(cn(&cert), "bundle 2024-05 laptop");
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth && !eku.any && eku.other.is_empty());
    assert!(cert.subject_alternative_name().unwrap().is_none());
    assert!(!cert.is_ca());
}

#[test]
fn serials_fingerprints_and_dates_match_the_certificate() {
    let ca = new_cluster_ca("8f1c", "web").unwrap();
    let ca_not_after = parse(&der(&ca.cert_pem)).validity().not_after.timestamp();
    let a = issue_client_cert(&ca, "a").unwrap();
    let b = issue_client_cert(&ca, "a").unwrap();
    assert_ne!(a.serial_hex, b.serial_hex);
    assert_ne!(a.fingerprint, b.fingerprint);
    assert_ne!(a.key_pem, b.key_pem);

    for issued in [&a, &b] {
        let der = der(&issued.cert_pem);
        let cert = parse(&der);
        let raw = cert.raw_serial();
        let value = &raw[raw.iter().position(|b| *b != 0).unwrap()..];
        let hex = hex::encode(value);
        assert_eq!(issued.serial_hex, hex.trim_start_matches('0'));
        assert!(raw.len() <= 17 && raw[0] & 0x80 == 0, "positive, at most 128 bits");
        assert_eq!(issued.not_after, cert.validity().not_after.timestamp());
        assert!(issued.not_after <= ca_not_after, "a leaf never outlives its CA");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!(cert.validity().not_before.timestamp() < now);
        assert!(issued.not_after > now + 4 * 365 * 86400);

        assert_eq!(issued.fingerprint.len(), 64);
        assert!(issued.fingerprint.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        assert_eq!(issued.fingerprint, fingerprint_of_der(&der));
        assert_eq!(issued.fingerprint, fingerprint_of_pem(&issued.cert_pem).unwrap());
        // Stable: the same PEM always yields the same fingerprint.
        assert_eq!(fingerprint_of_pem(&issued.cert_pem).unwrap(), fingerprint_of_pem(&issued.cert_pem).unwrap());
        assert!(!format!("{issued:?}").contains("PRIVATE KEY"));
    }
    assert_eq!(ca.fingerprint().unwrap(), fingerprint_of_pem(&ca.cert_pem).unwrap());
}

#[test]
fn bad_inputs_are_refused() {
    let ca = new_cluster_ca("c-1", "alpha").unwrap();
    let other = new_cluster_ca("c-2", "beta").unwrap();
    assert!(matches!(issue_server_cert(&ca, "x", &[], &[]), Err(PkiError::NoSubjectAltNames)));
    assert!(matches!(issue_server_cert(&ca, "x", &[], &["bad name".to_string()]), Err(PkiError::InvalidName { .. })));
    assert!(matches!(issue_client_cert(&ca, ""), Err(PkiError::InvalidName { .. })));
    assert!(matches!(new_cluster_ca("", "alpha"), Err(PkiError::InvalidName { .. })));
    // A key stored with the wrong cluster's certificate.
    let mixed = pki::ClusterCa { cert_pem: ca.cert_pem.clone(), key_pem: other.key_pem.clone() };
    assert!(matches!(issue_client_cert(&mixed, "x"), Err(PkiError::BadCa(_))));
    // A leaf certificate is not a CA, even with its own key.
    let leaf = issue_client_cert(&ca, "x").unwrap();
    let fake = pki::ClusterCa { cert_pem: leaf.cert_pem, key_pem: leaf.key_pem };
    assert!(matches!(issue_client_cert(&fake, "y"), Err(PkiError::BadCa(_))));
}
