//! E-mail in: which mailbox messages were handled and what became of them, the Message-IDs that thread
//! replies, the staff's review list of mails from unknown senders, and the quoted text kept for staff.

use crate::db::sql::{self, Row};
use api_types::{InboundReview, InboundReviewStatus};

use super::Repo;
use crate::db::to_time;

/// A message of a mailbox: the mailbox, its UIDVALIDITY, the message's UID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxUid {
    pub mailbox: String,
    pub uidvalidity: u32,
    pub uid: u32,
}

/// What became of a message, recorded once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundOutcome {
    Ticket,
    Reply,
    Review,
    Ignored,
    Bounce,
    Refused,
    Invalid,
}

impl InboundOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ticket => "ticket",
            Self::Reply => "reply",
            Self::Review => "review",
            Self::Ignored => "ignored",
            Self::Bounce => "bounce",
            Self::Refused => "refused",
            Self::Invalid => "invalid",
        }
    }
}

/// A handled message to record, with what comes with it.
pub struct InboundRecord<'a> {
    pub source: &'a MailboxUid,
    pub message_id: Option<&'a str>,
    pub sender: Option<&'a str>,
    pub outcome: InboundOutcome,
    pub ticket_id: Option<i64>,
    pub event_id: Option<i64>,
    pub detail: Option<&'a str>,
    /// A reply's quoted history, kept on its event for staff.
    pub quoted_text: Option<&'a str>,
    /// An unknown sender's mail for the review list: (name, subject, excerpt, the whole mail).
    pub review: Option<(Option<&'a str>, &'a str, &'a str, &'a [u8])>,
    /// Addresses a bounce says are failing: nothing more is written to them.
    pub failing: &'a [String],
    /// A known sender whose mail was too large: told so politely (`mail_too_large`).
    pub refuse_to: Option<i64>,
    pub now: i64,
}

