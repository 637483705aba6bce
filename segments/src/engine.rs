//! One segment's dockerd, reached over its unix socket on the host.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, SystemInfo};
use bollard::query_parameters::{
    CreateContainerOptions, ImportImageOptions, LogsOptionsBuilder, RemoveContainerOptions, WaitContainerOptions,
};
use bollard::{Docker, API_DEFAULT_VERSION};
use futures::TryStreamExt;

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

/// Errors of Docker and Swarm operations on one segment.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The Docker API returned an error.
    #[error("docker at {socket}: {op}: {source}")]
    Docker {
        /// The segment's socket.
        socket: PathBuf,
        /// What we were doing.
        op: &'static str,
        /// bollard's error.
        #[source]
        source: bollard::errors::Error,
    },
    /// dockerd did not answer in time.
    #[error("dockerd at {socket} did not answer within {timeout:?}: {last}")]
    NotReady {
        /// The segment's socket.
        socket: PathBuf,
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
    #[error("docker at {socket}: {detail}")]
    Unexpected {
        /// The segment's socket.
        socket: PathBuf,
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
    socket: PathBuf,
}

impl SegmentEngine {
    /// Connects to the dockerd at `socket` and agrees on an API version (dockerd 20.10
    /// speaks 1.41, older than bollard's default).
    pub async fn connect(socket: &Path) -> Result<Self, EngineError> {
        let err = |op| {
            let socket = socket.to_owned();
            move |source| EngineError::Docker { socket, op, source }
        };
        let path = socket.to_string_lossy();
        let docker =
            Docker::connect_with_unix(&path, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION).map_err(err("connect"))?;
        let docker = docker.negotiate_version().await.map_err(err("negotiate version"))?;
        Ok(SegmentEngine { docker, socket: socket.to_owned() })
    }

    /// Polls the socket until dockerd answers `/_ping`, then connects.
    pub async fn wait_ready(socket: &Path, timeout: Duration) -> Result<Self, EngineError> {
        let deadline = Instant::now() + timeout;
        loop {
            // Bounded as a whole: a hung dockerd accepts connections and never answers.
            let left = deadline.saturating_duration_since(Instant::now()).max(READY_POLL);
            let attempt = async {
                let engine = Self::connect(socket).await?;
                engine.ping().await?;
                Ok::<_, EngineError>(engine)
            };
            let last = match tokio::time::timeout(left, attempt).await {
                Ok(Ok(engine)) => return Ok(engine),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "no answer".to_owned(),
            };
            if Instant::now() >= deadline {
                return Err(EngineError::NotReady { socket: socket.to_owned(), timeout, last });
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// The underlying bollard client, for everything this type does not wrap.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The socket this engine talks to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub(crate) fn err(&self, op: &'static str) -> impl FnOnce(bollard::errors::Error) -> EngineError {
        let socket = self.socket.clone();
        move |source| EngineError::Docker { socket, op, source }
    }

    pub(crate) fn unexpected(&self, detail: impl Into<String>) -> EngineError {
        EngineError::Unexpected { socket: self.socket.clone(), detail: detail.into() }
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
