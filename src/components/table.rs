//! A wide table on a narrow screen.

use leptos::prelude::*;

use crate::i18n::use_i18n;

/// Holds a table that may be wider than a phone: the table scrolls sideways inside this region and the
/// page does not. The region takes the keyboard focus, so it scrolls without a mouse too. Its name says it
/// is the table ("Tabela: …"), distinct from the section around it that has the same heading.
#[component]
pub fn TableScroll(
    /// What the table is, for the region's name (usually its heading).
    #[prop(into)]
    label: Signal<String>,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = move || i18n.tf("common.table_region", &[("name", &label.get())]);
    view! {
        <div class="table-scroll" role="region" tabindex="0" aria-label=name>
            {children()}
        </div>
    }
}
