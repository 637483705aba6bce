use proptest::prelude::*;

use super::*;

fn at(method: Method, path: &str) -> Endpoint {
    classify(&method, &policy::request_segments(path))
}

#[test]
fn routes() {
    let container = |reference: &str, action| Endpoint::Container { reference: reference.into(), action };
    let table = [
        (Method::HEAD, "/_ping", Endpoint::Ping),
        (Method::GET, "/containers/json", Endpoint::Containers(Collection::List)),
        (Method::POST, "//containers/./create/", Endpoint::Containers(Collection::Create)),
        (Method::POST, "/containers%2Fcreate", Endpoint::Containers(Collection::Create)),
        (Method::GET, "/containers/seg-n1/web/logs", container("seg-n1/web", ContainerAction::Stream("logs"))),
        (Method::GET, "/containers/abc/attach/ws", container("abc", ContainerAction::Attach("attach/ws"))),
        (Method::DELETE, "/containers/seg-n1/web", container("seg-n1/web", ContainerAction::Remove)),
        (Method::DELETE, "/containers/json", container("json", ContainerAction::Remove)),
        (Method::PUT, "/containers/abc/archive", container("abc", ContainerAction::PutArchive)),
        (Method::HEAD, "/containers/abc/archive", container("abc", ContainerAction::Stream("archive"))),
        (Method::POST, "/containers/abc/start", container("abc", ContainerAction::Start)),
        (Method::POST, "/containers/abc/wait", container("abc", ContainerAction::Post("wait"))),
        (Method::POST, "/containers/abc/json", Endpoint::Unsupported),
        (Method::POST, "/containers/start", Endpoint::Unsupported),
        (Method::GET, "/containers/abc/frobnicate", Endpoint::Unsupported),
        (Method::POST, "/exec/e1/start", Endpoint::Exec { id: "e1".into(), action: "start" }),
        (
            Method::GET,
            "/images/docker.io/library/nginx:latest/json",
            Endpoint::Images(ImageRoute::Read { name: "docker.io/library/nginx:latest".into() }),
        ),
        (Method::DELETE, "/images/localhost:5000/app", Endpoint::Images(ImageRoute::Remove)),
        (
            Method::POST,
            "/networks/seg-n1/front/connect",
            Endpoint::Networks(NetworkRoute::Attach { reference: "seg-n1/front".into(), action: "connect" }),
        ),
        (Method::GET, "/volumes/seg-n1/data", Endpoint::Volumes(VolumeRoute::Inspect("seg-n1/data".into()))),
        (Method::GET, "/swarm", Endpoint::Swarm(SwarmRoute::Inspect)),
        // Every spelling of the swarm's inspect gets its join tokens removed.
        (Method::GET, "//swarm/.", Endpoint::Swarm(SwarmRoute::Inspect)),
        (Method::GET, "/nodes/x/../../swarm", Endpoint::Swarm(SwarmRoute::Inspect)),
        (Method::GET, "/v1.41/sw%61rm", Endpoint::Swarm(SwarmRoute::Inspect)),
        (Method::POST, "/containers/create;x", Endpoint::Unsupported),
        (Method::POST, "/swarm/leave", Endpoint::Swarm(SwarmRoute::Manage)),
        (Method::GET, "/swarm/unlockkey", Endpoint::Swarm(SwarmRoute::Manage)),
        (Method::POST, "/services/web/update", Endpoint::Swarm(SwarmRoute::ServiceSpec)),
        (Method::GET, "/tasks/t1/logs", Endpoint::Swarm(SwarmRoute::Other)),
        (Method::DELETE, "/nodes/n1", Endpoint::Swarm(SwarmRoute::NodeRemove)),
        (Method::POST, "/swarm/ca", Endpoint::Unsupported),
        (Method::GET, "/services/web/tasks", Endpoint::Unsupported),
        (Method::DELETE, "/tasks/t1", Endpoint::Unsupported),
        (Method::POST, "/plugins/vieux/sshfs:latest/enable", Endpoint::Plugins(PluginRoute::Manage)),
        (Method::DELETE, "/plugins/pull", Endpoint::Plugins(PluginRoute::Manage)),
        (Method::POST, "/plugins/sshfs/disable", Endpoint::Plugins(PluginRoute::Change)),
        (Method::GET, "/plugins/vieux/sshfs/json", Endpoint::Plugins(PluginRoute::Read)),
        (Method::GET, "/session", Endpoint::Unsupported),
        (Method::POST, "/grpc", Endpoint::Unsupported),
    ];
    for (method, path, want) in table {
        assert_eq!(at(method.clone(), path), want, "{method} {path}");
    }
}

