//! The `events` table: what happened to a cluster, for its page.

use sqlx::FromRow;

use super::Storage;
use crate::error::Result;

/// One line of a cluster's history.
#[derive(Clone, Debug, FromRow)]
pub struct EventRow {
    pub id: i64,
    pub cluster_id: String,
    pub kind: String,
    pub message: String,
    pub created_at: i64,
}

impl Storage {
    /// Appends an event.
    pub async fn insert_event(&self, cluster_id: &str, kind: &str, message: &str, now: i64) -> Result<()> {
        sqlx::query("INSERT INTO events (cluster_id, kind, message, created_at) VALUES (?, ?, ?, ?)")
            .bind(cluster_id)
            .bind(kind)
            .bind(message)
            .bind(now)
            .execute(self.pool())
            .await?;
        self.touched();
        Ok(())
    }

    /// A cluster's latest events, newest first.
    pub async fn events_of(&self, cluster_id: &str, limit: i64) -> Result<Vec<EventRow>> {
        Ok(sqlx::query_as("SELECT * FROM events WHERE cluster_id = ? ORDER BY id DESC LIMIT ?")
            .bind(cluster_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }
}

/// One line of an account's history: an event with the name of its cluster.
#[derive(Clone, Debug, FromRow)]
pub struct AccountEventRow {
    pub cluster_name: String,
    pub kind: String,
    pub message: String,
    pub created_at: i64,
}

impl Storage {
    /// The latest events of all of an account's clusters, newest first.
    pub async fn events_of_account(&self, account_id: &str, limit: i64) -> Result<Vec<AccountEventRow>> {
        Ok(sqlx::query_as(
            "SELECT c.name AS cluster_name, e.kind, e.message, e.created_at FROM events e \
             JOIN clusters c ON c.id = e.cluster_id WHERE c.account_id = ? ORDER BY e.id DESC LIMIT ?",
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
