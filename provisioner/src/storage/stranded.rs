//! The `stranded_segments` table: segments taken off their cluster (by a rebuild or a
//! delete) while their host did not answer. Each still has a domain to remove on that host
//! and keeps its address from every new segment until the reconciler has removed it.

use sqlx::FromRow;

use super::{PoolRow, SegmentRow, Storage, WriteTransactions};
use crate::error::Result;

/// A segment waiting for its host to come back.
#[derive(Clone, Debug, FromRow)]
pub struct StrandedRow {
    pub domain: String,
    pub host: String,
    pub address: String,
    pub since: i64,
}

/// Records a segment stranded on its host: `(domain, host, address, since)`; a second
/// record of the same domain changes nothing.
const STRAND: &str = "INSERT INTO stranded_segments (domain, host, address, since) VALUES ($1, $2, $3, $4)
     ON CONFLICT (domain) DO NOTHING";

impl Storage {
    /// Takes `segment` off its cluster and records it stranded on its host, in one
    /// transaction: its address stays taken.
    pub async fn strand_segment(&self, segment: &SegmentRow, now: i64) -> Result<()> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(STRAND)
                .bind(segment.domain())
                .bind(&segment.host)
                .bind(&segment.address)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM segments WHERE id = $1").bind(&segment.id).execute(&mut *tx).await?;
            tx.commit().await?;
            self.touched();
            Ok(())
        })
    }

    /// Takes a warm segment out of the pool and records it stranded on its host. Two
    /// steps, each idempotent: in between, the address is taken twice over.
    pub async fn strand_pool_segment(&self, row: &PoolRow, now: i64) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(STRAND).bind(&row.domain).bind(&row.host).bind(&row.address).bind(now).execute(pool).await?;
        });
        self.delete_pool_segment(&row.domain).await
    }

    /// Every stranded segment, oldest first.
    pub async fn stranded_segments(&self) -> Result<Vec<StrandedRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM stranded_segments ORDER BY since, domain").fetch_all(pool).await?)
        })
    }

    /// Forgets a stranded segment once its host has removed it, freeing its address.
    pub async fn delete_stranded(&self, domain: &str) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM stranded_segments WHERE domain = $1").bind(domain).execute(pool).await?;
            self.touched();
            Ok(())
        })
    }
}
