//! Placement: which containers run on which segment, read from the segments' Docker.

use futures::future::join_all;
use segments::bollard::query_parameters::ListContainersOptions;
use segments::SegmentEngine;

use crate::account::Account;
use crate::error::Result;
use crate::Provisioner;

/// One container as the placement view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedContainer {
    pub id: String,
    pub name: String,
    pub image: String,
    /// created, running, exited...
    pub state: String,
    /// Docker's human status, e.g. "Up 3 minutes".
    pub status: String,
    /// When it was created, in Unix seconds.
    pub created_at: i64,
    /// Carina's own containers (swarm-data, swarm-manager).
    pub infrastructure: bool,
}

/// The containers of one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentPlacement {
    pub segment: String,
    pub ordinal: u32,
    pub address: String,
    /// `None` when the segment's Docker could not be asked (it is down or starting).
    pub containers: Option<Vec<PlacedContainer>>,
}

impl Provisioner {
    /// Where each container of one of the account's clusters runs, segment by segment.
    pub async fn placement(&self, account: &Account, name: &str) -> Result<Vec<SegmentPlacement>> {
        let row = self.owned_cluster(account, name).await?;
        let segments = self.storage.segments_of(&row.id).await?;
        let Some(driver) = self.driver.clone() else {
            return Ok(Vec::new());
        };
        Ok(join_all(segments.into_iter().map(|segment| {
            let socket = driver.docker_socket(segment.domain());
            async move {
                let containers = list_containers(&socket).await;
                SegmentPlacement {
                    ordinal: segment.ordinal as u32,
                    address: segment.address,
                    segment: segment.name,
                    containers,
                }
            }
        }))
        .await)
    }
}

async fn list_containers(socket: &std::path::Path) -> Option<Vec<PlacedContainer>> {
    if !socket.exists() {
        return None;
    }
    let engine = SegmentEngine::connect(socket).await.ok()?;
    let options = ListContainersOptions { all: true, ..Default::default() };
    let list = engine.docker().list_containers(Some(options)).await.ok()?;
    let mut containers: Vec<PlacedContainer> = list
        .into_iter()
        .map(|c| PlacedContainer {
            id: c.id.unwrap_or_default().chars().take(12).collect(),
            name: c.names.unwrap_or_default().first().map(|n| n.trim_start_matches('/').to_owned()).unwrap_or_default(),
            image: c.image.unwrap_or_default(),
            state: c.state.map(|s| s.to_string()).unwrap_or_default(),
            status: c.status.unwrap_or_default(),
            created_at: c.created.unwrap_or_default(),
            infrastructure: c.labels.unwrap_or_default().contains_key(segments::INFRA_LABEL),
        })
        .collect();
    containers.sort_by(|a, b| (a.infrastructure, &a.name).cmp(&(b.infrastructure, &b.name)));
    Some(containers)
}
