//! The placement view: a column per segment (name, address, state), a tile per container
//! (name, image, state, health), the tasks of one Swarm service or compose project in one
//! colour, a filter, and the same data as a table for screen readers.

use leptos::prelude::*;

use crate::format::memory;
use crate::model::{ClusterPageData, ContainerView, SegmentPlacementView, SegmentView};

/// How many group colours the style sheet has (`.group-0` to `.group-7`, each in a light
/// and a dark shade with enough contrast on the card).
const PALETTE: u32 = 8;

/// The colour of a service or project: a stable hash of its name (FNV-1a), so that it
/// keeps its colour across reloads, segments and clusters.
pub(super) fn group_colour(group: &str) -> u32 {
    let hash = group.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    hash % PALETTE
}

/// Whether a container matches the filter: a part of its name, image or service,
/// whatever the case.
pub(super) fn matches(c: &ContainerView, filter: &str) -> bool {
    let filter = filter.trim().to_lowercase();
    filter.is_empty()
        || [Some(&c.name), Some(&c.image), c.group.as_ref()]
            .into_iter()
            .flatten()
            .any(|field| field.to_lowercase().contains(&filter))
}

/// The services and projects present, sorted, for the legend.
fn groups(placement: &[SegmentPlacementView]) -> Vec<String> {
    let mut all: Vec<String> =
        placement.iter().flat_map(|s| s.containers.iter().flatten()).filter_map(|c| c.group.clone()).collect();
    all.sort();
    all.dedup();
    all
}

