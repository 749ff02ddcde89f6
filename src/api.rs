//! The typed HTTP client of the REST API: one function per endpoint, each answering `Result<T, ApiError>`.

use api_types::{
    Announcement, Article, ArticleChange, ArticleDraftRequest, ArticleSummary, Attachment,
    Category, KbAnalytics, Login, NewAnnouncement, NewArticle, NewCategory, NewFeedback,
    NewMessage, NewSearch, NewTicket, Page, PasswordChange, Preview, PreviewRequest, Problem,
    RecordedSearch, Revision, RevisionDiff, RevisionSummary, SearchResults, SessionInfo, Ticket,
    TicketEvent, TicketPatch, TicketSummary, User,
};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::{Serialize, de::DeserializeOwned};

use crate::i18n::Locale;

const BASE: &str = "/api/v1";

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server could not be reached (offline, server down).
    Network,
    /// The server answered with a problem document.
    Problem(Box<Problem>),
    /// The answer was not what the contract says.
    Unexpected(String),
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Problem(p) => Some(p.status),
            _ => None,
        }
    }

    /// The message of one field, if the server refused it.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            ApiError::Problem(p) => p
                .errors
                .iter()
                .find(|e| e.field == name)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

fn with_lang(builder: RequestBuilder, locale: Locale) -> RequestBuilder {
    builder.header("Accept-Language", locale.tag())
}

async fn answer<T: DeserializeOwned>(response: Result<Response, gloo_net::Error>) -> ApiResult<T> {
    let response = response.map_err(|_| ApiError::Network)?;
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|e| ApiError::Unexpected(e.to_string()));
    }
    Err(problem(response).await)
}

async fn answer_empty(response: Result<Response, gloo_net::Error>) -> ApiResult<()> {
    let response = response.map_err(|_| ApiError::Network)?;
    if response.ok() {
        Ok(())
    } else {
        Err(problem(response).await)
    }
}

async fn problem(response: Response) -> ApiError {
    let status = response.status();
    match response.json::<Problem>().await {
        Ok(p) => ApiError::Problem(Box::new(p)),
        // A proxy's HTML error page, for instance: still a clear status.
        Err(_) if status >= 500 => ApiError::Network,
        Err(e) => ApiError::Unexpected(format!("{status}: {e}")),
    }
}

async fn get<T: DeserializeOwned>(path: &str, locale: Locale) -> ApiResult<T> {
    answer(
        with_lang(Request::get(&format!("{BASE}{path}")), locale)
            .send()
            .await,
    )
    .await
}

fn json_request<B: Serialize>(
    builder: RequestBuilder,
    locale: Locale,
    body: &B,
) -> ApiResult<Request> {
    with_lang(builder, locale)
        .json(body)
        .map_err(|e| ApiError::Unexpected(e.to_string()))
}

async fn send<T: DeserializeOwned, B: Serialize>(
    builder: RequestBuilder,
    locale: Locale,
    body: &B,
) -> ApiResult<T> {
    answer(json_request(builder, locale, body)?.send().await).await
}

async fn send_empty<B: Serialize>(
    builder: RequestBuilder,
    locale: Locale,
    body: &B,
) -> ApiResult<()> {
    answer_empty(json_request(builder, locale, body)?.send().await).await
}

fn url(path: &str) -> String {
    format!("{BASE}{path}")
}

// Accounts

pub async fn me(locale: Locale) -> ApiResult<User> {
    get("/me", locale).await
}

pub async fn session(locale: Locale) -> ApiResult<SessionInfo> {
    get("/auth/session", locale).await
}

/// Uses a one-click link from an e-mail: a session for its ticket only.
pub async fn use_link(locale: Locale, token: &str) -> ApiResult<SessionInfo> {
    let body = api_types::MailLinkUse {
        token: token.to_string(),
    };
    send(Request::post(&url("/auth/link")), locale, &body).await
}

pub async fn login(locale: Locale, body: &Login) -> ApiResult<User> {
    send(Request::post(&url("/auth/login")), locale, body).await
}

