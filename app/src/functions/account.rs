//! The account page: personal API keys.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{ApiKeyView, NewApiKeyView};

#[cfg(feature = "ssr")]
fn view_of(key: provisioner::ApiKey) -> ApiKeyView {
    ApiKeyView {
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        created_at: key.created_at,
        last_used_at: key.last_used_at,
        revoked: key.revoked,
    }
}

/// The signed-in account's API keys.
#[server(prefix = "/api", endpoint = "api_keys")]
pub async fn api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    let keys = provisioner()?.api_keys(&account).await.map_err(fail)?;
    Ok(keys.into_iter().map(view_of).collect())
}

/// Makes a new API key; its secret is in the answer and never shown again. A plain form
/// post (no JavaScript) is answered with a redirect back instead, so the secret goes to
/// the account page in a short-lived cookie ([`new_api_key`]).
#[server(prefix = "/api", endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<NewApiKeyView, AppError> {
    use crate::session::{fail, flash_new_key, from_plain_form, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    let (key, secret) = provisioner()?.create_api_key(&account, &name).await.map_err(fail)?;
    if from_plain_form() {
        flash_new_key(&secret);
    }
    Ok(NewApiKeyView { key: view_of(key), secret })
}

/// The key a plain form post just made, once, for the account page's server render; none
/// otherwise (and none that is not one of this account's keys).
#[server(prefix = "/api", endpoint = "new_api_key")]
pub async fn new_api_key() -> Result<Option<String>, AppError> {
    use crate::session::{fail, provisioner, require_account, take_flashed_key};
    let Some(secret) = take_flashed_key() else {
        return Ok(None);
    };
    let account = require_account().await.map_err(fail)?;
    let keys = provisioner()?.api_keys(&account).await.map_err(fail)?;
    let ours = keys.iter().any(|key| !key.revoked && secret.starts_with(&key.prefix));
    Ok(ours.then_some(secret))
}

/// Revokes one of the account's API keys, only from the confirmation step (`confirm` is
/// [`CONFIRMED`](super::CONFIRMED)): clients using it stop working at once. Then back to
/// the account page, out of that step.
#[server(prefix = "/api", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: String, confirm: String) -> Result<(), AppError> {
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    super::require_confirmation(&confirm, "Nothing was revoked.")?;
    provisioner()?.revoke_api_key(&account, &id).await.map_err(fail)?;
    leptos_axum::redirect("/account");
    Ok(())
}
