//! Satisfaction ratings: one per ticket, given by its requester on a resolved or closed ticket, and
//! changeable for a while after it was first given.

use crate::db::sql::{self, Conn};
use api_types::TicketRating;

use super::Repo;
use crate::db::to_time;

/// A rating to give or change, once validated.
pub struct RatingRecord<'a> {
    pub ticket_id: i64,
    pub requester_id: i64,
    pub score: u8,
    /// Trimmed; `None` when empty.
    pub comment: Option<&'a str>,
    pub now: i64,
}

/// How long after it was first given a rating may be changed (the contract's 7 days).
pub const CHANGE_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// What became of a rating.
#[derive(Debug, Clone, PartialEq)]
pub enum RateOutcome {
    /// Given, or changed within the window.
    Saved(TicketRating),
    /// Exactly this rating was given already: nothing changed (a retry).
    Unchanged(TicketRating),
    /// The ticket is not resolved or closed (or not the requester's).
    NotRatable,
    /// Rated already, and the window to change it has passed.
    Expired,
}

async fn fetch(conn: &mut Conn, ticket_id: i64) -> sqlx::Result<Option<TicketRating>> {
    let row = sql::query(
        "SELECT score, comment, created_at, updated_at FROM ticket_ratings WHERE ticket_id = ?",
    )
    .bind(ticket_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| {
        let created: i64 = r.get("created_at");
        TicketRating {
            score: u8::try_from(r.get::<i64, _>("score")).unwrap_or(0),
            comment: r.get("comment"),
            created_at: to_time(created),
            updated_at: to_time(r.get("updated_at")),
            changeable_until: to_time(created + CHANGE_WINDOW_MS),
        }
    }))
}

impl Repo {
    /// A ticket's rating, if it has one.
    pub async fn rating(&self, ticket_id: i64) -> sqlx::Result<Option<TicketRating>> {
        let mut conn = self.pool.acquire().await?;
        fetch(&mut conn, ticket_id).await
    }

    /// Gives or changes a rating. A score of 1 or 2 marks the ticket escalated (and, when it was not,
    /// writes an `escalation` mail to its assignee or the admins); a retry of the same rating
    /// changes nothing (so it does not escalate again a ticket that staff have cleared).
    pub async fn rate_ticket(&self, r: &RatingRecord<'_>) -> sqlx::Result<RateOutcome> {
        let mut tx = self.pool.begin_write().await?;
        // One statement decides, so two concurrent ratings cannot both pass the checks: the ticket must be
        // the requester's and resolved or closed; an existing rating is replaced only within the window and
        // only when something differs.
        let saved = sql::query(
            "INSERT INTO ticket_ratings (ticket_id, requester_id, score, comment, created_at, updated_at) \
             SELECT id, ?2, ?3, ?4, ?5, ?5 FROM tickets \
             WHERE id = ?1 AND requester_id = ?2 AND status IN ('resolved', 'closed') \
             ON CONFLICT (ticket_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, \
             updated_at = excluded.updated_at \
             WHERE excluded.updated_at < ticket_ratings.created_at + ?6 \
             AND (ticket_ratings.score <> excluded.score OR ticket_ratings.comment IS DISTINCT FROM excluded.comment)",
        )
        .bind(r.ticket_id)
        .bind(r.requester_id)
        .bind(i64::from(r.score))
        .bind(r.comment)
        .bind(r.now)
        .bind(CHANGE_WINDOW_MS)
        .execute(&mut tx)
        .await?
        .rows_affected()
            == 1;
        if saved {
            // Becoming escalated (not staying so) tells staff, in this transaction.
            let escalates: bool =
                sql::query_scalar("SELECT ?1 <= 2 AND escalated = 0 FROM tickets WHERE id = ?2")
                    .bind(i64::from(r.score))
                    .bind(r.ticket_id)
                    .fetch_one(&mut tx)
                    .await?;
            if escalates {
                super::outbox::enqueue_for_staff(
                    &mut tx,
                    r.ticket_id,
                    super::outbox::Notice::Escalation,
                    None,
                    r.now,
                )
                .await?;
            }
            sql::query(
                "UPDATE tickets SET escalated = CASE WHEN ?1 <= 2 THEN 1 ELSE escalated END, \
                 updated_at = ?2, staff_updated_at = ?2 WHERE id = ?3",
            )
            .bind(i64::from(r.score))
            .bind(r.now)
            .bind(r.ticket_id)
            .execute(&mut tx)
            .await?;
        }
        let current = fetch(&mut tx, r.ticket_id).await?;
        tx.commit().await?;
        Ok(match current {
            Some(rating) if saved => RateOutcome::Saved(rating),
            Some(rating) if rating.score == r.score && rating.comment.as_deref() == r.comment => {
                RateOutcome::Unchanged(rating)
            }
            _ => {
                let ratable: bool = sql::query_scalar(
                    "SELECT status IN ('resolved', 'closed') FROM tickets WHERE id = ?",
                )
                .bind(r.ticket_id)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(false);
                match current {
                    Some(_) if ratable => RateOutcome::Expired,
                    _ => RateOutcome::NotRatable,
                }
            }
        })
    }

    /// Stores a rating as it is (the demo data): no rules, no escalation.
    pub async fn import_rating(
        &self,
        ticket_id: i64,
        requester_id: i64,
        score: u8,
        comment: Option<&str>,
        given_at: i64,
    ) -> sqlx::Result<()> {
        sql::query(
            "INSERT INTO ticket_ratings (ticket_id, requester_id, score, comment, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(ticket_id)
        .bind(requester_id)
        .bind(i64::from(score))
        .bind(comment)
        .bind(given_at)
        .bind(given_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
