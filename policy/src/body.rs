//! Request bodies read so that the policy and dockerd see the same value.
//!
//! dockerd decodes JSON bodies with Go's `encoding/json`, which differs from a plain
//! `serde_json::from_slice` in two ways that matter:
//! - a key fills a struct field case-insensitively (with Unicode simple folding:
//!   `privileged`, `PRIVILEGED` and `PRIVILEGED` with a Kelvin sign all fill
//!   `Privileged`);
//! - a field that occurs twice is decoded twice *into the same place*: nested structs,
//!   maps and even slice elements from the first copy are merged with the second, so
//!   `{"HostConfig": {"Privileged": true}, "HostConfig": {"Memory": 1}}` creates a
//!   privileged container, while serde keeps only the last copy.
//!
//! [`decode`] therefore refuses every body in which one object holds the same key twice,
//! compared the way Go would match it: folded in objects that Go decodes into structs,
//! exactly in the few objects it decodes into maps (labels, options, sysctls... see
//! [`MAP_FIELDS`]). What remains has one meaning under both decoders, and the gateway
//! forwards [`canonical`] bytes of the value the policy judged, never the client's.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

pub use crate::json::fold_key;

/// Fields that Docker's API types declare as Go maps (`map[string]...`): the keys of
/// the objects under them are user data, matched exactly, so `{"Labels": {"app": "a",
/// "App": "b"}}` is two labels, not a repeat. Every other object is treated as a
/// struct. A name listed here that were a struct somewhere would only let case
/// variants through where Go keeps them apart anyway; the policy reads such objects
/// with folded keys, which sees every variant.
pub const MAP_FIELDS: [&str; 12] = [
    "Labels",
    "Options",
    "DriverOpts",
    "Sysctls",
    "StorageOpt",
    "Tmpfs",
    "ExposedPorts",
    "Volumes",
    "PortBindings",
    "EndpointsConfig",
    "AuxiliaryAddresses",
    // LogConfig.Config, the log driver's options.
    "Config",
];

/// Why a request body cannot be judged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not JSON that serde reads whole (syntax, invalid UTF-8, lone surrogates,
    /// trailing data, nesting deeper than 128).
    #[error("invalid JSON: {0}")]
    Invalid(String),
    /// One object holds the same key twice (as Docker matches keys).
    #[error(
        "ambiguous request body: {path:?} appears twice (as {first:?} and {second:?}); Docker matches these keys \
         {how} and merges repeated ones, so send each key once"
    )]
    RepeatedKey {
        /// Where: the object's path and the key, e.g. `HostConfig.Privileged`.
        path: String,
        /// The key as first written.
        first: String,
        /// The key as written the second time.
        second: String,
        /// "regardless of case" or "exactly".
        how: &'static str,
    },
}

/// Decodes a request body, refusing repeated keys. An empty (or all-whitespace) body is
/// `Null`.
pub fn decode(bytes: &[u8]) -> Result<Value, BodyError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    let repeated = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let seed = Node { keys: Keys::Struct, path: Path::Root, repeated: &repeated };
    let result = seed.deserialize(&mut deserializer).and_then(|value| deserializer.end().map(|()| value));
    match (result, repeated.into_inner()) {
        (_, Some(error)) => Err(error),
        (Ok(value), None) => Ok(value),
        (Err(e), None) => Err(BodyError::Invalid(e.to_string())),
    }
}

/// The bytes to forward for a judged body: its plain JSON serialisation, empty for
/// `Null` (no body).
pub fn canonical(value: &Value) -> Vec<u8> {
    if value.is_null() {
        return Vec::new();
    }
    serde_json::to_vec(value).unwrap_or_default()
}

/// Whether the object under a key is a Go map (exact keys) or a struct (folded keys).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    Struct,
    Map,
}

impl Keys {
    /// How the keys of the object under `key` are matched.
    fn under(key: &str) -> Keys {
        if MAP_FIELDS.iter().any(|field| fold_key(key) == fold_key(field)) {
            Keys::Map
        } else {
            Keys::Struct
        }
    }

    fn same(self, a: &str, b: &str) -> bool {
        match self {
            Keys::Map => a == b,
            Keys::Struct => fold_key(a) == fold_key(b),
        }
    }
}

