//! The page of one cluster: status, facts, access, placement, segments, credentials,
//! history and actions. Once the wasm runs it follows the cluster's live stream, so
//! builds, grows and new containers show up without a reload.
//!
//! One module per part of the page: [`facts`] (what the cluster is and how to reach it),
//! [`placement`] (which container runs where), [`segments`] (the segments table),
//! [`credentials`] (issued bundles),
//! [`history`], and [`actions`] (grow, rebuild, delete).

mod actions;
mod credentials;
mod facts;
mod history;
mod placement;
mod segments;
mod usage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_params_map;

use crate::components::cluster::StatusBadge;
use crate::components::layout::ErrorPanel;
use crate::components::live::{follow, LiveBadge, LiveState, NoScriptRefresh};
use crate::error::AppError;
use crate::functions::clusters::{cluster_page, DeleteCluster, GrowCluster, RebuildCluster, RevokeBundle};
use crate::model::{ClusterPageData, ClusterState};

/// The page's forms. Created by the page, under the routes, where the error of a plain
/// form post comes back from the URL.
#[derive(Clone, Copy)]
struct Actions {
    grow: ServerAction<GrowCluster>,
    rebuild: ServerAction<RebuildCluster>,
    delete: ServerAction<DeleteCluster>,
    revoke: ServerAction<RevokeBundle>,
}

/// `/clusters/:name`.
#[component]
pub fn ClusterPage() -> impl IntoView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let actions = Actions {
        grow: ServerAction::new(),
        rebuild: ServerAction::new(),
        delete: ServerAction::new(),
        revoke: ServerAction::new(),
    };
    let data = Resource::new(move || name.get(), cluster_page);
    view! {
        <Title text=move || format!("{} · Carina", name.get())/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <ClusterLive initial=page actions/> }.into_any(),
                    Err(AppError::NotFound(_)) => view! { <ClusterNotFound/> }.into_any(),
                    Err(AppError::Unauthorized(_)) => {
                        let path = format!("/signin?next=/clusters/{}", name.get_untracked());
                        view! { <Redirect path/> }.into_any()
                    }
                    Err(err) => view! { <ErrorPanel error=err/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The page once its data is there: a signal that the live stream keeps current.
#[component]
fn ClusterLive(initial: ClusterPageData, actions: Actions) -> AnyView {
    let name = initial.cluster.name.clone();
    let page = RwSignal::new(initial);
    let live = RwSignal::new(LiveState::Off);
    follow(format!("/live/clusters/{name}"), page, live);
    refresh_after_actions(name.clone(), page, actions);
    view! {
        <Show
            when=move || live.get() != LiveState::Gone
            fallback=|| view! { <ClusterGone/> }
        >
            <Head page live/>
            <div class="card-row">
                <facts::Facts page/>
                <facts::Access page/>
            </div>
            <placement::Placement page/>
            <segments::Segments page/>
            <credentials::Bundles page revoke=actions.revoke/>
            <actions::Manage page grow=actions.grow rebuild=actions.rebuild/>
            <history::History page/>
            <actions::Delete page delete=actions.delete/>
        </Show>
    }
    .into_any()
}

/// After one of the page's actions, fetch the page once more: the live stream would
/// bring the change within a second, but this works even where a proxy holds streams back.
fn refresh_after_actions(name: String, page: RwSignal<ClusterPageData>, actions: Actions) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |previous: Option<usize>| {
        let versions = actions.grow.version().get() + actions.rebuild.version().get() + actions.revoke.version().get();
        if previous.is_some_and(|previous| previous != versions) {
            let name = name.clone();
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = cluster_page(name).await {
                    page.try_set(fresh);
                }
            });
        }
        versions
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (name, page, actions);
}

/// Name, status (with its reason) and whether the page is live.
#[component]
fn Head(page: RwSignal<ClusterPageData>, live: RwSignal<LiveState>) -> AnyView {
    let name = page.with_untracked(|p| p.cluster.name.clone());
    let state = Memo::new(move |_| page.with(|p| p.cluster.state));
    let reason = Memo::new(move |_| page.with(|p| p.cluster.reason.clone()));
    view! {
        <NoScriptRefresh when=Signal::derive(move || state.get().is_converging())/>
        <p class="crumbs"><A href="/clusters" exact=true>"← Clusters"</A></p>
        <div class="page-head">
            <div class="title">
                <p class="kind">"Docker Swarm cluster"</p>
                <h1 id="cluster-name">{name}</h1>
            </div>
            <p class="status-line">
                {move || view! { <StatusBadge state=state.get() id="cluster-status"/> }}
                " "
                <LiveBadge state=live/>
            </p>
        </div>
        {move || {
            reason.get().map(|reason| {
                // Red only for a failure; otherwise the reason says what the cluster waits for.
                let class = if state.get() == ClusterState::Error { "reason" } else { "reason note" };
                view! { <p class=class id="cluster-reason" role="status">{reason}</p> }
            })
        }}
    }
    .into_any()
}

/// For a cluster that does not exist (or is not the account's): HTTP 404.
#[component]
fn ClusterNotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card narrow" id="cluster-not-found">
            <h1>"No such cluster"</h1>
            <p>"You have no cluster with this name. It may have been deleted."</p>
            <p><A href="/clusters" attr:class="button">"Your clusters"</A></p>
        </section>
    }
}

/// What the page becomes when its cluster is deleted while it is open.
#[component]
fn ClusterGone() -> impl IntoView {
    view! {
        <section class="card narrow" id="cluster-gone" role="status">
            <h1>"Cluster deleted"</h1>
            <p>"This cluster and its segments are gone."</p>
            <p><A href="/clusters" attr:class="button">"Your clusters"</A></p>
        </section>
    }
}
