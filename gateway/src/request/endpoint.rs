//! Every request classified once, into the one typed [`Endpoint`] that the router
//! dispatches on, that decides whether the body is read as JSON, and that the policy
//! judges ([`Endpoint::policy`]).
//!
//! The path is taken as dockerd's router sees it ([`policy::request_segments`]:
//! percent-decoded, cleaned, version prefix gone), and the path forwarded upstream is
//! rebuilt from those same segments ([`upstream_path`]), so a spelling that one side reads
//! one way and dockerd another cannot exist. Routes are explicit lists (Swarm and plugins
//! included): anything else is [`Endpoint::Unsupported`] and never reaches a segment.

use http::Method;

/// A container collection route, and the same shape for networks and volumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collection {
    /// `GET /<kind>` (`/containers/json` for containers)
    List,
    /// `POST /<kind>/create`
    Create,
    /// `POST /<kind>/prune`
    Prune,
}

/// What a request does to one container, `/containers/{reference}/<action>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContainerAction {
    /// `DELETE /containers/{reference}`
    Remove,
    /// `GET …/json`
    Inspect,
    /// `GET …/top`, `…/changes`: answered by the owning segment as is.
    Read(&'static str),
    /// `GET …/logs`, `…/stats`, `…/export`, and `GET|HEAD …/archive`: bulk streams.
    Stream(&'static str),
    /// `PUT …/archive` (`docker cp` in).
    PutArchive,
    /// `POST …/attach`, `GET …/attach/ws`: hijacked streams.
    Attach(&'static str),
    /// `POST …/exec`: an exec is created on the owning segment.
    Exec,
    /// `POST …/update`
    Update,
    /// `POST …/rename`
    Rename,
    /// `POST …/start`
    Start,
    /// Other `POST` actions (`stop`, `restart`, `kill`, `pause`, `unpause`, `wait`, `resize`).
    Post(&'static str),
}

impl ContainerAction {
    /// The path after the reference, as forwarded (`logs`, `attach/ws`; empty for remove).
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            ContainerAction::Remove => "",
            ContainerAction::Inspect => "json",
            ContainerAction::PutArchive => "archive",
            ContainerAction::Exec => "exec",
            ContainerAction::Update => "update",
            ContainerAction::Rename => "rename",
            ContainerAction::Start => "start",
            ContainerAction::Read(s)
            | ContainerAction::Stream(s)
            | ContainerAction::Attach(s)
            | ContainerAction::Post(s) => s,
        }
    }
}

/// Image routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImageRoute {
    /// `GET /images/json`
    List,
    /// `POST /images/load`
    Load,
    /// `POST /images/create` (pull, or import with `fromSrc`)
    Create,
    /// `POST /images/prune`
    Prune,
    /// `GET /images/search`
    Search,
    /// `GET /images/get?names=…` (`docker save` of several)
    SaveMany,
    /// `GET /images/{name}/json`, `…/history`, `…/get`, `POST …/push`: answered by a
    /// segment that has the image.
    Read { name: String },
    /// `POST /images/{name}/tag`
    Tag,
    /// `DELETE /images/{name}`
    Remove,
}

/// Network routes; a network reference may be `<segment>/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NetworkRoute {
    Collection(Collection),
    Inspect(String),
    Remove(String),
    /// `POST /networks/{reference}/connect` or `…/disconnect` (the action).
    Attach {
        reference: String,
        action: &'static str,
    },
}

/// Volume routes; a volume reference may be `<segment>/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VolumeRoute {
    Collection(Collection),
    Inspect(String),
    Remove(String),
}

/// The Swarm-mode routes of Engine API v1.41, all forwarded to a manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SwarmRoute {
    /// `GET /swarm`: answered with the join tokens removed.
    Inspect,
    /// `POST /swarm/init|join|leave|update|unlock`, `GET /swarm/unlockkey`: refused by the
    /// policy (the swarm is the provider's).
    Manage,
    /// `POST /services/create`, `POST /services/{id}/update`: a service spec.
    ServiceSpec,
    /// `DELETE /nodes/{id}`: refused by the policy.
    NodeRemove,
    /// `GET /nodes`, `GET /nodes/{id}`: answered with each node named as its segment.
    NodeRead,
    /// Every other listed route (reads, removals, secrets and configs, node updates).
    Other,
}

