//! What a page change means outside the page: the window's title names the page (its h1, then the
//! portal's name, in the reader's language), and after a move to another page the keyboard and screen
//! reader focus lands on that page's h1 instead of falling back to `<body>`.
//!
//! Pages fill their h1 when their data comes (an article's title, a ticket's subject), so the shell looks
//! at the h1 a few times a second rather than asking every page to report it: one `querySelector` per tick,
//! and no extra browser bindings in the bundle.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use wasm_bindgen::JsCast;

use crate::i18n::use_i18n;

/// How often the title and the focus are brought up to date.
const TICK: Duration = Duration::from_millis(150);
/// After a move to another page, how long its h1 may take to appear (its data loading) and still get the
/// focus.
const FOCUS_WITHIN_MS: f64 = 8000.0;

/// Keeps `document.title` on the current page's h1 and moves focus to it after navigation.
#[component]
pub fn PageShell() -> impl IntoView {
    let i18n = use_i18n();
    let location = use_location();
    // Until when a new page's h1 should take the focus (0: not after the first load).
    let focus_until = StoredValue::new(0.0_f64);
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            focus_until.set_value(js_sys::Date::now() + FOCUS_WITHIN_MS);
            // Another page than the one the server filled in: its copy goes.
            crate::prerender::reveal();
        }
        path
    });
    let tick = move || {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(app) = i18n
            .locale
            .try_get_untracked()
            .map(|l| crate::i18n::text(l, "app.name"))
        else {
            return;
        };
        let h1 = document
            .query_selector("main h1")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        let heading = h1
            .as_ref()
            .and_then(|h| h.text_content())
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        let title = if heading.is_empty() || heading == app {
            app
        } else {
            format!("{heading} — {app}")
        };
        if document.title() != title {
            document.set_title(&title);
        }
        let Some(until) = focus_until.try_get_value() else {
            return;
        };
        if js_sys::Date::now() > until {
            return;
        }
        let (Some(h1), Some(main)) = (h1, document.query_selector("main").ok().flatten()) else {
            return;
        };
        // A page that put the focus somewhere of its own (the search box, a form's first field) keeps it;
        // focus left on the old page's link, on a header link or on nothing goes to the new heading.
        let active = document.active_element();
        let body = document
            .body()
            .map(|b| b.unchecked_into::<web_sys::Element>());
        let elsewhere = match &active {
            None => true,
            Some(a) => Some(a) == body.as_ref() || !main.contains(Some(a.as_ref())),
        };
        if elsewhere {
            let _ = h1.set_attribute("tabindex", "-1");
            let _ = h1.focus();
        }
    };
    if let Ok(handle) = set_interval_with_handle(tick, TICK) {
        on_cleanup(move || handle.clear());
    }
}
