//! Certificates for clusters: one CA per cluster, server certificates per segment and
//! for the cluster endpoint, client certificates per credentials bundle.
//!
//! Every key is ECDSA P-256 and every signature ECDSA with SHA-256: plain X.509 that Go's
//! `crypto/tls` (the docker CLI and dockerd) and rustls both accept, and fast to generate.
//! Leaf certificates carry exactly one extended key usage, so that a segment's server key
//! (which the tenant can read inside the segment) never authenticates as a client, and a
//! bundle's client key never serves as a server.

#![warn(unreachable_pub)]
#![warn(missing_docs)]

mod ca;
mod error;
mod fingerprint;
mod issue;
mod names;
mod serial;
mod validity;

pub use ca::{new_cluster_ca, ClusterCa};
pub use error::PkiError;
pub use fingerprint::{fingerprint_of_der, fingerprint_of_pem};
pub use issue::{issue_client_cert, issue_server_cert, IssuedCert};
pub use validity::{CA_VALIDITY, CLOCK_SKEW_ALLOWANCE, LEAF_VALIDITY};
