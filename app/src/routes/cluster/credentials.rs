//! The credentials bundles issued for the cluster, each revocable. A bundle is named by
//! its certificate's common name everywhere: here, in the history's downloads and
//! revocations, and in the refusals the endpoint records.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::form::{action_error, Confirmation, FormError};
use crate::format::utc_minute;
use crate::functions::clusters::RevokeBundle;
use crate::functions::CONFIRMED;
use crate::model::{BundleView, ClusterPageData};

/// The bundles table. A row's "Revoke" is a plain link to `?revoke=<bundle>`, where the
/// page asks first (rendered by the server too, so it holds without JavaScript).
#[component]
pub(super) fn Bundles(page: RwSignal<ClusterPageData>, revoke: ServerAction<RevokeBundle>) -> AnyView {
    let name = page.with_untracked(|p| p.cluster.name.clone());
    let bundles = Memo::new(move |_| page.with(|p| p.bundles.clone()));
    let query = use_query_map();
    // The bundle being confirmed, while it is still there to revoke.
    let revoking = Memo::new(move |_| {
        let id = query.read().get("revoke")?;
        bundles.with(|list| list.iter().find(|b| b.id == id && !b.revoked).cloned())
    });
    let confirm_name = name.clone();
    view! {
        <section class="card" id="bundles">
            <h2>"Credentials"</h2>
            {move || {
                revoking.get().map(|bundle| {
                    view! { <RevokeBundleConfirmation name=confirm_name.clone() bundle action=revoke/> }
                })
            }}
            <FormError message=action_error(revoke)/>
            {move || {
                let list = bundles.get();
                if list.is_empty() {
                    view! { <p class="muted">"No credentials issued yet."</p> }.into_any()
                } else {
                    let name = name.clone();
                    view! {
                        <div class="table-scroll">
                            <table class="list">
                                <thead><tr><th>"Certificate"</th><th>"Issued"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|b| bundle_row(b, name.clone())).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                    .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

fn bundle_row(bundle: BundleView, name: String) -> impl IntoView {
    let key = bundle.id.clone();
    let fingerprint = format!("SHA-256 fingerprint {}…", bundle.fingerprint_prefix);
    view! {
        <tr class:revoked=bundle.revoked data-bundle=key>
            <td><code class="bundle-name" title=fingerprint>{bundle.label}</code></td>
            <td>{utc_minute(bundle.created_at)}</td>
            <td>
                {if bundle.revoked {
                    view! { <span class="badge">"revoked"</span> }.into_any()
                } else {
                    view! {
                        <A href=format!("/clusters/{name}?revoke={}", bundle.id) scroll=false attr:class="button danger small">
                            "Revoke"
                        </A>
                    }
                    .into_any()
                }}
            </td>
        </tr>
    }
}

/// The step before revoking a bundle: names it as its row does and says what stops working.
#[component]
fn RevokeBundleConfirmation(name: String, bundle: BundleView, action: ServerAction<RevokeBundle>) -> impl IntoView {
    let pending = action.pending();
    let cancel = format!("/clusters/{name}");
    view! {
        <Confirmation id="confirm-revoke-bundle">
            <p>
                "Revoke the certificate " <code>{bundle.label}</code>
                {format!(", issued {}? ", utc_minute(bundle.created_at))}
                "Clients using it stop working at once; download new credentials for them."
            </p>
            <ActionForm action attr:class="inline">
                <input type="hidden" name="name" value=name/>
                <input type="hidden" name="bundle" value=bundle.id/>
                <input type="hidden" name="confirm" value=CONFIRMED/>
                <button type="submit" class="danger" disabled=move || pending.get()>"Revoke"</button>
                <A href=cancel scroll=false attr:class="button">"Cancel"</A>
            </ActionForm>
        </Confirmation>
    }
}
