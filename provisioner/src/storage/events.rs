//! The `events` table: what happened to a cluster or an account, by whom, from where.
//! The cluster pages' history and the audit trail are two views of it.

use sqlx::FromRow;

use super::Storage;
use crate::error::Result;

/// One line of a cluster's history.
#[derive(Clone, Debug, FromRow)]
pub struct EventRow {
    pub id: i64,
    pub account_id: String,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    pub kind: String,
    pub message: String,
    pub actor: Option<String>,
    pub address: Option<String>,
    pub created_at: i64,
}

/// An event with its account's email, for the audit trail.
#[derive(Clone, Debug, FromRow)]
pub struct AuditRow {
    #[sqlx(flatten)]
    pub event: EventRow,
    pub account_email: String,
}

/// Who did something, and from where; both none for Carina's own steps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActorColumns {
    pub actor: Option<String>,
    pub address: Option<String>,
}

impl Storage {
    /// Appends an event to a cluster's history (and its account's); nothing when the
    /// cluster is unknown.
    pub async fn insert_event(
        &self,
        cluster_id: &str,
        kind: &str,
        message: &str,
        by: &ActorColumns,
        now: i64,
    ) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO events (account_id, cluster_id, cluster_name, kind, message, actor, address, created_at) \
                 SELECT account_id, id, name, $1, $2, $3, $4, $5 FROM clusters WHERE id = $6",
            )
            .bind(kind)
            .bind(message)
            .bind(&by.actor)
            .bind(&by.address)
            .bind(now)
            .bind(cluster_id)
            .execute(pool)
            .await?;
            self.touched();
            Ok(())
        })
    }

    /// Appends an event of the account itself (no cluster).
    pub async fn insert_account_event(
        &self,
        account_id: &str,
        kind: &str,
        message: &str,
        by: &ActorColumns,
        now: i64,
    ) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO events (account_id, kind, message, actor, address, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(account_id)
            .bind(kind)
            .bind(message)
            .bind(&by.actor)
            .bind(&by.address)
            .bind(now)
            .execute(pool)
            .await?;
            self.touched();
            Ok(())
        })
    }

    /// A cluster's latest events, newest first.
    pub async fn events_of(&self, cluster_id: &str, limit: i64) -> Result<Vec<EventRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM events WHERE cluster_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(cluster_id)
                .bind(limit)
                .fetch_all(pool)
                .await?)
        })
    }

    /// The latest events of an account's clusters, deleted ones included, newest first.
    pub async fn events_of_account(&self, account_id: &str, limit: i64) -> Result<Vec<EventRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT * FROM events WHERE account_id = $1 AND cluster_id IS NOT NULL ORDER BY id DESC LIMIT $2",
            )
            .bind(account_id)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The audit trail: actions and account events (not Carina's own progress or the
    /// endpoint's refusals), newest first; of one account, or of every account.
    pub async fn audit_events(&self, account_id: Option<&str>, since: i64, limit: i64) -> Result<Vec<AuditRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT e.*, COALESCE(a.email, '') AS account_email FROM events e \
                 LEFT JOIN accounts a ON a.id = e.account_id WHERE e.kind IN ('action', 'account') \
                 AND ($1 IS NULL OR e.account_id = $1) AND e.created_at >= $2 ORDER BY e.id DESC LIMIT $3",
            )
            .bind(account_id)
            .bind(since)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Deletes events older than `before` (unix ms); returns how many.
    pub async fn delete_events_before(&self, before: i64) -> Result<u64> {
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM events WHERE created_at < $1").bind(before).execute(pool).await?;
            Ok(done.rows_affected())
        })
    }
}
