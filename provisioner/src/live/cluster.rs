//! The live model of one cluster: a feed per segment, kept in line with the segments the
//! database lists (the reconciler adds, replaces and removes them), published through a
//! `watch` channel that pages subscribe to.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::feed::{follow, Feed};
use super::usage::{self, History, Sample};
use crate::storage::Storage;

/// What the model knows, by segment name: each segment's feed, and its recent use of the
/// host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Containers {
    pub segments: BTreeMap<String, Feed>,
    pub usage: BTreeMap<String, Vec<Sample>>,
}

/// How long a model outlives its last subscriber: a page reload or the next page of the
/// same cluster finds it warm.
const LINGER: Duration = Duration::from_secs(60);

/// A running feed, stopped when dropped.
struct Running {
    domain: String,
    /// Its host's driver, which reads its use of the host.
    driver: std::sync::Arc<dyn segments::SegmentDriver>,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Runs the model of cluster `id` until the cluster is gone or nobody has looked for
/// [`LINGER`]. `stop_if_idle` is asked, under the registry's lock, whether the model may
/// stop (nobody subscribed meanwhile).
pub(super) async fn run(
    storage: Storage,
    (fleet, identity): (crate::Fleet, segments::ControlIdentity),
    id: String,
    tx: watch::Sender<Containers>,
    stop_if_idle: impl Fn() -> bool,
) {
    let mut changes = storage.changes();
    let mut feeds: BTreeMap<String, Running> = BTreeMap::new();
    let mut histories: BTreeMap<String, History> = BTreeMap::new();
    let mut sampling = tokio::time::interval(usage::PERIOD);
    sampling.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Kept across wake-ups, so that database writes do not put off the stop.
    let mut idle_wait = Box::pin(idle(&tx));
    loop {
        changes.mark_unchanged();
        match storage.segments_of(&id).await {
            Ok(rows) if rows.is_empty() && matches!(storage.cluster_by_id(&id).await, Ok(None)) => return,
            Ok(rows) => {
                let wanted: BTreeMap<String, (String, Option<Ipv4Addr>, String)> = rows
                    .iter()
                    .map(|r| (r.name.clone(), (r.domain().to_owned(), r.address.parse().ok(), r.host.clone())))
                    .collect();
                // A segment replaced by a rebuild keeps its name but not its domain.
                feeds.retain(|name, feed| wanted.get(name).is_some_and(|(domain, ..)| *domain == feed.domain));
                // The entries first: a new feed's first report must find its own.
                tx.send_if_modified(|now| {
                    let before: Vec<String> = now.segments.keys().cloned().collect();
                    now.segments.retain(|name, _| feeds.contains_key(name));
                    for name in wanted.keys() {
                        if !feeds.contains_key(name) {
                            now.segments.insert(name.clone(), Feed::Connecting);
                        }
                    }
                    now.segments.keys().ne(before.iter())
                });
                for (name, (domain, address, host)) in wanted {
                    let Some(address) = address else { continue };
                    // A host this server has not loaded yet: its segment stays connecting.
                    let Ok(driver) = fleet.on(&host) else { continue };
                    if let std::collections::btree_map::Entry::Vacant(slot) = feeds.entry(name) {
                        let dockerd = driver.docker_address(&domain, address, &identity);
                        let feed = follow(dockerd, report(tx.clone(), slot.key().clone()));
                        slot.insert(Running { domain, driver, task: tokio::spawn(feed) });
                    }
                }
            }
            Err(err) => tracing::warn!(cluster = %id, error = %err, "live model: could not read the segments"),
        }
        loop {
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
                _ = sampling.tick() => sample(&feeds, &mut histories, &tx).await,
                () = &mut idle_wait => {
                    if stop_if_idle() {
                        return;
                    }
                    idle_wait = Box::pin(idle(&tx));
                }
            }
        }
    }
}

/// Reads each segment's use of the host and publishes the histories.
async fn sample(
    feeds: &BTreeMap<String, Running>,
    histories: &mut BTreeMap<String, History>,
    tx: &watch::Sender<Containers>,
) {
    histories.retain(|name, _| feeds.contains_key(name));
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    for (name, feed) in feeds {
        if let Ok(Some(used)) = feed.driver.usage(&feed.domain).await {
            let cpu_ns = (used.cpu_seconds * 1e9) as u64;
            histories.entry(name.clone()).or_default().add(now_ms, cpu_ns, used.memory_bytes);
        }
    }
    let usage: BTreeMap<String, Vec<Sample>> = histories.iter().map(|(name, h)| (name.clone(), h.samples())).collect();
    tx.send_if_modified(|now| {
        let changed = now.usage != usage;
        now.usage = usage;
        changed
    });
}

/// Resolves once the model has had no subscriber for [`LINGER`].
async fn idle(tx: &watch::Sender<Containers>) {
    loop {
        tx.closed().await;
        tokio::time::sleep(LINGER).await;
        if tx.receiver_count() == 0 {
            return;
        }
    }
}

/// How a feed tells the model: only real changes wake the subscribers.
fn report(tx: watch::Sender<Containers>, name: String) -> impl FnMut(Feed) {
    move |feed| {
        tx.send_if_modified(|now| match now.segments.get_mut(&name) {
            Some(current) if *current != feed => {
                *current = feed;
                true
            }
            _ => false,
        });
    }
}
