//! The `segments` table, including the allocation of their addresses.

use std::net::Ipv4Addr;

use sqlx::FromRow;

use super::{Storage, WriteTransactions};
use crate::error::{Error, Result};
use crate::segment::SegmentStatus;

/// A segment as stored.
#[derive(Clone, Debug, FromRow)]
pub struct SegmentRow {
    pub id: String,
    pub cluster_id: String,
    pub ordinal: i64,
    pub name: String,
    pub address: String,
    pub generation: i64,
    #[sqlx(try_from = "String")]
    pub state: SegmentStatus,
    pub state_reason: Option<String>,
    pub cert_pem: String,
    pub key_pem: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The libvirt domain when it is not named like the segment (one taken from the warm
    /// pool: a running domain cannot be renamed).
    pub domain: Option<String>,
    /// The warm pool's swarm this segment came with and must leave: one shared with
    /// segments that are not the cluster's (a group it was taken from alone).
    pub leave_swarm: Option<String>,
    /// The host it runs on (a name in `hosts`).
    pub host: String,
}

impl SegmentRow {
    /// The libvirt domain of this segment: what the segment driver and the host know it by.
    pub fn domain(&self) -> &str {
        self.domain.as_deref().unwrap_or(&self.name)
    }
}

/// The addresses segments may have: the hosts of the bridge's subnet, except the bridge's
/// own address (the gateway).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressPool {
    pub gateway: Ipv4Addr,
    pub prefix_len: u8,
}

impl AddressPool {
    /// The candidate addresses, lowest first.
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        let bits = u32::from(self.prefix_len.min(30));
        let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
        let network = u32::from(self.gateway) & mask;
        let broadcast = network | !mask;
        ((network + 1)..broadcast).map(Ipv4Addr::from).filter(move |a| *a != self.gateway)
    }
}

impl Storage {
    /// Inserts a segment with the lowest address of `pool` that no segment uses, on the
    /// host placement chooses ([`crate::host::choose_host`]); the row's own `address` and
    /// `host` are ignored, its `domain` kept (none: named like the segment). Addresses are only freed by deleting the segment row, so an
    /// address is never handed to two segments at once. Returns the address and the host.
    pub async fn insert_segment_with_address(
        &self,
        row: &SegmentRow,
        address_pool: AddressPool,
    ) -> Result<(Ipv4Addr, String)> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let address = free_address!(tx, address_pool);
            let host = super::hosts::choose_host!(tx, Some(row.cluster_id.as_str()));
            insert_segment!(tx, row, address, row.domain.as_deref(), &host);
            tx.commit().await?;
            self.touched();
            Ok((address, host))
        })
    }
}

