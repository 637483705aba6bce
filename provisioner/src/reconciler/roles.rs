//! Pure decisions of the reconciler about Swarm membership, kept apart to be unit-tested.

use crate::cluster::managers_for;

/// Which ordinals should be Swarm managers in a cluster with these segment ordinals: the
/// lowest ones, as many as keep a majority (see [`managers_for`]).
pub fn manager_ordinals(ordinals: &[u32]) -> Vec<u32> {
    let mut sorted = ordinals.to_vec();
    sorted.sort_unstable();
    sorted.truncate(managers_for(ordinals.len() as u32) as usize);
    sorted
}

/// A node as the swarm's managers list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeEntry {
    pub id: String,
    pub hostname: String,
    pub ready: bool,
}

/// Node entries to remove: those that are no segment's current node (a replaced or deleted
/// segment leaves its old entry behind, `down`). Entries still `ready` are never removed.
pub fn stale_nodes<'a>(nodes: &'a [NodeEntry], current_node_ids: &[String]) -> Vec<&'a NodeEntry> {
    nodes.iter().filter(|n| !n.ready && !current_node_ids.contains(&n.id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_ordinals_are_managers() {
        assert_eq!(manager_ordinals(&[1]), vec![1]);
        assert_eq!(manager_ordinals(&[2, 1]), vec![1]);
        assert_eq!(manager_ordinals(&[3, 1, 2]), vec![1, 2, 3]);
        assert_eq!(manager_ordinals(&[]), Vec::<u32>::new());
    }

    #[test]
    fn only_down_entries_of_no_current_segment_are_stale() {
        let node = |id: &str, ready| NodeEntry { id: id.into(), hostname: format!("h-{id}"), ready };
        let nodes = vec![node("a", true), node("b", false), node("c", false), node("d", true)];
        let stale = stale_nodes(&nodes, &["a".into(), "c".into()]);
        assert_eq!(stale.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), vec!["b"]);
    }
}
