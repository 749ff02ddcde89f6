//! The types of the REST API contract (`shared/api-contract.md`), shared by the app and the server.
//!
//! Plain serde types only: no logic, no framework. Names say which side they are on: `New*` and `*Change`
//! are request bodies, the others are answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The locales the portal speaks, for the OpenAPI document: request fields that take a locale are
/// plain strings here (the server answers 422 with the choices for any other) and this type in the
/// document.
#[cfg(feature = "openapi")]
#[derive(Serialize, ToSchema)]
pub enum LocaleTag {
    #[serde(rename = "pt-BR")]
    PtBr,
    #[serde(rename = "en")]
    En,
}

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// RFC 9457 problem details: the body of every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// A stable machine-readable code the app translates (`invalid_credentials`, `too_many_requests`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// With a 409 `stale_revision`: the article as it is now, so the editor can compare and choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Box<Article>>,
    /// With a 409 `stale_revision`: the body's lines from `current` to the text that was sent, in order,
    /// so the editor can show what differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<DiffLine>>,
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Health {
    pub status: String,
    /// The newest verified-good backup; present when the server makes backups on a schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<LastBackup>,
    /// PostgreSQL's WAL archiving (`pg_stat_archiver`), what the operator's backups rest on; present on
    /// PostgreSQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_archiver: Option<WalArchiver>,
}

/// PostgreSQL's WAL archiver as `pg_stat_archiver` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WalArchiver {
    /// The server's `archive_mode`: `off` archives nothing (no point-in-time recovery).
    pub mode: String,
    pub archived_count: i64,
    pub last_archived_wal: Option<String>,
    pub last_archived_at: Option<DateTime<Utc>>,
    pub failed_count: i64,
    pub last_failed_wal: Option<String>,
    pub last_failed_at: Option<DateTime<Utc>>,
    /// Archiving is off, or its last attempt failed: the backups fall behind.
    pub stale: bool,
}

/// The newest verified-good backup, and whether it is too old to rely on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LastBackup {
    /// `null` while there is no good backup yet.
    pub at: Option<DateTime<Utc>>,
    pub file: Option<String>,
    pub age_seconds: Option<i64>,
    /// No good backup, one older than twice the interval, or the last attempt failed.
    pub stale: bool,
}

/// A snapshot's verdict: `good` counts as a backup; `suspect` is kept as evidence, never rotated away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum BackupStatus {
    Good,
    Suspect,
}

/// One snapshot of the backup directory's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BackupSnapshot {
    pub file: String,
    pub created_at: DateTime<Utc>,
    pub status: BackupStatus,
    /// Rows over all tables.
    pub rows: i64,
    pub size_bytes: u64,
    pub sha256: String,
    pub duration_ms: u64,
    /// Why a suspect snapshot is suspect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// `GET /admin/backups` (staff): the schedule, the last attempt and every snapshot, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BackupOverview {
    /// Whether this server makes backups on a schedule (`serve --backup-dir`).
    pub scheduled: bool,
    pub every_seconds: Option<u64>,
    pub keep: Option<u32>,
    pub last_backup: Option<LastBackup>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub snapshots: Vec<BackupSnapshot>,
}

// ---------------------------------------------------------------------------------------------------------
// Accounts

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Client,
    Agent,
    Admin,
}

impl Role {
    /// Support staff: agents and admins.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Agent | Role::Admin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    Manager,
    Member,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrganizationRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 120, pattern = r"\S")
    )]
    pub name: String,
}

/// The signed-in user (`GET /me`) or a user in the admin's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub org_role: Option<OrgRole>,
    pub organization: Option<OrganizationRef>,
    pub locale: String,
    #[serde(default)]
    pub disabled: bool,
    /// Invited and not yet in: the account's owner has not chosen a password from the invitation's link.
    #[serde(default)]
    pub invited: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 10, max_length = 200))]
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 120, pattern = r"\S")
    )]
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub organization_id: Option<i64>,
    #[serde(default)]
    pub org_role: Option<OrgRole>,
    #[cfg_attr(feature = "openapi", schema(min_length = 10, max_length = 200))]
    pub password: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LocaleTag>))]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 120, pattern = r"\S")
    )]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub org_role: Option<OrgRole>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// `POST /users/invitations`: an account whose owner chooses the password from the link e-mailed to
