//! `docker ps --filter name=…` across segments. The CLI sees names as `/<segment>/<name>`,
//! which no segment knows, so (like classic Swarm) the gateway takes the name filter out of
//! the query it sends on and matches the merged list itself.

use regex::Regex;
use serde_json::Value;

use crate::error::ApiError;
use crate::request::query;

/// The patterns of a `name` filter; a container matches when any pattern matches.
pub(crate) struct NameFilter(Vec<Regex>);

impl NameFilter {
    /// Splits the name filter off a container list query: the query for the segments, and
    /// the filter (none when the query has no name filter). The caller applies `limit`.
    pub(super) fn take(list_query: &str) -> Result<(String, Option<NameFilter>), ApiError> {
        let Some(raw) = query::get(list_query, "filters").filter(|f| !f.is_empty()) else {
            return Ok((list_query.to_owned(), None));
        };
        let invalid = || ApiError::bad_request("invalid filters");
        let mut filters: serde_json::Map<String, Value> = serde_json::from_str(&raw).map_err(|_| invalid())?;
        let Some(names) = filters.remove("name") else {
            return Ok((list_query.to_owned(), None));
        };
        // `{"name":{"web":true}}`, or the older `{"name":["web"]}`.
        let values: Vec<String> = match names {
            Value::Object(map) => map.into_iter().filter(|(_, on)| on != &Value::Bool(false)).map(|(k, _)| k).collect(),
            Value::Array(items) => items.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            _ => return Err(invalid()),
        };
        let patterns = values
            .iter()
            .map(|v| Regex::new(v).map_err(|e| ApiError::bad_request(format!("invalid name filter {v:?}: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rest = query::without(list_query, "filters");
        // A limit must count matching containers only: the caller applies it after the
        // filter. `-n` also shows stopped containers, which the segments must then send.
        if query::get(&rest, "limit").and_then(|l| l.parse::<i64>().ok()).is_some_and(|l| l > 0) {
            rest = query::without(&query::without(&rest, "limit"), "all");
            rest = if rest.is_empty() { "all=1".into() } else { format!("{rest}&all=1") };
        }
        if !filters.is_empty() {
            let encoded = query::encode(&Value::Object(filters).to_string());
            rest = if rest.is_empty() { format!("filters={encoded}") } else { format!("{rest}&filters={encoded}") };
        }
        Ok((rest, Some(NameFilter(patterns))))
    }

    /// Whether a container of `segment` named `local` (as its dockerd knows it, with the
    /// leading slash) matches: patterns are searched, as dockerd does, in the name the CLI
    /// shows (`/<segment>/<name>`) and in the segment's own (`/<name>`), so that both
    /// `n1/web` and an anchored `^/web$` select the container.
    pub(super) fn matches(&self, segment: &str, local: &str) -> bool {
        let shown = format!("/{segment}{local}");
        self.0.is_empty() || self.0.iter().any(|re| re.is_match(&shown) || re.is_match(local))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(json: &str) -> (String, Option<NameFilter>) {
        NameFilter::take(&format!("all=1&filters={}", query::encode(json))).unwrap()
    }

    #[test]
    fn the_name_filter_is_taken_out_and_the_rest_kept() {
        let (rest, names) = filter(r#"{"name":{"web":true},"status":{"running":true}}"#);
        assert_eq!(query::get(&rest, "filters").as_deref(), Some(r#"{"status":{"running":true}}"#));
        assert_eq!(query::get(&rest, "all").as_deref(), Some("1"));
        assert!(names.is_some());
        let (rest, _) = filter(r#"{"name":["web"]}"#);
        assert_eq!(rest, "all=1");
        let (rest, _) =
            NameFilter::take(&format!("limit=1&filters={}", query::encode(r#"{"name":{"swarm-manager":true}}"#)))
                .unwrap();
        assert_eq!(rest, "all=1", "a limit counts matches only");
        let (rest, names) = NameFilter::take("all=1&limit=2").unwrap();
        assert_eq!((rest.as_str(), names.is_none()), ("all=1&limit=2", true));
    }

    #[test]
    fn names_match_with_or_without_their_segment() {
        let (_, names) = filter(r#"{"name":{"c0ffee-n1/web":true}}"#);
        let names = names.unwrap();
        assert!(names.matches("c0ffee-n1", "/web"));
        assert!(!names.matches("c0ffee-n2", "/web"));
        let (_, names) = filter(r#"{"name":{"n2/db":true,"^/web$":true}}"#);
        let names = names.unwrap();
        assert!(names.matches("c0ffee-n2", "/db"));
        assert!(names.matches("c0ffee-n1", "/web"));
        assert!(!names.matches("c0ffee-n1", "/webby"));
        let (_, names) = filter(r#"{"name":{"swarm-manager":true}}"#);
        assert!(names.unwrap().matches("c0ffee-n3", "/swarm-manager"));
    }

    #[test]
    fn a_bad_pattern_is_a_clear_error() {
        let err = NameFilter::take(&format!("filters={}", query::encode(r#"{"name":{"(":true}}"#))).err().unwrap();
        assert!(err.to_string().contains("invalid name filter"), "{err}");
    }
}
