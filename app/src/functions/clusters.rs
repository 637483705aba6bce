//! Clusters: list, create, look at one, grow, rebuild, delete, and revoke credentials.
//!
//! The page data comes from [`page_data`] and [`list_data`], which the live streams of
//! the server use as well: a page and its stream can never disagree.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{ClusterListData, ClusterPageData};

#[cfg(feature = "ssr")]
pub use self::ssr::{list_data, page_data};

/// The signed-in account's clusters, with its quotas.
#[server(prefix = "/api", endpoint = "cluster_list")]
pub async fn cluster_list() -> Result<ClusterListData, AppError> {
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    list_data(&provisioner()?, &account).await.map_err(fail)
}

/// Everything the page of one of the account's clusters shows.
#[server(prefix = "/api", endpoint = "cluster_page")]
pub async fn cluster_page(name: String) -> Result<ClusterPageData, AppError> {
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    page_data(&provisioner()?, &account, &name).await.map_err(fail)
}

/// Creates a cluster, then goes to its page (where it is seen being built).
#[server(prefix = "/api", endpoint = "create_cluster")]
pub async fn create_cluster(name: String, segments: u32) -> Result<(), AppError> {
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    let cluster = provisioner()?.create_cluster(&account, &name, segments).await.map_err(fail)?;
    // The provisioner only accepts names made of letters, digits, '-', '_' and '.': the
    // path needs no escaping.
    leptos_axum::redirect(&format!("/clusters/{}", cluster.name));
    Ok(())
}

/// Grows a cluster to `segments` segments (only adds).
#[server(prefix = "/api", endpoint = "grow_cluster")]
pub async fn grow_cluster(name: String, segments: u32) -> Result<(), AppError> {
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    provisioner()?.grow_cluster(&account, &name, segments).await.map_err(fail)?;
    Ok(())
}

/// Replaces all of a cluster's segments, keeping its name, CA and endpoint; only from the
/// confirmation step (`confirm` is [`CONFIRMED`](super::CONFIRMED)), since the containers
/// on the old segments are lost. Then back to the cluster's page, out of that step.
#[server(prefix = "/api", endpoint = "rebuild_cluster")]
pub async fn rebuild_cluster(name: String, confirm: String) -> Result<(), AppError> {
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    super::require_confirmation(&confirm, "Nothing was rebuilt.")?;
    provisioner()?.rebuild_cluster(&account, &name).await.map_err(fail)?;
    // The name is one of the account's clusters (the rebuild found it): no escaping needed.
    leptos_axum::redirect(&format!("/clusters/{name}"));
    Ok(())
}

/// Deletes a cluster once its name has been typed again as `confirm`, then goes to the
/// clusters page.
#[server(prefix = "/api", endpoint = "delete_cluster")]
pub async fn delete_cluster(name: String, confirm: String) -> Result<(), AppError> {
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    check_confirmation(&name, &confirm).map_err(fail)?;
    provisioner()?.delete_cluster(&account, &name).await.map_err(fail)?;
    leptos_axum::redirect("/clusters");
    Ok(())
}

/// Revokes one of a cluster's credentials bundles: its certificate stops working at once.
/// Only from the confirmation step (`confirm` is [`CONFIRMED`](super::CONFIRMED)); then
/// back to the cluster's page, out of that step.
#[server(prefix = "/api", endpoint = "revoke_bundle")]
pub async fn revoke_bundle(name: String, bundle: String, confirm: String) -> Result<(), AppError> {
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    super::require_confirmation(&confirm, "Nothing was revoked.")?;
    provisioner()?.revoke_credentials(&account, &name, &bundle).await.map_err(fail)?;
    // The name is one of the account's clusters (the revoke found it): no escaping needed.
    leptos_axum::redirect(&format!("/clusters/{name}"));
    Ok(())
}

