//! Sign-in, sign-out, the signed-in user, and the admin's organizations and users.

use api_types::{
    Login, NewInvitation, NewOrganization, NewUser, NotificationPrefs, OrgRole, Organization,
    PasswordChange, Problem, Role, SessionInfo, User, UserChange,
};
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    auth::{self, Admin, ClientAddr, CurrentUser, Staff},
    error::{Error, Invalid, Result, Validator},
    extract::{Json, NoStore, Path, Query},
    repo::users::UserRecord,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(session))
        .routes(routes!(change_password))
        .routes(routes!(notifications, set_notifications))
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(invite))
        .routes(routes!(invite_again))
        .routes(routes!(list_clients))
        .routes(routes!(list_agents))
}

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 200;
/// A person's or an organization's name.
pub const NAME_MAX: usize = 120;

#[utoipa::path(post, path = "/auth/login", tag = "accounts", request_body = Login,
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    Json(body): Json<Login>,
) -> Result<Response> {
    // Counted before the verification: concurrent attempts cannot all slip under the limit.
    let attempt = auth::SignIn::reserve(&state, &body.email, address).await?;
    let account = state.repo.account_by_email(&body.email).await?;
    // Unknown e-mail or not: one Argon2 verification either way, so the answer takes the same time.
    // An invited account has no password yet: it is verified against the dummy as an unknown one.
    let hash = account
        .as_ref()
        .filter(|a| !a.user.invited)
        .map_or_else(|| state.dummy_hash.to_string(), |a| a.password_hash.clone());
    let password_ok = match auth::verify_password_limited(body.password.clone(), hash).await {
        Ok(ok) => ok,
        Err(busy) => {
            attempt.not_checked().await?;
            return Err(busy);
        }
    };
    let account = match account {
        // The attempt stays counted as a failure.
        Some(a) if password_ok && !a.user.disabled && !a.user.invited => a,
        _ => return Err(Error::InvalidCredentials),
    };
    attempt.succeeded().await?;
    // The session this browser had (a one-click link's, limited to a ticket) gives way to the new one.
    if let Some(old) = auth::cookie_token(&headers) {
        state.repo.delete_session(&auth::token_hash(&old)).await?;
    }
    let (token, hash) = auth::new_token();
    let lifetime = state.config.session_lifetime;
    let expires_at = crate::db::now_ms() + lifetime.as_millis() as i64;
    state
        .repo
        .create_session(&hash, account.user.id, expires_at)
        .await?;
    let cookie = auth::session_cookie(
        Some(&token),
        auth::is_https(state.config.secure_cookies, &headers),
        lifetime.as_secs() as i64,
    );
    let mut response = Json(account.user).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| Error::Internal(e.to_string()))?,
    );
    Ok(response)
}

#[utoipa::path(post, path = "/auth/logout", tag = "accounts", responses((status = 204)))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    if let Some(token) = auth::cookie_token(&headers) {
        state.repo.delete_session(&auth::token_hash(&token)).await?;
    }
    let cookie = auth::session_cookie(
        None,
        auth::is_https(state.config.secure_cookies, &headers),
        0,
    );
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| Error::Internal(e.to_string()))?,
    );
    Ok(response)
}

#[utoipa::path(get, path = "/me", tag = "accounts",
    responses((status = 200, body = User, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn me(user: CurrentUser) -> NoStore<Json<User>> {
    NoStore(Json(user.user))
}

/// Who is signed in, answered 200 either way so that a first visit logs no error.
#[utoipa::path(get, path = "/auth/session", tag = "accounts",
    responses((status = 200, body = SessionInfo, headers(("Cache-Control" = String, description = "`no-store`")))))]
async fn session(user: Option<CurrentUser>) -> NoStore<Json<SessionInfo>> {
    NoStore(Json(SessionInfo {
        ticket_only: user.as_ref().and_then(|u| u.ticket_only),
        user: user.map(|u| u.user),
    }))
}

