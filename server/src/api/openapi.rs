//! The API's OpenAPI 3.1 document, made from the same route list as the router (see
//! [`super::routes`]), so that a route cannot be served without being described.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, PathItem};
use utoipa::{Modify, OpenApi as _};

/// Where the document is served.
pub const PATH: &str = "/api/v1/openapi.json";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Carina JSON API",
        version = "v1",
        description = "Docker Swarm clusters of LXC segments, for scripts, CI and the `carina` command. \
Authenticate with a personal API key (`Authorization: Bearer carina_...`), made on the account page \
or with `POST /api/v1/keys`. Errors are `{\"error\": \"...\"}` with an HTTP status."
    ),
    modifiers(&BearerKey),
    tags(
        (name = "clusters", description = "create, grow, rebuild and delete clusters; credentials; history"),
        (name = "account", description = "the account, its history and API keys"),
        (name = "meta", description = "what the API offers"),
    )
)]
struct Base;

/// The `api_key` security scheme the operations name.
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("carina_...")
            .description(Some("a personal API key"))
            .build();
        components.add_security_scheme("api_key", SecurityScheme::Http(scheme));
    }
}

/// The base document (info, tags, security scheme) the routes are added to.
pub fn base() -> OpenApi {
    Base::openapi()
}

/// The whole document, made once.
pub fn document() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(|| super::routes().into_openapi())
}

/// Every operation of the document: method, path and summary.
pub fn operations(doc: &OpenApi) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in methods(item) {
            out.push((method, path.clone(), op.summary.clone().unwrap_or_default()));
        }
    }
    out
}

fn methods(item: &PathItem) -> Vec<(&'static str, &utoipa::openapi::path::Operation)> {
    [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("PATCH", &item.patch), ("DELETE", &item.delete)]
        .into_iter()
        .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
        .collect()
}

/// The OpenAPI 3.1 document of this API (needs no key).
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn serve() -> axum::Json<&'static OpenApi> {
    axum::Json(document())
}
