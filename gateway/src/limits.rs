//! Bounds on what one cluster, and one client certificate of it, may hold open at the
//! endpoint: connections, and long-lived streams (attach, exec, `logs -f`, stats,
//! exports). Each cluster has budgets of its own, so a tenant who exhausts them slows
//! only themselves; the reader threads of bulk streams have one process-wide cap on top.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use http::StatusCode;

use crate::error::ApiError;

/// The bounds of every cluster endpoint of a gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointLimits {
    /// Open connections per cluster (handshakes included).
    pub connections_per_cluster: usize,
    /// Open connections per client certificate.
    pub connections_per_client: usize,
    /// Open streams per cluster.
    pub streams_per_cluster: usize,
    /// Open streams per client certificate.
    pub streams_per_client: usize,
}

impl Default for EndpointLimits {
    /// Far above what the docker CLI, Compose or a CI job opens at once.
    fn default() -> Self {
        Self {
            connections_per_cluster: 512,
            connections_per_client: 128,
            streams_per_cluster: 256,
            streams_per_client: 64,
        }
    }
}

/// Reader threads of bulk streams, across every cluster of the process.
pub(crate) const MAX_STREAM_THREADS: usize = 1024;
static STREAM_THREADS: Budget = Budget::new(MAX_STREAM_THREADS);

/// A count with a ceiling.
pub(crate) struct Budget {
    max: usize,
    used: AtomicUsize,
}

impl Budget {
    pub(crate) const fn new(max: usize) -> Self {
        Self { max, used: AtomicUsize::new(0) }
    }

    /// One unit, given back when the permit drops; `None` at the ceiling.
    fn take(self: &Arc<Self>) -> Option<Permit> {
        self.reserve().then(|| Permit(Some(PermitSource::Shared(self.clone()))))
    }

    fn reserve(&self) -> bool {
        self.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.max).then_some(n + 1)).is_ok()
    }

    fn release(&self) {
        self.used.fetch_sub(1, Ordering::AcqRel);
    }

    #[cfg(test)]
    fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

enum PermitSource {
    Shared(Arc<Budget>),
    Static(&'static Budget),
}

/// A unit of some budget, held for as long as the thing it counts lives.
pub(crate) struct Permit(Option<PermitSource>);

impl Drop for Permit {
    fn drop(&mut self) {
        match self.0.take() {
            Some(PermitSource::Shared(budget)) => budget.release(),
            Some(PermitSource::Static(budget)) => budget.release(),
            None => {}
        }
    }
}

/// What a connection or a stream holds: its cluster's unit and its client's.
pub(crate) struct Held {
    _units: Vec<Permit>,
}

impl Held {
    /// Counted nowhere: for tests of the streams themselves.
    #[cfg(test)]
    pub(crate) fn untracked() -> Held {
        Held { _units: Vec::new() }
    }
}

/// One cluster's budgets.
pub(crate) struct ClusterLimits {
    limits: EndpointLimits,
    connections: Arc<Budget>,
    streams: Arc<Budget>,
    /// Per client certificate (fingerprint): connections and streams.
    clients: Mutex<HashMap<String, ClientBudgets>>,
}

/// One client certificate's budgets: connections, then streams.
type ClientBudgets = (Arc<Budget>, Arc<Budget>);

impl ClusterLimits {
    pub(crate) fn new(limits: EndpointLimits) -> Self {
        Self {
            limits,
            connections: Arc::new(Budget::new(limits.connections_per_cluster)),
            streams: Arc::new(Budget::new(limits.streams_per_cluster)),
            clients: Mutex::default(),
        }
    }

    /// A connection of the cluster, taken when it is accepted (before its handshake).
    pub(crate) fn accept(&self) -> Option<Permit> {
        self.connections.take()
    }