/// them (valid 7 days, once). Admins invite anyone; agents invite clients only (a client added while a
/// ticket is logged by phone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 120, pattern = r"\S")
    )]
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub organization_id: Option<i64>,
    #[serde(default)]
    pub org_role: Option<OrgRole>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LocaleTag>))]
    pub locale: Option<String>,
}

/// `GET` and `PUT /me/notifications`: which e-mails the signed-in user gets. Mails about the account
/// itself (a reset, a sign-in link, an invitation) always go. A field that does not apply to the user's
/// role is `null` (and must be `null` in a `PUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NotificationPrefs {
    /// The tickets the user opened or that were opened for them: created, answered, status changed,
    /// resolved (with the request for a rating).
    pub own_tickets: bool,
    /// Managers of an organization: the other tickets of the organization.
    #[serde(default)]
    pub organization_tickets: Option<bool>,
    /// Managers of an organization: one mail a day summing up the organization's tickets.
    #[serde(default)]
    pub daily_digest: Option<bool>,
    /// Staff: the tickets assigned to them (client replies, escalations, service targets about to be
    /// missed).
    #[serde(default)]
    pub assigned_tickets: Option<bool>,
}

// ---------------------------------------------------------------------------------------------------------
// Announcements

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AnnouncementKind {
    Incident,
    Maintenance,
    Info,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Announcement {
    pub id: i64,
    pub kind: AnnouncementKind,
    pub title: String,
    pub body_html: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// `None`: shown in every language.
    #[serde(default)]
    pub locale: Option<String>,
}

/// `POST /announcements` and `PUT /announcements/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAnnouncement {
    pub kind: AnnouncementKind,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 160, pattern = r"\S")
    )]
    pub title: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 10000, pattern = r"\S")
    )]
    pub body_md: String,
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LocaleTag>))]
    pub locale: Option<String>,
    /// The same announcement in other languages: a reader whose language has a text here sees it instead
    /// of `title` and `body_md`. One per language, none in `locale`'s.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 2))]
    pub translations: Vec<AnnouncementText>,
}

/// An announcement's title and body in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnnouncementText {
    #[cfg_attr(feature = "openapi", schema(value_type = LocaleTag))]
    pub locale: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 160, pattern = r"\S")
    )]
    pub title: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 10000, pattern = r"\S")
    )]
    pub body_md: String,
}

/// `GET /auth/session`: who is signed in, without an error when nobody is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SessionInfo {
    pub user: Option<User>,
    /// A session opened by a one-click link from a notification: it opens this ticket only, and asks
    /// for the password for anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_only: Option<i64>,
}

/// `POST /auth/forgot-password` and `POST /auth/sign-in-link`: where to send the link. The answer is
/// the same whether or not an account has that address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MailLinkRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 254))]
    pub email: String,
}

/// `POST /auth/reset-password`: the token of a reset link and the new password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub token: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 10, max_length = 200))]
    pub password: String,
}

/// `POST /auth/link`: the token of a link from an e-mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MailLinkUse {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub token: String,
}

// ---------------------------------------------------------------------------------------------------------
// Knowledge base

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

/// `GET /kb/categories`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub locale: String,
    pub position: i64,
    pub article_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CategoryRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ArticleSummary {
    pub id: i64,
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub summary: String,
    pub category: CategoryRef,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub views: i64,
    /// Filled in staff lists (`?status=`); public lists hold published articles only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ArticleStatus>,
    #[serde(default)]
    pub helpful_yes: i64,
    #[serde(default)]
    pub helpful_no: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Translation {
    pub locale: String,
    pub slug: String,
}

/// `GET /kb/articles/{slug}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Article {
    pub id: i64,
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub summary: String,
    pub category: CategoryRef,
    pub updated_at: DateTime<Utc>,
    pub body_md: String,
    pub body_html: String,
    pub tags: Vec<String>,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    pub status: ArticleStatus,
    pub revision: i64,
    pub translations: Vec<Translation>,
    pub views: i64,
    /// Published articles of the same category, most viewed first.
    #[serde(default)]
    pub related: Vec<ArticleSummary>,
}

