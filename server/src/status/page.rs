//! The status page: plain HTML rendered here, with the panel's stylesheet and no script.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Status;

/// The page for `status`.
pub fn render(status: &Status) -> String {
    let mut body = String::new();
    let pool = &status.service.warm_pool;
    let capacity = &status.capacity;
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Control plane</h2><dl class=\"facts\">\
         <dt>Database</dt><dd>{}</dd><dt>Docker in segments</dt><dd>{}</dd></dl></section>",
        escape(status.database),
        escape(&status.docker_version),
    );
    body.push_str(&counts("Clusters", "status", &status.service.clusters));
    body.push_str(&counts("Segments of clusters", "state", &status.service.segments));
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Warm segments</h2><p>Started ahead of demand, so that a new cluster \
         does not wait for its segments to boot.</p><dl class=\"facts\"><dt>Pool size</dt><dd>{}</dd>\
         <dt>Ready</dt><dd>{}</dd><dt>Starting</dt><dd>{}</dd></dl></section>",
        pool.size, pool.ready, pool.starting,
    );
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Host capacity</h2><dl class=\"facts\"><dt>Segments</dt><dd>{}</dd>\
         <dt>Memory reserved</dt><dd>{} of {} MiB</dd><dt>vCPUs reserved</dt><dd>{} of {} CPUs</dd></dl>\
         <p>Segments reserve their size's memory and vCPUs; what they really use is usually far less.</p>\
         </section>",
        capacity.segments,
        capacity.reserved_memory_mib,
        capacity.host_memory_mib,
        capacity.reserved_vcpus,
        capacity.host_cpus,
    );
    document(&body)
}

/// The page when the database does not answer.
pub fn unavailable() -> String {
    document("<section class=\"card\"><h2>Control plane</h2><p>The database does not answer.</p></section>")
}

fn counts(title: &str, what: &str, by: &BTreeMap<String, u64>) -> String {
    let mut rows = String::new();
    for (name, count) in by {
        let _ = write!(rows, "<tr><td>{}</td><td>{count}</td></tr>", escape(name));
    }
    if rows.is_empty() {
        rows.push_str("<tr><td colspan=\"2\">None</td></tr>");
    }
    format!(
        "<section class=\"card\"><h2>{}</h2><div class=\"table-scroll\"><table><thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\">Count</th></tr></thead><tbody>{rows}</tbody></table></div></section>",
        escape(title),
        escape(what)
    )
}

fn document(body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>Status · Carina</title><link rel=\"icon\" type=\"image/svg+xml\" href=\"/favicon.svg\"/>\
         <link rel=\"stylesheet\" href=\"/pkg/carina.css\"/></head><body><main class=\"page\">\
         <h1>Service status</h1><p>Refreshed on every load (at most 5 s old). \
         <a href=\"/status.json\">The same as JSON</a>.</p>{body}</main></body></html>"
    )
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_lists() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        let html = counts("Clusters", "status", &BTreeMap::from([("active".to_owned(), 2)]));
        assert!(html.contains("<td>active</td><td>2</td>"));
        assert!(counts("Clusters", "status", &BTreeMap::new()).contains("None"));
    }
}
