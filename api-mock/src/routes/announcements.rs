//! Announcements: the public list of active ones, and staff endpoints to create, change and end them.
//! An announcement may carry its text in other languages; every list shows each reader the text in their
//! language when there is one (`?locale=`, else `Accept-Language`), the announcement's own otherwise.

use api_types::{Announcement, NewAnnouncement, Problem};
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState, LOCALES,
    auth::Staff,
    db::now_ms,
    error::{Error, Invalid, Result, Validator},
    extract::{Json, Path, Query},
    lang::Lang,
    markdown,
    repo::announcements::{AnnouncementRecord, TranslationRecord},
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
#[into_params(parameter_in = Query)]
struct LocaleQuery {
    /// Only the announcements for this locale (those for every locale, for this one, or with a text in it),
    /// each in this locale when it has a text in it. Without it: every active announcement, in the language
    /// of `Accept-Language`.
    locale: Option<String>,
}

#[utoipa::path(get, path = "/announcements", tag = "announcements", params(LocaleQuery),
    responses((status = 200, body = Vec<Announcement>, headers(("ETag" = String))),
        (status = 304, description = "`If-None-Match` names the current `ETag`")))]
async fn active(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LocaleQuery>,
) -> Result<Response> {
    let locale = q.locale.filter(|l| LOCALES.contains(&l.as_str()));
    let lang = locale.as_deref().unwrap_or(Lang::current().tag());
    let active = state
        .repo
        .active_announcements(lang, locale.as_deref())
        .await?;
    Ok(active.body.respond(&headers, false))
}

#[utoipa::path(get, path = "/announcements/all", tag = "announcements",
    responses((status = 200, body = Vec<Announcement>, description = "In the language of `Accept-Language`"),
        (status = 403, body = Problem)))]
async fn list_all(State(state): State<AppState>, _staff: Staff) -> Result<Json<Vec<Announcement>>> {
    Ok(Json(
        state.repo.all_announcements(Lang::current().tag()).await?,
    ))
}

/// An announcement that passed validation, rendered.
struct Checked {
    starts_at: i64,
    ends_at: Option<i64>,
    body_html: String,
    /// The translations' bodies, rendered, in their order.
    translations_html: Vec<String>,
}

fn validate(body: &NewAnnouncement) -> Result<Checked> {
    let mut v = Validator::new();
    v.text("title", &body.title, TITLE_MAX);
    v.text("body_md", &body.body_md, BODY_MAX);
    v.locale("locale", body.locale.as_deref());
    let starts_at = body.starts_at.map_or_else(now_ms, |t| t.timestamp_millis());
    let ends_at = body.ends_at.map(|t| t.timestamp_millis());
    if ends_at.is_some_and(|end| end <= starts_at) {
        v.add("ends_at", Invalid::EndsBeforeStart);
    }
    for (i, t) in body.translations.iter().enumerate() {
        let field = |name: &str| format!("translations[{i}].{name}");
        if !LOCALES.contains(&t.locale.as_str()) {
            v.add(&field("locale"), Invalid::OneOf(LOCALES));
        } else if body.locale.as_deref() == Some(t.locale.as_str()) {
            v.add(
                &field("locale"),
                Invalid::Custom {
                    pt: "Este já é o idioma do aviso; traduza para outro idioma.".into(),
                    en: "This is already the announcement's language; translate it into another one."
                        .into(),
                },
            );
        } else if body.translations[..i]
            .iter()
            .any(|earlier| earlier.locale == t.locale)
        {
            v.add(
                &field("locale"),
                Invalid::Custom {
                    pt: "Este idioma já tem uma tradução neste aviso.".into(),
                    en: "This language already has a translation in this announcement.".into(),
                },
            );
        }
        v.text(&field("title"), &t.title, TITLE_MAX);
        v.text(&field("body_md"), &t.body_md, BODY_MAX);
    }
    v.finish()?;
    Ok(Checked {
        starts_at,
        ends_at,
        body_html: markdown::render(&body.body_md),
        translations_html: body
            .translations
            .iter()
            .map(|t| markdown::render(&t.body_md))
            .collect(),
    })
}

fn translations<'a>(body: &'a NewAnnouncement, checked: &'a Checked) -> Vec<TranslationRecord<'a>> {
    body.translations
        .iter()
        .zip(&checked.translations_html)
        .map(|(t, html)| TranslationRecord {
            locale: &t.locale,
            title: &t.title,
            body_md: &t.body_md,
            body_html: html,
        })
        .collect()
}

fn record<'a>(
    body: &'a NewAnnouncement,
    checked: &'a Checked,
    translations: &'a [TranslationRecord<'a>],
) -> AnnouncementRecord<'a> {
    AnnouncementRecord {
        kind: body.kind,
        title: &body.title,
        body_md: &body.body_md,
        body_html: &checked.body_html,
        locale: body.locale.as_deref(),
        starts_at: checked.starts_at,
        ends_at: checked.ends_at,
        translations,
    }
}

/// The announcement as the request's language reads it.
async fn answer(state: &AppState, id: i64) -> Result<Announcement> {
    state
        .repo
        .announcement(id, Lang::current().tag())
        .await?
        .ok_or(Error::NotFound)
}

#[utoipa::path(post, path = "/announcements", tag = "announcements", request_body = NewAnnouncement,
    responses((status = 201, body = Announcement, description = "In the language of `Accept-Language`"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Json(body): Json<NewAnnouncement>,
) -> Result<(StatusCode, Json<Announcement>)> {
    let checked = validate(&body)?;
    let translations = translations(&body, &checked);
    let id = state
        .repo
        .create_announcement(&record(&body, &checked, &translations), staff.user.id)
        .await?;
    Ok((StatusCode::CREATED, Json(answer(&state, id).await?)))
}

#[utoipa::path(put, path = "/announcements/{id}", tag = "announcements", request_body = NewAnnouncement,
    params(("id" = i64, Path, description = "Announcement id")),
    responses((status = 200, body = Announcement, description = "In the language of `Accept-Language`; its translations are now exactly the ones sent"),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
    Json(body): Json<NewAnnouncement>,
) -> Result<Json<Announcement>> {
    let checked = validate(&body)?;
    let translations = translations(&body, &checked);
    if !state
        .repo
        .update_announcement(id, &record(&body, &checked, &translations))
        .await?
    {
        return Err(Error::NotFound);
    }
    Ok(Json(answer(&state, id).await?))
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
