//! The typed HTTP client of the REST API: one function per endpoint, each answering `Result<T, ApiError>`.

use api_types::{Announcement, Login, NewAnnouncement, PasswordChange, Problem, SessionInfo, User};
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
