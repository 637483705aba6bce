//! The `bundles` table: issued client certificates, and their revocation.

use sqlx::FromRow;

use super::Storage;
use crate::error::Result;

/// A credentials bundle as stored (its key is not: it only exists in the user's zip).
#[derive(Clone, Debug, FromRow)]
pub struct BundleRow {
    pub id: String,
    pub cluster_id: String,
    pub serial: String,
    pub fingerprint: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl Storage {
    /// Records an issued bundle.
    pub async fn insert_bundle(&self, row: &BundleRow) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO bundles (id, cluster_id, serial, fingerprint, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&row.id)
            .bind(&row.cluster_id)
            .bind(&row.serial)
            .bind(&row.fingerprint)
            .bind(row.created_at)
            .execute(pool)
            .await?;
            self.touched();
            Ok(())
        })
    }

    /// A cluster's bundles, newest first.
    pub async fn bundles_of(&self, cluster_id: &str) -> Result<Vec<BundleRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM bundles WHERE cluster_id = $1 ORDER BY created_at DESC")
                .bind(cluster_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Revokes one of a cluster's bundles; returns its fingerprint if it was active.
    pub async fn revoke_bundle(&self, cluster_id: &str, bundle_id: &str, now: i64) -> Result<Option<String>> {
        with_pool!(self, |pool| {
            let fingerprint: Option<String> = sqlx::query_scalar(
                "UPDATE bundles SET revoked_at = $1 WHERE id = $2 AND cluster_id = $3 AND revoked_at IS NULL
                 RETURNING fingerprint",
            )
            .bind(now)
            .bind(bundle_id)
            .bind(cluster_id)
            .fetch_optional(pool)
            .await?;
            // The cluster page lists bundles.
            self.touched_if(fingerprint.is_some());
            Ok(fingerprint)
        })
    }

    /// The fingerprints of a cluster's revoked bundles.
    pub async fn revoked_fingerprints(&self, cluster_id: &str) -> Result<Vec<String>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT fingerprint FROM bundles WHERE cluster_id = $1 AND revoked_at IS NOT NULL")
                .bind(cluster_id)
                .fetch_all(pool)
                .await?)
        })
    }
}
