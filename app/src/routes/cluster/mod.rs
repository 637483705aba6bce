//! The page of one cluster: status, facts, access, placement, segments, credentials,
//! history and actions. Once the wasm runs it follows the cluster's live stream, so
//! builds, grows and new containers show up without a reload.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::cluster::{SegmentsBar, StatusBadge};
use crate::components::form::{action_error, Confirmation, FormError};
use crate::components::layout::ErrorPanel;
use crate::components::live::{follow, LiveBadge, LiveState, NoScriptRefresh};
use crate::error::AppError;
use crate::format::{memory, plural, utc_minute};
use crate::functions::clusters::{cluster_page, DeleteCluster, GrowCluster, RebuildCluster, RevokeBundle};
use crate::functions::CONFIRMED;
use crate::model::{BundleView, ClusterPageData, ClusterState, EventView, SegmentPlacementView, SegmentView};

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
                <Facts page/>
                <Access page/>
            </div>
            <Placement page/>
            <Segments page/>
            <Bundles page actions/>
            <Manage page actions/>
            <History page/>
            <Delete page actions/>
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
            <div>
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

/// Size, flavor, age, discovery token, endpoint, confinement.
#[component]
fn Facts(page: RwSignal<ClusterPageData>) -> AnyView {
    let facts = Memo::new(move |_| {
        page.with(|p| {
            let flags = (p.apparmor_enforced, p.service_vips);
            (p.cluster.clone(), p.token.clone(), p.docker_host.clone(), flags, p.max_segments_per_cluster)
        })
    });
    (move || {
        let (cluster, token, docker_host, (apparmor, service_vips), slots) = facts.get();
        view! {
            <section class="card" id="facts">
                <dl class="facts">
                    <dt>"Segments"</dt>
                    <dd id="cluster-segments">
                        <SegmentsBar ready=cluster.ready_segments desired=cluster.desired_segments slots/>
                        " "
                        <span class="muted">"ready"</span>
                    </dd>
                    <dt>"Flavor"</dt>
                    <dd>{cluster.flavor}</dd>
                    <dt>"Created"</dt>
                    <dd>{utc_minute(cluster.created_at)}</dd>
                    <dt>"Discovery token"</dt>
                    <dd><code id="cluster-token">{token}</code></dd>
                    <dt>"DOCKER_HOST"</dt>
                    <dd><code id="cluster-docker-host">{docker_host}</code></dd>
                    <dt>"Confinement"</dt>
                    <dd id="cluster-apparmor">
                        {if apparmor {
                            "AppArmor: enforced"
                        } else {
                            "AppArmor: not enforced on this host (the kernel has no AppArmor)"
                        }}
                    </dd>
                    <dt>"Swarm services"</dt>
                    <dd id="cluster-service-endpoints">
                        {if service_vips {
                            "reached by name through a virtual IP, ports published on every segment"
                        } else {
                            "reached by name through DNS round-robin, ports published where a task runs (this host's kernel has no IPVS for virtual IPs)"
                        }}
                    </dd>
                </dl>
            </section>
        }
    })
    .into_any()
}

/// Carina's "Get Access": the download and the three steps, once there is something to
/// connect to.
#[component]
fn Access(page: RwSignal<ClusterPageData>) -> AnyView {
    let name = page.with_untracked(|p| p.cluster.name.clone());
    let state = Memo::new(move |_| page.with(|p| (p.cluster.state, p.cluster.permits)));
    (move || {
        let name = name.clone();
        let body = if state.get().1.download_credentials {
            let zip = format!("{name}.zip");
            view! {
                <ol class="steps">
                    <li>
                        // A plain form post, not a link: every download mints a certificate,
                        // so no other site may trigger one with a link or an image. The
                        // answer is an attachment, so the page stays where it is.
                        <form
                            id="download-credentials-form"
                            class="in-text"
                            method="post"
                            action=format!("/clusters/{name}/credentials.zip")
                        >
                            <button id="download-credentials" type="submit" class="primary">
                                "Download credentials"
                            </button>
                        </form>
                        " " <span class="muted">{zip.clone()}</span>
                    </li>
                    <li>"Unzip it: " <code>{format!("unzip {zip}")}</code> " (it makes a folder " <code>{name.clone()}</code> ")."</li>
                    <li>"Point docker at the cluster: " <code>{format!("source {name}/docker.env")}</code> ", then " <code>"docker info"</code> "."</li>
                </ol>
                <p class="muted">
                    "Each download issues a new client certificate. Keep the files private and out of source control; revoke a bundle below if it leaks."
                </p>
            }
            .into_any()
        } else if state.get().0 == ClusterState::Error {
            view! { <p id="no-access">"The cluster is in error: rebuild it, or delete it and create a new one."</p> }
                .into_any()
        } else {
            view! {
                <p id="no-access">"Credentials come once the cluster is active. This page follows its progress by itself."</p>
            }
            .into_any()
        };
        view! {
            <section class="card" id="get-access">
                <h2>"Get access"</h2>
                {body}
            </section>
        }
    })
    .into_any()
}

