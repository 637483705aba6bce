//! What replicas (servers sharing one PostgreSQL database) tell each other, so that an
//! action through one takes effect at once wherever it matters: a wake-up of every
//! reconciler (a cluster was created, grown, rebuilt or deleted here, and another replica
//! may hold its lease), a revocation (every replica's endpoint of the cluster refuses the
//! bundle), and a change that pages show (the storage announces those itself). With
//! SQLite there is one server, and nothing to tell; it notices the writes of operator
//! commands on its file itself (`storage/other_writers.rs`).

use std::time::Duration;

use crate::storage::CHANGED;
use crate::Provisioner;

const WAKE: &str = "wake";
const REVOKE: &str = "revoke";
/// How long to wait before listening again after the database went away.
const RELISTEN: Duration = Duration::from_secs(1);

impl Provisioner {
    /// Tells the other replicas' reconcilers to look at desired state now.
    pub(crate) fn wake_other_replicas(&self) {
        self.announce(WAKE.to_owned());
    }

    /// Tells the other replicas' endpoints of `cluster_id` to refuse `fingerprint`.
    pub(crate) fn revoke_on_other_replicas(&self, cluster_id: &str, fingerprint: &str) {
        self.announce(format!("{REVOKE} {cluster_id} {fingerprint}"));
    }

    /// Sends `message` in the background: a lost announcement is made up for by the
    /// reconciler's next pass (every couple of seconds), so nobody waits for it.
    fn announce(&self, message: String) {
        if !self.storage.is_shared() {
            return;
        }
        let storage = self.storage.clone();
        crate::storage::send_in_background(async move {
            if let Err(err) = storage.announce(&message).await {
                tracing::warn!(error = %err, "could not tell the other replicas");
            }
        });
    }

    /// Acts on what the replicas announce, forever; with SQLite, follows the writes of other
    /// processes to the file instead.
    pub async fn follow_replicas(&self) {
        loop {
            match self.storage.announcements().await {
                // SQLite: one server, but operator commands write to its file too.
                Ok(None) => return self.storage.follow_other_writers().await,
                Ok(Some(mut announcements)) => loop {
                    match announcements.next().await {
                        Ok(message) => self.heed(&message),
                        Err(err) => {
                            tracing::warn!(error = %err, "lost the other replicas' announcements");
                            break;
                        }
                    }
                },
                Err(err) => tracing::warn!(error = %err, "could not listen to the other replicas"),
            }
            tokio::time::sleep(RELISTEN).await;
        }
    }

    /// Acts on another replica's announcement.
    fn heed(&self, message: &str) {
        let words: Vec<&str> = message.split(' ').collect();
        match words.as_slice() {
            [WAKE] => self.wake.notify_one(),
            [CHANGED] => self.storage.touched_elsewhere(),
            [REVOKE, cluster_id, fingerprint] => self.endpoints.revoke(cluster_id, fingerprint),
            _ => tracing::debug!(message, "an announcement this version does not know"),
        }
    }
}