/// One hit of `GET /kb/search`. `snippet` is HTML whose only markup is `<mark>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SearchHit {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub snippet: String,
    pub score: f32,
    #[serde(default)]
    pub locale: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SearchResults {
    pub search_id: Option<i64>,
    pub query: String,
    pub total: u64,
    pub items: Vec<SearchHit>,
    /// The locale the hits are in: the requested one, or the other when it had nothing.
    #[serde(default)]
    pub locale: String,
}

/// `POST /kb/searches`: the search a reader settled on (opened a result, left the field, paused), as
/// opposed to the searches sent as they typed (`GET /kb/search?record=false`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSearch {
    /// The query as the reader left it (at most 300 characters, not blank).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 300, pattern = r"\S")
    )]
    pub q: String,
    #[serde(default)]
    pub locale: Option<String>,
    /// Anonymous readers: the random id the browser keeps (as for votes), so that one reader's repeats
    /// are one search. Without it, the client's address stands for the reader. Ignored when signed in.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub visitor: Option<String>,
}

/// The answer to `POST /kb/searches`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RecordedSearch {
    /// The id to send back with an article opened or a ticket opened after this search; `null` for staff,
    /// whose searches are never recorded.
    pub search_id: Option<i64>,
    /// False when nothing new was recorded: staff, or the same reader's same query within 30 minutes
    /// (which answers the earlier `search_id`).
    pub recorded: bool,
    /// How many articles the query finds.
    pub total: u64,
}

/// `POST /kb/articles/{slug}/feedback`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    pub helpful: bool,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub comment: Option<String>,
    #[serde(default)]
    pub search_id: Option<i64>,
    /// Anonymous votes: a random id the browser keeps, so that one visitor has one vote per article (a
    /// second replaces the first). Without it, the client's address stands for the visitor. Ignored when
    /// signed in. Anonymous votes per address and article are limited (429).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub visitor: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------
// Knowledge base: staff curation

/// `POST /kb/articles`: the slug is made from the title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    /// At most 200 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub title: String,
    /// Markdown, not blank, at most 100 000 characters. (The document has no `pattern` for "not blank"
    /// here: with one, schemathesis cannot make a valid body within this length.)
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100000))]
    pub body_md: String,
    pub category_id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = LocaleTag))]
    pub locale: String,
    /// At most 20 different tags (compared without case; blank ones are dropped) of at most 40
    /// characters each.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20, value_type = Vec<TagText>))]
    pub tags: Vec<String>,
    /// `draft` when absent.
    #[serde(default)]
    pub status: Option<ArticleStatus>,
    /// The id of the article this one translates (into the other language).
    #[serde(default)]
    pub translation_of: Option<i64>,
}

/// `PUT /kb/articles/{id}`: the fields of [`NewArticle`] plus the revision the editor started from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ArticleChange {
    /// At most 200 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub title: String,
    /// Markdown, not blank, at most 100 000 characters. (The document has no `pattern` for "not blank"
    /// here: with one, schemathesis cannot make a valid body within this length.)
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100000))]
    pub body_md: String,
    pub category_id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = LocaleTag))]
    pub locale: String,
    /// At most 20 different tags (compared without case; blank ones are dropped) of at most 40
    /// characters each.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20, value_type = Vec<TagText>))]
    pub tags: Vec<String>,
    /// The current status when absent.
    #[serde(default)]
    pub status: Option<ArticleStatus>,
    #[serde(default)]
    pub translation_of: Option<i64>,
    /// The revision the edit started from; a newer one on the server answers 409 with `current`.
    pub revision: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuthorRef {
    pub id: i64,
    pub name: String,
}

/// One entry of `GET /kb/articles/{id}/revisions`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RevisionSummary {
    pub revision: i64,
    pub title: String,
    /// `None` for revisions made by the system (the demo content).
    pub author: Option<AuthorRef>,
    pub created_at: DateTime<Utc>,
    pub status: ArticleStatus,
}

