//! A ticket: the whole timeline with each event's exact time (and how long ago), the service targets, a
//! reply box that keeps its draft, close and reopen for the client; reply, internal note, status, priority
//! and assignee for staff. New events appear without a reload: the page asks every few seconds with the
//! ETag of what it has, and the server answers 304 while nothing changed.

use std::time::Duration;

use api_types::{
    Attachment, Channel, EventKind, NewMessage, Priority, Role, Ticket, TicketEvent, TicketPatch,
    TicketStatus,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::{
    api::{self, ApiError},
    components::{
        attachments::{AttachmentList, AttachmentPicker, Uploads},
        guard::{RequireUser, login_url},
        kb::{Missing, error_text},
        rating::RatingForm,
    },
    drafts,
    i18n::use_i18n,
    pages::{
        ticket_new::priority_tag,
        tickets::{status_key, status_tag},
    },
    session::use_session,
    time,
    timers::Debounce,
};

/// How often an open ticket page looks for new events.
const POLL: Duration = Duration::from_secs(5);
const RETRY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct ReplyDraft {
    body: String,
    internal: bool,
    key: String,
    /// The files uploaded already, kept through a reload like the text.
    #[serde(default)]
    attachments: Vec<Attachment>,
}

#[component]
pub fn TicketPage() -> impl IntoView {
    view! {
        <RequireUser>
            <TicketLoader/>
        </RequireUser>
    }
}

#[derive(Clone, Copy)]
struct Live {
    ticket: RwSignal<Option<Result<Ticket, ApiError>>>,
    etag: StoredValue<Option<String>>,
    in_flight: StoredValue<bool>,
    /// The last refresh failed: what is shown may be out of date.
    stale: RwSignal<bool>,
}

impl Live {
    /// Asks for the ticket unless a request is already on its way (so a slow server never piles them up).
    fn refresh(self, id: i64, locale: crate::i18n::Locale) {
        if self.in_flight.get_value() {
            return;
        }
        self.in_flight.set_value(true);
        let etag = self.etag.get_value();
        leptos::task::spawn_local(async move {
            match api::ticket_if_changed(locale, id, etag.as_deref()).await {
                Ok(Some((ticket, etag))) => {
                    self.etag.set_value(etag);
                    self.ticket.set(Some(Ok(ticket)));
                    self.stale.set(false);
                }
                Ok(None) => self.stale.set(false),
                Err(e) => {
                    let shown = self.ticket.with_untracked(|t| matches!(t, Some(Ok(_))));
                    // A lost session is not a lost connection: it is said as such, with a way to sign in.
                    if shown && !matches!(e.status(), Some(401 | 404)) {
                        self.stale.set(true);
                    } else {
                        self.ticket.set(Some(Err(e)));
                    }
                }
            }
            self.in_flight.set_value(false);
        });
    }
}

#[component]
fn TicketLoader() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()))
            .unwrap_or(0)
    });
    let live = Live {
        ticket: RwSignal::new(None),
        etag: StoredValue::new(None),
        in_flight: StoredValue::new(false),
        stale: RwSignal::new(false),
    };
    Effect::new(move |_| {
        let id = id.get();
        live.etag.set_value(None);
        live.ticket.set(None);
        live.refresh(id, i18n.locale.get_untracked());
    });
    if let Ok(handle) = set_interval_with_handle(
        move || live.refresh(id.get_untracked(), i18n.locale.get_untracked()),
        POLL,
    ) {
        on_cleanup(move || handle.clear());
    }
    // The relative times ("2 minutes ago") move on by themselves.
    let now = RwSignal::new(time::now());
    if let Ok(handle) =
        set_interval_with_handle(move || now.set(time::now()), Duration::from_secs(30))
    {
        on_cleanup(move || handle.clear());
    }
    provide_context(live);
    // Only a change of phase (loading, failed, shown) rebuilds the page: a new event updates it in place,
    // so a reply being typed keeps its focus.
    let phase = Memo::new(move |_| {
        live.ticket.with(|t| {
            t.as_ref()
                .map(|r| r.as_ref().map(|_| ()).map_err(Clone::clone))
        })
    });
    move || {
        match phase.get() {
        None => view! { <p class="muted">{move || i18n.t("common.loading")}</p> }.into_any(),
        Some(Err(e)) if e.status() == Some(404) => {
            view! { <Missing text="ticket.missing"/> }.into_any()
        }
        Some(Err(e)) if e.status() == Some(401) => view! {
            <section class="page narrow">
                <h1>{move || i18n.t("ticket.session_title")}</h1>
                <div class="error" role="alert">
                    <p>{move || i18n.t("ticket.session_expired")}</p>
                    <a href=login_url(&format!("/tickets/{}", id.get_untracked()))>{move || i18n.t("nav.sign_in")}</a>
                </div>
            </section>
        }
        .into_any(),
        Some(Err(e)) => {
            view! { <p class="error" role="alert">{error_text(i18n, &e)}</p> }.into_any()
        }
        Some(Ok(())) => view! { <TicketView id=id.get_untracked() now=now/> }.into_any(),
    }
    }
}

