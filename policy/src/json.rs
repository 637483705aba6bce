//! Reading request bodies the way dockerd's Go decoder does.
//!
//! Go's `encoding/json` matches object keys to struct fields case-insensitively
//! (`"privileged"` fills `Privileged`), with Unicode simple folding, so the Kelvin sign
//! `K` (U+212A) matches `k` and the long s `ſ` (U+017F) matches `s`. When a
//! field occurs several times the last one wins, and our parsed map no longer knows
//! the order. So every lookup here returns *all* values whose key folds to the field
//! name, and the callers refuse if *any* of them is an escalation: a superset of what
//! the daemon will act on.

use serde_json::Value;

/// Folds one character the way Go's `bytes.EqualFold` does, as far as ASCII field
/// names are concerned: the only non-ASCII characters that fold onto ASCII letters
/// are the Kelvin sign and the long s.
fn fold(c: char) -> char {
    match c {
        '\u{212A}' => 'k',
        '\u{017F}' => 's',
        c => c.to_ascii_lowercase(),
    }
}

/// Whether the JSON key `key` would fill the Go struct field `name`.
pub(crate) fn key_matches(key: &str, name: &str) -> bool {
    key.chars().map(fold).eq(name.chars().map(fold))
}

/// A key as Go compares it with struct field names: two keys with the same folded
/// form fill the same field.
pub fn fold_key(key: &str) -> String {
    key.chars().map(fold).collect()
}

/// Every non-null value stored under a key that folds to `name`; nothing if `obj` is
/// not an object.
pub(crate) fn fields<'a>(obj: &'a Value, name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    obj.as_object()
        .into_iter()
        .flat_map(|map| map.iter())
        .filter(move |(key, _)| key_matches(key, name))
        .map(|(_, value)| value)
        .filter(|value| !value.is_null())
}

/// Every string stored under `name`.
pub(crate) fn string_fields<'a>(obj: &'a Value, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    fields(obj, name).filter_map(Value::as_str)
}

/// Whether a flag such as `Privileged` is set. Anything but `false` counts: Go refuses
/// non-booleans anyway, so refusing them too costs nothing.
pub(crate) fn flag_set(value: &Value) -> bool {
    !matches!(value, Value::Null | Value::Bool(false))
}

/// Whether a list field such as `CapAdd` carries anything. Docker's `StrSlice` also
/// accepts a bare string, so only `null` and `[]` are empty.
pub(crate) fn has_items(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

/// The strings of a list field, accepting a bare string as a one-item list
/// (Docker's `StrSlice` does).
pub(crate) fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The items of a list field (objects such as mounts or devices).
pub(crate) fn items(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_match_like_go() {
        assert!(key_matches("Privileged", "Privileged"));
        assert!(key_matches("privileged", "Privileged"));
        assert!(key_matches("PRIVILEGED", "Privileged"));
        assert!(key_matches("\u{017F}ecurityOpt", "SecurityOpt"));
        assert!(key_matches("Mas\u{212A}edPaths", "MaskedPaths"));
        assert!(!key_matches("Privilege", "Privileged"));
        assert!(!key_matches("Privileged ", "Privileged"));
    }

    #[test]
    fn fields_returns_every_variant_and_skips_null() {
        let body = json!({"CapAdd": null, "capadd": ["X"], "CAPADD": []});
        let found: Vec<&Value> = fields(&body, "CapAdd").collect();
        assert_eq!(found.len(), 2);
        assert!(found.iter().any(|v| has_items(v)));
    }

    #[test]
    fn list_and_flag_helpers() {
        assert!(!has_items(&json!([])));
        assert!(has_items(&json!("NET_ADMIN")));
        assert!(!flag_set(&json!(false)));
        assert!(flag_set(&json!(true)));
        assert!(flag_set(&json!("true")));
        assert_eq!(strings(&json!("a")), vec!["a"]);
        assert_eq!(strings(&json!(["a", 1, "b"])), vec!["a", "b"]);
    }
}
