//! Tickets over HTTP: opening one (safe to retry with `Idempotency-Key`), listing them with filters and
//! cheap refreshes (`since`, ETag), the timeline, messages and internal notes, and status, priority and
//! assignee changes. Who may see and do what is decided in `crate::policy`; these handlers only read the
//! request and shape the answer.

use api_types::{
    MessagePreviewRequest, NewMessage, NewRating, NewTicket, Page, Preview, Problem, Ticket,
    TicketEvent, TicketPatch, TicketRating, TicketStatus, TicketSummary,
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
    db::now_ms,
    error::{Error, Invalid, Result, Validator},
    extract::{Json, Path, Query},
    markdown, policy,
    repo::tickets::{AssigneeFilter, TicketFilter, fold, parse_priority, parse_status},
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
    if body.body_md.chars().count() > policy::BODY_MAX {
        v.add("body_md", Invalid::TooLong(policy::BODY_MAX));
    }
    v.finish()?;
    Ok(Json(Preview {
        html: markdown::render(&body.body_md),
    }))
}

pub const QUERY_MAX: usize = 200;
pub const KEY_MAX: usize = 255;
/// "Breaching": the next target falls due within this time, or is past.
pub const BREACHING_WITHIN_MS: i64 = 3600 * 1000;
const REPLAYED: &str = "idempotent-replayed";
fn custom(pt: &str, en: &str) -> Invalid {
    Invalid::Custom {
        pt: pt.into(),
        en: en.into(),
    }
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

async fn load(state: &AppState, user: &CurrentUser, id: i64) -> Result<Ticket> {
    state
        .repo
        .ticket(id, user.is_staff())
        .await?
        .ok_or(Error::NotFound)
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
    let viewer = policy::list_scope(&user.user, mine);
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
    let done = policy::open(&state, &user.user, &body, key.as_deref()).await?;
    Ok(created(
        load(&state, &user, done.value).await?,
        done.replayed,
    ))
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
    policy::visible(&state, &user.user, id).await?;
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
    policy::change(&state, &user.user, id, &patch).await?;
    Ok(Json(load(&state, &user, id).await?))
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
    let done = policy::reply(&state, &user.user, id, &body, key.as_deref()).await?;
    let event = state
        .repo
        .ticket_event(done.value)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(created(event, done.replayed))
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
    let done = policy::rate(&state, &user.user, id, &body).await?;
    Ok(created(done.value, done.replayed))
}
