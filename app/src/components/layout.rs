//! The frame of every page: the header with navigation, and the account in context.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::error::AppError;
use leptos_router::hooks::use_location;

use crate::functions::auth::{whoami, SignOut};
use crate::model::AccountView;

/// The session as pages see it: the signed-in account, if any, and the one sign-out
/// action every "Sign out" button submits.
#[derive(Clone, Copy)]
pub struct Session {
    pub account: Resource<Result<Option<AccountView>, AppError>>,
    pub sign_out: ServerAction<SignOut>,
}

impl Session {
    /// Creates the session context inside the router. The account is fetched again on
    /// every navigation (signing in or up always ends in one, a server redirect; the query
    /// is a single indexed lookup) and after signing out, which may land on the page
    /// already shown.
    pub fn provide() -> Self {
        let location = use_location();
        let sign_out = ServerAction::<SignOut>::new();
        let account = Resource::new(move || (location.pathname.get(), sign_out.version().get()), |_| whoami());
        let session = Session { account, sign_out };
        provide_context(session);
        session
    }
}

/// A form with one "Sign out" button. A plain form post before the wasm has loaded.
#[component]
pub fn SignOutButton(#[prop(optional)] id: Option<&'static str>) -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <ActionForm action=session.sign_out attr:class="sign-out" attr:id=id>
            <button type="submit">"Sign out"</button>
        </ActionForm>
    }
}

/// The top bar: brand, navigation, and who is signed in (a link to the account).
#[component]
pub fn Header() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                <span class="logo" aria-hidden="true">"◆"</span>
                " Carina"
            </A>
            <nav>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.account.await {
                            Ok(Some(account)) => view! {
                                <A href="/clusters">"Clusters"</A>
                                {account.is_operator.then(|| view! { <A href="/operator" attr:id="operator-link">"Operator"</A> })}
                                <A href="/account" attr:class="who" attr:title="Your account">{account.email}</A>
                                <SignOutButton id="header-sign-out"/>
                            }.into_any(),
                            _ => view! {
                                <A href="/signin">"Sign in"</A>
                                <A href="/signup" attr:class="button primary">"Sign up"</A>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}

/// What a page shows when loading its data failed. Never shows internal details: an
/// `AppError::Internal` displays a generic sentence.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let sign_in = matches!(error, AppError::Unauthorized(_));
    view! {
        <div class="error-panel" role="alert">
            <p>{error.to_string()}</p>
            {sign_in.then(|| view! { <A href="/signin" attr:class="button primary">"Sign in"</A> })}
        </div>
    }
}