/// Where a value sits, for messages: a chain of keys and indexes on the stack.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(&Path::Root, key) => write!(f, "{key}"),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// One JSON value being decoded, knowing how its object keys are matched.
struct Node<'a> {
    keys: Keys,
    path: Path<'a>,
    repeated: &'a RefCell<Option<BodyError>>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let path = Path::Index(&self.path, items.len());
            // Elements of lists are structs (mounts, ulimits...) or scalars.
            let seed = Node { keys: Keys::Struct, path, repeated: self.repeated };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = access.next_key::<String>()? {
            if let Some(first) = seen.iter().find(|seen| self.keys.same(seen, &key)) {
                let error = BodyError::RepeatedKey {
                    path: Path::Key(&self.path, first).to_string(),
                    first: first.clone(),
                    second: key.clone(),
                    how: if self.keys == Keys::Map { "exactly" } else { "regardless of case" },
                };
                let message = error.to_string();
                *self.repeated.borrow_mut() = Some(error);
                return Err(A::Error::custom(message));
            }
            // A map's values are of its element type: structs (endpoint settings) or
            // scalars, whatever the key says (a network may be called "Labels").
            let keys = if self.keys == Keys::Map { Keys::Struct } else { Keys::under(&key) };
            let seed = Node { keys, path: Path::Key(&self.path, &key), repeated: self.repeated };
            let value = access.next_value_seed(seed)?;
            seen.push(key.clone());
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repeated(body: &str) -> (String, String, String) {
        match decode(body.as_bytes()) {
            Err(BodyError::RepeatedKey { path, first, second, .. }) => (path, first, second),
            other => panic!("{body}: expected a repeated key, got {other:?}"),
        }
    }

    #[test]
    fn plain_bodies_decode_like_serde() {
        let body = r#"{"Image":"alpine","HostConfig":{"Binds":["v:/v"],"Memory":1,"CpuShares":512},"Labels":{"a":"1","A":"2"}}"#;
        let serde: Value = serde_json::from_str(body).unwrap();
        assert_eq!(decode(body.as_bytes()).unwrap(), serde);
        assert_eq!(decode(b"  \n").unwrap(), Value::Null);
        assert_eq!(decode(b"[1, -2, 2.5, null, true]").unwrap(), json!([1, -2, 2.5, null, true]));
    }

    #[test]
    fn repeated_keys_are_refused_at_any_depth() {
        assert_eq!(
            repeated(r#"{"HostConfig":{"Privileged":true},"HostConfig":{}}"#),
            ("HostConfig".into(), "HostConfig".into(), "HostConfig".into())
        );
        assert_eq!(
            repeated(r#"{"HostConfig":{"Privileged":false,"privileged":true}}"#),
            ("HostConfig.Privileged".into(), "Privileged".into(), "privileged".into())
        );
        assert_eq!(
            repeated(r#"{"HostConfig":{"Mounts":[{"Type":"volume","TYPE":"bind"}]}}"#),
            ("HostConfig.Mounts[0].Type".into(), "Type".into(), "TYPE".into())
        );
        // Go's folding: the Kelvin sign folds to k, the long s to s.
        let (path, ..) = repeated("{\"Mas\u{212A}edPaths\":[],\"maskedpaths\":[]}");
        assert_eq!(path, "Mas\u{212A}edPaths");
        repeated("{\"SecurityOpt\":[],\"\u{017F}ecurityOpt\":[\"seccomp=unconfined\"]}");
        // Escapes are decoded before keys are compared.
        repeated(r#"{"Privileged":false,"Privil\u0065ged":true}"#);
        // Maps: exact repeats only.
        repeated(r#"{"Labels":{"a":"1","a":"2"}}"#);
        repeated(r#"{"HostConfig":{"Sysctls":{"net.x":"1"},"sysctls":{}}}"#);
    }

    #[test]
    fn map_keys_may_differ_in_case_only() {
        let body = r#"{"Labels":{"app":"a","App":"b"},"HostConfig":{"LogConfig":{"Type":"json-file","Config":{"max-size":"1m","Max-Size":"2m"}}}}"#;
        let value = decode(body.as_bytes()).unwrap();
        assert_eq!(value["Labels"], json!({"app": "a", "App": "b"}));
        // Structs inside a map's values are structs again.
        repeated(r#"{"NetworkingConfig":{"EndpointsConfig":{"net":{"Aliases":[],"aliases":["x"]}}}}"#);
        repeated(r#"{"NetworkingConfig":{"EndpointsConfig":{"Labels":{"Aliases":[],"aliases":["x"]}}}}"#);
    }

    #[test]
    fn what_serde_refuses_stays_refused() {
        for body in [
            &b"{\"Image\":\"a\"} {\"HostConfig\":{\"Privileged\":true}}"[..],
            b"{\"Image\":\"\xff\"}",
            br#"{"Image":"\ud800"}"#,
            b"{\"Image\":",
        ] {
            assert!(matches!(decode(body), Err(BodyError::Invalid(_))), "{}", String::from_utf8_lossy(body));
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(decode(deep.as_bytes()), Err(BodyError::Invalid(_))));
    }

    #[test]
    fn canonical_bytes_reparse_to_the_judged_value() {
        let value = decode(br#"{"b":1,"a":{"x":[1,{"y":null}]},"Labels":{"A":"1","a":"2"}}"#).unwrap();
        assert_eq!(decode(&canonical(&value)).unwrap(), value);
        assert!(canonical(&Value::Null).is_empty());
    }

    #[test]
    fn the_message_says_what_to_do() {
        let error = decode(br#"{"HostConfig":{},"hostconfig":{"Privileged":true}}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "ambiguous request body: \"HostConfig\" appears twice (as \"HostConfig\" and \"hostconfig\"); Docker matches \
             these keys regardless of case and merges repeated ones, so send each key once"
        );
    }
}
