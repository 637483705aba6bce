//! The clusters page: the account's clusters as cards (live), its quotas, and the form
//! that creates a cluster.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::components::cluster::{SegmentsBar, StatusBadge};
use crate::components::form::{action_error, FormError};
use crate::components::layout::ErrorPanel;
use crate::components::live::{follow, LiveBadge, LiveState, NoScriptRefresh};
use crate::error::AppError;
use crate::format::plural;
use crate::functions::clusters::{cluster_list, CreateCluster};
use crate::model::{ClusterListData, ClusterState, ClusterView};

/// Lists the account's clusters; explains what a cluster is while there are none.
#[component]
pub fn ClustersPage() -> impl IntoView {
    // Created here, under the routes, where a plain form post's error comes back.
    let create = ServerAction::<CreateCluster>::new();
    let list = Resource::new(|| (), |_| cluster_list());
    view! {
        <Title text="Clusters · Carina"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(AppError::Unauthorized(_)) => view! { <Redirect path="/signin?next=/clusters"/> }.into_any(),
                    Err(err) => view! { <ErrorPanel error=err/> }.into_any(),
                    Ok(data) => view! { <ClusterList initial=data create/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ClusterList(initial: ClusterListData, create: ServerAction<CreateCluster>) -> AnyView {
    let max_segments = initial.max_segments_per_cluster;
    let data = RwSignal::new(initial);
    let live = RwSignal::new(LiveState::Off);
    follow("/live/clusters".into(), data, live);
    let empty = Memo::new(move |_| data.with(|d| d.clusters.is_empty()));
    let at_quota = Memo::new(move |_| data.with(|d| d.clusters.len() as u32 >= d.max_clusters));
    let converging = Memo::new(move |_| data.with(|d| d.clusters.iter().any(|c| c.state.is_converging())));
    view! {
        <NoScriptRefresh when=converging/>
        <div class="page-head">
            <h1>"Clusters" " " <LiveBadge state=live/></h1>
            <p class="quota" id="cluster-quota">
                {move || data.with(|d| format!("{} of {} clusters", d.clusters.len(), d.max_clusters))}
                " · "
                {format!("up to {} each", plural(max_segments, "segment", "segments"))}
            </p>
        </div>
        <Show when=move || empty.get()>
            <section class="empty-state">
                <h2>"No clusters yet"</h2>
                <p>
                    "A cluster is a Docker Swarm made of segments: isolated containers, each with its own Docker engine and address. "
                    "Once it is active you download its credentials and use your usual "
                    <code>"docker"</code>
                    " command against the whole cluster."
                </p>
            </section>
        </Show>
        <ul class="cluster-grid" id="cluster-cards">
            {move || {
                let d = data.get();
                d.clusters
                    .into_iter()
                    .map(|cluster| view! { <ClusterCard cluster slots=d.max_segments_per_cluster/> })
                    .collect_view()
            }}
            <li class="cluster-card add">
                <CreateForm create max_segments at_quota/>
            </li>
        </ul>
    }
    .into_any()
}

/// One cluster in the grid, like Carina's cards.
#[component]
fn ClusterCard(cluster: ClusterView, slots: u32) -> AnyView {
    let href = format!("/clusters/{}", cluster.name);
    let access = cluster.permits.download_credentials.then(|| format!("{href}#get-access"));
    view! {
        <li class="cluster-card" data-cluster=cluster.name.clone()>
            <p class="kind">"Docker Swarm cluster"</p>
            <h2><a href=href.clone()>{cluster.name.clone()}</a></h2>
            <dl>
                <dt>"Segments"</dt>
                <dd>
                    <SegmentsBar ready=cluster.ready_segments desired=cluster.desired_segments slots/>
                </dd>
                <dt>"Status"</dt>
                <dd><StatusBadge state=cluster.state/></dd>
            </dl>
            {cluster.reason.map(|reason| {
                let class = if cluster.state == ClusterState::Error { "reason" } else { "reason note" };
                view! { <p class=class>{reason}</p> }
            })}
            <p class="card-actions">
                {access.map(|href| view! { <a href=href class="button primary small">"Get access"</a> })}
                <a href=href class="button small">"Details"</a>
            </p>
        </li>
    }
    .into_any()
}

/// Names a new cluster and chooses its size. Works as a plain form before the wasm loads.
#[component]
fn CreateForm(create: ServerAction<CreateCluster>, max_segments: u32, at_quota: Memo<bool>) -> AnyView {
    let pending = create.pending();
    view! {
        <h2>"Create a cluster"</h2>
        <ActionForm action=create attr:class="stack" attr:id="create-cluster">
            <div class="field">
                <label for="field-cluster-name">"Name"</label>
                <input
                    id="field-cluster-name"
                    name="name"
                    required
                    maxlength="64"
                    placeholder="demo"
                    autocomplete="off"
                />
                <p class="hint">"Letters, digits, '-', '_' or '.'. It also names the credentials folder."</p>
            </div>
            <div class="field">
                <label for="field-cluster-segments">"Segments"</label>
                <select id="field-cluster-segments" name="segments">
                    {(1..=max_segments.max(1))
                        .map(|n| view! { <option value=n.to_string() selected=n == 1>{plural(n, "segment", "segments")}</option> })
                        .collect_view()}
                </select>
            </div>
            <Show when=move || at_quota.get()>
                <p class="hint" id="quota-reached">
                    "You have as many clusters as your account allows. Delete one first, or ask an operator to raise the limit."
                </p>
            </Show>
            <FormError message=action_error(create)/>
            <button type="submit" class="primary" disabled=move || pending.get()>
                {move || if pending.get() { "Creating…" } else { "Create cluster" }}
            </button>
        </ActionForm>
    }
    .into_any()
}
