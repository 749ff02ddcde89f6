//! Tickets, their timelines, and the idempotency keys that make opening a ticket or sending a message
//! safe to retry.

use crate::db::sql::{self, Conn, Row};
use api_types::{
    Channel, EventAuthor, EventKind, OrganizationRef, PersonRef, Priority, Role, Ticket,
    TicketEvent, TicketStatus, TicketSummary,
};

use super::Repo;
use crate::db::to_time;

pub fn status_str(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::Open => "open",
        TicketStatus::Pending => "pending",
        TicketStatus::Resolved => "resolved",
        TicketStatus::Closed => "closed",
    }
}

pub fn parse_status(s: &str) -> Option<TicketStatus> {
    Some(match s {
        "open" => TicketStatus::Open,
        "pending" => TicketStatus::Pending,
        "resolved" => TicketStatus::Resolved,
        "closed" => TicketStatus::Closed,
        _ => return None,
    })
}

pub fn priority_str(p: Priority) -> &'static str {
    match p {
        Priority::Low => "low",
        Priority::Normal => "normal",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

pub fn parse_priority(s: &str) -> Option<Priority> {
    Some(match s {
        "low" => Priority::Low,
        "normal" => Priority::Normal,
        "high" => Priority::High,
        "urgent" => Priority::Urgent,
        _ => return None,
    })
}

pub fn channel_str(c: Channel) -> &'static str {
    match c {
        Channel::Portal => "portal",
        Channel::Email => "email",
        Channel::Phone => "phone",
        Channel::Chat => "chat",
        Channel::InPerson => "in_person",
    }
}

fn parse_channel(s: &str) -> Channel {
    match s {
        "email" => Channel::Email,
        "phone" => Channel::Phone,
        "chat" => Channel::Chat,
        "in_person" => Channel::InPerson,
        _ => Channel::Portal,
    }
}

fn kind_str(k: EventKind) -> &'static str {
    match k {
        EventKind::Message => "message",
        EventKind::StatusChange => "status_change",
        EventKind::Note => "note",
        EventKind::PriorityChange => "priority_change",
        EventKind::Assignment => "assignment",
        EventKind::Mail => "mail",
    }
}

fn parse_kind(s: &str) -> EventKind {
    match s {
        "status_change" => EventKind::StatusChange,
        "note" => EventKind::Note,
        "priority_change" => EventKind::PriorityChange,
        "assignment" => EventKind::Assignment,
        "mail" => EventKind::Mail,
        _ => EventKind::Message,
    }
}

fn parse_role(s: &str) -> Role {
    match s {
        "agent" => Role::Agent,
        "admin" => Role::Admin,
        _ => Role::Client,
    }
}

/// Lower case without accents, so that `emissao` finds `Emissão` (SQLite's `LIKE` folds ASCII only).
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ý' | 'ÿ' => 'y',
            c => c,
        })
        .collect()
}

/// A `LIKE` pattern that matches `text` anywhere, with its wildcards escaped (`ESCAPE '\'`).
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Which tickets a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Staff,
    /// A client's own tickets.
    Requester(i64),
    /// A manager's: the whole organization's.
    Organization(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Nobody,
    User(i64),
}

/// `GET /tickets`, once parsed.
#[derive(Debug, Clone)]
pub struct TicketFilter {
    pub viewer: Viewer,
    /// Who asks: their own resolved tickets without a rating are `awaiting_rating`.
    pub user_id: i64,
    /// Empty: every status.
    pub statuses: Vec<TicketStatus>,
    /// Folded already.
    pub q: Option<String>,
    pub priority: Option<Priority>,
    pub assignee: Option<AssigneeFilter>,
    /// Only this organization's tickets (staff's queue filter).
    pub organization: Option<i64>,
    /// Only tickets whose next target falls due before this time (or is past).
    pub due_before: Option<i64>,
    pub escalated: Option<bool>,
    /// Only tickets changed after this time.
    pub since: Option<i64>,
    /// Next due first, instead of the most recently changed first.
    pub sort_due: bool,
    pub limit: i64,
    pub offset: i64,
}

/// What the rules need to know about a ticket before changing it.
#[derive(Debug, Clone)]
pub struct TicketState {
    pub id: i64,
    pub status: TicketStatus,
    pub priority: Priority,
    pub requester_id: i64,
    pub organization_id: i64,
    pub created_at: i64,
    /// The last change a client can see (a closed ticket may be reopened for a while after it).
    pub updated_at: i64,
}

