//! Clusters: names, the status state machine, and which actions each status permits.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};

/// Where a cluster is in its life. Persisted as its lower-case name.
///
/// `new → building → active`; `active → growing → active`; `active|error → rebuilding →
/// active`; anything `→ deleting → (gone)`; a step that cannot succeed ends in `error`,
/// with the reason stored next to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterStatus {
    New,
    Building,
    Active,
    Growing,
    Rebuilding,
    Deleting,
    Error,
}

impl ClusterStatus {
    /// Every status, in life order.
    pub const ALL: [ClusterStatus; 7] = [
        ClusterStatus::New,
        ClusterStatus::Building,
        ClusterStatus::Active,
        ClusterStatus::Growing,
        ClusterStatus::Rebuilding,
        ClusterStatus::Deleting,
        ClusterStatus::Error,
    ];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterStatus::New => "new",
            ClusterStatus::Building => "building",
            ClusterStatus::Active => "active",
            ClusterStatus::Growing => "growing",
            ClusterStatus::Rebuilding => "rebuilding",
            ClusterStatus::Deleting => "deleting",
            ClusterStatus::Error => "error",
        }
    }

    /// Whether the reconciler is working towards `active`.
    pub fn is_converging(self) -> bool {
        matches!(
            self,
            ClusterStatus::New | ClusterStatus::Building | ClusterStatus::Growing | ClusterStatus::Rebuilding
        )
    }

    /// Whether a cluster in this status may be asked to do `action`: the one rule the
    /// provisioner enforces and the panel and API show.
    pub fn permits(self, action: Action) -> bool {
        match action {
            // Growing adds segments to a working swarm; during a build there is none yet.
            Action::Grow => self == ClusterStatus::Active,
            // A rebuild is also the way out of `error`.
            Action::Rebuild => matches!(self, ClusterStatus::Active | ClusterStatus::Error),
            Action::Delete => self != ClusterStatus::Deleting,
            // Only once there is something to connect to.
            Action::DownloadCredentials => matches!(self, ClusterStatus::Active | ClusterStatus::Growing),
        }
    }

    /// The actions this status permits, in [`Action::ALL`] order.
    pub fn permitted(self) -> Vec<Action> {
        Action::ALL.into_iter().filter(|a| self.permits(*a)).collect()
    }

    /// The statuses that permit `action`, in life order.
    pub fn permitting(action: Action) -> Vec<ClusterStatus> {
        ClusterStatus::ALL.into_iter().filter(|s| s.permits(action)).collect()
    }
}

/// What an owner may ask of a cluster; [`ClusterStatus::permits`] says when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Add segments.
    Grow,
    /// Replace every segment, keeping the cluster's identity.
    Rebuild,
    /// Remove the cluster and its segments.
    Delete,
    /// Issue a new credentials bundle.
    DownloadCredentials,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 4] = [Action::Grow, Action::Rebuild, Action::Delete, Action::DownloadCredentials];

    /// The name in JSON (`download_credentials`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Grow => "grow",
            Action::Rebuild => "rebuild",
            Action::Delete => "delete",
            Action::DownloadCredentials => "download_credentials",
        }
    }

    /// The verb in messages to users ("it can only grow when...").
    pub fn verb(self) -> &'static str {
        match self {
            Action::Grow => "grow",
            Action::Rebuild => "rebuild",
            Action::Delete => "delete",
            Action::DownloadCredentials => "download credentials",
        }
    }
}

impl fmt::Display for ClusterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClusterStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        ClusterStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| Error::Internal(format!("unknown cluster status {s:?}")))
    }
}

/// The longest cluster name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Checks a cluster name: it names the credentials folder and appears in commands, so
/// it is kept to 1-64 letters, digits, `-`, `_` and `.`, starting and ending with a letter
/// or digit.
pub fn validate_name(name: &str) -> Result<()> {
    // Said on its own: a long name is the one mistake a form's eye cannot see.
    let length = name.chars().count();
    if length > MAX_NAME_CHARS {
        return Err(Error::Invalid(format!(
            "A cluster name has at most {MAX_NAME_CHARS} characters; this one has {length}. Nothing was created."
        )));
    }
    let ok_edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && ok_edge(name.chars().next())
        && ok_edge(name.chars().last())
        && bundle::check_cluster_name(name).is_ok();
    if valid {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "{name:?} is not a valid cluster name: use 1 to 64 letters, digits, '-', '_' or '.', starting and ending with a letter or digit."
        )))
    }
}

/// How many of a cluster's segments are Swarm managers: an odd number, so that a
/// majority survives the loss of one segment once there are three.
pub fn managers_for(segments: u32) -> u32 {
    match segments {
        0 => 0,
        1 | 2 => 1,
        n if n % 2 == 1 => n.min(7),
        n => (n - 1).min(7),
    }
}

/// The libvirt domain, host and Swarm node name of a cluster's n-th segment (Carina's
/// `<cluster uuid>-n<i>`).
pub fn segment_name(cluster_id: &str, ordinal: u32) -> String {
    format!("{cluster_id}-n{ordinal}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for status in ClusterStatus::ALL {
            assert_eq!(status.as_str().parse::<ClusterStatus>().unwrap(), status);
        }
        assert!("rebuilding-swarm".parse::<ClusterStatus>().is_err());
    }

    #[test]
    fn each_status_permits_what_the_state_machine_allows() {
        use ClusterStatus as S;
        assert_eq!(ClusterStatus::permitting(Action::Grow), vec![S::Active]);
        assert_eq!(ClusterStatus::permitting(Action::Rebuild), vec![S::Active, S::Error]);
        assert_eq!(ClusterStatus::permitting(Action::DownloadCredentials), vec![S::Active, S::Growing]);
        assert_eq!(
            ClusterStatus::permitting(Action::Delete),
            vec![S::New, S::Building, S::Active, S::Growing, S::Rebuilding, S::Error]
        );
        assert_eq!(S::Deleting.permitted(), vec![]);
        assert_eq!(serde_json::to_value(Action::DownloadCredentials).unwrap(), "download_credentials");
        assert_eq!(serde_json::to_value(S::Rebuilding).unwrap(), "rebuilding");
    }

    #[test]
    fn names_are_checked_with_a_helpful_message() {
        for ok in ["demo", "web-1", "a", "my_cluster.v2", &"x".repeat(64)] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "-x", "x-", "has space", "über", "a/b", "..", "con"] {
            let err = validate_name(bad).unwrap_err();
            assert!(err.to_string().contains("not a valid cluster name"), "{bad:?}");
        }
        let err = validate_name(&"x".repeat(100)).unwrap_err().to_string();
        assert!(err.starts_with("A cluster name has at most 64 characters; this one has 100."), "{err}");
    }

    #[test]
    fn manager_counts_keep_a_majority() {
        assert_eq!([0, 1, 2, 3, 4, 5].map(managers_for), [0, 1, 1, 3, 3, 5]);
        assert_eq!(managers_for(20), 7);
    }

    #[test]
    fn segment_names_follow_carina() {
        assert_eq!(segment_name("57d5", 2), "57d5-n2");
    }
}
