//! Where the gateway meets the `policy` crate: checks, audit events, and the 403 answer.

use policy::{Rule, Violation};

use crate::directory::EndpointEvent;
use crate::error::ApiError;
use crate::request::{ApiRequest, RequestContext};

/// Checks a classified request against the cluster policy; a refusal is audited and
/// answered 403.
pub(crate) async fn check(ctx: &RequestContext, req: &ApiRequest) -> Result<(), ApiError> {
    let body = Some(req.json()).filter(|json| !json.is_null());
    match ctx.cluster().options.policy.check_endpoint(req.endpoint.policy(), &req.query, body) {
        Ok(()) => Ok(()),
        Err(violation) => Err(refuse(ctx, req.describe(), violation).await),
    }
}

/// Audits a refusal and turns it into the 403 the CLI prints.
pub(crate) async fn refuse(ctx: &RequestContext, request: String, violation: Violation) -> ApiError {
    let message = violation.to_string();
    let rule = Some(format!("CARINA-{}", violation.rule.code()));
    crate::metrics::refusal(rule.as_deref().unwrap_or_default());
    tracing::info!(cluster = %ctx.cluster().id, client = %ctx.conn.client.label, %request, %message, "request refused");
    ctx.cluster()
        .record(EndpointEvent { rule, message: message.clone(), request, client: ctx.conn.client.label.clone() })
        .await;
    ApiError::forbidden(message)
}

/// Audits a request refused before the policy could judge it (a body that means one
/// thing to the policy and another to dockerd, a form or unreadable content type) and
/// answers 400 with `message`.
pub(crate) async fn refuse_malformed(ctx: &RequestContext, request: String, message: String) -> ApiError {
    crate::metrics::refusal("malformed");
    tracing::info!(cluster = %ctx.cluster().id, client = %ctx.conn.client.label, %request, %message, "request refused");
    ctx.cluster()
        .record(EndpointEvent { rule: None, message: message.clone(), request, client: ctx.conn.client.label.clone() })
        .await;
    ApiError::bad_request(message)
}

/// The CARINA-1005 refusal for deleting (or renaming) an infrastructure container.
pub(crate) async fn refuse_infrastructure(ctx: &RequestContext, req: &ApiRequest, name: &str) -> ApiError {
    refuse(ctx, req.describe(), Violation::infrastructure_container(name)).await
}

/// The CARINA-1002 refusal for a bind source that resolves through a symlink.
pub(crate) async fn refuse_bind(ctx: &RequestContext, req: &ApiRequest, paths: &[String]) -> ApiError {
    let violation = Violation::with_detail(Rule::HostMountPath, paths.join(", "));
    refuse(ctx, req.describe(), violation).await
}

/// Normalized bind sources of a container-create body (binds, bind mounts, local
/// volumes it creates that bind), as the policy crate finds them.
pub(crate) fn bind_sources(body: &serde_json::Value) -> Vec<String> {
    policy::binds_of_container_create(body)
}

/// The label the provisioner puts on Carina's own containers.
pub(crate) const INFRASTRUCTURE_LABEL: &str = "carina.infrastructure";

/// Whether a container is Carina infrastructure (never deleted through the endpoint).
/// Decided on the resolved container (its current name and labels), not on the
/// reference the user typed.
pub(crate) fn is_infrastructure(name: &str, labels: Option<&serde_json::Value>) -> bool {
    let name = name.trim_start_matches('/');
    let labelled = labels.and_then(|l| l.get(INFRASTRUCTURE_LABEL)).and_then(|v| v.as_str()) == Some("true");
    labelled || matches!(name, "swarm-data" | "swarm-manager" | "swarm-agent")
}
