//! The frame of every page: the header with navigation, and the account in context.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::error::AppError;
use crate::functions::auth::{whoami, SignIn, SignOut, SignUp};
use crate::model::AccountView;

/// The session as pages see it: the account (refetched after signing in, up or out) and
/// the actions that change it.
#[derive(Clone, Copy)]
pub struct Session {
    pub account: Resource<Result<Option<AccountView>, AppError>>,
    pub sign_in: ServerAction<SignIn>,
    pub sign_up: ServerAction<SignUp>,
    pub sign_out: ServerAction<SignOut>,
}

impl Session {
    /// Creates the session context. Must run inside the router, where a failed plain-form
    /// post's error is read back from the URL.
    pub fn provide() -> Self {
        let sign_in = ServerAction::<SignIn>::new();
        let sign_up = ServerAction::<SignUp>::new();
        let sign_out = ServerAction::<SignOut>::new();
        let account = Resource::new(
            move || (sign_in.version().get(), sign_up.version().get(), sign_out.version().get()),
            |_| whoami(),
        );
        let session = Session { account, sign_in, sign_up, sign_out };
        provide_context(session);
        session
    }
}

/// The top bar: brand, navigation, and who is signed in.
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
                                <A href="/account" attr:class="who">{account.email}</A>
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
