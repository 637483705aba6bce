//! Announcements between replicas sharing a PostgreSQL database (its `NOTIFY`): what one
//! replica did that the others must act on at once. With SQLite there is one server only,
//! and nobody to tell.

use sqlx::postgres::PgListener;

use super::{Backend, Storage};
use crate::error::Result;

/// The PostgreSQL channel of the announcements.
const CHANNEL: &str = "carina";

/// The announcements of every replica (this one's included), as they come.
pub struct Announcements {
    listener: PgListener,
}

impl Announcements {
    /// The next announcement. After a lost connection it reconnects and goes on (what
    /// was announced meanwhile is missed; the reconciler's passes catch up with it).
    pub async fn next(&mut self) -> Result<String> {
        Ok(self.listener.recv().await?.payload().to_owned())
    }
}

impl Storage {
    /// Tells every replica `message` (nothing with SQLite).
    pub async fn announce(&self, message: &str) -> Result<()> {
        if let Backend::Postgres(pool) = &self.backend {
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(message).execute(pool).await?;
        }
        Ok(())
    }

    /// Starts listening to the announcements; `None` with SQLite.
    pub async fn announcements(&self) -> Result<Option<Announcements>> {
        let Backend::Postgres(pool) = &self.backend else { return Ok(None) };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(Announcements { listener }))
    }
}