pub async fn logout(locale: Locale) -> ApiResult<()> {
    send_empty(
        Request::post(&url("/auth/logout")),
        locale,
        &serde_json::json!({}),
    )
    .await
}

pub async fn change_password(locale: Locale, body: &PasswordChange) -> ApiResult<()> {
    send_empty(Request::post(&url("/me/password")), locale, body).await
}

/// "Esqueci minha senha": a reset link by e-mail (the same answer whether or not the address exists).
pub async fn forgot_password(locale: Locale, body: &api_types::MailLinkRequest) -> ApiResult<()> {
    send_empty(Request::post(&url("/auth/forgot-password")), locale, body).await
}

/// "Entrar com um link por e-mail".
pub async fn sign_in_link(locale: Locale, body: &api_types::MailLinkRequest) -> ApiResult<()> {
    send_empty(Request::post(&url("/auth/sign-in-link")), locale, body).await
}

/// A new password from a reset link: signed in with it, every other session ended.
pub async fn reset_password(locale: Locale, body: &api_types::PasswordReset) -> ApiResult<User> {
    send(Request::post(&url("/auth/reset-password")), locale, body).await
}

/// Which notification e-mails the signed-in user gets.
pub async fn notification_prefs(locale: Locale) -> ApiResult<api_types::NotificationPrefs> {
    get("/me/notifications", locale).await
}

pub async fn save_notification_prefs(
    locale: Locale,
    body: &api_types::NotificationPrefs,
) -> ApiResult<api_types::NotificationPrefs> {
    send(Request::put(&url("/me/notifications")), locale, body).await
}

// People (staff; most for admins)

/// A role as the API writes it.
#[cfg(feature = "staff")]
pub fn role_tag(role: api_types::Role) -> &'static str {
    match role {
        api_types::Role::Client => "client",
        api_types::Role::Agent => "agent",
        api_types::Role::Admin => "admin",
    }
}

/// Admins: every account, or those of one role (`role`: a role's tag, or empty for all).
#[cfg(feature = "staff")]
pub async fn users(locale: Locale, role: &str) -> ApiResult<Vec<User>> {
    if role.is_empty() {
        get("/users", locale).await
    } else {
        get(&format!("/users?role={}", enc(role)), locale).await
    }
}

/// An account whose owner chooses a password from the e-mailed link (agents: clients only).
#[cfg(feature = "staff")]
pub async fn invite(locale: Locale, body: &api_types::NewInvitation) -> ApiResult<User> {
    send(Request::post(&url("/users/invitations")), locale, body).await
}

#[cfg(feature = "staff")]
pub async fn resend_invitation(locale: Locale, id: i64) -> ApiResult<User> {
    send(
        Request::post(&url(&format!("/users/{id}/invitation"))),
        locale,
        &serde_json::json!({}),
    )
    .await
}

#[cfg(feature = "staff")]
pub async fn update_user(locale: Locale, id: i64, body: &api_types::UserChange) -> ApiResult<User> {
    send(Request::patch(&url(&format!("/users/{id}"))), locale, body).await
}

#[cfg(feature = "staff")]
pub async fn create_organization(
    locale: Locale,
    body: &api_types::NewOrganization,
) -> ApiResult<api_types::Organization> {
    send(Request::post(&url("/organizations")), locale, body).await
}

// Announcements

pub async fn announcements(locale: Locale) -> ApiResult<Vec<Announcement>> {
    get(&format!("/announcements?locale={}", locale.tag()), locale).await
}

pub async fn all_announcements(locale: Locale) -> ApiResult<Vec<Announcement>> {
    get("/announcements/all", locale).await
}

pub async fn create_announcement(
    locale: Locale,
    body: &NewAnnouncement,
) -> ApiResult<Announcement> {
    send(Request::post(&url("/announcements")), locale, body).await
}

