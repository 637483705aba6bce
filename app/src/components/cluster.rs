//! Pieces both cluster pages show: the status badge and the segments bar.

use leptos::prelude::*;

use crate::model::ClusterState;

/// The status as a coloured badge (green active, orange while converging, red error).
#[component]
pub fn StatusBadge(state: ClusterState, #[prop(optional)] id: Option<&'static str>) -> impl IntoView {
    view! { <span id=id class=format!("badge status {state}")>{state.as_str()}</span> }
}

/// Carina's SEGMENTS bar: one slot per segment the cluster has, filled once it is ready,
/// marked while it is being built; then, when the account allows more, how many more
/// (a hint, not empty slots, which would read as missing segments).
#[component]
pub fn SegmentsBar(ready: u32, desired: u32, room: u32) -> impl IntoView {
    let label = format!("{ready} of {desired} segments ready");
    view! {
        <span class="segments-bar" role="img" aria-label=label.clone() title=label>
            {(1..=desired)
                .map(|i| {
                    let class = if i <= ready.min(desired) { "slot ready" } else { "slot pending" };
                    view! { <span class=class></span> }
                })
                .collect_view()}
        </span>
        <span class="segments-count">{format!("{ready}/{desired} ready")}</span>
        {(room > 0).then(|| view! { <span class="segments-room">{format!("room for {room} more")}</span> })}
    }
}
