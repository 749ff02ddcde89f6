//! Mail to the support address from addresses no account has: staff accept each as a new client of an
//! organization (the mail becomes their ticket) or discard it. Nothing from an unknown sender reaches an
//! organization without this.

use api_types::{AcceptInbound, InboundReview, InboundReviewStatus, Organization};
use leptos::prelude::*;

use crate::{
    api,
    components::{guard::RequireUser, kb::error_text},
    i18n::use_i18n,
    time,
};

#[component]
pub fn InboundReviewPage() -> impl IntoView {
    view! { <RequireUser staff=true><ReviewList/></RequireUser> }
}

#[component]
fn ReviewList() -> impl IntoView {
    let i18n = use_i18n();
    let status = RwSignal::new("pending".to_string());
    // Bumped after each decision, to ask for the list again.
    let version = RwSignal::new(0_u32);
    let list = LocalResource::new(move || {
        let status = status.get();
        version.track();
        let locale = i18n.locale.get_untracked();
        async move { api::inbound_review(locale, &status).await }
    });
    let organizations = LocalResource::new(move || {
        let locale = i18n.locale.get_untracked();
        async move { api::organizations(locale).await.unwrap_or_default() }
    });
    let done = RwSignal::new(None::<InboundReview>);
    view! {
        <section class="page">
            <h1>{move || i18n.t("inbound.title")}</h1>
            <p class="lead">{move || i18n.t("inbound.lead")}</p>
            <div class="field">
                <label for="inbound-status">{move || i18n.t("inbound.status")}</label>
                <select id="inbound-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    {["pending", "accepted", "discarded"].into_iter().map(|s| view! {
                        <option value=s selected=move || status.get() == s>{move || i18n.t(&format!("inbound.status_{s}"))}</option>
                    }).collect_view()}
                </select>
            </div>
            <div role="status">
                {move || done.get().map(|r| match r.ticket_id {
                    Some(id) => view! {
                        <p class="success">
                            {i18n.tf("inbound.accepted", &[("sender", &r.sender)])} " "
                            <a href=format!("/tickets/{id}")>{i18n.tf("inbound.open_ticket", &[("id", &id.to_string())])}</a>
                        </p>
                    }.into_any(),
                    None => view! { <p class="success">{i18n.tf("inbound.discarded", &[("sender", &r.sender)])}</p> }.into_any(),
                })}
            </div>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <p class="error" role="alert">{error_text(i18n, &e)}</p> }.into_any(),
                        Ok(page) if page.items.is_empty() => view! { <p>{move || i18n.t("inbound.empty")}</p> }.into_any(),
                        Ok(page) => view! {
                            <ul class="plain-list inbound-list">
                                {page.items.into_iter().map(|item| view! {
                                    <ReviewItem item=item organizations=organizations done=done version=version/>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ReviewItem(
    item: InboundReview,
    organizations: LocalResource<Vec<Organization>>,
    done: RwSignal<Option<InboundReview>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = item.id;
    let organization = RwSignal::new(String::new());
    let name = RwSignal::new(item.sender_name.clone().unwrap_or_default());
    let decide = Action::new_local(move |accept: &Option<AcceptInbound>| {
        let accept = accept.clone();
        let locale = i18n.locale.get_untracked();
        async move {
            match accept {
                Some(body) => api::accept_inbound(locale, id, &body).await,
                None => api::discard_inbound(locale, id).await,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(decided)) = decide.value().get() {
            done.set(Some(decided));
            version.update(|v| *v += 1);
        }
    });
    let failed = move || decide.value().get().and_then(|r| r.err());
    let field_error = move || {
        failed().map(|e| {
            e.field("organization_id")
                .or_else(|| e.field("name"))
                .unwrap_or_else(|| error_text(i18n, &e))
        })
    };
    let from = match &item.sender_name {
        Some(n) => format!("{n} <{}>", item.sender),
        None => item.sender.clone(),
    };
    let received = item.received_at;
    let pending = item.status == InboundReviewStatus::Pending;
    view! {
        <li class="card inbound-item">
            <h2>{item.subject.clone()}</h2>
            <p class="muted">
                {from} " · "
                <time datetime=time::iso(received)>{move || time::date_time(received, i18n.locale.get())}</time>
            </p>
            <p class="inbound-excerpt">{item.excerpt.clone()}</p>
            {pending.then(|| view! {
                <form class="form" on:submit=move |ev| {
                    ev.prevent_default();
                    if let Ok(organization_id) = organization.get_untracked().parse::<i64>() {
                        let n = name.get_untracked().trim().to_string();
                        decide.dispatch(Some(AcceptInbound {
                            organization_id,
                            name: (!n.is_empty()).then_some(n),
                        }));
                    }
                }>
                    <div class="field-row">
                        <div class="field">
                            <label for=format!("inbound-{id}-org")>{move || i18n.t("inbound.organization")}</label>
                            <select id=format!("inbound-{id}-org") required
                                on:change=move |ev| organization.set(event_target_value(&ev))>
                                <option value="">{move || i18n.t("inbound.organization_choose")}</option>
                                {move || organizations.get().unwrap_or_default().into_iter().map(|o| view! {
                                    <option value=o.id.to_string()>{o.name}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for=format!("inbound-{id}-name")>{move || i18n.t("inbound.name")}</label>
                            <input id=format!("inbound-{id}-name") type="text" maxlength="120"
                                prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                        </div>
                    </div>
                    {move || field_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <div class="actions">
                        <button type="submit" class="primary" disabled=move || decide.pending().get()>
                            {move || i18n.t("inbound.accept")}
                        </button>
                        <button type="button" class="secondary" disabled=move || decide.pending().get()
                            on:click=move |_| { decide.dispatch(None); }>
                            {move || i18n.t("inbound.discard")}
                        </button>
                    </div>
                </form>
            })}
            {item.ticket_id.map(|t| view! {
                <p><a href=format!("/tickets/{t}")>{i18n.tf("inbound.open_ticket", &[("id", &t.to_string())])}</a></p>
            })}
        </li>
    }
}
