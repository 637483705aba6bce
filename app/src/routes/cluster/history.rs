//! The cluster's history: build steps, the owner's actions, and the docker requests the
//! endpoint refused (the audit log of the policy). Times have seconds and say how long
//! ago they were; the relative part follows the page's clock.

use leptos::prelude::*;

use crate::components::clock::Clock;
use crate::format::{ago, history_time, utc_second};
use crate::model::{ClusterPageData, EventView};

/// The history table, newest first. On narrow screens each event stacks (CSS).
#[component]
pub(super) fn History(page: RwSignal<ClusterPageData>) -> AnyView {
    let events = Memo::new(move |_| page.with(|p| p.events.clone()));
    let clock = Clock::expect();
    view! {
        <section class="card" id="history">
            <h2>"History"</h2>
            <p class="muted">"Newest first: build steps, your actions, and docker requests refused under the cluster's policy. Times are UTC."</p>
            {move || {
                let list = events.get();
                if list.is_empty() {
                    view! { <p class="muted">"Nothing yet."</p> }.into_any()
                } else {
                    view! {
                        <table class="list events">
                            <thead><tr><th>"Time"</th><th>"Kind"</th><th>"What happened"</th></tr></thead>
                            <tbody>{list.into_iter().map(|event| event_row(event, clock)).collect_view()}</tbody>
                        </table>
                    }
                    .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

fn event_row(event: EventView, clock: Clock) -> impl IntoView {
    let kind = if event.kind == "policy" { "refused".to_owned() } else { event.kind.clone() };
    let at = event.at;
    view! {
        <tr class=format!("event {}", event.kind)>
            <td class="time" title=utc_second(at)>
                {move || history_time(at, clock.now())}
                <span class="ago">{move || format!(" · {}", ago(at, clock.now()))}</span>
            </td>
            <td><span class=format!("badge event-kind {}", event.kind)>{kind}</span></td>
            <td class="what">{event.message}</td>
        </tr>
    }
}
