//! The OpenAPI document against the real server: every route it describes is served
//! (and every route the index lists is in it), and real answers of every GET route have
//! what the document's schemas require.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{curl, Server};
use serde_json::{json, Value};

/// The document's operations as `METHOD /path`.
fn operations(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    out
}

/// What `value` lacks or has of the wrong type under `schema` (a small JSON Schema
/// check: `$ref`, `type`, `required`, `properties`, `items`, `allOf`, `oneOf`, `enum`).
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return violations(doc, &doc["components"]["schemas"][name], value, at);
    }
    let mut out = Vec::new();
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            out.extend(violations(doc, part, value, at));
        }
    }
    if let Some(any) = schema["oneOf"].as_array() {
        if !any.iter().any(|s| violations(doc, s, value, at).is_empty()) {
            out.push(format!("{at}: {value} matches none of {}", Value::Array(any.clone())));
        }
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            out.push(format!("{at}: {value} is not one of {}", Value::Array(allowed.clone())));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
        out.push(format!("{at}: {value} is not of type {types:?}"));
        return out;
    }
    if let (Some(required), Some(object)) = (schema["required"].as_array(), value.as_object()) {
        for field in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(field) {
                out.push(format!("{at}: required field {field:?} is missing"));
            }
        }
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object()) {
        for (field, sub) in properties {
            if let Some(v) = object.get(field) {
                out.extend(violations(doc, sub, v, &format!("{at}.{field}")));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            out.extend(violations(doc, items, v, &format!("{at}[{i}]")));
        }
    }
    out
}

fn type_matches(t: &str, value: &Value) -> bool {
    match t {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// The schema of an operation's answer with `status`, if it is JSON.
fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: u16) -> Option<&'a Value> {
    let op = &doc["paths"][path][method.to_lowercase()];
    op["responses"][status.to_string()]["content"]["application/json"].get("schema")
}

fn assert_valid(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let schema = response_schema(doc, method, path, status).unwrap_or_else(|| {
        panic!("{method} {path} answered {status}, which the document does not describe: {:.300}", body.to_string())
    });
    let found = violations(doc, schema, body, "$");
    assert!(found.is_empty(), "{method} {path} ({status}) does not match its schema:\n{}\n{body:#}", found.join("\n"));
}

#[test]
fn the_document_describes_every_route_and_real_answers_match_it() {
    let server = Server::start("openapi");
    let (status, text) = curl(&[&server.url("/api/v1/openapi.json")]);
    assert_eq!(status, 200, "{text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let ops = operations(&doc);
    let ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values().filter_map(|op| op["operationId"].as_str()))
        .collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len(), "operation ids repeat: {ids:?}");

    // The index lists exactly the document's routes, and links the document.
    let (status, text) = curl(&[&server.url("/api/v1")]);
    assert_eq!(status, 200);
    let index: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(index["openapi"], "/api/v1/openapi.json");
    let listed: BTreeSet<String> = index["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["method"].as_str().unwrap(), r["path"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, ops);
    assert!(index["routes"].as_array().unwrap().iter().all(|r| !r["description"].as_str().unwrap().is_empty()));
    for expected in [
        "GET /api/v1/clusters/{name}/events",
        "GET /api/v1/account/events",
        "POST /api/v1/keys",
        "GET /api/v1/openapi.json",
    ] {
        assert!(ops.contains(expected), "{expected} is not in {ops:?}");
    }
    assert_valid(&doc, "GET", "/api/v1", 200, &index);

    // A cluster, active, with a bundle: every GET route then has something to show.
    let key = server.api_key_for("doc@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "doc", "nodes": 1})));
    assert_eq!(code, 201, "{created}");
    assert_valid(&doc, "POST", "/api/v1/clusters", 201, &created);
    server.wait_cluster(&key, "doc", Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active");
    let (code, _) = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Authorization: Bearer {key}"),
        "-o",
        "/dev/null",
        &server.url("/api/v1/clusters/doc/credentials"),
    ]);
    assert_eq!(code, 200);

    let auth = format!("Authorization: Bearer {key}");
    for op in &ops {
        let (method, path) = op.split_once(' ').unwrap();
        let concrete = path.replace("{name}", "doc").replace("{id}", "00000000-0000-4000-8000-000000000000");
        // Served: without a key, a route that needs one answers 401 (not a routing 404
        // or 405), and the others answer as the document says.
        let (status, text) = curl(&["-X", method, &server.url(&concrete)]);
        let needs_key = !doc["paths"][path][method.to_lowercase()]["security"].is_null();
        if needs_key {
            assert_eq!(status, 401, "{op}: {text}");
            assert_valid(&doc, method, path, 401, &serde_json::from_str(&text).unwrap());
        } else {
            assert!(status == 200 || status == 400, "{op}: {status} {text}");
        }
        // The zip, the document itself (its schema is OpenAPI's own) and the audit trail
        // (JSON Lines: tests/audit.rs reads it) are not checked here.
        let not_json = ["/credentials", "/openapi.json", "/account/audit"];
        if method != "GET" || not_json.iter().any(|end| path.ends_with(end)) {
            continue;
        }
        // Real answers match their schema (with a key, and arrays not empty).
        let (status, text) = curl(&["-H", &auth, &server.url(&concrete)]);
        assert_eq!(status, 200, "{op}: {text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        if let Some(array) = body.as_array() {
            assert!(!array.is_empty(), "{op} answered an empty list: nothing checked");
        }
        assert_valid(&doc, method, path, 200, &body);
    }

    // A route that is not in the document is not served: a JSON 404 says so.
    let (status, text) = curl(&["-H", &auth, &server.url("/api/v1/nodes")]);
    assert_eq!(status, 404, "{text}");
    assert!(text.contains("GET /api/v1 lists them"), "{text}");
    let (code, err) = server.api(&key, "GET", "/clusters/nope", None);
    assert_eq!(code, 404);
    assert_valid(&doc, "GET", "/api/v1/clusters/{name}", 404, &err);

    let (code, deleted) = server.api(&key, "DELETE", "/clusters/doc", None);
    assert_eq!(code, 202, "{deleted}");
    assert_valid(&doc, "DELETE", "/api/v1/clusters/{name}", 202, &deleted);
    server.wait_cluster(&key, "doc", Duration::from_secs(120), |code, _| code == 404);
}
