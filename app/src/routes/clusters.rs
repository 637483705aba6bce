//! The clusters page: the account's clusters as cards (live), its quotas, and the form
//! that creates a cluster.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::components::cluster::{SegmentsBar, StatusBadge};
use crate::components::form::{action_error, clear_on_edit, FormError};
use crate::components::layout::ErrorPanel;
use crate::components::live::{follow, LiveBadge, LiveState, NoScriptRefresh};
use crate::error::AppError;
use crate::format::plural;
use crate::functions::clusters::{cluster_list, CreateCluster};
use crate::model::{ClusterListData, ClusterState, ClusterView};

/// The longest cluster name the provisioner accepts, in characters (said by the form as
/// the name is typed; the provisioner checks it).
const MAX_NAME_CHARS: usize = 64;

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
                    .map(|cluster| view! { <ClusterCard cluster max_segments=d.max_segments_per_cluster/> })
                    .collect_view()
            }}
            <li class="cluster-card add">
                <CreateForm create max_segments at_quota/>
            </li>
        </ul>
    }
    .into_any()
}

/// One cluster in the grid, like Carina's cards: the whole card is one link, its name.
#[component]
fn ClusterCard(cluster: ClusterView, max_segments: u32) -> AnyView {
    let href = format!("/clusters/{}", cluster.name);
    let room = max_segments.saturating_sub(cluster.desired_segments);
    view! {
        <li class="cluster-card" data-cluster=cluster.name.clone()>
            <p class="kind">"Docker Swarm cluster"</p>
            // The link covers the card (CSS): one target, not three to the same page.
            <h2><a href=href class="card-link">{cluster.name.clone()}</a></h2>
            <dl>
                <dt>"Segments"</dt>
                <dd>
                    <SegmentsBar ready=cluster.ready_segments desired=cluster.desired_segments room/>
                </dd>
                <dt>"Status"</dt>
                <dd><StatusBadge state=cluster.state/></dd>
            </dl>
            {cluster.reason.map(|reason| {
                let class = if cluster.state == ClusterState::Error { "reason" } else { "reason note" };
                view! { <p class=class>{reason}</p> }
            })}
        </li>
    }
    .into_any()
}

/// Names a new cluster and chooses its size. Works as a plain form before the wasm loads.
/// At the account's quota there is nothing to fill in: one sentence says why instead.
#[component]
fn CreateForm(create: ServerAction<CreateCluster>, max_segments: u32, at_quota: Memo<bool>) -> AnyView {
    view! {
        <Show
            when=move || !at_quota.get()
            fallback=|| view! {
                <h2>"Cluster limit reached"</h2>
                <p id="quota-reached" role="status">
                    "You have as many clusters as your account allows. Delete one first, or ask an operator to raise the limit."
                </p>
            }
        >
            <h2>"Create a cluster"</h2>
            <CreateFields create max_segments/>
        </Show>
    }
    .into_any()
}

/// The create form's fields. The name is not cut to length by the browser: a name too
/// long is said to be so while it is typed, and refused by the server.
#[component]
fn CreateFields(create: ServerAction<CreateCluster>, max_segments: u32) -> impl IntoView {
    let pending = create.pending();
    let length = RwSignal::new(0usize);
    let too_long = move || length.get() > MAX_NAME_CHARS;
    view! {
        <ActionForm action=create attr:class="stack" attr:id="create-cluster" on:input=clear_on_edit(create)>
            <div class="field">
                <label for="field-cluster-name">"Name"</label>
                <input
                    id="field-cluster-name"
                    name="name"
                    required
                    placeholder="demo"
                    autocomplete="off"
                    aria-describedby="cluster-name-rule"
                    aria-invalid=move || too_long().then_some("true")
                    on:input=move |ev| length.set(event_target_value(&ev).chars().count())
                />
                <p class="hint rule" id="cluster-name-rule" class:broken=too_long aria-live="polite">
                    {move || {
                        let n = length.get();
                        if n > MAX_NAME_CHARS {
                            format!("{n} characters: a name has at most {MAX_NAME_CHARS}.")
                        } else {
                            format!("Up to {MAX_NAME_CHARS} letters, digits, '-', '_' or '.'. It also names the credentials folder.")
                        }
                    }}
                </p>
            </div>
            <div class="field">
                <label for="field-cluster-segments">"Segments"</label>
                <select id="field-cluster-segments" name="segments">
                    {(1..=max_segments.max(1))
                        .map(|n| view! { <option value=n.to_string() selected=n == 1>{plural(n, "segment", "segments")}</option> })
                        .collect_view()}
                </select>
            </div>
            <FormError message=action_error(create)/>
            <button type="submit" class="primary" disabled=move || pending.get()>
                {move || if pending.get() { "Creating…" } else { "Create cluster" }}
            </button>
        </ActionForm>
    }
}
