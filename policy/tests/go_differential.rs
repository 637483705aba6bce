//! Differential test: what the policy judges against what dockerd's Go decoder sees.
//!
//! Bodies are generated with repeated, case-variant, Unicode-folded and escaped keys at
//! every depth, written out as raw bytes (duplicates kept), and given to
//! [`policy::body::decode`] as the gateway does. A model of Go's `encoding/json`
//! (keys folded into struct fields, repeated fields decoded *into* the value already
//! there, maps kept and extended, slice elements reused) decodes the same bytes. For
//! every body the gateway accepts, both must agree on the value, and so on the policy's
//! verdict; the gateway must refuse exactly the bodies that repeat a key.

use policy::body::{canonical, decode, BodyError, MAP_FIELDS};
use proptest::prelude::*;
use serde_json::{json, Map, Number, Value};

/// A JSON value as written on the wire: objects keep every key, repeats included.
#[derive(Debug, Clone, PartialEq)]
enum Raw {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
    Arr(Vec<Raw>),
    Obj(Vec<(String, Raw)>),
}

impl Raw {
    fn from_value(value: &Value) -> Raw {
        match value {
            Value::Null => Raw::Null,
            Value::Bool(b) => Raw::Bool(*b),
            Value::Number(n) => Raw::Num(n.clone()),
            Value::String(s) => Raw::Str(s.clone()),
            Value::Array(items) => Raw::Arr(items.iter().map(Raw::from_value).collect()),
            Value::Object(map) => Raw::Obj(map.iter().map(|(k, v)| (k.clone(), Raw::from_value(v))).collect()),
        }
    }

    /// Every object, depth first, as a path of indexes from the root.
    fn object_paths(&self, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        match self {
            Raw::Obj(entries) => {
                out.push(here.clone());
                for (i, (_, v)) in entries.iter().enumerate() {
                    here.push(i);
                    v.object_paths(here, out);
                    here.pop();
                }
            }
            Raw::Arr(items) => {
                for (i, v) in items.iter().enumerate() {
                    here.push(i);
                    v.object_paths(here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }

    fn at_mut(&mut self, path: &[usize]) -> &mut Raw {
        match (self, path.split_first()) {
            (node, None) => node,
            (Raw::Obj(entries), Some((i, rest))) => entries[*i].1.at_mut(rest),
            (Raw::Arr(items), Some((i, rest))) => items[*i].at_mut(rest),
            _ => unreachable!("paths come from object_paths"),
        }
    }
}

/// Writes a raw value; `escape` picks key characters to write as `\uXXXX`.
fn write(raw: &Raw, escape: u64, out: &mut String) {
    match raw {
        Raw::Null => out.push_str("null"),
        Raw::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Raw::Num(n) => out.push_str(&n.to_string()),
        Raw::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
        Raw::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, escape, out);
            }
            out.push(']');
        }
        Raw::Obj(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                for (j, c) in key.chars().enumerate() {
                    if escape >> (j % 64) & 1 == 1 && (c as u32) < 0x10000 {
                        out.push_str(&format!("\\u{:04x}", c as u32));
                    } else {
                        let quoted = serde_json::to_string(&c.to_string()).unwrap();
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    }
                }
                out.push_str("\":");
                write(value, escape.rotate_left(7), out);
            }
            out.push('}');
        }
    }
}

/// Reads bytes into a [`Raw`], keeping repeated keys (the model's input).
fn parse_raw(bytes: &[u8]) -> Raw {
    struct RawVisitor;
    impl<'de> serde::de::Visitor<'de> for RawVisitor {
        type Value = Raw;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("json")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
            Ok(Raw::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
            Ok(Raw::Num(v.into()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
            Ok(Raw::Num(v.into()))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
            Ok(Raw::Num(Number::from_f64(v).unwrap()))
        }
        fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
            Ok(Raw::Str(v.into()))
        }
        fn visit_unit<E>(self) -> Result<Raw, E> {
            Ok(Raw::Null)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element_seed(RawSeed)? {
                items.push(item);
            }
            Ok(Raw::Arr(items))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
            let mut entries = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                entries.push((key, map.next_value_seed(RawSeed)?));
            }
            Ok(Raw::Obj(entries))
        }
    }
    struct RawSeed;
    impl<'de> serde::de::DeserializeSeed<'de> for RawSeed {
        type Value = Raw;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
            d.deserialize_any(RawVisitor)
        }
    }
    use serde::de::DeserializeSeed;
    RawSeed.deserialize(&mut serde_json::Deserializer::from_slice(bytes)).expect("generated bodies are JSON")
}