/// A ticket to store, once validated and rendered.
pub struct TicketRecord<'a> {
    pub subject: &'a str,
    pub description_md: &'a str,
    pub description_html: &'a str,
    pub status: TicketStatus,
    pub priority: Priority,
    pub channel: Channel,
    pub category: Option<&'a str>,
    pub requester_id: i64,
    pub organization_id: i64,
    pub assignee_id: Option<i64>,
    pub created_by: i64,
    pub search_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_response_due_at: i64,
    pub first_responded_at: Option<i64>,
    pub resolution_due_at: i64,
    pub resolved_at: Option<i64>,
}

/// An event to store.
pub struct EventRecord<'a> {
    pub kind: EventKind,
    pub author_id: i64,
    pub body_md: Option<&'a str>,
    pub body_html: Option<&'a str>,
    pub from: Option<TicketStatus>,
    pub to: Option<TicketStatus>,
    pub created_at: i64,
}

/// An `Idempotency-Key` of a request, with the hash of what the request asked.
pub struct IdempotencyKey<'a> {
    pub user_id: i64,
    pub key: &'a str,
    pub request_hash: &'a [u8],
    /// Keys older than this are forgotten.
    pub forget_before: i64,
}

/// What became of a request that may have been made before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done now: the new row's id.
    Done(i64),
    /// The same request was done before: what it made.
    Replay {
        ticket_id: i64,
        event_id: Option<i64>,
    },
    /// The key was used before for a different request.
    KeyReused,
    /// The ticket changed status since the caller looked: nothing was done, decide again.
    Stale,
    /// An upload to attach is no longer the caller's to attach (attached meanwhile, or removed):
    /// nothing was done.
    AttachmentsTaken,
}

/// A message or note and what it does to its ticket.
pub struct MessageRecord<'a> {
    pub ticket_id: i64,
    pub author_id: i64,
    pub internal: bool,
    pub body_md: &'a str,
    pub body_html: &'a str,
    /// The status the decision was made on; the change is refused (`Stale`) when it is no longer so.
    pub expect_status: TicketStatus,
    pub new_status: Option<TicketStatus>,
    /// A staff reply: the first one sets `first_responded_at`.
    pub first_response: bool,
    /// Uploads of the author's to attach to the message.
    pub attachments: &'a [i64],
    pub now: i64,
}

/// A change of a ticket's fields (`PATCH`); `None` leaves a field alone.
pub struct TicketChange {
    pub ticket_id: i64,
    pub actor_id: i64,
    pub expect_status: TicketStatus,
    pub status: Option<TicketStatus>,
    pub priority: Option<Priority>,
    /// New due times (first response, resolution) for a new priority.
    pub due: Option<(i64, i64)>,
    pub assignee: Option<Option<i64>>,
    pub escalated: Option<bool>,
    pub now: i64,
}

impl TicketChange {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.priority.is_none()
            && self.assignee.is_none()
            && self.escalated.is_none()
    }
}

/// The next service target of an active ticket: the first response while none was given, else resolution.
const DUE: &str = "(CASE WHEN t.status IN ('open', 'pending') THEN \
     CASE WHEN t.first_responded_at IS NULL AND t.first_response_due_at < t.resolution_due_at \
     THEN t.first_response_due_at ELSE t.resolution_due_at END END)";

const JOINS: &str = "FROM tickets t JOIN users r ON r.id = t.requester_id \
     JOIN organizations o ON o.id = t.organization_id LEFT JOIN users a ON a.id = t.assignee_id";

fn summary_columns() -> String {
    format!(
        "t.id, t.subject, t.status, t.priority, t.channel, t.created_at, t.updated_at, t.staff_updated_at, \
         t.escalated, r.id AS requester_id, r.name AS requester_name, o.id AS org_id, o.name AS org_name, \
         a.id AS assignee_id, a.name AS assignee_name, {DUE} AS due_at, \
         EXISTS (SELECT 1 FROM ticket_ratings tr WHERE tr.ticket_id = t.id) AS rated"
    )
}

