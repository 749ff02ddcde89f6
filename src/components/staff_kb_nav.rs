//! The staff knowledge-base area's own navigation: articles, a new article, categories and synonyms, analytics.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::use_i18n;

/// The sections of the staff knowledge base; the current one carries `aria-current="page"`.
#[component]
pub fn StaffKbNav() -> impl IntoView {
    let i18n = use_i18n();
    let links: [(&'static str, &'static str); 4] = [
        ("/staff/kb", "kbn.articles"),
        ("/staff/kb/new", "kbn.new"),
        ("/staff/kb/categories", "kbn.categories"),
        ("/staff/kb/analytics", "kbn.analytics"),
    ];
    view! {
        <nav class="tabs staff-kb-nav" aria-label=move || i18n.t("kbn.label")>
            {links.into_iter().map(|(href, key)| view! {
                // `exact`: "/staff/kb" is not current on "/staff/kb/analytics".
                <A href=href exact=true>{move || i18n.t(key)}</A>
            }).collect_view()}
        </nav>
    }
}
