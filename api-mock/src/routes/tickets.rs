//! Tickets: opening one (safe to retry with `Idempotency-Key`), listing them with filters and cheap
//! refreshes (`since`, ETag), the timeline, messages and internal notes, and status, priority and assignee
//! changes — with exactly who may see and do what.
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

use api_types::{
    Channel, MessagePreviewRequest, NewMessage, NewRating, NewTicket, OrgRole, Page, Preview,
    Priority, Problem, Role, Ticket, TicketEvent, TicketPatch, TicketRating, TicketStatus,
    TicketSummary,
};
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    auth::CurrentUser,
    db::{now_ms, to_time},
    error::{Error, Invalid, Result, Validator},
    extract::{Json, Path, Query},
    lang::Lang,
    markdown,
    repo::ratings::{RateOutcome, RatingRecord},
    repo::tickets::{
        AssigneeFilter, IdempotencyKey, MessageRecord, Outcome, TicketChange, TicketFilter,
        TicketRecord, TicketState, Viewer, fold, parse_priority, parse_status,
    },
    routes::Paging,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(post_message))
        .routes(routes!(preview))
        .routes(routes!(rate))
}

/// `POST /tickets/preview`: the Markdown of a ticket or a message rendered and sanitized exactly as it
/// will be shown, for the portal's preview (any signed-in user).
#[utoipa::path(post, path = "/tickets/preview", tag = "tickets", request_body = MessagePreviewRequest,
    responses((status = 200, body = Preview), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn preview(
    _user: CurrentUser,
    Json(body): Json<MessagePreviewRequest>,
) -> Result<Json<Preview>> {
    let mut v = Validator::new();
    if body.body_md.chars().count() > BODY_MAX {
        v.add("body_md", Invalid::TooLong(BODY_MAX));
    }
    v.finish()?;
    Ok(Json(Preview {
        html: markdown::render(&body.body_md),
    }))
}

pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 20_000;
pub const CATEGORY_MAX: usize = 80;
pub const QUERY_MAX: usize = 200;
pub const KEY_MAX: usize = 255;
pub const RATING_COMMENT_MAX: usize = 2000;
/// How long an `Idempotency-Key` is honoured: the contract promises at least 24 hours.
pub const KEY_RETENTION_MS: i64 = 48 * 3600 * 1000;
/// "Breaching": the next target falls due within this time, or is past.
pub const BREACHING_WITHIN_MS: i64 = 3600 * 1000;
const REPLAYED: &str = "idempotent-replayed";
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

/// The `Idempotency-Key` header: optional (without it every request acts), 1 to 255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= KEY_MAX && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(|k| Some(k.to_string()))
        .ok_or_else(|| {
            Error::invalid(
                "Idempotency-Key",
                custom(
                    "Use de 1 a 255 caracteres visíveis (por exemplo, um UUID).",
                    "Use 1 to 255 visible characters (a UUID, for instance).",
                ),
            )
        })
}

/// What a request asked, for comparing a retry with the original: the endpoint and the parsed body.
fn request_hash(endpoint: &str, body: &impl Serialize) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(endpoint.as_bytes());
    h.update(b"\n");
    h.update(serde_json::to_vec(body).unwrap_or_default());
    h.finalize().to_vec()
}

fn key_for<'a>(user: &CurrentUser, key: &'a str, hash: &'a [u8], now: i64) -> IdempotencyKey<'a> {
    IdempotencyKey {
        user_id: user.user.id,
        key,
        request_hash: hash,
        forget_before: now - KEY_RETENTION_MS,
    }
}

