//! Signing up, in and out; sessions and API keys as ways to prove who you are.

use std::net::IpAddr;

use uuid::Uuid;

use crate::account::{check_password_strength, hash_password, normalize_email, verify_password, Account};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::secret::{hash_secret, new_secret};
use crate::storage::{AccountRow, ApiKeyRow};
use crate::throttle::buckets_for;
use crate::Provisioner;

/// A new session: the secret token for the cookie, and when it expires.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token: String,
    pub expires_at: i64,
}

/// A personal API key as shown to its owner (never with the secret, except once at creation).
#[derive(Clone, Debug)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(row: ApiKeyRow) -> Self {
        ApiKey {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked: row.revoked_at.is_some(),
        }
    }
}

/// What the audit trail says of a wrong password at sign-in.
const SIGN_IN_FAILED: &str = "Sign-in failed: wrong password";

/// The prefix that makes API keys recognisable (in logs, in secret scanners).
const API_KEY_PREFIX: &str = "carina_";

impl Provisioner {
    /// Creates an account with the default quotas and signs it in.
    pub async fn sign_up(&self, email: &str, password: &str) -> Result<(Account, NewSession)> {
        let email = normalize_email(email)?;
        check_password_strength(password, &email)?;
        let quotas = self.config.default_quotas;
        let row = AccountRow {
            id: Uuid::new_v4().to_string(),
            email,
            password_hash: hash_password(password.to_owned()).await?,
            is_operator: false,
            max_clusters: quotas.max_clusters.into(),
            max_segments_per_cluster: quotas.max_segments_per_cluster.into(),
            created_at: now_ms(),
        };
        self.storage.insert_account(&row).await?;
        tracing::info!(account = %row.id, "account created");
        self.record_account(&row.id, "Account created").await;
        let session = self.start_session(&row.id).await?;
        Ok((row.into(), session))
    }

    /// Checks the credentials and starts a session. `client` is the address the attempt
    /// comes from (the TCP peer). See [`Provisioner::check_password`].
    pub async fn sign_in(&self, email: &str, password: &str, client: IpAddr) -> Result<(Account, NewSession)> {
        let row = self.check_password(email, password, client, SIGN_IN_FAILED).await?;
        self.record_account(&row.id, "Signed in").await;
        let session = self.start_session(&row.id).await?;
        Ok((row.into(), session))
    }

    /// Makes an API key named `name` for the account with these credentials (what
    /// `carina login` does), throttled exactly like a sign-in: it is one.
    pub async fn create_api_key_with_password(
        &self,
        email: &str,
        password: &str,
        client: IpAddr,
        name: &str,
    ) -> Result<(Account, ApiKey, String)> {
        let account: Account = self.check_password(email, password, client, SIGN_IN_FAILED).await?.into();
        let (key, secret) = self.create_api_key(&account, name).await?;
        tracing::info!(account = %account.id, key = %key.id, "API key made with a password");
        Ok((account, key, secret))
    }

    /// The account with these credentials. Attempts are counted per email from `client`'s
    /// address and per address before the password is checked (see [`crate::throttle`]),
    /// so parallel guesses cannot slip past the limit and a stranger cannot lock the owner
    /// out. The message never says whether the email exists. A wrong password for an
    /// existing account goes into its audit trail as `failed`.
    pub(crate) async fn check_password(
        &self,
        email: &str,
        password: &str,
        client: IpAddr,
        failed: &str,
    ) -> Result<AccountRow> {
        let wrong = || Error::Unauthorized("Wrong email or password.".into());
        let Ok(email) = normalize_email(email) else {
            return Err(wrong());
        };
        let buckets = buckets_for(&email, client);
        if let Some(retry_after) = self.storage.reserve_sign_in_attempt(&buckets, now_ms()).await? {
            return Err(Error::TooManyAttempts { retry_after });
        }
        let account = self.storage.account_by_email(&email).await?;
        // Verify against a real hash even for unknown emails, so timing does not tell.
        let hash = match &account {
            Some(row) => row.password_hash.clone(),
            None => self.dummy_password_hash.clone(),
        };
        let matches = verify_password(password.to_owned(), hash).await?;
        match account {
            Some(row) if matches => {
                let [email_bucket, address_bucket] = &buckets;
                self.storage.forgive_sign_in_attempt(email_bucket, address_bucket).await?;
                Ok(row)
            }
            // The attempt was counted when it was reserved. The owner sees it in their
            // audit trail; an unknown email has no owner to tell.
            Some(row) => {
                self.record_account(&row.id, failed).await;
                Err(wrong())
            }
            None => Err(wrong()),
        }
    }

