//! One segment's dockerd, reached over its unix socket on this machine or over TLS (see
//! [`dockerlink`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, SystemInfo};
use bollard::query_parameters::{
    CreateContainerOptions, ImportImageOptions, LogsOptionsBuilder, RemoveContainerOptions, WaitContainerOptions,
};
use bollard::{BollardRequest, Docker, API_DEFAULT_VERSION};
use dockerlink::{Connector, DockerAddress};
use futures::TryStreamExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

/// The base image every segment has, loaded from `HostConfig::base_image_tar`.
pub const BASE_IMAGE_REF: &str = "busybox:latest";

/// Per-request timeout. Short enough that a hung dockerd stalls a reconcile pass only
/// briefly; the slow Swarm calls use [`SWARM_TIMEOUT`].
const REQUEST_TIMEOUT_SECS: u64 = 15;
/// For swarm init, join and leave: a manager join waits for the Raft log, which can take
/// seconds on a busy host.
pub(crate) const SWARM_TIMEOUT: Duration = Duration::from_secs(60);
/// How often `wait_ready` polls: dockerd answers about half a second after the start.
const READY_POLL: Duration = Duration::from_millis(50);
/// How long a TCP connection to a segment's dockerd may take to open. On the bridge it
/// takes well under a millisecond; a SYN sent while the segment is still starting is lost,
/// and TCP would send it again only after a second, so a poll gives up instead.
const TCP_CONNECT_TIMEOUT: Duration = Duration::from_millis(250);

/// Errors of Docker and Swarm operations on one segment.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The Docker API returned an error.
    #[error("docker at {at}: {op}: {source}")]
    Docker {
        /// Where the segment's dockerd is reached.
        at: String,
        /// What we were doing.
        op: &'static str,
        /// bollard's error.
        #[source]
        source: bollard::errors::Error,
    },
    /// dockerd did not answer in time.
    #[error("dockerd at {at} did not answer within {timeout:?}: {last}")]
    NotReady {
        /// Where the segment's dockerd is reached.
        at: String,
        /// How long we waited.
        timeout: Duration,
        /// The last error seen.
        last: String,
    },
    /// Reading a file on the host failed.
    #[error("read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// dockerd answered, but not what the operation needs.
    #[error("docker at {at}: {detail}")]
    Unexpected {
        /// Where the segment's dockerd is reached.
        at: String,
        /// What was wrong.
        detail: String,
    },
}

impl EngineError {
    /// The HTTP status Docker answered with, if that is what failed.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            EngineError::Docker {
                source: bollard::errors::Error::DockerResponseServerError { status_code, .. },
                ..
            } => Some(*status_code),
            _ => None,
        }
    }
}

/// What a container run by [`SegmentEngine::run_once`] printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutput {
    /// Its exit code.
    pub exit_code: i64,
    /// stdout and stderr, interleaved.
    pub output: String,
}

/// A connection to one segment's dockerd.
#[derive(Debug, Clone)]
pub struct SegmentEngine {
    docker: Docker,
    address: DockerAddress,
}

