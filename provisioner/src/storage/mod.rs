//! All SQL lives here, one file per table group. Two backends run the same statements:
//! SQLite (the embedded default) and PostgreSQL (for several panel replicas). The SQL is
//! written in what both read: parameters `$1`, `$2`, ...; `IS DISTINCT FROM`; `TRUE` and
//! `FALSE`; `lower(email)` for a comparison without letter case. Each method's body is
//! compiled once per backend by [`with_pool!`], so both keep their native types and
//! neither pays for a dynamic driver.

/// Runs `$body` with `$pool` bound to the storage's pool: a `&SqlitePool` or a `&PgPool`.
/// The body is compiled once for each, so it may use anything both backends implement.
macro_rules! with_pool {
    ($storage:expr, |$pool:ident| $body:expr) => {
        match &$storage.backend {
            $crate::storage::Backend::Sqlite($pool) => $body,
            $crate::storage::Backend::Postgres($pool) => $body,
        }
    };
}

mod accounts;
mod announcements;
mod api_keys;
mod bundles;
// Before `clusters`: its transactions check the hosts' room with this module's macro.
#[macro_use]
mod hosts;
mod clusters;
mod control_plane;
mod events;
mod leases;
mod other_writers;
mod pool;
mod segments;
mod sessions;
mod sign_in_attempts;
mod stranded;

pub use accounts::AccountRow;
pub(crate) use announcements::{send_in_background, CHANGED};
pub use announcements::{settle_announcements, Announcements};
pub use api_keys::ApiKeyRow;
pub use bundles::BundleRow;
pub use clusters::{ClusterRow, Generation, Transition};
pub use events::{ActorColumns, AuditRow, EventRow};
pub use hosts::HostRow;
pub use pool::{OpenGroup, PoolRow, PoolState, TakenSegment};
pub use segments::{AddressPool, SegmentRow};
pub use sessions::SessionRow;
pub use stranded::StrandedRow;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use tokio::sync::watch;

use crate::error::{Error, Result};

/// The SQLite migrations (`migrations/sqlite`), embedded at compile time.
static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");
/// The PostgreSQL migrations (`migrations/postgres`), embedded at compile time.
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// The key of the PostgreSQL advisory lock every write transaction takes first (see
/// [`WriteTransactions`]); any fixed number no other program on the database uses.
const POSTGRES_WRITE_LOCK: i64 = 0x6361_7269_6e61; // "carina"

/// The database engine behind a [`Storage`], with its pool of connections.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database: a pool of connections to SQLite or PostgreSQL, with the schema migrated.
#[derive(Clone, Debug)]
pub struct Storage {
    backend: Backend,
    /// Counts the writes that pages show (clusters, segments, history, bundles, quotas),
    /// so that live pages and models wake on a change instead of polling.
    changes: Arc<watch::Sender<u64>>,
    /// Tags this process's announcements to other replicas, so it skips its own.
    origin: Arc<str>,
}