/// Go's key folding for ASCII field names (`bytes.EqualFold`): case, and the two
/// non-ASCII letters that fold onto ASCII ones. Written here again, independently of
/// the crate's own.
fn go_fold(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '\u{212A}' => 'k',
            '\u{017F}' => 's',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn is_map_field(key: &str) -> bool {
    MAP_FIELDS.iter().any(|f| go_fold(f) == go_fold(key))
}

/// Go's `encoding/json` decoding `raw` into the Go value `current` (its previous
/// contents, `Null` when unset). Struct field names come out folded; map keys exact.
fn go_decode(raw: &Raw, current: &mut Value, map: bool) {
    match raw {
        // null into a non-pointer field leaves it alone; into a pointer, map, slice or
        // interface it resets: unset either way for our purposes.
        Raw::Null => *current = Value::Null,
        Raw::Bool(b) => *current = Value::Bool(*b),
        Raw::Num(n) => *current = Value::Number(n.clone()),
        Raw::Str(s) => *current = Value::String(s.clone()),
        Raw::Arr(items) => {
            // Slices are reused: element i is decoded into the old element i.
            let mut old = match std::mem::take(current) {
                Value::Array(old) => old,
                _ => Vec::new(),
            };
            old.truncate(items.len());
            while old.len() < items.len() {
                old.push(Value::Null);
            }
            for (item, slot) in items.iter().zip(old.iter_mut()) {
                go_decode(item, slot, false);
            }
            *current = Value::Array(old);
        }
        Raw::Obj(entries) => {
            if !current.is_object() {
                *current = Value::Object(Map::new());
            }
            let object = current.as_object_mut().unwrap();
            for (key, value) in entries {
                if map {
                    // Map elements are decoded fresh; the map itself is kept.
                    let mut fresh = Value::Null;
                    go_decode(value, &mut fresh, false);
                    object.insert(key.clone(), fresh);
                } else {
                    let slot = object.entry(go_fold(key)).or_insert(Value::Null);
                    go_decode(value, slot, is_map_field(key));
                }
            }
        }
    }
}

/// The judged value in the model's terms: struct field names folded, null struct
/// fields dropped (an unset field), null map entries kept (Go stores a zero value).
fn as_go_sees(value: &Value, map: bool) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| as_go_sees(v, false)).collect()),
        Value::Object(object) => {
            Value::Object(
                object
                    .iter()
                    .filter(|(_, v)| map || !v.is_null())
                    .map(|(k, v)| {
                        if map {
                            (k.clone(), as_go_sees(v, false))
                        } else {
                            (go_fold(k), as_go_sees(v, is_map_field(k)))
                        }
                    })
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

/// Drops null struct fields (unset); a map's null entries stay (Go stores a zero value).
fn drop_null_fields(value: &mut Value, map: bool) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| drop_null_fields(v, false)),
        Value::Object(object) => {
            if !map {
                object.retain(|_, v| !v.is_null());
            }
            for (k, v) in object.iter_mut() {
                drop_null_fields(v, !map && is_map_field(k));
            }
        }
        _ => {}
    }
}

/// What dockerd decodes from `raw`.
fn dockerd_sees(raw: &Raw) -> Value {
    let mut value = Value::Null;
    go_decode(raw, &mut value, false);
    drop_null_fields(&mut value, false);
    value
}

/// Whether some object of `raw` holds a key twice, as Go tells keys apart there.
fn repeats_a_key(raw: &Raw, map: bool) -> bool {
    match raw {
        Raw::Arr(items) => items.iter().any(|v| repeats_a_key(v, false)),
        Raw::Obj(entries) => {
            let name = |k: &String| if map { k.clone() } else { go_fold(k) };
            let mut names: Vec<String> = entries.iter().map(|(k, _)| name(k)).collect();
            names.sort();
            names.windows(2).any(|w| w[0] == w[1])
                || entries.iter().any(|(k, v)| repeats_a_key(v, !map && is_map_field(k)))
        }
        _ => false,
    }
}

