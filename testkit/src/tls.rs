//! Test certificates, made by the `pki` crate the product uses, so tests exercise the
//! certificates users get. The one exception is [`TestCa::client_without_eku`]: a
//! certificate the product never makes, for tests that must see it refused.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use pki::{ClusterCa, IssuedCert};

/// A cluster CA of a test.
pub struct TestCa {
    pub ca: ClusterCa,
}

/// A certificate and its key.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    /// As the gateway and the panel name certificates (lowercase hex SHA-256 of the DER).
    pub fingerprint: String,
}

impl From<IssuedCert> for Leaf {
    fn from(cert: IssuedCert) -> Self {
        Leaf { cert_pem: cert.cert_pem, key_pem: cert.key_pem, fingerprint: cert.fingerprint }
    }
}

impl TestCa {
    /// A new CA for a cluster named `name`.
    pub fn new(name: &str) -> Self {
        TestCa { ca: pki::new_cluster_ca(&format!("test-{name}"), name).unwrap() }
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.ca.cert_pem
    }

    /// A server certificate for `ips` and `dns_names`.
    pub fn server_for(&self, common_name: &str, ips: &[IpAddr], dns_names: &[&str]) -> Leaf {
        let dns: Vec<String> = dns_names.iter().map(|n| n.to_string()).collect();
        pki::issue_server_cert(&self.ca, common_name, ips, &dns).unwrap().into()
    }

    /// A server certificate for loopback (`127.0.0.1`, `localhost`).
    pub fn server(&self) -> Leaf {
        self.server_for("cluster endpoint", &["127.0.0.1".parse().unwrap()], &["localhost"])
    }

    /// A client certificate, as a credentials bundle holds one.
    pub fn client(&self, common_name: &str) -> Leaf {
        pki::issue_client_cert(&self.ca, common_name).unwrap().into()
    }

    /// A certificate signed by this CA without the `clientAuth` usage, which `pki` never
    /// issues: made with rcgen directly, for tests that must see it refused.
    pub fn client_without_eku(&self, common_name: &str) -> Leaf {
        use rcgen::{CertificateParams, DnType, Issuer, KeyPair, KeyUsagePurpose};
        let ca_key = KeyPair::from_pem(&self.ca.key_pem).unwrap();
        let issuer = Issuer::from_ca_cert_pem(&self.ca.cert_pem, ca_key).unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        Leaf { cert_pem: cert.pem(), key_pem: key.serialize_pem(), fingerprint: pki::fingerprint_of_der(cert.der()) }
    }

    /// Writes a CLI bundle directory (`ca.pem`, `cert.pem`, `key.pem`).
    pub fn bundle(&self, dir: &Path, leaf: &Leaf) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("ca.pem"), &self.ca.cert_pem).unwrap();
        std::fs::write(dir.join("cert.pem"), &leaf.cert_pem).unwrap();
        std::fs::write(dir.join("key.pem"), &leaf.key_pem).unwrap();
        dir.to_path_buf()
    }
}
