//! Kinds of cluster events.

/// What an event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A step of the reconciler (build progress, faults, repairs).
    Progress,
    /// Something the owner asked for.
    Action,
    /// A request the cluster endpoint refused under the policy.
    Policy,
}

impl EventKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Progress => "progress",
            EventKind::Action => "action",
            EventKind::Policy => "policy",
        }
    }
}
