//! Who is asking: password hashing, server-side sessions, the extractors that demand a session or a role,
//! the brakes on guessing passwords, and the cap on password verifications running at once.

use std::{net::IpAddr, time::Duration};

use api_types::{Role, User};
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::SaltString,
};
use axum::{
    extract::{FromRef, FromRequestParts, OptionalFromRequestParts},
    http::{HeaderMap, header, request::Parts},
};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::{
    AppState, Config,
    db::now_ms,
    error::{Error, Result},
    repo::limits::{Reservation, Window},
};

pub const COOKIE: &str = "portal_session";

/// Argon2id with the OWASP parameters: 19 MiB of memory, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Hashing runs on the blocking pool, in a verification slot: it takes tens of milliseconds of CPU and
/// 19 MiB on purpose.
pub async fn hash_password_blocking(password: String) -> Result<String> {
    let _slot = argon2_slot().await?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
}

pub async fn verify_password_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// A new random session token (256 bits) and the hash under which it is stored.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The session token sent by the browser, if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value for a session (or, with `None`, the one that removes it).
pub fn session_cookie(token: Option<&str>, secure: bool, max_age_secs: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(token) => format!(
            "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}"
        ),
        None => format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"),
    }
}

/// Whether the client reached us over HTTPS (directly configured, or said by the proxy in front).
pub fn is_https(state_secure: bool, headers: &HeaderMap) -> bool {
    state_secure
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The signed-in user of a request, with the hash of the session that proved it.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub session_hash: Vec<u8>,
    /// A session opened by a ticket's one-click link (`POST /auth/link`): it counts only on that
    /// ticket's routes (see [`ticket_scope_allows`]) until the password is given.
    pub ticket_only: Option<i64>,
}

impl CurrentUser {
    pub fn is_staff(&self) -> bool {
        self.user.role.is_staff()
    }
}

/// What a session opened by a one-click link to ticket `ticket` may do: that ticket's page (read it,
/// answer, close or reopen it, rate it), the preview of a message, uploads for a message, who is signed
/// in, and signing out. Paths with or without the `/api/v1` prefix (nested routers see them without).
pub fn ticket_scope_allows(method: &str, path: &str, ticket: i64) -> bool {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let own = format!("/tickets/{ticket}");
    match (method, path) {
        ("GET", "/auth/session")
        | ("POST", "/auth/logout" | "/tickets/preview" | "/attachments") => true,
        ("GET" | "PATCH", p) if p == own => true,
        ("POST", p) => p
            .strip_prefix(own.as_str())
            .is_some_and(|rest| matches!(rest, "/messages" | "/rating")),
        ("DELETE", p) => p.strip_prefix("/attachments/").is_some(),
        _ => false,
    }
}

/// A session is looked up once per request and kept in the request's extensions.
#[derive(Clone)]
struct Resolved(Option<CurrentUser>);

/// The request's signed-in user, if any (what the `CurrentUser` extractors answer).
pub async fn current_user(parts: &mut Parts, state: &AppState) -> Result<Option<CurrentUser>> {
    resolve(parts, state).await
}

async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<CurrentUser>> {
    if let Some(Resolved(found)) = parts.extensions.get::<Resolved>() {
        return Ok(found.clone());
    }
    let found = match cookie_token(&parts.headers) {
        None => None,
        Some(token) => {
            let hash = token_hash(&token);
            let now = now_ms();
            let idle_ms = state.config.session_idle.as_millis() as i64;
            match state.repo.session(&hash).await? {
                // A one-click session elsewhere than its ticket is no session: the reader is asked
                // for the password (kept, for the ticket's own page).
                Some(s)
                    if s.ticket_id.is_some_and(|t| {
                        !ticket_scope_allows(parts.method.as_str(), parts.uri.path(), t)
                    }) =>
                {
                    None
                }
                Some(s)
                    if !s.account.user.disabled
                        && s.expires_at > now
                        && now - s.last_seen_at < idle_ms =>
                {
                    // Refreshing at most once a minute keeps reads from turning into writes.
                    if now - s.last_seen_at > 60_000 {
                        state.repo.touch_session(&hash, now).await?;
                    }
                    Some(CurrentUser {
                        user: s.account.user,
                        session_hash: hash,
                        ticket_only: s.ticket_id,
                    })
                }
                Some(_) => {
                    state.repo.delete_session(&hash).await?;
                    None
                }
                None => None,
            }
        }
    };
    parts.extensions.insert(Resolved(found.clone()));
    Ok(found)
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        resolve(parts, &AppState::from_ref(state))
            .await?
            .ok_or(Error::Unauthorized)
    }
}

