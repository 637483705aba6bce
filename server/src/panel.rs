//! The web panel's HTTP routes: Leptos pages and server functions, static files, and the
//! layers every response goes through.

use std::sync::Arc;

use app::session::{token_from_headers, CookiePolicy, SignedIn};
use app::{shell, App};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use http::header::{HeaderValue, CACHE_CONTROL, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use provisioner::Provisioner;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::csrf;

mod live;
mod page_cache;

/// Pages that only make sense signed in: a plain request without a session is sent to
/// the sign-in page server-side (the client-side router handles its own navigations).
const SIGNED_IN_PAGES: &[&str] = &["/clusters", "/account", "/operator"];

/// Whether `path` is one of [`SIGNED_IN_PAGES`] or below one.
fn is_signed_in_page(path: &str) -> bool {
    SIGNED_IN_PAGES.iter().any(|p| path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

/// Everything the panel's handlers share.
#[derive(Clone)]
pub struct PanelState {
    pub provisioner: Provisioner,
    pub cookies: CookiePolicy,
    /// The origin browsers reach the panel at through a reverse proxy, if configured.
    pub public_origin: Option<String>,
}

/// The panel router, with its state applied.
pub fn router(options: LeptosOptions, state: PanelState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.provisioner.clone());
            provide_context(state.cookies);
        }
    };
    let pkg_dir = format!("{}/{}", options.site_root, options.site_pkg_dir);
    // The wasm, JS and CSS: precompressed by the build, cached by browsers (their names
    // change only with a new build, so a short cache keeps deploys visible).
    let pkg = Router::new()
        .fallback_service(ServeDir::new(pkg_dir).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")));
    let guard_state = Arc::new(state.clone());
    Router::new()
        // POST only: each download mints a certificate, and a GET could be triggered by
        // another site (a link, an image) with the user's cookie. The POST goes through
        // the same-origin check below like every other form.
        .route("/clusters/{name}/credentials.zip", axum::routing::post(download_credentials))
        .route("/account/activity.jsonl", axum::routing::get(download_activity))
        // Outside /clusters/: a cluster may be named "live", and these answer 401, not a
        // redirect to the sign-in page (an EventSource cannot follow one usefully).
        .route("/live/clusters", axum::routing::get(live::clusters))
        .route("/live/clusters/{name}", axum::routing::get(live::cluster))
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .nest(&format!("/{}", options.site_pkg_dir), pkg)
        .fallback(leptos_axum::file_and_error_handler_with_context(context, shell))
        .with_state(options)
        .layer(axum::Extension(guard_state.clone()))
        .layer(middleware::from_fn_with_state(guard_state, sign_in_required))
        // Outside the guard: a page reused within its second skips the session's query too.
        .layer(middleware::from_fn_with_state(
            page_cache::PageCache::new(state.provisioner.watch_database_version(), is_signed_in_page),
            page_cache::reuse_rendered_pages,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::new(csrf::PublicOrigin(state.public_origin.clone())),
            csrf::same_origin_only,
        ))
        .layer(SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        // same-origin keeps the Referer that plain form posts are redirected back to.
        .layer(SetResponseHeaderLayer::overriding(REFERRER_POLICY, HeaderValue::from_static("same-origin")))
}

/// `POST /clusters/{name}/credentials.zip`: the panel's download button, a plain form
/// (session cookie); the answer is the zip itself, as an attachment.
async fn download_credentials(
    axum::extract::Path(name): axum::extract::Path<String>,
    axum::Extension(state): axum::Extension<Arc<PanelState>>,
    headers: http::HeaderMap,
) -> Response {
    let account = match token_from_headers(&headers) {
        Some(token) => state.provisioner.account_for_session(&token).await.ok().flatten(),
        None => None,
    };
    let Some(account) = account else {
        return Redirect::to("/signin").into_response();
    };
    match state.provisioner.download_credentials(&account, &name).await {
        Ok(zip) => crate::api::zip_response(zip),
        Err(err) => crate::api::ApiError::from(err).into_response(),
    }
}

/// `GET /account/activity.jsonl`: the account's whole audit trail as JSON Lines (the
/// sign-in guard below has found the account).
async fn download_activity(
    axum::Extension(state): axum::Extension<Arc<PanelState>>,
    axum::Extension(SignedIn { account, .. }): axum::Extension<SignedIn>,
) -> Response {
    match state.provisioner.audit_trail(&account, provisioner::AUDIT_LIMIT).await {
        Ok(entries) => crate::audit::jsonl_response(&entries),
        Err(err) => crate::api::ApiError::from(err).into_response(),
    }
}

/// Sends requests for signed-in pages without a valid session to `/signin?next=...`.
/// The account it found is handed on to the page's server functions (as a request
/// extension), which would otherwise look the session up again.
async fn sign_in_required(State(state): State<Arc<PanelState>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let protected = is_signed_in_page(path);
    if protected {
        let found = match token_from_headers(request.headers()) {
            Some(token) => state.provisioner.signed_in(&token).await.ok().flatten(),
            None => None,
        };
        let Some((account, clusters_used)) = found else {
            // Back to the page afterwards; a form post (a download) cannot be repeated by
            // a redirect, so it goes to the default page instead.
            let target = if matches!(*request.method(), http::Method::GET | http::Method::HEAD) {
                format!("/signin?next={path}")
            } else {
                "/signin".to_owned()
            };
            return Redirect::to(&target).into_response();
        };
        request.extensions_mut().insert(SignedIn { account, clusters_used });
    }
    next.run(request).await
}
