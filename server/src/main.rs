//! The `server` binary: the panel, the JSON API, the cluster endpoints and the reconciler
//! in one process, plus operator subcommands.

mod admin;
mod api;
mod config;
mod csrf;
mod discovery;
mod endpoints;
mod infrastructure;
mod panel;
mod status;

use std::path::Path;

use anyhow::Context;
use app::session::CookiePolicy;
use clap::Parser;
use leptos::config::get_configuration;
use provisioner::{Provisioner, ProvisionerConfig, SecretKey, Storage};
use tracing_subscriber::EnvFilter;

use config::{Cli, Command, Common, Serve};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr: stdout is the answer of commands such as `list`.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let common = cli.common;
    match cli.command.unwrap_or_else(|| Command::Serve(Serve::parse_defaults())) {
        Command::Serve(serve) => run(&common, serve).await,
        Command::Admin(admin) => admin::run(&common, admin).await,
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

async fn open_storage(data_dir: &Path) -> anyhow::Result<Storage> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    Storage::open(&data_dir.join("carina.db")).await.context("opening the database")
}

/// The database and the secret key its CA keys are sealed with (the key file is created
/// on first start).
async fn open_storage_and_key(common: &Common) -> anyhow::Result<(Storage, SecretKey)> {
    let storage = open_storage(&common.data_dir).await?;
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
    let data_dir = common.data_dir.as_path();
    let (storage, key) = open_storage_and_key(common).await?;
    let infra = infrastructure::start(storage, key, data_dir, &serve).await?;
    let provisioner = infra.provisioner.clone();

    let mut options = get_configuration(None).context("reading the Leptos configuration")?.leptos_options;
    options.site_addr = serve.addr;
    options.site_root = serve.site_root.clone().into();
    let state =
        panel::PanelState { provisioner: provisioner.clone(), cookies: CookiePolicy { secure: serve.secure_cookies } };
    let app = panel::router(options, state)
        .merge(api::router(provisioner.clone()))
        .nest("/v1", discovery::router(provisioner.clone()))
        .merge(status::router(provisioner));
    let listener =
        tokio::net::TcpListener::bind(serve.addr).await.with_context(|| format!("listening on {}", serve.addr))?;
    tracing::info!("panel listening on http://{}", serve.addr);
    // The peer address reaches handlers (sign-in throttling counts attempts per client).
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving the panel")?;
    infra.stop().await;
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
