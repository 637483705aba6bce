//! Where keyboard focus goes after a client-side page change. A browser moves nothing by
//! itself then, so a screen reader would stay on the link that was followed: focus moves
//! to the new page's first field marked `autofocus` or else its heading, as a full page
//! load would read it.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// After every client-side change of path (not the first render, not a change of the
/// query alone), focuses the new page's `[autofocus]` field or its `h1`, once it has
/// rendered (pages wait for their data first).
pub fn focus_page_on_navigation() {
    let location = use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|previous| previous != path) {
            #[cfg(feature = "hydrate")]
            browser::keep_focus_on_page(0, false);
        }
        path
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::time::Duration;

    use leptos::prelude::set_timeout;
    use wasm_bindgen::JsCast;
    use web_sys::{Document, HtmlElement};

    /// How often, and for how many rounds, to look: a page may render the old page's
    /// heading for a moment, or render its heading again when its data arrives, which
    /// drops the focus back to the body. Until then, focus goes (back) to the page.
    const ROUND: Duration = Duration::from_millis(50);
    const ROUNDS: u32 = 60;

    /// One round. Until the page has taken focus, focuses its target as soon as there is
    /// one (moving focus off the link that was followed); after, only takes it back from
    /// the body (the focused element was rendered away), and stops once the user has put
    /// it somewhere else.
    pub fn keep_focus_on_page(round: u32, placed: bool) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let target = target(&document);
        let active = document.active_element();
        let nowhere = active.as_ref().is_none_or(|a| a.tag_name() == "BODY");
        let on_target = matches!((&active, &target), (Some(a), Some(t)) if a == t.unchecked_ref::<web_sys::Element>());
        if placed && !nowhere && !on_target {
            return;
        }
        let mut placed = placed;
        if let Some(element) = target.filter(|_| !placed || nowhere) {
            // A heading takes focus only with a tabindex; -1 keeps it out of the tab order.
            if element.tag_name() == "H1" && !element.has_attribute("tabindex") {
                let _ = element.set_attribute("tabindex", "-1");
            }
            let _ = element.focus();
            placed = true;
        }
        if round < ROUNDS {
            set_timeout(move || keep_focus_on_page(round + 1, placed), ROUND);
        }
    }

    fn target(document: &Document) -> Option<HtmlElement> {
        ["main [autofocus]", "main h1"]
            .iter()
            .find_map(|selector| document.query_selector(selector).ok().flatten())
            .and_then(|element| element.dyn_into::<HtmlElement>().ok())
    }
}