/// `GET /kb/articles/{id}/revisions/{revision}`: that revision's full text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Revision {
    pub article_id: i64,
    pub revision: i64,
    pub title: String,
    pub body_md: String,
    pub body_html: String,
    pub category_id: i64,
    pub tags: Vec<String>,
    pub status: ArticleStatus,
    pub author: Option<AuthorRef>,
    pub created_at: DateTime<Utc>,
}

/// An article's tag, for the OpenAPI document: at most 40 characters.
#[cfg(feature = "openapi")]
pub struct TagText;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for TagText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(40))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl ToSchema for TagText {}

/// `POST /kb/preview`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[cfg_attr(feature = "openapi", schema(max_length = 100000))]
    pub body_md: String,
}

/// `POST /tickets/preview`: a message as it will be shown (at most a message's 20 000 characters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MessagePreviewRequest {
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub body_md: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Preview {
    /// Rendered and sanitized exactly as a published article's `body_html`.
    pub html: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    /// In both revisions.
    Equal,
    /// Only in the newer revision (`to`).
    Insert,
    /// Only in the older revision (`from`).
    Delete,
}

/// One line of a diff between two revisions' Markdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DiffLine {
    pub op: DiffOp,
    pub text: String,
}

/// `GET /kb/articles/{id}/diff?from=&to=`: what changed from one revision to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RevisionDiff {
    pub from: i64,
    pub to: i64,
    pub title_from: String,
    pub title_to: String,
    /// The body, line by line, in order.
    pub lines: Vec<DiffLine>,
}

/// `POST /tickets/{id}/article-draft`: both fields are optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ArticleDraftRequest {
    /// The first category of the article's language when absent.
    #[serde(default)]
    pub category_id: Option<i64>,
    /// The requester's language when absent.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LocaleTag>))]
    pub locale: Option<String>,
}

/// `POST /kb/categories` and `PUT /kb/categories/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// Made from the name when absent or empty (on a change: the slug stays as it was). Lower-case
    /// letters without accents, digits and dashes, not at either end; unique (422 when taken).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 80, pattern = r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?)?$")
    )]
    pub slug: Option<String>,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 100, pattern = r"\S")
    )]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub description: String,
    #[cfg_attr(feature = "openapi", schema(value_type = LocaleTag))]
    pub locale: String,
    #[serde(default)]
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct QueryCount {
    pub query: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ZeroResultQuery {
    pub query: String,
    pub count: i64,
    pub last_seen: DateTime<Utc>,
}

/// An article's reads and votes within the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ArticleStats {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub views: i64,
    pub helpful_yes: i64,
    pub helpful_no: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FeedbackComment {
    pub comment: String,
    pub created_at: DateTime<Utc>,
}

/// An article that did not help, with what its readers wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UnhelpfulArticle {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    /// The comments of "not helpful" votes, newest first.
    pub comments: Vec<FeedbackComment>,
}

/// `GET /kb/analytics?days=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct KbAnalytics {
    pub days: u32,
    pub searches: i64,
    /// Of the searches by signed-in clients, the share not followed by a ticket of the same client within
    /// 24 hours; `None` when no client searched in the period.
    pub deflection_percent: Option<f64>,
    pub top_queries: Vec<QueryCount>,
    pub zero_result_queries: Vec<ZeroResultQuery>,
    /// Most viewed first.
    pub articles: Vec<ArticleStats>,
    /// Most "not helpful" votes first.
    #[serde(default)]
    pub unhelpful: Vec<UnhelpfulArticle>,
}

// ---------------------------------------------------------------------------------------------------------
// Tickets

/// `open`: waiting on staff; `pending`: waiting on the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Pending,
    Resolved,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

/// How the ticket reached support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Portal,
    Email,
    Phone,
    Chat,
    InPerson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Message,
    StatusChange,
    /// Internal to staff: never in a client's answer.
    Note,
    /// Staff only: the priority changed (`from_priority`, `to_priority`).
    PriorityChange,
    /// Staff only: the ticket was assigned to `assignee`, or left to nobody when it is absent.
    Assignment,
    /// Staff only: a notification e-mail about the ticket was delivered to `mail_to`, or failed
    /// (`mail_error`).
    Mail,
}

/// A requester or an assignee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonRef {
    pub id: i64,
    pub name: String,
    /// The requester's organization (absent for staff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationRef>,
}

