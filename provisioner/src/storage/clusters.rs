//! The `clusters` table.

use std::ops::RangeInclusive;

use sqlx::FromRow;

use super::{is_unique_violation, Storage, WriteTransactions};
use crate::cluster::ClusterStatus;
use crate::error::{Error, Result};

/// Whether a transition keeps the cluster's segments or starts a new generation of them
/// (a rebuild: the reconciler replaces every segment of an older generation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// The segments stay.
    Keep,
    /// Every segment is to be replaced.
    Next,
}

/// A change of a cluster's status, made only while it is in one of `from`, with the
/// desired state that goes with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The statuses the change may start from.
    pub from: Vec<ClusterStatus>,
    /// The status it ends in.
    pub to: ClusterStatus,
    /// The new number of segments, if it changes.
    pub desired_segments: Option<i64>,
    /// Whether the segments are to be replaced.
    pub generation: Generation,
}

/// A cluster as stored: desired state (segments, generation) and observed status.
#[derive(Clone, Debug, FromRow)]
pub struct ClusterRow {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub desired_segments: i64,
    pub generation: i64,
    pub endpoint_port: i64,
    pub ca_cert_pem: String,
    /// The CA's private key, sealed with the secret key (see `secret_key`); never a PEM.
    pub ca_key_sealed: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Storage {
    /// Inserts a cluster if the account's cluster quota allows it, giving it the lowest free
    /// endpoint port in `ports` (the row's own `endpoint_port` is ignored). Quota check,
    /// port choice and insert happen in one write transaction, so concurrent requests can
    /// never exceed the quota or share a port. Returns the port.
    pub async fn insert_cluster_within_quota(&self, row: &ClusterRow, ports: RangeInclusive<u16>) -> Result<u16> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let (count, max): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM clusters WHERE account_id = $1),
                        (SELECT max_clusters FROM accounts WHERE id = $1)",
            )
            .bind(&row.account_id)
            .fetch_one(&mut *tx)
            .await?;
            if count >= max {
                return Err(Error::QuotaExceeded(format!(
                    "You already have {count} of {max} clusters. Delete one, or ask an operator to raise your quota."
                )));
            }
            check_host_room!(tx, row.desired_segments);
            let used: Vec<i64> = sqlx::query_scalar("SELECT endpoint_port FROM clusters ORDER BY endpoint_port")
                .fetch_all(&mut *tx)
                .await?;
            let port = ports.clone().find(|p| used.binary_search(&i64::from(*p)).is_err()).ok_or_else(|| {
                Error::Conflict("The service has no free cluster endpoints left. Please contact an operator.".into())
            })?;
            sqlx::query(
                "INSERT INTO clusters (id, account_id, name, status, status_reason, desired_segments, generation,
                                       endpoint_port, ca_cert_pem, ca_key_sealed, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&row.id)
            .bind(&row.account_id)
            .bind(&row.name)
            .bind(&row.status)
            .bind(&row.status_reason)
            .bind(row.desired_segments)
            .bind(row.generation)
            .bind(i64::from(port))
            .bind(&row.ca_cert_pem)
            .bind(&row.ca_key_sealed)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(|err| {
                if is_unique_violation(&err) {
                    Error::Conflict(format!("You already have a cluster named {:?}. Pick another name.", row.name))
                } else {
                    err.into()
                }
            })?;
            tx.commit().await?;
            self.touched();
            Ok(port)
        })
    }

    /// How many clusters an account has, whatever their status.
    pub async fn cluster_count(&self, account_id: &str) -> Result<u32> {
        with_pool!(self, |pool| {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clusters WHERE account_id = $1")
                .bind(account_id)
                .fetch_one(pool)
                .await?;
            Ok(n as u32)
        })
    }

    /// An account's clusters, oldest first.
    pub async fn clusters_of(&self, account_id: &str) -> Result<Vec<ClusterRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM clusters WHERE account_id = $1 ORDER BY created_at, name")
                .bind(account_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// One of an account's clusters, by name.
    pub async fn cluster_by_name(&self, account_id: &str, name: &str) -> Result<Option<ClusterRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM clusters WHERE account_id = $1 AND name = $2")
                .bind(account_id)
                .bind(name)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// A cluster by id, whoever owns it (for the reconciler and the endpoints).
    pub async fn cluster_by_id(&self, id: &str) -> Result<Option<ClusterRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM clusters WHERE id = $1").bind(id).fetch_optional(pool).await?)
        })
    }

    /// Every cluster (for the reconciler).
    pub async fn all_clusters(&self) -> Result<Vec<ClusterRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM clusters ORDER BY created_at").fetch_all(pool).await?)
        })
    }

    /// Sets the observed status (and its reason, cleared when `None`).
    pub async fn set_cluster_status(&self, id: &str, status: &str, reason: Option<&str>, now: i64) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE clusters SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4")
                .bind(status)
                .bind(reason)
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?;
            self.touched();
            Ok(())
        })
    }

    /// Sets the status to `to` (with its reason) only if it is `from`; returns whether it was.
    pub async fn move_cluster_status(
        &self,
        id: &str,
        from: &str,
        to: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE clusters SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4 AND status = $5",
            )
            .bind(to)
            .bind(reason)
            .bind(now)
            .bind(id)
            .bind(from)
            .execute(pool)
            .await?;
            Ok(self.touched_if(done.rows_affected() == 1))
        })
    }

    /// Sets the reason shown next to the status (e.g. why a build is retrying), leaving the
    /// status and the time of its last change alone.
    pub async fn set_cluster_reason(&self, id: &str, reason: Option<&str>) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE clusters SET status_reason = $1 WHERE id = $2")
                .bind(reason)
                .bind(id)
                .execute(pool)
                .await?;
            self.touched();
            Ok(())
        })
    }

    /// Makes `change` (status, desired segments and generation in one step). Returns false
    /// if the cluster's status was not one of `change.from` (another request got there
    /// first), so concurrent requests cannot both succeed. More segments must fit on the
    /// hosts (see [`crate::host::check_room`]).
    pub async fn transition_cluster(&self, id: &str, change: &Transition, now: i64) -> Result<bool> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(desired) = change.desired_segments {
                let current: Option<i64> = sqlx::query_scalar("SELECT desired_segments FROM clusters WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let more = desired - current.unwrap_or(desired);
                if more > 0 {
                    check_host_room!(tx, more);
                }
            }
            // $1 to $5 are the values set below; the statuses it may come from follow.
            let placeholders: Vec<String> = (6..6 + change.from.len()).map(|i| format!("${i}")).collect();
            let placeholders = placeholders.join(", ");
            let sql = format!(
                "UPDATE clusters SET status = $1, status_reason = NULL, updated_at = $2,
                        desired_segments = COALESCE($3, desired_segments),
                        generation = generation + $4
                 WHERE id = $5 AND status IN ({placeholders})"
            );
            let bump = i64::from(change.generation == Generation::Next);
            let mut query =
                sqlx::query(&sql).bind(change.to.as_str()).bind(now).bind(change.desired_segments).bind(bump).bind(id);
            for status in &change.from {
                query = query.bind(status.as_str());
            }
            let changed = query.execute(&mut *tx).await?.rows_affected() == 1;
            tx.commit().await?;
            Ok(self.touched_if(changed))
        })
    }

    /// Removes a cluster and, by cascade, its segments and bundles. Its events stay (the
    /// audit trail) until their retention ends.
    pub async fn delete_cluster(&self, id: &str) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM clusters WHERE id = $1").bind(id).execute(pool).await?;
            self.touched();
            Ok(())
        })
    }

    /// Every cluster's id and stored CA key (sealed, or a plaintext PEM from an older
    /// database).
    pub async fn ca_keys(&self) -> Result<Vec<(String, String)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, ca_key_sealed FROM clusters ORDER BY id").fetch_all(pool).await?)
        })
    }

    /// Replaces stored CA keys, all or none: each `(id, old, new)` only if the row still
    /// holds `old`. Returns how many rows changed.
    pub async fn replace_ca_keys(&self, changes: &[(String, String, String)]) -> Result<u64> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let mut changed = 0;
            for (id, old, new) in changes {
                changed += sqlx::query("UPDATE clusters SET ca_key_sealed = $1 WHERE id = $2 AND ca_key_sealed = $3")
                    .bind(new)
                    .bind(id)
                    .bind(old)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            Ok(changed)
        })
    }
}