#[utoipa::path(post, path = "/me/password", tag = "accounts", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientAddr(address): ClientAddr,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode> {
    let mut v = Validator::new();
    check_password(&mut v, "new", &body.new);
    v.finish()?;
    let account = state
        .repo
        .account_by_id(user.user.id)
        .await?
        .ok_or(Error::Unauthorized)?;
    if !auth::check_current_password(
        &state,
        user.user.id,
        address,
        body.current,
        account.password_hash,
    )
    .await?
    {
        return Err(Error::invalid("current", Invalid::WrongPassword));
    }
    let hash = auth::hash_password_blocking(body.new).await?;
    state
        .repo
        .set_password(user.user.id, &hash, Some(&user.session_hash))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which of the preferences apply to `user`: (assigned tickets: staff; organization tickets and the
/// daily digest: an organization's managers).
fn prefs_apply(user: &User) -> (bool, bool) {
    (
        user.role.is_staff(),
        user.org_role == Some(OrgRole::Manager),
    )
}

async fn prefs_of(state: &AppState, user: &User) -> Result<NotificationPrefs> {
    let (own, assigned, org, digest) = state
        .repo
        .notification_prefs(user.id)
        .await?
        .ok_or(Error::Unauthorized)?;
    let (staff, manager) = prefs_apply(user);
    Ok(NotificationPrefs {
        own_tickets: own,
        assigned_tickets: staff.then_some(assigned),
        organization_tickets: manager.then_some(org),
        daily_digest: manager.then_some(digest),
    })
}

/// Which e-mails the signed-in user gets. The fields that do not apply to the role are `null`. Account
/// mails (reset, sign-in link, invitation) always go. A one-click session (`ticket_only`) is no session
/// here (401).
#[utoipa::path(get, path = "/me/notifications", tag = "accounts",
    responses((status = 200, body = NotificationPrefs), (status = 401, body = Problem)))]
