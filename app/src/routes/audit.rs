//! The account's activity page: its audit trail, newest first, and a download of the
//! latest 10 000 entries as JSON Lines.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

use crate::components::layout::{ErrorPanel, Session};
use crate::format::utc_second;
use crate::functions::audit::{audit_trail, AUDIT_SHOWN};
use crate::model::AuditEntryView;

/// `/account/activity`.
#[component]
pub fn ActivityPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let entries = Resource::new(|| (), |_| audit_trail());
    view! {
        <Title text="Activity · Carina"/>
        <div class="page-head">
            <h1>"Activity"</h1>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (session.account.await, entries.await) {
                    (Ok(None), _) => view! { <Redirect path="/signin?next=/account/activity"/> }.into_any(),
                    (Err(err), _) | (_, Err(err)) => view! { <ErrorPanel error=err/> }.into_any(),
                    (Ok(Some(_)), Ok(list)) => view! { <ActivityList list/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ActivityList(list: Vec<AuditEntryView>) -> AnyView {
    view! {
        <section class="card" id="activity">
            <p class="muted">
                "What was done to your account and clusters (deleted ones too), by whom and from where: "
                "the panel, one of your API keys, or an operator. The latest " {AUDIT_SHOWN} " are shown. "
                <a href="/account/activity.jsonl" rel="external" download id="activity-download">"Download it"</a>
                " (JSON Lines, the latest 10 000). " <A href="/account">"Back to the account"</A>
            </p>
            {if list.is_empty() {
                view! { <p class="muted">"Nothing yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                    <table class="list">
                        <thead><tr><th>"When (UTC)"</th><th>"What"</th><th>"Cluster"</th><th>"Who"</th><th>"From"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|entry| view! { <AuditRow entry/> }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

/// One audit entry as a table row: when, (for operators) whose account, what, which
/// cluster, who, from where. Carina's own steps have no actor.
#[component]
pub fn AuditRow(entry: AuditEntryView, #[prop(optional)] account: Option<String>) -> impl IntoView {
    let e = entry;
    view! {
        <tr data-entry=e.id>
            <td>{utc_second(e.at)}</td>
            {account.map(|email| view! { <td>{email}</td> })}
            <td class="message">{e.message}</td>
            <td>{e.cluster.unwrap_or_default()}</td>
            <td class="actor">{e.actor.unwrap_or_else(|| "Carina".into())}</td>
            <td class="address">{e.address.unwrap_or_default()}</td>
        </tr>
    }
}