/// Plugin routes (`{name}` may hold slashes: `vieux/sshfs:latest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PluginRoute {
    /// `GET /plugins`, `/plugins/privileges`, `/plugins/{name}/json`: the first segment.
    Read,
    /// `POST /plugins/pull|create`, `…/{name}/enable|upgrade|set`: refused by the policy.
    Manage,
    /// `POST …/{name}/disable|push`, `DELETE /plugins/{name}`: every segment.
    Change,
}

/// One request, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `GET|HEAD /_ping`
    Ping,
    /// `GET /version`
    Version,
    /// `GET /info`
    Info,
    /// `GET /events`
    Events,
    /// `GET /system/df`
    SystemDf,
    /// `POST /auth`, `GET /distribution/{name}/json`: the first segment answers.
    FirstSegment,
    /// `/containers/json|create|prune`
    Containers(Collection),
    /// `/containers/{reference}[/{action}]`
    Container {
        reference: String,
        action: ContainerAction,
    },
    /// `POST /exec/{id}/start|resize`, `GET /exec/{id}/json`
    Exec {
        id: String,
        action: &'static str,
    },
    /// `POST /commit`
    Commit,
    /// `POST /build`
    Build,
    /// `POST /build/prune`
    BuildPrune,
    Images(ImageRoute),
    Networks(NetworkRoute),
    Volumes(VolumeRoute),
    Swarm(SwarmRoute),
    Plugins(PluginRoute),
    /// Not a route of the cluster endpoint: answered 404, never forwarded.
    Unsupported,
}

/// Per-container actions by their last path segment, and the method each takes.
const CONTAINER_GET: [&str; 2] = ["top", "changes"];
const CONTAINER_STREAMS: [&str; 3] = ["logs", "stats", "export"];
const CONTAINER_POST: [&str; 7] = ["stop", "restart", "kill", "pause", "unpause", "wait", "resize"];

/// Classifies a request from its method and its [`policy::request_segments`].
pub(crate) fn classify(method: &Method, segments: &[String]) -> Endpoint {
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (get, post, delete) = (method == Method::GET, method == Method::POST, method == Method::DELETE);
    let joined = |parts: &[&str]| parts.join("/");
    match segs.as_slice() {
        ["_ping"] if get || method == Method::HEAD => Endpoint::Ping,
        ["version"] if get => Endpoint::Version,
        ["info"] if get => Endpoint::Info,
        ["events"] if get => Endpoint::Events,
        ["system", "df"] if get => Endpoint::SystemDf,
        ["auth"] if post => Endpoint::FirstSegment,
        ["distribution", name @ .., "json"] if get && !name.is_empty() => Endpoint::FirstSegment,
        ["commit"] if post => Endpoint::Commit,
        ["build"] if post => Endpoint::Build,
        ["build", "prune"] if post => Endpoint::BuildPrune,
        ["containers", rest @ ..] => container(method, rest),
        ["exec", id, action] => match (*action, get, post) {
            ("json", true, _) => Endpoint::Exec { id: id.to_string(), action: "json" },
            ("start", _, true) => Endpoint::Exec { id: id.to_string(), action: "start" },
            ("resize", _, true) => Endpoint::Exec { id: id.to_string(), action: "resize" },
            _ => Endpoint::Unsupported,
        },
        ["images", rest @ ..] => image(method, rest).map_or(Endpoint::Unsupported, Endpoint::Images),
        ["networks", rest @ ..] => match rest {
            [] if get => Endpoint::Networks(NetworkRoute::Collection(Collection::List)),
            ["create"] if post => Endpoint::Networks(NetworkRoute::Collection(Collection::Create)),
            ["prune"] if post => Endpoint::Networks(NetworkRoute::Collection(Collection::Prune)),
            [name @ .., action @ ("connect" | "disconnect")] if post && !name.is_empty() => {
                let action = if *action == "connect" { "connect" } else { "disconnect" };
                Endpoint::Networks(NetworkRoute::Attach { reference: joined(name), action })
            }
            [_, ..] if get => Endpoint::Networks(NetworkRoute::Inspect(joined(rest))),
            [_, ..] if delete => Endpoint::Networks(NetworkRoute::Remove(joined(rest))),
            _ => Endpoint::Unsupported,
        },
        ["volumes", rest @ ..] => match rest {
            [] if get => Endpoint::Volumes(VolumeRoute::Collection(Collection::List)),
            ["create"] if post => Endpoint::Volumes(VolumeRoute::Collection(Collection::Create)),
            ["prune"] if post => Endpoint::Volumes(VolumeRoute::Collection(Collection::Prune)),
            [_, ..] if get => Endpoint::Volumes(VolumeRoute::Inspect(joined(rest))),
            [_, ..] if delete => Endpoint::Volumes(VolumeRoute::Remove(joined(rest))),
            _ => Endpoint::Unsupported,
        },
        ["swarm" | "services" | "tasks" | "nodes" | "secrets" | "configs", ..] => {
            swarm(method, &segs).map_or(Endpoint::Unsupported, Endpoint::Swarm)
        }
        ["plugins", rest @ ..] => plugin(method, rest).map_or(Endpoint::Unsupported, Endpoint::Plugins),
        _ => Endpoint::Unsupported,
    }
}

