//! The provisioner's settings.

use std::time::Duration;

use crate::quota::Quotas;

/// Settings of the domain layer (the server fills them from flags and environment).
#[derive(Clone, Debug)]
pub struct ProvisionerConfig {
    /// Quotas of new accounts.
    pub default_quotas: Quotas,
    /// How long a panel session lasts.
    pub session_ttl: Duration,
}

impl Default for ProvisionerConfig {
    fn default() -> Self {
        ProvisionerConfig {
            default_quotas: Quotas::default(),
            session_ttl: Duration::from_secs(14 * 24 * 3600),
        }
    }
}
