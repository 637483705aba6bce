//! The home page: what the service is, and the way in (or back to your clusters).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::layout::Session;

/// The landing page. Says "You are signed out" after signing out (`?signed_out=1`).
#[component]
pub fn HomePage() -> impl IntoView {
    let session = expect_context::<Session>();
    let signed_out = move || use_query_map().read().get("signed_out").is_some();
    let actions = move || {
        Suspend::new(async move {
            match session.account.await {
                Ok(Some(account)) => view! {
                    <p class="actions" id="home-signed-in">
                        <A href="/clusters" attr:class="button primary">"Your clusters"</A>
                    </p>
                    <p class="muted">
                        {format!("Signed in as {}: {} of {} clusters in use.", account.email,
                            account.clusters_used, account.max_clusters)}
                    </p>
                }
                .into_any(),
                _ => view! {
                    <p class="actions">
                        <A href="/signup" attr:class="button primary">"Create an account"</A>
                        <A href="/signin" attr:class="button">"Sign in"</A>
                    </p>
                }
                .into_any(),
            }
        })
    };
    view! {
        <Title text="Carina · Docker Swarm clusters on demand"/>
        // Only while nobody is signed in: a stale link must not contradict the header.
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let nobody = matches!(session.account.await, Ok(None));
                (nobody && signed_out()).then(|| view! {
                    <p class="notice" id="signed-out" role="status">"You are signed out."</p>
                })
            })}
        </Transition>
        <section class="hero">
            <h1>"Docker Swarm clusters, on demand"</h1>
            <p class="lead">
                "Create a cluster in a few seconds, download its credentials, and drive it with the "
                <code>"docker"</code>
                " command you already know. Carina runs each cluster on its own segments, keeps it healthy, and shows you where every container runs."
            </p>
            <Transition fallback=|| ()>{actions}</Transition>
        </section>
        <section class="features">
            <article>
                <h2>"Segments"</h2>
                <p>"A cluster is made of up to three segments: isolated containers with their own Docker engine, joined into a Swarm. Lose one and the cluster keeps working while it is repaired."</p>
            </article>
            <article>
                <h2>"Your docker CLI"</h2>
                <p>
                    "Unzip your credentials, run "
                    <code>"source docker.env"</code>
                    ", and " <code>"docker run"</code> " places containers across the segments with the spread strategy."
                </p>
            </article>
            <article>
                <h2>"Safe by default"</h2>
                <p>"TLS everywhere with certificates scoped to one cluster. Privileged containers, extra capabilities and host mounts are refused with a clear message."</p>
            </article>
        </section>
    }
}
