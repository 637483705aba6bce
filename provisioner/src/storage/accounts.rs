//! The `accounts` table.

use sqlx::FromRow;

use super::{is_unique_violation, Storage};
use crate::error::{Error, Result};

/// An account as stored.
#[derive(Clone, Debug, FromRow)]
pub struct AccountRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub is_operator: bool,
    pub max_clusters: i64,
    pub max_segments_per_cluster: i64,
    pub created_at: i64,
}

impl Storage {
    /// Inserts a new account; a taken email (in any letter case) is a `Conflict`.
    pub async fn insert_account(&self, row: &AccountRow) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO accounts (id, email, password_hash, is_operator, max_clusters,
                                       max_segments_per_cluster, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&row.id)
            .bind(&row.email)
            .bind(&row.password_hash)
            .bind(row.is_operator)
            .bind(row.max_clusters)
            .bind(row.max_segments_per_cluster)
            .bind(row.created_at)
            .execute(pool)
            .await
            .map_err(|err| {
                if is_unique_violation(&err) {
                    Error::Conflict("An account with this email already exists.".into())
                } else {
                    err.into()
                }
            })?;
            Ok(())
        })
    }

    /// The account with this email, compared without regard to letter case.
    pub async fn account_by_email(&self, email: &str) -> Result<Option<AccountRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM accounts WHERE lower(email) = lower($1)")
                .bind(email)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// The account with this id.
    pub async fn account_by_id(&self, id: &str) -> Result<Option<AccountRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM accounts WHERE id = $1").bind(id).fetch_optional(pool).await?)
        })
    }

    /// Sets an account's quotas; returns whether the account exists.
    pub async fn set_account_quotas(&self, id: &str, max_clusters: i64, max_segments: i64) -> Result<bool> {
        with_pool!(self, |pool| {
            let done =
                sqlx::query("UPDATE accounts SET max_clusters = $1, max_segments_per_cluster = $2 WHERE id = $3")
                    .bind(max_clusters)
                    .bind(max_segments)
                    .bind(id)
                    .execute(pool)
                    .await?;
            Ok(self.touched_if(done.rows_affected() == 1))
        })
    }

    /// Marks an account as operator (or not), and sets its password hash.
    pub async fn set_operator(&self, id: &str, is_operator: bool, password_hash: &str) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE accounts SET is_operator = $1, password_hash = $2 WHERE id = $3")
                .bind(is_operator)
                .bind(password_hash)
                .bind(id)
                .execute(pool)
                .await?;
            // The operator's link in every page's header.
            self.touched();
            Ok(())
        })
    }

    /// Sets an account's password hash and ends its sessions, but the one with
    /// `keep_session` (the hash of the token that asked), in one transaction: a new
    /// password never leaves an old session open. Returns how many sessions ended.
    pub async fn set_password_ending_sessions(
        &self,
        id: &str,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<u64> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let ended = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash IS DISTINCT FROM $2")
                .bind(id)
                .bind(keep_session)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            // Pages rendered for the ended sessions must not be served again.
            self.touched_if(ended > 0);
            Ok(ended)
        })
    }

    /// Every account, oldest first (the operator's view).
    pub async fn all_accounts(&self) -> Result<Vec<AccountRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM accounts ORDER BY created_at").fetch_all(pool).await?)
        })
    }

    /// How many segments each cluster has, by cluster id.
    pub async fn segment_counts(&self) -> Result<Vec<(String, i64)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT cluster_id, COUNT(*) FROM segments GROUP BY cluster_id").fetch_all(pool).await?)
        })
    }
}
