//! "Open a ticket": subject, description (Markdown, with a preview) and priority, with the matching
//! knowledge-base articles suggested beside the form. The draft is saved in the browser as it is typed;
//! an unreachable server keeps it and retries with the same `Idempotency-Key`, so no retry makes a second ticket.

use std::time::Duration;

use api_types::{Attachment, Channel, NewTicket, Priority, SearchResults};
use leptos::{ev, html, prelude::*, task::spawn_local};
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::{Deserialize, Serialize};

use crate::{
    api::{self, ApiError},
    components::{
        attachments::{AttachmentPicker, Uploads},
        guard::{RequireUser, login_url},
        kb::error_text,
        settled::{SettledSearch, plain_click},
    },
    drafts,
    i18n::use_i18n,
    session::use_session,
    timers::Debounce,
};

/// After a failed attempt to reach the server, the next try comes this much later.
const RETRY: Duration = Duration::from_secs(5);
const SUGGEST_DEBOUNCE: Duration = Duration::from_millis(400);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct TicketDraft {
    subject: String,
    description: String,
    priority: String,
    /// The `Idempotency-Key` of this ticket's submission, kept until the ticket exists.
    key: String,
    search_id: Option<i64>,
    /// The files uploaded already, kept through a reload like the text.
    #[serde(default)]
    attachments: Vec<Attachment>,
}

