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
    use provisioner::{Account, BundleInfo, ClusterSummary, PlacedContainer, Provisioner, SegmentPlacement};

    use crate::error::AppError;
    use crate::model::{
        BundleView, ClusterListData, ClusterPageData, ClusterView, ContainerView, EventView, SegmentPlacementView,
        SegmentView, UsageView,
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
            segment_memory_mib: p.flavor().memory_mib,
            segment_vcpus: p.flavor().vcpus,
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

    /// How long after its creation a container of the owner's that has not run yet is
    /// shown as `starting`: `docker run` creates, then starts, and the placement view would
    /// otherwise flash `created` before `running`.
    const STARTING_WINDOW_SECS: i64 = 30;

    /// A container's state as the placement view shows it: `starting` for one of the
    /// owner's created moments ago; Docker's word otherwise (Carina's own data container
    /// stays `created`, as it is meant to).
    pub(super) fn shown_state(c: &PlacedContainer, now_secs: i64) -> String {
        let fresh = now_secs - c.created_at < STARTING_WINDOW_SECS;
        if c.state == "created" && !c.infrastructure && fresh {
            "starting".to_owned()
        } else {
            c.state.clone()
        }
    }

    fn placement_view(s: SegmentPlacement) -> SegmentPlacementView {
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        SegmentPlacementView {
            segment: s.segment,
            ordinal: s.ordinal,
            address: s.address,
            usage: s
                .usage
                .into_iter()
                .map(|u| UsageView { at: u.at, millicpu: u.millicpu, memory: u.memory })
                .collect(),
            containers: s.containers.map(|list| {
                list.into_iter()
                    .map(|c| ContainerView {
                        state: shown_state(&c, now),
                        id: c.id,
                        name: c.name,
                        image: c.image,
                        health: c.health,
                        group: c.group,
                        reserved_memory: c.reserved.memory,
                        reserved_millicpu: c.reserved.millicpu,
                        infrastructure: c.infrastructure,
                    })
                    .collect()
            }),
        }
    }

    fn bundle_view(b: BundleInfo) -> BundleView {
        BundleView {
            id: b.id,
            label: b.label,
            fingerprint_prefix: b.fingerprint_prefix,
            created_at: b.created_at,
            revoked: b.revoked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn a_container_just_created_reads_as_starting() {
        let container = |state: &str, infrastructure: bool| provisioner::PlacedContainer {
            id: "c".into(),
            name: "web".into(),
            image: "nginx".into(),
            state: state.into(),
            health: None,
            created_at: 1_000,
            infrastructure,
            group: None,
            reserved: provisioner::Reserved::default(),
        };
        assert_eq!(ssr::shown_state(&container("created", false), 1_005), "starting");
        assert_eq!(ssr::shown_state(&container("created", false), 1_100), "created", "never started");
        assert_eq!(ssr::shown_state(&container("created", true), 1_005), "created", "Carina's data container");
        assert_eq!(ssr::shown_state(&container("running", false), 1_005), "running");
    }

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
