//! Carina's per-segment infrastructure containers: created, never started.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, ContainerInspectResponse, HostConfig};
use bollard::query_parameters::{CreateContainerOptions, InspectContainerOptions, RemoveContainerOptions};

use crate::dockerd::TLS_DIR;
use crate::{EngineError, SegmentEngine, BASE_IMAGE_REF};

/// Label on every infrastructure container (the cluster endpoint protects them).
pub const INFRA_LABEL: &str = "carina.infrastructure";
/// Label carrying the cluster id.
pub const CLUSTER_LABEL: &str = "carina.cluster";
/// The data-only container that exposes the segment's `/etc/docker` to
/// `--volumes-from swarm-data`.
pub const SWARM_DATA: &str = "swarm-data";
/// The marker container whose command holds the discovery token at index 6.
pub const SWARM_MANAGER: &str = "swarm-manager";

/// The `swarm-manager` command, as Carina's: `{{index .Config.Cmd 6}}` is the token.
pub fn swarm_manager_cmd(cluster_id: &str) -> Vec<String> {
    ["manage", "-H", "tcp://0.0.0.0:2376", "--tlsverify", "--strategy", "spread"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("token://{cluster_id}")])
        .collect()
}

fn labels(cluster_id: &str) -> HashMap<String, String> {
    HashMap::from([(INFRA_LABEL.to_owned(), "true".to_owned()), (CLUSTER_LABEL.to_owned(), cluster_id.to_owned())])
}

fn swarm_data_body(cluster_id: &str) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(BASE_IMAGE_REF.to_owned()),
        cmd: Some(vec!["/bin/true".to_owned()]),
        labels: Some(labels(cluster_id)),
        host_config: Some(HostConfig { binds: Some(vec![format!("{TLS_DIR}:{TLS_DIR}:ro")]), ..Default::default() }),
        ..Default::default()
    }
}

fn swarm_manager_body(cluster_id: &str) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(BASE_IMAGE_REF.to_owned()),
        cmd: Some(swarm_manager_cmd(cluster_id)),
        labels: Some(labels(cluster_id)),
        ..Default::default()
    }
}

/// Whether an existing container already is what `body` describes.
fn matches(existing: &ContainerInspectResponse, body: &ContainerCreateBody) -> bool {
    let Some(config) = &existing.config else {
        return false;
    };
    let labels_match =
        body.labels.iter().flatten().all(|(k, v)| config.labels.as_ref().and_then(|l| l.get(k)) == Some(v));
    let wanted_binds = body.host_config.as_ref().and_then(|h| h.binds.clone()).unwrap_or_default();
    let binds = existing.host_config.as_ref().and_then(|h| h.binds.clone()).unwrap_or_default();
    config.image == body.image && config.cmd == body.cmd && labels_match && binds == wanted_binds
}

impl SegmentEngine {
    /// Creates the infrastructure containers of a segment of cluster `cluster_id`:
    /// `swarm-data` always, `swarm-manager` when `with_manager` (the first segment),
    /// removing a `swarm-manager` that should not be there. Needs the base image.
    /// Idempotent: containers that already match are kept, others are replaced.
    pub async fn ensure_infra_containers(&self, cluster_id: &str, with_manager: bool) -> Result<(), EngineError> {
        self.ensure_created(SWARM_DATA, swarm_data_body(cluster_id)).await?;
        if with_manager {
            self.ensure_created(SWARM_MANAGER, swarm_manager_body(cluster_id)).await
        } else {
            self.remove_container_if_present(SWARM_MANAGER).await
        }
    }

    async fn inspect_if_present(&self, name: &str) -> Result<Option<ContainerInspectResponse>, EngineError> {
        match self.docker().inspect_container(name, None::<InspectContainerOptions>).await {
            Ok(c) => Ok(Some(c)),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(None),
            Err(e) => Err(self.err("inspect container")(e)),
        }
    }

    async fn remove_container_if_present(&self, name: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptions { force: true, ..Default::default() };
        match self.docker().remove_container(name, Some(options)).await {
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(()),
            other => other.map_err(self.err("remove container")),
        }
    }

    async fn ensure_created(&self, name: &str, body: ContainerCreateBody) -> Result<(), EngineError> {
        if let Some(existing) = self.inspect_if_present(name).await? {
            if matches(&existing, &body) {
                return Ok(());
            }
            self.remove_container_if_present(name).await?;
        }
        let options = CreateContainerOptions { name: Some(name.to_owned()), ..Default::default() };
        match self.docker().create_container(Some(options), body).await {
            Ok(_) => Ok(()),
            // Created concurrently by another ensure: fine.
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 409, .. }) => Ok(()),
            Err(e) => Err(self.err("create container")(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_cmd_has_the_token_at_index_6() {
        let cmd = swarm_manager_cmd("abc");
        assert_eq!(cmd[6], "token://abc");
        assert_eq!(cmd[0], "manage");
        assert_eq!(cmd.len(), 7);
    }

    #[test]
    fn swarm_data_binds_etc_docker_read_only() {
        let body = swarm_data_body("abc");
        assert_eq!(body.host_config.unwrap().binds.unwrap(), vec!["/etc/docker:/etc/docker:ro"]);
        assert_eq!(body.labels.unwrap().get(INFRA_LABEL).map(String::as_str), Some("true"));
    }
}
