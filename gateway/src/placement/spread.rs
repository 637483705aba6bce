//! The spread strategy: classic Swarm v1.0 `weighNodes`, ascending, with a deterministic
//! tie-break (fewest containers, then name).

use super::Node;

/// Classic Swarm's default overcommit: totals are 105% of the hardware.
const OVERCOMMIT_PERCENT: i64 = 5;

/// Memory a node can hand out (with overcommit).
pub(crate) fn total_memory(node: &Node) -> i64 {
    node.mem_total + node.mem_total * OVERCOMMIT_PERCENT / 100
}

/// CPUs a node can hand out (with overcommit, whole CPUs like classic Swarm).
pub(crate) fn total_cpus(node: &Node) -> i64 {
    node.ncpu + node.ncpu * OVERCOMMIT_PERCENT / 100
}

/// Ranks candidates best first; nodes that cannot fit the request are left out.
/// `millicpu` is the CPU reservation in thousandths of a CPU.
pub(crate) fn rank<'a>(nodes: &[&'a Node], memory: i64, millicpu: i64) -> Vec<&'a Node> {
    let mut weighted: Vec<(i64, usize, &str, &'a Node)> = Vec::new();
    for &node in nodes {
        let total_mem = total_memory(node);
        let total_milli = total_cpus(node) * 1000;
        if total_mem < memory || total_milli < millicpu {
            continue;
        }
        let mut cpu_score = 100;
        let mut mem_score = 100;
        if millicpu > 0 {
            cpu_score = (node.used_millicpu + millicpu) * 100 / total_milli.max(1);
        }
        if memory > 0 {
            mem_score = (node.used_memory + memory) * 100 / total_mem.max(1);
        }
        if cpu_score <= 100 && mem_score <= 100 {
            weighted.push((cpu_score + mem_score, node.containers.len() + node.pending, node.name.as_str(), node));
        }
    }
    weighted.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    weighted.into_iter().map(|w| w.3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, containers: usize, used_memory: i64) -> Node {
        Node {
            name: name.into(),
            healthy: true,
            ncpu: 2,
            mem_total: 4 << 30,
            used_memory,
            containers: vec![Default::default(); containers],
            ..Default::default()
        }
    }

    #[test]
    fn fewest_containers_then_name() {
        let (a, b, c) = (node("c-n1", 2, 0), node("c-n2", 1, 0), node("c-n3", 1, 0));
        let ranked = rank(&[&a, &b, &c], 0, 0);
        let names: Vec<_> = ranked.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["c-n2", "c-n3", "c-n1"]);
    }

    #[test]
    fn reservations_weigh_before_counts() {
        let a = node("c-n1", 0, 3 << 30);
        let b = node("c-n2", 5, 0);
        let ranked = rank(&[&a, &b], 512 << 20, 0);
        assert_eq!(ranked[0].name, "c-n2");
        // Too big for anyone (4 GiB + 5% is the most a node offers).
        assert!(rank(&[&a, &b], 5 << 30, 0).is_empty());
        // Does not fit on n1 any more, fits on n2.
        let ranked = rank(&[&a, &b], 2 << 30, 0);
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].name, "c-n2");
    }

    #[test]
    fn pending_placements_count() {
        let mut a = node("c-n1", 0, 0);
        let b = node("c-n2", 0, 0);
        a.pending = 1;
        assert_eq!(rank(&[&a, &b], 0, 0)[0].name, "c-n2");
    }
}
