//! The one error type of this crate.

/// Why a certificate could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A name that goes into a certificate is empty or holds characters it must not.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidName {
        /// Which name: "common name", "DNS name", "cluster id"...
        what: &'static str,
        /// The rejected value.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A server certificate needs at least one IP address or DNS name: Go ignores the
    /// common name when it checks a server's identity.
    #[error("a server certificate needs at least one IP address or DNS name")]
    NoSubjectAltNames,
    /// The PEM text holds no certificate, or one that does not parse.
    #[error("not a PEM certificate: {0}")]
    BadCertificate(String),
    /// The cluster CA's certificate or key could not be loaded.
    #[error("unusable cluster CA: {0}")]
    BadCa(String),
    /// rcgen refused to generate a key or to sign.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
}
