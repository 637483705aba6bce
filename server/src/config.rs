//! Command line and environment: every setting has a flag and a `CARINA_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::proxy::{PublicUrl, TrustedProxy};

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
    /// The key that seals cluster CA keys in the database (64 hex digits, mode 0600);
    /// created on first start if missing [default: <data dir>/secret.key]. Keep it out of
    /// database backups, and back it up on its own.
    #[arg(long, env = "CARINA_SECRET_KEY_FILE", global = true)]
    pub secret_key_file: Option<PathBuf>,
    /// The database: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DATABASE`
    /// (several servers may share one PostgreSQL database) [default: SQLite in
    /// <data dir>/carina.db].
    #[arg(long, env = "CARINA_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// How log lines are written to stderr: `text` for people, `json` (one object per
    /// line) for log collectors.
    #[arg(long, env = "CARINA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// The shape of log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Common {
    /// The secret key file in use.
    pub fn secret_key_path(&self) -> PathBuf {
        self.secret_key_file.clone().unwrap_or_else(|| self.data_dir.join("secret.key"))
    }
}

/// What to do; `serve` when none is given.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the panel, the API, the cluster endpoints and the reconciler.
    Serve(Box<Serve>),
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
    /// Mark cookies `Secure` (set when the panel is served over HTTPS; implied by an
    /// `https://` public URL).
    #[arg(long, env = "CARINA_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// The URL browsers reach the panel at when a reverse proxy serves it, e.g.
    /// `https://panel.example.com`: posts from it pass the cross-site check whatever
    /// `Host` the proxy sends, its `https` makes cookies `Secure`, and its host is the
    /// default endpoint host.
    #[arg(long, env = "CARINA_PUBLIC_URL")]
    pub public_url: Option<PublicUrl>,
    /// Address or ADDR/PREFIX of a reverse proxy whose `X-Forwarded-For` (the client's
    /// address) and `X-Forwarded-Proto` are believed; repeat for more (comma-separated in
    /// the variable). Nobody else's are.
    #[arg(long = "trusted-proxy", env = "CARINA_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<TrustedProxy>,
    /// A token `GET /metrics` requires (`Authorization: Bearer <token>`); without one the
    /// metrics are open to whoever reaches the panel's address.
    #[arg(long, env = "CARINA_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// How many days events are kept: the clusters' history and the audit trail (deleted
    /// clusters' included). Older ones are deleted at start and every 15 minutes.
    #[arg(long, env = "CARINA_AUDIT_RETENTION_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..))]
    pub audit_retention_days: u64,
    /// This server's name among replicas sharing one PostgreSQL database: different for
    /// each, the same across restarts of one [default: the machine's host name].
    #[arg(long, env = "CARINA_REPLICA")]
    pub replica: Option<String>,
    /// On SIGTERM or Ctrl-C: how long requests under way may take to finish, in seconds,
    /// before the server stops anyway (live pages' event streams never finish by themselves).
    #[arg(long, env = "CARINA_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    #[command(flatten)]
    pub segments: SegmentSettings,
    #[command(flatten)]
    pub endpoints: EndpointSettings,
}

impl Serve {
    /// The host cluster endpoints are reached at: the flag, else the public URL's host.
    pub fn endpoint_host(&self) -> String {
        let public = self.public_url.as_ref().map(|url| url.host.clone());
        self.endpoints.endpoint_host.clone().or(public).unwrap_or_else(|| "127.0.0.1".to_owned())
    }
}

/// Where and how segments run. The same variables configure `scripts/host-setup.sh`.
#[derive(Debug, Args)]
pub struct SegmentSettings {
    /// Host bridge the segments attach to.
    #[arg(long, env = "CARINA_BRIDGE", default_value = "carina0")]
    pub bridge: String,
    /// The bridge's address and prefix: segments get the other addresses of this subnet.
    #[arg(long, env = "CARINA_BRIDGE_ADDR", default_value = "10.213.0.1/24")]
    pub bridge_addr: String,
    /// Machine-wide shared mount root of segment directories.
    #[arg(long, env = "CARINA_SEGMENTS_ROOT", default_value = "/var/lib/carina-segments")]
    pub segments_root: PathBuf,
    /// This instance's directory under the segments root (one per database).
    #[arg(long, env = "CARINA_INSTANCE", default_value = "default")]
    pub instance: String,
    /// The segment root filesystem and base image cache [default: <data dir>/images].
    #[arg(long, env = "CARINA_IMAGE_DIR")]
    pub image_dir: Option<PathBuf>,
    /// libvirt connection URI.
    #[arg(long, env = "CARINA_LIBVIRT_URI", default_value = "lxc:///system")]
    pub libvirt_uri: String,
    /// How the control plane reaches segments' dockerds: `unix` (their sockets on this
    /// machine) or `tls` (their TCP listeners, with the control plane's client
    /// certificate) [default: unix for this machine's libvirt, tls for any other].
    #[arg(long, env = "CARINA_DOCKER_TRANSPORT", value_parser = ["unix", "tls"])]
    pub docker_transport: Option<String>,
    /// Memory limit of each segment, in MiB.
    #[arg(long, env = "CARINA_SEGMENT_MEMORY_MIB", default_value_t = 4096)]
    pub segment_memory_mib: u64,
    /// vCPUs of each segment.
    #[arg(long, env = "CARINA_SEGMENT_VCPUS", default_value_t = 2)]
    pub segment_vcpus: u32,
    /// Disk quota of each segment's Docker file system, in GiB (a sparse image on the
    /// host: it uses only what the segment writes).
    #[arg(long, env = "CARINA_SEGMENT_DISK_GIB", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub segment_disk_gib: u64,
    /// Most processes and threads each segment may run at once.
    #[arg(long, env = "CARINA_SEGMENT_PIDS_MAX", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(256..))]
    pub segment_pids_max: u64,
    /// Segments kept started and unassigned, so that new clusters get them at once (the
    /// warm pool); 0 turns it off. The default serves one 3-segment cluster at once (a
    /// group) and a grow or a 1-segment cluster (a single).
    #[arg(long, env = "CARINA_WARM_SEGMENTS", default_value_t = 4)]
    pub warm_segments: u32,
}

