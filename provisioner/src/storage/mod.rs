//! All SQL lives here, one file per table group, so that a second backend (Postgres)
//! stays a matter of this module only. Parameters are written `$1`, `$2`, ..., which
//! SQLite and PostgreSQL both read.

mod accounts;
mod api_keys;
mod bundles;
mod clusters;
mod events;
mod pool;
mod segments;
mod sessions;
mod sign_in_attempts;

pub use accounts::AccountRow;
pub use api_keys::ApiKeyRow;
pub use bundles::BundleRow;
pub use clusters::{ClusterRow, Generation, Transition};
pub use events::{ActorColumns, AuditRow, EventRow};
pub use pool::{OpenGroup, PoolRow, PoolState, TakenSegment};
pub use segments::{AddressPool, SegmentRow};
pub use sessions::SessionRow;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use tokio::sync::watch;

use crate::error::Result;

/// The migrations in the workspace's `migrations/` folder, embedded at compile time.
static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// The database: a pool of SQLite connections with the schema migrated.
#[derive(Clone, Debug)]
pub struct Storage {
    pool: SqlitePool,
    /// Counts the writes that pages show (clusters, segments, history, bundles, quotas),
    /// so that live pages and models wake on a change instead of polling.
    changes: Arc<watch::Sender<u64>>,
}

impl Storage {
    /// Opens (creating if needed) the database file and applies pending migrations.
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
        Self::migrated(pool).await
    }

    /// A fresh, migrated, private in-memory database (for tests).
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection: every connection to ":memory:" would be a separate database.
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        Self::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> Result<Self> {
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, changes: Arc::new(watch::Sender::new(0)) })
    }

    /// Rewrites the database file and empties the write-ahead log, so that overwritten
    /// values (plaintext keys before they were sealed) do not linger in free pages or old
    /// log frames of the files.
    pub async fn scrub(&self) -> Result<()> {
        sqlx::query("VACUUM").execute(self.pool()).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(self.pool()).await?;
        Ok(())
    }

    /// Runs a trivial query: whether the database answers (the readiness check).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    /// Writes a consistent copy of the whole database to `path` (`VACUUM INTO`), while
    /// others go on reading and writing. `path` must not exist yet.
    pub async fn backup_to(&self, path: &Path) -> Result<()> {
        let target = path.to_str().ok_or_else(|| crate::Error::Invalid(format!("{} is not UTF-8", path.display())))?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(self.pool()).await?;
        Ok(())
    }

    /// Changes whenever something a page shows was written (in this process: the
    /// reconciler, the panel and the API share one `Storage`).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn touched(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The underlying pool, for the few callers that need a transaction across tables.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Whether an error is a violation of a UNIQUE constraint (a taken name or email).
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}
