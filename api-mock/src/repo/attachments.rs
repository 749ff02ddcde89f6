//! Attachments' metadata (the bytes are in the blob store, see `crate::attachments`): uploads, attaching
//! them to a ticket or a message inside that write's transaction, and the purge of uploads never attached.

use std::collections::HashMap;

use crate::db::sql::{self, Conn, Row};
use api_types::Attachment;

use super::Repo;

/// An upload as stored, with where it is attached.
#[derive(Debug, Clone)]
pub struct AttachmentRow {
    pub id: i64,
    pub sha256: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub uploader_id: i64,
    pub ticket_id: Option<i64>,
    pub event_id: Option<i64>,
    /// The kind of the event it is attached to (`message` or `note`).
    pub event_kind: Option<String>,
    /// The article whose Markdown shows it (an image), and whether that article is published.
    pub article_id: Option<i64>,
    pub article_published: bool,
}

impl AttachmentRow {
    pub fn to_api(&self) -> Attachment {
        let inline = crate::attachments::is_inline(&self.content_type);
        Attachment {
            id: self.id,
            name: self.name.clone(),
            size: self.size.max(0) as u64,
            content_type: self.content_type.clone(),
            url: format!("/api/v1/attachments/{}", self.id),
            inline,
            thumbnail_url: inline.then(|| format!("/api/v1/attachments/{}/thumbnail", self.id)),
        }
    }
}

/// A new upload's metadata.
pub struct NewUpload<'a> {
    pub sha256: &'a str,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub uploader_id: i64,
    pub now: i64,
}

const COLUMNS: &str = "a.id, a.sha256, a.name, a.content_type, a.size, a.uploader_id, a.ticket_id, \
     a.event_id, e.kind AS event_kind, a.article_id, \
     (SELECT k.status = 'published' FROM kb_articles k WHERE k.id = a.article_id) AS article_published";

fn from_row(r: &Row) -> AttachmentRow {
    AttachmentRow {
        id: r.get("id"),
        sha256: r.get("sha256"),
        name: r.get("name"),
        content_type: r.get("content_type"),
        size: r.get("size"),
        uploader_id: r.get("uploader_id"),
        ticket_id: r.get("ticket_id"),
        event_id: r.get("event_id"),
        event_kind: r.get("event_kind"),
        article_id: r.get("article_id"),
        article_published: r
            .get::<Option<bool>, _>("article_published")
            .unwrap_or(false),
    }
}

/// Gives an article the images its Markdown names (`body_md`), in the transaction that saves it: uploads
/// not attached to anything yet, made by staff, of a raster image. Anything else named there (a ticket's
/// file, a client's upload, a PDF) is left as it is, under its own rules.
pub async fn attach_to_article(
    conn: &mut Conn,
    article_id: i64,
    body_md: &str,
) -> sqlx::Result<()> {
    let ids = crate::markdown::attachment_refs(body_md);
    if ids.is_empty() {
        return Ok(());
    }
    let mut qb = sql::Builder::new("UPDATE attachments SET article_id = ");
    qb.push_bind(article_id).push(
        " WHERE ticket_id IS NULL AND article_id IS NULL \
         AND content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp') \
         AND uploader_id IN (SELECT id FROM users WHERE role IN ('agent', 'admin')) AND id IN ",
    );
    qb.push_list(ids.iter().take(100).copied());
    qb.build().execute(&mut *conn).await?;
    Ok(())
}

/// Attaches the uploader's unattached uploads `ids` to a ticket (its description when `event_id` is
/// `None`) in the caller's transaction. `false` when one of them is not (or no longer) the uploader's
/// unattached upload: the caller rolls back.
pub async fn attach(
    conn: &mut Conn,
    uploader_id: i64,
    ids: &[i64],
    ticket_id: i64,
    event_id: Option<i64>,
    now: i64,
) -> sqlx::Result<bool> {
    if ids.is_empty() {
        return Ok(true);
    }
    let mut qb = sql::Builder::new("UPDATE attachments SET ticket_id = ");
    qb.push_bind(ticket_id)
        .push(", event_id = ")
        .push_bind(event_id)
        .push(", attached_at = ")
        .push_bind(now)
        .push(" WHERE ticket_id IS NULL AND article_id IS NULL AND uploader_id = ")
        .push_bind(uploader_id)
        .push(" AND id IN ");
    qb.push_list(ids.iter().copied());
    let done = qb.build().execute(&mut *conn).await?.rows_affected();
    Ok(done == ids.len() as u64)
}

