//! The `control_plane_ca` table: the one CA of the control plane (see
//! `control_plane.rs` for what it signs).

use super::Storage;
use crate::error::Result;

impl Storage {
    /// The control-plane CA's certificate and sealed key, once a server has made them.
    pub async fn control_plane_ca(&self) -> Result<Option<(String, String)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT cert_pem, key_sealed FROM control_plane_ca WHERE id = 1")
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Stores the control-plane CA unless another server stored one first; either way
    /// returns the one stored, which every server then uses.
    pub async fn insert_control_plane_ca(
        &self,
        cert_pem: &str,
        key_sealed: &str,
        now: i64,
    ) -> Result<(String, String)> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO control_plane_ca (id, cert_pem, key_sealed, created_at) VALUES (1, $1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(cert_pem)
            .bind(key_sealed)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(sqlx::query_as("SELECT cert_pem, key_sealed FROM control_plane_ca WHERE id = 1").fetch_one(pool).await?)
        })
    }

    /// Replaces the sealed control-plane key if it is still `old`; whether it did.
    pub async fn replace_control_plane_key(&self, old: &str, new: &str) -> Result<bool> {
        with_pool!(self, |pool| {
            let changed = sqlx::query("UPDATE control_plane_ca SET key_sealed = $1 WHERE id = 1 AND key_sealed = $2")
                .bind(new)
                .bind(old)
                .execute(pool)
                .await?
                .rows_affected();
            Ok(changed == 1)
        })
    }
}
