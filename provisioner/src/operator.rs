//! What operators do from the server's command line: make operator accounts, raise quotas.

use crate::account::{check_password_strength, hash_password, normalize_email, Account};
use crate::error::{Error, Result};
use crate::quota::Quotas;
use crate::Provisioner;

impl Provisioner {
    /// Creates an operator account, or makes an existing account an operator with this
    /// password. Returns the account.
    pub async fn make_operator(&self, email: &str, password: &str) -> Result<Account> {
        let email = normalize_email(email)?;
        check_password_strength(password, &email)?;
        let hash = hash_password(password.to_owned()).await?;
        if self.storage.account_by_email(&email).await?.is_none() {
            self.sign_up(&email, password).await?;
        }
        let row = self
            .storage
            .account_by_email(&email)
            .await?
            .ok_or_else(|| Error::Internal("operator account vanished".into()))?;
        self.storage.set_operator(&row.id, true, &hash).await?;
        tracing::info!(account = %row.id, "operator account set up");
        self.account_by_email(&email).await
    }

    /// Sets one account's quotas.
    pub async fn set_quotas(&self, email: &str, quotas: Quotas) -> Result<Account> {
        let account = self.account_by_email(email).await?;
        let Quotas { max_clusters, max_segments_per_cluster } =
            Quotas::validated(quotas.max_clusters, quotas.max_segments_per_cluster)?;
        self.storage.set_account_quotas(&account.id, max_clusters.into(), max_segments_per_cluster.into()).await?;
        let said = format!("Quotas set: {max_clusters} clusters of up to {max_segments_per_cluster} segments");
        self.record_account(&account.id, &said).await;
        tracing::info!(account = %account.id, max_clusters, max_segments_per_cluster, "quotas set");
        self.account_by_email(email).await
    }

    /// The account with this email.
    pub async fn account_by_email(&self, email: &str) -> Result<Account> {
        let email = normalize_email(email)?;
        self.storage
            .account_by_email(&email)
            .await?
            .map(Account::from)
            .ok_or_else(|| Error::NotFound(format!("No account with the email {email}.")))
    }
}
