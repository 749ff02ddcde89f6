//! "Notificações por e-mail": which mails the signed-in user gets. The list depends on the role: a
//! client's own tickets, a manager's organization and daily digest, an agent's assigned tickets. Every
//! notification's `List-Unsubscribe` and footer point here.

use api_types::NotificationPrefs;
use leptos::prelude::*;

use crate::{
    api,
    components::{guard::RequireUser, kb::error_text},
    i18n::use_i18n,
};

#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! { <RequireUser><PrefsForm/></RequireUser> }
}

#[component]
fn PrefsForm() -> impl IntoView {
    let i18n = use_i18n();
    let loaded = LocalResource::new(move || {
        let locale = i18n.locale.get_untracked();
        async move { api::notification_prefs(locale).await }
    });
    view! {
        <section class="page narrow">
            <h1>{move || i18n.t("prefs.title")}</h1>
            <p class="lead">{move || i18n.t("prefs.lead")}</p>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(prefs) => view! { <PrefsFields prefs=prefs/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{error_text(i18n, &e)}</p> }.into_any(),
                    }
                })}
            </Transition>
            <p><a href="/account/password">{move || i18n.t("nav.password")}</a></p>
        </section>
    }
}

/// One checkbox of the form, its label beside it.
#[component]
fn Choice(id: &'static str, key: &'static str, value: RwSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="check">
            <input id=id type="checkbox" prop:checked=value
                on:change=move |ev| value.set(event_target_checked(&ev))/>
            <label for=id>{move || i18n.t(key)}</label>
        </div>
    }
}

#[component]
fn PrefsFields(prefs: NotificationPrefs) -> impl IntoView {
    let i18n = use_i18n();
    let own = RwSignal::new(prefs.own_tickets);
    let org = prefs.organization_tickets.map(RwSignal::new);
    let digest = prefs.daily_digest.map(RwSignal::new);
    let assigned = prefs.assigned_tickets.map(RwSignal::new);
    let save = Action::new_local(move |body: &NotificationPrefs| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::save_notification_prefs(locale, &body).await }
    });
    let saved = move || matches!(save.value().try_get().flatten(), Some(Ok(_)));
    let failed = move || {
        save.value()
            .try_get()
            .flatten()
            .and_then(|r| r.err())
            .map(|e| error_text(i18n, &e))
    };
    view! {
        <form class="form" on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(NotificationPrefs {
                own_tickets: own.get_untracked(),
                organization_tickets: org.map(|s| s.get_untracked()),
                daily_digest: digest.map(|s| s.get_untracked()),
                assigned_tickets: assigned.map(|s| s.get_untracked()),
            });
        }>
            <fieldset class="field-group">
                <legend>{move || i18n.t("prefs.legend")}</legend>
                <Choice id="prefs-own" key="prefs.own_tickets" value=own/>
                {org.map(|value| view! { <Choice id="prefs-org" key="prefs.organization_tickets" value=value/> })}
                {digest.map(|value| view! { <Choice id="prefs-digest" key="prefs.daily_digest" value=value/> })}
                {assigned.map(|value| view! { <Choice id="prefs-assigned" key="prefs.assigned_tickets" value=value/> })}
            </fieldset>
            <p class="hint">{move || i18n.t("prefs.always")}</p>
            {move || failed().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div role="status">
                {move || saved().then(|| view! { <p class="success">{move || i18n.t("prefs.saved")}</p> })}
            </div>
            <button type="submit" class="primary" disabled=move || save.pending().try_get().unwrap_or(false)>
                {move || i18n.t("prefs.save")}
            </button>
        </form>
    }
}
