//! Search analytics: searches that found nothing, articles that did not help, top queries, deflection.

use leptos::prelude::*;

use crate::components::guard::RequireUser;

#[component]
pub fn KbAnalyticsPage() -> impl IntoView {
    view! { <RequireUser staff=true><p>"…"</p></RequireUser> }
}
