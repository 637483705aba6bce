//! The `sign_in_attempts` table: attempts per throttling bucket.

use std::time::Duration;

use super::{Storage, WriteTransactions};
use crate::error::Result;
use crate::throttle::{Bucket, FORGET_AFTER};

impl Storage {
    /// Counts one attempt in every bucket, unless one of them says to wait: then nothing
    /// is counted and the longest wait is returned. Buckets idle for [`FORGET_AFTER`] are
    /// dropped first. Checking and counting happen in one
    /// write transaction, so parallel attempts can never all see the same count: at most
    /// the free number of them get through.
    pub async fn reserve_sign_in_attempt(&self, buckets: &[Bucket], now: i64) -> Result<Option<Duration>> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM sign_in_attempts WHERE last_attempt_at < $1")
                .bind(now - FORGET_AFTER.as_millis() as i64)
                .execute(&mut *tx)
                .await?;
            let mut wait: Option<Duration> = None;
            for bucket in buckets {
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT attempts, last_attempt_at FROM sign_in_attempts WHERE scope = $1 AND key = $2",
                )
                .bind(bucket.scope)
                .bind(&bucket.key)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((attempts, last)) = row {
                    let since = Duration::from_millis(now.saturating_sub(last).max(0) as u64);
                    if let Some(left) = bucket.limit.wait_before_attempt(attempts, since) {
                        wait = wait.max(Some(left));
                    }
                }
            }
            if wait.is_some() {
                // Dropping the transaction rolls it back: a refused attempt costs nothing more.
                return Ok(wait);
            }
            for bucket in buckets {
                sqlx::query(
                    "INSERT INTO sign_in_attempts (scope, key, attempts, last_attempt_at) VALUES ($1, $2, 1, $3)
                     ON CONFLICT(scope, key) DO UPDATE SET attempts = sign_in_attempts.attempts + 1,
                                                           last_attempt_at = excluded.last_attempt_at",
                )
                .bind(bucket.scope)
                .bind(&bucket.key)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(None)
        })
    }

    /// Forgives the attempt a successful sign-in reserved: the email's bucket is emptied,
    /// and the address's bucket gets this one attempt back (others from that address
    /// still count).
    pub async fn forgive_sign_in_attempt(&self, email_bucket: &Bucket, address_bucket: &Bucket) -> Result<()> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM sign_in_attempts WHERE scope = $1 AND key = $2")
                .bind(email_bucket.scope)
                .bind(&email_bucket.key)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE sign_in_attempts SET attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END WHERE scope = $1 AND key = $2")
                .bind(address_bucket.scope)
                .bind(&address_bucket.key)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The attempts counted in a bucket, if any (for tests and operators).
    pub async fn sign_in_attempts(&self, bucket: &Bucket) -> Result<Option<i64>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT attempts FROM sign_in_attempts WHERE scope = $1 AND key = $2")
                .bind(bucket.scope)
                .bind(&bucket.key)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Forgets buckets whose last attempt was before `before`; returns how many.
    pub async fn delete_idle_sign_in_attempts(&self, before: i64) -> Result<u64> {
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM sign_in_attempts WHERE last_attempt_at < $1")
                .bind(before)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