async fn notifications(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<NoStore<Json<NotificationPrefs>>> {
    Ok(NoStore(Json(prefs_of(&state, &user.user).await?)))
}

/// Sets which e-mails the signed-in user gets. A field that does not apply to the role must be `null`
/// (422 on it otherwise); a `null` field that applies is left as it is. Answers the choices now.
#[utoipa::path(put, path = "/me/notifications", tag = "accounts", request_body = NotificationPrefs,
    responses((status = 200, body = NotificationPrefs), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
async fn set_notifications(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<NotificationPrefs>,
) -> Result<Json<NotificationPrefs>> {
    let (staff, manager) = prefs_apply(&user.user);
    let mut v = Validator::new();
    let not_yours = || Invalid::Custom {
        pt: "Esta opção não se aplica à sua conta: envie null.".into(),
        en: "This option does not apply to your account: send null.".into(),
    };
    if body.assigned_tickets.is_some() && !staff {
        v.add("assigned_tickets", not_yours());
    }
    if body.organization_tickets.is_some() && !manager {
        v.add("organization_tickets", not_yours());
    }
    if body.daily_digest.is_some() && !manager {
        v.add("daily_digest", not_yours());
    }
    v.finish()?;
    state
        .repo
        .set_notification_prefs(
            user.user.id,
            Some(body.own_tickets),
            body.assigned_tickets,
            body.organization_tickets,
            body.daily_digest,
        )
        .await?;
    Ok(Json(prefs_of(&state, &user.user).await?))
}

pub(crate) fn check_password(v: &mut Validator, field: &str, password: &str) {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        v.add(field, Invalid::TooShort(PASSWORD_MIN));
    } else if n > PASSWORD_MAX {
        v.add(field, Invalid::TooLong(PASSWORD_MAX));
    }
}

/// `GET /organizations` (staff: the queue is filtered by organization; creating one is for admins).
#[utoipa::path(get, path = "/organizations", tag = "admin",
    responses((status = 200, body = Vec<Organization>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_organizations(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<Vec<Organization>>> {
    Ok(Json(state.repo.organizations().await?))
}

#[utoipa::path(post, path = "/organizations", tag = "admin", request_body = NewOrganization,
    responses((status = 201, body = Organization), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_organization(
    State(state): State<AppState>,
    _admin: Admin,
    Json(body): Json<NewOrganization>,
) -> Result<(StatusCode, Json<Organization>)> {
    let mut v = Validator::new();
    v.text("name", &body.name, NAME_MAX);
    v.finish()?;
    let org = state
        .repo
        .create_organization(body.name.trim())
        .await?
        .ok_or_else(|| Error::invalid("name", Invalid::Taken))?;
    Ok((StatusCode::CREATED, Json(org)))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UserFilter {
    role: Option<Role>,
    organization_id: Option<i64>,
}

#[utoipa::path(get, path = "/users", tag = "admin", params(UserFilter),
    responses((status = 200, body = Vec<User>), (status = 403, body = Problem)))]
async fn list_users(
    State(state): State<AppState>,
    _admin: Admin,
    Query(filter): Query<UserFilter>,
) -> Result<Json<Vec<User>>> {
    Ok(Json(
        state
            .repo
            .users(filter.role, filter.organization_id)
            .await?,
    ))
}

/// `GET /clients` (staff): the active client accounts, for logging a ticket taken by phone, e-mail, chat or
/// in person on a client's behalf.
#[utoipa::path(get, path = "/clients", tag = "tickets",
    responses((status = 200, body = Vec<User>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_clients(State(state): State<AppState>, _staff: Staff) -> Result<Json<Vec<User>>> {
    let mut clients = state.repo.users(Some(Role::Client), None).await?;
    clients.retain(|u| !u.disabled);
    clients.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(clients))
}

/// `GET /agents` (staff): the active support staff (agents and admins), whom a ticket can be assigned to
/// and the queue filtered by.
#[utoipa::path(get, path = "/agents", tag = "tickets",
    responses((status = 200, body = Vec<User>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_agents(State(state): State<AppState>, _staff: Staff) -> Result<Json<Vec<User>>> {
    let mut staff = state.repo.users(Some(Role::Agent), None).await?;
    staff.extend(state.repo.users(Some(Role::Admin), None).await?);
    staff.retain(|u| !u.disabled);
    staff.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(staff))
}

/// The checks of a new account, shared by `add_user` and invitations: the address and name, the password
/// (none for an invitation), the locale, and that clients (only) belong to an existing organization.
async fn check_new_account(
    repo: &crate::repo::Repo,
    v: &mut Validator,
    a: AccountFields<'_>,
) -> Result<()> {
    let AccountFields {
        email,
        name,
        password,
        role,
        organization_id,
        locale,
    } = a;
    v.email("email", email);
    v.text("name", name, NAME_MAX);
    if let Some(password) = password {
        check_password(v, "password", password);
    }
    v.locale("locale", locale);
    match (role == Role::Client, organization_id) {
        (true, None) => v.add("organization_id", Invalid::Required),
        (true, Some(id)) if !repo.organization_exists(id).await? => {
            v.add("organization_id", Invalid::NotFound)
        }
        (false, Some(_)) => v.add(
            "organization_id",
            Invalid::Custom {
                pt: "Só clientes pertencem a uma organização.".into(),
                en: "Only clients belong to an organization.".into(),
            },
        ),
        _ => {}
    }
    Ok(())
}

/// What `check_new_account` checks.
struct AccountFields<'a> {
    email: &'a str,
    name: &'a str,
    password: Option<&'a str>,
    role: Role,
    organization_id: Option<i64>,
    locale: Option<&'a str>,
}

/// Validates and stores a new user; shared by the admin endpoint, the command line and the demo data.
pub async fn add_user(state_repo: &crate::repo::Repo, body: NewUser) -> Result<User> {
    let mut v = Validator::new();
    check_new_account(
        state_repo,
        &mut v,
        AccountFields {
            email: &body.email,
            name: &body.name,
            password: Some(&body.password),
            role: body.role,
            organization_id: body.organization_id,
            locale: body.locale.as_deref(),
        },
    )
    .await?;
    v.finish()?;
    let client = body.role == Role::Client;
    let org_role = client.then(|| body.org_role.unwrap_or(OrgRole::Member));
    let hash = auth::hash_password_blocking(body.password).await?;
    let record = UserRecord {
        email: &body.email,
        name: &body.name,
        role: body.role,
        organization_id: body.organization_id,
        org_role,
        password_hash: &hash,
        locale: body.locale.as_deref().unwrap_or(crate::LOCALES[0]),
        invited: false,
    };
    state_repo
        .create_user(&record)
        .await?
        .ok_or_else(|| Error::invalid("email", Invalid::Taken))
}

/// Validates and stores an invited user (no password) and writes their invitation, in one transaction;
/// `inviter` may invite that role (`policy::may_invite`), else 403. Shared by the route and the command
/// line (`None`: the server's operator, who may invite anyone).
pub async fn invite_user(
    repo: &crate::repo::Repo,
    inviter: Option<&User>,
    body: NewInvitation,
) -> Result<User> {
    if inviter.is_some_and(|i| !crate::policy::may_invite(i, body.role)) {
        return Err(Error::Forbidden);
    }
    let mut v = Validator::new();
    check_new_account(
        repo,
        &mut v,
        AccountFields {
            email: &body.email,
            name: &body.name,
            password: None,
            role: body.role,
            organization_id: body.organization_id,
            locale: body.locale.as_deref(),
        },
    )
    .await?;
    v.finish()?;
    let client = body.role == Role::Client;
    let record = UserRecord {
        email: &body.email,
        name: &body.name,
        role: body.role,
        organization_id: body.organization_id,
        org_role: client.then(|| body.org_role.unwrap_or(OrgRole::Member)),
        password_hash: crate::repo::users::NO_PASSWORD,
        locale: body.locale.as_deref().unwrap_or(crate::LOCALES[0]),
        invited: true,
    };
    repo.create_invited_user(&record)
        .await?
        .ok_or_else(|| Error::invalid("email", Invalid::Taken))
}

/// Invites someone: an account without a password, and a mail whose link (7 days, once) opens
/// `/account/invite?token=...`, where its owner chooses one (`POST /auth/reset-password`). Admins invite
/// anyone; agents clients only (403 otherwise). The same checks as `POST /users` (422).
#[utoipa::path(post, path = "/users/invitations", tag = "admin", request_body = NewInvitation,
    responses((status = 201, body = User, description = "Invited (`invited: true`); the mail is on its way"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn invite(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Json(body): Json<NewInvitation>,
) -> Result<(StatusCode, Json<User>)> {
    Ok((
        StatusCode::CREATED,
        Json(invite_user(&state.repo, Some(&staff.user), body).await?),
    ))
}

/// Sends a still-invited user a new invitation; the earlier invitations' links stop working. Admins for
/// anyone, agents for clients (403 otherwise); 409 when the account is no longer invited or is disabled,
/// or its address refused a mail before.
#[utoipa::path(post, path = "/users/{id}/invitation", tag = "admin",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User, description = "A new invitation is on its way"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn invite_again(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Path(id): Path<i64>,
) -> Result<Json<User>> {
    let target = state
        .repo
        .account_by_id(id)
        .await?
        .ok_or(Error::NotFound)?
        .user;
    crate::policy::reinvite(&staff.user, &target)?;
    if !state.repo.reinvite(id).await? {
        // Accepted or disabled in the meantime: said as if it had been so already.
        let now = state.repo.account_by_id(id).await?.ok_or(Error::NotFound)?;
        crate::policy::reinvite(&staff.user, &now.user)?;
        // Else the address refused a mail before (a permanent failure): nothing can be sent to it.
        return Err(Error::Conflict(match crate::lang::Lang::current() {
            crate::lang::Lang::PtBr => {
                "Este endereço recusou um e-mail antes: nada mais é enviado a ele. \
                 Confira o endereço."
                    .into()
            }
            crate::lang::Lang::En => {
                "This address refused a mail before: nothing more is sent to it. \
                 Check the address."
                    .into()
            }
        }));
    }
    Ok(Json(target))
}

#[utoipa::path(post, path = "/users", tag = "admin", request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(state): State<AppState>,
    _admin: Admin,
    Json(body): Json<NewUser>,
) -> Result<(StatusCode, Json<User>)> {
    Ok((
        StatusCode::CREATED,
        Json(add_user(&state.repo, body).await?),
    ))
}

#[utoipa::path(patch, path = "/users/{id}", tag = "admin", request_body = UserChange,
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn update_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
    Json(body): Json<UserChange>,
) -> Result<Json<User>> {
    let current = state
        .repo
        .account_by_id(id)
        .await?
        .ok_or(Error::NotFound)?
        .user;
    let mut v = Validator::new();
    if let Some(name) = &body.name {
        v.text("name", name, NAME_MAX);
    }
    let new_role = body.role.unwrap_or(current.role);
    if (new_role == Role::Client) != (current.role == Role::Client) {
        v.add(
            "role",
            Invalid::Custom {
                pt: "Um cliente não pode virar equipe, nem o contrário: crie outra conta.".into(),
                en: "A client cannot become staff or the reverse: create another account.".into(),
            },
        );
    }
    if body.org_role.is_some() && new_role != Role::Client {
        v.add("org_role", Invalid::OneOf(&["null"]));
    }
    if id == admin.user.id
        && (body.disabled == Some(true) || body.role.is_some_and(|r| r != Role::Admin))
    {
        v.add(
            "disabled",
            Invalid::Custom {
                pt: "Você não pode desativar nem rebaixar a sua própria conta.".into(),
                en: "You cannot disable or demote your own account.".into(),
            },
        );
    }
    v.finish()?;
    state
        .repo
        .update_user(
            id,
            body.name.as_deref(),
            body.role,
            body.org_role,
            body.disabled,
        )
        .await?
        .map(Json)
        .ok_or(Error::NotFound)
}
