//! The fake world both fakes share: segments (running or not, their dockerd answering or
//! not), what each dockerd holds, the swarms they form, every call made, and the calls a
//! test told to fail or to hang.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use segments::{NodeRole, SegmentSpec};

/// One call the reconciler made, on one segment (or `*` for host-wide calls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub op: &'static str,
    pub segment: String,
}

/// A segment as the fake host has it.
#[derive(Clone, Debug)]
pub struct Seg {
    pub spec: SegmentSpec,
    pub running: bool,
    /// The domain runs but its dockerd accepts nothing (a hung dockerd).
    pub hung: bool,
    /// The domain runs with its processes frozen: dockerd answers nothing until thawed.
    pub frozen: bool,
    /// How many times the domain was started.
    pub starts: u32,
    pub images: BTreeSet<String>,
    /// Infrastructure containers by name.
    pub containers: BTreeSet<String>,
    /// `(swarm id, node id)` once in a swarm: kept in `/var/lib/docker`, so it survives a
    /// restart of the segment and goes with its removal.
    pub node: Option<(String, String)>,
    /// The hostname and server certificate given by `adopt` (a segment from the pool).
    pub adopted: Option<(String, String)>,
}

/// A node as a swarm's managers list it.
#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    pub hostname: String,
    pub role: NodeRole,
}

/// Where a test may make a call block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    /// Before the call has any effect.
    Before,
    /// After its effect, before it answers (the answer is lost if the caller goes away).
    After,
}

#[derive(Default)]
pub struct State {
    pub segments: BTreeMap<String, Seg>,
    pub swarms: BTreeMap<String, Vec<Node>>,
    /// The peers each segment may reach, by name: set before the segment exists, as the
    /// real filters are.
    pub peers: BTreeMap<String, Vec<Ipv4Addr>>,
    next_id: u64,
    calls: Vec<Call>,
    failures: Vec<(&'static str, String, String)>,
    holds: Vec<(&'static str, String, Hold)>,
}

impl State {
    /// A fresh id for swarms and nodes.
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    /// Whether the segment's dockerd answers.
    pub fn answers(&self, name: &str) -> bool {
        self.segments.get(name).is_some_and(|s| s.running && !s.hung && !s.frozen)
    }

    /// Whether node `id` of swarm `swarm` is up: its segment answers and still is that node.
    pub fn node_ready(&self, swarm: &str, id: &str) -> bool {
        self.segments
            .iter()
            .any(|(name, s)| self.answers(name) && s.node.as_ref().is_some_and(|(sw, n)| sw == swarm && n == id))
    }
}

/// The shared fake world.
#[derive(Clone, Default)]
pub struct World {
    state: Arc<Mutex<State>>,
}

impl World {
    pub fn new() -> Self {
        Self::default()
    }

    /// The world's state, to read or change.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The segments `op` was called on, in order.
    pub fn calls_of(&self, op: &str) -> Vec<String> {
        self.calls().into_iter().filter(|c| c.op == op).map(|c| c.segment).collect()
    }

    /// Forgets the calls so far.
    pub fn clear_calls(&self) {
        self.state().calls.clear();
    }

    /// Makes `op` on `segment` fail with `message` until [`World::heal`].
    pub fn fail(&self, op: &'static str, segment: &str, message: &str) {
        self.state().failures.push((op, segment.to_owned(), message.to_owned()));
    }

    /// Lets every call succeed again.
    pub fn heal(&self) {
        self.state().failures.clear();
    }

    /// Makes `op` on `segment` block (`when`) until [`World::release`].
    pub fn hold(&self, op: &'static str, segment: &str, when: Hold) {
        self.state().holds.push((op, segment.to_owned(), when));
    }

    /// Unblocks every held call.
    pub fn release(&self) {
        self.state().holds.clear();
    }

    /// Waits until `op` was called on `segment` (the call may be blocked in a hold).
    pub async fn called(&self, op: &str, segment: &str) {
        tokio::time::timeout(Duration::from_secs(5), async {
            while !self.calls().iter().any(|c| c.op == op && c.segment == segment) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{op} was never called on {segment}"));
    }

    /// The segment's dockerd dies: tini ends, and so does the domain.
    pub fn kill(&self, segment: &str) {
        self.state().segments.get_mut(segment).expect("no such segment").running = false;
    }

    /// The segment's dockerd stops answering while its domain keeps running.
    pub fn hang_dockerd(&self, segment: &str) {
        self.state().segments.get_mut(segment).expect("no such segment").hung = true;
    }

    /// A copy of one segment.
    pub fn segment(&self, name: &str) -> Option<Seg> {
        self.state().segments.get(name).cloned()
    }

    /// Records a call, fails it if told to, and blocks while it is held before its effect.
    pub async fn enter(&self, op: &'static str, segment: &str) -> Result<(), String> {
        let failure = {
            let mut state = self.state();
            state.calls.push(Call { op, segment: segment.to_owned() });
            state.failures.iter().find(|(o, s, _)| *o == op && names(s, segment)).map(|(_, _, m)| m.clone())
        };
        if let Some(message) = failure {
            return Err(message);
        }
        self.wait_hold(op, segment, Hold::Before).await;
        Ok(())
    }

    /// Blocks while the call is held after its effect.
    pub async fn leave(&self, op: &'static str, segment: &str) {
        self.wait_hold(op, segment, Hold::After).await;
    }

    async fn wait_hold(&self, op: &'static str, segment: &str, when: Hold) {
        while self.state().holds.iter().any(|(o, s, w)| *o == op && names(s, segment) && *w == when) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Whether a segment given to [`World::fail`] or [`World::hold`] names `segment`: the same
/// name, or a prefix ending in `*` (`pool-*`: every warm segment, whose names are random).
fn names(pattern: &str, segment: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) if !prefix.is_empty() => segment.starts_with(prefix),
        _ => pattern == segment,
    }
}
