//! Quotas: how many clusters an account may have and how many segments each.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An account's limits. Carina's defaults: 3 clusters, 3 segments per cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quotas {
    pub max_clusters: u32,
    pub max_segments_per_cluster: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas { max_clusters: 3, max_segments_per_cluster: 3 }
    }
}

/// The most an operator may raise a single quota to: keeps a typo from asking for
/// thousands of segments.
pub const QUOTA_CEILING: u32 = 100;

impl Quotas {
    /// Checks operator-supplied quotas.
    pub fn validated(max_clusters: u32, max_segments_per_cluster: u32) -> Result<Self> {
        for (what, value) in [("clusters", max_clusters), ("segments per cluster", max_segments_per_cluster)] {
            if !(1..=QUOTA_CEILING).contains(&value) {
                return Err(Error::Invalid(format!(
                    "The quota for {what} must be between 1 and {QUOTA_CEILING}; got {value}."
                )));
            }
        }
        Ok(Quotas { max_clusters, max_segments_per_cluster })
    }

    /// Whether one more cluster fits, given how many the account has.
    pub fn check_new_cluster(&self, existing_clusters: u32) -> Result<()> {
        if existing_clusters >= self.max_clusters {
            return Err(Error::QuotaExceeded(format!(
                "You already have {existing_clusters} of {} clusters. Delete one, or ask an operator to raise your quota.",
                self.max_clusters
            )));
        }
        Ok(())
    }

    /// Whether a cluster may have this many segments.
    pub fn check_segments(&self, segments: u32) -> Result<()> {
        if segments == 0 {
            return Err(Error::Invalid("A cluster needs at least 1 segment.".into()));
        }
        if segments > self.max_segments_per_cluster {
            return Err(Error::QuotaExceeded(format!(
                "A cluster can have at most {} segments on your account; {segments} were requested.",
                self.max_segments_per_cluster
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_carinas() {
        assert_eq!(Quotas::default(), Quotas { max_clusters: 3, max_segments_per_cluster: 3 });
    }

    #[test]
    fn a_fourth_cluster_is_refused() {
        let q = Quotas::default();
        q.check_new_cluster(2).unwrap();
        let err = q.check_new_cluster(3).unwrap_err();
        assert!(matches!(err, Error::QuotaExceeded(_)));
        assert!(err.to_string().contains("3 of 3 clusters"), "{err}");
    }

    #[test]
    fn segment_counts_are_bounded() {
        let q = Quotas::default();
        assert!(matches!(q.check_segments(0), Err(Error::Invalid(_))));
        q.check_segments(1).unwrap();
        q.check_segments(3).unwrap();
        assert!(matches!(q.check_segments(4), Err(Error::QuotaExceeded(_))));
    }

    #[test]
    fn operator_quotas_are_validated() {
        assert!(Quotas::validated(0, 3).is_err());
        assert!(Quotas::validated(3, QUOTA_CEILING + 1).is_err());
        assert_eq!(Quotas::validated(5, 6).unwrap(), Quotas { max_clusters: 5, max_segments_per_cluster: 6 });
    }
}