/// Realistic bodies of the routes the policy reads.
fn seeds() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/containers/create",
            json!({
                "Image": "alpine", "Cmd": ["sh"], "Env": ["A=b"], "Labels": {"app": "web"},
                "ExposedPorts": {"80/tcp": {}},
                "HostConfig": {
                    "Binds": ["data:/data"], "Privileged": false, "CapAdd": null, "PidMode": "",
                    "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m"}},
                    "Mounts": [{"Type": "volume", "Source": "v", "Target": "/v",
                                "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": {"type": "tmpfs", "device": "tmpfs"}}}}],
                    "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                    "Sysctls": {"net.ipv4.ip_forward": "1"}, "SecurityOpt": ["no-new-privileges"],
                    "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
                },
                "NetworkingConfig": {"EndpointsConfig": {"back": {"Aliases": ["web"]}}}
            }),
        ),
        (
            "/services/create",
            json!({
                "Name": "web", "Labels": {},
                "TaskTemplate": {
                    "ContainerSpec": {"Image": "nginx", "Mounts": [{"Type": "volume", "Source": "x", "Target": "/x"}],
                                      "Privileges": {"SELinuxContext": null}},
                    "LogDriver": {"Name": "json-file", "Options": {}},
                    "Resources": {"Limits": {"MemoryBytes": 1}}
                },
                "Mode": {"Replicated": {"Replicas": 2}}
            }),
        ),
        (
            "/volumes/create",
            json!({"Name": "v", "Driver": "local", "DriverOpts": {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}, "Labels": {}}),
        ),
        ("/containers/abc/exec", json!({"Cmd": ["sh"], "AttachStdout": true, "Privileged": false, "User": ""})),
        ("/containers/abc/update", json!({"Memory": 1000000, "RestartPolicy": {"Name": "always"}})),
    ]
}

/// Keys and values that escalate wherever they land.
fn dangers() -> Vec<(&'static str, Value)> {
    vec![
        ("Privileged", json!(true)),
        ("Binds", json!(["/:/host"])),
        ("CapAdd", json!(["ALL"])),
        ("PidMode", json!("host")),
        ("LogConfig", json!({"Type": "syslog"})),
        ("HostConfig", json!({"Privileged": true})),
        ("HostConfig", json!({"Mounts": [{"Type": "bind", "Source": "/etc", "Target": "/e"}]})),
        ("Mounts", json!([{"Type": "bind"}])),
        ("Source", json!("/etc")),
        ("Type", json!("bind")),
        ("DriverOpts", json!({"o": "bind", "device": "/etc", "type": "none"})),
        ("device", json!("/etc")),
        ("TaskTemplate", json!({"ContainerSpec": {"CapabilityAdd": ["NET_ADMIN"]}})),
        ("ContainerSpec", json!({"Mounts": [{"Type": "bind", "Source": "/"}]})),
        ("Labels", json!({"Aliases": ["a"], "IPAMConfig": {"IPv4Address": "10.0.0.9"}})),
    ]
}

/// A spelling of `key` that Go still matches to the same field: cases flipped by
/// `bits`, and k or s written as the Kelvin sign or the long s.
fn respell(key: &str, bits: u64) -> String {
    key.chars()
        .enumerate()
        .map(|(i, c)| {
            let flip = bits >> (i % 32) & 1 == 1;
            let exotic = bits >> (32 + i % 32) & 1 == 1;
            match c {
                'k' | 'K' if exotic => '\u{212A}',
                's' | 'S' if exotic => '\u{017F}',
                c if flip && c.is_ascii_lowercase() => c.to_ascii_uppercase(),
                c if flip => c.to_ascii_lowercase(),
                c => c,
            }
        })
        .collect()
}

/// One change to a body.
#[derive(Debug, Clone)]
enum Mutation {
    /// Writes an existing key again (respelled), with a copy of its value, a danger or null.
    Repeat { object: usize, key: usize, bits: u64, value: u8, at: usize },
    /// Adds a dangerous key (respelled), which may or may not repeat one.
    Insert { object: usize, danger: usize, bits: u64, at: usize },
    /// Respells a key in place.
    Respell { object: usize, key: usize, bits: u64 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>(), any::<u64>(), 0u8..3, any::<usize>())
            .prop_map(|(object, key, bits, value, at)| Mutation::Repeat { object, key, bits, value, at }),
        (any::<usize>(), any::<usize>(), any::<u64>(), any::<usize>())
            .prop_map(|(object, danger, bits, at)| Mutation::Insert { object, danger, bits, at }),
        (any::<usize>(), any::<usize>(), any::<u64>()).prop_map(|(object, key, bits)| Mutation::Respell {
            object,
            key,
            bits
        }),
    ]
}

