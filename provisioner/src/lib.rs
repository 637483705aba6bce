//! The domain: accounts, quotas, clusters, credentials, storage and the reconciler.
//!
//! [`Provisioner`] is the one entry point the panel, the JSON API and the command line
//! call; it writes desired state and reads status, and never blocks on infrastructure.

pub mod account;
mod auth;
mod clock;
pub mod config;
pub mod error;
mod operator;
pub mod quota;
mod secret;
pub mod storage;
pub mod throttle;

pub use account::Account;
pub use auth::{ApiKey, NewSession};
pub use config::ProvisionerConfig;
pub use error::{Error, Result};
pub use quota::Quotas;
pub use storage::Storage;

/// The service's domain layer.
#[derive(Clone)]
pub struct Provisioner {
    storage: Storage,
    config: ProvisionerConfig,
    /// A valid argon2 hash of a random password, checked for unknown emails so that a
    /// sign-in takes as long whether or not the account exists.
    dummy_password_hash: String,
}

impl Provisioner {
    /// A provisioner over this database.
    pub async fn new(storage: Storage, config: ProvisionerConfig) -> Result<Self> {
        let dummy_password_hash = account::hash_password(secret::new_secret()).await?;
        Ok(Provisioner {
            storage,
            config,
            dummy_password_hash,
        })
    }

    /// The database (for the server's housekeeping tasks).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }
}
