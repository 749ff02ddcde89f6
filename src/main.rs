//! Mounts the portal.

fn main() {
    std::panic::set_hook(Box::new(on_panic));
    // A page the server filled in (an article, a category) keeps its copy on screen until the app is ready.
    match portal::prerender::app_root() {
        Some(root) => {
            leptos::mount::mount_to(root, portal::app::App).forget();
            leptos::prelude::set_timeout(portal::prerender::reveal, portal::prerender::LATEST);
        }
        None => leptos::mount::mount_to_body(portal::app::App),
    }
}

/// A panic stops the WebAssembly app for good: no click would do anything after it. Say so to the reader
/// in their language, with a link that reloads the page (a plain link: it works without the app), and
/// leave the reason in the console for whoever investigates.
fn on_panic(info: &std::panic::PanicHookInfo<'_>) {
    web_sys::console::error_1(&info.to_string().into());
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id("fatal-error").is_some() {
        return;
    }
    let english = document
        .document_element()
        .and_then(|html| html.get_attribute("lang"))
        .is_some_and(|lang| lang.starts_with("en"));
    let (message, action) = if english {
        ("Something went wrong on this page.", "Reload the page")
    } else {
        ("Algo deu errado nesta página.", "Recarregar a página")
    };
    let href = document.location().and_then(|l| l.href().ok());
    let build = || -> Result<(), wasm_bindgen::JsValue> {
        let banner = document.create_element("div")?;
        banner.set_id("fatal-error");
        banner.set_class_name("fatal-error");
        banner.set_attribute("role", "alert")?;
        let text = document.create_element("p")?;
        text.set_text_content(Some(message));
        let link = document.create_element("a")?;
        link.set_attribute("href", href.as_deref().unwrap_or("/"))?;
        link.set_class_name("button-link primary");
        link.set_text_content(Some(action));
        banner.append_child(&text)?;
        banner.append_child(&link)?;
        document
            .body()
            .ok_or_else(|| wasm_bindgen::JsValue::from_str("no body"))?
            .prepend_with_node_1(&banner)
    };
    let _ = build();
}
