//! Changing a password: by its owner (the current one first; their other sessions end),
//! or by an operator (every session ends).

use std::net::IpAddr;

use crate::account::{check_password_strength, hash_password, Account};
use crate::error::{Error, Result};
use crate::secret::{hash_secret, new_secret};
use crate::Provisioner;

impl Provisioner {
    /// The owner changes their password: `current` is checked like a sign-in (throttled,
    /// a wrong one recorded), `new` must pass the password rule, and every other session
    /// of the account ends; the one with `session_token` (theirs) stays. Returns how many
    /// sessions ended.
    pub async fn change_password(
        &self,
        account: &Account,
        current: &str,
        new: &str,
        session_token: &str,
        client: IpAddr,
    ) -> Result<u64> {
        check_password_strength(new, &account.email)?;
        let failed = "Password change refused: wrong current password";
        // Not a 401: the session is fine, only the form's current password is not.
        self.check_password(&account.email, current, client, failed).await.map_err(|err| match err {
            Error::Unauthorized(_) => Error::Invalid("The current password is not right: nothing was changed.".into()),
            other => other,
        })?;
        let hash = hash_password(new.to_owned()).await?;
        let keep = hash_secret(session_token);
        let ended = self.storage.set_password_ending_sessions(&account.id, &hash, Some(&keep)).await?;
        self.record_account(&account.id, &format!("Password changed; {ended} other session(s) signed out")).await;
        tracing::info!(account = %account.id, ended, "password changed");
        Ok(ended)
    }

    /// An operator sets a new password for the account with this email: `new`, or a
    /// generated one when none is given. Every session of the account ends (API keys stay:
    /// revoke them on the account page if they may be known too). Returns the password.
    pub async fn reset_password(&self, email: &str, new: Option<&str>) -> Result<(Account, String)> {
        let account = self.account_by_email(email).await?;
        // 32 characters from a 256-bit secret: passes the password rule.
        let password = new.map_or_else(|| new_secret().chars().take(32).collect(), str::to_owned);
        check_password_strength(&password, &account.email)?;
        let hash = hash_password(password.clone()).await?;
        let ended = self.storage.set_password_ending_sessions(&account.id, &hash, None).await?;
        self.record_account(&account.id, &format!("Password reset by an operator; {ended} session(s) signed out"))
            .await;
        tracing::info!(account = %account.id, ended, "password reset");
        Ok((account, password))
    }
}
