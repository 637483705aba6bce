//! The clusters page: the account's clusters and quotas.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::components::layout::{ErrorPanel, Session};
use crate::format::plural;

/// Lists the account's clusters; explains what a cluster is while there are none.
#[component]
pub fn ClustersPage() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <Title text="Clusters · Carina"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.account.await {
                    Err(err) => view! { <ErrorPanel error=err/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/signin?next=/clusters"/> }.into_any(),
                    Ok(Some(account)) => view! {
                        <div class="page-head">
                            <h1>"Clusters"</h1>
                            <p class="quota" id="cluster-quota">
                                {format!("{} of {} clusters", account.clusters_used, account.max_clusters)}
                                " · "
                                {format!("up to {} each", plural(account.max_segments_per_cluster, "segment", "segments"))}
                            </p>
                        </div>
                        <section class="empty-state">
                            <h2>"No clusters yet"</h2>
                            <p>
                                "A cluster is a Docker Swarm made of segments: isolated containers, each with its own Docker engine and address. "
                                "Once it is active you download its credentials and use your usual "
                                <code>"docker"</code>
                                " command against the whole cluster."
                            </p>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