pub async fn end_announcement(locale: Locale, id: i64) -> ApiResult<()> {
    send_empty(
        Request::delete(&url(&format!("/announcements/{id}"))),
        locale,
        &serde_json::json!({}),
    )
    .await
}

// Knowledge base

/// Encodes a value for a query string.
pub fn enc(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

pub async fn categories(locale: Locale) -> ApiResult<Vec<Category>> {
    get(&format!("/kb/categories?locale={}", locale.tag()), locale).await
}

/// Published articles, of one category or the most viewed of all.
pub async fn articles(
    locale: Locale,
    category: Option<&str>,
    most_viewed: bool,
    per_page: u32,
) -> ApiResult<Page<ArticleSummary>> {
    let mut path = format!("/kb/articles?locale={}&per_page={per_page}", locale.tag());
    if let Some(category) = category {
        path.push_str(&format!("&category={}", enc(category)));
    }
    if most_viewed {
        path.push_str("&sort=views");
    }
    get(&path, locale).await
}

pub async fn article(locale: Locale, slug: &str, search_id: Option<i64>) -> ApiResult<Article> {
    let mut path = format!("/kb/articles/{}", enc(slug));
    if let Some(id) = search_id {
        path.push_str(&format!("?search_id={id}"));
    }
    get(&path, locale).await
}

/// One page of `limit` hits (pages from 1).
/// Results as the reader types: not recorded (`record=false`); the search they settle on is recorded with
/// [`record_search`].
pub async fn search(
    locale: Locale,
    query: &str,
    limit: u32,
    page: u32,
) -> ApiResult<SearchResults> {
    get(
        &format!(
            "/kb/search?q={}&locale={}&limit={limit}&page={page}&record=false",
            enc(query),
            locale.tag()
        ),
        locale,
    )
    .await
}

pub async fn record_search(locale: Locale, body: &NewSearch) -> ApiResult<RecordedSearch> {
    send(Request::post(&url("/kb/searches")), locale, body).await
}

pub async fn feedback(locale: Locale, slug: &str, body: &NewFeedback) -> ApiResult<()> {
    send_empty(
        Request::post(&url(&format!("/kb/articles/{}/feedback", enc(slug)))),
        locale,
        body,
    )
    .await
}

// Tickets

/// Filters of `GET /tickets`, as the list page keeps them in its URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketQuery {
    pub status: String,
    pub q: String,
    pub page: u32,
    pub scope: Option<String>,
    pub assignee: Option<String>,
    /// Staff: an organization's id.
    pub organization: Option<String>,
    pub priority: Option<String>,
    pub breaching: bool,
    pub escalated: bool,
    pub sort_due: bool,
}

impl TicketQuery {
    pub fn to_query_string(&self) -> String {
        let mut s = format!(
            "status={}&page={}&per_page=20",
            enc(&self.status),
            self.page.max(1)
        );
        if !self.q.trim().is_empty() {
            s.push_str(&format!("&q={}", enc(self.q.trim())));
        }
        for (name, value) in [
            ("scope", &self.scope),
            ("assignee", &self.assignee),
            ("organization", &self.organization),
            ("priority", &self.priority),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                s.push_str(&format!("&{name}={}", enc(v)));
            }
        }
        if self.breaching {
            s.push_str("&breaching=true");
        }
        if self.escalated {
            s.push_str("&escalated=true");
        }
        if self.sort_due {
            s.push_str("&sort=due");
        }
        s
    }
}

pub async fn tickets(locale: Locale, query: &TicketQuery) -> ApiResult<Page<TicketSummary>> {
    get(&format!("/tickets?{}", query.to_query_string()), locale).await
}