#[component]
fn TicketView(id: i64, now: RwSignal<chrono::DateTime<chrono::Utc>>) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let live = expect_context::<Live>();
    // Constant false in the client build: the staff-only views below are left out of it.
    let staff = crate::session::STAFF_BUILD && session.is_staff();
    let me = session.current().map(|u| u.id).unwrap_or_default();
    let ticket = Memo::new(move |_| live.ticket.get().and_then(|t| t.ok()));
    let field = move |f: fn(&Ticket) -> String| {
        move || ticket.with(|t| t.as_ref().map(f).unwrap_or_default())
    };
    let status = move || ticket.with(|t| t.as_ref().map(|t| t.status));

    let patch = Action::new_local(move |body: &TicketPatch| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::update_ticket(locale, id, &body).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(t)) = patch.value().get() {
            live.etag.set_value(None);
            live.ticket.set(Some(Ok(t)));
        }
    });
    let set_status = move |s: TicketStatus| {
        patch.dispatch(TicketPatch {
            status: Some(s),
            ..Default::default()
        });
    };
    let requester_is_me = move || ticket.with(|t| t.as_ref().is_some_and(|t| t.requester.id == me));
    // Only a ticket someone from support answered has a service to rate.
    let rateable = Memo::new(move |_| {
        ticket.with(|t| {
            t.as_ref().is_some_and(|t| {
                !staff
                    && t.requester.id == me
                    && t.first_responded_at.is_some()
                    && matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed)
            })
        })
    });
    let closed = Memo::new(move |_| status() == Some(TicketStatus::Closed));
    // The server lets the requester reopen a closed ticket within this window of its last change.
    let reopenable = move || {
        ticket.with(|t| {
            t.as_ref().is_some_and(|t| match t.status {
                TicketStatus::Resolved => true,
                TicketStatus::Closed => (time::now() - t.updated_at) < chrono::Duration::days(7),
                _ => false,
            })
        })
    };
    // Closing is final for the conversation: it is confirmed first, and says what happens to a reply
    // being typed (kept in the browser, back on reopening).
    let confirm_close = RwSignal::new(false);
    let draft_waiting = RwSignal::new(false);
    let confirm_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm_ref.get() {
            let _ = button.focus();
        }
    });
    let ask_close = move || {
        let draft: Option<ReplyDraft> = drafts::load(&format!("portal.draft.reply.{me}.{id}"));
        draft_waiting.set(draft.is_some_and(|d| !d.body.trim().is_empty()));
        confirm_close.set(true);
    };
    let rating = Signal::derive(move || ticket.with(|t| t.as_ref().and_then(|t| t.rating.clone())));

    view! {
        <section class="page ticket">
            <p><a href="/tickets">{move || i18n.t("ticket.back")}</a></p>
            <h1>{move || format!("#{id} · {}", field(|t| t.subject.clone())())}</h1>
            {move || live.stale.get().then(|| view! { <p class="error" role="alert">{move || i18n.t("ticket.stale")}</p> })}
            <dl class="ticket-facts">
                <div><dt>{move || i18n.t("tickets.col_status")}</dt>
                    <dd>{move || status().map(|s| { let tag = status_tag(s); view! { <span class=format!("status status-{tag}")>{i18n.t(&status_key(tag, staff))}</span> } })}</dd></div>
                <div><dt>{move || i18n.t("ticket.priority")}</dt>
                    <dd>{move || ticket.with(|t| t.as_ref().map(|t| i18n.t(&format!("priority.{}", priority_tag(t.priority)))))}</dd></div>
                <div><dt>{move || i18n.t("ticket.channel")}</dt>
                    <dd>{move || ticket.with(|t| t.as_ref().map(|t| i18n.t(channel_key(t.channel))))}</dd></div>
                <div><dt>{move || i18n.t("tickets.col_requester")}</dt><dd>{field(|t| t.requester.name.clone())}</dd></div>
                <div><dt>{move || i18n.t("ticket.assignee")}</dt>
                    <dd>{move || ticket.with(|t| t.as_ref().and_then(|t| t.assignee.as_ref().map(|a| a.name.clone())).unwrap_or_else(|| i18n.t("ticket.unassigned")))}</dd></div>
            </dl>
            <Targets ticket=ticket/>
            {move || patch.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{error_text(i18n, &e)}</p> })}
            <div class="ticket-actions">
                {move || (!staff && requester_is_me() && reopenable()).then(|| view! {
                    <button type="button" on:click=move |_| set_status(TicketStatus::Open) disabled=move || patch.pending().get()>{move || i18n.t("ticket.reopen")}</button>
                })}
                {move || (!staff && requester_is_me() && !confirm_close.get() && matches!(status(), Some(TicketStatus::Open | TicketStatus::Pending | TicketStatus::Resolved))).then(|| view! {
                    <button type="button" on:click=move |_| ask_close() disabled=move || patch.pending().get()>{move || i18n.t("ticket.close")}</button>
                })}
                {staff.then(|| view! { <StaffControls ticket=ticket patch=patch me=me/> })}
            </div>
            {move || (confirm_close.get() && !closed.get()).then(|| view! {
                <div class="confirm card" role="group" aria-labelledby="close-confirm-title" aria-describedby="close-confirm-text">
                    <p id="close-confirm-title"><strong>{move || i18n.t("ticket.close_confirm_title")}</strong></p>
                    <p id="close-confirm-text">
                        {move || i18n.t("ticket.close_confirm_text")}
                        {move || draft_waiting.get().then(|| view! { " " {i18n.t("ticket.close_confirm_draft")} })}
                    </p>
                    <div class="ticket-actions">
                        <button type="button" class="primary" node_ref=confirm_ref disabled=move || patch.pending().get()
                            on:click=move |_| { confirm_close.set(false); set_status(TicketStatus::Closed); }>
                            {move || i18n.t("ticket.close_yes")}
                        </button>
                        <button type="button" on:click=move |_| confirm_close.set(false)>{move || i18n.t("ticket.close_keep")}</button>
                    </div>
                </div>
            })}
            // Mounted once while the ticket can be rated: a refresh of the ticket must not reset the form.
            {move || rateable.get().then(|| view! {
                <RatingForm ticket_id=id rating=rating on_saved=move |_| {
                    live.etag.set_value(None);
                    live.refresh(id, i18n.locale.get_untracked());
                }/>
            })}
            <h2>{move || i18n.t("ticket.timeline")}</h2>
            <ol class="timeline">
                {move || ticket.get().map(|t| {
                    let opened = TimelineEntry {
                        class: "event message",
                        author: t.requester.name.clone(),
                        staff: false,
                        label: None,
                        body_html: Some(t.description_html.clone()),
                        quoted_text: None,
                        attachments: t.attachments.clone(),
                        at: t.created_at,
                    };
                    std::iter::once(opened)
                        .chain(t.events.iter().map(|e| TimelineEntry::from_event(e, i18n, staff)))
                        .map(|entry| view! { <Entry entry=entry now=now/> })
                        .collect_view()
                })}
            </ol>
            {move || if closed.get() {
                let key = if !staff && requester_is_me() && reopenable() { "ticket.closed_reopen_hint" } else { "ticket.closed_hint" };
                view! { <p class="muted">{move || i18n.t(key)}</p> }.into_any()
            } else {
                view! { <ReplyBox id=id staff=staff me=me/> }.into_any()
            }}
        </section>
    }
}