impl<S> OptionalFromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>> {
        resolve(parts, &AppState::from_ref(state)).await
    }
}

/// A signed-in agent or admin; 401 without a session, 403 for a client.
#[derive(Debug, Clone)]
pub struct Staff(pub CurrentUser);

impl<S> FromRequestParts<S> for Staff
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let user = <CurrentUser as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if user.is_staff() {
            Ok(Staff(user))
        } else {
            Err(Error::Forbidden)
        }
    }
}

/// A signed-in admin; 401 without a session, 403 for anyone else.
#[derive(Debug, Clone)]
pub struct Admin(pub CurrentUser);

impl<S> FromRequestParts<S> for Admin
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let user = <CurrentUser as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if user.user.role == Role::Admin {
            Ok(Admin(user))
        } else {
            Err(Error::Forbidden)
        }
    }
}

/// How many password verifications (19 MiB and tens of milliseconds of CPU each) may run at once: one
/// per core. Past that, a request waits up to [`SLOT_WAIT`] for a slot, then gets 503 with `Retry-After`.
static SLOTS: std::sync::LazyLock<Semaphore> =
    std::sync::LazyLock::new(|| Semaphore::new(argon2_slots()));
const SLOT_WAIT: Duration = Duration::from_secs(3);

/// The number of Argon2 computations that may run at once.
pub fn argon2_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

async fn argon2_slot() -> Result<tokio::sync::SemaphorePermit<'static>> {
    match tokio::time::timeout(SLOT_WAIT, SLOTS.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(Error::Busy {
            retry_after_secs: 1,
        }),
    }
}

/// The key of an address in the limit counters ('' when unknown: in-process tests).
pub fn address_key(address: Option<IpAddr>) -> String {
    address.map(|a| a.to_string()).unwrap_or_default()
}

fn window(max: usize, window: Duration) -> Window {
    Window {
        max: i64::try_from(max).unwrap_or(i64::MAX),
        window_ms: window.as_millis() as i64,
    }
}

/// Signed-in addresses are remembered this long.
const KNOWN_ADDRESS_MS: i64 = 30 * 24 * 3600 * 1000;

/// The brake on guessing passwords at sign-in. An attempt is counted (reserved) *before* its password is
/// verified and taken back when it succeeds, so a burst of concurrent attempts is counted one by one.
///
/// Three counts, so that an attacker cannot lock the owner out:
/// - per e-mail from one address (5 in 15 minutes): the guesser is stopped, not the owner elsewhere;
/// - per e-mail from every address (20 in an hour): a guesser with many addresses is stopped too;
/// - per address for every e-mail (50 in 15 minutes): trying many e-mails is stopped.
///
/// The last two do not apply from an address the account signed in from successfully in the last 30 days:
/// there the owner is refused only after failing 5 times themselves.
pub struct SignIn<'a> {
    state: &'a AppState,
    email: String,
    address: String,
    reserved: i64,
}