/// The placement view: the containers on each segment, Carina's own ones muted.
#[component]
fn Placement(page: RwSignal<ClusterPageData>) -> AnyView {
    let placement = Memo::new(move |_| page.with(|p| p.placement.clone()));
    view! {
        <section class="card" id="placement">
            <h2>"Placement"</h2>
            <p class="muted">"Where every container runs, segment by segment. Carina's own containers are greyed out."</p>
            {move || {
                let segments = placement.get();
                if segments.is_empty() {
                    view! { <p class="muted">"No segments yet: they appear here as they are built."</p> }.into_any()
                } else {
                    view! {
                        <div class="placement">{segments.into_iter().map(placement_segment).collect_view()}</div>
                    }
                    .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

fn placement_segment(segment: SegmentPlacementView) -> impl IntoView {
    let containers = match segment.containers {
        None => view! { <p class="muted">"Docker on this segment is not answering yet."</p> }.into_any(),
        Some(list) if list.is_empty() => view! { <p class="muted">"No containers."</p> }.into_any(),
        Some(list) => view! {
            <ul class="containers">
                {list
                    .into_iter()
                    .map(|c| {
                        let key = c.name.clone();
                        view! {
                            <li class="container" class:infra=c.infrastructure data-container=key title=c.id>
                                <span class="name">{c.name}</span>
                                {c.infrastructure.then(|| view! { <span class="tag">"Carina"</span> })}
                                <span class="image">{c.image}</span>
                                <span class=format!("cstate {}", c.state)>{c.state.clone()}</span>
                                <span class="status muted">{c.status}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any(),
    };
    let key = segment.segment.clone();
    view! {
        <article class="placement-segment" data-segment=key>
            <header>
                <strong>{format!("n{}", segment.ordinal)}</strong>
                " " <code>{if segment.address.is_empty() { "no address yet".to_owned() } else { segment.address }}</code>
                <span class="muted segment-name">{segment.segment}</span>
            </header>
            {containers}
        </article>
    }
}

/// The segments table.
#[component]
fn Segments(page: RwSignal<ClusterPageData>) -> AnyView {
    let segments = Memo::new(move |_| page.with(|p| p.segments.clone()));
    view! {
        <section class="card">
            <h2>"Segments"</h2>
            {move || {
                let list = segments.get();
                if list.is_empty() {
                    view! { <p class="muted">"No segments yet."</p> }.into_any()
                } else {
                    view! {
                        <table class="list" id="segments">
                            <thead>
                                <tr><th>"Name"</th><th>"Address"</th><th>"State"</th><th>"Memory"</th><th>"vCPUs"</th></tr>
                            </thead>
                            <tbody>{list.into_iter().map(segment_row).collect_view()}</tbody>
                        </table>
                    }
                    .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

fn segment_row(s: SegmentView) -> impl IntoView {
    let key = s.name.clone();
    view! {
        <tr data-segment=key>
            <td><code>{s.name}</code></td>
            <td class="address">{if s.address.is_empty() { "—".to_owned() } else { s.address }}</td>
            <td class="state">
                <span class=format!("badge segment {}", s.state)>{s.state.clone()}</span>
                {s.state_reason.map(|reason| view! { <span class="muted reason-inline">{reason}</span> })}
            </td>
            <td class="memory">{memory(s.memory_mib)}</td>
            <td class="vcpus">{s.vcpus}</td>
        </tr>
    }
}

/// The credentials bundles issued so far, each revocable. A row's "Revoke" is a plain
/// link to `?revoke=<bundle>`, where the page asks first (rendered by the server too, so
/// it holds without JavaScript).
#[component]
fn Bundles(page: RwSignal<ClusterPageData>, actions: Actions) -> AnyView {
    let name = page.with_untracked(|p| p.cluster.name.clone());
    let bundles = Memo::new(move |_| page.with(|p| p.bundles.clone()));
    let query = use_query_map();
    // The bundle being confirmed, while it is still there to revoke.
    let revoking = Memo::new(move |_| {
        let id = query.read().get("revoke")?;
        bundles.with(|list| list.iter().find(|b| b.id == id && !b.revoked).cloned())
    });
    let confirm_name = name.clone();
    view! {
        <section class="card" id="bundles">
            <h2>"Credentials"</h2>
            {move || {
                revoking.get().map(|bundle| {
                    view! { <RevokeBundleConfirmation name=confirm_name.clone() bundle action=actions.revoke/> }
                })
            }}
            <FormError message=action_error(actions.revoke)/>
            {move || {
                let list = bundles.get();
                if list.is_empty() {
                    view! { <p class="muted">"No credentials issued yet."</p> }.into_any()
                } else {
                    let name = name.clone();
                    view! {
                        <table class="list">
                            <thead><tr><th>"Certificate"</th><th>"Issued"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|b| bundle_row(b, name.clone())).collect_view()}
                            </tbody>
                        </table>
                    }
                    .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

fn bundle_row(bundle: BundleView, name: String) -> impl IntoView {
    let key = bundle.id.clone();
    view! {
        <tr class:revoked=bundle.revoked data-bundle=key>
            <td><code>{format!("{}…", bundle.fingerprint_prefix)}</code></td>
            <td>{utc_minute(bundle.created_at)}</td>
            <td>
                {if bundle.revoked {
                    view! { <span class="badge">"revoked"</span> }.into_any()
                } else {
                    view! {
                        <A href=format!("/clusters/{name}?revoke={}", bundle.id) scroll=false attr:class="button danger small">
                            "Revoke"
                        </A>
                    }
                    .into_any()
                }}
            </td>
        </tr>
    }
}

/// The step before revoking a bundle: names it as its row does and says what stops working.
#[component]
fn RevokeBundleConfirmation(name: String, bundle: BundleView, action: ServerAction<RevokeBundle>) -> impl IntoView {
    let pending = action.pending();
    let cancel = format!("/clusters/{name}");
    view! {
        <Confirmation id="confirm-revoke-bundle">
            <p>
                "Revoke the certificate " <code>{format!("{}…", bundle.fingerprint_prefix)}</code>
                {format!(", issued {}? ", utc_minute(bundle.created_at))}
                "Clients using it stop working at once; download new credentials for them."
            </p>
            <ActionForm action attr:class="inline">
                <input type="hidden" name="name" value=name/>
                <input type="hidden" name="bundle" value=bundle.id/>
                <input type="hidden" name="confirm" value=CONFIRMED/>
                <button type="submit" class="danger" disabled=move || pending.get()>"Revoke"</button>
                <A href=cancel scroll=false attr:class="button">"Cancel"</A>
            </ActionForm>
        </Confirmation>
    }
}

/// Grow and rebuild, each offered only when the cluster can take it. "Rebuild cluster" is
/// a plain link to `?confirm=rebuild`, where the page says what would be lost and asks
/// (rendered by the server too, so it holds without JavaScript).
#[component]
fn Manage(page: RwSignal<ClusterPageData>, actions: Actions) -> AnyView {
    let name = page.with_untracked(|p| p.cluster.name.clone());
    let sizing =
        Memo::new(move |_| page.with(|p| (p.cluster.permits, p.cluster.desired_segments, p.max_segments_per_cluster)));
    let grow_pending = actions.grow.pending();
    let query = use_query_map();
    let confirming = Memo::new(move |_| query.read().get("confirm").as_deref() == Some("rebuild"));
    let lost = Memo::new(move |_| page.with(|p| users_containers(&p.placement)));
    let grow_name = name.clone();
    let grow = move || {
        let (permits, desired, max) = sizing.get();
        if !permits.grow {
            view! { <p class="muted">"Segments can be added once the cluster is active."</p> }.into_any()
        } else if desired >= max {
            view! {
                <p class="muted">
                    {format!("The cluster has {}, the most your account allows. An operator can raise the limit.", plural(desired, "segment", "segments"))}
                </p>
            }
            .into_any()
        } else {
            let name = grow_name.clone();
            view! {
                <ActionForm action=actions.grow attr:class="inline" attr:id="grow">
                    <input type="hidden" name="name" value=name/>
                    <label for="field-grow-segments">"New cluster size"</label>
                    <select id="field-grow-segments" name="segments">
                        {(desired + 1..=max)
                            .map(|n| view! { <option value=n.to_string() selected=n == desired + 1>{plural(n, "segment", "segments")}</option> })
                            .collect_view()}
                    </select>
                    <button type="submit" class="primary" disabled=move || grow_pending.get()>"Add segments"</button>
                </ActionForm>
            }
            .into_any()
        }
    };
    let rebuild = move || {
        if sizing.get().0.rebuild && confirming.get() {
            view! { <RebuildConfirmation name=name.clone() lost action=actions.rebuild/> }.into_any()
        } else if sizing.get().0.rebuild {
            view! {
                <p class="inline">
                    <A href=format!("/clusters/{name}?confirm=rebuild") scroll=false attr:id="rebuild" attr:class="button">
                        "Rebuild cluster…"
                    </A>
                </p>
            }
            .into_any()
        } else {
            view! { <p class="muted">"A rebuild is possible when the cluster is active or in error."</p> }.into_any()
        }
    };
    view! {
        <section class="card" id="manage">
            <h2>"Manage"</h2>
            <h3>"Add segments"</h3>
            <p class="muted">"Segments can be added, never removed."</p>
            {grow}
            <FormError message=action_error(actions.grow)/>
            <h3>"Rebuild"</h3>
            <p class="muted">
                "Replaces every segment with a fresh one and forms the Swarm again. The cluster keeps its name, "
                "certificate authority and endpoint, so your credentials keep working; containers on the old segments are lost."
            </p>
            {rebuild}
            <FormError message=action_error(actions.rebuild)/>
        </section>
    }
    .into_any()
}

/// The owner's containers on the cluster now (Carina's own left out), and whether some
/// segment's Docker did not answer, so that there may be more.
fn users_containers(placement: &[SegmentPlacementView]) -> (u32, bool) {
    placement.iter().fold((0, false), |(count, unknown), segment| match &segment.containers {
        Some(list) => (count + list.iter().filter(|c| !c.infrastructure).count() as u32, unknown),
        None => (count, true),
    })
}

/// What a rebuild would lose, in words.
fn rebuild_loss(count: u32, unknown: bool) -> String {
    let running = match (count, unknown) {
        (0, false) => "No containers of yours run on this cluster now".to_owned(),
        (0, true) => "Some segments are not answering, so the containers on them are not counted".to_owned(),
        (n, false) => format!(
            "{} of yours {} on this cluster now",
            plural(n, "container", "containers"),
            if n == 1 { "runs" } else { "run" }
        ),
        (n, true) => format!("At least {} of yours run on this cluster now", plural(n, "container", "containers")),
    };
    format!(
        "{running}. Rebuilding replaces every segment with a fresh one: all containers on the old segments, and their data, will be lost. This cannot be undone."
    )
}

/// The step before a rebuild: what will be lost, then the confirmed submit or a way back.
#[component]
fn RebuildConfirmation(name: String, lost: Memo<(u32, bool)>, action: ServerAction<RebuildCluster>) -> impl IntoView {
    let pending = action.pending();
    let cancel = format!("/clusters/{name}");
    view! {
        <Confirmation id="confirm-rebuild">
            <p>{move || { let (count, unknown) = lost.get(); rebuild_loss(count, unknown) }}</p>
            <ActionForm action attr:class="inline">
                <input type="hidden" name="name" value=name/>
                <input type="hidden" name="confirm" value=CONFIRMED/>
                <button type="submit" class="danger" disabled=move || pending.get()>"Rebuild"</button>
                <A href=cancel scroll=false attr:class="button">"Cancel"</A>
            </ActionForm>
        </Confirmation>
    }
}

/// The cluster's history: build steps, the owner's actions, and the docker requests the
/// endpoint refused (the audit log of the policy).
#[component]
fn History(page: RwSignal<ClusterPageData>) -> AnyView {
    let events = Memo::new(move |_| page.with(|p| p.events.clone()));
    view! {
        <section class="card" id="history">
            <h2>"History"</h2>
            <p class="muted">"Newest first: build steps, your actions, and docker requests refused under the cluster's policy."</p>
            {move || {
                let list = events.get();
                if list.is_empty() {
                    view! { <p class="muted">"Nothing yet."</p> }.into_any()
                } else {
                    view! {
                        <table class="list events">
                            <thead><tr><th>"Time"</th><th>"Kind"</th><th>"What happened"</th></tr></thead>
                            <tbody>{list.into_iter().map(event_row).collect_view()}</tbody>
                        </table>
                    }
                    .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

fn event_row(event: EventView) -> impl IntoView {
    let kind = if event.kind == "policy" { "refused".to_owned() } else { event.kind.clone() };
    view! {
        <tr class=format!("event {}", event.kind)>
            <td class="time">{utc_minute(event.at)}</td>
            <td><span class=format!("badge event-kind {}", event.kind)>{kind}</span></td>
            <td>{event.message}</td>
        </tr>
    }
}

/// Deleting, confirmed by typing the name (checked by the server, so it also holds
/// without JavaScript).
#[component]
fn Delete(page: RwSignal<ClusterPageData>, actions: Actions) -> AnyView {
    let name = page.with_untracked(|p| p.cluster.name.clone());
    let can_delete = Memo::new(move |_| page.with(|p| p.cluster.permits.delete));
    let pending = actions.delete.pending();
    let form = move || {
        if !can_delete.get() {
            return view! { <p class="muted">"The cluster is being deleted."</p> }.into_any();
        }
        let (shown, field, placeholder) = (name.clone(), name.clone(), name.clone());
        view! {
            <p>
                "Removes every segment with its containers and data, and revokes all credentials. "
                "This cannot be undone. Type " <code>{shown}</code> " to confirm."
            </p>
            <ActionForm action=actions.delete attr:class="inline" attr:id="delete-cluster">
                <input type="hidden" name="name" value=field/>
                <label for="field-delete-confirm" class="sr-only">"Cluster name"</label>
                <input id="field-delete-confirm" name="confirm" required autocomplete="off" placeholder=placeholder/>
                <button type="submit" class="danger" disabled=move || pending.get()>"Delete cluster"</button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <section class="card danger-zone" id="delete">
            <h2>"Delete cluster"</h2>
            {form}
            <FormError message=action_error(actions.delete)/>
        </section>
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ContainerView;

    fn container(name: &str, infrastructure: bool) -> ContainerView {
        ContainerView {
            id: name.into(),
            name: name.into(),
            image: "nginx".into(),
            state: "running".into(),
            status: "Up".into(),
            infrastructure,
        }
    }

    fn segment(containers: Option<Vec<ContainerView>>) -> SegmentPlacementView {
        SegmentPlacementView { segment: "s".into(), ordinal: 1, address: String::new(), containers }
    }

    #[test]
    fn a_rebuild_counts_only_the_owners_containers() {
        let infra = || vec![container("swarm-data", true), container("swarm-manager", true)];
        let mut n1 = infra();
        n1.push(container("web.1", false));
        let mut n2 = infra();
        n2.push(container("web.2", false));
        assert_eq!(users_containers(&[segment(Some(n1.clone())), segment(Some(n2))]), (2, false));
        assert_eq!(users_containers(&[segment(Some(infra()))]), (0, false));
        assert_eq!(users_containers(&[segment(Some(n1)), segment(None)]), (1, true));
        assert!(rebuild_loss(2, false).starts_with("2 containers of yours run on this cluster now."));
        assert!(rebuild_loss(1, false).starts_with("1 container of yours runs"));
        assert!(rebuild_loss(0, false).contains("will be lost"));
    }
}
