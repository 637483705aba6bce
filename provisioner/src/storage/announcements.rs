//! Announcements between replicas sharing a PostgreSQL database (its `NOTIFY`): what one
//! replica did that the others must act on at once. With SQLite there is one server only,
//! and nobody to tell.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;

use super::{Backend, Storage};
use crate::error::Result;

/// Announcements this process handed to the runtime and has not sent yet.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// Told whenever one of them is done.
static SENT: Notify = Notify::const_new();

/// Sends an announcement in the background, counted in [`IN_FLIGHT`]: nobody waits for it
/// but a process about to exit ([`settle_announcements`]).
pub(crate) fn send_in_background(sending: impl Future<Output = ()> + Send + 'static) {
    IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
    tokio::spawn(async move {
        sending.await;
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        SENT.notify_waiters();
    });
}

/// Waits (at most `within`) until every announcement this process made is sent: an
/// operator command calls it before it exits, or the servers would never hear of its
/// change (their pages would not follow it, nor stop reusing what they rendered before).
pub async fn settle_announcements(within: Duration) {
    let settled = async {
        loop {
            let sent = SENT.notified();
            if IN_FLIGHT.load(Ordering::SeqCst) == 0 {
                return;
            }
            sent.await;
        }
    };
    if tokio::time::timeout(within, settled).await.is_err() {
        tracing::warn!("some announcements to the servers were not sent in time");
    }
}

/// The PostgreSQL channel of the announcements.
const CHANNEL: &str = "carina";
/// The announcement of a write that pages show (see [`Storage::changes`]).
pub(crate) const CHANGED: &str = "changed";

/// The announcements of the other replicas, as they come.
pub struct Announcements {
    listener: PgListener,
    /// This process's tag: its own announcements are skipped.
    origin: Arc<str>,
}

impl Announcements {
    /// The next announcement of another replica. After a lost connection it reconnects
    /// and goes on (what was announced meanwhile is missed; the reconciler's passes catch
    /// up with it).
    pub async fn next(&mut self) -> Result<String> {
        loop {
            let notification = self.listener.recv().await?;
            if let Some((origin, message)) = notification.payload().split_once(' ') {
                if origin != &*self.origin {
                    return Ok(message.to_owned());
                }
            }
        }
    }
}

impl Storage {
    /// Tells every other replica `message` (nothing with SQLite).
    pub async fn announce(&self, message: &str) -> Result<()> {
        if let Backend::Postgres(pool) = &self.backend {
            let tagged = format!("{} {message}", self.origin);
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(tagged).execute(pool).await?;
        }
        Ok(())
    }

    /// Starts listening to the other replicas' announcements; `None` with SQLite.
    pub async fn announcements(&self) -> Result<Option<Announcements>> {
        let Backend::Postgres(pool) = &self.backend else { return Ok(None) };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(Announcements { listener, origin: self.origin.clone() }))
    }
}
