//! The `hosts` table: the libvirt hosts segments run on, and what each may hold (see
//! `host.rs` for what that means).

use sqlx::FromRow;

use super::Storage;
use crate::error::Result;

/// A host as stored.
#[derive(Clone, Debug, FromRow)]
pub struct HostRow {
    pub name: String,
    pub uri: String,
    pub capacity: Option<i64>,
    pub draining: bool,
    pub created_at: i64,
}

impl HostRow {
    /// What limits its segments.
    pub fn limit(&self) -> crate::host::HostLimit {
        crate::host::HostLimit { capacity: self.capacity, draining: self.draining }
    }
}

impl From<HostRow> for crate::host::HostView {
    fn from(row: HostRow) -> Self {
        crate::host::HostView {
            capacity: row.capacity.map(|c| c as u32),
            draining: row.draining,
            name: row.name,
            uri: row.uri,
        }
    }
}

/// Every host, by name.
pub(super) const ALL_HOSTS: &str = "SELECT name, uri, capacity, draining, created_at FROM hosts ORDER BY name";
/// The segments every cluster wants, being deleted or not (theirs run until they are gone).
pub(super) const WANTED: &str = "SELECT CAST(COALESCE(SUM(desired_segments), 0) AS BIGINT) FROM clusters";

/// Refuses, with [`crate::host::check_room`]'s message, `$extra` more cluster segments
/// within write transaction `$tx`, so that two requests cannot both take the last room. A
/// macro, not a function: the same statements for either backend's transaction.
macro_rules! check_host_room {
    ($tx:expr, $extra:expr) => {{
        let hosts: Vec<$crate::storage::HostRow> =
            sqlx::query_as($crate::storage::hosts::ALL_HOSTS).fetch_all(&mut *$tx).await?;
        let limits: Vec<_> = hosts.iter().map($crate::storage::HostRow::limit).collect();
        let used: i64 = sqlx::query_scalar($crate::storage::hosts::WANTED).fetch_one(&mut *$tx).await?;
        $crate::host::check_room(&limits, used, $extra)?;
    }};
}

impl Storage {
    /// Adds host `name` at `uri`, or updates the URI of the one there is (its capacity
    /// and draining stay).
    pub async fn register_host(&self, name: &str, uri: &str, now: i64) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO hosts (name, uri, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET uri = excluded.uri",
            )
            .bind(name)
            .bind(uri)
            .bind(now)
            .execute(pool)
            .await?;
            self.touched();
            Ok(())
        })
    }

    /// Every host, by name.
    pub async fn hosts(&self) -> Result<Vec<HostRow>> {
        with_pool!(self, |pool| Ok(sqlx::query_as(ALL_HOSTS).fetch_all(pool).await?))
    }

    /// Sets host `name`'s capacity; false if there is no such host.
    pub async fn set_host_capacity(&self, name: &str, capacity: Option<i64>) -> Result<bool> {
        with_pool!(self, |pool| {
            let done = sqlx::query("UPDATE hosts SET capacity = $1 WHERE name = $2")
                .bind(capacity)
                .bind(name)
                .execute(pool)
                .await?;
            Ok(self.touched_if(done.rows_affected() == 1))
        })
    }

    /// Drains host `name` or opens it again; false if there is no such host.
    pub async fn set_host_draining(&self, name: &str, draining: bool) -> Result<bool> {
        with_pool!(self, |pool| {
            let done = sqlx::query("UPDATE hosts SET draining = $1 WHERE name = $2")
                .bind(draining)
                .bind(name)
                .execute(pool)
                .await?;
            Ok(self.touched_if(done.rows_affected() == 1))
        })
    }

    /// The segments every cluster wants.
    pub async fn cluster_segments_wanted(&self) -> Result<i64> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar(WANTED).fetch_one(pool).await?))
    }
}
