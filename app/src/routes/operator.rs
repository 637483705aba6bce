//! The operator page: every account with its quotas, every cluster, how much of the host
//! the segments take, and the latest audit entries of every account. Operators only (the
//! server function refuses anyone else).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::components::layout::{ErrorPanel, Session};
use crate::format::utc_minute;
use crate::functions::operator::operator_overview;
use crate::model::OperatorView;
use crate::routes::audit::AuditRow;

/// `/operator`.
#[component]
pub fn OperatorPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let overview = Resource::new(|| (), |_| operator_overview());
    view! {
        <Title text="Operator · Carina"/>
        <div class="page-head">
            <h1>"Operator"</h1>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (session.account.await, overview.await) {
                    (Ok(None), _) => view! { <Redirect path="/signin?next=/operator"/> }.into_any(),
                    (Err(err), _) | (_, Err(err)) => view! { <ErrorPanel error=err/> }.into_any(),
                    (Ok(Some(_)), Ok(view)) => view! { <Overview view/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(view: OperatorView) -> AnyView {
    let OperatorView { accounts, clusters, capacity, recent } = view;
    view! {
        <section class="card" id="host-capacity">
            <h2>"Host"</h2>
            <dl class="facts">
                {capacity.into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
            </dl>
        </section>
        <section class="card" id="operator-accounts">
            <h2>"Accounts"</h2>
            <p class="muted">"Quotas change with " <code>"server admin set-quotas"</code> "."</p>
            <div class="table-scroll">
            <table class="list">
                <thead><tr><th>"Email"</th><th>"Clusters"</th><th>"Segments"</th><th>"Quota"</th><th>"Since"</th></tr></thead>
                <tbody>
                    {accounts.into_iter().map(|a| view! {
                        <tr data-account=a.email.clone()>
                            <td>{a.email.clone()}{a.is_operator.then_some(" (operator)")}</td>
                            <td class="clusters">{a.clusters}</td>
                            <td class="segments">{a.segments}</td>
                            <td class="quota">{format!("{} clusters of up to {} segments", a.max_clusters, a.max_segments_per_cluster)}</td>
                            <td>{utc_minute(a.created_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
        <section class="card" id="operator-clusters">
            <h2>"Clusters"</h2>
            <div class="table-scroll">
            <table class="list">
                <thead><tr><th>"Owner"</th><th>"Name"</th><th>"Status"</th><th>"Segments"</th><th>"Endpoint port"</th></tr></thead>
                <tbody>
                    {clusters.into_iter().map(|c| view! {
                        <tr data-cluster=c.name.clone()>
                            <td>{c.owner}</td>
                            <td>{c.name.clone()}</td>
                            <td class="status">{c.status}</td>
                            <td>{format!("{} of {}", c.segments, c.desired_segments)}</td>
                            <td>{c.endpoint_port}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
        <section class="card" id="operator-activity">
            <h2>"Latest activity, every account"</h2>
            <p class="muted">"All of it: " <code>"server admin audit"</code> " (JSON Lines)."</p>
            <div class="table-scroll">
            <table class="list">
                <thead><tr><th>"When (UTC)"</th><th>"Account"</th><th>"What"</th><th>"Cluster"</th><th>"Who"</th><th>"From"</th></tr></thead>
                <tbody>
                    {recent.into_iter().map(|(email, entry)| view! { <AuditRow entry account=email/> }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
    }
    .into_any()
}
