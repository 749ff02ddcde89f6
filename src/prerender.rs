//! The server's copy of an article or category page (`#prerender`, see `api-mock/src/prerender.rs`)
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

/// Removes the server's copy and shows the app (nothing when there is no copy).
pub fn reveal() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(copy) = document.get_element_by_id(COPY_ID) {
        copy.remove();
        if let Some(root) = document.get_element_by_id(ROOT_ID) {
            let _ = root.remove_attribute("hidden");
        }
    }
}

/// `reveal` just before the next frame: the view being mounted now is then in place.
pub fn reveal_soon() {
    leptos::prelude::request_animation_frame(reveal);
}
