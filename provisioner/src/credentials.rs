//! Credentials bundles: a client certificate of the cluster's CA in a zip with the files
//! that point the docker CLI at the cluster. Each download issues a new certificate; the
//! key exists only in that zip. Any bundle can be revoked, and stops working at once.

use uuid::Uuid;

use crate::account::Account;
use crate::clock::now_ms;
use crate::cluster::{Action, ClusterStatus};
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::storage::BundleRow;
use crate::Provisioner;

/// A downloadable credentials zip.
pub struct CredentialsZip {
    /// `<cluster>.zip`.
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The bundle's id (to revoke it, or to tell whether it still works).
    pub bundle_id: String,
}

/// What users read as a bundle's name: its certificate's common name,
/// `<cluster>-<first 8 characters of the bundle id>`. The endpoint names a refused
/// request's client by that common name too, so the history and the credentials table
/// agree.
pub fn bundle_label(cluster_name: &str, bundle_id: &str) -> String {
    format!("{cluster_name}-{}", &bundle_id[..8.min(bundle_id.len())])
}

/// An issued bundle as listed on the cluster page.
#[derive(Clone, Debug)]
pub struct BundleInfo {
    pub id: String,
    /// Its name for users ([`bundle_label`]).
    pub label: String,
    /// The first characters of the certificate's SHA-256 fingerprint.
    pub fingerprint_prefix: String,
    pub created_at: i64,
    pub revoked: bool,
}

impl Provisioner {
    /// Issues a new bundle for one of the account's clusters. Only once the cluster
    /// works: while it is being built there is nothing to connect to yet.
    pub async fn download_credentials(&self, account: &Account, name: &str) -> Result<CredentialsZip> {
        let row = self.owned_cluster(account, name).await?;
        let status: ClusterStatus = row.status.parse()?;
        if !status.permits(Action::DownloadCredentials) {
            return Err(Error::Conflict(format!("The cluster is {status}, not active yet. Retry when it is active.")));
        }
        let ca = self.cluster_ca(&row)?;
        let bundle_id = Uuid::new_v4().to_string();
        let label = bundle_label(&row.name, &bundle_id);
        let cert = pki::issue_client_cert(&ca, &label)?;
        let zip = bundle::build_zip(&bundle::BundleInput {
            cluster_name: &row.name,
            docker_host: &self.docker_host(row.endpoint_port as u16),
            ca_pem: &row.ca_cert_pem,
            cert_pem: &cert.cert_pem,
            key_pem: &cert.key_pem,
            docker_version: &self.config.docker_version,
        })?;
        self.storage
            .insert_bundle(&BundleRow {
                id: bundle_id.clone(),
                cluster_id: row.id.clone(),
                serial: cert.serial_hex,
                fingerprint: cert.fingerprint.clone(),
                created_at: now_ms(),
                revoked_at: None,
            })
            .await?;
        metrics::counter!("carina_bundles_issued_total").increment(1);
        self.record(&row.id, EventKind::Action, &format!("Credentials downloaded (certificate {label})")).await;
        Ok(CredentialsZip { file_name: format!("{}.zip", row.name), bytes: zip, bundle_id })
    }

    /// The bundles issued for one of the account's clusters.
    pub async fn bundles(&self, account: &Account, name: &str) -> Result<Vec<BundleInfo>> {
        let row = self.owned_cluster(account, name).await?;
        Ok(self
            .storage
            .bundles_of(&row.id)
            .await?
            .into_iter()
            .map(|b| BundleInfo {
                label: bundle_label(&row.name, &b.id),
                id: b.id,
                fingerprint_prefix: b.fingerprint[..12.min(b.fingerprint.len())].to_owned(),
                created_at: b.created_at,
                revoked: b.revoked_at.is_some(),
            })
            .collect())
    }

    /// Revokes a bundle: the endpoint refuses its certificate from now on and drops the
    /// connections that use it.
    pub async fn revoke_credentials(&self, account: &Account, name: &str, bundle_id: &str) -> Result<()> {
        let row = self.owned_cluster(account, name).await?;
        let fingerprint = self
            .storage
            .revoke_bundle(&row.id, bundle_id, now_ms())
            .await?
            .ok_or_else(|| Error::NotFound("No such active credentials bundle.".into()))?;
        self.endpoints.revoke(&row.id, &fingerprint);
        self.revoke_on_other_replicas(&row.id, &fingerprint);
        metrics::counter!("carina_bundles_revoked_total").increment(1);
        let label = bundle_label(&row.name, bundle_id);
        self.record(&row.id, EventKind::Action, &format!("Credentials revoked (certificate {label})")).await;
        Ok(())
    }
}
