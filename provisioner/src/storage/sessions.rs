//! The `sessions` table: server-side sessions, keyed by a hash of the cookie's token.

use sqlx::FromRow;

use super::{AccountRow, Storage};
use crate::error::Result;

/// The account behind a session, with the number of clusters it has.
#[derive(Clone, Debug, FromRow)]
pub struct SessionRow {
    #[sqlx(flatten)]
    pub account: AccountRow,
    pub clusters_used: i64,
}

impl Storage {
    /// Stores a new session.
    pub async fn insert_session(&self, token_hash: &str, account_id: &str, now: i64, expires_at: i64) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(account_id)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The account of an unexpired session and how many clusters it has, in one query:
    /// every signed-in page asks for both (the header and the quotas).
    pub async fn session_account(&self, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT accounts.*,
                        (SELECT COUNT(*) FROM clusters WHERE clusters.account_id = accounts.id) AS clusters_used
                 FROM sessions JOIN accounts ON accounts.id = sessions.account_id
                 WHERE sessions.token_hash = $1 AND sessions.expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Ends a session (sign out). Ending an unknown session is not an error.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
            // Pages rendered for the session must not be served again.
            self.touched_if(done.rows_affected() > 0);
            Ok(())
        })
    }

    /// Forgets expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
            Ok(done.rows_affected())
        })
    }
}