    fn client(&self, fingerprint: &str) -> (Arc<Budget>, Arc<Budget>) {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        // Forget clients that hold nothing, so the map stays as small as what is open.
        if clients.len() > 1024 {
            clients.retain(|_, (c, s)| Arc::strong_count(c) > 1 || Arc::strong_count(s) > 1);
        }
        clients
            .entry(fingerprint.to_owned())
            .or_insert_with(|| {
                (
                    Arc::new(Budget::new(self.limits.connections_per_client)),
                    Arc::new(Budget::new(self.limits.streams_per_client)),
                )
            })
            .clone()
    }

    /// Streams open on this cluster.
    #[cfg(test)]
    pub(crate) fn open_streams(&self) -> usize {
        self.streams.used()
    }

    /// A connection of one client, once its certificate is known.
    pub(crate) fn connection(&self, fingerprint: &str) -> Result<Permit, ApiError> {
        self.client(fingerprint).0.take().ok_or_else(|| {
            too_many(format!(
                "too many open connections for this certificate (limit {}): close some and try again",
                self.limits.connections_per_client
            ))
        })
    }

    /// A stream of one client: its unit, the cluster's, and (for bulk streams) a reader
    /// thread's.
    pub(crate) fn stream(&self, fingerprint: &str, needs_thread: bool) -> Result<Held, ApiError> {
        let client = self.client(fingerprint).1.take().ok_or_else(|| {
            too_many(format!(
                "too many open streams for this certificate (limit {}): end some (logs -f, attach, exec, stats) and \
                 try again",
                self.limits.streams_per_client
            ))
        })?;
        let cluster = self.streams.take().ok_or_else(|| {
            too_many(format!(
                "too many open streams on this cluster (limit {}): end some (logs -f, attach, exec, stats) and try \
                 again",
                self.limits.streams_per_cluster
            ))
        })?;
        let mut units = vec![client, cluster];
        if needs_thread {
            if !STREAM_THREADS.reserve() {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the Carina cluster endpoint is serving too many streams right now: try again shortly",
                ));
            }
            units.push(Permit(Some(PermitSource::Static(&STREAM_THREADS))));
        }
        Ok(Held { _units: units })
    }
}

fn too_many(message: String) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> ClusterLimits {
        ClusterLimits::new(EndpointLimits {
            connections_per_cluster: 3,
            connections_per_client: 2,
            streams_per_cluster: 3,
            streams_per_client: 2,
        })
    }

    #[test]
    fn budgets_refuse_at_their_ceiling_and_refill_on_drop() {
        let limits = small();
        let accepted: Vec<Permit> = (0..3).map(|_| limits.accept().unwrap()).collect();
        assert!(limits.accept().is_none());
        drop(accepted);
        assert_eq!(limits.connections.used(), 0);

        let a1 = limits.connection("a").unwrap();
        let _a2 = limits.connection("a").unwrap();
        let err = limits.connection("a").err().unwrap();
        assert_eq!(err.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(err.message.contains("limit 2"), "{}", err.message);
        // Another certificate has its own budget.
        let _b1 = limits.connection("b").unwrap();
        drop(a1);
        assert!(limits.connection("a").is_ok());
    }

    #[test]
    fn streams_count_per_client_and_per_cluster() {
        let limits = small();
        let a1 = limits.stream("a", false).unwrap();
        let _a2 = limits.stream("a", true).unwrap();
        assert!(limits.stream("a", false).err().unwrap().message.contains("for this certificate"));
        let _b1 = limits.stream("b", false).unwrap();
        // The cluster's 3 are taken: b is refused by the cluster's budget, not its own.
        assert!(limits.stream("b", false).err().unwrap().message.contains("on this cluster"));
        drop(a1);
        assert!(limits.stream("b", false).is_ok());
        // A refused stream gives back what it took.
        assert_eq!(limits.streams.used(), 2);
    }

    #[test]
    fn clusters_do_not_share_budgets() {
        let (one, two) = (small(), small());
        let _held: Vec<Held> = (0..2).map(|_| one.stream("a", false).unwrap()).collect();
        assert!(one.stream("a", false).is_err());
        assert!(two.stream("a", false).is_ok());
    }
}
