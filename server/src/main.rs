//! The `server` binary: the panel, the JSON API, the cluster endpoints and the reconciler
//! in one process, plus operator subcommands.

mod admin;
mod api;
mod audit;
mod config;
mod csrf;
mod discovery;
mod endpoints;
mod health;
mod housekeeping;
mod infrastructure;
mod metrics;
mod panel;
mod proxy;
mod request_log;
mod status;

use std::time::Duration;

use anyhow::Context;
use app::session::CookiePolicy;
use clap::Parser;
use leptos::config::get_configuration;
use provisioner::{Provisioner, ProvisionerConfig, SecretKey, Storage};
use tracing_subscriber::EnvFilter;

use config::{Cli, Command, Common, LogFormat, Serve};

/// mimalloc instead of glibc's malloc: under load, glibc's malloc and free took 15-20% of
/// the server's time rendering pages (perf); with mimalloc the signed-in clusters page
/// serves 16% more requests per second (`bench/panel.sh`, side by side).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let common = cli.common;
    // Logs go to stderr: stdout is the answer of commands such as `list`.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr);
    match common.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command.unwrap_or_else(|| Command::Serve(Box::new(Serve::parse_defaults()))) {
        Command::Serve(serve) => run(&common, *serve).await,
        Command::Admin(admin) => {
            let operator = provisioner::Actor { via: provisioner::Via::Operator, address: None };
            let done = provisioner::acting(operator, admin::run(&common, admin)).await;
            // On PostgreSQL, the servers hear of the change before this process is gone.
            provisioner::storage::settle_announcements(std::time::Duration::from_secs(5)).await;
            done
        }
        Command::List { token } => {
            for address in plain_provisioner(&common).await?.discover(&token).await? {
                println!("{address}");
            }
            Ok(())
        }
    }
}

impl Serve {
    /// `serve` with every setting from the environment or its default.
    fn parse_defaults() -> Serve {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            serve: Serve,
        }
        Only::parse_from(["server"]).serve
    }
}

/// The database `--database-url` names, or the SQLite file in the data directory.
async fn open_storage(common: &Common) -> anyhow::Result<Storage> {
    let data_dir = common.data_dir.as_path();
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let storage = match &common.database_url {
        // The URL may hold a password: it is never logged, nor put in an error.
        Some(url) => Storage::connect(url).await.context("opening the database --database-url names")?,
        None => Storage::open(&data_dir.join("carina.db")).await.context("opening the database")?,
    };
    tracing::debug!(engine = storage.engine(), "database open");
    Ok(storage)
}

/// The database and the secret key its CA keys are sealed with (the key file is created
/// on first start).
async fn open_storage_and_key(common: &Common) -> anyhow::Result<(Storage, SecretKey)> {
    let storage = open_storage(common).await?;
    let path = common.secret_key_path();
    let key = provisioner::open_secret_key(&storage, &path).await?;
    // The id, never the key: lets an operator tell which key file a server runs with.
    tracing::info!(key = key.id(), file = %path.display(), "secret key for CA keys at rest");
    Ok((storage, key))
}

/// A provisioner for command-line tasks: the database only, no infrastructure.
async fn plain_provisioner(common: &Common) -> anyhow::Result<Provisioner> {
    let (storage, key) = open_storage_and_key(common).await?;
    Ok(Provisioner::new(storage, ProvisionerConfig::default(), key).await?)
}

async fn run(common: &Common, serve: Serve) -> anyhow::Result<()> {
    // First: what the provisioner and the endpoints count from the start is kept.
    let metrics_handle = metrics::install().context("installing the metrics recorder")?;
    let data_dir = common.data_dir.as_path();
    let (storage, key) = open_storage_and_key(common).await?;
    let infra = infrastructure::start(storage, key, data_dir, &serve).await?;
    let provisioner = infra.provisioner.clone();

    let mut options = get_configuration(None).context("reading the Leptos configuration")?.leptos_options;
    options.site_addr = serve.addr;
    options.site_root = serve.site_root.clone().into();
    let public_url = serve.public_url.as_ref();
    let state = panel::PanelState {
        provisioner: provisioner.clone(),
        cookies: CookiePolicy { secure: serve.secure_cookies || public_url.is_some_and(|url| url.https) },
        public_origin: public_url.map(|url| url.origin.clone()),
    };
    let app = panel::router(options, state)
        .merge(api::router(provisioner.clone()))
        .nest("/v1", discovery::router(provisioner.clone()))
        .merge(status::router(provisioner.clone()));
    // Probes and scrapes stay out of the request log (they come every few seconds), not
    // out of request ids.
    let health = health::Health {
        provisioner: provisioner.clone(),
        driver: infra.driver.clone(),
        heartbeat: infra.heartbeat.clone(),
    };
    let metrics = metrics::Metrics {
        handle: metrics_handle,
        provisioner,
        fleet: infra.fleet.clone(),
        token: serve.metrics_token.clone(),
        seen: Default::default(),
        segments_seen: Default::default(),
    };
    let app = request_log::with_request_ids(
        request_log::logged(request_log::counted(app)).merge(health::router(health)).merge(metrics::router(metrics)),
    );
    // Outermost: everything after it sees the client, not the proxy.
    let app = proxy::behind(audit::with_actors(app), serve.trusted_proxies.clone());
    let listener =
        tokio::net::TcpListener::bind(serve.addr).await.with_context(|| format!("listening on {}", serve.addr))?;
    // No Nagle: hyper writes a file's head and body separately, and the body then waited
    // for the client's delayed ACK (25 ms a static file, 39 a second on one connection).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
    });
    tracing::info!("panel listening on http://{}", serve.addr);
    // The peer address reaches handlers (sign-in throttling counts attempts per client).
    // On a signal, requests under way get the grace period to finish; connections still
    // open after it (event streams of live pages) are dropped.
    let (stopping, mut stop_seen) = tokio::sync::watch::channel(false);
    let serving = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stopping.send(true);
        });
    let grace = Duration::from_secs(serve.shutdown_grace_secs);
    tokio::select! {
        served = serving => served.context("serving the panel")?,
        _ = async {
            let _ = stop_seen.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        } => tracing::info!(?grace, "connections still open after the grace period are closed"),
    }
    infra.stop().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