fn channel_key(c: Channel) -> &'static str {
    match c {
        Channel::Portal => "channel.portal",
        Channel::Email => "channel.email",
        Channel::Phone => "channel.phone",
        Channel::Chat => "channel.chat",
        Channel::InPerson => "channel.in_person",
    }
}

struct TimelineEntry {
    class: &'static str,
    author: String,
    staff: bool,
    label: Option<String>,
    body_html: Option<String>,
    /// The history quoted in a reply by e-mail, cut from its text (staff only).
    quoted_text: Option<String>,
    attachments: Vec<Attachment>,
    at: chrono::DateTime<chrono::Utc>,
}

impl TimelineEntry {
    /// `viewer_staff`: whether staff read the timeline (statuses are named for their reader).
    fn from_event(e: &TicketEvent, i18n: crate::i18n::I18n, viewer_staff: bool) -> Self {
        let staff = matches!(e.author.role, Role::Agent | Role::Admin);
        let (class, label) = match e.kind {
            EventKind::Message => ("event message", None),
            EventKind::Note => ("event note", Some(i18n.t("ticket.note_label"))),
            EventKind::StatusChange => {
                let name = |s: Option<TicketStatus>| {
                    s.map(|s| i18n.t(&status_key(status_tag(s), viewer_staff)))
                        .unwrap_or_default()
                };
                (
                    "event status-change",
                    Some(i18n.tf(
                        "ticket.status_changed",
                        &[("from", &name(e.from)), ("to", &name(e.to))],
                    )),
                )
            }
            EventKind::PriorityChange => {
                let name = |p: Option<Priority>| {
                    p.map(|p| i18n.t(&format!("priority.{}", priority_tag(p))))
                        .unwrap_or_default()
                };
                (
                    "event status-change",
                    Some(i18n.tf(
                        "ticket.priority_changed",
                        &[
                            ("from", &name(e.from_priority)),
                            ("to", &name(e.to_priority)),
                        ],
                    )),
                )
            }
            EventKind::Assignment => (
                "event status-change",
                Some(match &e.assignee {
                    Some(a) => i18n.tf("ticket.assigned_to", &[("name", &a.name)]),
                    None => i18n.t("ticket.unassigned_event"),
                }),
            ),
            EventKind::Mail => (
                "event status-change",
                Some(match &e.mail_error {
                    None => i18n.tf(
                        "ticket.mail_sent",
                        &[("to", e.mail_to.as_deref().unwrap_or_default())],
                    ),
                    Some(error) => i18n.tf(
                        "ticket.mail_failed",
                        &[
                            ("to", e.mail_to.as_deref().unwrap_or_default()),
                            ("error", error),
                        ],
                    ),
                }),
            ),
        };
        Self {
            class,
            author: e.author.name.clone(),
            staff,
            label,
            body_html: e.body_html.clone(),
            quoted_text: e
                .quoted_text
                .clone()
                .filter(|_| crate::session::STAFF_BUILD),
            attachments: e.attachments.clone(),
            at: e.created_at,
        }
    }
}

