//! The warm pool's rows: segments started ahead of demand, and the one transaction that
//! hands one to a cluster.

use std::net::Ipv4Addr;

use super::segments::{free_address, insert_segment, AddressPool, SegmentRow};
use super::{Storage, WriteTransactions};
use crate::error::{Error, Result};

/// Where a pooled segment is in its life. Stored as its lower-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolState {
    /// Its domain is being started (a row left in this state by a crash is removed).
    Starting,
    /// Started, Docker answering, base image loaded, isolated from everything: ready to
    /// be handed out.
    Ready,
}

impl PoolState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PoolState::Starting => "starting",
            PoolState::Ready => "ready",
        }
    }
}

/// How a stored name is read back.
impl TryFrom<String> for PoolState {
    type Error = Error;

    fn try_from(name: String) -> Result<Self> {
        match name.as_str() {
            "starting" => Ok(PoolState::Starting),
            "ready" => Ok(PoolState::Ready),
            _ => Err(Error::Invalid(format!("unknown warm segment state {name:?}"))),
        }
    }
}

/// One pooled segment.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PoolRow {
    pub domain: String,
    pub address: String,
    #[sqlx(try_from = "String")]
    pub state: PoolState,
    pub created_at: i64,
    pub updated_at: i64,
    /// The swarm id of its group (the swarm warm segments formed among themselves); `None`
    /// while it is started, or regrouped.
    pub swarm_group: Option<String>,
    /// A member of its group was handed out alone (or removed): the group is never handed
    /// out whole, and the filler regroups what is left.
    pub broken: bool,
    /// The host it runs on (a name in `hosts`).
    pub host: String,
}

/// A group of warm segments that one more segment may join: ready, whole, not full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenGroup {
    pub swarm: String,
    /// Its members' domains and addresses, oldest first.
    pub members: Vec<(String, Ipv4Addr)>,
}

/// A segment handed from the pool to a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakenSegment {
    pub domain: String,
    pub address: Ipv4Addr,
    /// The pool's swarm the segment must leave (see [`SegmentRow::leave_swarm`]).
    pub leave_swarm: Option<String>,
    /// The host it runs on.
    pub host: String,
}

impl Storage {
    /// Records a new pooled segment (`starting`) with a free address, on the host placement
    /// chooses; returns the address and the host.
    pub async fn insert_pool_segment(
        &self,
        domain: &str,
        address_pool: AddressPool,
        now: i64,
    ) -> Result<(Ipv4Addr, String)> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let address = free_address!(tx, address_pool);
            let host = super::hosts::choose_host!(tx, None);
            sqlx::query(
                "INSERT INTO pool_segments (domain, address, state, created_at, updated_at, host)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(domain)
            .bind(address.to_string())
            .bind(PoolState::Starting.as_str())
            .bind(now)
            .bind(now)
            .bind(&host)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok((address, host))
        })
    }

    /// Marks a pooled segment ready to be handed out, as a member of `swarm_group` (none:
    /// a single, in no swarm).
    pub async fn set_pool_segment_ready(&self, domain: &str, swarm_group: Option<&str>, now: i64) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE pool_segments SET state = $1, swarm_group = $2, broken = FALSE, updated_at = $3 WHERE domain = $4",
            )
            .bind(PoolState::Ready.as_str())
            .bind(swarm_group)
            .bind(now)
            .bind(domain)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Moves a ready pooled segment back to `starting` (it is being regrouped, and cannot be
    /// handed out meanwhile). Returns false when it is no longer ready in the pool (taken).
    pub async fn reserve_pool_segment(&self, domain: &str, now: i64) -> Result<bool> {
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE pool_segments SET state = $1, swarm_group = NULL, broken = FALSE, updated_at = $2 WHERE domain = $3 AND state = $4",
            )
            .bind(PoolState::Starting.as_str())
            .bind(now)
            .bind(domain)
            .bind(PoolState::Ready.as_str())
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Every pooled segment, oldest first.
    pub async fn pool_segments(&self) -> Result<Vec<PoolRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT * FROM pool_segments ORDER BY created_at, domain").fetch_all(pool).await?)
        })
    }

    /// Forgets a pooled segment (after its domain was removed). The rest of its group is
    /// broken: their swarm counts a node that is gone.
    pub async fn delete_pool_segment(&self, domain: &str) -> Result<()> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let group: Option<Option<String>> =
                sqlx::query_scalar("SELECT swarm_group FROM pool_segments WHERE domain = $1")
                    .bind(domain)
                    .fetch_optional(&mut *tx)
                    .await?;
            sqlx::query("DELETE FROM pool_segments WHERE domain = $1").bind(domain).execute(&mut *tx).await?;
            if let Some(Some(group)) = group {
                break_group!(tx, &group);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The group `domain` (a segment being started) may join, if any, recorded as its group
    /// in the same transaction: a group it counts in is never handed out whole while it
    /// starts. A group is open when it is not broken, has fewer than `size` members and
    /// all of them are ready.
    pub async fn join_open_group(&self, domain: &str, size: usize) -> Result<Option<OpenGroup>> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let rows: Vec<PoolRow> =
                sqlx::query_as("SELECT * FROM pool_segments ORDER BY created_at, domain").fetch_all(&mut *tx).await?;
            let open = groups(&rows).into_iter().find(|(_, members)| {
                members.len() < size
                    && members.iter().all(|m| m.state == PoolState::Ready && !m.broken && m.domain != domain)
            });
            let Some((swarm, members)) = open else { return Ok(None) };
            sqlx::query("UPDATE pool_segments SET swarm_group = $1 WHERE domain = $2")
                .bind(&swarm)
                .bind(domain)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            let members = members.iter().filter_map(|m| Some((m.domain.clone(), m.address.parse().ok()?))).collect();
            Ok(Some(OpenGroup { swarm, members }))
        })
    }

    /// Whether `domain` is still a ready, unbroken member of `swarm_group` in the pool.
    pub async fn is_pool_member(&self, domain: &str, swarm_group: &str) -> Result<bool> {
        with_pool!(self, |pool| {
            let found: Option<String> = sqlx::query_scalar(
                "SELECT domain FROM pool_segments WHERE domain = $1 AND swarm_group = $2 AND state = $3 AND broken = FALSE",
            )
            .bind(domain)
            .bind(swarm_group)
            .bind(PoolState::Ready.as_str())
            .fetch_optional(pool)
            .await?;
            Ok(found.is_some())
        })
    }

    /// Whether the group `domain` was recorded in is still whole (not broken).
    pub async fn pool_segment_unbroken(&self, domain: &str) -> Result<bool> {
        with_pool!(self, |pool| {
            let broken: Option<bool> = sqlx::query_scalar("SELECT broken FROM pool_segments WHERE domain = $1")
                .bind(domain)
                .fetch_optional(pool)
                .await?;
            Ok(broken == Some(false))
        })
    }

    /// Hands ready pooled segments to `rows` (new segments of one cluster) in one
    /// transaction: the pool rows go, and the segment rows are inserted with their domains
    /// and addresses (the rows' own `address`, `domain` and `leave_swarm` are ignored).
    /// A group of exactly as many ready members is handed out whole, swarm and all;
    /// otherwise the oldest ready segments, singles first, each told to leave its group's
    /// swarm unless the whole group goes to this cluster. Returns what the first rows got,
    /// in order: fewer than `rows` when the pool runs short.
    pub async fn take_pool_segments(&self, rows: &[SegmentRow]) -> Result<Vec<TakenSegment>> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let pool: Vec<PoolRow> =
                sqlx::query_as("SELECT * FROM pool_segments ORDER BY created_at, domain").fetch_all(&mut *tx).await?;
            let chosen = choose(&pool, rows.len());
            let mut taken = Vec::new();
            for (row, pooled) in rows.iter().zip(&chosen) {
                let Ok(address) = pooled.address.parse::<Ipv4Addr>() else { break };
                let whole_group = |group: &String| {
                    pool.iter().filter(|p| p.swarm_group.as_ref() == Some(group)).all(|p| chosen.contains(&p))
                };
                let leave_swarm = pooled.swarm_group.clone().filter(|g| pooled.broken || !whole_group(g));
                sqlx::query("DELETE FROM pool_segments WHERE domain = $1")
                    .bind(&pooled.domain)
                    .execute(&mut *tx)
                    .await?;
                let row = SegmentRow { leave_swarm: leave_swarm.clone(), ..row.clone() };
                insert_segment!(tx, &row, address, Some(pooled.domain.as_str()), &pooled.host);
                if let Some(group) = &leave_swarm {
                    break_group!(tx, group);
                }
                taken.push(TakenSegment {
                    domain: pooled.domain.clone(),
                    address,
                    leave_swarm,
                    host: pooled.host.clone(),
                });
            }
            tx.commit().await?;
            if !taken.is_empty() {
                self.touched();
            }
            Ok(taken)
        })
    }
}