pub fn priority_tag(p: Priority) -> &'static str {
    match p {
        Priority::Low => "low",
        Priority::Normal => "normal",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

fn parse_priority(tag: &str) -> Priority {
    match tag {
        "low" => Priority::Low,
        "high" => Priority::High,
        "urgent" => Priority::Urgent,
        _ => Priority::Normal,
    }
}

/// The words to look up in the knowledge base for what has been typed so far.
fn suggestion_query(subject: &str, description: &str) -> String {
    let source = if subject.trim().chars().count() >= 4 {
        subject
    } else {
        description
    };
    // Short words and codes (order numbers, "caixa 3") only make a search stricter, never better.
    source
        .split_whitespace()
        .filter(|w| w.chars().count() >= 3 && !w.chars().any(|c| c.is_ascii_digit()))
        .take(6)
        .collect::<Vec<_>>()
        .join(" ")
}

#[component]
pub fn NewTicketPage() -> impl IntoView {
    view! {
        <RequireUser>
            <NewTicketForm/>
        </RequireUser>
    }
}

#[component]
fn NewTicketForm() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let user_id = session.current().map(|u| u.id).unwrap_or_default();
    let storage_key = format!("portal.draft.ticket.{user_id}");

    let mut draft: TicketDraft = drafts::load(&storage_key).unwrap_or_default();
    if draft.key.is_empty() {
        draft.key = drafts::random_id();
    }
    if draft.priority.is_empty() {
        draft.priority = "normal".into();
    }
    let restored =
        !draft.subject.is_empty() || !draft.description.is_empty() || !draft.attachments.is_empty();
    if !restored {
        let q = query.get_untracked();
        if let Some(subject) = q.get("subject") {
            draft.subject = subject.chars().take(200).collect();
        }
        draft.search_id = q.get("search_id").and_then(|s| s.parse().ok());
    }
    let subject = RwSignal::new(draft.subject.clone());
    let description = RwSignal::new(draft.description.clone());
    let priority = RwSignal::new(draft.priority.clone());
    let key = StoredValue::new(draft.key.clone());
    let search_id = draft.search_id;
    let uploads = Uploads::new(draft.attachments.clone());
    // Shown when "send" is pressed while a file is still on its way (or failed).
    let wait_uploads = RwSignal::new(false);
    // Staff log tickets taken by phone, e-mail, chat or in person, for a client.
    // Constant false in the client build: the staff-only views below are left out of it.
    let staff = crate::session::STAFF_BUILD && session.is_staff();
    let requester = RwSignal::new(String::new());
    let channel = RwSignal::new("phone".to_string());
    let clients = LocalResource::new(move || {
        let locale = i18n.locale.get_untracked();
        async move {
            if staff {
                api::clients(locale).await.unwrap_or_default()
            } else {
                Vec::new()
            }
        }
    });

    // Every keystroke is saved: a reload or an expired session loses nothing.
    {
        let storage_key = storage_key.clone();
        Effect::new(move |_| {
            drafts::save(
                &storage_key,
                &TicketDraft {
                    subject: subject.get(),
                    description: description.get(),
                    priority: priority.get(),
                    key: key.get_value(),
                    search_id,
                    attachments: uploads.done(),
                },
            );
        });
    }

    // Suggestions from the knowledge base, as the question is typed.
    let typed = Memo::new(move |_| suggestion_query(&subject.get(), &description.get()));
    let settled = RwSignal::new(typed.get_untracked());
    let timer = Debounce::new();
    Effect::new(move |_| {
        let value = typed.get();
        timer.schedule(move || settled.set(value), SUGGEST_DEBOUNCE);
    });
    // Suggestions follow the typing; the search counted is the one in the box when the reader leaves the
    // subject or opens a suggestion.
    let recorded = SettledSearch::new();
    let suggestions = LocalResource::new(move || {
        let q = settled.get();
        let locale = i18n.locale.get();
        async move {
            if q.chars().count() < 4 {
                None
            } else {
                api::search(locale, &q, 5, 1).await.ok()
            }
        }
    });

    let preview_mode = RwSignal::new(false);
    let preview = Action::new_local(move |text: &String| {
        let text = text.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::preview(locale, &text).await }
    });

    let submit = Action::new_local(move |(body, key): &(NewTicket, String)| {
        let (body, key) = (body.clone(), key.clone());
        let locale = i18n.locale.get_untracked();
        async move { api::create_ticket(locale, &body, &key).await }
    });
    let body = move || NewTicket {
        subject: subject.get_untracked().trim().to_string(),
        description: description.get_untracked(),
        priority: Some(parse_priority(&priority.get_untracked())),
        category: None,
        channel: staff.then(|| match channel.get_untracked().as_str() {
            "email" => Channel::Email,
            "chat" => Channel::Chat,
            "in_person" => Channel::InPerson,
            _ => Channel::Phone,
        }),
        requester_id: if staff {
            requester.get_untracked().parse().ok()
        } else {
            None
        },
        search_id,
        attachments: uploads.ids(),
    };
    let send = move || {
        let waiting = uploads.busy() || uploads.failed();
        wait_uploads.set(waiting);
        if !waiting && !submit.pending().get_untracked() {
            submit.dispatch((body(), key.get_value()));
        }
    };
    let retry_timer = Debounce::new();
    Effect::new(move |_| match submit.value().get() {
        Some(Ok(ticket)) => {
            // The files stay in the list until the page goes: clearing it would save the draft again.
            drafts::clear(&storage_key);
            navigate(&format!("/tickets/{}", ticket.id), Default::default());
        }
        Some(Err(ApiError::Network)) => {
            // The same key: if the first try did reach the server, this answers the same ticket.
            retry_timer.schedule(send, RETRY);
        }
        Some(Err(e)) if e.field("Idempotency-Key").is_some() => key.set_value(drafts::random_id()),
        _ => {}
    });

    let error = move || submit.value().get().and_then(|r| r.err());
    let field_error = move |name: &'static str| move || error().and_then(|e| e.field(name));
    let input_ref = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = input_ref.get() {
            let _ = input.focus();
        }
    });
    let priority_hint = move || i18n.t(&format!("ticket.priority_hint.{}", priority.get()));

    view! {
        <section class="page ticket-new">
            <h1>{move || i18n.t("ticket.new_title")}</h1>
            {restored.then(|| view! { <p class="hint">{move || i18n.t("ticket.draft_restored")}</p> })}
            <div class="with-aside">
                <form class="form" novalidate on:submit=move |ev| { ev.prevent_default(); send(); }
                    on:paste=move |ev| uploads.paste(&ev, i18n.locale.get_untracked())>
                    {move || error().map(|e| {
                        let text = match &e {
                            ApiError::Network => i18n.t("ticket.offline"),
                            ApiError::Problem(p) if p.status == 401 => i18n.t("ticket.session_expired"),
                            e if e.field("Idempotency-Key").is_some() => i18n.t("ticket.key_reused"),
                            e => error_text(i18n, e),
                        };
                        let login = (e.status() == Some(401)).then(|| view! {
                            <a href=login_url("/tickets/new")>{move || i18n.t("nav.sign_in")}</a>
                        });
                        let retry = matches!(e, ApiError::Network).then(|| view! {
                            <button type="button" on:click=move |_| send()>{move || i18n.t("ticket.retry_now")}</button>
                        });
                        view! { <div class="error" role="alert"><p>{text}</p>{login}{retry}</div> }
                    })}
                    {staff.then(|| view! {
                        <div class="field-row">
                            <div class="field">
                                <label for="ticket-requester">{move || i18n.t("ticket.requester")}</label>
                                <select id="ticket-requester" required aria-describedby="ticket-requester-error"
                                    on:change=move |ev| requester.set(event_target_value(&ev))>
                                    <option value="">{move || i18n.t("ticket.requester_choose")}</option>
                                    {move || clients.get().unwrap_or_default().into_iter().map(|c| {
                                        let label = match &c.organization {
                                            Some(o) => format!("{} — {} ({})", c.name, o.name, c.email),
                                            None => format!("{} ({})", c.name, c.email),
                                        };
                                        let id = c.id.to_string();
                                        let selected = requester.get_untracked() == id;
                                        view! { <option value=id selected=selected>{label}</option> }
                                    }).collect_view()}
                                </select>
                                <p id="ticket-requester-error" class="field-error">{field_error("requester_id")}</p>
                                <AddClient clients=clients requester=requester/>
                            </div>
                            <div class="field">
                                <label for="ticket-channel">{move || i18n.t("ticket.channel")}</label>
                                <select id="ticket-channel" on:change=move |ev| channel.set(event_target_value(&ev))>
                                    {["phone", "email", "chat", "in_person"].into_iter().map(|c| view! {
                                        <option value=c selected=move || channel.get() == c>{move || i18n.t(&format!("channel.{c}"))}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                        </div>
                    })}
                    <div class="field">
                        <label for="ticket-subject">{move || i18n.t("ticket.subject")}</label>
                        <input id="ticket-subject" type="text" maxlength="200" required node_ref=input_ref
                            aria-describedby="ticket-subject-error"
                            prop:value=subject on:input=move |ev| subject.set(event_target_value(&ev))
                            on:blur=move |_| {
                                let q = typed.get_untracked();
                                if q.chars().count() >= 4 {
                                    recorded.settle(i18n.locale.get_untracked(), q);
                                }
                            }/>
                        <p id="ticket-subject-error" class="field-error">{field_error("subject")}</p>
                    </div>
                    <div class="field">
                        <label for="ticket-description">{move || i18n.t("ticket.description")}</label>
                        <div class="editor-tabs">
                            <button type="button" aria-pressed=move || (!preview_mode.get()).to_string()
                                on:click=move |_| preview_mode.set(false)>{move || i18n.t("ticket.write")}</button>
                            <button type="button" aria-pressed=move || preview_mode.get().to_string()
                                on:click=move |_| { preview_mode.set(true); preview.dispatch(description.get_untracked()); }>
                                {move || i18n.t("ticket.preview")}
                            </button>
                        </div>
                        <textarea id="ticket-description" rows="10" maxlength="20000" required
                            class:hidden=move || preview_mode.get()
                            aria-describedby="ticket-description-hint ticket-description-error"
                            prop:value=description on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                        {move || preview_mode.get().then(|| view! {
                            <div class="preview card" role="region" aria-label=move || i18n.t("ticket.preview")>
                                {move || match preview.value().get() {
                                    None => view! { <p class="muted">{move || i18n.t("common.loading")}</p> }.into_any(),
                                    Some(Ok(p)) => view! { <div inner_html=p.html></div> }.into_any(),
                                    Some(Err(e)) => view! { <p class="error" role="alert">{error_text(i18n, &e)}</p> }.into_any(),
                                }}
                            </div>
                        })}
                        <p id="ticket-description-hint" class="hint">{move || i18n.t("ticket.markdown_hint")}</p>
                        <p id="ticket-description-error" class="field-error">{field_error("description")}</p>
                    </div>
                    <AttachmentPicker uploads=uploads id="ticket-files"/>
                    <p class="field-error">{field_error("attachments")}</p>
                    {move || wait_uploads.get().then(|| view! { <p class="error" role="alert">{move || i18n.t("attach.wait")}</p> })}
                    <div class="field">
                        <label for="ticket-priority">{move || i18n.t("ticket.priority")}</label>
                        <select id="ticket-priority" aria-describedby="ticket-priority-hint"
                            prop:value=priority on:change=move |ev| priority.set(event_target_value(&ev))>
                            {["low", "normal", "high", "urgent"].into_iter().map(|p| view! {
                                <option value=p selected=move || priority.get() == p>{move || i18n.t(&format!("priority.{p}"))}</option>
                            }).collect_view()}
                        </select>
                        <p id="ticket-priority-hint" class="hint">{priority_hint}</p>
                    </div>
                    <button type="submit" class="primary" disabled=move || submit.pending().get()>
                        {move || if submit.pending().get() { i18n.t("ticket.sending") } else { i18n.t("ticket.send") }}
                    </button>
                </form>
                <aside class="suggestions" aria-labelledby="ticket-suggestions-title">
                    <h2 id="ticket-suggestions-title">{move || i18n.t("ticket.suggestions")}</h2>
                    <div aria-live="polite">
                        {move || match suggestions.get().flatten() {
                            Some(r) if !r.items.is_empty() => view! { <Suggestions results=r recorded=recorded/> }.into_any(),
                            _ => view! { <p class="muted">{move || i18n.t("ticket.suggestions_none")}</p> }.into_any(),
                        }}
                    </div>
                </aside>
            </div>
        </section>
    }
}

#[component]
fn Suggestions(
    results: SearchResults,
    /// Records the search when a suggestion is opened.
    recorded: SettledSearch,
) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let query = results.query.clone();
    let href = |slug: &str, id: Option<i64>| match id {
        Some(id) => format!("/kb/{slug}?search_id={id}"),
        None => format!("/kb/{slug}"),
    };
    view! {
        <p class="hint">{move || i18n.t("ticket.suggestions_hint")}</p>
        <ul class="plain-list">
            {results.items.into_iter().map(|hit| {
                let link = {
                    let (slug, query) = (hit.slug.clone(), query.clone());
                    move || href(&slug, recorded.id_for(&query))
                };
                let on_click = {
                    let (slug, query, navigate) = (hit.slug.clone(), query.clone(), navigate.clone());
                    move |ev: ev::MouseEvent| {
                        if plain_click(&ev) && recorded.id_for(&query).is_none() {
                            ev.prevent_default();
                            let (slug, query, navigate) = (slug.clone(), query.clone(), navigate.clone());
                            let locale = i18n.locale.get_untracked();
                            spawn_local(async move {
                                let id = recorded.record(locale, query).await;
                                if recorded.alive() {
                                    navigate(&href(&slug, id), Default::default());
                                }
                            });
                        }
                    }
                };
                view! { <li><a href=link on:click=on_click>{hit.title}</a></li> }
            }).collect_view()}
        </ul>
    }
}

#[cfg(feature = "staff")]
use crate::pages::users::AddClient;

/// The client build logs no ticket for someone else (`staff` is never true there).
#[cfg(not(feature = "staff"))]
#[component]
fn AddClient(
    clients: LocalResource<Vec<api_types::User>>,
    requester: RwSignal<String>,
) -> impl IntoView {
    let _ = (clients, requester);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_come_from_the_subject_once_it_says_something() {
        assert_eq!(
            suggestion_query("NFC-e rejeitada", "texto longo"),
            "NFC-e rejeitada"
        );
        assert_eq!(
            suggestion_query("Oi", "a nota fiscal não sai"),
            "nota fiscal não sai"
        );
        assert_eq!(
            suggestion_query("NFC-e rejeitada no caixa 3 T17", ""),
            "NFC-e rejeitada caixa"
        );
        let long = "um dois três quatro cinco seis sete oito nove dez";
        assert_eq!(suggestion_query("", long).split(' ').count(), 6);
    }
}
