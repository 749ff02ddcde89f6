//! Announcements: incidents, maintenance windows and news shown to every client, each in the reader's
//! language when it has a text in it.

use api_types::{Announcement, AnnouncementKind};
use std::{sync::Arc, time::Duration};

use crate::db::sql::{self, Conn, Row};

use super::Repo;
use crate::{
    cache,
    db::{now_ms, to_time},
};

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

fn from_row(r: &Row) -> Announcement {
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
    /// Its title and body in other languages (each locale at most once).
    pub translations: &'a [TranslationRecord<'a>],
}

/// An announcement's text in another language, validated and rendered.
pub struct TranslationRecord<'a> {
    pub locale: &'a str,
    pub title: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
}

/// Announcements as read in one language (`?1`): its translation's title and body when it has one, its own
/// otherwise.
const SELECT: &str = "SELECT a.id, a.kind, COALESCE(t.title, a.title) AS title, \
     COALESCE(t.body_html, a.body_html) AS body_html, a.starts_at, a.ends_at, a.locale \
     FROM announcements a LEFT JOIN announcement_translations t ON t.announcement_id = a.id AND t.locale = ?1";

impl Repo {
    /// The announcements active now, in `lang`; only those for `locale` (the ones for every locale, for
    /// `locale` itself, or with a text in it) unless `locale` is `None`. Incidents first. From the cache
    /// when it has them, which keeps them until the next start or end of any announcement.
    pub async fn active_announcements(
        &self,
        lang: &str,
        locale: Option<&str>,
    ) -> sqlx::Result<Arc<cache::Cached<Vec<Announcement>>>> {
        let key = (lang.to_string(), locale.map(str::to_string));
        let generation = match self.cache.announcements.get(&key) {
            Ok(hit) => return Ok(hit),
            Err(generation) => generation,
        };
        let now = now_ms();
        let list = cache::Cached::new(self.read_active_announcements(lang, locale, now).await?);
        let next_change: Option<i64> = sql::query_scalar(
            "SELECT MIN(t) FROM (SELECT starts_at AS t FROM announcements WHERE starts_at > ?1 \
             UNION ALL SELECT ends_at FROM announcements WHERE ends_at > ?1) AS changes",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let ttl = next_change
            .map(|t| Duration::from_millis(u64::try_from(t - now).unwrap_or(0)))
            .unwrap_or(cache::TTL)
            .min(cache::TTL);
        self.cache
            .announcements
            .put(generation, key, list.clone(), ttl);
        Ok(list)
    }

    async fn read_active_announcements(
        &self,
        lang: &str,
        locale: Option<&str>,
        now: i64,
    ) -> sqlx::Result<Vec<Announcement>> {
        let sql = format!(
            "{SELECT} WHERE a.starts_at <= ?2 AND (a.ends_at IS NULL OR a.ends_at > ?2) \
             AND (?3 IS NULL OR a.locale IS NULL OR a.locale = ?3 \
               OR EXISTS (SELECT 1 FROM announcement_translations x WHERE x.announcement_id = a.id AND x.locale = ?3)) \
             ORDER BY CASE a.kind WHEN 'incident' THEN 0 WHEN 'maintenance' THEN 1 ELSE 2 END, a.starts_at DESC"
        );
        let rows = sql::query(&sql)
            .bind(lang)
            .bind(now)
            .bind(locale)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// Every announcement, newest first, in `lang`, for staff.
    pub async fn all_announcements(&self, lang: &str) -> sqlx::Result<Vec<Announcement>> {
        let sql = format!("{SELECT} ORDER BY a.starts_at DESC LIMIT 200");
        let rows = sql::query(&sql).bind(lang).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// One announcement in `lang`.
    pub async fn announcement(&self, id: i64, lang: &str) -> sqlx::Result<Option<Announcement>> {
        let sql = format!("{SELECT} WHERE a.id = ?2");
        let row = sql::query(&sql)
            .bind(lang)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(from_row))
    }

    /// Creates an announcement with its translations; answers its id.
    pub async fn create_announcement(
        &self,
        a: &AnnouncementRecord<'_>,
        author: i64,
    ) -> sqlx::Result<i64> {
        let now = now_ms();
        let mut tx = self.pool.begin_write().await?;
        let id: i64 = sql::query_scalar(
            "INSERT INTO announcements (kind, title, body_md, body_html, locale, starts_at, ends_at, created_by, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
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
        .fetch_one(&mut tx)
        .await?;
        set_translations(&mut tx, id, a.translations).await?;
        tx.commit().await?;
        self.announcements_changed().await;
        Ok(id)
    }

    /// Changes an announcement; its translations become exactly `a.translations`. `false` when there is no
    /// such announcement.
    pub async fn update_announcement(
        &self,
        id: i64,
        a: &AnnouncementRecord<'_>,
    ) -> sqlx::Result<bool> {
        let mut tx = self.pool.begin_write().await?;
        let updated = sql::query(
            "UPDATE announcements SET kind = ?, title = ?, body_md = ?, body_html = ?, locale = ?, starts_at = ?, \
             ends_at = ?, updated_at = ? WHERE id = ?",
        )
        .bind(kind_str(a.kind))
        .bind(a.title.trim())
        .bind(a.body_md)
        .bind(a.body_html)
        .bind(a.locale)
        .bind(a.starts_at)
        .bind(a.ends_at)
        .bind(now_ms())
        .bind(id)
        .execute(&mut tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(false);
        }
        set_translations(&mut tx, id, a.translations).await?;
        tx.commit().await?;
        self.announcements_changed().await;
        Ok(true)
    }

    /// Ends an announcement now (the record stays); `false` when there is no such announcement.
    pub async fn end_announcement(&self, id: i64) -> sqlx::Result<bool> {
        let now = now_ms();
        let done = sql::query(
            "UPDATE announcements SET ends_at = CASE WHEN ends_at IS NULL OR ends_at > ?1 THEN ?1 ELSE ends_at END, \
             updated_at = ?1 WHERE id = ?2",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.announcements_changed().await;
        Ok(done.rows_affected() > 0)
    }
}

/// Replaces an announcement's translations, inside the transaction that writes the announcement.
async fn set_translations(
    conn: &mut Conn,
    id: i64,
    translations: &[TranslationRecord<'_>],
) -> sqlx::Result<()> {
    sql::query("DELETE FROM announcement_translations WHERE announcement_id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for t in translations {
        sql::query(
            "INSERT INTO announcement_translations (announcement_id, locale, title, body_md, body_html) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(t.locale)
        .bind(t.title.trim())
        .bind(t.body_md)
        .bind(t.body_html)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