impl Repo {
    /// Whether a message was handled already.
    pub async fn inbound_done(&self, m: &MailboxUid) -> sqlx::Result<bool> {
        sql::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM inbound_messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?)",
        )
        .bind(&m.mailbox)
        .bind(m.uidvalidity)
        .bind(m.uid)
        .fetch_one(&self.pool)
        .await
    }

    /// Records a handled message and what comes with it, in one transaction; `false` when it was
    /// recorded before (nothing is written again).
    pub async fn record_inbound(&self, r: &InboundRecord<'_>) -> sqlx::Result<bool> {
        let mut tx = self.pool.begin_write().await?;
        let new = sql::query(
            "INSERT INTO inbound_messages (mailbox, uidvalidity, uid, message_id, sender, outcome, ticket_id, \
             event_id, detail, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&r.source.mailbox)
        .bind(r.source.uidvalidity)
        .bind(r.source.uid)
        .bind(r.message_id)
        .bind(r.sender)
        .bind(r.outcome.as_str())
        .bind(r.ticket_id)
        .bind(r.event_id)
        .bind(r.detail)
        .bind(r.now)
        .execute(&mut tx)
        .await?
        .rows_affected()
            == 1;
        if !new {
            return Ok(false);
        }
        if let (Some(mid), Some(ticket)) = (r.message_id, r.ticket_id) {
            sql::query(
                "INSERT INTO inbound_message_ids (message_id, ticket_id, event_id, created_at) \
                 VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(mid)
            .bind(ticket)
            .bind(r.event_id)
            .bind(r.now)
            .execute(&mut tx)
            .await?;
        }
        if let (Some(q), Some(event)) = (r.quoted_text, r.event_id) {
            sql::query("UPDATE ticket_events SET quoted_text = ? WHERE id = ?")
                .bind(q)
                .bind(event)
                .execute(&mut tx)
                .await?;
        }
        if let (Some((name, subject, excerpt, raw)), Some(sender)) = (r.review, r.sender) {
            sql::query(
                "INSERT INTO inbound_review (sender, sender_name, subject, excerpt, raw, received_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(sender)
            .bind(name)
            .bind(subject)
            .bind(excerpt)
            .bind(raw)
            .bind(r.now)
            .execute(&mut tx)
            .await?;
        }
        for address in r.failing {
            sql::query(
                "INSERT INTO mail_suppressions (address, reason, created_at) VALUES (?, ?, ?) \
                 ON CONFLICT (address) DO NOTHING",
            )
            .bind(address)
            .bind("a bounce (delivery-status report) said this address fails")
            .bind(r.now)
            .execute(&mut tx)
            .await?;
        }
        if let Some(user) = r.refuse_to {
            let (token, _) = crate::auth::new_token();
            sql::query(
                "INSERT INTO outbox (kind, recipient_id, address, locale, message_id, next_attempt_at, created_at) \
                 SELECT 'mail_too_large', u.id, u.email, u.locale, ?, ?, ? FROM users u WHERE u.id = ? \
                 AND u.disabled = 0 AND NOT EXISTS (SELECT 1 FROM mail_suppressions s WHERE s.address = u.email)",
            )
            .bind(format!("r{user}.{}", &token[..22]))
            .bind(r.now)
            .bind(r.now)
            .bind(user)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// What an idempotency key of `user_id` made, whatever the request's hash: (ticket, event).
    pub async fn key_outcome(
        &self,
        user_id: i64,
        key: &str,
    ) -> sqlx::Result<Option<(i64, Option<i64>)>> {
        let row = sql::query(
            "SELECT ticket_id, event_id FROM idempotency_keys WHERE user_id = ? AND key = ? \
             AND ticket_id IS NOT NULL",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get("ticket_id"), r.get("event_id"))))
    }

    /// The ticket a mail refers to by Message-ID (without brackets): one we received, or one of our
    /// notifications (`local@domain`), or our thread's own `ticket-N@domain`.
    pub async fn ticket_by_message_ids(
        &self,
        ids: &[String],
        domain: &str,
    ) -> sqlx::Result<Option<i64>> {
        for id in ids {
            let received: Option<i64> =
                sql::query_scalar("SELECT ticket_id FROM inbound_message_ids WHERE message_id = ?")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
            if received.is_some() {
                return Ok(received);
            }
            let Some((local, host)) = id.rsplit_once('@') else {
                continue;
            };
            if !host.eq_ignore_ascii_case(domain) {
                continue;
            }
            if let Some(n) = local.strip_prefix("ticket-").and_then(|n| n.parse().ok()) {
                return Ok(Some(n));
            }
            let sent: Option<Option<i64>> =
                sql::query_scalar("SELECT ticket_id FROM outbox WHERE message_id = ?")
                    .bind(local)
                    .fetch_optional(&self.pool)
                    .await?;
            if let Some(Some(t)) = sent {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }

    /// How many messages were handled, by outcome.
    pub async fn inbound_counts(&self) -> sqlx::Result<Vec<(String, i64)>> {
        let rows = sql::query(
            "SELECT outcome, COUNT(*) AS n FROM inbound_messages GROUP BY outcome ORDER BY outcome",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("outcome"), r.get("n")))
            .collect())
    }

    /// The review list: pending first, newest first.
    pub async fn inbound_reviews(
        &self,
        status: Option<InboundReviewStatus>,
        limit: i64,
        offset: i64,
    ) -> sqlx::Result<(Vec<InboundReview>, i64)> {
        let status = status.map(review_status_str);
        let total: i64 = sql::query_scalar(
            "SELECT COUNT(*) FROM inbound_review WHERE (?1 IS NULL OR status = ?1)",
        )
        .bind(status)
        .fetch_one(&self.pool)
        .await?;
        let rows = sql::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM inbound_review WHERE (?1 IS NULL OR status = ?1) \
             ORDER BY status <> 'pending', received_at DESC, id DESC LIMIT ?2 OFFSET ?3"
        ))
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok((rows.iter().map(review_from_row).collect(), total))
    }

    pub async fn inbound_review(&self, id: i64) -> sqlx::Result<Option<(InboundReview, Vec<u8>)>> {
        let row = sql::query(&format!(
            "SELECT {REVIEW_COLUMNS}, raw FROM inbound_review WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (review_from_row(&r), r.get("raw"))))
    }

    /// Settles a pending review; `false` when it was settled already (by someone else meanwhile).
    pub async fn decide_inbound_review(
        &self,
        id: i64,
        accepted: bool,
        by: i64,
        ticket_id: Option<i64>,
        now: i64,
    ) -> sqlx::Result<bool> {
        Ok(sql::query(
            "UPDATE inbound_review SET status = ?, decided_by = ?, decided_at = ?, ticket_id = ? \
             WHERE id = ? AND status = 'pending'",
        )
        .bind(if accepted { "accepted" } else { "discarded" })
        .bind(by)
        .bind(now)
        .bind(ticket_id)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// The quoted history of a ticket's events, for staff: (event, text).
    pub async fn quoted_texts(&self, ticket_id: i64) -> sqlx::Result<Vec<(i64, String)>> {
        let rows = sql::query(
            "SELECT id, quoted_text FROM ticket_events WHERE ticket_id = ? AND quoted_text IS NOT NULL",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("id"), r.get("quoted_text")))
            .collect())
    }
}

const REVIEW_COLUMNS: &str =
    "id, sender, sender_name, subject, excerpt, status, received_at, decided_at, ticket_id";

fn review_status_str(s: InboundReviewStatus) -> &'static str {
    match s {
        InboundReviewStatus::Pending => "pending",
        InboundReviewStatus::Accepted => "accepted",
        InboundReviewStatus::Discarded => "discarded",
    }
}

fn review_from_row(r: &Row) -> InboundReview {
    InboundReview {
        id: r.get("id"),
        sender: r.get("sender"),
        sender_name: r.get("sender_name"),
        subject: r.get("subject"),
        excerpt: r.get("excerpt"),
        status: match r.get::<&str, _>("status") {
            "accepted" => InboundReviewStatus::Accepted,
            "discarded" => InboundReviewStatus::Discarded,
            _ => InboundReviewStatus::Pending,
        },
        received_at: to_time(r.get("received_at")),
        decided_at: r.get::<Option<i64>, _>("decided_at").map(to_time),
        ticket_id: r.get("ticket_id"),
    }
}
