//! The ticket rules, in one place: who may open a ticket, see it, answer it, change it and rate it, and
//! the operations that apply them; and who may invite whom. The HTTP routes, incoming e-mail and the
//! command line all call these with the acting user; none of them decides a rule itself.
//!
//! The status rules:
//! - A client's message on a `pending` or `resolved` ticket moves it back to `open`; on a `closed` ticket it
//!   is refused (409): closed is final, the client opens a new ticket.
//! - A staff reply (not a note) on an `open` ticket moves it to `pending` (waiting on the client) unless the
//!   reply names another `status`; the first staff reply sets `first_responded_at`. Notes change nothing a
//!   client can see, not even `updated_at`.
//! - Clients may close their own ticket, or reopen their own `resolved` ticket, or a `closed` one within
//!   `REOPEN_WINDOW_MS` of its last change (a close clicked by mistake); `pending`/`resolved` are staff's to
//!   set (403), and an older closed ticket cannot be reopened (409). Staff may set anything.
//! - `resolved_at` is set on entering `resolved` or `closed` and cleared when the ticket is active again.
//!
//! Who sees what: staff every ticket; a client their own; an organization's manager every ticket of the
//! organization. A ticket one may not see is 404, so nothing tells that it exists.

use api_types::{
    Channel, NewMessage, NewRating, NewTicket, OrgRole, Priority, Role, TicketPatch, TicketRating,
    TicketStatus, User,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    AppState,
    db::{now_ms, to_time},
    error::{Error, Invalid, Result, Validator},
    lang::Lang,
    markdown,
    repo::ratings::{RateOutcome, RatingRecord},
    repo::tickets::{
        IdempotencyKey, MessageRecord, Outcome, TicketChange, TicketRecord, TicketState, Viewer,
    },
    routes::attachments::{check_uploads, uploads_gone},
};

pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 20_000;
pub const CATEGORY_MAX: usize = 80;
pub const RATING_COMMENT_MAX: usize = 2000;
/// How long an `Idempotency-Key` is remembered: 48 hours.
pub const KEY_RETENTION_MS: i64 = 48 * 3600 * 1000;
/// How often a change is decided again when the ticket moved under it.
const ATTEMPTS: usize = 5;

fn custom(pt: &str, en: &str) -> Invalid {
    Invalid::Custom {
        pt: pt.into(),
        en: en.into(),
    }
}

/// A 409 whose detail speaks the request's language.
fn conflict(pt: &str, en: &str) -> Error {
    Error::Conflict(match Lang::current() {
        Lang::PtBr => pt.into(),
        Lang::En => en.into(),
    })
}

fn closed_is_final() -> Error {
    conflict(
        "Este chamado está encerrado. Abra um novo chamado e, se quiser, cite o número deste.",
        "This ticket is closed. Open a new ticket, mentioning this one's number if you like.",
    )
}

fn key_reused() -> Error {
    Error::invalid(
        "Idempotency-Key",
        custom(
            "Esta chave de idempotência já foi usada para um pedido diferente. Use uma chave nova para um pedido novo.",
            "This Idempotency-Key was already used for a different request. Use a new key for a new request.",
        ),
    )
}

/// What a request asked, for comparing a retry with the original: the operation and its input.
fn request_hash(operation: &str, body: &impl Serialize) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(operation.as_bytes());
    h.update(b"\n");
    h.update(serde_json::to_vec(body).unwrap_or_default());
    h.finalize().to_vec()
}

