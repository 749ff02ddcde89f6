//! Mounts the portal.

fn main() {
    console_error_panic_hook_lite();
    leptos::mount::mount_to_body(portal::app::App);
}

/// Panics reach the browser console instead of vanishing: a tester sees why a page died.
fn console_error_panic_hook_lite() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&info.to_string().into());
    }));
}
