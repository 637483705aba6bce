//! One function per command: ask the API, print the answer for people or for scripts.

use std::io::Write;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::args::{Command, Shell};
use crate::client::Client;
use crate::config::Dirs;
use crate::credentials;
use crate::error::{CliError, Result};
use crate::output::{self, parse, Bundle, Cluster, Event};
use crate::wait::{segment, wait, Until};

/// What every command works with.
pub struct Context {
    pub client: Client,
    pub dirs: Dirs,
    pub json: bool,
}

impl Context {
    fn print(&self, text: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`carina ls | head -1`) is not an error worth a message.
        match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::usage(format!("stdout: {e}"))),
            _ => Ok(()),
        }
    }

    /// A cluster (or its detail) as a one-row table, or as JSON.
    fn print_cluster(&self, value: &Value) -> Result<()> {
        if self.json {
            return self.print(&output::json(value));
        }
        self.print(&output::clusters_table(&[parse::<Cluster>(value)?]))
    }

    fn path(name: &str) -> String {
        format!("/clusters/{}", segment(name))
    }
}

/// Runs a command (all but `login` and `completions`, which need no API key).
pub fn run(ctx: &Context, command: Command) -> Result<()> {
    ctx.client.require_key()?;
    match command {
        Command::Ls => {
            let list: Value = ctx.client.get("/clusters")?;
            if ctx.json {
                return ctx.print(&output::json(&list));
            }
            ctx.print(&output::clusters_table(&parse::<Vec<Cluster>>(&list)?))
        }
        Command::Get { name, wait: w } => {
            let detail =
                if w { wait(&ctx.client, &name, Until::Settled)? } else { ctx.client.get(&Context::path(&name))? };
            ctx.print_cluster(&detail)
        }
        Command::Create { name, nodes, wait: w } => {
            let created: Value = ctx.client.post("/clusters", &json!({"cluster_name": name, "nodes": nodes}))?;
            settle(ctx, &name, created, w)
        }
        Command::Grow { name, by, wait: w } => {
            let grown: Value = ctx.client.post(&format!("{}/grow", Context::path(&name)), &json!({"nodes": by}))?;
            settle(ctx, &name, grown, w)
        }
        Command::Rebuild { name, wait: w } => {
            let rebuilt: Value = ctx.client.post(&format!("{}/rebuild", Context::path(&name)), &json!({}))?;
            settle(ctx, &name, rebuilt, w)
        }
        Command::Rm { name, wait: w, path } => remove(ctx, &name, w, path),
        Command::Credentials { name, path } => {
            let dir = path.unwrap_or_else(|| ctx.dirs.cluster_dir(&name));
            let files = download(ctx, &name, &dir)?;
            if ctx.json {
                let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
                return ctx.print(&output::json(&json!({"path": dir.display().to_string(), "files": files})));
            }
            ctx.print(&format!(
                "# Credentials written to \"{}\"\n# To see how to connect to your cluster, run: carina env {name}\n",
                dir.display()
            ))
        }
        Command::Env { name, shell, path } => {
            let dir = path.unwrap_or_else(|| ctx.dirs.cluster_dir(&name));
            if !still_works(ctx, &name, &dir)? {
                download(ctx, &name, &dir)?;
            }
            let shell = shell.unwrap_or_else(|| Shell::from_env(std::env::var("SHELL").ok().as_deref()));
            ctx.print(&credentials::env_script(shell, &dir, &name))
        }
        Command::Quotas => {
            let account: Value = ctx.client.get("/account")?;
            if ctx.json {
                return ctx.print(&output::json(&account));
            }
            let cell = |k: &str| account[k].as_u64().map(|n| n.to_string()).unwrap_or_default();
            let row = vec![cell("max_clusters"), cell("max_nodes_per_cluster"), cell("clusters")];
            ctx.print(&output::table(&["MaxClusters", "MaxNodesPerCluster", "Clusters"], &[row]))
        }
        Command::Bundles { name } => {
            let list: Value = ctx.client.get(&format!("{}/bundles", Context::path(&name)))?;
            if ctx.json {
                return ctx.print(&output::json(&list));
            }
            ctx.print(&output::bundles_table(&parse::<Vec<Bundle>>(&list)?))
        }
        Command::Revoke { name, bundle } => {
            let list: Vec<Bundle> = parse(&ctx.client.get::<Value>(&format!("{}/bundles", Context::path(&name)))?)?;
            let found = pick_bundle(&list, &bundle)?;
            ctx.client.delete_empty(&format!("{}/bundles/{}", Context::path(&name), segment(&found.id)))?;
            if ctx.json {
                return ctx.print(&output::json(&json!({"id": found.id, "name": found.name, "revoked": true})));
            }
            ctx.print(&format!("Revoked {} ({}): it no longer works.\n", found.name, found.id))
        }
        Command::History { name, limit } => {
            let path = match &name {
                Some(name) => format!("{}/events?limit={limit}", Context::path(name)),
                None => format!("/account/events?limit={limit}"),
            };
            let events: Value = ctx.client.get(&path)?;
            if ctx.json {
                return ctx.print(&output::json(&events));
            }
            ctx.print(&output::events_table(&parse::<Vec<Event>>(&events)?))
        }
        Command::Login { .. } | Command::Completions { .. } => unreachable!("handled before"),
    }
}

