//! The `leases` table: what one replica (server process) works on, until when.

use super::Storage;
use crate::error::Result;

impl Storage {
    /// Takes the lease `name` for `holder` until `expires_at`, or renews it if `holder`
    /// has it; not if another holder's lease on it is still unexpired at `now`. One
    /// statement, so two replicas can never both get it. Returns whether `holder` has it.
    pub async fn take_lease(&self, name: &str, holder: &str, now: i64, expires_at: i64) -> Result<bool> {
        with_pool!(self, |pool| {
            let got: Option<String> = sqlx::query_scalar(
                "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
                 RETURNING holder",
            )
            .bind(name)
            .bind(holder)
            .bind(expires_at)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            Ok(got.is_some())
        })
    }

    /// Extends every lease `holder` has to `expires_at`; returns how many it has.
    pub async fn renew_leases(&self, holder: &str, expires_at: i64) -> Result<u64> {
        with_pool!(self, |pool| {
            let done = sqlx::query("UPDATE leases SET expires_at = $1 WHERE holder = $2")
                .bind(expires_at)
                .bind(holder)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// Gives up the lease `name` if `holder` has it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
                .bind(name)
                .bind(holder)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Who has the lease `name` unexpired at `now`, if anyone.
    pub async fn lease_holder(&self, name: &str, now: i64) -> Result<Option<String>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT holder FROM leases WHERE name = $1 AND expires_at > $2")
                .bind(name)
                .bind(now)
                .fetch_optional(pool)
                .await?)
        })
    }
}