/// Inserts `row` into transaction `$tx` with `$address`, `$domain` and `$host` (the row's
/// own are ignored). A macro, not a function: the same statement for either backend's
/// transaction (see [`with_pool!`]).
macro_rules! insert_segment {
    ($tx:expr, $row:expr, $address:expr, $domain:expr, $host:expr) => {{
        let row: &SegmentRow = $row;
        let domain: Option<&str> = $domain;
        let host: &str = $host;
        sqlx::query(
            "INSERT INTO segments (id, cluster_id, ordinal, name, address, generation, state, state_reason,
                                   cert_pem, key_pem, created_at, updated_at, domain, leave_swarm, host)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&row.id)
        .bind(&row.cluster_id)
        .bind(row.ordinal)
        .bind(&row.name)
        .bind($address.to_string())
        .bind(row.generation)
        .bind(row.state.as_str())
        .bind(&row.state_reason)
        .bind(&row.cert_pem)
        .bind(&row.key_pem)
        .bind(row.created_at)
        .bind(row.updated_at)
        .bind(domain)
        .bind(&row.leave_swarm)
        .bind(host)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(super) use insert_segment;

/// The lowest address of `$pool` (an [`AddressPool`]) that neither a segment nor a pooled
/// segment has, read in transaction `$tx`. A macro for the same reason as
/// [`insert_segment!`].
macro_rules! free_address {
    ($tx:expr, $pool:expr) => {{
        let used: Vec<String> = sqlx::query_scalar(
            "SELECT address FROM segments UNION SELECT address FROM pool_segments
                 UNION SELECT address FROM stranded_segments",
        )
        .fetch_all(&mut *$tx)
        .await?;
        $crate::storage::segments::lowest_unused(&$pool, &used)?
    }};
}
pub(super) use free_address;

/// The lowest address of `pool` not in `used`.
pub(super) fn lowest_unused(pool: &AddressPool, used: &[String]) -> Result<Ipv4Addr> {
    pool.hosts().find(|a| !used.iter().any(|u| u == &a.to_string())).ok_or_else(|| {
        Error::Conflict("The service has no free segment addresses left. Please contact an operator.".into())
    })
}

impl Storage {
    /// A cluster's segments by ordinal.
    pub async fn segments_of(&self, cluster_id: &str) -> Result<Vec<SegmentRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM segments WHERE cluster_id = $1 ORDER BY ordinal")
                .bind(cluster_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Sets a segment's observed state and its reason. Returns whether it changed.
    pub async fn set_segment_state(
        &self,
        id: &str,
        state: SegmentStatus,
        reason: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE segments SET state = $1, state_reason = $2, updated_at = $3
                 WHERE id = $4 AND (state IS DISTINCT FROM $5 OR state_reason IS DISTINCT FROM $6)",
            )
            .bind(state.as_str())
            .bind(reason)
            .bind(now)
            .bind(id)
            .bind(state.as_str())
            .bind(reason)
            .execute(pool)
            .await?;
            Ok(self.touched_if(done.rows_affected() == 1))
        })
    }

    /// Marks a segment as belonging to a new generation (after a rebuild replaced it).
    pub async fn set_segment_generation(&self, id: &str, generation: i64, now: i64) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE segments SET generation = $1, updated_at = $2 WHERE id = $3")
                .bind(generation)
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?;
            self.touched();
            Ok(())
        })
    }

    /// Records that a segment has left the warm pool's swarm it came with (it is in its
    /// cluster's now).
    pub async fn swarm_left(&self, id: &str) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE segments SET leave_swarm = NULL WHERE id = $1 AND leave_swarm IS NOT NULL")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Stores a segment's server certificate and key.
    pub async fn set_segment_cert(&self, id: &str, cert_pem: &str, key_pem: &str, now: i64) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE segments SET cert_pem = $1, key_pem = $2, updated_at = $3 WHERE id = $4")
                .bind(cert_pem)
                .bind(key_pem)
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Forgets a segment, freeing its address.
    pub async fn delete_segment(&self, id: &str) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM segments WHERE id = $1").bind(id).execute(pool).await?;
            self.touched();
            Ok(())
        })
    }

    /// The host the segment (of a cluster or warm) with libvirt domain `domain` runs on;
    /// `None` for a domain the database does not know.
    pub async fn host_of_domain(&self, domain: &str) -> Result<Option<String>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT host FROM segments WHERE COALESCE(domain, name) = $1
                 UNION ALL SELECT host FROM pool_segments WHERE domain = $1",
            )
            .bind(domain)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Every segment name this database knows (to tell orphans on the host).
    pub async fn all_segment_domains(&self) -> Result<Vec<String>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT COALESCE(domain, name) FROM segments UNION ALL SELECT domain FROM pool_segments
                 UNION ALL SELECT domain FROM stranded_segments",
            )
            .fetch_all(pool)
            .await?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_skips_network_gateway_and_broadcast() {
        let pool = AddressPool { gateway: Ipv4Addr::new(10, 213, 0, 1), prefix_len: 24 };
        let hosts: Vec<_> = pool.hosts().collect();
        assert_eq!(hosts.first(), Some(&Ipv4Addr::new(10, 213, 0, 2)));
        assert_eq!(hosts.last(), Some(&Ipv4Addr::new(10, 213, 0, 254)));
        assert_eq!(hosts.len(), 253);
    }
}