/// Who wrote an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EventAuthor {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// `POST /tickets`. `requester_id` and a `channel` other than `portal` are for staff logging a ticket
/// taken by phone, e-mail, chat or in person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub subject: String,
    /// Markdown.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 20000, pattern = r"\S")
    )]
    pub description: String,
    #[serde(default)]
    pub priority: Option<Priority>,
    /// A knowledge-base category slug, when the client picked one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 80))]
    pub category: Option<String>,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub requester_id: Option<i64>,
    /// The knowledge-base search that preceded the ticket, for the analytics.
    #[serde(default)]
    pub search_id: Option<i64>,
    /// Uploads (`POST /attachments`) of the caller's, not attached yet, to attach to the description.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<i64>,
}

/// One line of `GET /tickets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TicketSummary {
    pub id: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: Priority,
    pub channel: Channel,
    pub requester: PersonRef,
    pub assignee: Option<PersonRef>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub escalated: bool,
    /// The next service target of an open or pending ticket: the first response while none was given,
    /// else the resolution. `None` for resolved and closed tickets.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// For the ticket's requester: resolved or closed and not rated yet.
    #[serde(default)]
    pub awaiting_rating: bool,
}

/// A satisfaction rating (see "Satisfaction ratings" in the contract): one per resolved or closed ticket,
/// by its requester, changeable until `changeable_until` (7 days after it was first given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TicketRating {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    #[serde(default)]
    pub comment: Option<String>,
    /// When it was first given.
    pub created_at: DateTime<Utc>,
    /// When it was last changed (`created_at` when never changed).
    pub updated_at: DateTime<Utc>,
    /// Until when the requester may change it.
    pub changeable_until: DateTime<Utc>,
}

/// `POST /tickets/{id}/rating`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRating {
    /// 1 to 5; 1 and 2 mark the ticket escalated.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub score: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub comment: Option<String>,
}

/// One event of a ticket's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TicketEvent {
    pub id: i64,
    pub kind: EventKind,
    pub author: EventAuthor,
    /// Messages and notes: the Markdown rendered and sanitized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    /// Status changes: the status before and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<TicketStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<TicketStatus>,
    /// Priority changes (staff only): the priority before and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_priority: Option<Priority>,
    /// Assignments (staff only): who has the ticket now; absent when nobody has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<PersonRef>,
    /// Mail (staff only): the address a notification was written to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_to: Option<String>,
    /// Mail (staff only): why it could not be delivered; absent when it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_error: Option<String>,
    /// Messages that came by e-mail (staff only): the quoted history cut from the mail (the earlier
    /// messages it quoted), for a "show quoted text" toggle; absent when nothing was quoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_text: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Messages and notes: their files, in the order attached (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file attached to a ticket's description, a message or a note, or an upload not attached yet
/// (`POST /attachments`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Attachment {
    pub id: i64,
    /// The file name the client gave (metadata only).
    pub name: String,
    /// In bytes.
    pub size: u64,
    /// Decided from the file's bytes, not its name: `image/png`, `application/pdf`, `text/csv`...
    pub content_type: String,
    /// Where to download it (`/api/v1/attachments/{id}`), for whoever may see its message.
    pub url: String,
    /// A raster image (png, jpeg, gif, webp) served inline, to show as a picture; anything else is served
    /// as a download.
    pub inline: bool,
    /// Raster images: a small PNG of it (at most 320 pixels a side, `/api/v1/attachments/{id}/thumbnail`),
    /// made on the server, to show in the page instead of the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

/// `GET /tickets/{id}`: the summary's fields, the description and service targets, and the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Ticket {
    pub id: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: Priority,
    pub channel: Channel,
    pub requester: PersonRef,
    pub assignee: Option<PersonRef>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The Markdown as written.
    pub description: String,
    /// The description rendered and sanitized.
    pub description_html: String,
    #[serde(default)]
    pub category: Option<String>,
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub escalated: bool,
    pub rating: Option<TicketRating>,
    /// Oldest first.
    pub events: Vec<TicketEvent>,
    /// The files attached to the description (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// `POST /tickets/{id}/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// Markdown.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 20000, pattern = r"\S")
    )]
    pub body: String,
    /// A note internal to staff (staff only).
    #[serde(default)]
    pub internal: bool,
    /// Staff only: the ticket's status after this message. Without it, a staff reply on an `open`
    /// ticket makes it `pending` (waiting on the client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    /// Uploads (`POST /attachments`) of the caller's, not attached yet, to attach to this message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<i64>,
}