/// The placement view.
#[component]
pub(super) fn Placement(page: RwSignal<ClusterPageData>) -> AnyView {
    let placement = Memo::new(move |_| page.with(|p| p.placement.clone()));
    let segments = Memo::new(move |_| page.with(|p| p.segments.clone()));
    let filter = RwSignal::new(String::new());
    view! {
        <section class="card" id="placement">
            <h2>"Placement"</h2>
            <p class="muted">
                "Where every container runs, segment by segment, as it changes. The tasks of one service or compose project share a colour; Carina's own containers are greyed out."
            </p>
            <div class="placement-tools">
                <label for="placement-filter">"Filter by name, image or service"</label>
                <input
                    id="placement-filter"
                    type="search"
                    autocomplete="off"
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
            </div>
            {move || {
                let groups = groups(&placement.get());
                (!groups.is_empty())
                    .then(|| {
                        view! {
                            <ul class="legend" aria-label="Services and projects">
                                {groups
                                    .into_iter()
                                    .map(|g| {
                                        let colour = format!("swatch group-{}", group_colour(&g));
                                        let key = g.clone();
                                        view! { <li data-group=key><span class=colour aria-hidden="true"></span>{g}</li> }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })
            }}
            {move || {
                let list = placement.get();
                if list.is_empty() {
                    view! { <p class="muted">"No segments yet: they appear here as they are built."</p> }.into_any()
                } else {
                    let states = segments.get();
                    let columns = list.clone().into_iter().map(|s| column(s, &states, filter)).collect_view();
                    view! {
                        <div class="placement">{columns}</div>
                        <details class="placement-table">
                            <summary>"The same as a table"</summary>
                            {table(list, filter)}
                        </details>
                    }
                    .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

/// What a segment's containers reserve of its size, in words: "0.5 of 1 CPU, 256 MiB of
/// 1 GiB reserved" (classic Swarm's "Reserved CPUs" and "Reserved Memory").
pub(super) fn reserved(containers: &[ContainerView], vcpus: u32, memory_mib: u64) -> String {
    let millicpu: i64 = containers.iter().map(|c| c.reserved_millicpu).sum();
    let mib = containers.iter().map(|c| c.reserved_memory).sum::<i64>() / (1024 * 1024);
    let cpus =
        if millicpu % 1000 == 0 { format!("{}", millicpu / 1000) } else { format!("{:.2}", millicpu as f64 / 1000.0) };
    let unit = if vcpus == 1 { "CPU" } else { "CPUs" };
    format!("{cpus} of {vcpus} {unit}, {} of {} reserved", memory(mib.max(0) as u64), memory(memory_mib))
}

fn column(segment: SegmentPlacementView, states: &[SegmentView], filter: RwSignal<String>) -> impl IntoView {
    let this = states.iter().find(|s| s.name == segment.segment);
    let state = this.map(|s| s.state.clone());
    let reservation = match (this, &segment.containers) {
        (Some(s), Some(list)) => Some(reserved(list, s.vcpus, s.memory_mib)),
        _ => None,
    };
    let used = this.and_then(|s| super::usage::usage(segment.usage.clone(), s.vcpus, s.memory_mib));
    let containers = match segment.containers {
        None => view! { <p class="muted">"Docker on this segment is not answering; trying again."</p> }.into_any(),
        Some(list) if list.is_empty() => view! { <p class="muted">"No containers."</p> }.into_any(),
        Some(list) => view! {
            <ul class="containers">{list.into_iter().map(|c| tile(c, filter)).collect_view()}</ul>
        }
        .into_any(),
    };
    let key = segment.segment.clone();
    let short = format!("n{}", segment.ordinal);
    let label = format!("Segment {short}");
    view! {
        <article class="placement-segment" data-segment=key aria-label=label>
            <header>
                <strong>{short}</strong>
                " " <code>{if segment.address.is_empty() { "no address yet".to_owned() } else { segment.address }}</code>
                {state.map(|s| view! { <span class=format!("badge segment {s}")>{s.clone()}</span> })}
                <span class="muted segment-name">{segment.segment}</span>
                {reservation.map(|r| view! { <span class="reserved">{r}</span> })}
                {used}
            </header>
            {containers}
        </article>
    }
}

fn tile(c: ContainerView, filter: RwSignal<String>) -> impl IntoView {
    let group_class = c.group.as_deref().map(|g| format!(" group group-{}", group_colour(g))).unwrap_or_default();
    let class = format!("container{group_class}");
    let label = describe(&c);
    let shown = c.clone();
    let hidden = move || !filter.with(|f| matches(&shown, f));
    let state = c.state.clone();
    let (key, group_key) = (c.name.clone(), c.group.clone());
    view! {
        <li
            class=class
            class:infra=c.infrastructure
            class:filtered-out=hidden
            data-container=key
            data-group=group_key
            title=c.id
            tabindex="0"
            aria-label=label
        >
            <span class="name">{c.name}</span>
            {c.infrastructure.then(|| view! { <span class="tag">"Carina"</span> })}
            <span class="image">{c.image}</span>
            <span class=format!("cstate {state}")>{state.clone()}</span>
            {c.health.map(|h| view! { <span class=format!("health {h}")>{h.clone()}</span> })}
            {c.group.map(|g| view! { <span class="group-name muted">{g}</span> })}
        </li>
    }
}

/// A tile in words, for screen readers and the keyboard.
fn describe(c: &ContainerView) -> String {
    let mut words = format!("{}, image {}, {}", c.name, c.image, c.state);
    if let Some(health) = &c.health {
        words.push_str(&format!(", {health}"));
    }
    if let Some(group) = &c.group {
        words.push_str(&format!(", service {group}"));
    }
    if c.infrastructure {
        words.push_str(", Carina's own");
    }
    words
}

fn table(list: Vec<SegmentPlacementView>, filter: RwSignal<String>) -> impl IntoView {
    let rows = list
        .into_iter()
        .flat_map(|s| {
            let short = format!("n{}", s.ordinal);
            s.containers.unwrap_or_default().into_iter().map(move |c| (short.clone(), c))
        })
        .map(|(segment, c)| {
            let shown = c.clone();
            let hidden = move || !filter.with(|f| matches(&shown, f));
            view! {
                <tr class:filtered-out=hidden>
                    <td>{segment}</td>
                    <td>{c.name}</td>
                    <td>{c.image}</td>
                    <td>{c.state}</td>
                    <td>{c.health.unwrap_or_default()}</td>
                    <td>{c.group.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="list">
                <caption class="sr-only">"Containers by segment"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Segment"</th>
                        <th scope="col">"Container"</th>
                        <th scope="col">"Image"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Health"</th>
                        <th scope="col">"Service or project"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(name: &str, image: &str, group: Option<&str>) -> ContainerView {
        ContainerView {
            id: name.into(),
            name: name.into(),
            image: image.into(),
            state: "running".into(),
            health: None,
            group: group.map(Into::into),
            infrastructure: false,
            reserved_memory: 0,
            reserved_millicpu: 0,
        }
    }

    #[test]
    fn reservations_add_up_against_the_segment() {
        let mut a = container("a", "nginx", None);
        a.reserved_memory = 256 << 20;
        a.reserved_millicpu = 500;
        let mut b = container("b", "nginx", None);
        b.reserved_memory = 512 << 20;
        b.reserved_millicpu = 250;
        assert_eq!(reserved(&[a, b], 1, 1024), "0.75 of 1 CPU, 768 MiB of 1 GiB reserved");
        assert_eq!(reserved(&[], 2, 4096), "0 of 2 CPUs, 0 MiB of 4 GiB reserved");
    }

    #[test]
    fn the_filter_narrows_by_name_image_or_service() {
        let c = container("web.1.abc", "nginx:alpine", Some("shop"));
        for hit in ["", "  ", "web", "NGINX", "shop", "alpine"] {
            assert!(matches(&c, hit), "{hit:?}");
        }
        assert!(!matches(&c, "redis"));
        assert!(!matches(&container("db", "redis", None), "shop"));
    }

    #[test]
    fn a_group_keeps_its_colour_and_groups_spread_over_the_palette() {
        assert_eq!(group_colour("shop"), group_colour("shop"));
        let colours: std::collections::BTreeSet<u32> =
            ["web", "db", "cache", "queue", "api", "worker"].iter().map(|g| group_colour(g)).collect();
        assert!(colours.len() >= 4, "{colours:?}");
        assert!(colours.iter().all(|&c| c < PALETTE));
    }
}
