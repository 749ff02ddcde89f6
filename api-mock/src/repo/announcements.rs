//! Announcements: incidents, maintenance windows and news shown to every client.

use api_types::{Announcement, AnnouncementKind};
use sqlx::Row;

use super::Repo;
use crate::db::{now_ms, to_time};

pub fn kind_str(kind: AnnouncementKind) -> &'static str {
    match kind {
        AnnouncementKind::Incident => "incident",
        AnnouncementKind::Maintenance => "maintenance",
        AnnouncementKind::Info => "info",
    }
}

fn parse_kind(s: &str) -> AnnouncementKind {
    match s {
        "incident" => AnnouncementKind::Incident,
        "maintenance" => AnnouncementKind::Maintenance,
        _ => AnnouncementKind::Info,
    }
}

fn from_row(r: &sqlx::sqlite::SqliteRow) -> Announcement {
    Announcement {
        id: r.get("id"),
        kind: parse_kind(r.get::<&str, _>("kind")),
        title: r.get("title"),
        body_html: r.get("body_html"),
        starts_at: to_time(r.get("starts_at")),
        ends_at: r.get::<Option<i64>, _>("ends_at").map(to_time),
        locale: r.get("locale"),
    }
}

/// An announcement as stored, once validated and rendered.
pub struct AnnouncementRecord<'a> {
    pub kind: AnnouncementKind,
    pub title: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub locale: Option<&'a str>,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, title, body_html, starts_at, ends_at, locale";

impl Repo {
    /// The announcements active now, for a locale (or every one when `locale` is `None`); incidents first.
    pub async fn active_announcements(
        &self,
        locale: Option<&str>,
    ) -> sqlx::Result<Vec<Announcement>> {
        let now = now_ms();
        let sql = format!(
            "SELECT {COLUMNS} FROM announcements WHERE starts_at <= ?1 AND (ends_at IS NULL OR ends_at > ?1) \
             AND (?2 IS NULL OR locale IS NULL OR locale = ?2) \
             ORDER BY CASE kind WHEN 'incident' THEN 0 WHEN 'maintenance' THEN 1 ELSE 2 END, starts_at DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(now)
            .bind(locale)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// Every announcement, newest first, for staff.
    pub async fn all_announcements(&self) -> sqlx::Result<Vec<Announcement>> {
        let sql = format!("SELECT {COLUMNS} FROM announcements ORDER BY starts_at DESC LIMIT 200");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(from_row).collect())
    }

    pub async fn create_announcement(
        &self,
        a: &AnnouncementRecord<'_>,
        author: i64,
    ) -> sqlx::Result<Announcement> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO announcements (kind, title, body_md, body_html, locale, starts_at, ends_at, created_by, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(kind_str(a.kind))
            .bind(a.title.trim())
            .bind(a.body_md)
            .bind(a.body_html)
            .bind(a.locale)
            .bind(a.starts_at)
            .bind(a.ends_at)
            .bind(author)
            .bind(now)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        Ok(from_row(&row))
    }

    pub async fn update_announcement(
        &self,
        id: i64,
        a: &AnnouncementRecord<'_>,
    ) -> sqlx::Result<Option<Announcement>> {
        let sql = format!(
            "UPDATE announcements SET kind = ?, title = ?, body_md = ?, body_html = ?, locale = ?, starts_at = ?, \
             ends_at = ?, updated_at = ? WHERE id = ? RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(kind_str(a.kind))
            .bind(a.title.trim())
            .bind(a.body_md)
            .bind(a.body_html)
            .bind(a.locale)
            .bind(a.starts_at)
            .bind(a.ends_at)
            .bind(now_ms())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(from_row))
    }

    /// Ends an announcement now (the record stays); `false` when there is no such announcement.
    pub async fn end_announcement(&self, id: i64) -> sqlx::Result<bool> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE announcements SET ends_at = CASE WHEN ends_at IS NULL OR ends_at > ?1 THEN ?1 ELSE ends_at END, \
             updated_at = ?1 WHERE id = ?2",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
