//! Hydrates the server-rendered panel in the browser.

/// Entry point called by the JS glue once the wasm module has loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
