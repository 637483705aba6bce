//! A sample bundle input shared by the integration tests.

use bundle::BundleInput;

pub const CA: &str = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
pub const CERT: &str = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n";
pub const KEY: &str = "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n";

/// A valid input for the cluster `web-1`.
pub fn input() -> BundleInput<'static> {
    BundleInput {
        cluster_name: "web-1",
        docker_host: "tcp://192.0.2.10:2376",
        ca_pem: CA,
        cert_pem: CERT,
        key_pem: KEY,
        docker_version: "20.10.24",
    }
}
