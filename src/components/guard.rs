//! Pages that need a session send the reader to sign-in and back; staff pages refuse clients plainly.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use crate::{i18n::use_i18n, session::use_session};

/// Where the reader is now, query included: the router's `search` comes without its `?`.
pub fn here(location: &leptos_router::location::Location) -> String {
    let search = location.search.get_untracked();
    let path = location.pathname.get_untracked();
    if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    }
}

/// `/login?next=<where the reader was going>`.
pub fn login_url(next: &str) -> String {
    format!(
        "/login?next={}",
        String::from(js_sys::encode_uri_component(next))
    )
}

/// Shows `children` to a signed-in user (to staff only with `staff`), and otherwise what to do.
#[component]
pub fn RequireUser(#[prop(optional)] staff: bool, children: ChildrenFn) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let location = use_location();
    let navigate = use_navigate();
    // A one-click link's session opens its own ticket's page only: elsewhere, the password.
    let outside_link = move || {
        session
            .ticket_only
            .get()
            .is_some_and(|t| location.pathname.get() != format!("/tickets/{t}"))
    };
    Effect::new(move |_| {
        if session.known() && (session.current().is_none() || outside_link()) {
            navigate(&login_url(&here(&location)), Default::default());
        }
    });
    move || {
        if !session.known() {
            view! { <p class="muted">{move || i18n.t("common.loading")}</p> }.into_any()
        } else if session.current().is_none() || outside_link() {
            ().into_any()
        } else if staff && !session.is_staff() {
            view! {
                <section class="page narrow">
                    <h1>{move || i18n.t("forbidden.title")}</h1>
                    <p>{move || i18n.t("forbidden.text")}</p>
                    <p><a href="/">{move || i18n.t("notfound.home")}</a></p>
                </section>
            }
            .into_any()
        } else {
            children().into_any()
        }
    }
}