/// Prints a cluster an action answered with, after waiting for it if asked.
fn settle(ctx: &Context, name: &str, answer: Value, wait_for_it: bool) -> Result<()> {
    if !wait_for_it {
        return ctx.print_cluster(&answer);
    }
    let detail = wait(&ctx.client, name, Until::Settled)?;
    ctx.print_cluster(&detail)
}

fn remove(ctx: &Context, name: &str, wait_for_it: bool, path: Option<PathBuf>) -> Result<()> {
    let answer: Value = ctx.client.delete(&Context::path(name))?;
    let dir = path.unwrap_or_else(|| ctx.dirs.cluster_dir(name));
    let removed = credentials::remove(&dir)?;
    if removed && !ctx.json {
        eprintln!("# Removed the credentials in \"{}\"", dir.display());
    }
    if wait_for_it {
        wait(&ctx.client, name, Until::Gone)?;
    }
    ctx.print_cluster(&answer)
}

/// Mints a bundle and unpacks it into `dir`, marked with the cluster's and its own id.
fn download(ctx: &Context, name: &str, dir: &std::path::Path) -> Result<Vec<PathBuf>> {
    let cluster: Cluster = parse(&ctx.client.get::<Value>(&Context::path(name))?)?;
    let (zip, bundle_id) =
        ctx.client.post_bytes(&format!("{}/credentials", Context::path(name)), "x-carina-bundle-id")?;
    let files = credentials::unpack(&zip, dir)?;
    credentials::mark(dir, &cluster.id, bundle_id.as_deref().unwrap_or_default())?;
    Ok(files)
}

/// Whether `dir` holds a bundle of this very cluster (not of an older one of the same
/// name) that is not revoked.
fn still_works(ctx: &Context, name: &str, dir: &std::path::Path) -> Result<bool> {
    let cluster: Cluster = parse(&ctx.client.get::<Value>(&Context::path(name))?)?;
    let Some(bundle_id) = credentials::bundle_in(dir, &cluster.id) else {
        return Ok(false);
    };
    let bundles: Vec<Bundle> = parse(&ctx.client.get::<Value>(&format!("{}/bundles", Context::path(name)))?)?;
    Ok(bundles.iter().any(|b| b.id == bundle_id && !b.revoked))
}

/// The bundle named `wanted`: by name, by id, or by the start of its id (if only one
/// active bundle has it).
pub fn pick_bundle<'a>(bundles: &'a [Bundle], wanted: &str) -> Result<&'a Bundle> {
    if let Some(b) = bundles.iter().find(|b| b.name == wanted || b.id == wanted) {
        return Ok(b);
    }
    let matching: Vec<&Bundle> = bundles.iter().filter(|b| !b.revoked && b.id.starts_with(wanted)).collect();
    match matching.as_slice() {
        [one] if !wanted.is_empty() => Ok(one),
        [] | [_] => Err(CliError::service(format!("No bundle named {wanted:?}; carina bundles lists them."))),
        _ => Err(CliError::service(format!("Several bundles start with {wanted:?}; give more of the id."))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(id: &str, name: &str, revoked: bool) -> Bundle {
        Bundle { id: id.into(), name: name.into(), created_at: 0, revoked }
    }

    #[test]
    fn a_bundle_is_found_by_name_id_or_prefix() {
        let list = [bundle("abc12345-1", "web-abc12345", false), bundle("abd99999-2", "web-abd99999", false)];
        assert_eq!(pick_bundle(&list, "web-abd99999").unwrap().id, "abd99999-2");
        assert_eq!(pick_bundle(&list, "abc12345-1").unwrap().id, "abc12345-1");
        assert_eq!(pick_bundle(&list, "abc").unwrap().id, "abc12345-1");
        assert!(pick_bundle(&list, "ab").unwrap_err().message.contains("Several"));
        assert!(pick_bundle(&list, "zz").unwrap_err().message.contains("No bundle named"));
        assert!(pick_bundle(&list, "").is_err());
    }
}