impl SegmentEngine {
    /// Connects to the dockerd at `address` and agrees on an API version (dockerd 20.10
    /// speaks 1.41, older than bollard's default).
    pub async fn connect(address: &DockerAddress) -> Result<Self, EngineError> {
        let err = |op| move |source| EngineError::Docker { at: address.to_string(), op, source };
        let docker = match address {
            DockerAddress::Unix(path) => {
                Docker::connect_with_unix(&path.to_string_lossy(), REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
            }
            DockerAddress::Tls { .. } => over_tls(address),
        };
        let docker = docker.map_err(err("connect"))?.negotiate_version().await.map_err(err("negotiate version"))?;
        Ok(SegmentEngine { docker, address: address.clone() })
    }

    /// Polls `address` until dockerd answers `/_ping`, then connects.
    pub async fn wait_ready(address: &DockerAddress, timeout: Duration) -> Result<Self, EngineError> {
        let deadline = Instant::now() + timeout;
        loop {
            // Bounded as a whole: a hung dockerd accepts connections and never answers.
            let left = deadline.saturating_duration_since(Instant::now()).max(READY_POLL);
            let attempt = async {
                let engine = Self::connect(address).await?;
                engine.ping().await?;
                Ok::<_, EngineError>(engine)
            };
            let last = match tokio::time::timeout(left, attempt).await {
                Ok(Ok(engine)) => return Ok(engine),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "no answer".to_owned(),
            };
            if Instant::now() >= deadline {
                return Err(EngineError::NotReady { at: address.to_string(), timeout, last });
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// The underlying bollard client, for everything this type does not wrap.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Where this engine's dockerd is reached.
    pub fn address(&self) -> &DockerAddress {
        &self.address
    }

    pub(crate) fn err(&self, op: &'static str) -> impl FnOnce(bollard::errors::Error) -> EngineError {
        let at = self.address.to_string();
        move |source| EngineError::Docker { at, op, source }
    }

    pub(crate) fn unexpected(&self, detail: impl Into<String>) -> EngineError {
        EngineError::Unexpected { at: self.address.to_string(), detail: detail.into() }
    }

    /// `GET /_ping`.
    pub async fn ping(&self) -> Result<(), EngineError> {
        self.docker.ping().await.map(|_| ()).map_err(self.err("ping"))
    }

    /// `GET /info`.
    pub async fn info(&self) -> Result<SystemInfo, EngineError> {
        self.docker.info().await.map_err(self.err("info"))
    }

    /// Makes sure [`BASE_IMAGE_REF`] exists, loading it from `tar` (`docker load`
    /// format, as `scripts/host-setup.sh` builds it) when missing.
    pub async fn ensure_base_image(&self, tar: &Path) -> Result<(), EngineError> {
        if self.has_image(BASE_IMAGE_REF).await? {
            return Ok(());
        }
        let bytes = tokio::fs::read(tar).await.map_err(|source| EngineError::Io { path: tar.to_owned(), source })?;
        let options = ImportImageOptions { quiet: true, ..Default::default() };
        self.docker
            .import_image(options, bollard::body_full(bytes.into()), None)
            .try_collect::<Vec<_>>()
            .await
            .map_err(self.err("load base image"))?;
        if !self.has_image(BASE_IMAGE_REF).await? {
            return Err(self.unexpected(format!("{} holds no {BASE_IMAGE_REF}", tar.display())));
        }
        Ok(())
    }

    /// Whether an image of that reference exists.
    pub async fn has_image(&self, reference: &str) -> Result<bool, EngineError> {
        match self.docker.inspect_image(reference).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(false),
            Err(e) => Err(self.err("inspect image")(e)),
        }
    }

    /// Runs a container to completion and removes it: `docker run --rm` without a TTY.
    pub async fn run_once(&self, config: ContainerCreateBody) -> Result<RunOutput, EngineError> {
        let created = self
            .docker
            .create_container(None::<CreateContainerOptions>, config)
            .await
            .map_err(self.err("create container"))?;
        let result = self.start_wait_logs(&created.id).await;
        let remove = RemoveContainerOptions { force: true, v: true, ..Default::default() };
        let removed =
            self.docker.remove_container(&created.id, Some(remove)).await.map_err(self.err("remove container"));
        let output = result?;
        removed?;
        Ok(output)
    }

    async fn start_wait_logs(&self, id: &str) -> Result<RunOutput, EngineError> {
        self.docker
            .start_container(id, None::<bollard::query_parameters::StartContainerOptions>)
            .await
            .map_err(self.err("start container"))?;
        let mut exit_code = 0;
        let mut waits = self.docker.wait_container(id, None::<WaitContainerOptions>);
        loop {
            match waits.try_next().await {
                Ok(Some(response)) => exit_code = response.status_code,
                Ok(None) => break,
                // bollard reports a non-zero exit as an error.
                Err(bollard::errors::Error::DockerContainerWaitError { code, .. }) => {
                    exit_code = code;
                    break;
                }
                Err(e) => return Err(self.err("wait container")(e)),
            }
        }
        let logs = LogsOptionsBuilder::new().stdout(true).stderr(true).build();
        let chunks: Vec<_> =
            self.docker.logs(id, Some(logs)).try_collect().await.map_err(self.err("container logs"))?;
        let output = chunks.iter().map(|c| c.to_string()).collect();
        Ok(RunOutput { exit_code, output })
    }
}

/// A bollard client whose requests go through a pooled hyper client over
/// [`dockerlink::connect`] (bollard's own TLS client reads its keys from files only).
fn over_tls(address: &DockerAddress) -> Result<Docker, bollard::errors::Error> {
    let client = Arc::new(
        Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(Connector::new(address.clone()).with_tcp_timeout(TCP_CONNECT_TIMEOUT)),
    );
    let transport = move |request: BollardRequest| {
        let client = client.clone();
        async move { Ok(client.request(request).await?) }
    };
    // The authority is never used: the connector knows where to go.
    Docker::connect_with_custom_transport(transport, Some("http://dockerd"), REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
}
