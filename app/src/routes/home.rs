//! The home page: what the service is.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The landing page.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Carina · Docker Swarm clusters on demand"/>
        <section class="hero">
            <h1>"Docker Swarm clusters, on demand"</h1>
            <p class="lead">
                "Create a cluster in a few seconds, download its credentials, and drive it with the "
                <code>"docker"</code>
                " command you already know. Carina runs each cluster on its own segments, keeps it healthy, and shows you where every container runs."
            </p>
            <p class="actions">
                <A href="/signup" attr:class="button primary">"Create an account"</A>
                <A href="/signin" attr:class="button">"Sign in"</A>
            </p>
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
