//! A segment's use of the host, in words and as a small graph of the last 15 minutes
//! (inline SVG, the same in the server's render and the browser's).

use leptos::prelude::*;

use crate::format::memory;
use crate::model::UsageView;

/// The graph's size in SVG units: one unit of width per 10 s sample.
const WIDTH: u32 = 90;
const HEIGHT: u32 = 24;

/// "12% CPU, 180 MiB in use" (CPU as a share of the segment's vCPUs).
pub(super) fn in_words(last: &UsageView, vcpus: u32) -> String {
    let percent = u64::from(last.millicpu) / 10 / u64::from(vcpus.max(1));
    format!("{percent}% CPU, {} in use", memory(last.memory / (1024 * 1024)))
}

/// The points of a line of `values`, each out of `full`, right-aligned (the newest at the
/// right edge), 0 at the bottom. A single value is drawn as a short flat line (a single
/// point would draw nothing).
pub(super) fn points(values: &[u64], full: u64) -> String {
    let one;
    let values = if let [only] = values {
        one = [*only, *only];
        &one[..]
    } else {
        values
    };
    let start = WIDTH as usize - values.len().min(WIDTH as usize);
    values
        .iter()
        .rev()
        .take(WIDTH as usize)
        .rev()
        .enumerate()
        .map(|(i, v)| {
            let y = HEIGHT as u64 - (v.min(&full) * HEIGHT as u64) / full.max(1);
            format!("{},{y}", start + i)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The segment's use: words and graph, or nothing until the first sample.
pub(super) fn usage(samples: Vec<UsageView>, vcpus: u32, memory_mib: u64) -> Option<impl IntoView> {
    let last = samples.last().copied()?;
    let words = in_words(&last, vcpus);
    let cpu = points(&samples.iter().map(|s| u64::from(s.millicpu)).collect::<Vec<_>>(), u64::from(vcpus) * 1000);
    let mem = points(&samples.iter().map(|s| s.memory).collect::<Vec<_>>(), memory_mib * 1024 * 1024);
    let label = format!("CPU and memory over the last 15 minutes; now {words}");
    Some(view! {
        <div class="usage">
            <span class="usage-words">{words}</span>
            <svg
                class="usage-graph"
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                preserveAspectRatio="none"
                role="img"
                aria-label=label
            >
                <polyline class="cpu" points=cpu></polyline>
                <polyline class="mem" points=mem></polyline>
            </svg>
            <span class="usage-key muted">"CPU (solid), memory (dashed), last 15 min"</span>
        </div>
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_ends_at_the_right_edge_and_stays_inside() {
        assert_eq!(points(&[0, 500, 2000], 1000), "87,24 88,12 89,0");
        assert_eq!(points(&[], 1000), "");
        assert_eq!(points(&[1000], 1000), "88,0 89,0");
        let many: Vec<u64> = (0..200).collect();
        assert!(points(&many, 1000).starts_with("0,"));
    }

    #[test]
    fn use_is_said_against_the_segments_cpus() {
        let sample = UsageView { at: 0, millicpu: 500, memory: 180 << 20 };
        assert_eq!(in_words(&sample, 2), "25% CPU, 180 MiB in use");
    }
}
