//! Pieces both cluster pages show: the status badge and the segments bar.

use leptos::prelude::*;

use crate::model::ClusterState;

/// The status as a coloured badge (green active, orange while converging, red error).
#[component]
pub fn StatusBadge(state: ClusterState, #[prop(optional)] id: Option<&'static str>) -> impl IntoView {
    view! { <span id=id class=format!("badge status {state}")>{state.as_str()}</span> }
}

/// Carina's SEGMENTS bar: one slot per segment the account may have, filled for each
/// ready segment, marked for each segment still being built.
#[component]
pub fn SegmentsBar(ready: u32, desired: u32, slots: u32) -> impl IntoView {
    let slots = slots.max(desired);
    let label = format!("{ready} of {desired} segments ready");
    view! {
        <span class="segments-bar" role="img" aria-label=label.clone() title=label>
            {(1..=slots)
                .map(|i| {
                    let class = if i <= ready.min(desired) {
                        "slot ready"
                    } else if i <= desired {
                        "slot pending"
                    } else {
                        "slot"
                    };
                    view! { <span class=class></span> }
                })
                .collect_view()}
        </span>
        <span class="segments-count">{format!("{ready}/{desired}")}</span>
    }
}