#[component]
fn Entry(entry: TimelineEntry, now: RwSignal<chrono::DateTime<chrono::Utc>>) -> impl IntoView {
    let i18n = use_i18n();
    let at = entry.at;
    view! {
        <li class=entry.class class:from-staff=entry.staff>
            <p class="event-head">
                <strong>{entry.author}</strong>
                {entry.staff.then(|| view! { " " <span class="badge">{move || i18n.t("ticket.staff_badge")}</span> })}
                " · "
                <time datetime=time::iso(at)>{move || time::date_time_exact(at, i18n.locale.get())}</time>
                " "
                <span class="muted">{move || format!("({})", time::ago(at, now.get(), i18n.locale.get()))}</span>
            </p>
            {entry.label.map(|l| view! { <p class="event-label">{l}</p> })}
            {entry.body_html.map(|html| view! { <div class="event-body" inner_html=html></div> })}
            {entry.quoted_text.map(|text| view! {
                <details class="quoted-text">
                    <summary>{move || i18n.t("ticket.quoted_text")}</summary>
                    <pre>{text}</pre>
                </details>
            })}
            <AttachmentList files=entry.attachments/>
        </li>
    }
}

/// "First response due by 14:30", or when it was given; the same for the resolution.
#[component]
fn Targets(ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let i18n = use_i18n();
    let line = move |key: &'static str, at: chrono::DateTime<chrono::Utc>, late: bool| {
        view! {
            <li class:late=late>
                {i18n.t(key)} " "
                <time datetime=time::iso(at)>{time::date_time(at, i18n.locale.get())}</time>
                {late.then(|| view! { " " <span class="badge warn">{i18n.t("ticket.target_late")}</span> })}
            </li>
        }
    };
    move || {
        let t = ticket.get()?;
        let now = time::now();
        let active = matches!(t.status, TicketStatus::Open | TicketStatus::Pending);
        let mut items = Vec::new();
        match (t.first_responded_at, t.first_response_due_at) {
            (Some(at), due) => items.push(line(
                "ticket.first_response_at",
                at,
                due.is_some_and(|d| at > d),
            )),
            (None, Some(due)) if active => {
                items.push(line("ticket.first_response_due", due, due < now))
            }
            _ => {}
        }
        match (t.resolved_at, t.resolution_due_at) {
            (Some(at), due) => {
                items.push(line("ticket.resolved_at", at, due.is_some_and(|d| at > d)))
            }
            (None, Some(due)) if active => {
                items.push(line("ticket.resolution_due", due, due < now))
            }
            _ => {}
        }
        Some(view! {
            <section class="targets" aria-label=move || i18n.t("ticket.targets")>
                <ul class="plain-list">{items.into_iter().map(|i| i.into_any()).collect_view()}</ul>
            </section>
        })
    }
}