/// A delete goes ahead only when the confirmation is the cluster's name (surrounding
/// spaces forgiven: they are invisible in the form).
pub fn check_confirmation(name: &str, confirm: &str) -> Result<(), AppError> {
    if confirm.trim() == name.trim() {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "To delete the cluster, type its name, {}, exactly. Nothing was deleted.",
            name.trim()
        )))
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use provisioner::{Account, BundleInfo, ClusterSummary, Provisioner, SegmentPlacement};

    use crate::error::AppError;
    use crate::model::{
        BundleView, ClusterListData, ClusterPageData, ClusterView, ContainerView, EventView, SegmentPlacementView,
        SegmentView,
    };

    /// The clusters page's data for `account`.
    pub async fn list_data(p: &Provisioner, account: &Account) -> Result<ClusterListData, AppError> {
        Ok(ClusterListData {
            clusters: p.clusters(account).await?.into_iter().map(cluster_view).collect(),
            max_clusters: account.quotas.max_clusters,
            max_segments_per_cluster: account.quotas.max_segments_per_cluster,
        })
    }

    /// The cluster page's data: detail, placement and bundles of one of the account's
    /// clusters. `NotFound` once the cluster is gone.
    pub async fn page_data(p: &Provisioner, account: &Account, name: &str) -> Result<ClusterPageData, AppError> {
        let detail = p.cluster_detail(account, name).await?;
        // Placement asks every segment's Docker, the slow part: the bundles come meanwhile.
        let (placement, bundles) = tokio::join!(p.placement(account, name), p.bundles(account, name));
        Ok(ClusterPageData {
            cluster: cluster_view(detail.summary),
            token: detail.token,
            docker_host: detail.docker_host,
            apparmor_enforced: p.apparmor_enforced(),
            service_vips: p.ipvs_available(),
            max_segments_per_cluster: account.quotas.max_segments_per_cluster,
            segments: detail
                .segments
                .into_iter()
                .map(|s| SegmentView {
                    name: s.name,
                    ordinal: s.ordinal,
                    address: s.address,
                    state: s.state.to_string(),
                    state_reason: s.state_reason,
                    memory_mib: s.memory_mib,
                    vcpus: s.vcpus,
                })
                .collect(),
            placement: placement?.into_iter().map(placement_view).collect(),
            bundles: bundles?.into_iter().map(bundle_view).collect(),
            events: detail
                .events
                .into_iter()
                .map(|e| EventView { kind: e.kind, message: e.message, at: e.at })
                .collect(),
        })
    }

    fn cluster_view(s: ClusterSummary) -> ClusterView {
        ClusterView {
            id: s.id,
            name: s.name,
            state: s.status.into(),
            permits: s.status.into(),
            reason: s.status_reason,
            desired_segments: s.desired_segments,
            ready_segments: s.ready_segments,
            flavor: s.flavor,
            created_at: s.created_at,
        }
    }

    fn placement_view(s: SegmentPlacement) -> SegmentPlacementView {
        SegmentPlacementView {
            segment: s.segment,
            ordinal: s.ordinal,
            address: s.address,
            containers: s.containers.map(|list| {
                list.into_iter()
                    .map(|c| ContainerView {
                        id: c.id,
                        name: c.name,
                        image: c.image,
                        state: c.state,
                        status: c.status,
                        infrastructure: c.infrastructure,
                    })
                    .collect()
            }),
        }
    }

    fn bundle_view(b: BundleInfo) -> BundleView {
        BundleView { id: b.id, fingerprint_prefix: b.fingerprint_prefix, created_at: b.created_at, revoked: b.revoked }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleting_needs_the_exact_name() {
        assert!(check_confirmation("demo", "demo").is_ok());
        assert!(check_confirmation("demo", "  demo ").is_ok());
        for wrong in ["", "Demo", "dem", "demo2"] {
            let err = check_confirmation("demo", wrong).unwrap_err();
            assert!(err.to_string().contains("type its name, demo"), "{wrong:?}");
        }
    }
}
