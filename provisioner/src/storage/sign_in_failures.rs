//! The `sign_in_failures` table: failed sign-ins per email, for throttling.

use super::Storage;
use crate::error::Result;

impl Storage {
    /// How many consecutive failures this email has, and when the last one was.
    pub async fn sign_in_failures(&self, email: &str) -> Result<Option<(i64, i64)>> {
        Ok(sqlx::query_as("SELECT failures, last_failure_at FROM sign_in_failures WHERE email = ?")
            .bind(email)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Counts one more failure for this email.
    pub async fn record_sign_in_failure(&self, email: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO sign_in_failures (email, failures, last_failure_at) VALUES (?, 1, ?)
             ON CONFLICT(email) DO UPDATE SET failures = failures + 1, last_failure_at = excluded.last_failure_at",
        )
        .bind(email)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets the failures of this email (after a successful sign-in).
    pub async fn clear_sign_in_failures(&self, email: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE email = ?").bind(email).execute(self.pool()).await?;
        Ok(())
    }
}
