//! The page for an address that does not exist.

use leptos::prelude::*;

use crate::i18n::use_i18n;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page narrow">
            <h1>{move || i18n.t("notfound.title")}</h1>
            <p>{move || i18n.t("notfound.text")}</p>
            <p><a href="/">{move || i18n.t("notfound.home")}</a></p>
        </section>
    }
}
