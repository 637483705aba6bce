//! The two docker CLIs (Docker's current one and Debian's docker.io), run against an
//! endpoint with a bundle's certificates and nothing of the caller's environment.

use std::path::PathBuf;
use std::process::Output;

/// The two docker CLIs that must both work.
pub const CLI_NEW: &str = "/usr/local/bin/docker";
pub const CLI_OLD: &str = "/usr/bin/docker";

/// How a CLI reaches the endpoint.
#[derive(Clone)]
pub struct CliEnv {
    pub host: String,
    pub cert_path: PathBuf,
    pub config_dir: PathBuf,
}

impl CliEnv {
    pub fn command(&self, cli: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(cli);
        cmd.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .env("HOME", &self.config_dir)
            .env("DOCKER_CONFIG", &self.config_dir)
            .env("DOCKER_HOST", &self.host)
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", &self.cert_path)
            .env("DOCKER_CLI_HINTS", "false")
            .kill_on_drop(true);
        cmd
    }

    /// Runs a CLI to completion (bounded by `timeout`).
    pub async fn run(&self, cli: &str, args: &[&str]) -> Output {
        self.run_timeout(cli, args, std::time::Duration::from_secs(60)).await
    }

    pub async fn run_timeout(&self, cli: &str, args: &[&str], timeout: std::time::Duration) -> Output {
        let fut = self.command(cli).args(args).output();
        match tokio::time::timeout(timeout, fut).await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => panic!("cannot run {cli}: {e}"),
            Err(_) => panic!("{cli} {args:?} timed out"),
        }
    }

    /// Runs and requires success; returns stdout.
    pub async fn ok(&self, cli: &str, args: &[&str]) -> String {
        let o = self.run(cli, args).await;
        assert!(
            o.status.success(),
            "{cli} {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}
