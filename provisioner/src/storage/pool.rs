//! The warm pool's rows: segments started ahead of demand, and the one transaction that
//! hands one to a cluster.

use std::net::Ipv4Addr;

use super::segments::{free_address, insert_segment, AddressPool, SegmentRow};
use super::Storage;
use crate::error::Result;

/// Where a pooled segment is in its life. Stored as its lower-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "lowercase")]
pub enum PoolState {
    /// Its domain is being started (a row left in this state by a crash is removed).
    Starting,
    /// Started, Docker answering, base image loaded, isolated from everything: ready to
    /// be handed out.
    Ready,
}

/// One pooled segment.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PoolRow {
    pub domain: String,
    pub address: String,
    pub state: PoolState,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Storage {
    /// Records a new pooled segment (`starting`) with a free address; returns the address.
    pub async fn insert_pool_segment(&self, domain: &str, pool: AddressPool, now: i64) -> Result<Ipv4Addr> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let address = free_address(&mut tx, pool).await?;
        sqlx::query(
            "INSERT INTO pool_segments (domain, address, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(domain)
        .bind(address.to_string())
        .bind(PoolState::Starting)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(address)
    }

    /// Marks a pooled segment ready to be handed out.
    pub async fn set_pool_segment_ready(&self, domain: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE pool_segments SET state = ?, updated_at = ? WHERE domain = ?")
            .bind(PoolState::Ready)
            .bind(now)
            .bind(domain)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every pooled segment, oldest first.
    pub async fn pool_segments(&self) -> Result<Vec<PoolRow>> {
        Ok(sqlx::query_as("SELECT * FROM pool_segments ORDER BY created_at, domain").fetch_all(self.pool()).await?)
    }

    /// Forgets a pooled segment (after its domain was removed).
    pub async fn delete_pool_segment(&self, domain: &str) -> Result<()> {
        sqlx::query("DELETE FROM pool_segments WHERE domain = ?").bind(domain).execute(self.pool()).await?;
        Ok(())
    }

    /// Hands the oldest ready pooled segment to `row` in one transaction: the pool row goes,
    /// and the segment row is inserted with that domain and address (the row's own
    /// `address` and `domain` are ignored). `None` when no pooled segment is ready.
    pub async fn take_pool_segment(&self, row: &SegmentRow) -> Result<Option<(String, Ipv4Addr)>> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let taken: Option<(String, String)> = sqlx::query_as(
            "SELECT domain, address FROM pool_segments WHERE state = ? ORDER BY created_at, domain LIMIT 1",
        )
        .bind(PoolState::Ready)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((domain, address)) = taken else { return Ok(None) };
        let Ok(parsed) = address.parse::<Ipv4Addr>() else { return Ok(None) };
        sqlx::query("DELETE FROM pool_segments WHERE domain = ?").bind(&domain).execute(&mut *tx).await?;
        insert_segment(&mut tx, row, parsed, Some(&domain)).await?;
        tx.commit().await?;
        self.touched();
        Ok(Some((domain, parsed)))
    }
}
