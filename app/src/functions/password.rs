//! Changing the signed-in account's password.

use leptos::prelude::*;

use crate::error::AppError;

/// Changes the password: `current_password` first (checked like a sign-in), then
/// `new_password` (the password rule). Every other session of the account is signed out;
/// this one stays. Returns how many were signed out.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<u64, AppError> {
    use crate::session::{client_address, fail, provisioner, require_account, session_token};
    let account = require_account().await.map_err(fail)?;
    let token = session_token().ok_or_else(AppError::sign_in_required).map_err(fail)?;
    let client = client_address()?;
    provisioner()?.change_password(&account, &current_password, &new_password, &token, client).await.map_err(fail)
}
