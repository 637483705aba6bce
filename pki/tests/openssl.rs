//! A second, independent verifier: `openssl verify` with `-x509_strict` and the SSL
//! client/server purposes. Skipped (with a note) where no `openssl` binary is installed.

use std::path::Path;
use std::process::Command;

use pki::{issue_client_cert, issue_server_cert, new_cluster_ca};

fn openssl_verify(dir: &Path, ca: &str, leaf: &str, purpose: &str) -> bool {
    std::fs::write(dir.join("ca.pem"), ca).unwrap();
    std::fs::write(dir.join("leaf.pem"), leaf).unwrap();
    let out = Command::new("openssl")
        .args(["verify", "-x509_strict", "-purpose", purpose, "-CAfile"])
        .arg(dir.join("ca.pem"))
        .arg(dir.join("leaf.pem"))
        .output()
        .expect("openssl runs");
    out.status.success()
}

#[test]
fn openssl_agrees_on_usages_and_issuers() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("openssl not installed: skipping the OpenSSL cross-check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ca = new_cluster_ca("c-1", "alpha").unwrap();
    let other = new_cluster_ca("c-2", "alpha").unwrap();
    let server = issue_server_cert(&ca, "seg", &["10.1.2.3".parse().unwrap()], &[]).unwrap();
    let client = issue_client_cert(&ca, "laptop").unwrap();

    assert!(openssl_verify(dir.path(), &ca.cert_pem, &server.cert_pem, "sslserver"));
    assert!(!openssl_verify(dir.path(), &ca.cert_pem, &server.cert_pem, "sslclient"));
    assert!(openssl_verify(dir.path(), &ca.cert_pem, &client.cert_pem, "sslclient"));
    assert!(!openssl_verify(dir.path(), &ca.cert_pem, &client.cert_pem, "sslserver"));
    assert!(!openssl_verify(dir.path(), &other.cert_pem, &server.cert_pem, "sslserver"));
    assert!(!openssl_verify(dir.path(), &other.cert_pem, &client.cert_pem, "sslclient"));
}
