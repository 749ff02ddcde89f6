//! The server's copy of the home page, an article or a category page (`#prerender`, see `api-mock/src/prerender.rs`)
//! stays on screen while the app starts: the app mounts hidden beside it and, once its own view of the
//! page is there (or the reader goes elsewhere, or after `LATEST`), `reveal` removes the copy and shows
//! the app in one step, so nothing on screen moves.

use std::time::Duration;

use wasm_bindgen::JsCast;

const COPY_ID: &str = "prerender";
const ROOT_ID: &str = "app";
/// The copy never outlives this, whatever happens to the app's own request.
pub const LATEST: Duration = Duration::from_secs(8);

/// Where to mount the app: a hidden element after the server's copy when the page has one.
pub fn app_root() -> Option<web_sys::HtmlElement> {
    let document = web_sys::window()?.document()?;
    document.get_element_by_id(COPY_ID)?;
    let root = document.create_element("div").ok()?;
    root.set_id(ROOT_ID);
    root.set_attribute("hidden", "").ok()?;
    document.body()?.append_child(&root).ok()?;
    root.dyn_into::<web_sys::HtmlElement>().ok()
}

/// The home page's search box in the server's copy, and the app's.
const COPY_SEARCH_ID: &str = "kb-search-copy";
const APP_SEARCH_ID: &str = "kb-search";

/// Removes the server's copy and shows the app (nothing when there is no copy). Words typed into the
/// copy's search box, and its focus, move to the app's, which then searches for them.
pub fn reveal() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(copy) = document.get_element_by_id(COPY_ID) else {
        return;
    };
    let input = |id: &str| {
        document
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
    };
    let typed = input(COPY_SEARCH_ID).map(|i| {
        let focused = document
            .active_element()
            .is_some_and(|a| a.id() == COPY_SEARCH_ID);
        (i.value(), focused)
    });
    copy.remove();
    if let Some(root) = document.get_element_by_id(ROOT_ID) {
        let _ = root.remove_attribute("hidden");
    }
    if let (Some((words, focused)), Some(target)) = (typed, input(APP_SEARCH_ID)) {
        if !words.is_empty() {
            target.set_value(&words);
            if let Ok(event) = web_sys::Event::new("input") {
                let _ = target.dispatch_event(&event);
            }
        }
        if focused {
            let _ = target.focus();
        }
    }
}

/// `reveal` just before the next frame: the view being mounted now is then in place.
pub fn reveal_soon() {
    leptos::prelude::request_animation_frame(reveal);
}
