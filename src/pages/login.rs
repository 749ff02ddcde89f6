//! Sign-in: e-mail and password, errors in the reader's language, then back to where they were going.

use api_types::Login as LoginBody;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{self, ApiError},
    i18n::use_i18n,
    session::use_session,
};

/// Only a path on this site is a place to go back to.
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/login"))
        .unwrap_or_else(|| "/".to_string())
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
            session.user.set(Some(Some(user)));
            navigate(
                &safe_next(query.get_untracked().get("next")),
                Default::default(),
            );
        }
    });
    let error = move || {
        submit.value().get().and_then(|r| r.err()).map(|e| match e {
            ApiError::Network => i18n.t("error.network"),
            ApiError::Problem(p) if p.status == 401 => i18n.t("login.wrong"),
            ApiError::Problem(p) => p
                .detail
                .map_or(p.title.clone(), |d| format!("{} {d}", p.title)),
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
        </section>
    }
}
