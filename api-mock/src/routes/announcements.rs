//! Announcements: the public list of active ones, and staff endpoints to create, change and end them.

use api_types::{Announcement, NewAnnouncement, Problem};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    auth::Staff,
    db::now_ms,
    error::{Error, Invalid, Result, Validator},
    extract::Json,
    markdown,
    repo::announcements::AnnouncementRecord,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(active, create))
        .routes(routes!(list_all))
        .routes(routes!(update, end))
}

pub const TITLE_MAX: usize = 160;
pub const BODY_MAX: usize = 10_000;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
struct LocaleQuery {
    /// Only the announcements for this locale (and those for every locale).
    locale: Option<String>,
}

#[utoipa::path(get, path = "/announcements", tag = "announcements", params(LocaleQuery),
    responses((status = 200, body = Vec<Announcement>)))]
async fn active(
    State(state): State<AppState>,
    Query(q): Query<LocaleQuery>,
) -> Result<Json<Vec<Announcement>>> {
    let locale = q.locale.filter(|l| crate::LOCALES.contains(&l.as_str()));
    Ok(Json(
        state.repo.active_announcements(locale.as_deref()).await?,
    ))
}

#[utoipa::path(get, path = "/announcements/all", tag = "announcements",
    responses((status = 200, body = Vec<Announcement>), (status = 403, body = Problem)))]
async fn list_all(State(state): State<AppState>, _staff: Staff) -> Result<Json<Vec<Announcement>>> {
    Ok(Json(state.repo.all_announcements().await?))
}

fn validate(body: &NewAnnouncement) -> Result<(i64, Option<i64>, String)> {
    let mut v = Validator::new();
    v.text("title", &body.title, TITLE_MAX);
    v.text("body_md", &body.body_md, BODY_MAX);
    v.locale("locale", body.locale.as_deref());
    let starts_at = body.starts_at.map_or_else(now_ms, |t| t.timestamp_millis());
    let ends_at = body.ends_at.map(|t| t.timestamp_millis());
    if ends_at.is_some_and(|end| end <= starts_at) {
        v.add("ends_at", Invalid::EndsBeforeStart);
    }
    v.finish()?;
    Ok((starts_at, ends_at, markdown::render(&body.body_md)))
}

fn record<'a>(
    body: &'a NewAnnouncement,
    html: &'a str,
    starts_at: i64,
    ends_at: Option<i64>,
) -> AnnouncementRecord<'a> {
    AnnouncementRecord {
        kind: body.kind,
        title: &body.title,
        body_md: &body.body_md,
        body_html: html,
        locale: body.locale.as_deref(),
        starts_at,
        ends_at,
    }
}

#[utoipa::path(post, path = "/announcements", tag = "announcements", request_body = NewAnnouncement,
    responses((status = 201, body = Announcement), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Json(body): Json<NewAnnouncement>,
) -> Result<(StatusCode, Json<Announcement>)> {
    let (starts_at, ends_at, html) = validate(&body)?;
    let created = state
        .repo
        .create_announcement(&record(&body, &html, starts_at, ends_at), staff.user.id)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(put, path = "/announcements/{id}", tag = "announcements", request_body = NewAnnouncement,
    params(("id" = i64, Path, description = "Announcement id")),
    responses((status = 200, body = Announcement), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
    Json(body): Json<NewAnnouncement>,
) -> Result<Json<Announcement>> {
    let (starts_at, ends_at, html) = validate(&body)?;
    state
        .repo
        .update_announcement(id, &record(&body, &html, starts_at, ends_at))
        .await?
        .map(Json)
        .ok_or(Error::NotFound)
}

#[utoipa::path(delete, path = "/announcements/{id}", tag = "announcements",
    params(("id" = i64, Path, description = "Announcement id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn end(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    if state.repo.end_announcement(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}
