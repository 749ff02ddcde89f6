//! The home page.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{i18n::use_i18n, session::use_session};

#[component]
pub fn Home() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    view! {
        <section class="hero">
            <h1>{move || i18n.t("home.title")}</h1>
            <p class="lead">{move || i18n.t("home.lead")}</p>
            {move || match session.current() {
                Some(user) => view! {
                    <p>{i18n.tf("home.welcome", &[("name", &user.name)])}</p>
                }.into_any(),
                None => view! {
                    <p><A href="/login" attr:class="button-link primary">{move || i18n.t("home.sign_in")}</A></p>
                }.into_any(),
            }}
        </section>
    }
}
