//! An article's revisions: who saved what and when, a diff between any two, and restore.

use leptos::prelude::*;

use crate::components::guard::RequireUser;

#[component]
pub fn ArticleHistory() -> impl IntoView {
    view! { <RequireUser staff=true><p>"…"</p></RequireUser> }
}
