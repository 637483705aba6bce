//! The cluster's segments table. A segment is shown by its short name (`n1`); its full
//! name, the libvirt domain and Docker node name, comes second.

use leptos::prelude::*;

use crate::format::memory;
use crate::model::{ClusterPageData, SegmentView};

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
