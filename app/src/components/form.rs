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

/// Forgets a server action's last result: for a form's `on:input`, so that an error
/// disappears as soon as the user edits what it was about.
pub fn clear_on_edit<S>(action: ServerAction<S>) -> impl Fn(leptos::ev::Event) + Copy + 'static
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move |_| {
        if action.value().with_untracked(|value| value.as_ref().is_some_and(Result::is_err)) {
            action.clear();
        }
    }
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
/// it does nothing, and the form still works. With `min_length`, the hint says as the user
/// types how far the password is from it (before hydration, the hint alone).
#[component]
pub fn PasswordField(
    label: &'static str,
    name: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] min_length: Option<usize>,
) -> impl IntoView {
    let visible = RwSignal::new(false);
    let typed = RwSignal::new(0usize);
    let id = format!("field-{name}");
    let progress = min_length.map(|min| {
        move || {
            let n = typed.get();
            match n {
                0 => String::new(),
                n if n < min => format!("{n} of {min} characters: {} more to go.", min - n),
                n => format!("{n} characters: long enough."),
            }
        }
    });
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
                    on:input=move |ev| typed.set(event_target_value(&ev).chars().count())
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
            {progress.map(|text| {
                view! {
                    <p
                        class="hint rule"
                        id=format!("field-{name}-rule")
                        class:met=move || min_length.is_some_and(|min| typed.get() >= min)
                        aria-live="polite"
                    >
                        {text}
                    </p>
                }
            })}
        </div>
    }
}