impl Repo {
    pub async fn insert_upload(&self, u: &NewUpload<'_>) -> sqlx::Result<i64> {
        sql::query_scalar(
            "INSERT INTO attachments (sha256, name, content_type, size, uploader_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(u.sha256)
        .bind(u.name)
        .bind(u.content_type)
        .bind(u.size)
        .bind(u.uploader_id)
        .bind(u.now)
        .fetch_one(&self.pool)
        .await
    }

    pub async fn attachment(&self, id: i64) -> sqlx::Result<Option<AttachmentRow>> {
        let row = sql::query(&format!(
            "SELECT {COLUMNS} FROM attachments a LEFT JOIN ticket_events e ON e.id = a.event_id \
             WHERE a.id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(from_row))
    }

    /// The uploads among `ids` (absent ones are left out).
    pub async fn attachments_by_id(&self, ids: &[i64]) -> sqlx::Result<Vec<AttachmentRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = sql::Builder::new(format!(
            "SELECT {COLUMNS} FROM attachments a LEFT JOIN ticket_events e ON e.id = a.event_id \
             WHERE a.id IN "
        ));
        qb.push_list(ids.iter().copied());
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// A ticket's attachments by event (`None`: the description's), in the order they were uploaded.
    pub async fn ticket_attachments(
        &self,
        ticket_id: i64,
    ) -> sqlx::Result<HashMap<Option<i64>, Vec<Attachment>>> {
        let rows = sql::query(&format!(
            "SELECT {COLUMNS} FROM attachments a LEFT JOIN ticket_events e ON e.id = a.event_id \
             WHERE a.ticket_id = ? ORDER BY a.id"
        ))
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        let mut by_event: HashMap<Option<i64>, Vec<Attachment>> = HashMap::new();
        for r in rows.iter().map(from_row) {
            by_event.entry(r.event_id).or_default().push(r.to_api());
        }
        Ok(by_event)
    }

    /// Deletes an unattached upload of `uploader_id`'s; answers its blob key when it did.
    pub async fn delete_upload(&self, id: i64, uploader_id: i64) -> sqlx::Result<Option<String>> {
        sql::query_scalar(
            "DELETE FROM attachments WHERE id = ? AND uploader_id = ? AND ticket_id IS NULL \
             AND article_id IS NULL RETURNING sha256",
        )
        .bind(id)
        .bind(uploader_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Removes the uploads never attached that were made before `before`; answers the blob keys that
    /// no row refers to any more (to delete from the store).
    pub async fn purge_unattached(&self, before: i64) -> sqlx::Result<Vec<String>> {
        let mut tx = self.pool.begin_write().await?;
        let gone: Vec<String> = sql::query_scalar(
            "DELETE FROM attachments WHERE ticket_id IS NULL AND article_id IS NULL AND created_at < ? \
             RETURNING sha256",
        )
        .bind(before)
        .fetch_all(&mut tx)
        .await?;
        let mut orphans = Vec::new();
        for sha in gone {
            if orphans.contains(&sha) {
                continue;
            }
            let used: bool =
                sql::query_scalar("SELECT EXISTS (SELECT 1 FROM attachments WHERE sha256 = ?)")
                    .bind(&sha)
                    .fetch_one(&mut tx)
                    .await?;
            if !used {
                orphans.push(sha);
            }
        }
        tx.commit().await?;
        Ok(orphans)
    }

    /// Whether any attachment row refers to the blob `sha256`.
    pub async fn blob_in_use(&self, sha256: &str) -> sqlx::Result<bool> {
        sql::query_scalar("SELECT EXISTS (SELECT 1 FROM attachments WHERE sha256 = ?)")
            .bind(sha256)
            .fetch_one(&self.pool)
            .await
    }
}
