//! One segment's feed: its dockerd's `/events` stream folded into its containers.
//!
//! On every (re)connection the feed lists the containers (the listing covers everything
//! up to the moment it was asked for) and follows the events from the last one it saw, or
//! from the listing's time on the first connection: a dockerd restart in between loses
//! nothing. A segment whose dockerd does not answer is reported as such and tried again
//! with a growing pause.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use segments::bollard::models::{EventMessage, EventMessageTypeEnum};
use segments::bollard::query_parameters::{EventsOptions, InspectContainerOptions, ListContainersOptions};
use segments::{DockerAddress, SegmentEngine};

use super::fold::{group_of, health_of, Action, ContainerEvent, Fold, PlacedContainer, Reserved};

/// What a feed knows of its segment's containers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Feed {
    /// Not connected yet.
    Connecting,
    /// Following the events; the containers as they are now.
    Following(Vec<PlacedContainer>),
    /// Its dockerd does not answer (starting, restarting or down); tried again soon.
    Unreachable,
}

/// The first pause after a failure, and the longest.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(250), Duration::from_secs(5));

/// Follows the dockerd at `dockerd` for as long as the future lives, reporting every
/// change through `report`.
pub(super) async fn follow(dockerd: DockerAddress, mut report: impl FnMut(Feed)) {
    let mut fold = Fold::default();
    let mut last_seen: Option<i64> = None;
    let mut pause = BACKOFF.0;
    loop {
        match connect(&dockerd, &mut fold).await {
            Ok((engine, since)) => {
                pause = BACKOFF.0;
                report(Feed::Following(fold.containers()));
                let options = EventsOptions {
                    since: Some(unix_nanos_text(last_seen.unwrap_or(since))),
                    until: None,
                    filters: Some(HashMap::from([("type".to_owned(), vec!["container".to_owned()])])),
                };
                let mut events = engine.docker().events(Some(options));
                while let Some(message) = events.next().await {
                    let Ok(message) = message else { break };
                    let Some(event) = container_event(message) else { continue };
                    last_seen = Some(last_seen.map_or(event.at, |seen| seen.max(event.at)));
                    fold.apply(event);
                    read_reservations(&engine, &mut fold).await;
                    report(Feed::Following(fold.containers()));
                }
                tracing::debug!(%dockerd, "segment events: the stream ended; reconnecting");
            }
            Err(err) => tracing::debug!(%dockerd, error = %err, "segment events: no answer"),
        }
        report(Feed::Unreachable);
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(BACKOFF.1);
    }
}

/// Connects and resynchronises the fold with a listing; returns the engine and the time
/// the listing stands for.
async fn connect(dockerd: &DockerAddress, fold: &mut Fold) -> Result<(SegmentEngine, i64), String> {
    if dockerd.socket().is_some_and(|socket| !socket.exists()) {
        return Err("no socket yet".to_owned());
    }
    let engine = SegmentEngine::connect(dockerd).await.map_err(|e| e.to_string())?;
    // Read before asking: everything up to this instant is in the listing.
    let at = now_nanos();
    let options = ListContainersOptions { all: true, ..Default::default() };
    let list = engine.docker().list_containers(Some(options)).await.map_err(|e| e.to_string())?;
    let listing = list
        .into_iter()
        .map(|c| {
            let labels = c.labels.unwrap_or_default();
            PlacedContainer {
                id: short(&c.id.unwrap_or_default()),
                name: c
                    .names
                    .unwrap_or_default()
                    .first()
                    .map(|n| n.trim_start_matches('/').to_owned())
                    .unwrap_or_default(),
                image: c.image.unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                health: c.status.as_deref().and_then(health_of),
                created_at: c.created.unwrap_or_default(),
                infrastructure: labels.contains_key(segments::INFRA_LABEL),
                group: group_of(|k| labels.get(k).map(String::as_str)),
                reserved: Reserved::default(),
            }
        })
        .collect();
    fold.resync(listing, at);
    read_reservations(&engine, fold).await;
    Ok((engine, at))
}

/// Inspects the containers whose reservations the fold does not know yet. One that
/// cannot be inspected (removed meanwhile) reserves nothing.
async fn read_reservations(engine: &SegmentEngine, fold: &mut Fold) {
    for id in fold.unreserved() {
        let inspected = engine.docker().inspect_container(&id, None::<InspectContainerOptions>).await;
        let host = inspected.ok().and_then(|c| c.host_config);
        let reserved = Reserved {
            memory: host.as_ref().and_then(|h| h.memory).unwrap_or(0),
            millicpu: host.as_ref().and_then(|h| h.nano_cpus).unwrap_or(0) / 1_000_000,
        };
        fold.reserve(&id, reserved);
    }
}

/// A Docker event as the fold reads it; `None` for events about anything but containers.
fn container_event(message: EventMessage) -> Option<ContainerEvent> {
    if message.typ != Some(EventMessageTypeEnum::CONTAINER) {
        return None;
    }
    let actor = message.actor?;
    let attributes = actor.attributes.unwrap_or_default();
    let at = message.time_nano.or(message.time.map(|s| s * 1_000_000_000))?;
    Some(ContainerEvent {
        id: short(&actor.id?),
        action: Action::parse(message.action.as_deref()?),
        at,
        name: attributes.get("name").cloned().unwrap_or_default(),
        image: attributes.get("image").cloned().unwrap_or_default(),
        infrastructure: attributes.contains_key(segments::INFRA_LABEL),
        group: group_of(|k| attributes.get(k).map(String::as_str)),
    })
}

fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

fn now_nanos() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

/// Docker's `since`: Unix seconds with a fraction.
fn unix_nanos_text(nanos: i64) -> String {
    format!("{}.{:09}", nanos.div_euclid(1_000_000_000), nanos.rem_euclid(1_000_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_seconds_with_nanoseconds() {
        assert_eq!(unix_nanos_text(1_700_000_000_000_000_042), "1700000000.000000042");
    }
}
