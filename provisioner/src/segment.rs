//! Segments as the domain sees them: where each is in its life, as the reconciler last
//! observed it.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};

/// What the reconciler last saw of a segment. Stored (and sent in JSON) as its lower-case
/// name.
///
/// `pending → starting → running → ready`; a ready segment that stops working is `down`
/// until the reconciler has repaired it (`ready` again); `removing` while a delete takes it
/// away. A rebuild puts each segment back to `pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentStatus {
    /// Recorded, with an address and a certificate; not started yet.
    Pending,
    /// Its domain is being started.
    Starting,
    /// It runs and answers Docker, not yet (or no longer) a ready member of the Swarm.
    Running,
    /// It runs, answers Docker and is a member of the cluster's Swarm.
    Ready,
    /// It was ready and stopped working; the reconciler is repairing it.
    Down,
    /// The cluster is being deleted and so is this segment.
    Removing,
}

impl SegmentStatus {
    /// Every status, in life order.
    pub const ALL: [SegmentStatus; 6] = [
        SegmentStatus::Pending,
        SegmentStatus::Starting,
        SegmentStatus::Running,
        SegmentStatus::Ready,
        SegmentStatus::Down,
        SegmentStatus::Removing,
    ];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            SegmentStatus::Pending => "pending",
            SegmentStatus::Starting => "starting",
            SegmentStatus::Running => "running",
            SegmentStatus::Ready => "ready",
            SegmentStatus::Down => "down",
            SegmentStatus::Removing => "removing",
        }
    }
}

impl fmt::Display for SegmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a stored name is read back (the storage's rows).
impl TryFrom<String> for SegmentStatus {
    type Error = Error;

    fn try_from(name: String) -> Result<Self> {
        name.parse()
    }
}

impl FromStr for SegmentStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        SegmentStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| Error::Internal(format!("unknown segment status {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_as_their_names() {
        for status in SegmentStatus::ALL {
            assert_eq!(status.as_str().parse::<SegmentStatus>().unwrap(), status);
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert!("gone".parse::<SegmentStatus>().is_err());
    }
}
