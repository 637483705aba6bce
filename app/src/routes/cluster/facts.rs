//! What the cluster is and how to reach it: its size, age, discovery token, endpoint and
//! isolation, and Carina's "Get access" steps.

use leptos::prelude::*;

use crate::components::cluster::SegmentsBar;
use crate::format::{segment_size, utc_minute};
use crate::model::{ClusterPageData, ClusterState};

/// Segments, size, age, discovery token, endpoint, isolation and how services are reached,
/// in words for the cluster's owner.
#[component]
pub(super) fn Facts(page: RwSignal<ClusterPageData>) -> AnyView {
    let facts = Memo::new(move |_| {
        page.with(|p| {
            let flags = (p.apparmor_enforced, p.service_vips);
            let size = segment_size(p.segment_vcpus, p.segment_memory_mib);
            (p.cluster.clone(), p.token.clone(), p.docker_host.clone(), flags, p.max_segments_per_cluster, size)
        })
    });
    (move || {
        let (cluster, token, docker_host, (apparmor, service_vips), max, size) = facts.get();
        let room = max.saturating_sub(cluster.desired_segments);
        view! {
            <section class="card" id="facts">
                <dl class="facts">
                    <dt>"Segments"</dt>
                    <dd id="cluster-segments">
                        <SegmentsBar ready=cluster.ready_segments desired=cluster.desired_segments room/>
                    </dd>
                    <dt>"Size"</dt>
                    <dd id="cluster-size" title=format!("flavor {}", cluster.flavor)>{format!("{size} per segment")}</dd>
                    <dt>"Created"</dt>
                    <dd>{utc_minute(cluster.created_at)}</dd>
                    <dt>"DOCKER_HOST"</dt>
                    <dd><code id="cluster-docker-host">{docker_host}</code></dd>
                    <dt>"Discovery token"</dt>
                    <dd>
                        <code id="cluster-token">{token}</code>
                        <span class="hint">"Names the cluster to Swarm token discovery, which lists its segments' addresses."</span>
                    </dd>
                    <dt>"Isolation"</dt>
                    <dd id="cluster-isolation" class="prose">
                        "Each segment is a separate unprivileged container with its own Docker engine, network and limits; other clusters cannot reach it."
                        {apparmor.then_some(" An AppArmor profile confines it as well.")}
                    </dd>
                    <dt>"Swarm services"</dt>
                    <dd id="cluster-service-endpoints" class="prose">
                        {if service_vips {
                            "reached by name through a virtual IP, ports published on every segment"
                        } else {
                            "reached by name through DNS round-robin, ports published where a task runs (this host's kernel has no IPVS for virtual IPs)"
                        }}
                    </dd>
                </dl>
            </section>
        }
    })
    .into_any()
}

/// Carina's "Get access": the download and the three steps, once there is something to
/// connect to.
#[component]
pub(super) fn Access(page: RwSignal<ClusterPageData>) -> AnyView {
    let name = page.with_untracked(|p| p.cluster.name.clone());
    let state = Memo::new(move |_| page.with(|p| (p.cluster.state, p.cluster.permits)));
    (move || {
        let name = name.clone();
        let body = if state.get().1.download_credentials {
            let zip = format!("{name}.zip");
            view! {
                <ol class="steps">
                    <li>
                        // A plain form post, not a link: every download mints a certificate,
                        // so no other site may trigger one with a link or an image. The
                        // answer is an attachment, so the page stays where it is.
                        <form
                            id="download-credentials-form"
                            class="in-text"
                            method="post"
                            action=format!("/clusters/{name}/credentials.zip")
                        >
                            <button id="download-credentials" type="submit" class="primary">
                                "Download credentials"
                            </button>
                        </form>
                        " " <span class="muted file-name">{zip.clone()}</span>
                    </li>
                    <li>"Unzip it: " <code>{format!("unzip {zip}")}</code> " (it makes a folder " <code>{name.clone()}</code> ")."</li>
                    <li>"Point docker at the cluster: " <code>{format!("source {name}/docker.env")}</code> ", then " <code>"docker info"</code> "."</li>
                </ol>
                <p class="muted">
                    "Each download issues a new client certificate. Keep the files private and out of source control; revoke a bundle below if it leaks."
                </p>
            }
            .into_any()
        } else if state.get().0 == ClusterState::Error {
            view! { <p id="no-access">"The cluster is in error: rebuild it, or delete it and create a new one."</p> }
                .into_any()
        } else {
            view! {
                <p id="no-access">"Credentials come once the cluster is active. This page follows its progress by itself."</p>
            }
            .into_any()
        };
        view! {
            <section class="card" id="get-access">
                <h2>"Get access"</h2>
                {body}
            </section>
        }
    })
    .into_any()
}