/// `resolved_at` follows the status: set on entering `resolved` or `closed` (kept if already set), cleared
/// when the ticket becomes active again. `?1` is the new status (or NULL), `?2` the time.
const RESOLVED_AT: &str = "resolved_at = CASE WHEN ?1 IN ('resolved', 'closed') THEN COALESCE(resolved_at, ?2) \
     WHEN ?1 IN ('open', 'pending') THEN NULL ELSE resolved_at END";

/// `viewer`: who asks, for `awaiting_rating` (`None`: nobody's view in particular).
fn summary_from_row(r: &Row, staff: bool, viewer: Option<i64>) -> TicketSummary {
    let assignee: Option<i64> = r.get("assignee_id");
    let status = parse_status(r.get::<&str, _>("status")).unwrap_or(TicketStatus::Open);
    let awaiting_rating = viewer == Some(r.get("requester_id"))
        && matches!(status, TicketStatus::Resolved | TicketStatus::Closed)
        && !r.get::<bool, _>("rated");
    TicketSummary {
        id: r.get("id"),
        subject: r.get("subject"),
        status,
        priority: parse_priority(r.get::<&str, _>("priority")).unwrap_or(Priority::Normal),
        channel: parse_channel(r.get::<&str, _>("channel")),
        requester: PersonRef {
            id: r.get("requester_id"),
            name: r.get("requester_name"),
            organization: Some(OrganizationRef {
                id: r.get("org_id"),
                name: r.get("org_name"),
            }),
        },
        assignee: assignee.map(|id| PersonRef {
            id,
            name: r.get("assignee_name"),
            organization: None,
        }),
        created_at: to_time(r.get("created_at")),
        updated_at: to_time(r.get(if staff {
            "staff_updated_at"
        } else {
            "updated_at"
        })),
        escalated: r.flag("escalated"),
        due_at: r.get::<Option<i64>, _>("due_at").map(to_time),
        awaiting_rating,
    }
}

fn event_from_row(r: &Row) -> TicketEvent {
    TicketEvent {
        id: r.get("id"),
        kind: parse_kind(r.get::<&str, _>("kind")),
        author: EventAuthor {
            id: r.get("author_id"),
            name: r.get("author_name"),
            role: parse_role(r.get::<&str, _>("author_role")),
        },
        body_html: r.get("body_html"),
        from: r
            .get::<Option<&str>, _>("from_status")
            .and_then(parse_status),
        to: r.get::<Option<&str>, _>("to_status").and_then(parse_status),
        from_priority: r
            .get::<Option<&str>, _>("from_priority")
            .and_then(parse_priority),
        to_priority: r
            .get::<Option<&str>, _>("to_priority")
            .and_then(parse_priority),
        assignee: r
            .get::<Option<i64>, _>("event_assignee_id")
            .map(|id| PersonRef {
                id,
                name: r.get("event_assignee_name"),
                organization: None,
            }),
        mail_to: r.get("mail_to"),
        mail_error: r.get("mail_error"),
        quoted_text: r.get("quoted_text"),
        created_at: to_time(r.get("created_at")),
        attachments: Vec::new(),
    }
}

const EVENT_COLUMNS: &str = "e.id, e.kind, e.body_html, e.from_status, e.to_status, e.from_priority, \
     e.to_priority, e.mail_to, e.mail_error, e.quoted_text, e.created_at, u.id AS author_id, u.name AS author_name, u.role AS author_role, \
     ea.id AS event_assignee_id, ea.name AS event_assignee_name";

/// The events' table with their authors and, for assignments, the new assignee.
const EVENT_JOINS: &str = "FROM ticket_events e JOIN users u ON u.id = e.author_id LEFT JOIN users ea ON ea.id = e.assignee_id";

/// The kinds of event a client may see: not notes, not the staff's priority and assignment changes, not
/// the record of notification e-mails (`mail`).
const CLIENT_KINDS: &str = "e.kind IN ('message', 'status_change')";

