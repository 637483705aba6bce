//! The workspace's shape, checked on its sources: no module cycle inside a crate, and no
//! file longer than a reader can hold (about 500 lines).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest a Rust file may be, tests included.
const MAX_LINES: usize = 520;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The workspace's member crates (directories with a `Cargo.toml` and a `src/`).
fn crates() -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let members = manifest.split("members = [").nth(1).unwrap().split(']').next().unwrap();
    members
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .map(|m| workspace().join(m))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("node_modules") && !path.ends_with("target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b.rs` and `a/b/mod.rs` are module `a::b`; `lib.rs` and `main.rs` are the root.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts.join("::")
}

/// The code outside `#[cfg(test)]` and comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap();
    text.lines().map(|l| l.split("//").next().unwrap()).collect::<Vec<_>>().join("\n")
}

/// Paths named after `crate::` (including inside `use crate::{…}` groups).
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let path_chars = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or("");
            for item in group.split(',') {
                paths.push(item.trim().chars().take_while(|c| path_chars(*c)).collect());
            }
        } else {
            paths.push(rest.chars().take_while(|c| path_chars(*c)).collect::<String>().trim_end_matches(':').into());
        }
    }
    paths
}

/// Edges between modules of one crate: `a` uses something of `b` (its parents excepted).
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<String, PathBuf> = files
        .iter()
        .filter(|f| !f.ends_with("tests.rs") && !f.components().any(|c| c.as_os_str() == "bin"))
        .map(|f| (module_of(src, f), f.clone()))
        .collect();
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let mut uses = BTreeSet::new();
        for path in crate_paths(&code(&std::fs::read_to_string(file).unwrap())) {
            let parts: Vec<&str> = path.split("::").collect();
            let target = (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| modules.contains_key(m));
            if let Some(target) = target {
                let is_ancestor = target.is_empty() || module.starts_with(&format!("{target}::"));
                if &target != module && !is_ancestor {
                    uses.insert(target);
                }
            }
        }
        // A module reaches its children (it declares and re-exports them).
        let children =
            modules.keys().filter(|m| m.strip_prefix(&format!("{module}::")).is_some_and(|r| !r.contains("::")));
        uses.extend(children.cloned());
        graph.insert(module.clone(), uses);
    }
    graph
}

/// A cycle in the graph, if any (depth-first search).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_cycle_inside_a_crate() {
    for krate in crates() {
        let graph = module_graph(&krate.join("src"));
        assert!(graph.len() > 1 || krate.ends_with("frontend"), "no modules found in {}", krate.display());
        if let Some(cycle) = find_cycle(&graph) {
            panic!("module cycle in {}: {}", krate.strip_prefix(workspace()).unwrap().display(), cycle.join(" -> "));
        }
    }
}

#[test]
fn the_checker_sees_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]
    .into();
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(crate_paths("use crate::{x::Y, z};\nlet a = crate::w::f();"), ["x::Y", "z", "w::f"]);
}

#[test]
fn no_file_over_the_length_limit() {
    let mut long = Vec::new();
    for krate in crates() {
        let mut files = Vec::new();
        rust_files(&krate, &mut files);
        for file in files {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", file.strip_prefix(workspace()).unwrap().display()));
            }
        }
    }
    assert!(long.is_empty(), "split these files (limit {MAX_LINES} lines): {long:?}");
}
