//! Command line and environment: every setting has a flag and a `CARINA_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Carina: a self-hosted service for Docker Swarm clusters made of LXC segments.
#[derive(Debug, Parser)]
#[command(name = "server", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Settings every subcommand needs.
#[derive(Debug, Args)]
pub struct Common {
    /// Where the database, certificates and segment state live.
    #[arg(long, env = "CARINA_DATA_DIR", default_value = "/var/lib/carina", global = true)]
    pub data_dir: PathBuf,
}

/// What to do; `serve` when none is given.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the panel, the API, the cluster endpoints and the reconciler.
    Serve(Serve),
    /// Operator tasks on accounts.
    #[command(subcommand)]
    Admin(Admin),
    /// Print the `ip:port` of every segment of a cluster, one per line, by its discovery
    /// token (like `swarm list token://<cluster_id>`).
    List {
        /// `token://<cluster_id>` (or the bare id).
        token: String,
    },
}

/// Settings of the running service.
#[derive(Debug, Args)]
pub struct Serve {
    /// Address the panel listens on.
    #[arg(long, env = "CARINA_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Folder with the built site (wasm, JS, CSS, assets).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Mark cookies `Secure` (set when the panel is served over HTTPS).
    #[arg(long, env = "CARINA_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
}

/// Operator commands.
#[derive(Debug, Subcommand)]
pub enum Admin {
    /// Create an operator account (or make an existing account an operator). The password
    /// is read from the CARINA_PASSWORD variable or, if unset, from the first line of stdin.
    CreateOperator {
        #[arg(long)]
        email: String,
    },
    /// Set one account's quotas.
    SetQuotas {
        #[arg(long)]
        email: String,
        /// Most clusters the account may have.
        #[arg(long)]
        clusters: u32,
        /// Most segments each of its clusters may have.
        #[arg(long)]
        segments: u32,
    },
    /// Show an account's quotas.
    ShowAccount {
        #[arg(long)]
        email: String,
    },
}
