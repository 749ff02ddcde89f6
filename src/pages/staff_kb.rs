//! The staff article list: filters by status, category, language and helpfulness, and a title search.

use leptos::prelude::*;

use crate::components::guard::RequireUser;

#[component]
pub fn StaffArticles() -> impl IntoView {
    view! { <RequireUser staff=true><p>"…"</p></RequireUser> }
}
