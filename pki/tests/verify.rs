//! Server and client certificates verify against their own cluster's CA, for their own
//! usage only, with webpki (the verifier rustls uses).

mod common;

use std::net::IpAddr;

use common::{valid_for_name, verify};
use pki::{issue_client_cert, issue_server_cert, new_cluster_ca};
use webpki::KeyUsage;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn server_cert_is_a_server_cert_of_its_own_cluster_only() {
    let ca = new_cluster_ca("c-1", "alpha").unwrap();
    let other = new_cluster_ca("c-2", "beta").unwrap();
    let server = issue_server_cert(
        &ca,
        "alpha segment 1",
        &[ip("10.0.0.5"), ip("fd00::5")],
        &["seg-1.alpha.example".to_string()],
    )
    .unwrap();

    verify(&ca, &server, KeyUsage::server_auth()).expect("server usage verifies");
    let as_client = verify(&ca, &server, KeyUsage::client_auth()).unwrap_err();
    assert!(format!("{as_client:?}").contains("RequiredEkuNotFound"), "{as_client:?}");
    let foreign = verify(&other, &server, KeyUsage::server_auth()).unwrap_err();
    assert!(matches!(foreign, webpki::Error::UnknownIssuer), "{foreign:?}");

    assert!(valid_for_name(&server, "10.0.0.5"));
    assert!(valid_for_name(&server, "fd00::5"));
    assert!(valid_for_name(&server, "seg-1.alpha.example"));
    assert!(!valid_for_name(&server, "10.0.0.6"));
    assert!(!valid_for_name(&server, "localhost"));
}

#[test]
fn client_cert_is_a_client_cert_of_its_own_cluster_only() {
    let ca = new_cluster_ca("c-1", "alpha").unwrap();
    let other = new_cluster_ca("c-2", "alpha").unwrap();
    let client = issue_client_cert(&ca, "laptop").unwrap();

    verify(&ca, &client, KeyUsage::client_auth()).expect("client usage verifies");
    let as_server = verify(&ca, &client, KeyUsage::server_auth()).unwrap_err();
    assert!(format!("{as_server:?}").contains("RequiredEkuNotFound"), "{as_server:?}");
    // Same cluster name, different cluster: still a stranger.
    let foreign = verify(&other, &client, KeyUsage::client_auth()).unwrap_err();
    assert!(matches!(foreign, webpki::Error::UnknownIssuer), "{foreign:?}");
}

#[test]
fn a_ca_does_not_pass_as_a_leaf() {
    let ca = new_cluster_ca("c-1", "alpha").unwrap();
    let as_leaf = pki::IssuedCert {
        cert_pem: ca.cert_pem.clone(),
        key_pem: String::new(),
        serial_hex: String::new(),
        fingerprint: String::new(),
        not_after: 0,
    };
    assert!(verify(&ca, &as_leaf, KeyUsage::client_auth()).is_err());
}
