//! Knowledge-base settings: categories (create, rename, reorder) and search synonyms.

use leptos::prelude::*;

use crate::components::guard::RequireUser;

#[component]
pub fn KbSettings() -> impl IntoView {
    view! { <RequireUser staff=true><p>"…"</p></RequireUser> }
}
