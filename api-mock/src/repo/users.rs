//! Organizations, users and sessions.

use crate::db::sql::{self, Row};
use api_types::{OrgRole, Organization, OrganizationRef, Role, User};

use super::Repo;
use crate::db::{now_ms, to_time};

/// A user row with what sign-in needs beside the public fields.
pub struct Account {
    pub user: User,
    pub password_hash: String,
}

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::Client => "client",
        Role::Agent => "agent",
        Role::Admin => "admin",
    }
}

fn parse_role(s: &str) -> Role {
    match s {
        "agent" => Role::Agent,
        "admin" => Role::Admin,
        _ => Role::Client,
    }
}

pub fn org_role_str(role: OrgRole) -> &'static str {
    match role {
        OrgRole::Manager => "manager",
        OrgRole::Member => "member",
    }
}

fn parse_org_role(s: Option<String>) -> Option<OrgRole> {
    match s.as_deref() {
        Some("manager") => Some(OrgRole::Manager),
        Some("member") => Some(OrgRole::Member),
        _ => None,
    }
}

pub(crate) const USER_COLUMNS: &str = "u.id, u.name, u.email, u.role, u.org_role, u.locale, u.disabled, u.invited, u.password_hash, \
     o.id AS org_id, o.name AS org_name";

pub(crate) fn account_from_row(row: &Row) -> Account {
    let org_id: Option<i64> = row.get("org_id");
    Account {
        user: User {
            id: row.get("id"),
            name: row.get("name"),
            email: row.get("email"),
            role: parse_role(row.get::<&str, _>("role")),
            org_role: parse_org_role(row.get("org_role")),
            organization: org_id.map(|id| OrganizationRef {
                id,
                name: row.get("org_name"),
            }),
            locale: row.get("locale"),
            disabled: row.flag("disabled"),
            invited: row.flag("invited"),
        },
        password_hash: row.get("password_hash"),
    }
}

/// What a new user is made of, once validated.
pub struct UserRecord<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub org_role: Option<OrgRole>,
    pub password_hash: &'a str,
    pub locale: &'a str,
    /// Invited: no usable password until its owner chooses one from the invitation's link.
    pub invited: bool,
}

/// The password hash of an invited account: no Argon2 hash, so no password ever matches it.
pub const NO_PASSWORD: &str = "!invited";