fn push_filters(qb: &mut sql::Builder, f: &TicketFilter, staff_time: &str) {
    qb.push(" WHERE 1 = 1");
    match f.viewer {
        Viewer::Staff => {}
        Viewer::Requester(id) => {
            qb.push(" AND t.requester_id = ").push_bind(id);
        }
        Viewer::Organization(id) => {
            qb.push(" AND t.organization_id = ").push_bind(id);
        }
    }
    if !f.statuses.is_empty() {
        qb.push(" AND t.status IN ");
        qb.push_list(f.statuses.iter().map(|s| status_str(*s)));
    }
    if let Some(q) = &f.q {
        let pattern = contains_pattern(q);
        // Clients search what they can read: notes only for staff.
        let kinds = if f.viewer == Viewer::Staff {
            "('message', 'note')"
        } else {
            "('message')"
        };
        qb.push(" AND (t.search_text LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind IN ")
            .push(kinds)
            .push(" AND e.search_text LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\'))");
    }
    if let Some(p) = f.priority {
        qb.push(" AND t.priority = ").push_bind(priority_str(p));
    }
    match f.assignee {
        None => {}
        Some(AssigneeFilter::Nobody) => {
            qb.push(" AND t.assignee_id IS NULL");
        }
        Some(AssigneeFilter::User(id)) => {
            qb.push(" AND t.assignee_id = ").push_bind(id);
        }
    }
    if let Some(id) = f.organization {
        qb.push(" AND t.organization_id = ").push_bind(id);
    }
    if let Some(before) = f.due_before {
        qb.push(format!(" AND {DUE} <= ")).push_bind(before);
    }
    if let Some(e) = f.escalated {
        qb.push(" AND t.escalated = ").push_bind(i64::from(e));
    }
    if let Some(since) = f.since {
        qb.push(format!(" AND {staff_time} > ")).push_bind(since);
    }
}

/// Takes the key for this request, or says what an earlier request with it did. Runs first in its
/// transaction: the statements here are writes, so the transaction holds SQLite's write lock from its
/// start, and a concurrent request with the same key waits for this one to commit, then sees its row.
async fn claim(
    conn: &mut Conn,
    key: &IdempotencyKey<'_>,
    now: i64,
) -> sqlx::Result<Option<Outcome>> {
    sql::query("DELETE FROM idempotency_keys WHERE created_at < ?")
        .bind(key.forget_before)
        .execute(&mut *conn)
        .await?;
    let taken = sql::query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (user_id, key) DO NOTHING",
    )
    .bind(key.user_id)
    .bind(key.key)
    .bind(key.request_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if taken {
        return Ok(None);
    }
    let row = sql::query(
        "SELECT request_hash, ticket_id, event_id FROM idempotency_keys WHERE user_id = ? AND key = ?",
    )
    .bind(key.user_id)
    .bind(key.key)
    .fetch_one(&mut *conn)
    .await?;
    let hash: Vec<u8> = row.get("request_hash");
    let ticket_id: Option<i64> = row.get("ticket_id");
    Ok(Some(match ticket_id {
        Some(ticket_id) if hash == key.request_hash => Outcome::Replay {
            ticket_id,
            event_id: row.get("event_id"),
        },
        _ => Outcome::KeyReused,
    }))
}