/// `PATCH /tickets/{id}`. `"assignee_id": null` unassigns; an absent field leaves things as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub assignee_id: Option<Option<i64>>,
    /// Staff only: clear (or set) the flag a low rating raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated: Option<bool>,
}

/// A field that is present, even as `null`, becomes `Some` (so `null` can mean "clear it").
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

// Reports

/// The median and 90th percentile (nearest rank) of a set of durations, in business minutes; `null` when
/// the set is empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MinutesStats {
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

/// Satisfaction over a set of ratings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CsatStats {
    /// The mean score (1 to 5), `null` without responses.
    pub average: Option<f64>,
    pub responses: u64,
    /// The share of scores of 4 and 5, 0 to 100; `null` without responses.
    pub satisfied_percent: Option<f64>,
}

/// One agent's line of the KPI report (the agent is the tickets' assignee).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AgentKpis {
    pub agent: PersonRef,
    pub resolved: u64,
    pub csat_average: Option<f64>,
    pub csat_responses: u64,
    pub first_response_median_minutes: Option<f64>,
}

/// Satisfaction of the ratings given on one day (in the business hours' time zone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CsatDay {
    pub date: chrono::NaiveDate,
    pub average: Option<f64>,
    pub responses: u64,
}

/// How many first responses took at most `upper_minutes` business minutes (and more than the bucket
/// before); the last bucket has `upper_minutes: null` (longer than every bound).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HistogramBucket {
    pub upper_minutes: Option<u32>,
    pub count: u64,
}

/// A ticket a low rating escalated and that staff have not cleared yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EscalatedTicket {
    pub id: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: Priority,
    pub requester: PersonRef,
    pub assignee: Option<PersonRef>,
    /// The rating's score, when a rating escalated it.
    pub score: Option<u8>,
    pub comment: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// `GET /reports/kpis?from=&to=`: the service indicators of a period `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Kpis {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Tickets opened in the period.
    pub tickets_opened: u64,
    /// Tickets resolved (or closed) in the period, and still so.
    pub tickets_resolved: u64,
    /// Open or pending now, whatever the period.
    pub open_now: u64,
    /// Tickets opened in the period whose first response or resolution came after its due time, or is
    /// still missing past it.
    pub sla_breaches: u64,
    /// Of the tickets opened in the period and answered.
    pub first_response_minutes: MinutesStats,
    /// Of the tickets resolved in the period.
    pub resolution_minutes: MinutesStats,
    /// Of the ratings given in the period.
    pub csat: CsatStats,
    pub by_agent: Vec<AgentKpis>,
    /// Every day of the period, oldest first.
    pub csat_trend: Vec<CsatDay>,
    pub first_response_histogram: Vec<HistogramBucket>,
    /// Escalated tickets (whatever the period), most recently changed first.
    pub escalated: Vec<EscalatedTicket>,
}

/// Where a mail from an unknown sender stands in the staff's review list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InboundReviewStatus {
    Pending,
    Accepted,
    Discarded,
}

/// A mail to the support address from an address no account has (`GET /inbound/review`), waiting for
/// staff to accept it (the sender becomes a client and the mail their ticket) or discard it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InboundReview {
    pub id: i64,
    /// The sender's address.
    pub sender: String,
    /// The sender's name as their mail gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    pub subject: String,
    /// The start of the mail's text (plain text, at most 500 characters).
    pub excerpt: String,
    pub status: InboundReviewStatus,
    pub received_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    /// Accepted: the ticket the mail became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<i64>,
}

/// `POST /inbound/review/{id}/accept`: the sender becomes a client of this organization (a member; their
/// name as given, else as their mail gave it) and their mail a ticket of theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptInbound {
    pub organization_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 120))]
    pub name: Option<String>,
}
