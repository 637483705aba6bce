//! Classic Swarm's filters, in its order: health, port, dependency, affinity, constraint.

use super::expr::{Expr, SwarmFilters};
use super::{Node, Spec};

/// Keeps the nodes that pass every filter, or says which one nobody passed.
pub(crate) fn apply<'a>(nodes: &'a [Node], spec: &Spec, filters: &SwarmFilters) -> Result<Vec<&'a Node>, String> {
    let mut candidates: Vec<&Node> = nodes.iter().filter(|n| n.healthy).collect();
    if candidates.is_empty() {
        return Err("No healthy node available in the cluster".into());
    }
    candidates = port(candidates, spec)?;
    candidates = dependency(candidates, spec)?;
    for affinity in &filters.affinities {
        candidates = keep(candidates, affinity, affinity_matches)?;
    }
    for constraint in &filters.constraints {
        candidates = keep(candidates, constraint, constraint_matches)?;
    }
    Ok(candidates)
}

fn keep<'a>(nodes: Vec<&'a Node>, expr: &Expr, test: fn(&Node, &Expr) -> bool) -> Result<Vec<&'a Node>, String> {
    let kept: Vec<&Node> = nodes.into_iter().filter(|n| test(n, expr)).collect();
    if kept.is_empty() {
        return Err(format!("unable to find a node that satisfies {expr}"));
    }
    Ok(kept)
}

fn constraint_matches(node: &Node, expr: &Expr) -> bool {
    match expr.key.as_str() {
        "node" => expr.matches([node.id.as_str(), node.name.as_str()]),
        key => expr.matches([node.labels.get(key).map(String::as_str).unwrap_or("")]),
    }
}

fn affinity_matches(node: &Node, expr: &Expr) -> bool {
    match expr.key.as_str() {
        "container" => {
            let mut whats: Vec<&str> = Vec::new();
            for c in &node.containers {
                whats.push(&c.id);
                whats.push(&c.id[..c.id.len().min(12)]);
                whats.extend(c.names.iter().map(String::as_str));
            }
            expr.matches(whats)
        }
        "image" => {
            let mut whats: Vec<&str> = Vec::new();
            for image in node.images.iter().flatten() {
                whats.push(&image.id);
                if let Some(short) = image.id.strip_prefix("sha256:") {
                    whats.push(&short[..short.len().min(12)]);
                }
                for tag in &image.tags {
                    whats.push(tag);
                    whats.push(repository(tag));
                }
            }
            expr.matches(whats)
        }
        key => expr.matches(node.containers.iter().map(|c| c.labels.get(key).map(String::as_str).unwrap_or(""))),
    }
}

/// `repo:tag` → `repo` (a registry port is not a tag).
fn repository(tag: &str) -> &str {
    match tag.rfind(':') {
        Some(i) if !tag[i..].contains('/') => &tag[..i],
        _ => tag,
    }
}

fn port<'a>(nodes: Vec<&'a Node>, spec: &Spec) -> Result<Vec<&'a Node>, String> {
    let mut nodes = nodes;
    for wanted in &spec.host_ports {
        let kept: Vec<&Node> =
            nodes.into_iter().filter(|n| !n.containers.iter().any(|c| c.host_ports.contains(wanted))).collect();
        if kept.is_empty() {
            let port = wanted.split('/').next().unwrap_or(wanted);
            return Err(format!("unable to find a node with port {port} available"));
        }
        nodes = kept;
    }
    Ok(nodes)
}

fn dependency<'a>(nodes: Vec<&'a Node>, spec: &Spec) -> Result<Vec<&'a Node>, String> {
    if spec.dependencies.is_empty() {
        return Ok(nodes);
    }
    let kept: Vec<&Node> =
        nodes.into_iter().filter(|n| spec.dependencies.iter().all(|d| n.has_container(&d.target))).collect();
    if kept.is_empty() {
        let list: Vec<String> = spec.dependencies.iter().map(|d| d.flag.clone()).collect();
        return Err(format!("Unable to find a node fulfilling all dependencies: {}", list.join(" ")));
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::super::{Dependency, NodeContainer};
    use super::*;

    fn nodes() -> Vec<Node> {
        let mut a = Node { name: "c-n1".into(), healthy: true, ..Default::default() };
        a.labels.insert("zone".into(), "a".into());
        a.containers.push(NodeContainer {
            id: "0123456789abcdef".into(),
            names: vec!["web".into()],
            host_ports: vec!["80/tcp".into()],
            ..Default::default()
        });
        let b = Node { name: "c-n2".into(), healthy: true, ..Default::default() };
        let c = Node { name: "c-n3".into(), healthy: false, ..Default::default() };
        vec![a, b, c]
    }

    fn names(r: Result<Vec<&Node>, String>) -> Vec<String> {
        r.unwrap().iter().map(|n| n.name.clone()).collect()
    }

    #[test]
    fn constraints_and_health() {
        let n = nodes();
        let f = SwarmFilters { constraints: vec![Expr::parse("node==*-n3").unwrap()], ..Default::default() };
        let err = apply(&n, &Spec::default(), &f).unwrap_err();
        assert_eq!(err, "unable to find a node that satisfies node==*-n3");
        let f = SwarmFilters { constraints: vec![Expr::parse("zone==a").unwrap()], ..Default::default() };
        assert_eq!(names(apply(&n, &Spec::default(), &f)), ["c-n1"]);
        let f = SwarmFilters { constraints: vec![Expr::parse("node!=c-n1").unwrap()], ..Default::default() };
        assert_eq!(names(apply(&n, &Spec::default(), &f)), ["c-n2"]);
    }

    #[test]
    fn affinity_port_dependency() {
        let n = nodes();
        let f = SwarmFilters { affinities: vec![Expr::parse("container==web").unwrap()], ..Default::default() };
        assert_eq!(names(apply(&n, &Spec::default(), &f)), ["c-n1"]);
        let f =
            SwarmFilters { affinities: vec![Expr::parse("container!=0123456789ab").unwrap()], ..Default::default() };
        assert_eq!(names(apply(&n, &Spec::default(), &f)), ["c-n2"]);
        let spec = Spec { host_ports: vec!["80/tcp".into()], ..Default::default() };
        assert_eq!(names(apply(&n, &spec, &SwarmFilters::default())), ["c-n2"]);
        let spec = Spec {
            dependencies: vec![Dependency { target: "web".into(), flag: "--volumes-from=web".into() }],
            ..Default::default()
        };
        assert_eq!(names(apply(&n, &spec, &SwarmFilters::default())), ["c-n1"]);
        assert_eq!(repository("reg:5000/img:1"), "reg:5000/img");
        assert_eq!(repository("reg:5000/img"), "reg:5000/img");
    }
}
