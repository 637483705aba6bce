//! Cluster CAs at rest: their private keys are sealed with the secret key (see
//! [`crate::secret_key`]), opened only for the moment a certificate is issued.

use std::path::Path;

use crate::error::Result;
use crate::secret_key::{sealed_key_id, SecretKey, SecretKeyError};
use crate::storage::{ClusterRow, Storage};
use crate::Provisioner;

/// What a sealed CA key is bound to: its cluster, so it cannot be moved to another row.
fn context(cluster_id: &str) -> String {
    format!("clusters.ca_key:{cluster_id}")
}

/// Whether a stored CA key is a plaintext PEM (from a database older than sealing).
fn is_plaintext(stored: &str) -> bool {
    stored.trim_start().starts_with("-----BEGIN")
}

/// The secret key for this database: read from `path`, or created there on first start.
/// Refuses to create one when the database already holds sealed keys (a new key could
/// not open them: the old key file is missing, and that must be fixed, not papered over).
pub async fn open_secret_key(storage: &Storage, path: &Path) -> Result<SecretKey> {
    let control = storage.control_plane_ca().await?.map(|(_, sealed)| sealed);
    let sealed = storage.ca_keys().await?.into_iter().map(|(_, stored)| stored).chain(control);
    if !path.exists() && sealed.into_iter().any(|stored| sealed_key_id(&stored).is_some()) {
        return Err(SecretKeyError::Missing { path: path.to_owned() }.into());
    }
    Ok(SecretKey::load_or_create(path)?)
}

impl Provisioner {
    /// A cluster's CA with its private key unsealed.
    pub(crate) fn cluster_ca(&self, row: &ClusterRow) -> Result<pki::ClusterCa> {
        let key_pem = self.secret_key.open(&row.ca_key_sealed, &context(&row.id))?;
        Ok(pki::ClusterCa { cert_pem: row.ca_cert_pem.clone(), key_pem })
    }

    /// A new CA key sealed for storage in this cluster's row.
    pub(crate) fn seal_ca_key(&self, cluster_id: &str, key_pem: &str) -> String {
        self.secret_key.seal(key_pem, &context(cluster_id))
    }

    /// Run at start: seals the plaintext CA keys an older database holds, and checks that
    /// every sealed one opens with this key, so that a wrong key file stops the start with
    /// a clear message instead of failing later, at the first download. Returns how many
    /// keys it sealed.
    pub(crate) async fn seal_plaintext_ca_keys(&self) -> Result<u64> {
        let mut changes = Vec::new();
        for (id, stored) in self.storage.ca_keys().await? {
            if is_plaintext(&stored) {
                let sealed = self.seal_ca_key(&id, &stored);
                changes.push((id, stored, sealed));
            } else {
                self.secret_key.open(&stored, &context(&id))?;
            }
        }
        let sealed = self.storage.replace_ca_keys(&changes).await?;
        if sealed > 0 {
            self.storage.scrub().await?;
            tracing::info!(sealed, key = self.secret_key.id(), "sealed plaintext cluster CA keys");
        }
        Ok(sealed)
    }

    /// Re-seals every cluster CA key with `new`, all in one transaction, then the
    /// control-plane CA's; keys already sealed with `new` (a rotation run again, or one
    /// that stopped half way) are left as they are. Afterwards this
    /// provisioner's own key no longer opens them: run it with the server stopped, then
    /// start the server with the new key file. Returns how many keys it re-sealed.
    pub async fn rotate_secret_key(&self, new: &SecretKey) -> Result<u64> {
        let mut changes = Vec::new();
        for (id, stored) in self.storage.ca_keys().await? {
            if sealed_key_id(&stored) == Some(new.id()) {
                continue;
            }
            let plain =
                if is_plaintext(&stored) { stored.clone() } else { self.secret_key.open(&stored, &context(&id))? };
            let resealed = new.seal(&plain, &context(&id));
            changes.push((id, stored, resealed));
        }
        // A cluster deleted meanwhile simply does not count.
        let mut resealed = self.storage.replace_ca_keys(&changes).await?;
        if let Some((old, sealed)) = crate::control_plane::resealed_key(&self.storage, &self.secret_key, new).await? {
            resealed += u64::from(self.storage.replace_control_plane_key(&old, &sealed).await?);
        }
        if resealed > 0 {
            // Values sealed with the old key must not linger: the old key may be the
            // reason for the rotation.
            self.storage.scrub().await?;
        }
        Ok(resealed)
    }

    /// The id of the secret key in use (for operators' messages).
    pub fn secret_key_id(&self) -> &str {
        self.secret_key.id()
    }
}