/// `GET /tickets/{id}` with the ETag of the copy the page has: `Ok(None)` when nothing changed (304).
pub async fn ticket_if_changed(
    locale: Locale,
    id: i64,
    etag: Option<&str>,
) -> ApiResult<Option<(Ticket, Option<String>)>> {
    let mut builder = with_lang(Request::get(&url(&format!("/tickets/{id}"))), locale);
    if let Some(etag) = etag {
        builder = builder.header("If-None-Match", etag);
    }
    let response = builder.send().await.map_err(|_| ApiError::Network)?;
    if response.status() == 304 {
        return Ok(None);
    }
    let etag = response.headers().get("etag");
    if response.ok() {
        let ticket = response
            .json::<Ticket>()
            .await
            .map_err(|e| ApiError::Unexpected(e.to_string()))?;
        return Ok(Some((ticket, etag)));
    }
    Err(problem(response).await)
}

pub async fn create_ticket(
    locale: Locale,
    body: &NewTicket,
    idempotency_key: &str,
) -> ApiResult<Ticket> {
    send(
        Request::post(&url("/tickets")).header("Idempotency-Key", idempotency_key),
        locale,
        body,
    )
    .await
}

pub async fn post_message(
    locale: Locale,
    id: i64,
    body: &NewMessage,
    idempotency_key: &str,
) -> ApiResult<TicketEvent> {
    send(
        Request::post(&url(&format!("/tickets/{id}/messages")))
            .header("Idempotency-Key", idempotency_key),
        locale,
        body,
    )
    .await
}

pub async fn update_ticket(locale: Locale, id: i64, body: &TicketPatch) -> ApiResult<Ticket> {
    send(
        Request::patch(&url(&format!("/tickets/{id}"))),
        locale,
        body,
    )
    .await
}

pub async fn preview(locale: Locale, body_md: &str) -> ApiResult<Preview> {
    send(
        Request::post(&url("/tickets/preview")),
        locale,
        &PreviewRequest {
            body_md: body_md.to_string(),
        },
    )
    .await
}

// Reports