impl Storage {
    /// Opens the database a URL names, applying pending migrations:
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST:PORT/DATABASE`.
    pub async fn connect(url: &str) -> Result<Self> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Self::open(Path::new(path)).await;
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool =
                PgPoolOptions::new().max_connections(8).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            POSTGRES_MIGRATOR.run(&pool).await?;
            return Ok(Self::with_backend(Backend::Postgres(pool)));
        }
        Err(Error::Invalid(format!(
            "the database URL must start with sqlite:// or postgres://, not {:?}",
            url.split("://").next().unwrap_or(url)
        )))
    }

    /// Opens (creating if needed) an SQLite database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // WAL lets the panel read while the reconciler writes.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // No ping before handing out a connection: the database is a local file, not a
        // server that can drop it, and each ping is a round trip to the connection's thread.
        let pool = SqlitePoolOptions::new().max_connections(8).test_before_acquire(false).connect_with(options).await?;
        Self::migrated_sqlite(pool).await
    }

    /// A fresh, migrated, private in-memory SQLite database (for tests).
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection: every connection to ":memory:" would be a separate database.
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        Self::migrated_sqlite(pool).await
    }

    async fn migrated_sqlite(pool: SqlitePool) -> Result<Self> {
        SQLITE_MIGRATOR.run(&pool).await?;
        Ok(Self::with_backend(Backend::Sqlite(pool)))
    }

    fn with_backend(backend: Backend) -> Self {
        let origin = uuid::Uuid::new_v4().simple().to_string().into();
        Self { backend, changes: Arc::new(watch::Sender::new(0)), origin }
    }

    /// Whether other servers may share this database (PostgreSQL): then what one does,
    /// the others are told (see `replicas.rs`).
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Which engine this is: `"sqlite"` or `"postgres"`.
    pub fn engine(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Rewrites the stored clusters and drops old row versions, so that overwritten values
    /// (plaintext keys before they were sealed) do not linger in free pages or in SQLite's
    /// write-ahead log. (PostgreSQL recycles its own log.)
    pub async fn scrub(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query("VACUUM").execute(pool).await?;
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await?;
            }
            Backend::Postgres(pool) => {
                sqlx::query("VACUUM FULL clusters").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Runs a trivial query: whether the database answers (the readiness check).
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Writes a consistent copy of the whole SQLite database to `path` (`VACUUM INTO`),
    /// while others go on reading and writing. `path` must not exist yet. A PostgreSQL
    /// database is backed up with its own tools.
    pub async fn backup_to(&self, path: &Path) -> Result<()> {
        let target = path.to_str().ok_or_else(|| Error::Invalid(format!("{} is not UTF-8", path.display())))?;
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query("VACUUM INTO $1").bind(target).execute(pool).await?;
                Ok(())
            }
            Backend::Postgres(_) => Err(Error::Invalid(
                "this server stores its data in PostgreSQL: back it up with pg_dump (or the database's own backups)"
                    .into(),
            )),
        }
    }

    /// Closes every connection; later calls fail (for tests of a database going away).
    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await)
    }

    /// The SQLite pool, when that is the backend (for tests that look at the file).
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.backend {
            Backend::Sqlite(pool) => Some(pool),
            Backend::Postgres(_) => None,
        }
    }

    /// Changes whenever something a page shows was written: in this process (the
    /// reconciler, the panel and the API share one `Storage`), or by another replica.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Wakes this process's pages and models, and tells the other replicas to wake theirs.
    fn touched(&self) {
        self.touched_elsewhere();
        if self.is_shared() {
            let storage = self.clone();
            announcements::send_in_background(async move {
                if let Err(err) = storage.announce(announcements::CHANGED).await {
                    tracing::debug!(error = %err, "could not tell the other replicas of a change");
                }
            });
        }
    }

    /// Wakes this process's pages and models for a change another replica made.
    pub fn touched_elsewhere(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// [`Storage::touched`] if a write `changed` something; returns `changed`.
    fn touched_if(&self, changed: bool) -> bool {
        if changed {
            self.touched();
        }
        changed
    }
}

/// Write transactions that hold the database's write lock from their first statement, so
/// that what they read (a quota, the free addresses and ports, a bucket's count) is still
/// true when they write: SQLite's `BEGIN IMMEDIATE`, and on PostgreSQL one advisory lock
/// taken first in each (the same serialisation; these transactions are short and few).
pub(crate) trait WriteTransactions {
    type Database: sqlx::Database;

    /// Begins a write transaction, waiting for the write lock.
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Database>>;
}

impl WriteTransactions for SqlitePool {
    type Database = Sqlite;

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl WriteTransactions for PgPool {
    type Database = Postgres;

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(POSTGRES_WRITE_LOCK).execute(&mut *tx).await?;
        Ok(tx)
    }
}

/// Whether an error is a violation of a UNIQUE constraint (a taken name or email).
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}