/// The client build has no staff controls (`staff` is never true there).
#[cfg(not(feature = "staff"))]
#[component]
fn StaffControls(
    ticket: Memo<Option<Ticket>>,
    patch: Action<TicketPatch, Result<Ticket, ApiError>>,
    me: i64,
) -> impl IntoView {
    let _ = (ticket, patch, me);
}

#[cfg(feature = "staff")]
#[component]
fn StaffControls(
    ticket: Memo<Option<Ticket>>,
    patch: Action<TicketPatch, Result<Ticket, ApiError>>,
    me: i64,
) -> impl IntoView {
    let i18n = use_i18n();
    let current_status =
        move || ticket.with(|t| t.as_ref().map(|t| status_tag(t.status)).unwrap_or("open"));
    let current_priority = move || {
        ticket.with(|t| {
            t.as_ref()
                .map(|t| priority_tag(t.priority))
                .unwrap_or("normal")
        })
    };
    let current_assignee =
        move || ticket.with(|t| t.as_ref().and_then(|t| t.assignee.as_ref()).map(|a| a.id));
    let assigned_to_me = move || current_assignee() == Some(me);
    // Anyone active on the staff can be given the ticket (the list is asked once per page).
    let agents = LocalResource::new(move || {
        let l = i18n.locale.get_untracked();
        async move { api::agents(l).await.unwrap_or_default() }
    });
    let navigate = leptos_router::hooks::use_navigate();
    // The article's category: the ticket's own when the client picked one, else the agent's choice (the
    // category's language is the article's). Asking again opens the draft already made.
    let categories = LocalResource::new(move || {
        let l = i18n.locale.get_untracked();
        async move {
            let mut all = api::categories_of(l, "pt-BR").await.unwrap_or_default();
            all.extend(api::categories_of(l, "en").await.unwrap_or_default());
            all
        }
    });
    let chosen = RwSignal::new(None::<i64>);
    let category_of_ticket = move || {
        let slug = ticket.with(|t| t.as_ref().and_then(|t| t.category.clone()))?;
        categories.with(|c| c.as_ref()?.iter().find(|c| c.slug == slug).map(|c| c.id))
    };
    let category = move || chosen.get().or_else(category_of_ticket);
    let to_article = Action::new_local(move |(id, category_id): &(i64, Option<i64>)| {
        let (id, l) = (*id, i18n.locale.get_untracked());
        let locale = category_id.and_then(|c| {
            categories.with_untracked(|all| {
                all.as_ref()?
                    .iter()
                    .find(|x| x.id == c)
                    .map(|x| x.locale.clone())
            })
        });
        let body = api_types::ArticleDraftRequest {
            category_id: *category_id,
            locale,
        };
        async move { api::article_draft_from_ticket(l, id, &body).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(article)) = to_article.value().get() {
            navigate(
                &format!("/staff/kb/articles/{}", article.slug),
                Default::default(),
            );
        }
    });
    view! {
        <div class="field">
            <label for="ticket-article-category">{move || i18n.t("ticket.article_category")}</label>
            <select id="ticket-article-category" on:change=move |ev| chosen.set(event_target_value(&ev).parse().ok())>
                <option value="" selected=move || category().is_none()>{move || i18n.t("ticket.article_category_auto")}</option>
                {move || categories.get().unwrap_or_default().into_iter().map(|c| {
                    let id = c.id;
                    let label = format!("{} ({})", c.name, c.locale);
                    view! { <option value=id.to_string() selected=move || category() == Some(id)>{label}</option> }
                }).collect_view()}
            </select>
            <button type="button" disabled=move || to_article.pending().get() on:click=move |_| {
                if let Some(id) = ticket.with_untracked(|t| t.as_ref().map(|t| t.id)) {
                    to_article.dispatch((id, category()));
                }
            }>{move || i18n.t("ticket.to_article")}</button>
            <p class="hint">{move || i18n.t("ticket.to_article_hint")}</p>
            {move || to_article.value().get().and_then(Result::err).map(|e| view! {
                <p class="error" role="alert">{error_text(i18n, &e)}</p>
            })}
        </div>
        <div class="field">
            <label for="ticket-status">{move || i18n.t("tickets.col_status")}</label>
            <select id="ticket-status" on:change=move |ev| {
                let status = match event_target_value(&ev).as_str() {
                    "pending" => TicketStatus::Pending,
                    "resolved" => TicketStatus::Resolved,
                    "closed" => TicketStatus::Closed,
                    _ => TicketStatus::Open,
                };
                patch.dispatch(TicketPatch { status: Some(status), ..Default::default() });
            }>
                {["open", "pending", "resolved", "closed"].into_iter().map(|s| view! {
                    <option value=s selected=move || current_status() == s>{move || i18n.t(&status_key(s, true))}</option>
                }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="ticket-priority-staff">{move || i18n.t("ticket.priority")}</label>
            <select id="ticket-priority-staff" on:change=move |ev| {
                let priority = match event_target_value(&ev).as_str() {
                    "low" => Priority::Low,
                    "high" => Priority::High,
                    "urgent" => Priority::Urgent,
                    _ => Priority::Normal,
                };
                patch.dispatch(TicketPatch { priority: Some(priority), ..Default::default() });
            }>
                {["low", "normal", "high", "urgent"].into_iter().map(|p| view! {
                    <option value=p selected=move || current_priority() == p>{move || i18n.t(&format!("priority.{p}"))}</option>
                }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="ticket-assignee">{move || i18n.t("ticket.assignee")}</label>
            <select id="ticket-assignee" on:change=move |ev| {
                let assignee = event_target_value(&ev).parse::<i64>().ok();
                patch.dispatch(TicketPatch { assignee_id: Some(assignee), ..Default::default() });
            }>
                <option value="" selected=move || current_assignee().is_none()>{move || i18n.t("ticket.unassigned")}</option>
                {move || agents.get().unwrap_or_default().into_iter().map(|a| {
                    let id = a.id;
                    view! { <option value=id.to_string() selected=move || current_assignee() == Some(id)>{a.name}</option> }
                }).collect_view()}
            </select>
        </div>
        {move || (!assigned_to_me()).then(|| view! {
            <button type="button" on:click=move |_| { patch.dispatch(TicketPatch { assignee_id: Some(Some(me)), ..Default::default() }); }>{move || i18n.t("ticket.assign_me")}</button>
        })}
    }
}

/// The reply box: its draft and its `Idempotency-Key` are kept in the browser until the message is sent.
#[component]
fn ReplyBox(id: i64, staff: bool, me: i64) -> impl IntoView {
    let i18n = use_i18n();
    let live = expect_context::<Live>();
    let storage_key = format!("portal.draft.reply.{me}.{id}");
    let mut draft: ReplyDraft = drafts::load(&storage_key).unwrap_or_default();
    if draft.key.is_empty() {
        draft.key = drafts::random_id();
    }
    let body = RwSignal::new(draft.body.clone());
    let internal = RwSignal::new(draft.internal && staff);
    let key = StoredValue::new(draft.key);
    let uploads = Uploads::new(draft.attachments);
    let wait_uploads = RwSignal::new(false);
    let saved_key = storage_key.clone();
    Effect::new(move |_| {
        drafts::save(
            &saved_key,
            &ReplyDraft {
                body: body.get(),
                internal: internal.get(),
                key: key.get_value(),
                attachments: uploads.done(),
            },
        );
    });
    let submit = Action::new_local(move |(message, key): &(NewMessage, String)| {
        let (message, key) = (message.clone(), key.clone());
        let locale = i18n.locale.get_untracked();
        async move { api::post_message(locale, id, &message, &key).await }
    });
    let send = move || {
        if submit.pending().get_untracked() || body.get_untracked().trim().is_empty() {
            return;
        }
        let waiting = uploads.busy() || uploads.failed();
        wait_uploads.set(waiting);
        if waiting {
            return;
        }
        submit.dispatch((
            NewMessage {
                body: body.get_untracked(),
                internal: internal.get_untracked(),
                status: None,
                attachments: uploads.ids(),
            },
            key.get_value(),
        ));
    };
    let retry_timer = Debounce::new();
    Effect::new(move |_| match submit.value().get() {
        Some(Ok(_)) => {
            key.set_value(drafts::random_id());
            body.set(String::new());
            internal.set(false);
            uploads.clear();
            drafts::clear(&storage_key);
            live.etag.set_value(None);
            live.refresh(id, i18n.locale.get_untracked());
        }
        Some(Err(ApiError::Network)) => {
            retry_timer.schedule(send, RETRY);
        }
        Some(Err(e)) if e.field("Idempotency-Key").is_some() => key.set_value(drafts::random_id()),
        _ => {}
    });
    let error =
        move || {
            submit.value().get().and_then(|r| r.err()).map(|e| {
                let text = match &e {
                    ApiError::Network => i18n.t("ticket.offline_reply"),
                    ApiError::Problem(p) if p.status == 401 => i18n.t("ticket.session_expired"),
                    e => e
                        .field("body")
                        .or_else(|| e.field("attachments"))
                        .unwrap_or_else(|| error_text(i18n, e)),
                };
                let login = (e.status() == Some(401)).then(|| view! {
                <a href=login_url(&format!("/tickets/{id}"))>{move || i18n.t("nav.sign_in")}</a>
            });
                view! { <div class="error" role="alert"><p>{text}</p>{login}</div> }
            })
        };
    view! {
        <form class="form reply" on:submit=move |ev| { ev.prevent_default(); send(); }
            on:paste=move |ev| uploads.paste(&ev, i18n.locale.get_untracked())>
            <h2>{move || i18n.t("ticket.reply_title")}</h2>
            {error}
            <div class="field">
                <label for="ticket-reply">{move || i18n.t("ticket.reply")}</label>
                <textarea id="ticket-reply" rows="5" maxlength="20000" class:internal=move || internal.get()
                    prop:value=body on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                <p class="hint">{move || i18n.t("ticket.markdown_hint")}</p>
            </div>
            <AttachmentPicker uploads=uploads id="ticket-reply-files"/>
            {move || wait_uploads.get().then(|| view! { <p class="error" role="alert">{move || i18n.t("attach.wait")}</p> })}
            {staff.then(|| view! {
                <div class="check">
                    <input id="ticket-internal" type="checkbox" prop:checked=internal
                        on:change=move |ev| internal.set(event_target_checked(&ev))/>
                    <label for="ticket-internal">{move || i18n.t("ticket.internal")}</label>
                </div>
            })}
            <button type="submit" class="primary" disabled=move || submit.pending().get()>
                {move || if internal.get() { i18n.t("ticket.send_note") } else { i18n.t("ticket.send_reply") }}
            </button>
        </form>
    }
}
