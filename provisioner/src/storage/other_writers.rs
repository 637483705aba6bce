//! With SQLite, the writes of other processes on the same file (operator commands) move
//! no version in this one: nobody announces them. SQLite tells, though: a connection's
//! `PRAGMA data_version` changes whenever another connection committed.

use std::time::Duration;

use super::{Backend, Storage};

/// How often the file is asked: how late a page follows an operator command, at most.
const LOOK_EVERY: Duration = Duration::from_millis(250);

impl Storage {
    /// Moves [`Storage::changes`] whenever another connection commits to the SQLite file,
    /// forever (returns at once on PostgreSQL, whose writers announce themselves, and on an
    /// in-memory database, which no other process can reach). Keeps one connection of the
    /// pool. A commit of this process moves it too, shortly after its own wake-up: a
    /// page looks once more, and finds the same.
    pub async fn follow_other_writers(&self) {
        let Backend::Sqlite(pool) = &self.backend else { return };
        if pool.options().get_max_connections() < 2 {
            return;
        }
        loop {
            let mut connection = match pool.acquire().await {
                Ok(connection) => connection,
                Err(err) => {
                    tracing::warn!(error = %err, "no connection to watch the database file with");
                    tokio::time::sleep(LOOK_EVERY).await;
                    continue;
                }
            };
            // A version is only comparable on the connection that read it.
            let mut seen = None;
            loop {
                match sqlx::query_scalar::<_, i64>("PRAGMA data_version").fetch_one(&mut *connection).await {
                    Ok(version) => {
                        if seen.is_some_and(|s| s != version) {
                            self.touched_elsewhere();
                        }
                        seen = Some(version);
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "could not ask the database file for other writers");
                        break;
                    }
                }
                tokio::time::sleep(LOOK_EVERY).await;
            }
            tokio::time::sleep(LOOK_EVERY).await;
        }
    }
}
