//! Form pieces: the error line under a form, the box of a destructive action's
//! confirmation step, and a password field with a show/hide toggle.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;

/// The message of a server action's last error, if its last run failed.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<String>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|result| result.err()).map(|err| err.to_string()))
}

/// The error line of a form; empty while there is no error. Announced to screen readers.
#[component]
pub fn FormError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="form-error" role="alert">{move || message.get()}</p>
        </Show>
    }
}

/// The confirmation step of a destructive action (rebuild, revoke): says what will be lost
/// and holds the confirmed submit with a way back (`children`). Announced to screen
/// readers as it appears in place of the action's button.
#[component]
pub fn Confirmation(id: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="confirm" id=id role="alert">
            {children()}
        </div>
    }
}

/// A password input with a Show/Hide button. The button needs the wasm: before hydration
/// it does nothing, and the form still works.
#[component]
pub fn PasswordField(
    label: &'static str,
    name: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let visible = RwSignal::new(false);
    let id = format!("field-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <div class="password">
                <input
                    id=id
                    type=move || if visible.get() { "text" } else { "password" }
                    name=name
                    autocomplete=autocomplete
                    required
                />
                <button
                    type="button"
                    class="toggle"
                    aria-pressed=move || visible.get().to_string()
                    on:click=move |_| visible.update(|v| *v = !*v)
                >
                    {move || if visible.get() { "Hide" } else { "Show" }}
                </button>
            </div>
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
        </div>
    }
}