/// `GET /reports/kpis` over `[from, to)`.
pub async fn kpis(
    locale: Locale,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> ApiResult<api_types::Kpis> {
    let at = |t: chrono::DateTime<chrono::Utc>| {
        enc(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    get(
        &format!("/reports/kpis?from={}&to={}", at(from), at(to)),
        locale,
    )
    .await
}

/// `POST /tickets/{id}/rating`: gives or changes the ticket's rating (its requester only).
pub async fn rate_ticket(
    locale: Locale,
    id: i64,
    body: &api_types::NewRating,
) -> ApiResult<api_types::TicketRating> {
    send(
        Request::post(&url(&format!("/tickets/{id}/rating"))),
        locale,
        body,
    )
    .await
}

/// Staff: the client accounts a ticket can be logged for.
pub async fn clients(locale: Locale) -> ApiResult<Vec<User>> {
    get("/clients", locale).await
}

/// Staff: the active agents and admins, whom a ticket can be assigned to.
pub async fn agents(locale: Locale) -> ApiResult<Vec<User>> {
    get("/agents", locale).await
}

/// Staff: the client organizations, for the queue's filter.
pub async fn organizations(locale: Locale) -> ApiResult<Vec<api_types::Organization>> {
    get("/organizations", locale).await
}

// Knowledge base: staff curation

/// Filters of the staff article list (`GET /kb/articles?status=`), as the page keeps them in its URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleQuery {
    /// `draft`, `published`, `archived` or `all` (the default).
    pub status: String,
    /// A category's slug.
    pub category: Option<String>,
    pub locale: Option<String>,
    /// `low`: articles that helped less often than not; `high`: the opposite.
    pub helpfulness: Option<String>,
    /// Words of the title.
    pub q: String,
    pub page: u32,
}

impl ArticleQuery {
    pub fn to_query_string(&self) -> String {
        let status = if self.status.is_empty() {
            "all"
        } else {
            &self.status
        };
        let mut s = format!(
            "status={}&page={}&per_page=50",
            enc(status),
            self.page.max(1)
        );
        if !self.q.trim().is_empty() {
            s.push_str(&format!("&q={}", enc(self.q.trim())));
        }
        for (name, value) in [
            ("category", &self.category),
            ("locale", &self.locale),
            ("helpfulness", &self.helpfulness),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                s.push_str(&format!("&{name}={}", enc(v)));
            }
        }
        s
    }
}

/// Staff: articles in any state.
pub async fn staff_articles(
    locale: Locale,
    query: &ArticleQuery,
) -> ApiResult<Page<ArticleSummary>> {
    get(&format!("/kb/articles?{}", query.to_query_string()), locale).await
}

/// Staff: the categories of one language (`tag`), whatever the reader's language.
pub async fn categories_of(locale: Locale, tag: &str) -> ApiResult<Vec<Category>> {
    get(&format!("/kb/categories?locale={}", enc(tag)), locale).await
}

pub async fn create_article(locale: Locale, body: &NewArticle) -> ApiResult<Article> {
    send(Request::post(&url("/kb/articles")), locale, body).await
}

/// A stale `revision` answers 409 with the current article in the problem's `current`.
pub async fn update_article(locale: Locale, id: i64, body: &ArticleChange) -> ApiResult<Article> {
    send(
        Request::put(&url(&format!("/kb/articles/{id}"))),
        locale,
        body,
    )
    .await
}

/// Archives the article (it can be published again).
pub async fn archive_article(locale: Locale, id: i64) -> ApiResult<()> {
    send_empty(
        Request::delete(&url(&format!("/kb/articles/{id}"))),
        locale,
        &serde_json::json!({}),
    )
    .await
}

pub async fn revisions(locale: Locale, id: i64) -> ApiResult<Vec<RevisionSummary>> {
    get(&format!("/kb/articles/{id}/revisions"), locale).await
}

pub async fn revision(locale: Locale, id: i64, revision: i64) -> ApiResult<Revision> {
    get(&format!("/kb/articles/{id}/revisions/{revision}"), locale).await
}

pub async fn revision_diff(locale: Locale, id: i64, from: i64, to: i64) -> ApiResult<RevisionDiff> {
    get(
        &format!("/kb/articles/{id}/diff?from={from}&to={to}"),
        locale,
    )
    .await
}

/// Makes a new revision with the text of an older one.
pub async fn restore_revision(locale: Locale, id: i64, revision: i64) -> ApiResult<Article> {
    send(
        Request::post(&url(&format!(
            "/kb/articles/{id}/revisions/{revision}/restore"
        ))),
        locale,
        &serde_json::json!({}),
    )
    .await
}

/// Renders Markdown exactly as a published article is rendered.
pub async fn article_preview(locale: Locale, body_md: &str) -> ApiResult<Preview> {
    send(
        Request::post(&url("/kb/preview")),
        locale,
        &PreviewRequest {
            body_md: body_md.to_string(),
        },
    )
    .await
}

pub async fn create_category(locale: Locale, body: &NewCategory) -> ApiResult<Category> {
    send(Request::post(&url("/kb/categories")), locale, body).await
}

pub async fn update_category(locale: Locale, id: i64, body: &NewCategory) -> ApiResult<Category> {
    send(
        Request::put(&url(&format!("/kb/categories/{id}"))),
        locale,
        body,
    )
    .await
}

pub async fn synonyms(locale: Locale) -> ApiResult<Vec<Vec<String>>> {
    get("/kb/synonyms", locale).await
}

pub async fn save_synonyms(locale: Locale, groups: &[Vec<String>]) -> ApiResult<Vec<Vec<String>>> {
    send(Request::put(&url("/kb/synonyms")), locale, &groups).await
}

pub async fn kb_analytics(locale: Locale, days: u32) -> ApiResult<KbAnalytics> {
    get(&format!("/kb/analytics?days={days}"), locale).await
}

/// Staff: a draft article made from a ticket's question and the staff answers.
pub async fn article_draft_from_ticket(
    locale: Locale,
    ticket: i64,
    body: &ArticleDraftRequest,
) -> ApiResult<Article> {
    send(
        Request::post(&url(&format!("/tickets/{ticket}/article-draft"))),
        locale,
        body,
    )
    .await
}

// Attachments

/// Uploads one file with XHR, which (unlike fetch) reports an upload's progress: `progress` gets the
/// share sent so far, 0 to 1. `name` is the file's name as the server keeps it.
pub async fn upload_attachment(
    locale: Locale,
    file: &web_sys::Blob,
    name: &str,
    progress: impl Fn(f64) + 'static,
) -> ApiResult<Attachment> {
    use std::{cell::RefCell, rc::Rc};
    use wasm_bindgen::{JsCast, JsValue, closure::Closure};

    let broken = |what: &str| ApiError::Unexpected(format!("XMLHttpRequest: {what}"));
    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| broken("new"))?;
    xhr.open_with_async("POST", &url("/attachments"), true)
        .map_err(|_| broken("open"))?;
    for (header, value) in [
        ("Content-Type", "application/octet-stream"),
        ("X-File-Name", enc(name).as_str()),
        ("Accept-Language", locale.tag()),
    ] {
        xhr.set_request_header(header, value)
            .map_err(|_| broken("header"))?;
    }
    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress((e.loaded() / e.total()).clamp(0.0, 1.0));
            }
        });
    let upload = xhr.upload().ok();
    if let Some(u) = &upload {
        u.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    // `loadend` comes after success, failure, abort and timeout alike: one way to settle.
    let resolver: Rc<RefCell<Option<js_sys::Function>>> = Rc::default();
    let settled = js_sys::Promise::new(&mut |resolve, _| {
        *resolver.borrow_mut() = Some(resolve);
    });
    let on_end = {
        let resolver = resolver.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(resolve) = resolver.borrow_mut().take() {
                let _ = resolve.call0(&JsValue::NULL);
            }
        })
    };
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    xhr.send_with_opt_blob(Some(file))
        .map_err(|_| ApiError::Network)?;
    let _ = wasm_bindgen_futures::JsFuture::from(settled).await;
    xhr.set_onloadend(None);
    if let Some(u) = &upload {
        u.set_onprogress(None);
    }
    drop((on_end, on_progress));

    let status = xhr.status().unwrap_or(0);
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    match status {
        0 => Err(ApiError::Network),
        200..=299 => serde_json::from_str(&text).map_err(|e| ApiError::Unexpected(e.to_string())),
        _ => match serde_json::from_str::<Problem>(&text) {
            Ok(p) => Err(ApiError::Problem(Box::new(p))),
            Err(_) if status >= 500 => Err(ApiError::Network),
            Err(e) => Err(ApiError::Unexpected(format!("{status}: {e}"))),
        },
    }
}