/// The pool's rows by group (rows without a group left out), oldest group first.
fn groups(rows: &[PoolRow]) -> Vec<(String, Vec<&PoolRow>)> {
    let mut groups: Vec<(String, Vec<&PoolRow>)> = Vec::new();
    for row in rows {
        let Some(group) = &row.swarm_group else { continue };
        match groups.iter_mut().find(|(g, _)| g == group) {
            Some((_, members)) => members.push(row),
            None => groups.push((group.clone(), vec![row])),
        }
    }
    groups
}

/// Which pooled segments `wanted` new segments get: a whole group of exactly that many
/// ready members if there is one, else the ready ones that are alone in their group (or in
/// none), then members of whole groups, oldest first; never what is left of a broken group.
fn choose(pool: &[PoolRow], wanted: usize) -> Vec<&PoolRow> {
    let whole = groups(pool).into_iter().find(|(_, members)| {
        members.len() == wanted && members.iter().all(|m| m.state == PoolState::Ready && !m.broken)
    });
    if let Some((_, members)) = whole {
        return members;
    }
    // Not what is left of a broken group: cut off from the members that went, it may have
    // lost its swarm's quorum, and a manager without one takes tens of seconds to leave;
    // a cold segment is faster. The filler regroups them.
    let ready = pool.iter().filter(|p| p.state == PoolState::Ready && !p.broken);
    let alone = |p: &PoolRow| {
        p.swarm_group.as_ref().is_none_or(|g| pool.iter().filter(|q| q.swarm_group.as_ref() == Some(g)).count() == 1)
    };
    let (first, rest): (Vec<&PoolRow>, Vec<&PoolRow>) = ready.partition(|p| alone(p));
    first.into_iter().chain(rest).take(wanted).collect()
}

/// Marks what is left of a group broken, in transaction `$tx` (a macro for either
/// backend's, like [`insert_segment!`]).
macro_rules! break_group {
    ($tx:expr, $group:expr) => {{
        let group: &str = $group;
        sqlx::query("UPDATE pool_segments SET broken = TRUE WHERE swarm_group = $1")
            .bind(group)
            .execute(&mut *$tx)
            .await?;
    }};
}
use break_group;
