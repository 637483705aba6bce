//! Live pages: the browser follows a server-sent event stream of page snapshots and
//! writes each one into the page's signal. The server render never connects; the page
//! starts from the same data the server rendered, so hydration matches.

use leptos::prelude::*;
use serde::de::DeserializeOwned;

/// Where a page's live stream stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveState {
    /// Not connected (yet): the server render, or before the stream has opened.
    Off,
    /// Snapshots arrive as things change.
    Live,
    /// The connection dropped; the browser reconnects by itself.
    Reconnecting,
    /// The server refused the stream (signed out, say); a reload starts again.
    Stopped,
    /// What the page shows no longer exists (the server said `gone`).
    Gone,
}

/// Follows the stream at `url` for as long as the calling component lives: each
/// message (a JSON snapshot) replaces `data`; `state` says how the stream is doing.
/// Does nothing outside the browser.
pub fn follow<T>(url: String, data: RwSignal<T>, state: RwSignal<LiveState>)
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::open(&url, data, state));
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, data, state);
}

/// The small "Live" marker of a page that follows a stream.
#[component]
pub fn LiveBadge(state: RwSignal<LiveState>) -> impl IntoView {
    let text = move || match state.get() {
        LiveState::Off | LiveState::Gone => "",
        LiveState::Live => "Live",
        LiveState::Reconnecting => "Reconnecting…",
        LiveState::Stopped => "Live updates stopped: reload the page",
    };
    view! {
        <span
            id="live-status"
            class="live"
            class:on=move || state.get() == LiveState::Live
            class:idle=move || matches!(state.get(), LiveState::Off | LiveState::Gone)
            title="This page updates by itself as the cluster changes."
            aria-live="polite"
        >
            {text}
        </span>
    }
}

/// Without JavaScript a page cannot be pushed to: while `when` holds (something is
/// changing by itself) it reloads every few seconds instead. Inert with JavaScript.
#[component]
pub fn NoScriptRefresh(#[prop(into)] when: Signal<bool>) -> impl IntoView {
    // inner_html: with scripting on, a noscript's content is text, which hydration must
    // not walk into.
    const REFRESH: &str = r#"<meta http-equiv="refresh" content="3">"#;
    move || when.get().then(|| view! { <noscript inner_html=REFRESH></noscript> })
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use serde::de::DeserializeOwned;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    use super::LiveState;

    /// Opens the stream and closes it when the current owner is cleaned up.
    pub fn open<T>(url: &str, data: RwSignal<T>, state: RwSignal<LiveState>)
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let Ok(source) = EventSource::new(url) else {
            state.set(LiveState::Stopped);
            return;
        };
        // try_set: a message may race the page going away; then there is nothing to update.
        let on_open = Closure::<dyn FnMut()>::new(move || {
            state.try_set(LiveState::Live);
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let parsed = event.data().as_string().and_then(|text| serde_json::from_str::<T>(&text).ok());
            if let Some(snapshot) = parsed {
                data.try_set(snapshot);
            }
        });
        let gone_source = source.clone();
        let on_gone = Closure::<dyn FnMut()>::new(move || {
            // Otherwise the browser would reconnect and be told 404.
            gone_source.close();
            state.try_set(LiveState::Gone);
        });
        let error_source = source.clone();
        let on_error = Closure::<dyn FnMut()>::new(move || {
            // The browser retries dropped connections itself; a refused one stays closed.
            let next = if error_source.ready_state() == EventSource::CLOSED {
                LiveState::Stopped
            } else {
                LiveState::Reconnecting
            };
            if state.try_get_untracked() != Some(LiveState::Gone) {
                state.try_set(next);
            }
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let _ = source.add_event_listener_with_callback("gone", on_gone.as_ref().unchecked_ref());
        // The closures must live as long as the source may call them.
        let held = SendWrapper::new((source, on_open, on_message, on_gone, on_error));
        on_cleanup(move || {
            if held.valid() {
                held.take().0.close();
            }
        });
    }
}
