//! The account page's password change form.

use leptos::prelude::*;

use crate::components::form::{action_error, clear_on_edit, FormError, PasswordField};
use crate::format::plural;
use crate::functions::password::ChangePassword;

/// The shortest password the form says is enough (the provisioner decides).
const MIN_PASSWORD: usize = 10;

/// Change the password: the current one, then the new one; other sessions are signed out.
#[component]
pub fn ChangePasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let pending = action.pending();
    view! {
        <section class="card" id="password">
            <h2>"Password"</h2>
            <ActionForm action=action attr:class="stack" attr:id="change-password" on:input=clear_on_edit(action)>
                <PasswordField label="Current password" name="current_password" autocomplete="current-password"/>
                <PasswordField
                    label="New password"
                    name="new_password"
                    autocomplete="new-password"
                    hint="At least 10 characters. Signing in elsewhere (other browsers, devices) ends; API keys keep working."
                    min_length=MIN_PASSWORD
                />
                <FormError message=action_error(action)/>
                {move || action.value().get().and_then(Result::ok).map(|ended| view! {
                    <p class="notice" role="status" id="password-changed">
                        {format!("Password changed. {} signed out.", plural(ended as u32, "other session", "other sessions"))}
                    </p>
                })}
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Changing…" } else { "Change password" }}
                </button>
            </ActionForm>
        </section>
    }
}