async fn record_key(
    conn: &mut Conn,
    key: Option<&IdempotencyKey<'_>>,
    ticket_id: i64,
    event_id: Option<i64>,
) -> sqlx::Result<()> {
    if let Some(key) = key {
        sql::query(
            "UPDATE idempotency_keys SET ticket_id = ?, event_id = ? WHERE user_id = ? AND key = ?",
        )
        .bind(ticket_id)
        .bind(event_id)
        .bind(key.user_id)
        .bind(key.key)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn insert_ticket(conn: &mut Conn, t: &TicketRecord<'_>) -> sqlx::Result<i64> {
    let search_text = fold(&format!("{}\n{}", t.subject, t.description_md));
    sql::query_scalar(
        "INSERT INTO tickets (subject, description_md, description_html, status, priority, channel, category, \
         requester_id, organization_id, assignee_id, created_by, created_at, updated_at, staff_updated_at, \
         first_response_due_at, first_responded_at, resolution_due_at, resolved_at, search_id, search_text) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(t.subject.trim())
    .bind(t.description_md)
    .bind(t.description_html)
    .bind(status_str(t.status))
    .bind(priority_str(t.priority))
    .bind(channel_str(t.channel))
    .bind(t.category)
    .bind(t.requester_id)
    .bind(t.organization_id)
    .bind(t.assignee_id)
    .bind(t.created_by)
    .bind(t.created_at)
    .bind(t.updated_at)
    .bind(t.updated_at)
    .bind(t.first_response_due_at)
    .bind(t.first_responded_at)
    .bind(t.resolution_due_at)
    .bind(t.resolved_at)
    .bind(t.search_id)
    .bind(search_text)
    .fetch_one(&mut *conn)
    .await
}

/// Stores an event and, in the same transaction, the notification e-mails it causes (`outbox`): a
/// committed event always has its notifications, and a rolled-back one none.
async fn insert_event(conn: &mut Conn, ticket_id: i64, e: &EventRecord<'_>) -> sqlx::Result<i64> {
    let id = insert_event_only(conn, ticket_id, e).await?;
    let notice = match (e.kind, e.to) {
        (EventKind::Message, _) => Some(super::outbox::Notice::Reply),
        (EventKind::StatusChange, Some(TicketStatus::Resolved)) => {
            Some(super::outbox::Notice::Resolved)
        }
        (EventKind::StatusChange, _) => Some(super::outbox::Notice::StatusChange),
        // Notes are internal, and the other kinds are staff's own record.
        _ => None,
    };
    if let Some(notice) = notice {
        super::outbox::enqueue(conn, ticket_id, Some(id), notice, e.author_id, e.created_at)
            .await?;
    }
    Ok(id)
}

/// Stores an event without notifying anyone (imported history: the demo data).
async fn insert_event_only(
    conn: &mut Conn,
    ticket_id: i64,
    e: &EventRecord<'_>,
) -> sqlx::Result<i64> {
    sql::query_scalar(
        "INSERT INTO ticket_events (ticket_id, kind, author_id, body_md, body_html, search_text, from_status, \
         to_status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(ticket_id)
    .bind(kind_str(e.kind))
    .bind(e.author_id)
    .bind(e.body_md)
    .bind(e.body_html)
    .bind(e.body_md.map(fold))
    .bind(e.from.map(status_str))
    .bind(e.to.map(status_str))
    .bind(e.created_at)
    .fetch_one(&mut *conn)
    .await
}

/// What the rules need of a ticket, read on `conn` (inside a writing transaction: as it is there).
pub(crate) async fn ticket_state_in(conn: &mut Conn, id: i64) -> sqlx::Result<Option<TicketState>> {
    let row = sql::query(
        "SELECT id, status, priority, requester_id, organization_id, created_at, updated_at FROM tickets \
         WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| TicketState {
        id: r.get("id"),
        status: parse_status(r.get::<&str, _>("status")).unwrap_or(TicketStatus::Open),
        priority: parse_priority(r.get::<&str, _>("priority")).unwrap_or(Priority::Normal),
        requester_id: r.get("requester_id"),
        organization_id: r.get("organization_id"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }))
}

impl Repo {
    /// Opens a ticket with the creator's uploads `attachments` on its description; with a key, at most
    /// once per key.
    pub async fn create_ticket(
        &self,
        t: &TicketRecord<'_>,
        key: Option<&IdempotencyKey<'_>>,
        attachments: &[i64],
    ) -> sqlx::Result<Outcome> {
        let mut tx = self.pool.begin_write().await?;
        if let Some(k) = key
            && let Some(earlier) = claim(&mut tx, k, t.created_at).await?
        {
            return Ok(earlier);
        }
        let id = insert_ticket(&mut tx, t).await?;
        if !super::attachments::attach(&mut tx, t.created_by, attachments, id, None, t.created_at)
            .await?
        {
            return Ok(Outcome::AttachmentsTaken);
        }
        // A client who opens their own ticket in the portal sees it there; one who wrote an e-mail is
        // answered that it was received, with its number: nobody (id 0) is left out as the author.
        let self_by_mail = t.channel == Channel::Email && t.created_by == t.requester_id;
        super::outbox::enqueue(
            &mut tx,
            id,
            None,
            super::outbox::Notice::TicketCreated,
            if self_by_mail { 0 } else { t.created_by },
            t.created_at,
        )
        .await?;
        record_key(&mut tx, key, id, None).await?;
        tx.commit().await?;
        Ok(Outcome::Done(id))
    }

    /// Stores a whole ticket with its timeline as it is (the demo data).
    pub async fn import_ticket(
        &self,
        t: &TicketRecord<'_>,
        events: &[EventRecord<'_>],
        escalated: bool,
    ) -> sqlx::Result<i64> {
        let mut tx = self.pool.begin_write().await?;
        let id = insert_ticket(&mut tx, t).await?;
        let mut last = t.updated_at;
        for e in events {
            insert_event_only(&mut tx, id, e).await?;
            last = last.max(e.created_at);
        }
        sql::query("UPDATE tickets SET staff_updated_at = ?, escalated = ? WHERE id = ?")
            .bind(last)
            .bind(i64::from(escalated))
            .bind(id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn ticket_count(&self) -> sqlx::Result<i64> {
        sql::query_scalar("SELECT COUNT(*) FROM tickets")
            .fetch_one(&self.pool)
            .await
    }

    /// What an earlier request with this key made, if it was the same request.
    pub async fn idempotent_outcome(
        &self,
        key: &IdempotencyKey<'_>,
    ) -> sqlx::Result<Option<Outcome>> {
        let row = sql::query(
            "SELECT request_hash, ticket_id, event_id FROM idempotency_keys \
             WHERE user_id = ? AND key = ? AND created_at >= ?",
        )
        .bind(key.user_id)
        .bind(key.key)
        .bind(key.forget_before)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| {
            let hash: Vec<u8> = row.get("request_hash");
            match row.get::<Option<i64>, _>("ticket_id") {
                Some(ticket_id) if hash == key.request_hash => Outcome::Replay {
                    ticket_id,
                    event_id: row.get("event_id"),
                },
                _ => Outcome::KeyReused,
            }
        }))
    }

    pub async fn ticket_state(&self, id: i64) -> sqlx::Result<Option<TicketState>> {
        let mut conn = self.pool.acquire().await?;
        ticket_state_in(&mut conn, id).await
    }

    /// A ticket with its timeline; `staff` sees internal notes and every change's time.
    pub async fn ticket(&self, id: i64, staff: bool) -> sqlx::Result<Option<Ticket>> {
        let sql = format!(
            "SELECT {}, t.description_md, t.description_html, t.category, t.first_response_due_at, \
             t.first_responded_at, t.resolution_due_at, t.resolved_at {JOINS} WHERE t.id = ?",
            summary_columns()
        );
        let Some(row) = sql::query(&sql).bind(id).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let s = summary_from_row(&row, staff, None);
        // By event: a note's files go with the note, so they are left out with it.
        let mut files = self.ticket_attachments(id).await?;
        let events = sql::query(&format!(
            "SELECT {EVENT_COLUMNS} {EVENT_JOINS} WHERE e.ticket_id = ? AND (? OR {CLIENT_KINDS}) ORDER BY e.id"
        ))
        .bind(id)
        .bind(staff)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(Ticket {
            id: s.id,
            subject: s.subject,
            status: s.status,
            priority: s.priority,
            channel: s.channel,
            requester: s.requester,
            assignee: s.assignee,
            created_at: s.created_at,
            updated_at: s.updated_at,
            description: row.get("description_md"),
            description_html: row.get("description_html"),
            category: row.get("category"),
            first_response_due_at: row
                .get::<Option<i64>, _>("first_response_due_at")
                .map(to_time),
            first_responded_at: row.get::<Option<i64>, _>("first_responded_at").map(to_time),
            resolution_due_at: row.get::<Option<i64>, _>("resolution_due_at").map(to_time),
            resolved_at: row.get::<Option<i64>, _>("resolved_at").map(to_time),
            escalated: s.escalated,
            rating: self.rating(id).await?,
            events: events
                .iter()
                .map(|r| {
                    let mut e = event_from_row(r);
                    // The quoted history of a mail is for staff ("show quoted text").
                    if !staff {
                        e.quoted_text = None;
                    }
                    e.attachments = files.remove(&Some(e.id)).unwrap_or_default();
                    e
                })
                .collect(),
            attachments: files.remove(&None).unwrap_or_default(),
        }))
    }

    pub async fn ticket_event(&self, id: i64) -> sqlx::Result<Option<TicketEvent>> {
        let row = sql::query(&format!(
            "SELECT {EVENT_COLUMNS}, e.ticket_id {EVENT_JOINS} WHERE e.id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut event = event_from_row(&row);
        let ticket_id: i64 = row.get("ticket_id");
        event.attachments = self
            .ticket_attachments(ticket_id)
            .await?
            .remove(&Some(event.id))
            .unwrap_or_default();
        Ok(Some(event))
    }

    /// A page of tickets and how many match in all.
    pub async fn tickets(&self, f: &TicketFilter) -> sqlx::Result<(Vec<TicketSummary>, i64)> {
        let staff = f.viewer == Viewer::Staff;
        let time = if staff {
            "t.staff_updated_at"
        } else {
            "t.updated_at"
        };
        let mut count = sql::Builder::new("SELECT COUNT(*) FROM tickets t");
        push_filters(&mut count, f, time);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;

        let mut qb = sql::Builder::new(format!("SELECT {} {JOINS}", summary_columns()));
        push_filters(&mut qb, f, time);
        if f.sort_due {
            qb.push(format!(" ORDER BY {DUE} IS NULL, {DUE}, t.id"));
        } else {
            qb.push(format!(" ORDER BY {time} DESC, t.id DESC"));
        }
        qb.push(" LIMIT ")
            .push_bind(f.limit)
            .push(" OFFSET ")
            .push_bind(f.offset);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok((
            rows.iter()
                .map(|r| summary_from_row(r, staff, Some(f.user_id)))
                .collect(),
            total,
        ))
    }

    /// Adds a message or note, with the status change it brings, at most once per key.
    pub async fn add_message(
        &self,
        m: &MessageRecord<'_>,
        key: Option<&IdempotencyKey<'_>>,
    ) -> sqlx::Result<Outcome> {
        let mut tx = self.pool.begin_write().await?;
        if let Some(k) = key
            && let Some(earlier) = claim(&mut tx, k, m.now).await?
        {
            return Ok(earlier);
        }
        let sql = format!(
            "UPDATE tickets SET status = COALESCE(?1, status), {RESOLVED_AT}, \
             first_responded_at = CASE WHEN ?3 THEN COALESCE(first_responded_at, ?2) ELSE first_responded_at END, \
             updated_at = CASE WHEN ?4 THEN updated_at ELSE ?2 END, staff_updated_at = ?2 \
             WHERE id = ?5 AND status = ?6"
        );
        let changed = sql::query(&sql)
            .bind(m.new_status.map(status_str))
            .bind(m.now)
            .bind(m.first_response)
            .bind(m.internal)
            .bind(m.ticket_id)
            .bind(status_str(m.expect_status))
            .execute(&mut tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Ok(Outcome::Stale);
        }
        let event = EventRecord {
            kind: if m.internal {
                EventKind::Note
            } else {
                EventKind::Message
            },
            author_id: m.author_id,
            body_md: Some(m.body_md),
            body_html: Some(m.body_html),
            from: None,
            to: None,
            created_at: m.now,
        };
        let event_id = insert_event(&mut tx, m.ticket_id, &event).await?;
        if !super::attachments::attach(
            &mut tx,
            m.author_id,
            m.attachments,
            m.ticket_id,
            Some(event_id),
            m.now,
        )
        .await?
        {
            return Ok(Outcome::AttachmentsTaken);
        }
        if let Some(to) = m.new_status {
            let change = EventRecord {
                kind: EventKind::StatusChange,
                author_id: m.author_id,
                body_md: None,
                body_html: None,
                from: Some(m.expect_status),
                to: Some(to),
                created_at: m.now,
            };
            insert_event(&mut tx, m.ticket_id, &change).await?;
        }
        record_key(&mut tx, key, m.ticket_id, Some(event_id)).await?;
        tx.commit().await?;
        Ok(Outcome::Done(event_id))
    }

    /// Applies a change; `false` when the ticket's status is no longer `expect_status` (decide again).
    pub async fn update_ticket(&self, c: &TicketChange) -> sqlx::Result<bool> {
        let mut tx = self.pool.begin_write().await?;
        // What the priority and the assignee were, for staff's timeline (read in the writing transaction).
        let Some((old_priority, old_assignee)) = sql::query_as::<(String, Option<i64>)>(
            "SELECT priority, assignee_id FROM tickets WHERE id = ?",
        )
        .bind(c.ticket_id)
        .fetch_optional(&mut tx)
        .await?
        else {
            return Ok(false);
        };
        let sql = format!(
            "UPDATE tickets SET status = COALESCE(?1, status), {RESOLVED_AT}, priority = COALESCE(?3, priority), \
             first_response_due_at = COALESCE(?4, first_response_due_at), \
             resolution_due_at = COALESCE(?5, resolution_due_at), \
             assignee_id = CASE WHEN ?6 THEN ?7 ELSE assignee_id END, escalated = COALESCE(?8, escalated), \
             updated_at = ?2, staff_updated_at = ?2 WHERE id = ?9 AND status = ?10"
        );
        let changed = sql::query(&sql)
            .bind(c.status.map(status_str))
            .bind(c.now)
            .bind(c.priority.map(priority_str))
            .bind(c.due.map(|d| d.0))
            .bind(c.due.map(|d| d.1))
            .bind(c.assignee.is_some())
            .bind(c.assignee.flatten())
            .bind(c.escalated.map(i64::from))
            .bind(c.ticket_id)
            .bind(status_str(c.expect_status))
            .execute(&mut tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        if let Some(to) = c.status {
            let change = EventRecord {
                kind: EventKind::StatusChange,
                author_id: c.actor_id,
                body_md: None,
                body_html: None,
                from: Some(c.expect_status),
                to: Some(to),
                created_at: c.now,
            };
            insert_event(&mut tx, c.ticket_id, &change).await?;
        }
        let old_priority = parse_priority(&old_priority);
        if let Some(to) = c.priority.filter(|p| Some(*p) != old_priority) {
            sql::query(
                "INSERT INTO ticket_events (ticket_id, kind, author_id, from_priority, to_priority, created_at) \
                 VALUES (?, 'priority_change', ?, ?, ?, ?)",
            )
            .bind(c.ticket_id)
            .bind(c.actor_id)
            .bind(old_priority.map(priority_str))
            .bind(priority_str(to))
            .bind(c.now)
            .execute(&mut tx)
            .await?;
        }
        if let Some(to) = c.assignee.filter(|a| *a != old_assignee) {
            sql::query(
                "INSERT INTO ticket_events (ticket_id, kind, author_id, assignee_id, created_at) \
                 VALUES (?, 'assignment', ?, ?, ?)",
            )
            .bind(c.ticket_id)
            .bind(c.actor_id)
            .bind(to)
            .bind(c.now)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// What a knowledge-base draft is made of; `None` when there is no such ticket.
    pub async fn ticket_for_article(&self, id: i64) -> sqlx::Result<Option<TicketForArticle>> {
        let Some(row) = sql::query(
            "SELECT t.subject, t.description_md, t.category, t.article_id, r.locale FROM tickets t \
             JOIN users r ON r.id = t.requester_id WHERE t.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        // Messages only: a note is internal and the article may be published.
        let answers = sql::query_scalar(
            "SELECT e.body_md FROM ticket_events e JOIN users u ON u.id = e.author_id \
             WHERE e.ticket_id = ? AND e.kind = 'message' AND u.role IN ('agent', 'admin') \
             AND e.body_md IS NOT NULL ORDER BY e.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(TicketForArticle {
            subject: row.get("subject"),
            question_md: row.get("description_md"),
            requester_locale: row.get("locale"),
            category: row.get("category"),
            article_id: row.get("article_id"),
            answers_md: answers,
        }))
    }

    /// Links a ticket to the article made from it, unless it already has one; answers whether it did.
    pub async fn link_ticket_article(&self, ticket: i64, article: i64) -> sqlx::Result<bool> {
        let done =
            sql::query("UPDATE tickets SET article_id = ? WHERE id = ? AND article_id IS NULL")
                .bind(article)
                .bind(ticket)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// A ticket as a knowledge-base draft needs it.
pub struct TicketForArticle {
    pub subject: String,
    /// The ticket's description: the question that opened it.
    pub question_md: String,
    pub requester_locale: String,
    /// The knowledge-base category slug the client picked, if any.
    pub category: Option<String>,
    /// The article already made from this ticket.
    pub article_id: Option<i64>,
    /// The public messages written by staff, oldest first; never internal notes.
    pub answers_md: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(
            fold("Emissão de NFC-e NÃO funciona"),
            "emissao de nfc-e nao funciona"
        );
        assert_eq!(fold("Ação"), "acao");
    }

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
