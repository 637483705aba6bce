//! Sign up and sign in. Both forms work before the wasm has loaded (plain form posts that
//! redirect back with the error) and better after (no reload, pending state).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::form::{action_error, clear_on_edit, FormError, PasswordField};
use crate::error::AppError;
use crate::functions::auth::{SignIn, SignUp};

/// The shortest password sign-up accepts (the provisioner decides; the form only says it).
const MIN_PASSWORD: usize = 10;

/// The sign-up page.
#[component]
pub fn SignUpPage() -> impl IntoView {
    // Created here, under the router's routes, where a plain form post's error comes back
    // from the URL.
    let action = ServerAction::<SignUp>::new();
    let pending = action.pending();
    view! {
        <Title text="Sign up · Carina"/>
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <ActionForm action=action attr:class="stack" attr:id="sign-up" on:input=clear_on_edit(action)>
                <div class="field">
                    <label for="field-email">"Email"</label>
                    <input id="field-email" type="email" name="email" autocomplete="email" required/>
                </div>
                <PasswordField
                    label="Password"
                    name="password"
                    autocomplete="new-password"
                    hint="At least 10 characters. A few unrelated words work well."
                    min_length=MIN_PASSWORD
                />
                <FormError message=action_error(action)/>
                // A taken email: the way on is a link, not a sentence.
                <Show when=move || matches!(action.value().get(), Some(Err(AppError::Conflict(_))))>
                    <p id="sign-in-instead">
                        <A href="/signin" attr:class="button">"Sign in instead"</A>
                    </p>
                </Show>
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Creating…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="muted">"Already have an account? " <A href="/signin">"Sign in"</A></p>
        </section>
    }
}

/// The sign-in page; `?next=/path` says where to go afterwards.
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let pending = action.pending();
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in · Carina"/>
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=action attr:class="stack" attr:id="sign-in" on:input=clear_on_edit(action)>
                <input type="hidden" name="next" value=next/>
                <div class="field">
                    <label for="field-email">"Email"</label>
                    <input id="field-email" type="email" name="email" autocomplete="username" required autofocus/>
                </div>
                <PasswordField label="Password" name="password" autocomplete="current-password"/>
                <FormError message=action_error(action)/>
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="muted">"New here? " <A href="/signup">"Create an account"</A></p>
        </section>
    }
}