/// Where cluster endpoints listen and how users reach them.
#[derive(Debug, Args)]
pub struct EndpointSettings {
    /// Host name or address users reach cluster endpoints at (written into docker.env and
    /// into the endpoints' certificates) [default: the public URL's host, or 127.0.0.1].
    #[arg(long, env = "CARINA_ENDPOINT_HOST")]
    pub endpoint_host: Option<String>,
    /// Address cluster endpoints listen on.
    #[arg(long, env = "CARINA_ENDPOINT_BIND", default_value = "127.0.0.1")]
    pub endpoint_bind: std::net::IpAddr,
    /// Ports given to cluster endpoints, one per cluster, as FIRST-LAST.
    #[arg(long, env = "CARINA_ENDPOINT_PORTS", default_value = "23760-24759", value_parser = parse_port_range)]
    pub endpoint_ports: std::ops::RangeInclusive<u16>,
    /// Log drivers tenants may use besides json-file, local and none (comma-separated,
    /// e.g. `gelf`): each sends logs from segments to an address the tenant chooses, so
    /// allow one only where segments can reach a collector of yours and nothing else.
    #[arg(long = "allow-log-driver", env = "CARINA_ALLOW_LOG_DRIVERS", value_delimiter = ',')]
    pub allow_log_drivers: Vec<String>,
}

fn parse_port_range(text: &str) -> Result<std::ops::RangeInclusive<u16>, String> {
    let (first, last) = text.split_once('-').ok_or("expected FIRST-LAST, e.g. 23760-24759")?;
    let first: u16 = first.trim().parse().map_err(|_| format!("{first:?} is not a port"))?;
    let last: u16 = last.trim().parse().map_err(|_| format!("{last:?} is not a port"))?;
    if first == 0 || first > last {
        return Err(format!("{text:?} is not a range of ports"));
    }
    Ok(first..=last)
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
    /// Give an account a new password and sign it out everywhere (its API keys stay). The
    /// password is CARINA_PASSWORD's, or a new one, printed, when that is unset.
    ResetPassword {
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
    /// List the libvirt hosts segments run on: capacity, segments wanted, and whether each
    /// takes new segments. A server registers its own as "local" when it starts.
    Hosts,
    /// Add a libvirt host for segments (checked reachable first). Every server drives it
    /// from its next pass, and spreads each cluster's new segments over the hosts. For
    /// now a host must be this machine's libvirt (`lxc:///system`, or through loopback):
    /// see the README's "Segments on other hosts".
    AddHost {
        /// Its name: lower-case letters, digits and dashes.
        name: String,
        /// Its libvirt URI, e.g. `lxc+tls://127.0.0.1/system?pkipath=DIR`.
        #[arg(long)]
        uri: String,
        /// Most segments on it (default: no limit but the addresses).
        #[arg(long)]
        segments: Option<u32>,
    },
    /// Forget a host that holds no segment (drain it and rebuild its clusters first).
    RemoveHost {
        /// The host's name.
        name: String,
    },
    /// Set how many segments a host may hold, clusters' and warm ones: new clusters and
    /// grows past it are refused, and the warm pool keeps to what is left.
    SetHostCapacity {
        /// The host's name ("local": the server's own).
        name: String,
        /// Most segments on it.
        #[arg(long, conflicts_with = "unlimited", required_unless_present = "unlimited")]
        segments: Option<u32>,
        /// No limit but the addresses of its subnet.
        #[arg(long)]
        unlimited: bool,
    },
    /// Drain a host for maintenance: it takes no new segments (new clusters and grows are
    /// refused, its warm pool empties); what runs on it keeps running.
    DrainHost {
        /// The host's name.
        name: String,
    },
    /// Let a drained host take new segments again.
    ResumeHost {
        /// The host's name.
        name: String,
    },
    /// Re-seal every cluster CA key with a new secret key file (created, mode 0600, if it
    /// does not exist). Stop the server first; start it again with the new file.
    RotateSecretKey {
        /// Where the new key is (or is to be made).
        #[arg(long)]
        new_key_file: PathBuf,
    },
    /// Write a consistent copy of the database to a new file while the server runs
    /// (`VACUUM INTO`). The secret key file is not in it: back that up on its own.
    Backup {
        /// Where the copy goes (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Print the audit trail of every account (or of one) as JSON Lines, newest first:
    /// who did what, through the panel, which API key or this command line, from where.
    Audit {
        /// Only this account's entries.
        #[arg(long)]
        email: Option<String>,
        /// Only the entries of the last DAYS days.
        #[arg(long)]
        days: Option<u64>,
    },
    /// Remove every segment of this instance from the host (domains, mounts, directories),
    /// whatever the database says: for tearing down a test instance or an abandoned one.
    PurgeSegments {
        #[command(flatten)]
        segments: SegmentSettings,
    },
}
