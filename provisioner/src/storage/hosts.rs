//! The `hosts` table: the libvirt hosts segments run on, and what each may hold (see
//! `host.rs` for what that means).

use sqlx::FromRow;

use super::{Storage, WriteTransactions};
use crate::error::Result;

/// A host as stored.
#[derive(Clone, Debug, FromRow)]
pub struct HostRow {
    pub name: String,
    pub uri: String,
    pub capacity: Option<i64>,
    pub draining: bool,
    pub created_at: i64,
    /// Since when its libvirt has not answered the probes (Unix ms); `None`: it answers.
    pub unreachable_since: Option<i64>,
}

impl HostRow {
    /// What limits its segments.
    pub fn limit(&self) -> crate::host::HostLimit {
        crate::host::HostLimit {
            capacity: self.capacity,
            draining: self.draining,
            unreachable: self.unreachable_since.is_some(),
        }
    }
}

impl From<HostRow> for crate::host::HostView {
    fn from(row: HostRow) -> Self {
        crate::host::HostView {
            capacity: row.capacity.map(|c| c as u32),
            draining: row.draining,
            unreachable_since: row.unreachable_since,
            segments: 0,
            name: row.name,
            uri: row.uri,
        }
    }
}

/// Every host, by name.
pub(super) const ALL_HOSTS: &str =
    "SELECT name, uri, capacity, draining, created_at, unreachable_since FROM hosts ORDER BY name";
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

/// The host a new segment goes to ([`crate::host::choose_host`]), read within
/// transaction `$tx`; `$cluster_id` (an `Option<&str>`) is the cluster it is for, none for
/// a warm segment. A macro for the same reason as [`check_host_room!`].
macro_rules! choose_host {
    ($tx:expr, $cluster_id:expr) => {{
        let cluster_id: Option<&str> = $cluster_id;
        let hosts: Vec<$crate::storage::HostRow> =
            sqlx::query_as($crate::storage::hosts::ALL_HOSTS).fetch_all(&mut *$tx).await?;
        let placed: Vec<(String, String)> = sqlx::query_as($crate::storage::hosts::PLACED).fetch_all(&mut *$tx).await?;
        $crate::storage::hosts::choose(&hosts, &placed, cluster_id.unwrap_or(""))
    }};
}
pub(super) use choose_host;

/// Every segment's host and cluster (`''` for a warm one).
pub(super) const PLACED: &str = "SELECT host, cluster_id FROM segments
     UNION ALL SELECT host, '' FROM pool_segments";

/// [`crate::host::choose_host`] over the stored hosts, given every segment's (host,
/// cluster) and the cluster asking (`''`: a warm segment, which counts as no cluster's).
pub(super) fn choose(hosts: &[HostRow], placed: &[(String, String)], cluster_id: &str) -> String {
    let loads: Vec<crate::host::HostLoad> = hosts
        .iter()
        .map(|h| crate::host::HostLoad {
            name: h.name.clone(),
            limit: h.limit(),
            segments: placed.iter().filter(|(host, _)| host == &h.name).count() as i64,
            of_cluster: placed.iter().filter(|(host, c)| host == &h.name && !c.is_empty() && c == cluster_id).count()
                as i64,
        })
        .collect();
    crate::host::choose_host(&loads)
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

    /// Adds host `name` at `uri` with `capacity`; false if a host has that name.
    pub async fn add_host(&self, name: &str, uri: &str, capacity: Option<i64>, now: i64) -> Result<bool> {
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "INSERT INTO hosts (name, uri, capacity, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(uri)
            .bind(capacity)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(self.touched_if(done.rows_affected() == 1))
        })
    }

    /// Forgets host `name` unless a segment (of a cluster, or warm) is on it, in one
    /// transaction, so that placement never puts one on a host being removed. Returns
    /// how many segments it holds (then it stays), `None` if there is no such host.
    pub async fn remove_host(&self, name: &str) -> Result<Option<i64>> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let on_it: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM segments WHERE host = $1) + (SELECT COUNT(*) FROM pool_segments WHERE host = $1)
                      + (SELECT COUNT(*) FROM stranded_segments WHERE host = $1)",
            )
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
            if on_it > 0 {
                let known: Option<String> = sqlx::query_scalar("SELECT name FROM hosts WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Ok(known.map(|_| on_it));
            }
            let done = sqlx::query("DELETE FROM hosts WHERE name = $1").bind(name).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(self.touched_if(done.rows_affected() == 1).then_some(0))
        })
    }

    /// Records whether host `name`'s libvirt answered a probe: it is unreachable from `now`
    /// on (the first failure kept) until one answers. Returns whether that changed.
    pub async fn set_host_reachable(&self, name: &str, reachable: bool, now: i64) -> Result<bool> {
        with_pool!(self, |pool| {
            let done = match reachable {
                true => {
                    sqlx::query(
                        "UPDATE hosts SET unreachable_since = NULL WHERE name = $1 AND unreachable_since IS NOT NULL",
                    )
                    .bind(name)
                    .execute(pool)
                    .await?
                }
                false => {
                    sqlx::query("UPDATE hosts SET unreachable_since = $1 WHERE name = $2 AND unreachable_since IS NULL")
                        .bind(now)
                        .bind(name)
                        .execute(pool)
                        .await?
                }
            };
            Ok(self.touched_if(done.rows_affected() == 1))
        })
    }

    /// How many segments (of clusters, and warm) each host that has any holds.
    pub async fn segments_per_host(&self) -> Result<Vec<(String, i64)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT host, CAST(COUNT(*) AS BIGINT) FROM (SELECT host FROM segments UNION ALL SELECT host FROM pool_segments) AS placed GROUP BY host",
            )
            .fetch_all(pool)
            .await?)
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
