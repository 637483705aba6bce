//! A throwaway PKI: the cluster CA, the endpoint's server cert, client bundles.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SanType,
};

pub struct Ca {
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub fingerprint: String,
}

impl Ca {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self { cert_pem: cert.pem(), issuer: Issuer::new(params, key) }
    }

    fn leaf(&self, cn: &str, usage: Option<ExtendedKeyUsagePurpose>, sans: Vec<SanType>) -> Leaf {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.subject_alt_names = sans;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = usage.into_iter().collect();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf { cert_pem: cert.pem(), key_pem: key.serialize_pem(), fingerprint: gateway_fingerprint(cert.der()) }
    }

    pub fn server(&self) -> Leaf {
        self.leaf(
            "cluster endpoint",
            Some(ExtendedKeyUsagePurpose::ServerAuth),
            vec![SanType::IpAddress("127.0.0.1".parse().unwrap()), SanType::DnsName("localhost".try_into().unwrap())],
        )
    }

    pub fn client(&self, cn: &str) -> Leaf {
        self.leaf(cn, Some(ExtendedKeyUsagePurpose::ClientAuth), Vec::new())
    }

    pub fn client_without_eku(&self, cn: &str) -> Leaf {
        self.leaf(cn, None, Vec::new())
    }

    /// Writes a CLI bundle dir (`ca.pem`, `cert.pem`, `key.pem`).
    pub fn bundle(&self, dir: &Path, leaf: &Leaf) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("ca.pem"), &self.cert_pem).unwrap();
        std::fs::write(dir.join("cert.pem"), &leaf.cert_pem).unwrap();
        std::fs::write(dir.join("key.pem"), &leaf.key_pem).unwrap();
        dir.to_path_buf()
    }
}

fn gateway_fingerprint(der: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(der))
}
