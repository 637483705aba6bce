//! The live model of each cluster: what runs on its segments, kept up to date by the
//! segments' Docker events and the reconciler's writes rather than asked for by every page.
//!
//! A model runs while its cluster is in use ([`LiveModels::follow_active`]: from `new`
//! until it is being deleted) or something asks for it (a page, its stream, the API),
//! and stops once its cluster is gone, or a minute after it is neither. Pages wait
//! on its `watch` channel: an idle cluster wakes them only for its usage samples (every
//! 10 s), however many pages are open.

mod cluster;
mod feed;
mod fold;
mod usage;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

pub use cluster::Containers;
pub use feed::Feed;
pub use fold::{Action, ContainerEvent, Fold, PlacedContainer, Reserved};
pub use usage::Sample;

use crate::cluster::ClusterStatus;
use crate::storage::Storage;

/// The running models, by cluster id.
#[derive(Clone)]
pub struct LiveModels {
    storage: Storage,
    fleet: crate::Fleet,
    /// How this server reaches dockerds over TLS.
    identity: segments::ControlIdentity,
    models: Arc<Mutex<HashMap<String, watch::Sender<Containers>>>>,
}

impl LiveModels {
    /// No model runs until one is asked for.
    pub fn new(storage: Storage, fleet: crate::Fleet, identity: segments::ControlIdentity) -> Self {
        LiveModels { storage, fleet, identity, models: Arc::default() }
    }

    /// Follows cluster `id`'s containers, starting its model if none runs. The caller
    /// must have checked that the cluster is the account's.
    pub fn subscribe(&self, id: &str) -> watch::Receiver<Containers> {
        let mut models = self.models.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(tx) = models.get(id) {
            return tx.subscribe();
        }
        let (tx, rx) = watch::channel(Containers::default());
        models.insert(id.to_owned(), tx.clone());
        let (registry, id) = (self.models.clone(), id.to_owned());
        let stop_if_idle = {
            let (registry, id, tx) = (registry.clone(), id.clone(), tx.clone());
            move || {
                let mut models = registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                // Checked under the lock, so that nobody subscribes to a stopping model.
                let idle = tx.receiver_count() == 0;
                if idle {
                    models.remove(&id);
                }
                idle
            }
        };
        let reach = (self.fleet.clone(), self.identity.clone());
        let run = cluster::run(self.storage.clone(), reach, id.clone(), tx.clone(), stop_if_idle);
        tokio::spawn(async move {
            run.await;
            let mut models = registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if models.get(&id).is_some_and(|current| current.same_channel(&tx)) {
                models.remove(&id);
            }
            tracing::debug!(cluster = %id, "live model stopped");
        });
        rx
    }

    /// Keeps the model of every cluster in use (any status but `deleting`) running, so
    /// that its usage history and its containers are there when the first page opens and
    /// a grow or a rebuild does not lose them; for as long as the future lives, looking
    /// again at each write to the database.
    pub async fn follow_active(self) {
        let mut changes = self.storage.changes();
        let mut held: BTreeMap<String, watch::Receiver<Containers>> = BTreeMap::new();
        loop {
            changes.mark_unchanged();
            match self.storage.all_clusters().await {
                Ok(rows) => {
                    let active: Vec<String> = rows
                        .into_iter()
                        .filter(|r| r.status != ClusterStatus::Deleting.as_str())
                        .map(|r| r.id)
                        .collect();
                    held.retain(|id, _| active.contains(id));
                    for id in active {
                        held.entry(id).or_insert_with_key(|id| self.subscribe(id));
                    }
                }
                Err(err) => tracing::warn!(error = %err, "live models: could not read the clusters"),
            }
            if changes.changed().await.is_err() {
                return;
            }
        }
    }
}
