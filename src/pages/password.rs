//! Changing one's own password (the other sessions end).

use api_types::PasswordChange;
use leptos::prelude::*;

use crate::{
    api::{self, ApiError},
    components::guard::RequireUser,
    i18n::use_i18n,
};

#[component]
pub fn ChangePassword() -> impl IntoView {
    view! { <RequireUser><PasswordForm/></RequireUser> }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let i18n = use_i18n();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let mismatch = RwSignal::new(false);
    let submit = Action::new_local(move |body: &PasswordChange| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::change_password(locale, &body).await }
    });
    let field_error = move |name: &'static str| {
        move || {
            submit
                .value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field(name))
        }
    };
    let general_error = move || {
        submit
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| match e {
                ApiError::Network => Some(i18n.t("error.network")),
                ApiError::Problem(p) if p.errors.is_empty() => Some(p.title),
                ApiError::Problem(_) => None,
                ApiError::Unexpected(_) => Some(i18n.t("error.unexpected")),
            })
    };
    view! {
        <section class="page narrow">
            <h1>{move || i18n.t("password.title")}</h1>
            <form class="form" on:submit=move |ev| {
                ev.prevent_default();
                if new.get_untracked() != confirm.get_untracked() {
                    mismatch.set(true);
                    return;
                }
                mismatch.set(false);
                submit.dispatch(PasswordChange { current: current.get_untracked(), new: new.get_untracked() });
            }>
                {move || general_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                {move || matches!(submit.value().get(), Some(Ok(()))).then(|| view! {
                    <p class="success" role="status">{move || i18n.t("password.done")}</p>
                })}
                <div class="field">
                    <label for="pw-current">{move || i18n.t("password.current")}</label>
                    <input id="pw-current" type="password" autocomplete="current-password" required
                        aria-describedby="pw-current-error"
                        prop:value=current on:input=move |ev| current.set(event_target_value(&ev))/>
                    <p id="pw-current-error" class="field-error">{field_error("current")}</p>
                </div>
                <div class="field">
                    <label for="pw-new">{move || i18n.t("password.new")}</label>
                    <input id="pw-new" type="password" autocomplete="new-password" required minlength="10"
                        aria-describedby="pw-new-hint pw-new-error"
                        prop:value=new on:input=move |ev| new.set(event_target_value(&ev))/>
                    <p id="pw-new-hint" class="hint">{move || i18n.t("password.hint")}</p>
                    <p id="pw-new-error" class="field-error">{field_error("new")}</p>
                </div>
                <div class="field">
                    <label for="pw-confirm">{move || i18n.t("password.confirm")}</label>
                    <input id="pw-confirm" type="password" autocomplete="new-password" required
                        aria-describedby="pw-confirm-error"
                        prop:value=confirm on:input=move |ev| confirm.set(event_target_value(&ev))/>
                    <p id="pw-confirm-error" class="field-error">
                        {move || mismatch.get().then(|| i18n.t("password.mismatch"))}
                    </p>
                </div>
                <button type="submit" class="primary" disabled=move || submit.pending().get()>
                    {move || i18n.t("password.submit")}
                </button>
            </form>
        </section>
    }
}
