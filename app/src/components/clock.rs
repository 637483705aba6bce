//! "Now", for relative times ("3 min ago"). The server renders with its own time and
//! hands that instant to the browser with the page, so that hydration starts from the
//! same text; once the page runs, the clock switches to the browser's time and ticks.

use leptos::prelude::*;

/// How often relative times are brought up to date in the browser.
#[cfg(feature = "hydrate")]
const TICK: std::time::Duration = std::time::Duration::from_secs(15);

/// The current time in Unix milliseconds, as a signal every page can read.
#[derive(Clone, Copy)]
pub struct Clock(RwSignal<i64>);

impl Clock {
    /// Creates the clock context. Call it once, in the same place of the tree on the
    /// server and in the browser (the shared first value is matched by position).
    pub fn provide() -> Self {
        let first = SharedValue::new(now_ms).into_inner();
        let now = RwSignal::new(first);
        #[cfg(feature = "hydrate")]
        Effect::new(move |_| {
            now.set(now_ms());
            set_interval(
                move || {
                    now.try_set(now_ms());
                },
                TICK,
            );
        });
        let clock = Clock(now);
        provide_context(clock);
        clock
    }

    /// The clock of the page.
    pub fn expect() -> Self {
        expect_context::<Clock>()
    }

    /// Now, in Unix milliseconds (tracked: a reader is updated as time passes).
    pub fn now(self) -> i64 {
        self.0.get()
    }
}

#[cfg(target_arch = "wasm32")]
fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