fn apply(raw: &mut Raw, mutation: &Mutation) {
    let mut paths = Vec::new();
    raw.object_paths(&mut Vec::new(), &mut paths);
    let pick = |i: usize| paths[i % paths.len()].clone();
    let dangers = dangers();
    match *mutation {
        Mutation::Repeat { object, key, bits, value, at } => {
            let Raw::Obj(entries) = raw.at_mut(&pick(object)) else { unreachable!() };
            if entries.is_empty() {
                return;
            }
            let (name, old) = entries[key % entries.len()].clone();
            let new = match value {
                0 => old,
                1 => Raw::from_value(&dangers[bits as usize % dangers.len()].1),
                _ => Raw::Null,
            };
            entries.insert(at % (entries.len() + 1), (respell(&name, bits), new));
        }
        Mutation::Insert { object, danger, bits, at } => {
            let Raw::Obj(entries) = raw.at_mut(&pick(object)) else { unreachable!() };
            let (name, value) = &dangers[danger % dangers.len()];
            entries.insert(at % (entries.len() + 1), (respell(name, bits), Raw::from_value(value)));
        }
        Mutation::Respell { object, key, bits } => {
            let Raw::Obj(entries) = raw.at_mut(&pick(object)) else { unreachable!() };
            if !entries.is_empty() {
                let n = entries.len();
                let entry = &mut entries[key % n];
                entry.0 = respell(&entry.0, bits);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn the_policy_judges_what_dockerd_decodes(
        seed in 0usize..5,
        mutations in prop::collection::vec(mutation(), 0..5),
        escape in any::<u64>(),
    ) {
        let (path, body) = &seeds()[seed];
        let mut raw = Raw::from_value(body);
        for m in &mutations {
            apply(&mut raw, m);
        }
        let mut text = String::new();
        // Escaping some key characters must change nothing.
        write(&raw, escape & 0x1111_1111_1111_1111, &mut text);
        let bytes = text.as_bytes();
        let wire = parse_raw(bytes);
        let repeats = repeats_a_key(&wire, false);

        match decode(bytes) {
            Err(BodyError::RepeatedKey { .. }) => prop_assert!(repeats, "refused without a repeat: {text}"),
            Err(e) => prop_assert!(false, "generated JSON refused: {e}: {text}"),
            Ok(judged) => {
                prop_assert!(!repeats, "a repeated key got through: {text}");
                let dockerd = dockerd_sees(&wire);
                prop_assert_eq!(&as_go_sees(&judged, false), &dockerd, "{}", text);
                // What is forwarded decodes, under Go's rules, to the same value.
                prop_assert_eq!(&dockerd_sees(&parse_raw(&canonical(&judged))), &dockerd);
                // And so the verdicts agree.
                prop_assert_eq!(
                    policy::check("POST", path, "", Some(&judged)),
                    policy::check("POST", path, "", Some(&dockerd)),
                    "{}", text
                );
            }
        }
    }
}

/// The model is not vacuous: on the merge attack it sees what a plain serde parse
/// misses, which is why [`decode`] refuses the body.
#[test]
fn the_model_sees_the_merge_that_serde_hides() {
    let body = br#"{"Image":"alpine","HostConfig":{"Privileged":true},"HostConfig":{"Memory":1}}"#;
    let serde_view: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(policy::check("POST", "/containers/create", "", Some(&serde_view)), Ok(()));
    let dockerd = dockerd_sees(&parse_raw(body));
    assert_eq!(dockerd["hostconfig"], json!({"privileged": true, "memory": 1}));
    assert!(policy::check("POST", "/containers/create", "", Some(&dockerd)).is_err());
    assert!(matches!(decode(body), Err(BodyError::RepeatedKey { .. })));

    // Slice elements are merged too: the second Mounts turns the first mount into a bind.
    let body =
        br#"{"HostConfig":{"Mounts":[{"Type":"volume","Source":"/etc","Target":"/e"}],"mounts":[{"Type":"bind"}]}}"#;
    let dockerd = dockerd_sees(&parse_raw(body));
    assert_eq!(dockerd["hostconfig"]["mounts"][0], json!({"type": "bind", "source": "/etc", "target": "/e"}));
    assert!(matches!(decode(body), Err(BodyError::RepeatedKey { .. })));

    // Maps are kept and extended, not replaced.
    let body = br#"{"Driver":"local","DriverOpts":{"type":"none","o":"bind"},"driveropts":{"device":"/etc"}}"#;
    let dockerd = dockerd_sees(&parse_raw(body));
    assert_eq!(dockerd["driveropts"], json!({"type": "none", "o": "bind", "device": "/etc"}));
    assert!(matches!(decode(body), Err(BodyError::RepeatedKey { .. })));
}
