//! The account page: who you are, your quotas, API keys, and signing out.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_query_map;

use crate::components::form::{action_error, Confirmation, FormError};
use crate::components::layout::{ErrorPanel, Session};
use crate::format::{plural, utc_minute};
use crate::functions::account::{api_keys, CreateApiKey, RevokeApiKey};
use crate::functions::auth::SignOut;
use crate::functions::CONFIRMED;
use crate::model::{AccountView, ApiKeyView};

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
fn AccountDetails(account: AccountView) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
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
            <ActionForm action=sign_out attr:id="sign-out">
                <button type="submit">"Sign out"</button>
            </ActionForm>
        </section>
        <ApiKeys/>
    }
}

/// Personal API keys for the JSON API: create (the secret is shown once) and revoke. A
/// row's "Revoke" is a plain link to `?revoke=<key>`, where the page asks first (rendered
/// by the server too, so it holds without JavaScript).
#[component]
fn ApiKeys() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(move || (create.version().get(), revoke.version().get()), |_| api_keys());
    let query = use_query_map();
    view! {
        <section class="card">
            <h2>"API keys"</h2>
            <p class="muted">
                "Use a key with the JSON API: " <code>"Authorization: Bearer <key>"</code> "."
            </p>
            <ActionForm action=create attr:class="inline" attr:id="create-api-key">
                <label for="field-key-name">"Name"</label>
                <input id="field-key-name" name="name" placeholder="ci" required maxlength="64"/>
                <button type="submit" class="primary">"Create key"</button>
            </ActionForm>
            <FormError message=action_error(create)/>
            {move || create.value().get().and_then(|r| r.ok()).map(|new_key| view! {
                <div class="secret" role="status">
                    <p>"Copy your new key now; it will not be shown again:"</p>
                    <code id="new-api-key">{new_key.secret}</code>
                </div>
            })}
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
                            <table class="list">
                                <thead><tr><th>"Name"</th><th>"Key"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
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
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
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
