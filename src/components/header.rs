//! The header: product name, navigation (staff links only for staff), who is signed in, language switch.

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_location, use_navigate},
};

use crate::{
    api,
    components::guard::{here, login_url},
    i18n::{Locale, use_i18n},
    session::use_session,
};

#[component]
pub fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let navigate = use_navigate();
    let location = use_location();
    // "Entrar" brings the reader back to the page they were on; on the sign-in page it keeps its `next`.
    let sign_in_href = Memo::new(move |_| {
        location.pathname.track();
        location.search.track();
        let next = here(&location);
        if next == "/" || next.starts_with("/login") {
            next
        } else {
            login_url(&next)
        }
    });
    let sign_out = Action::new_local(move |_: &()| {
        let locale = i18n.locale.get_untracked();
        async move { api::logout(locale).await }
    });
    Effect::new(move |_| {
        if sign_out.value().get().is_some() {
            session.user.set(Some(None));
            navigate("/", Default::default());
        }
    });
    let role_label = move || {
        session.current().map(|u| {
            let key = match (u.role, u.org_role) {
                (api_types::Role::Admin, _) => "role.admin",
                (api_types::Role::Agent, _) => "role.agent",
                (_, Some(api_types::OrgRole::Manager)) => "role.manager",
                _ => "role.client",
            };
            i18n.t(key)
        })
    };
    view! {
        <header class="site-header">
            <div class="container header-row">
                <A href="/" attr:class="brand">{move || i18n.t("app.name")}</A>
                <nav aria-label=move || i18n.t("nav.main") class="main-nav">
                    <A href="/">{move || i18n.t("nav.home")}</A>
                    <Show when=move || session.current().is_some()>
                        <A href="/tickets">{move || if session.is_staff() { i18n.t("nav.queue") } else { i18n.t("nav.tickets") }}</A>
                    </Show>
                    <Show when=move || session.is_staff()>
                        // `exact`: "Equipe" is not the current page on the dashboard or the FAQ pages below /staff.
                        <A href="/staff" exact=true>{move || i18n.t("nav.staff")}</A>
                        <A href="/staff/dashboard">{move || i18n.t("nav.dashboard")}</A>
                        <A href="/staff/kb">{move || i18n.t("nav.kb_admin")}</A>
                        <A href="/staff/inbound">{move || i18n.t("nav.inbound")}</A>
                        <Show when=move || session.current().is_some_and(|u| u.role == api_types::Role::Admin)>
                            <A href="/staff/users">{move || i18n.t("nav.users")}</A>
                        </Show>
                    </Show>
                </nav>
                <div class="header-tools">
                    <LanguageSwitch/>
                    {move || match session.current() {
                        Some(user) => view! {
                            // Clients open tickets from any page (staff log theirs from the queue). A plain
                            // link: "Meus chamados" stays the current page of the navigation.
                            <Show when=move || !session.is_staff()>
                                <a href="/tickets/new" class="button-link primary">{move || i18n.t("tickets.new")}</a>
                            </Show>
                            <span class="who">
                                <span class="who-name">{user.name.clone()}</span>
                                " "
                                <span class="badge">{role_label}</span>
                            </span>
                            <A href="/account/notifications" attr:class="button-link">{move || i18n.t("nav.notifications")}</A>
                            <A href="/account/password" attr:class="button-link">{move || i18n.t("nav.password")}</A>
                            <button type="button" class="secondary"
                                disabled=move || sign_out.pending().get()
                                on:click=move |_| { sign_out.dispatch(()); }>
                                {move || i18n.t("nav.sign_out")}
                            </button>
                        }.into_any(),
                        None => view! {
                            <A href=move || sign_in_href.get() attr:class="button-link">{move || i18n.t("nav.sign_in")}</A>
                        }.into_any(),
                    }}
                </div>
            </div>
        </header>
    }
}

/// A labelled select of the two languages; the choice is remembered.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label class="lang-switch">
            <span class="visually-hidden">{move || i18n.t("nav.language")}</span>
            <select on:change=move |ev| {
                if let Some(locale) = Locale::from_tag(&event_target_value(&ev)) {
                    i18n.set(locale);
                }
            }>
                {Locale::ALL.into_iter().map(|l| view! {
                    <option value=l.tag() selected=move || i18n.locale.get() == l lang=l.tag()>
                        {l.native_name()}
                    </option>
                }).collect_view()}
            </select>
        </label>
    }
}
