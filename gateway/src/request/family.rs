//! The route family of a request, as metrics label it: a few fixed names (never a
//! reference, a name or an id, which would make a label per container).

use super::{Endpoint, SwarmRoute};

impl Endpoint {
    /// `containers`, `images`, `system`…: what kind of object the request is about.
    pub(crate) fn family(&self) -> &'static str {
        match self {
            Endpoint::Ping | Endpoint::Version | Endpoint::Info | Endpoint::SystemDf | Endpoint::FirstSegment => {
                "system"
            }
            Endpoint::Events => "events",
            Endpoint::Containers(_) | Endpoint::Container { .. } | Endpoint::Commit => "containers",
            Endpoint::Exec { .. } => "exec",
            Endpoint::Build | Endpoint::BuildPrune => "build",
            Endpoint::Images(_) => "images",
            Endpoint::Networks(_) => "networks",
            Endpoint::Volumes(_) => "volumes",
            Endpoint::Swarm(SwarmRoute::ServiceSpec) => "services",
            Endpoint::Swarm(_) => "swarm",
            Endpoint::Plugins(_) => "plugins",
            Endpoint::Unsupported => "unsupported",
        }
    }
}
