//! Sign-in: e-mail and password, errors in the reader's language, then back to where they were going.

use api_types::Login as LoginBody;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{self, ApiError},
    components::kb::problem_text,
    i18n::use_i18n,
    session::use_session,
};

/// Only a path on this site is a place to go back to. `next` is resolved against this page's origin
/// exactly as the browser will resolve it, so every spelling of another host (`//host`, `/\host`,
/// `/%5Chost` once decoded, `/<tab>/host` whose tab the URL parser drops, `https://host`) comes out on another
/// origin and is refused; what is kept is the parsed path, query and fragment, never the raw text.
fn safe_next(next: Option<String>) -> String {
    let home = || "/".to_string();
    let Some(next) = next.filter(|n| n.starts_with('/')) else {
        return home();
    };
    let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) else {
        return home();
    };
    let Ok(url) = web_sys::Url::new_with_base(&next, &origin) else {
        return home();
    };
    let path = url.pathname();
    // `/.//host` parses to the path `//host`, which the router would read as another host again.
    if url.origin() != origin
        || !path.starts_with('/')
        || path.starts_with("//")
        || path == "/login"
        || path.starts_with("/login/")
    {
        return home();
    }
    format!("{path}{}{}", url.search(), url.hash())
}

#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let email_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = email_ref.get() {
            let _ = input.focus();
        }
    });

    let submit = Action::new_local(move |body: &LoginBody| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::login(locale, &body).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(user)) = submit.value().get() {
            let next = safe_next(query.get_untracked().get("next"));
            if !session.signed_in(user, None, &next) {
                navigate(&next, Default::default());
            }
        }
    });
    let error = move || {
        submit.value().get().and_then(|r| r.err()).map(|e| match e {
            ApiError::Network => i18n.t("error.network"),
            ApiError::Problem(p) if p.status == 401 => i18n.t("login.wrong"),
            ApiError::Problem(p) => problem_text(&p.title, p.detail.as_deref()),
            ApiError::Unexpected(_) => i18n.t("error.unexpected"),
        })
    };

    view! {
        <section class="page narrow">
            <h1>{move || i18n.t("login.title")}</h1>
            <form class="form" on:submit=move |ev| {
                ev.prevent_default();
                submit.dispatch(LoginBody { email: email.get_untracked(), password: password.get_untracked() });
            }>
                {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                {move || session.link_error.try_get().flatten().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="field">
                    <label for="login-email">{move || i18n.t("login.email")}</label>
                    <input id="login-email" type="email" autocomplete="username" required node_ref=email_ref
                        prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="login-password">{move || i18n.t("login.password")}</label>
                    <input id="login-password" type="password" autocomplete="current-password" required
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="primary" disabled=move || submit.pending().get()>
                    {move || if submit.pending().get() { i18n.t("login.waiting") } else { i18n.t("login.submit") }}
                </button>
            </form>
            <p class="login-alternatives">
                <a href="/login/forgot">{move || i18n.t("login.forgot")}</a>
                " · "
                <a href="/login/link">{move || i18n.t("login.by_link")}</a>
            </p>
        </section>
    }
}
