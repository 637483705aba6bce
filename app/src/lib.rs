//! The panel: Leptos components, routes, server-function shims and wire types.
//!
//! Compiled twice: with `ssr` into the server (where server functions call the
//! provisioner) and with `hydrate` into the wasm bundle (where they are HTTP calls).

#![recursion_limit = "256"]

pub mod components;
pub mod error;
pub mod format;
pub mod functions;
pub mod model;
#[cfg(feature = "ssr")]
pub mod next_page;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod session;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use components::clock::Clock;
use components::focus::focus_page_on_navigation;
use components::layout::{Header, Session};
use routes::account::AccountPage;
use routes::audit::ActivityPage;
use routes::auth::{SignInPage, SignUpPage};
use routes::cluster::ClusterPage;
use routes::clusters::ClustersPage;
use routes::home::HomePage;
use routes::not_found::NotFoundPage;
use routes::operator::OperatorPage;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The panel.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/carina.css"/>
        <Title text="Carina"/>
        <Router>
            <Frame/>
        </Router>
    }
}

/// Everything inside the router: the session context, the header and the pages.
///
/// Pages render with `SsrMode::Async`: the server waits for their data and sends complete
/// HTML, so they read and work without JavaScript, and a server-side redirect (to sign
/// in) can still set the status line.
#[component]
fn Frame() -> impl IntoView {
    // The clock first: its server-rendered value is matched by position when hydrating.
    Clock::provide();
    Session::provide();
    focus_page_on_navigation();
    view! {
        <Header/>
        <main>
            <Routes fallback=NotFoundPage>
                <Route path=path!("") ssr=SsrMode::Async view=HomePage/>
                <Route path=path!("signup") ssr=SsrMode::Async view=SignUpPage/>
                <Route path=path!("signin") ssr=SsrMode::Async view=SignInPage/>
                <Route path=path!("clusters") ssr=SsrMode::Async view=ClustersPage/>
                <Route path=path!("clusters/:name") ssr=SsrMode::Async view=ClusterPage/>
                <Route path=path!("account") ssr=SsrMode::Async view=AccountPage/>
                <Route path=path!("account/activity") ssr=SsrMode::Async view=ActivityPage/>
                <Route path=path!("operator") ssr=SsrMode::Async view=OperatorPage/>
            </Routes>
        </main>
        <footer class="footer">"Carina · self-hosted Docker Swarm clusters"</footer>
    }
}
