//! Who is asking: password hashing, server-side sessions, the extractors that demand a session or a role,
//! and the brake on repeated failed sign-ins.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

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

use crate::{
    AppState,
    db::now_ms,
    error::{Error, Result},
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

/// Hashing runs on the blocking pool: it takes tens of milliseconds of CPU on purpose.
pub async fn hash_password_blocking(password: String) -> Result<String> {
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
}

impl CurrentUser {
    pub fn is_staff(&self) -> bool {
        self.user.role.is_staff()
    }
}

/// A session is looked up once per request and kept in the request's extensions.
#[derive(Clone)]
struct Resolved(Option<CurrentUser>);

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

/// Counts failed sign-ins per e-mail and per address over a sliding window.
pub struct LoginLimiter {
    window: Duration,
    per_email: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn new(window: Duration, per_email: usize, per_address: usize) -> Self {
        Self {
            window,
            per_email,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(email: &str, address: Option<IpAddr>) -> [(String, bool); 2] {
        [
            (format!("e:{}", email.trim().to_lowercase()), true),
            (
                format!("a:{}", address.map(|a| a.to_string()).unwrap_or_default()),
                false,
            ),
        ]
    }

    /// `Err` with the seconds to wait when either the e-mail or the address is over its limit.
    pub fn check(&self, email: &str, address: Option<IpAddr>) -> std::result::Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = 0u64;
        for (key, is_email) in Self::keys(email, address) {
            let limit = if is_email {
                self.per_email
            } else {
                self.per_address
            };
            if let Some(times) = map.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < self.window);
                if times.len() >= limit
                    && let Some(oldest) = times.first()
                {
                    let left = self.window.saturating_sub(now.duration_since(*oldest));
                    wait = wait.max(left.as_secs().max(1));
                }
            }
        }
        if wait > 0 { Err(wait) } else { Ok(()) }
    }

    pub fn fail(&self, email: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            // Bounded memory under a flood of distinct names: forget what is past the window.
            map.retain(|_, times| {
                times
                    .last()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        for (key, _) in Self::keys(email, address) {
            map.entry(key).or_default().push(now);
        }
    }

    /// A successful sign-in clears the e-mail's count (not the address's).
    pub fn succeed(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("e:{}", email.trim().to_lowercase()));
    }
}

/// The client's address when the server was started with connection info (absent in in-process tests).
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
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
    fn limiter_blocks_after_the_limit_and_says_how_long() {
        let limiter = LoginLimiter::new(Duration::from_secs(900), 3, 100);
        let ip = Some("127.0.0.1".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.check("a@b.c", ip).is_ok());
            limiter.fail("A@b.c", ip);
        }
        let wait = limiter.check("a@b.c", ip).unwrap_err();
        assert!(wait > 800 && wait <= 900, "{wait}");
        assert!(
            limiter.check("other@b.c", ip).is_ok(),
            "other e-mails are not blocked"
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
