//! The account page: who you are, your quotas, API keys, and signing out.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_query_map;

use crate::components::form::{action_error, clear_on_edit, Confirmation, FormError};
use crate::components::layout::{ErrorPanel, Session, SignOutButton};
use crate::format::{plural, utc_minute};
use crate::functions::account::{api_keys, new_api_key, CreateApiKey, RevokeApiKey};
use crate::functions::CONFIRMED;
use crate::model::{AccountView, ApiKeyView};
use crate::routes::password::ChangePasswordForm;

/// The account page.
#[component]
pub fn AccountPage() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <Title text="Account · Carina"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.account.await {
                    Err(err) => view! { <ErrorPanel error=err/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/signin?next=/account"/> }.into_any(),
                    Ok(Some(account)) => view! { <AccountDetails account/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AccountDetails(account: AccountView) -> AnyView {
    view! {
        <div class="page-head">
            <h1>"Account"</h1>
        </div>
        <section class="card">
            <dl class="facts">
                <dt>"Email"</dt>
                <dd id="account-email">{account.email.clone()}</dd>
                <dt>"Clusters"</dt>
                <dd id="account-quota">{format!("{} of {}", account.clusters_used, account.max_clusters)}</dd>
                <dt>"Segments per cluster"</dt>
                <dd>{format!("up to {}", plural(account.max_segments_per_cluster, "segment", "segments"))}</dd>
            </dl>
            <p class="muted">"Need more? An operator can raise your quotas."</p>
            <p><A href="/account/activity" attr:id="activity-link">"Activity: who did what, from where"</A></p>
            <SignOutButton id="sign-out"/>
        </section>
        <ChangePasswordForm/>
        <ApiKeys/>
    }
    .into_any()
}

/// Personal API keys for the JSON API: create (the secret is shown once) and revoke. A
/// row's "Revoke" is a plain link to `?revoke=<key>`, where the page asks first (rendered
/// by the server too, so it holds without JavaScript).
#[component]
fn ApiKeys() -> AnyView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(move || (create.version().get(), revoke.version().get()), |_| api_keys());
    let query = use_query_map();
    let name_field = NodeRef::<leptos::html::Input>::new();
    let flashed = Resource::new(|| (), |_| new_api_key());
    // A new key is made: its name field is free for the next one.
    Effect::new(move |_| {
        if create.value().with(|v| v.as_ref().is_some_and(Result::is_ok)) {
            if let Some(input) = name_field.get_untracked() {
                input.set_value("");
            }
        }
    });
    view! {
        <section class="card" id="api-keys">
            <h2>"API keys"</h2>
            <p class="muted">
                "Use a key with the JSON API: " <code>"Authorization: Bearer <key>"</code> ". "
                <a href="/api/v1" rel="external" id="api-index">"What the API offers"</a>
                " (its routes, in JSON)."
            </p>
            <ActionForm action=create attr:class="inline" attr:id="create-api-key" on:input=clear_on_edit(create)>
                <label for="field-key-name">"Name"</label>
                <input id="field-key-name" name="name" placeholder="ci" required node_ref=name_field/>
                <button type="submit" class="primary">"Create key"</button>
            </ActionForm>
            <FormError message=action_error(create)/>
            {move || create.value().get().and_then(|r| r.ok()).map(|new_key| view! { <NewKey secret=new_key.secret/> })}
            // The key a plain form post made (no JavaScript), shown by the server render.
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let flashed = flashed.await.ok().flatten();
                    flashed.filter(|_| create.value().with(Option::is_none)).map(|secret| view! { <NewKey secret/> })
                })}
            </Transition>
            <FormError message=action_error(revoke)/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    // The key being confirmed, while it is still there to revoke.
                    let revoking = query.read().get("revoke");
                    match keys.await {
                        Err(err) => view! { <ErrorPanel error=err/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No keys yet."</p> }.into_any(),
                        Ok(list) => view! {
                            {revoking
                                .and_then(|id| list.iter().find(|k| k.id == id && !k.revoked).cloned())
                                .map(|key| view! { <RevokeKeyConfirmation key action=revoke/> })}
                            <div class="table-scroll">
                            <table class="list">
                                <thead><tr><th>"Name"</th><th>"Key"</th><th>"Created"</th><th>"Last used"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|key| view! {
                                        <tr class:revoked=key.revoked>
                                            <td>{key.name}</td>
                                            <td><code>{format!("{}…", key.prefix)}</code></td>
                                            <td>{utc_minute(key.created_at)}</td>
                                            <td>{key.last_used_at.map(utc_minute).unwrap_or_else(|| "never".into())}</td>
                                            <td>
                                                {if key.revoked {
                                                    view! { <span class="badge">"revoked"</span> }.into_any()
                                                } else {
                                                    view! {
                                                        <A href=format!("/account?revoke={}", key.id) scroll=false attr:class="button danger small">
                                                            "Revoke"
                                                        </A>
                                                    }.into_any()
                                                }}
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// A key just made: shown once, selectable as a whole, with a Copy button once the
/// wasm runs (the clipboard needs JavaScript; the key stays selectable without).
#[component]
fn NewKey(secret: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = {
        let secret = secret.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&secret);
                copied.set(true);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = &secret;
        }
    };
    view! {
        <div class="secret" role="status">
            <p>"Copy your new key now; it will not be shown again:"</p>
            <p class="secret-line">
                <code id="new-api-key">{secret}</code>
                <button type="button" id="copy-api-key" class="small" on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </p>
        </div>
    }
}

/// The step before revoking an API key: names it as its row does and says what stops working.
#[component]
fn RevokeKeyConfirmation(key: ApiKeyView, action: ServerAction<RevokeApiKey>) -> impl IntoView {
    let pending = action.pending();
    view! {
        <Confirmation id="confirm-revoke-key">
            <p>
                "Revoke the key " <strong>{key.name}</strong> " (" <code>{format!("{}…", key.prefix)}</code> ")? "
                "Clients using it stop working at once."
            </p>
            <ActionForm action attr:class="inline">
                <input type="hidden" name="id" value=key.id/>
                <input type="hidden" name="confirm" value=CONFIRMED/>
                <button type="submit" class="danger" disabled=move || pending.get()>"Revoke"</button>
                <A href="/account" scroll=false attr:class="button">"Cancel"</A>
            </ActionForm>
        </Confirmation>
    }
}