fn key_for<'a>(user: &User, key: &'a str, hash: &'a [u8], now: i64) -> IdempotencyKey<'a> {
    IdempotencyKey {
        user_id: user.id,
        key,
        request_hash: hash,
        forget_before: now - KEY_RETENTION_MS,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Seeing

/// Whether `user` may see a ticket: staff all, a manager the organization's, a member their own.
pub fn can_see(u: &User, t: &TicketState) -> bool {
    u.role.is_staff()
        || t.requester_id == u.id
        || (u.org_role == Some(OrgRole::Manager)
            && u.organization
                .as_ref()
                .is_some_and(|o| o.id == t.organization_id))
}

/// The ticket if `user` may see it; 404 otherwise, so nothing tells that it exists.
pub async fn visible(state: &AppState, user: &User, id: i64) -> Result<TicketState> {
    state
        .repo
        .ticket_state(id)
        .await?
        .filter(|t| can_see(user, t))
        .ok_or(Error::NotFound)
}

/// Whether `u` may see a message of a ticket they may see: internal notes (and their files) are staff's.
pub fn may_see_message(u: &User, internal: bool) -> bool {
    !internal || u.role.is_staff()
}

/// Which tickets `user` lists: staff all, a manager the organization's (unless `mine`), a member their own.
pub fn list_scope(u: &User, mine: bool) -> Viewer {
    match (&u.organization, u.org_role) {
        _ if u.role.is_staff() => Viewer::Staff,
        (Some(org), Some(OrgRole::Manager)) if !mine => Viewer::Organization(org.id),
        _ => Viewer::Requester(u.id),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Invitations

/// Whether `actor` may invite an account of `role` (or invite it again): admins anyone, agents clients
/// only (a client added while a ticket taken by phone is logged), clients nobody.
pub fn may_invite(actor: &User, role: Role) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Agent => role == Role::Client,
        Role::Client => false,
    }
}

/// Whether `actor` may send `target` a new invitation: 403 when they may not invite that role, 409
/// when the account is no longer invited (its owner chose a password) or is disabled.
pub fn reinvite(actor: &User, target: &User) -> Result<()> {
    if !may_invite(actor, target.role) {
        return Err(Error::Forbidden);
    }
    if target.disabled {
        return Err(conflict(
            "Esta conta está desativada: reative-a antes de convidar de novo.",
            "This account is disabled: enable it before inviting again.",
        ));
    }
    if !target.invited {
        return Err(conflict(
            "Esta pessoa já aceitou o convite e escolheu a sua senha; se a esqueceu, ela pode usar \"Esqueci minha senha\".",
            "This person accepted the invitation and chose a password already; if it is lost, they can use \"Forgot my password\".",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Status

/// The status a message leaves the ticket in (`None`: unchanged).
pub fn status_after_message(
    current: TicketStatus,
    staff: bool,
    internal: bool,
    requested: Option<TicketStatus>,
) -> Result<Option<TicketStatus>> {
    use TicketStatus::*;
    if !staff {
        if internal || requested.is_some() {
            return Err(Error::Forbidden);
        }
        return match current {
            Open => Ok(None),
            Pending | Resolved => Ok(Some(Open)),
            Closed => Err(closed_is_final()),
        };
    }
    let target = requested.or((!internal && current == Open).then_some(Pending));
    Ok(target.filter(|s| *s != current))
}

/// How long after its last change a client may still reopen a closed ticket: 7 days.
pub const REOPEN_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// The status a client may set (`None`: no change). `reopenable`: a closed ticket still within its
/// reopening window.
pub fn client_status_change(
    current: TicketStatus,
    wanted: TicketStatus,
    is_requester: bool,
    reopenable: bool,
) -> Result<Option<TicketStatus>> {
    use TicketStatus::*;
    if wanted == current {
        return Ok(None);
    }
    if !is_requester {
        return Err(Error::Forbidden);
    }
    match (current, wanted) {
        (_, Closed) => Ok(Some(Closed)),
        (Resolved, Open) => Ok(Some(Open)),
        (Closed, Open) if reopenable => Ok(Some(Open)),
        (Closed, Open) => Err(closed_is_final()),
        (_, Open) => Err(conflict(
            "Para devolver o chamado ao suporte, envie uma mensagem.",
            "To hand the ticket back to support, send a message.",
        )),
        (_, Pending | Resolved) => Err(Error::Forbidden),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Operations

/// What came of an operation that may be a retry: its result, and whether it only repeated what an
/// earlier request with the same idempotency key already did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done<T> {
    pub value: T,
    pub replayed: bool,
}

/// Opens a ticket for `actor`. A client's ticket is their own, in their organization, through the portal;
/// staff log a ticket taken elsewhere (the phone, e-mail) on an active client's behalf, saying how it
/// came. `key`: an idempotency key; a retry with the same key and input answers the same ticket.
pub async fn open(
    state: &AppState,
    actor: &User,
    body: &NewTicket,
    key: Option<&str>,
) -> Result<Done<i64>> {
    open_via(state, actor, body, key, false).await
}

/// Opens a ticket for a client who wrote to the support address (`inbound`): the same rules as
/// `open`, but the ticket's channel is `email`.
pub async fn open_by_mail(
    state: &AppState,
    actor: &User,
    body: &NewTicket,
    key: Option<&str>,
) -> Result<Done<i64>> {
    open_via(state, actor, body, key, true).await
}

async fn open_via(
    state: &AppState,
    actor: &User,
    body: &NewTicket,
    key: Option<&str>,
    by_mail: bool,
) -> Result<Done<i64>> {
    let own_channel = if by_mail && !actor.role.is_staff() {
        Channel::Email
    } else {
        Channel::Portal
    };
    let mut v = Validator::new();
    v.text("subject", &body.subject, SUBJECT_MAX);
    v.text("description", &body.description, BODY_MAX);
    let category = body
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if category.is_some_and(|c| c.chars().count() > CATEGORY_MAX) {
        v.add("category", Invalid::TooLong(CATEGORY_MAX));
    }
    let (requester, channel) = if actor.role.is_staff() {
        let requester = match body.requester_id {
            None => {
                v.add("requester_id", Invalid::Required);
                None
            }
            Some(id) => match state.repo.account_by_id(id).await? {
                Some(a) if a.user.role == Role::Client && !a.user.disabled => {
                    a.user.organization.map(|o| (id, o.id))
                }
                _ => {
                    v.add(
                        "requester_id",
                        custom("Escolha um cliente ativo.", "Choose an active client."),
                    );
                    None
                }
            },
        };
        if body.channel.is_none() {
            v.add("channel", Invalid::Required);
        }
        (requester, body.channel.unwrap_or(Channel::Portal))
    } else {
        // Saying explicitly that the ticket is one's own, through the portal, is fine.
        if body.requester_id.is_some_and(|id| id != actor.id) {
            v.add(
                "requester_id",
                custom(
                    "Só a equipe de suporte abre chamados em nome de outra pessoa.",
                    "Only support staff can open a ticket on someone else's behalf.",
                ),
            );
        }
        if body.channel.is_some_and(|c| c != own_channel) {
            v.add(
                "channel",
                custom(
                    "Chamados abertos no portal usam o canal portal.",
                    "Tickets opened in the portal use the portal channel.",
                ),
            );
        }
        let org = actor.organization.as_ref().map(|o| o.id);
        (org.map(|o| (actor.id, o)), own_channel)
    };
    v.finish()?;
    // A client outside any organization has nowhere to open a ticket.
    let (requester_id, organization_id) = requester.ok_or(Error::Forbidden)?;
    let files = check_uploads(state, actor, &body.attachments).await?;

    let now = now_ms();
    let priority = body.priority.unwrap_or(Priority::Normal);
    let due = state.config.sla.due(to_time(now), priority);
    let html = markdown::render(&body.description);
    let record = TicketRecord {
        subject: &body.subject,
        description_md: &body.description,
        description_html: &html,
        status: TicketStatus::Open,
        priority,
        channel,
        category,
        requester_id,
        organization_id,
        assignee_id: None,
        created_by: actor.id,
        search_id: body.search_id,
        created_at: now,
        updated_at: now,
        first_response_due_at: due.first_response.timestamp_millis(),
        first_responded_at: None,
        resolution_due_at: due.resolution.timestamp_millis(),
        resolved_at: None,
    };
    let hash = request_hash("POST /tickets", body);
    let idem = key.map(|k| key_for(actor, k, &hash, now));
    match state
        .repo
        .create_ticket(&record, idem.as_ref(), &files)
        .await?
    {
        Outcome::Done(id) => Ok(Done {
            value: id,
            replayed: false,
        }),
        Outcome::Replay { ticket_id, .. } => Ok(Done {
            value: ticket_id,
            replayed: true,
        }),
        Outcome::KeyReused => Err(key_reused()),
        Outcome::AttachmentsTaken => Err(uploads_gone()),
        Outcome::Stale => Err(Error::Internal("a new ticket cannot be stale".into())),
    }
}

/// Adds `actor`'s message (staff: a reply or an internal note) to a ticket they may see; answers the
/// new event's id. The status moves as `status_after_message` says, decided again if the ticket changed
/// meanwhile.
pub async fn reply(
    state: &AppState,
    actor: &User,
    ticket_id: i64,
    body: &NewMessage,
    key: Option<&str>,
) -> Result<Done<i64>> {
    visible(state, actor, ticket_id).await?;
    let staff = actor.role.is_staff();
    if !staff && (body.internal || body.status.is_some()) {
        return Err(Error::Forbidden);
    }
    let mut v = Validator::new();
    v.text("body", &body.body, BODY_MAX);
    v.finish()?;
    let files = check_uploads(state, actor, &body.attachments).await?;

    let hash = request_hash(&format!("POST /tickets/{ticket_id}/messages"), body);
    let html = markdown::render(&body.body);
    for _ in 0..ATTEMPTS {
        let now = now_ms();
        let idem = key.map(|k| key_for(actor, k, &hash, now));
        // A retry answers what the first attempt did, even if the ticket has moved on since.
        let earlier = match &idem {
            Some(k) => state.repo.idempotent_outcome(k).await?,
            None => None,
        };
        let outcome = match earlier {
            Some(o) => o,
            None => {
                let t = visible(state, actor, ticket_id).await?;
                let record = MessageRecord {
                    ticket_id,
                    author_id: actor.id,
                    internal: body.internal,
                    body_md: &body.body,
                    body_html: &html,
                    expect_status: t.status,
                    new_status: status_after_message(t.status, staff, body.internal, body.status)?,
                    first_response: staff && !body.internal,
                    attachments: &files,
                    now,
                };
                state.repo.add_message(&record, idem.as_ref()).await?
            }
        };
        return match outcome {
            Outcome::Done(event_id) => Ok(Done {
                value: event_id,
                replayed: false,
            }),
            Outcome::Replay {
                ticket_id: t,
                event_id: Some(event_id),
            } if t == ticket_id => Ok(Done {
                value: event_id,
                replayed: true,
            }),
            Outcome::Replay { .. } | Outcome::KeyReused => Err(key_reused()),
            Outcome::AttachmentsTaken => Err(uploads_gone()),
            Outcome::Stale => continue,
        };
    }
    Err(conflict(
        "O chamado mudou enquanto a mensagem era enviada. Tente de novo.",
        "The ticket changed while the message was being sent. Try again.",
    ))
}

/// Changes a ticket's status, priority, assignee or escalation. A client may only move the status of
/// their own ticket (`client_status_change`); staff may set anything, the assignee being active staff.
pub async fn change(
    state: &AppState,
    actor: &User,
    ticket_id: i64,
    patch: &TicketPatch,
) -> Result<()> {
    let staff = actor.role.is_staff();
    visible(state, actor, ticket_id).await?;
    if !staff
        && (patch.priority.is_some() || patch.assignee_id.is_some() || patch.escalated.is_some())
    {
        return Err(Error::Forbidden);
    }
    if let Some(Some(assignee)) = patch.assignee_id {
        let ok = state
            .repo
            .account_by_id(assignee)
            .await?
            .is_some_and(|a| a.user.role.is_staff() && !a.user.disabled);
        if !ok {
            return Err(Error::invalid(
                "assignee_id",
                custom(
                    "Escolha alguém ativo da equipe de suporte.",
                    "Choose an active member of the support staff.",
                ),
            ));
        }
    }
    for _ in 0..ATTEMPTS {
        let t = visible(state, actor, ticket_id).await?;
        let status = match patch.status {
            None => None,
            Some(wanted) if staff => Some(wanted).filter(|s| *s != t.status),
            Some(wanted) => client_status_change(
                t.status,
                wanted,
                t.requester_id == actor.id,
                now_ms() - t.updated_at < REOPEN_WINDOW_MS,
            )?,
        };
        let priority = patch.priority.filter(|p| *p != t.priority);
        let due = priority.map(|p| {
            let due = state.config.sla.due(to_time(t.created_at), p);
            (
                due.first_response.timestamp_millis(),
                due.resolution.timestamp_millis(),
            )
        });
        let change = TicketChange {
            ticket_id,
            actor_id: actor.id,
            expect_status: t.status,
            status,
            priority,
            due,
            assignee: patch.assignee_id,
            escalated: patch.escalated,
            now: now_ms(),
        };
        if change.is_empty() || state.repo.update_ticket(&change).await? {
            return Ok(());
        }
    }
    Err(conflict(
        "O chamado mudou enquanto você o alterava. Recarregue e tente de novo.",
        "The ticket changed while you were changing it. Reload and try again.",
    ))
}

/// Rates a resolved or closed ticket: its requester only, 1 to 5 with an optional comment, changeable for
/// 7 days. `replayed`: the same rating was already given.
pub async fn rate(
    state: &AppState,
    actor: &User,
    ticket_id: i64,
    body: &NewRating,
) -> Result<Done<TicketRating>> {
    let t = visible(state, actor, ticket_id).await?;
    if t.requester_id != actor.id {
        return Err(Error::Forbidden);
    }
    let mut v = Validator::new();
    let score = u8::try_from(body.score)
        .ok()
        .filter(|s| (1..=5).contains(s));
    if score.is_none() {
        v.add(
            "score",
            custom("Escolha uma nota de 1 a 5.", "Choose a score from 1 to 5."),
        );
    }
    let comment = body
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > RATING_COMMENT_MAX) {
        v.add("comment", Invalid::TooLong(RATING_COMMENT_MAX));
    }
    v.finish()?;
    let record = RatingRecord {
        ticket_id,
        requester_id: actor.id,
        score: score.unwrap_or(1),
        comment,
        now: now_ms(),
    };
    match state.repo.rate_ticket(&record).await? {
        RateOutcome::Saved(rating) => Ok(Done {
            value: rating,
            replayed: false,
        }),
        RateOutcome::Unchanged(rating) => Ok(Done {
            value: rating,
            replayed: true,
        }),
        RateOutcome::NotRatable => Err(conflict(
            "Só é possível avaliar um chamado resolvido ou encerrado.",
            "Only a resolved or closed ticket can be rated.",
        )),
        RateOutcome::Expired => Err(conflict(
            "A avaliação só pode ser alterada nos 7 dias seguintes a ela.",
            "A rating can only be changed within 7 days of giving it.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    #[test]
    fn client_messages_reopen_waiting_and_resolved_tickets() {
        assert_eq!(
            status_after_message(Open, false, false, None).unwrap(),
            None
        );
        assert_eq!(
            status_after_message(Pending, false, false, None).unwrap(),
            Some(Open)
        );
        assert_eq!(
            status_after_message(Resolved, false, false, None).unwrap(),
            Some(Open)
        );
        assert!(matches!(
            status_after_message(Closed, false, false, None),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            status_after_message(Open, false, true, None),
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            status_after_message(Open, false, false, Some(Resolved)),
            Err(Error::Forbidden)
        ));
    }

    #[test]
    fn staff_replies_wait_on_the_client_unless_told_otherwise() {
        assert_eq!(
            status_after_message(Open, true, false, None).unwrap(),
            Some(Pending)
        );
        assert_eq!(status_after_message(Open, true, true, None).unwrap(), None);
        assert_eq!(
            status_after_message(Open, true, false, Some(Open)).unwrap(),
            None
        );
        assert_eq!(
            status_after_message(Open, true, false, Some(Resolved)).unwrap(),
            Some(Resolved)
        );
        assert_eq!(
            status_after_message(Resolved, true, false, None).unwrap(),
            None
        );
    }

    #[test]
    fn clients_may_only_close_or_reopen_a_resolved_ticket() {
        assert_eq!(
            client_status_change(Open, Closed, true, false).unwrap(),
            Some(Closed)
        );
        assert_eq!(
            client_status_change(Resolved, Open, true, false).unwrap(),
            Some(Open)
        );
        assert_eq!(
            client_status_change(Open, Open, false, false).unwrap(),
            None
        );
        assert!(matches!(
            client_status_change(Open, Closed, false, false),
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            client_status_change(Open, Resolved, true, false),
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            client_status_change(Closed, Open, true, false),
            Err(Error::Conflict(_))
        ));
        assert_eq!(
            client_status_change(Closed, Open, true, true).unwrap(),
            Some(Open)
        );
        assert!(matches!(
            client_status_change(Closed, Open, false, true),
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            client_status_change(Pending, Open, true, false),
            Err(Error::Conflict(_))
        ));
    }
}
