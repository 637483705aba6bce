//! The cluster's segments: the placement view (which container runs where) and the
//! segments table. A segment is shown by its short name (`n1`); its full name, the
//! libvirt domain and Docker node name, comes second.

use leptos::prelude::*;

use crate::format::memory;
use crate::model::{ClusterPageData, SegmentPlacementView, SegmentView};

/// The placement view: the containers on each segment, Carina's own ones muted.
#[component]
pub(super) fn Placement(page: RwSignal<ClusterPageData>) -> AnyView {
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
                        // `starting` rather than a flash of `created`: see `shown_state`.
                        let state = c.state;
                        view! {
                            <li class="container" class:infra=c.infrastructure data-container=key title=c.id>
                                <span class="name">{c.name}</span>
                                {c.infrastructure.then(|| view! { <span class="tag">"Carina"</span> })}
                                <span class="image">{c.image}</span>
                                <span class=format!("cstate {state}")>{state.clone()}</span>
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

/// The segments table; it scrolls inside its card on narrow screens.
#[component]
pub(super) fn Segments(page: RwSignal<ClusterPageData>) -> AnyView {
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
                        <div class="table-scroll">
                            <table class="list" id="segments">
                                <thead>
                                    <tr><th>"Segment"</th><th>"Address"</th><th>"State"</th><th>"Memory"</th><th>"vCPUs"</th></tr>
                                </thead>
                                <tbody>{list.into_iter().map(segment_row).collect_view()}</tbody>
                            </table>
                        </div>
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
            <td class="segment">
                <strong class="short">{format!("n{}", s.ordinal)}</strong>
                <code class="segment-id" title="Its libvirt domain and Docker node name">{s.name}</code>
            </td>
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
