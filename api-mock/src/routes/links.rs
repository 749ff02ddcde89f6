//! The links in e-mails: a notification's one-click link opens its ticket signed in (a session limited
//! to that ticket until the password is given); "forgot my password" and "sign in with a link by
//! e-mail" send a link valid 30 minutes, once.

use api_types::{MailLinkRequest, MailLinkUse, PasswordReset, Problem, SessionInfo, User};
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    auth::{self, ClientAddr},
    db::now_ms,
    error::{Error, Invalid, Result, Validator},
    extract::Json,
    repo::{
        limits::{Reservation, Window},
        outbox::{Notice, enqueue_account_mail},
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(use_link))
        .routes(routes!(forgot_password))
        .routes(routes!(sign_in_link))
        .routes(routes!(reset_password))
}

/// How long a notification's link opens its ticket.
pub const TICKET_LINK_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long an invitation's link works (once).
pub const INVITE_LINK_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long a sign-in or password-reset link works.
pub const ACCOUNT_LINK_MS: i64 = 30 * 60 * 1000;
/// Links asked for one address in an hour, and from one client address for every address.
const LINKS_PER_EMAIL: i64 = 3;
const LINKS_PER_ADDRESS: i64 = 20;
const HOUR_MS: i64 = 3600 * 1000;

/// Sets the session cookie of a new session on `response`.
fn with_cookie(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    mut response: Response,
) -> Result<Response> {
    let cookie = auth::session_cookie(
        Some(token),
        auth::is_https(state.config.secure_cookies, headers),
        state.config.session_lifetime.as_secs() as i64,
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| Error::Internal(e.to_string()))?,
    );
    Ok(response)
}

/// Writes a sign-in or reset mail to the account of `email`, if there is one; the caller answers the
/// same either way. Counted first: a few links per address an hour, and per client address.
async fn send_account_link(
    state: &AppState,
    address: Option<std::net::IpAddr>,
    email: &str,
    notice: Notice,
) -> Result<StatusCode> {
    let mut v = Validator::new();
    v.email("email", email);
    v.finish()?;
    let email = email.trim().to_lowercase();
    let address = auth::address_key(address);
    let r = Reservation {
        kind: "mail_link",
        subject: &email,
        address: &address,
        now: now_ms(),
        pair: None,
        subject_total: Some(Window {
            max: LINKS_PER_EMAIL,
            window_ms: HOUR_MS,
        }),
        address_total: Some(Window {
            max: LINKS_PER_ADDRESS,
            window_ms: HOUR_MS,
        }),
    };
    if state.repo.reserve(&r).await?.is_none() {
        let wait_ms = state.repo.wait_for_room(&r).await?;
        return Err(Error::TooManyRequests {
            retry_after_secs: (wait_ms as u64).div_ceil(1000).max(1),
        });
    }
    match state.repo.account_by_email(&email).await? {
        // An invited account has no password to reset nor to skip: a fresh invitation is sent instead
        // (its earlier links stop working), so that a lost invitation can be had again.
        Some(account) if account.user.invited => {
            state.repo.reinvite(account.user.id).await?;
        }
        Some(account) => {
            enqueue_account_mail(&state.repo, account.user.id, notice, now_ms()).await?;
        }
        None => {}
    }
    Ok(StatusCode::ACCEPTED)
}

/// "Esqueci minha senha": e-mails a reset link (30 minutes, once) to the account of `email`. 202 whether
/// or not there is one; 429 past 3 links for one address, or 20 from one client, in an hour.
#[utoipa::path(post, path = "/auth/forgot-password", tag = "accounts", request_body = MailLinkRequest,
    responses((status = 202, description = "A reset link is on its way if an account has this address"),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn forgot_password(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Json(body): Json<MailLinkRequest>,
) -> Result<StatusCode> {
    send_account_link(&state, address, &body.email, Notice::PasswordReset).await
}

/// "Entrar com um link por e-mail": e-mails a sign-in link (30 minutes, once) to the account of `email`.
/// 202 whether or not there is one; 429 as for a reset (the two count together).
#[utoipa::path(post, path = "/auth/sign-in-link", tag = "accounts", request_body = MailLinkRequest,
    responses((status = 202, description = "A sign-in link is on its way if an account has this address"),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn sign_in_link(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Json(body): Json<MailLinkRequest>,
) -> Result<StatusCode> {
    send_account_link(&state, address, &body.email, Notice::SignIn).await
}

/// Sets a new password from a reset link (once, within 30 minutes) or an invitation's link (once,
/// within 7 days; the account is no longer `invited`): every session of the account ends, and this
/// browser gets a new one.
#[utoipa::path(post, path = "/auth/reset-password", tag = "accounts", request_body = PasswordReset,
    responses((status = 200, body = User, description = "Signed in with the new password; Set-Cookie"),
        (status = 422, body = Problem, description = "A short password, or a used, expired or unknown link")))]