/// Removes one's own upload that was not sent.
pub async fn delete_attachment(locale: Locale, id: i64) -> ApiResult<()> {
    send_empty(
        Request::delete(&url(&format!("/attachments/{id}"))),
        locale,
        &serde_json::json!({}),
    )
    .await
}

/// Waits `ms` milliseconds (between an upload's retries).
pub async fn sleep(ms: i32) {
    let waited = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(waited).await;
}

// E-mail in: the review list of mail from unknown senders (staff)

/// `status`: `pending`, `accepted` or `discarded`.
#[cfg(feature = "staff")]
pub async fn inbound_review(
    locale: Locale,
    status: &str,
) -> ApiResult<Page<api_types::InboundReview>> {
    get(
        &format!("/inbound/review?status={}&per_page=50", enc(status)),
        locale,
    )
    .await
}

#[cfg(feature = "staff")]
pub async fn accept_inbound(
    locale: Locale,
    id: i64,
    body: &api_types::AcceptInbound,
) -> ApiResult<api_types::InboundReview> {
    send(
        Request::post(&url(&format!("/inbound/review/{id}/accept"))),
        locale,
        body,
    )
    .await
}

#[cfg(feature = "staff")]
pub async fn discard_inbound(locale: Locale, id: i64) -> ApiResult<api_types::InboundReview> {
    send(
        Request::post(&url(&format!("/inbound/review/{id}/discard"))),
        locale,
        &serde_json::json!({}),
    )
    .await
}
