//! Signing up, in and out.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::AccountView;

/// Creates an account and signs it in, then goes to the clusters page.
#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(email: String, password: String) -> Result<(), AppError> {
    use crate::session::{fail, provisioner, set_session_cookie};
    let (_, session) = provisioner()?.sign_up(&email, &password).await.map_err(fail)?;
    set_session_cookie(&session);
    leptos_axum::redirect("/clusters");
    Ok(())
}

/// Signs in, then goes to `next` (a local path) or the clusters page.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::next_page::safe_next;
    use crate::session::{client_address, fail, provisioner, set_session_cookie};
    let (_, session) = provisioner()?.sign_in(&email, &password, client_address()?).await.map_err(fail)?;
    set_session_cookie(&session);
    leptos_axum::redirect(safe_next(next.as_deref()));
    Ok(())
}

/// Where signing out lands: home, which then says so.
pub const SIGNED_OUT_PAGE: &str = "/?signed_out=1";

/// Ends the session and goes home, where the page says you are signed out.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::session::{clear_session_cookie, fail, provisioner, session_token};
    if let Some(token) = session_token() {
        provisioner()?.sign_out(&token).await.map_err(fail)?;
    }
    clear_session_cookie();
    leptos_axum::redirect(SIGNED_OUT_PAGE);
    Ok(())
}

/// The signed-in account with its quotas and usage, or `None`.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<AccountView>, AppError> {
    use crate::session::{fail, signed_in, SignedIn};
    let Some(SignedIn { account, clusters_used }) = signed_in().await.map_err(fail)? else {
        return Ok(None);
    };
    Ok(Some(AccountView {
        email: account.email,
        is_operator: account.is_operator,
        max_clusters: account.quotas.max_clusters,
        max_segments_per_cluster: account.quotas.max_segments_per_cluster,
        clusters_used,
    }))
}