async fn reset_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<PasswordReset>,
) -> Result<Response> {
    let mut v = Validator::new();
    super::accounts::check_password(&mut v, "password", &body.password);
    v.finish()?;
    let token = body.token.trim();
    if token.is_empty() || token.len() > 100 {
        return Err(link_gone());
    }
    let now = now_ms();
    let link = state
        .repo
        .use_mail_link(&auth::token_hash(token), &["reset", "invite"], now)
        .await?
        .ok_or_else(link_gone)?;
    let mut account = state
        .repo
        .account_by_id(link.user_id)
        .await?
        .filter(|a| !a.user.disabled)
        .ok_or_else(link_gone)?;
    let hash = auth::hash_password_blocking(body.password.clone()).await?;
    // Every session ends, this browser's included: it gets a new one below.
    state
        .repo
        .set_password(account.user.id, &hash, None)
        .await?;
    account.user.invited = false;
    let (session, session_hash) = auth::new_token();
    state
        .repo
        .create_session(
            &session_hash,
            account.user.id,
            now + state.config.session_lifetime.as_millis() as i64,
        )
        .await?;
    with_cookie(
        &state,
        &headers,
        &session,
        Json(account.user).into_response(),
    )
}

fn link_gone() -> Error {
    Error::invalid(
        "token",
        Invalid::Custom {
            pt: "Este link já foi usado ou expirou. Entre com a sua senha, ou use o link de um e-mail mais recente."
                .into(),
            en: "This link was used already or has expired. Sign in with your password, or use the link of a newer e-mail."
                .into(),
        },
    )
}

/// Uses a link from an e-mail: a notification's one-click link (single use, 7 days) opens a session
/// limited to the link's ticket (`ticket_only`); a sign-in link (single use, 30 minutes) a whole
/// session. Answers the session and sets its cookie. A used, expired or unknown link is 422 on
/// `token`, as is one whose user is disabled or may no longer see the ticket.
#[utoipa::path(post, path = "/auth/link", tag = "accounts", request_body = MailLinkUse,
    responses((status = 200, body = SessionInfo, description = "Signed in for the link's ticket; Set-Cookie"),
        (status = 422, body = Problem, description = "Used, expired or unknown link")))]
async fn use_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<MailLinkUse>,
) -> Result<Response> {
    let token = body.token.trim();
    if token.is_empty() || token.len() > 100 {
        return Err(link_gone());
    }
    let now = now_ms();
    let Some(link) = state
        .repo
        .use_mail_link(&auth::token_hash(token), &["ticket", "sign_in"], now)
        .await?
    else {
        return Err(link_gone());
    };
    let Some(account) = state.repo.account_by_id(link.user_id).await? else {
        return Err(link_gone());
    };
    if link.purpose == "sign_in" {
        if account.user.disabled {
            return Err(link_gone());
        }
        let (session, hash) = auth::new_token();
        state
            .repo
            .create_session(
                &hash,
                account.user.id,
                now + state.config.session_lifetime.as_millis() as i64,
            )
            .await?;
        let info = SessionInfo {
            user: Some(account.user),
            ticket_only: None,
        };
        return with_cookie(&state, &headers, &session, Json(info).into_response());
    }
    let ticket = link.ticket_id.ok_or_else(link_gone)?;
    let visible = state
        .repo
        .ticket_state(ticket)
        .await?
        .is_some_and(|t| crate::policy::can_see(&account.user, &t));
    if account.user.disabled || !visible {
        return Err(link_gone());
    }
    let (session, hash) = auth::new_token();
    state
        .repo
        .create_scoped_session(
            &hash,
            account.user.id,
            now + state.config.session_lifetime.as_millis() as i64,
            Some(ticket),
        )
        .await?;
    let info = SessionInfo {
        user: Some(account.user),
        ticket_only: Some(ticket),
    };
    with_cookie(&state, &headers, &session, Json(info).into_response())
}
