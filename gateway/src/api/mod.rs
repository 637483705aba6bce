//! The Engine API as the cluster endpoint serves it: one handler module per kind of
//! object, reached by [`dispatch`] on the request's typed endpoint. The modules below
//! the handlers (`locate`, `locality`, `binds`, `name_filter`, `units`) are what they
//! share about containers and their segments.

mod binds;
mod container_ops;
mod containers;
mod events;
mod exec;
mod images;
mod info;
mod locality;
mod locate;
mod name_filter;
pub(crate) mod networks;
mod plugins;
pub(crate) mod swarm;
pub(crate) mod system;
mod units;
mod volumes;

use http::Response;

use crate::error::ApiError;
use crate::request::{ApiRequest, Collection, Endpoint, RequestContext};
use crate::transport::body::Body;

/// Hands a request that passed the policy to its handler.
pub(crate) async fn dispatch(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    match req.endpoint.clone() {
        Endpoint::Ping => system::ping(ctx, &req.method().clone()).await,
        Endpoint::Version => system::version(ctx).await,
        Endpoint::Info => info::info(ctx).await,
        Endpoint::Events => events::events(ctx, req).await,
        Endpoint::SystemDf => system::df(ctx, req).await,
        Endpoint::FirstSegment => system::first_segment(ctx, req).await,
        Endpoint::Containers(Collection::List) => containers::list(ctx, req).await,
        Endpoint::Containers(Collection::Create) => containers::create(ctx, req).await,
        Endpoint::Containers(Collection::Prune) => containers::prune(ctx, req).await,
        Endpoint::Container { reference, action } => container_ops::route(ctx, req, &reference, action).await,
        Endpoint::Exec { id, action } => exec::route(ctx, req, &id, action).await,
        Endpoint::Commit => container_ops::commit(ctx, req).await,
        Endpoint::Build => images::build(ctx, req).await,
        Endpoint::BuildPrune => images::build_prune(ctx, req).await,
        Endpoint::Images(route) => images::route(ctx, req, route).await,
        Endpoint::Networks(route) => networks::route(ctx, req, route).await,
        Endpoint::Volumes(route) => volumes::route(ctx, req, route).await,
        Endpoint::Swarm(route) => swarm::forward(ctx, req, route).await,
        Endpoint::Plugins(route) => plugins::route(ctx, req, route).await,
        Endpoint::Unsupported => Err(crate::request::unsupported(&req.path)),
    }
}
