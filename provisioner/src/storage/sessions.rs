//! The `sessions` table: server-side sessions, keyed by a hash of the cookie's token.

use super::Storage;
use crate::error::Result;

impl Storage {
    /// Stores a new session.
    pub async fn insert_session(&self, token_hash: &str, account_id: &str, now: i64, expires_at: i64) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(account_id)
            .bind(now)
            .bind(expires_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The account id of an unexpired session.
    pub async fn session_account(&self, token_hash: &str, now: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT account_id FROM sessions WHERE token_hash = ? AND expires_at > ?")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Ends a session (sign out). Ending an unknown session is not an error.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(self.pool()).await?;
        Ok(())
    }

    /// Forgets expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?").bind(now).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }
}
