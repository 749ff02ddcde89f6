//! "Esqueci minha senha", "Entrar com um link por e-mail", and the page a reset link opens.

use api_types::{MailLinkRequest, PasswordReset};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{self, ApiError},
    components::kb::problem_text,
    i18n::use_i18n,
    session::use_session,
};

/// The words of a refusal that is not about one field.
fn general(e: &ApiError, i18n: crate::i18n::I18n) -> Option<String> {
    match e {
        ApiError::Network => Some(i18n.t("error.network")),
        ApiError::Problem(p) if p.errors.is_empty() => {
            Some(problem_text(&p.title, p.detail.as_deref()))
        }
        ApiError::Problem(_) => None,
        ApiError::Unexpected(_) => Some(i18n.t("error.unexpected")),
    }
}

/// Which link the page asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ask {
    Reset,
    SignIn,
}

#[component]
pub fn ForgotPassword() -> impl IntoView {
    view! { <AskForLink ask=Ask::Reset/> }
}

#[component]
pub fn SignInLink() -> impl IntoView {
    view! { <AskForLink ask=Ask::SignIn/> }
}

/// An e-mail field and the same answer whether or not the address has an account.
#[component]
fn AskForLink(ask: Ask) -> impl IntoView {
    let i18n = use_i18n();
    let email = RwSignal::new(String::new());
    let (title, intro) = match ask {
        Ask::Reset => ("mail_link.reset_title", "mail_link.reset_intro"),
        Ask::SignIn => ("mail_link.sign_in_title", "mail_link.sign_in_intro"),
    };
    let submit = Action::new_local(move |body: &MailLinkRequest| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move {
            match ask {
                Ask::Reset => api::forgot_password(locale, &body).await,
                Ask::SignIn => api::sign_in_link(locale, &body).await,
            }
        }
    });
    let sent = move || matches!(submit.value().try_get().flatten(), Some(Ok(())));
    let error = move || {
        submit
            .value()
            .try_get()
            .flatten()
            .and_then(|r| r.err())
            .and_then(|e| general(&e, i18n))
    };
    let field_error = move || {
        submit
            .value()
            .try_get()
            .flatten()
            .and_then(|r| r.err())
            .and_then(|e| e.field("email"))
    };
    view! {
        <section class="page narrow">
            <h1>{move || i18n.t(title)}</h1>
            <p>{move || i18n.t(intro)}</p>
            <form class="form" on:submit=move |ev| {
                ev.prevent_default();
                submit.dispatch(MailLinkRequest { email: email.get_untracked() });
            }>
                {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <p role="status">{move || sent().then(|| i18n.t("mail_link.sent"))}</p>
                <div class="field">
                    <label for="link-email">{move || i18n.t("login.email")}</label>
                    <input id="link-email" type="email" autocomplete="username" required
                        aria-describedby="link-email-error"
                        prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                    <p id="link-email-error" class="field-error">{field_error}</p>
                </div>
                <button type="submit" class="primary" disabled=move || submit.pending().try_get().unwrap_or(false)>
                    {move || i18n.t("mail_link.send")}
                </button>
            </form>
            <p><a href="/login">{move || i18n.t("mail_link.back")}</a></p>
        </section>
    }
}

/// The page of a reset link: a new password (twice), then signed in with it.
#[component]
pub fn ResetPassword() -> impl IntoView {
    view! { <ChoosePassword invitation=false/> }
}

/// The page of an invitation's link: the new user chooses a password, then is signed in.
#[component]
pub fn AcceptInvitation() -> impl IntoView {
    view! { <ChoosePassword invitation=true/> }
}

#[component]
fn ChoosePassword(invitation: bool) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let mismatch = RwSignal::new(false);
    let submit = Action::new_local(move |body: &PasswordReset| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::reset_password(locale, &body).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(user)) = submit.value().try_get().flatten()
            && !session.signed_in(user, None, "/")
        {
            navigate("/", Default::default());
        }
    });
    let failed = move || submit.value().try_get().flatten().and_then(|r| r.err());
    let field = move |name: &'static str| move || failed().and_then(|e| e.field(name));
    view! {
        <section class="page narrow">
            <h1>{move || i18n.t(if invitation { "mail_link.invite_title" } else { "mail_link.new_password_title" })}</h1>
            {invitation.then(|| view! { <p class="lead">{move || i18n.t("mail_link.invite_intro")}</p> })}
            <form class="form" on:submit=move |ev| {
                ev.prevent_default();
                if password.get_untracked() != confirm.get_untracked() {
                    mismatch.set(true);
                    return;
                }
                mismatch.set(false);
                let token = query.get_untracked().get("token").unwrap_or_default();
                submit.dispatch(PasswordReset { token, password: password.get_untracked() });
            }>
                {move || failed().and_then(|e| general(&e, i18n)).map(|e| view! { <p class="error" role="alert">{e}</p> })}
                {move || field("token")().map(|e| view! {
                    <p class="error" role="alert">{e} " " <a href="/login/forgot">{i18n.t("mail_link.ask_again")}</a></p>
                })}
                <div class="field">
                    <label for="reset-new">{move || i18n.t("password.new")}</label>
                    <input id="reset-new" type="password" autocomplete="new-password" required minlength="10"
                        aria-describedby="reset-new-hint reset-new-error"
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                    <p id="reset-new-hint" class="hint">{move || i18n.t("password.hint")}</p>
                    <p id="reset-new-error" class="field-error">{field("password")}</p>
                </div>
                <div class="field">
                    <label for="reset-confirm">{move || i18n.t("password.confirm")}</label>
                    <input id="reset-confirm" type="password" autocomplete="new-password" required
                        aria-describedby="reset-confirm-error"
                        prop:value=confirm on:input=move |ev| confirm.set(event_target_value(&ev))/>
                    <p id="reset-confirm-error" class="field-error">
                        {move || mismatch.get().then(|| i18n.t("password.mismatch"))}
                    </p>
                </div>
                <button type="submit" class="primary" disabled=move || submit.pending().try_get().unwrap_or(false)>
                    {move || i18n.t(if invitation { "mail_link.invite_save" } else { "mail_link.save_password" })}
                </button>
            </form>
        </section>
    }
}