fn container(method: &Method, rest: &[&str]) -> Endpoint {
    let (get, post) = (method == Method::GET, method == Method::POST);
    let entry = |reference: &[&str], action| {
        if reference.is_empty() {
            Endpoint::Unsupported
        } else {
            Endpoint::Container { reference: reference.join("/"), action }
        }
    };
    let find = |list: &[&'static str], name: &str| list.iter().copied().find(|a| *a == name);
    match rest {
        ["json"] if get => Endpoint::Containers(Collection::List),
        ["create"] if post => Endpoint::Containers(Collection::Create),
        ["prune"] if post => Endpoint::Containers(Collection::Prune),
        [] => Endpoint::Unsupported,
        // The reference may itself hold a slash (`<segment>/<name>`): the action is
        // recognised from the end, and DELETE has none.
        _ if method == Method::DELETE => entry(rest, ContainerAction::Remove),
        [reference @ .., "attach", "ws"] if get => entry(reference, ContainerAction::Attach("attach/ws")),
        [reference @ .., last] => {
            let action = match *last {
                "json" if get => ContainerAction::Inspect,
                "archive" if get || method == Method::HEAD => ContainerAction::Stream("archive"),
                "archive" if method == Method::PUT => ContainerAction::PutArchive,
                "attach" if post => ContainerAction::Attach("attach"),
                "exec" if post => ContainerAction::Exec,
                "update" if post => ContainerAction::Update,
                "rename" if post => ContainerAction::Rename,
                "start" if post => ContainerAction::Start,
                name if get => match (find(&CONTAINER_GET, name), find(&CONTAINER_STREAMS, name)) {
                    (Some(read), _) => ContainerAction::Read(read),
                    (_, Some(stream)) => ContainerAction::Stream(stream),
                    _ => return Endpoint::Unsupported,
                },
                name if post => match find(&CONTAINER_POST, name) {
                    Some(action) => ContainerAction::Post(action),
                    None => return Endpoint::Unsupported,
                },
                _ => return Endpoint::Unsupported,
            };
            entry(reference, action)
        }
    }
}

fn image(method: &Method, rest: &[&str]) -> Option<ImageRoute> {
    let (get, post) = (method == Method::GET, method == Method::POST);
    Some(match rest {
        ["json"] if get => ImageRoute::List,
        ["load"] if post => ImageRoute::Load,
        ["create"] if post => ImageRoute::Create,
        ["prune"] if post => ImageRoute::Prune,
        ["search"] if get => ImageRoute::Search,
        ["get"] if get => ImageRoute::SaveMany,
        [_, ..] if method == Method::DELETE => ImageRoute::Remove,
        [name @ .., "json" | "history" | "get"] if get && !name.is_empty() => ImageRoute::Read { name: name.join("/") },
        [name @ .., "push"] if post && !name.is_empty() => ImageRoute::Read { name: name.join("/") },
        [name @ .., "tag"] if post && !name.is_empty() => ImageRoute::Tag,
        _ => return None,
    })
}

/// The Swarm-mode routes, listed one by one.
fn swarm(method: &Method, segs: &[&str]) -> Option<SwarmRoute> {
    let (get, post, delete) = (method == Method::GET, method == Method::POST, method == Method::DELETE);
    Some(match segs {
        ["swarm"] if get => SwarmRoute::Inspect,
        ["swarm", "init" | "join" | "leave" | "update" | "unlock"] if post => SwarmRoute::Manage,
        ["swarm", "unlockkey"] if get => SwarmRoute::Manage,
        ["services", "create"] if post => SwarmRoute::ServiceSpec,
        ["services", _, "update"] if post => SwarmRoute::ServiceSpec,
        ["nodes", _] if delete => SwarmRoute::NodeRemove,
        ["nodes", _, "update"] if post => SwarmRoute::Other,
        ["nodes"] | ["nodes", _] if get => SwarmRoute::NodeRead,
        ["services" | "tasks" | "nodes" | "secrets" | "configs"] if get => SwarmRoute::Other,
        ["services" | "tasks" | "nodes" | "secrets" | "configs", _] if get => SwarmRoute::Other,
        ["services" | "tasks", _, "logs"] if get => SwarmRoute::Other,
        ["services" | "secrets" | "configs", _] if delete => SwarmRoute::Other,
        ["secrets" | "configs", "create"] if post => SwarmRoute::Other,
        ["secrets" | "configs", _, "update"] if post => SwarmRoute::Other,
        _ => return None,
    })
}

/// The plugin routes, listed one by one.
fn plugin(method: &Method, rest: &[&str]) -> Option<PluginRoute> {
    let (get, post) = (method == Method::GET, method == Method::POST);
    Some(match rest {
        // Whatever the method, as the policy reads them: these paths exist only as
        // routes it refuses.
        ["pull" | "create"] => PluginRoute::Manage,
        [name @ .., "enable" | "upgrade" | "set"] if !name.is_empty() => PluginRoute::Manage,
        [] | ["privileges"] if get => PluginRoute::Read,
        [name @ .., "json"] if get && !name.is_empty() => PluginRoute::Read,
        [name @ .., "disable" | "push"] if post && !name.is_empty() => PluginRoute::Change,
        [_, ..] if method == Method::DELETE => PluginRoute::Change,
        _ => return None,
    })
}

impl Endpoint {
    /// The policy's view of this endpoint.
    pub(crate) fn policy(&self) -> policy::Endpoint {
        use policy::Endpoint as P;
        match self {
            Endpoint::Containers(Collection::Create) => P::ContainerCreate,
            Endpoint::Container { action: ContainerAction::Start, .. } => P::ContainerStart,
            Endpoint::Container { action: ContainerAction::Update, .. } => P::ContainerUpdate,
            Endpoint::Container { action: ContainerAction::Exec, .. } => P::ContainerExec,
            Endpoint::Volumes(VolumeRoute::Collection(Collection::Create)) => P::VolumeCreate,
            Endpoint::Swarm(SwarmRoute::ServiceSpec) => P::ServiceSpec,
            Endpoint::Swarm(SwarmRoute::Manage | SwarmRoute::NodeRemove) => P::SwarmManagement,
            Endpoint::Plugins(PluginRoute::Manage) => P::PluginManagement,
            Endpoint::Build => P::Build,
            _ => P::Other,
        }
    }

    /// Whether the body is read whole and decoded as JSON (then judged and forwarded
    /// re-serialised) rather than streamed: every route whose body is a JSON document.
    pub(crate) fn reads_json(&self, method: &Method) -> bool {
        if self.policy().reads_body() {
            return true;
        }
        if method != Method::POST && method != Method::PUT {
            return false;
        }
        matches!(
            self,
            Endpoint::FirstSegment
                | Endpoint::Exec { action: "start", .. }
                | Endpoint::Networks(NetworkRoute::Collection(Collection::Create) | NetworkRoute::Attach { .. })
                | Endpoint::Swarm(_)
        )
    }
}

/// The path forwarded to dockerd: the classified segments, each escaped again so that it
/// stays one segment (`%`, `?`, `#`, spaces and non-ASCII bytes escaped).
pub(crate) fn upstream_path(segments: &[String]) -> String {
    let mut path = String::new();
    for segment in segments {
        path.push('/');
        for byte in segment.bytes() {
            let keep = byte.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=".contains(&byte);
            if keep {
                path.push(byte as char);
            } else {
                path.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

#[cfg(test)]
mod tests;