impl<'a> SignIn<'a> {
    fn reservation<'r>(
        config: &Config,
        email: &'r str,
        address: &'r str,
        known: bool,
        now: i64,
    ) -> Reservation<'r> {
        Reservation {
            kind: "sign_in",
            subject: email,
            address,
            now,
            pair: Some(window(config.login_limit_email, config.login_window)),
            subject_total: (!known)
                .then(|| window(config.login_limit_email_global, config.login_window_global)),
            address_total: (!known)
                .then(|| window(config.login_limit_address, config.login_window)),
        }
    }

    /// Counts an attempt, or refuses it with 429 and the seconds until one would be counted.
    pub async fn reserve(
        state: &'a AppState,
        email: &str,
        address: Option<IpAddr>,
    ) -> Result<Self> {
        let email = email.trim().to_lowercase();
        let address = address_key(address);
        let now = now_ms();
        let known = state
            .repo
            .known_address(&email, &address, now - KNOWN_ADDRESS_MS)
            .await?;
        let r = Self::reservation(&state.config, &email, &address, known, now);
        match state.repo.reserve(&r).await? {
            Some(reserved) => Ok(Self {
                state,
                email,
                address,
                reserved,
            }),
            None => {
                let wait_ms = state.repo.wait_for_room(&r).await?;
                Err(Error::TooManyRequests {
                    retry_after_secs: (wait_ms as u64).div_ceil(1000),
                })
            }
        }
    }

    /// The password was right: the attempt is taken back, this address's failures for the e-mail are
    /// forgotten, and the address is remembered as the owner's.
    pub async fn succeeded(self) -> Result<()> {
        let repo = &self.state.repo;
        repo.release(self.reserved).await?;
        repo.clear_events("sign_in", &self.email, &self.address)
            .await?;
        repo.remember_address(&self.email, &self.address, now_ms())
            .await?;
        Ok(())
    }

    /// The password was never checked (no slot was free): the attempt does not count.
    pub async fn not_checked(self) -> Result<()> {
        self.state.repo.release(self.reserved).await?;
        Ok(())
    }
}

/// Verifies a password in a verification slot; `Err(Busy)` when none frees up in time.
pub async fn verify_password_limited(password: String, hash: String) -> Result<bool> {
    let _slot = argon2_slot().await?;
    Ok(verify_password_blocking(password, hash).await)
}

/// The brake on wrong current passwords at `/me/password`: 5 in 15 minutes per account, counted before
/// the verification; a right one takes its attempt back.
pub async fn check_current_password(
    state: &AppState,
    user_id: i64,
    address: Option<IpAddr>,
    password: String,
    hash: String,
) -> Result<bool> {
    let subject = user_id.to_string();
    let address = address_key(address);
    let r = Reservation {
        kind: "password",
        subject: &subject,
        address: &address,
        now: now_ms(),
        pair: None,
        subject_total: Some(window(
            state.config.login_limit_email,
            state.config.login_window,
        )),
        address_total: None,
    };
    let Some(reserved) = state.repo.reserve(&r).await? else {
        let wait_ms = state.repo.wait_for_room(&r).await?;
        return Err(Error::TooManyRequests {
            retry_after_secs: (wait_ms as u64).div_ceil(1000),
        });
    };
    let ok = match verify_password_limited(password, hash).await {
        Ok(ok) => ok,
        Err(e) => {
            state.repo.release(reserved).await?;
            return Err(e);
        }
    };
    if ok {
        state.repo.release(reserved).await?;
    }
    Ok(ok)
}

/// The client's address: the peer of the connection (absent in in-process tests), or, when that peer is
/// one of `--trusted-proxy`, the last address of its `X-Forwarded-For` (the one the proxy appended; the
/// ones before it are whatever the client sent).
pub struct ClientAddr(pub Option<IpAddr>);

impl<S> FromRequestParts<S> for ClientAddr
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let state = AppState::from_ref(state);
        Ok(ClientAddr(client_address(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .next_back();
    Some(forwarded.unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("wrong", &a));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn forwarded_addresses_count_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7".parse().unwrap());
        assert_eq!(
            client_address(Some(proxy), &headers, &[proxy]),
            Some("203.0.113.7".parse().unwrap()),
            "the address the proxy appended"
        );
        let other: IpAddr = "198.51.100.2".parse().unwrap();
        assert_eq!(
            client_address(Some(other), &headers, &[proxy]),
            Some(other),
            "anyone else's header is ignored"
        );
        assert_eq!(
            client_address(Some(proxy), &HeaderMap::new(), &[proxy]),
            Some(proxy)
        );
    }

    #[test]
    fn cookie_is_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; portal_session=tok; b=2".parse().unwrap(),
        );
        assert_eq!(cookie_token(&headers).as_deref(), Some("tok"));
        let cookie = session_cookie(Some("tok"), true, 60);
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Strict")
                && cookie.contains("Secure")
        );
    }
}