#[test]
fn json_bodies() {
    assert!(at(Method::POST, "/containers/create").reads_json(&Method::POST));
    assert!(at(Method::POST, "/networks/create").reads_json(&Method::POST));
    assert!(at(Method::POST, "/secrets/create").reads_json(&Method::POST));
    assert!(at(Method::POST, "/exec/e1/start").reads_json(&Method::POST));
    assert!(!at(Method::POST, "/images/load").reads_json(&Method::POST));
    assert!(!at(Method::PUT, "/containers/abc/archive").reads_json(&Method::PUT));
    assert!(!at(Method::POST, "/build").reads_json(&Method::POST));
}

#[test]
fn forwarded_paths_keep_their_segments() {
    let path = |raw: &str| upstream_path(&policy::request_segments(raw));
    assert_eq!(path("/containers/seg-n1/web/json"), "/containers/seg-n1/web/json");
    assert_eq!(path("/v1.41/containers//x/./json"), "/containers/x/json");
    assert_eq!(path("/networks/a%20b"), "/networks/a%20b");
    assert_eq!(path("/images/x%25y/json"), "/images/x%25y/json");
    assert_eq!(path("/containers/x%3Fy"), "/containers/x%3Fy");
    assert_eq!(path("/"), "/");
}

/// Path pieces that make routing and judging disagree if anything does: route words of
/// every family, names, dot segments, empty segments, version prefixes and escapes.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "create", "start", "update", "exec", "json", "attach", "ws", "archive", "init", "join", "leave",
            "unlock", "unlockkey", "pull", "enable", "upgrade", "set", "disable", "push", "prune", "connect",
            "logs", "abc", "seg-n1", "web",
        ])
        .prop_map(str::to_owned),
        1 => prop::sample::select(vec![
            "v1.41", ".", "..", "", "%2F", "%2e", "%2E%2E", "cre%61te", "st%61rt", "%00", "x%3Fy", "containers",
        ])
        .prop_map(str::to_owned),
        1 => "[a-z%./]{1,6}",
    ]
}

/// A path: most start with a route family, as real requests do; some are noise.
fn path() -> impl Strategy<Value = String> {
    let family = prop::sample::select(vec![
        "containers",
        "volumes",
        "services",
        "swarm",
        "nodes",
        "plugins",
        "build",
        "images",
        "networks",
        "secrets",
        "configs",
        "tasks",
        "exec",
        "v1.41/containers",
        "containers%2F",
        "./swarm",
    ]);
    prop_oneof![
        4 => (family, prop::collection::vec(piece(), 0..4))
            .prop_map(|(family, rest)| format!("/{family}/{}", rest.join("/"))),
        1 => prop::collection::vec(piece(), 0..6).prop_map(|pieces| format!("/{}", pieces.join("/"))),
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop::sample::select(vec![Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::HEAD])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6000))]

    /// Whatever the router forwards, the policy judges as its own classification would:
    /// one reading of the path for both. And what is forwarded classifies the same again.
    #[test]
    fn routing_and_policy_agree(method in method(), path in path()) {
        let endpoint = at(method.clone(), &path);
        if endpoint != Endpoint::Unsupported {
            prop_assert_eq!(endpoint.policy(), policy::classify(method.as_str(), &path), "{} {}", method, path);
            if endpoint.policy().reads_body() {
                prop_assert!(endpoint.reads_json(&method));
            }
        }
        let forwarded = upstream_path(&policy::request_segments(&path));
        prop_assert_eq!(at(method.clone(), &forwarded), endpoint.clone(), "{} {} -> {}", method, path, forwarded);
        prop_assert_eq!(policy::classify(method.as_str(), &forwarded), policy::classify(method.as_str(), &path));
    }
}