/// 201 with the body; a replayed request says so in `Idempotent-Replayed`.
fn created<T: Serialize>(value: T, replayed: bool) -> Response {
    let mut response = (StatusCode::CREATED, Json(value)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// Answers JSON with a weak ETag made from the body, or 304 when the client already has it. The body is
/// the caller's own view (notes filtered), so the tag never tells one reader about another's data.
fn with_etag<T: Serialize>(request: &HeaderMap, value: &T) -> Result<Response> {
    let body = serde_json::to_vec(value).map_err(|e| Error::Internal(e.to_string()))?;
    let digest = Sha256::digest(&body);
    let tag = format!(
        "W/\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    );
    // Weak comparison: our tag is weak, and `W/` is not part of what is compared.
    let fresh = HeaderValue::from_str(tag.trim_start_matches("W/"))
        .is_ok_and(|etag| crate::representation::none_match(request, &etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

/// Whether `user` may see a ticket: staff all, a manager the organization's, a member their own.
pub fn can_see(user: &CurrentUser, t: &TicketState) -> bool {
    let u = &user.user;
    u.role.is_staff()
        || t.requester_id == u.id
        || (u.org_role == Some(OrgRole::Manager)
            && u.organization
                .as_ref()
                .is_some_and(|o| o.id == t.organization_id))
}

/// The ticket if `user` may see it; 404 otherwise, so nothing tells that it exists.
pub(crate) async fn visible(state: &AppState, user: &CurrentUser, id: i64) -> Result<TicketState> {
    state
        .repo
        .ticket_state(id)
        .await?
        .filter(|t| can_see(user, t))
        .ok_or(Error::NotFound)
}

async fn load(state: &AppState, user: &CurrentUser, id: i64) -> Result<Ticket> {
    state
        .repo
        .ticket(id, user.is_staff())
        .await?
        .ok_or(Error::NotFound)
}

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

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TicketQuery {
    /// `open`, `pending`, `resolved`, `closed`, `active` (open or pending) or `all` (the default).
    #[param(pattern = "^(open|pending|resolved|closed|active|all)?$")]
    status: Option<String>,
    /// Words in the subject, description or messages (accents and case are ignored).
    #[param(max_length = 200)]
    q: Option<String>,
    /// From 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<u32>,
    /// 1 to 100 (20 by default); outside that, 422.
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
    /// Managers: `organization` (the default) or `mine`.
    #[param(pattern = "^(organization|mine)?$")]
    scope: Option<String>,
    /// Staff: `me`, `none` or a user id (checked, and ignored, for clients).
    #[param(pattern = "^(me|none|[0-9]{1,18})?$")]
    assignee: Option<String>,
    /// Staff: only the tickets of this organization (its id; checked, and ignored, for clients).
    #[param(pattern = "^([0-9]{1,18})?$")]
    organization: Option<String>,
    #[param(pattern = "^(low|normal|high|urgent)?$")]
    priority: Option<String>,
    /// `true`: only tickets whose next target is past or due within an hour.
    #[param(pattern = "^(true|false|1|0)?$")]
    breaching: Option<String>,
    /// Staff: only escalated (`true`) or not escalated (`false`) tickets (checked, and ignored, for clients).
    #[param(pattern = "^(true|false|1|0)?$")]
    escalated: Option<String>,
    /// `due`: the next target first; otherwise the most recently changed first.
    #[param(pattern = "^(updated|due)?$")]
    sort: Option<String>,
    /// RFC 3339: only tickets changed after this time.
    #[param(value_type = Option<super::QueryTime>, inline)]
    since: Option<String>,
}

fn parse_bool(v: &mut Validator, field: &str, value: Option<&str>) -> Option<bool> {
    match value {
        None | Some("") => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(_) => {
            v.add(field, Invalid::OneOf(&["true", "false"]));
            None
        }
    }
}

fn filter_from(user: &CurrentUser, q: TicketQuery, now: i64) -> Result<TicketFilter> {
    let mut v = Validator::new();
    let staff = user.is_staff();
    let statuses = match q.status.as_deref() {
        None | Some("" | "all") => Vec::new(),
        Some("active") => vec![TicketStatus::Open, TicketStatus::Pending],
        Some(s) => match parse_status(s) {
            Some(s) => vec![s],
            None => {
                v.add(
                    "status",
                    Invalid::OneOf(&["open", "pending", "resolved", "closed", "active", "all"]),
                );
                Vec::new()
            }
        },
    };
    let mine = match q.scope.as_deref() {
        None | Some("" | "organization") => false,
        Some("mine") => true,
        Some(_) => {
            v.add("scope", Invalid::OneOf(&["mine", "organization"]));
            false
        }
    };
    let viewer = match (&user.user.organization, user.user.org_role) {
        _ if staff => Viewer::Staff,
        (Some(org), Some(OrgRole::Manager)) if !mine => Viewer::Organization(org.id),
        _ => Viewer::Requester(user.user.id),
    };
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > QUERY_MAX) {
        v.add("q", Invalid::TooLong(QUERY_MAX));
    }
    let priority = match q.priority.as_deref() {
        None | Some("") => None,
        Some(p) => parse_priority(p).or_else(|| {
            v.add(
                "priority",
                Invalid::OneOf(&["low", "normal", "high", "urgent"]),
            );
            None
        }),
    };
    // Staff's queue filters mean nothing to a client: they are checked, then ignored there.
    let assignee = match q.assignee.as_deref() {
        None | Some("") => None,
        Some("me") => Some(AssigneeFilter::User(user.user.id)),
        Some("none") => Some(AssigneeFilter::Nobody),
        Some(id) => id.parse().ok().map(AssigneeFilter::User).or_else(|| {
            v.add(
                "assignee",
                custom(
                    "Use me, none ou o número de um usuário.",
                    "Use me, none or a user's id.",
                ),
            );
            None
        }),
    };
    let organization = match q.organization.as_deref() {
        None | Some("") => None,
        Some(id) => id.parse::<i64>().ok().or_else(|| {
            v.add(
                "organization",
                custom(
                    "Use o número de uma organização.",
                    "Use an organization's id.",
                ),
            );
            None
        }),
    };
    let breaching = parse_bool(&mut v, "breaching", q.breaching.as_deref());
    let escalated = parse_bool(&mut v, "escalated", q.escalated.as_deref());
    let sort_due = match q.sort.as_deref() {
        None | Some("" | "updated") => false,
        Some("due") => true,
        Some(_) => {
            v.add("sort", Invalid::OneOf(&["updated", "due"]));
            false
        }
    };
    let since = match q.since.as_deref() {
        None | Some("") => None,
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .map_err(|_| {
                v.add(
                    "since",
                    custom(
                        "Use data e hora no formato RFC 3339, como 2026-11-23T10:15:00Z.",
                        "Use a date and time in RFC 3339, like 2026-11-23T10:15:00Z.",
                    ),
                )
            })
            .ok(),
    };
    v.finish()?;
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    paging.check()?;
    Ok(TicketFilter {
        viewer,
        user_id: user.user.id,
        statuses,
        q: text.map(fold),
        priority,
        due_before: (breaching == Some(true)).then_some(now + BREACHING_WITHIN_MS),
        assignee: if staff { assignee } else { None },
        organization: if staff { organization } else { None },
        escalated: if staff { escalated } else { None },
        since,
        sort_due,
        limit: i64::from(paging.per_page()),
        offset: paging.offset(),
    })
}

#[utoipa::path(get, path = "/tickets", tag = "tickets", params(TicketQuery),
    responses((status = 200, body = Page<TicketSummary>, description = "With a weak ETag"),
        (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
        (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<TicketQuery>,
) -> Result<Response> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    paging.check()?;
    let filter = filter_from(&user, q, now_ms())?;
    let (items, total) = state.repo.tickets(&filter).await?;
    with_etag(
        &headers,
        &Page {
            items,
            total: total as u64,
            page: paging.page(),
            per_page: paging.per_page(),
        },
    )
}

#[utoipa::path(post, path = "/tickets", tag = "tickets", request_body = NewTicket,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$",
        description = "Retrying with the same key and body answers the same ticket (1 to 255 visible ASCII characters, a UUID for instance)")),
    responses((status = 201, body = Ticket), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Json(body): Json<NewTicket>,
) -> Result<Response> {
    let key = idempotency_key(&headers)?;
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
    let staff = user.is_staff();
    let (requester, channel) = if staff {
        // Staff log a ticket taken elsewhere, on a client's behalf, saying how it came.
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
        // A client's ticket is always their own, through the portal; saying so explicitly is fine.
        if body.requester_id.is_some_and(|id| id != user.user.id) {
            v.add(
                "requester_id",
                custom(
                    "Só a equipe de suporte abre chamados em nome de outra pessoa.",
                    "Only support staff can open a ticket on someone else's behalf.",
                ),
            );
        }
        if body.channel.is_some_and(|c| c != Channel::Portal) {
            v.add(
                "channel",
                custom(
                    "Chamados abertos no portal usam o canal portal.",
                    "Tickets opened in the portal use the portal channel.",
                ),
            );
        }
        let org = user.user.organization.as_ref().map(|o| o.id);
        (org.map(|o| (user.user.id, o)), Channel::Portal)
    };
    v.finish()?;
    let (requester_id, organization_id) = requester.ok_or(Error::Forbidden)?;
    let files = super::attachments::check_uploads(&state, &user, &body.attachments).await?;

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
        created_by: user.user.id,
        search_id: body.search_id,
        created_at: now,
        updated_at: now,
        first_response_due_at: due.first_response.timestamp_millis(),
        first_responded_at: None,
        resolution_due_at: due.resolution.timestamp_millis(),
        resolved_at: None,
    };
    let hash = request_hash("POST /tickets", &body);
    let idem = key.as_deref().map(|k| key_for(&user, k, &hash, now));
    let outcome = state
        .repo
        .create_ticket(&record, idem.as_ref(), &files)
        .await?;
    let (id, replayed) = match outcome {
        Outcome::Done(id) => (id, false),
        Outcome::Replay { ticket_id, .. } => (ticket_id, true),
        Outcome::KeyReused => return Err(key_reused()),
        Outcome::AttachmentsTaken => return Err(super::attachments::uploads_gone()),
        Outcome::Stale => return Err(Error::Internal("a new ticket cannot be stale".into())),
    };
    Ok(created(load(&state, &user, id).await?, replayed))
}

#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets", params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = Ticket, description = "With a weak ETag"),
        (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    visible(&state, &user, id).await?;
    with_etag(&headers, &load(&state, &user, id).await?)
}

/// Changes the status, priority or assignee. A client may close their own ticket, reopen it when it is
/// `resolved`, or reopen it when it is `closed` within 7 days of its last change; staff may set anything.
#[utoipa::path(patch, path = "/tickets/{id}", tag = "tickets", request_body = TicketPatch,
    params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = Ticket), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(patch): Json<TicketPatch>,
) -> Result<Json<Ticket>> {
    let staff = user.is_staff();
    visible(&state, &user, id).await?;
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
        let t = visible(&state, &user, id).await?;
        let status = match patch.status {
            None => None,
            Some(wanted) if staff => Some(wanted).filter(|s| *s != t.status),
            Some(wanted) => client_status_change(
                t.status,
                wanted,
                t.requester_id == user.user.id,
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
            ticket_id: id,
            actor_id: user.user.id,
            expect_status: t.status,
            status,
            priority,
            due,
            assignee: patch.assignee_id,
            escalated: patch.escalated,
            now: now_ms(),
        };
        if change.is_empty() || state.repo.update_ticket(&change).await? {
            return Ok(Json(load(&state, &user, id).await?));
        }
    }
    Err(conflict(
        "O chamado mudou enquanto você o alterava. Recarregue e tente de novo.",
        "The ticket changed while you were changing it. Reload and try again.",
    ))
}

#[utoipa::path(post, path = "/tickets/{id}/messages", tag = "tickets", request_body = NewMessage,
    params(("id" = i64, Path, description = "Ticket id"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$",
        description = "Retrying with the same key and body answers the same event (1 to 255 visible ASCII characters, a UUID for instance)")),
    responses((status = 201, body = TicketEvent), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_message(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<NewMessage>,
) -> Result<Response> {
    let key = idempotency_key(&headers)?;
    visible(&state, &user, id).await?;
    let staff = user.is_staff();
    if !staff && (body.internal || body.status.is_some()) {
        return Err(Error::Forbidden);
    }
    let mut v = Validator::new();
    v.text("body", &body.body, BODY_MAX);
    v.finish()?;
    let files = super::attachments::check_uploads(&state, &user, &body.attachments).await?;

    let hash = request_hash(&format!("POST /tickets/{id}/messages"), &body);
    let html = markdown::render(&body.body);
    for _ in 0..ATTEMPTS {
        let now = now_ms();
        let idem = key.as_deref().map(|k| key_for(&user, k, &hash, now));
        // A retry answers what the first attempt did, even if the ticket has moved on since.
        let earlier = match &idem {
            Some(k) => state.repo.idempotent_outcome(k).await?,
            None => None,
        };
        let outcome = match earlier {
            Some(o) => o,
            None => {
                let t = visible(&state, &user, id).await?;
                let record = MessageRecord {
                    ticket_id: id,
                    author_id: user.user.id,
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
        let (event_id, replayed) = match outcome {
            Outcome::Done(event_id) => (event_id, false),
            Outcome::Replay {
                ticket_id,
                event_id: Some(event_id),
            } if ticket_id == id => (event_id, true),
            Outcome::Replay { .. } | Outcome::KeyReused => return Err(key_reused()),
            Outcome::AttachmentsTaken => return Err(super::attachments::uploads_gone()),
            Outcome::Stale => continue,
        };
        let event = state
            .repo
            .ticket_event(event_id)
            .await?
            .ok_or(Error::NotFound)?;
        return Ok(created(event, replayed));
    }
    Err(conflict(
        "O chamado mudou enquanto a mensagem era enviada. Tente de novo.",
        "The ticket changed while the message was being sent. Try again.",
    ))
}

#[utoipa::path(post, path = "/tickets/{id}/rating", tag = "tickets", request_body = NewRating,
    params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 201, body = TicketRating, description = "Given, changed, or the same rating again (a retry)"),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "Not the ticket's requester"),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Not resolved or closed, or rated more than 7 days ago"),
        (status = 422, body = Problem)))]
async fn rate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(body): Json<NewRating>,
) -> Result<Response> {
    let t = visible(&state, &user, id).await?;
    if t.requester_id != user.user.id {
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
        ticket_id: id,
        requester_id: user.user.id,
        score: score.unwrap_or(1),
        comment,
        now: now_ms(),
    };
    match state.repo.rate_ticket(&record).await? {
        RateOutcome::Saved(rating) => Ok(created(rating, false)),
        RateOutcome::Unchanged(rating) => Ok(created(rating, true)),
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