    async fn start_session(&self, account_id: &str) -> Result<NewSession> {
        let token = new_secret();
        let now = now_ms();
        let expires_at = now + self.config.session_ttl.as_millis() as i64;
        self.storage.insert_session(&hash_secret(&token), account_id, now, expires_at).await?;
        Ok(NewSession { token, expires_at })
    }

    /// Ends the session with this token, if any.
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        self.storage.delete_session(&hash_secret(token)).await
    }

    /// The account signed in with this session token, if the session is valid.
    pub async fn account_for_session(&self, token: &str) -> Result<Option<Account>> {
        Ok(self.signed_in(token).await?.map(|(account, _)| account))
    }

    /// The account signed in with this session token and how many clusters it has, in
    /// one lookup (what every signed-in page shows), if the session is valid.
    pub async fn signed_in(&self, token: &str) -> Result<Option<(Account, u32)>> {
        let row = self.storage.session_account(&hash_secret(token), now_ms()).await?;
        Ok(row.map(|row| (Account::from(row.account), row.clusters_used as u32)))
    }

    /// The account an API key (as sent in `Authorization: Bearer ...`) belongs to.
    pub async fn account_for_api_key(&self, key: &str) -> Result<Option<Account>> {
        if !key.starts_with(API_KEY_PREFIX) {
            return Ok(None);
        }
        let Some((id, name, prefix)) = self.storage.use_api_key(&hash_secret(key), now_ms()).await? else {
            return Ok(None);
        };
        crate::audit::narrow(crate::audit::Via::ApiKey { name, prefix });
        Ok(self.storage.account_by_id(&id).await?.map(Account::from))
    }

    /// Makes a new API key; returns it with its secret, which is never shown again.
    pub async fn create_api_key(&self, account: &Account, name: &str) -> Result<(ApiKey, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(Error::Invalid("Give the key a name of 1 to 64 characters, like \"ci\".".into()));
        }
        let secret = format!("{API_KEY_PREFIX}{}", new_secret());
        let row = ApiKeyRow {
            id: Uuid::new_v4().to_string(),
            account_id: account.id.clone(),
            name: name.to_owned(),
            prefix: secret.chars().take(API_KEY_PREFIX.len() + 6).collect(),
            secret_hash: hash_secret(&secret),
            created_at: now_ms(),
            last_used_at: None,
            revoked_at: None,
        };
        self.storage.insert_api_key(&row).await?;
        self.record_account(&account.id, &format!("API key {} ({}…) created", row.name, row.prefix)).await;
        Ok((row.into(), secret))
    }

    /// The account's API keys, newest first.
    pub async fn api_keys(&self, account: &Account) -> Result<Vec<ApiKey>> {
        Ok(self.storage.api_keys_of(&account.id).await?.into_iter().map(ApiKey::from).collect())
    }

    /// Revokes one of the account's API keys; it stops working at once.
    pub async fn revoke_api_key(&self, account: &Account, key_id: &str) -> Result<()> {
        if self.storage.revoke_api_key(&account.id, key_id, now_ms()).await? {
            let keys = self.storage.api_keys_of(&account.id).await?;
            let key = keys.iter().find(|k| k.id == key_id).map(|k| format!("{} ({}…)", k.name, k.prefix));
            self.record_account(&account.id, &format!("API key {} revoked", key.unwrap_or_default())).await;
            Ok(())
        } else {
            Err(Error::NotFound("No such active API key.".into()))
        }
    }
}
