//! The `api_keys` table: personal API keys for the JSON API.

use sqlx::FromRow;

use super::Storage;
use crate::error::Result;

/// An API key as stored (the secret itself is never stored).
#[derive(Clone, Debug, FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Storage {
    /// Stores a new key.
    pub async fn insert_api_key(&self, row: &ApiKeyRow) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO api_keys (id, account_id, name, prefix, secret_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&row.id)
            .bind(&row.account_id)
            .bind(&row.name)
            .bind(&row.prefix)
            .bind(&row.secret_hash)
            .bind(row.created_at)
            .execute(pool)
            .await?;
            // The account page lists keys.
            self.touched();
            Ok(())
        })
    }

    /// The account owning an unrevoked key with this secret hash, and the key's name and
    /// prefix; marks the key used.
    pub async fn use_api_key(&self, secret_hash: &str, now: i64) -> Result<Option<(String, String, String)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "UPDATE api_keys SET last_used_at = $1 WHERE secret_hash = $2 AND revoked_at IS NULL
                 RETURNING account_id, name, prefix",
            )
            .bind(now)
            .bind(secret_hash)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// An account's keys, newest first, revoked ones included.
    pub async fn api_keys_of(&self, account_id: &str) -> Result<Vec<ApiKeyRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM api_keys WHERE account_id = $1 ORDER BY created_at DESC")
                .bind(account_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Revokes one of an account's keys; returns whether such an unrevoked key existed.
    pub async fn revoke_api_key(&self, account_id: &str, key_id: &str, now: i64) -> Result<bool> {
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(key_id)
            .bind(account_id)
            .execute(pool)
            .await?;
            Ok(self.touched_if(done.rows_affected() == 1))
        })
    }
}