/// A live session joined with its user.
pub struct SessionRow {
    pub account: Account,
    /// A session opened by a ticket's one-click link: that ticket only, until the password is given.
    pub ticket_id: Option<i64>,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

impl Repo {
    pub async fn organizations(&self) -> sqlx::Result<Vec<Organization>> {
        let rows = sql::query("SELECT id, name, created_at FROM organizations ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Organization {
                id: r.get("id"),
                name: r.get("name"),
                created_at: to_time(r.get("created_at")),
            })
            .collect())
    }

    /// Creates an organization; `None` when the name is taken.
    pub async fn create_organization(&self, name: &str) -> sqlx::Result<Option<Organization>> {
        let now = now_ms();
        let id = sql::query(
            "INSERT INTO organizations (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(name)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id.map(|row| Organization {
            id: row.get(0),
            name: name.to_string(),
            created_at: to_time(now),
        }))
    }

    pub async fn organization_exists(&self, id: i64) -> sqlx::Result<bool> {
        Ok(sql::query("SELECT 1 FROM organizations WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    pub async fn account_by_email(&self, email: &str) -> sqlx::Result<Option<Account>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.email = ?"
        );
        let row = sql::query(&sql)
            .bind(email.trim())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(account_from_row))
    }

    pub async fn account_by_id(&self, id: i64) -> sqlx::Result<Option<Account>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.id = ?"
        );
        let row = sql::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(account_from_row))
    }

    pub async fn users(
        &self,
        role: Option<Role>,
        organization_id: Option<i64>,
    ) -> sqlx::Result<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u LEFT JOIN organizations o ON o.id = u.organization_id \
             WHERE (?1 IS NULL OR u.role = ?1) AND (?2 IS NULL OR u.organization_id = ?2) ORDER BY u.name"
        );
        let rows = sql::query(&sql)
            .bind(role.map(role_str))
            .bind(organization_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| account_from_row(r).user).collect())
    }

    /// Creates a user; `None` when the e-mail is taken.
    pub async fn create_user(&self, new: &UserRecord<'_>) -> sqlx::Result<Option<User>> {
        let id: Option<i64> = sql::query_scalar(
            "INSERT INTO users (email, name, role, organization_id, org_role, password_hash, locale, invited, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(email) DO NOTHING RETURNING id",
        )
        .bind(new.email.trim())
        .bind(new.name.trim())
        .bind(role_str(new.role))
        .bind(new.organization_id)
        .bind(new.org_role.map(org_role_str))
        .bind(new.password_hash)
        .bind(new.locale)
        .bind(i64::from(new.invited))
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => Ok(self.account_by_id(id).await?.map(|a| a.user)),
            None => Ok(None),
        }
    }

    /// Applies a change to a user; disabling a user ends their sessions in the same transaction.
    pub async fn update_user(
        &self,
        id: i64,
        name: Option<&str>,
        role: Option<Role>,
        org_role: Option<OrgRole>,
        disabled: Option<bool>,
    ) -> sqlx::Result<Option<User>> {
        let mut tx = self.pool.begin_write().await?;
        let done = sql::query(
            "UPDATE users SET name = COALESCE(?, name), role = COALESCE(?, role), \
             org_role = COALESCE(?, org_role), disabled = COALESCE(?, disabled) WHERE id = ?",
        )
        .bind(name.map(str::trim))
        .bind(role.map(role_str))
        .bind(org_role.map(org_role_str))
        .bind(disabled.map(i64::from))
        .bind(id)
        .execute(&mut tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        if disabled == Some(true) {
            sql::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(id)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(self.account_by_id(id).await?.map(|a| a.user))
    }

    /// Creates an invited user and writes their invitation in the same transaction; `None` when the
    /// e-mail is taken.
    pub async fn create_invited_user(&self, new: &UserRecord<'_>) -> sqlx::Result<Option<User>> {
        let now = now_ms();
        let mut tx = self.pool.begin_write().await?;
        let id: Option<i64> = sql::query_scalar(
            "INSERT INTO users (email, name, role, organization_id, org_role, password_hash, locale, invited, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT(email) DO NOTHING RETURNING id",
        )
        .bind(new.email.trim())
        .bind(new.name.trim())
        .bind(role_str(new.role))
        .bind(new.organization_id)
        .bind(new.org_role.map(org_role_str))
        .bind(NO_PASSWORD)
        .bind(new.locale)
        .bind(now)
        .fetch_optional(&mut tx)
        .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        super::outbox::enqueue_account_mail_in(&mut tx, id, super::outbox::Notice::Invitation, now)
            .await?;
        tx.commit().await?;
        Ok(self.account_by_id(id).await?.map(|a| a.user))
    }

    /// Writes a fresh invitation to an invited user: the links of the earlier ones stop working at once.
    /// Answers whether a mail was written (not to a disabled account, nor one no longer invited).
    pub async fn reinvite(&self, user_id: i64) -> sqlx::Result<bool> {
        let now = now_ms();
        let mut tx = self.pool.begin_write().await?;
        let invited: bool = sql::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM users WHERE id = ? AND invited = 1 AND disabled = 0)",
        )
        .bind(user_id)
        .fetch_one(&mut tx)
        .await?;
        if !invited {
            return Ok(false);
        }
        super::outbox::forget_invite_links(&mut tx, user_id, now).await?;
        let done = super::outbox::enqueue_account_mail_in(
            &mut tx,
            user_id,
            super::outbox::Notice::Invitation,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Sets a new password hash and ends every session of the user but `keep` (the hash of the caller's).
    /// A password chosen ends an invitation: the account is no longer `invited`.
    pub async fn set_password(
        &self,
        user_id: i64,
        hash: &str,
        keep: Option<&[u8]>,
    ) -> sqlx::Result<()> {
        let mut tx = self.pool.begin_write().await?;
        sql::query("UPDATE users SET password_hash = ?, invited = 0 WHERE id = ?")
            .bind(hash)
            .bind(user_id)
            .execute(&mut tx)
            .await?;
        sql::query("DELETE FROM sessions WHERE user_id = ? AND (?2 IS NULL OR token_hash <> ?2)")
            .bind(user_id)
            .bind(keep)
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    pub async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: i64,
        expires_at: i64,
    ) -> sqlx::Result<()> {
        self.create_scoped_session(token_hash, user_id, expires_at, None)
            .await
    }

    /// A session; with `ticket_id`, one that sees that ticket only (opened by a one-click link).
    pub async fn create_scoped_session(
        &self,
        token_hash: &[u8],
        user_id: i64,
        expires_at: i64,
        ticket_id: Option<i64>,
    ) -> sqlx::Result<()> {
        let now = now_ms();
        sql::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ticket_id) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(now)
        .bind(expires_at)
        .bind(ticket_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn session(&self, token_hash: &[u8]) -> sqlx::Result<Option<SessionRow>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.last_seen_at, s.expires_at, s.ticket_id AS session_ticket FROM sessions s \
             JOIN users u ON u.id = s.user_id LEFT JOIN organizations o ON o.id = u.organization_id \
             WHERE s.token_hash = ?"
        );
        let row = sql::query(&sql)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| SessionRow {
            account: account_from_row(&row),
            ticket_id: row.get("session_ticket"),
            last_seen_at: row.get("last_seen_at"),
            expires_at: row.get("expires_at"),
        }))
    }

    pub async fn touch_session(&self, token_hash: &[u8], now: i64) -> sqlx::Result<()> {
        sql::query("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
            .bind(now)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &[u8]) -> sqlx::Result<()> {
        sql::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets sessions past their lifetime or idle for longer than `idle_ms`.
    pub async fn purge_sessions(&self, idle_ms: i64) -> sqlx::Result<u64> {
        let now = now_ms();
        let done = sql::query("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?")
            .bind(now)
            .bind(now - idle_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// The user's choice of notifications: (own tickets, assigned tickets, organization tickets, daily
    /// digest), whatever the role; the caller shows the ones that apply.
    pub async fn notification_prefs(
        &self,
        user_id: i64,
    ) -> sqlx::Result<Option<(bool, bool, bool, bool)>> {
        let row = sql::query(
            "SELECT notify_own, notify_assigned, notify_org, notify_digest FROM users WHERE id = ?",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| {
            (
                r.flag("notify_own"),
                r.flag("notify_assigned"),
                r.flag("notify_org"),
                r.flag("notify_digest"),
            )
        }))
    }

    /// Sets the choices given (`None`: unchanged).
    pub async fn set_notification_prefs(
        &self,
        user_id: i64,
        own: Option<bool>,
        assigned: Option<bool>,
        org: Option<bool>,
        digest: Option<bool>,
    ) -> sqlx::Result<()> {
        sql::query(
            "UPDATE users SET notify_own = COALESCE(?, notify_own), \
             notify_assigned = COALESCE(?, notify_assigned), notify_org = COALESCE(?, notify_org), \
             notify_digest = COALESCE(?, notify_digest) WHERE id = ?",
        )
        .bind(own.map(i64::from))
        .bind(assigned.map(i64::from))
        .bind(org.map(i64::from))
        .bind(digest.map(i64::from))
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn user_count(&self) -> sqlx::Result<i64> {
        sql::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
    }
}
