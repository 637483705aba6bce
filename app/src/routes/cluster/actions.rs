//! What the owner can do to the cluster: add segments, rebuild it (after a confirmation
//! that says what is lost), and delete it (by typing its name).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::form::{action_error, clear_on_edit, Confirmation, FormError};
use crate::format::plural;
use crate::functions::clusters::{DeleteCluster, GrowCluster, RebuildCluster};
use crate::functions::CONFIRMED;
use crate::model::{ClusterPageData, SegmentPlacementView};

/// Grow and rebuild, each offered only when the cluster can take it. "Rebuild cluster" is
/// a plain link to `?confirm=rebuild`, where the page says what would be lost and asks
/// (rendered by the server too, so it holds without JavaScript).
#[component]
pub(super) fn Manage(
    page: RwSignal<ClusterPageData>,
    grow: ServerAction<GrowCluster>,
    rebuild: ServerAction<RebuildCluster>,
) -> AnyView {
    let name = page.with_untracked(|p| p.cluster.name.clone());
    let sizing =
        Memo::new(move |_| page.with(|p| (p.cluster.permits, p.cluster.desired_segments, p.max_segments_per_cluster)));
    let grow_pending = grow.pending();
    let query = use_query_map();
    let confirming = Memo::new(move |_| query.read().get("confirm").as_deref() == Some("rebuild"));
    let lost = Memo::new(move |_| page.with(|p| users_containers(&p.placement)));
    let grow_name = name.clone();
    let grow_form = move || {
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
                <ActionForm action=grow attr:class="inline" attr:id="grow">
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
    let rebuild_step = move || {
        if sizing.get().0.rebuild && confirming.get() {
            view! { <RebuildConfirmation name=name.clone() lost action=rebuild/> }.into_any()
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
            {grow_form}
            <FormError message=action_error(grow)/>
            <h3>"Rebuild"</h3>
            <p class="muted">
                "Replaces every segment with a fresh one and forms the Swarm again. The cluster keeps its name, "
                "certificate authority and endpoint, so your credentials keep working; containers on the old segments are lost."
            </p>
            {rebuild_step}
            <FormError message=action_error(rebuild)/>
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

/// Deleting, confirmed by typing the name (checked by the server, so it also holds
/// without JavaScript).
#[component]
pub(super) fn Delete(page: RwSignal<ClusterPageData>, delete: ServerAction<DeleteCluster>) -> AnyView {
    let name = page.with_untracked(|p| p.cluster.name.clone());
    let can_delete = Memo::new(move |_| page.with(|p| p.cluster.permits.delete));
    let pending = delete.pending();
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
            <ActionForm action=delete attr:class="inline" attr:id="delete-cluster" on:input=clear_on_edit(delete)>
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
            <FormError message=action_error(delete)/>
        </section>
    }
    .into_any()
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
            health: None,
            group: None,
            reserved_memory: 0,
            reserved_millicpu: 0,
            infrastructure,
        }
    }

    fn segment(containers: Option<Vec<ContainerView>>) -> SegmentPlacementView {
        SegmentPlacementView { segment: "s".into(), ordinal: 1, address: String::new(), containers, usage: Vec::new() }
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
