//! The outbox of notification e-mails: rows written in the transaction of the event that causes them,
//! claimed and marked by the sender (`crate::mail`), and the addresses that answered a permanent failure.

use crate::db::sql::{self, Conn};

use super::{
    Repo,
    tickets::ticket_state_in,
    users::{USER_COLUMNS, account_from_row},
};

/// What a notification tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    TicketCreated,
    /// A sign-in link (no password), and a password reset: about an account, not a ticket.
    SignIn,
    PasswordReset,
    /// A public message (never a note).
    Reply,
    StatusChange,
    /// Resolved: asks the requester to rate the service.
    Resolved,
    /// A mail to the support address too large to take: its sender is told so, politely.
    MailTooLarge,
    /// An account made for someone, who chooses the password from the mail's link (7 days, once).
    Invitation,
    /// To staff: a rating of 1 or 2 escalated the ticket.
    Escalation,
    /// To staff: a service target (`detail`: `first_response` or `resolution`) falls due soon.
    SlaWarning,
    /// To a manager: the day's summary of the organization's tickets (`detail`: its JSON).
    Digest,
}

impl Notice {
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::TicketCreated => "ticket_created",
            Notice::Reply => "reply",
            Notice::StatusChange => "status_change",
            Notice::Resolved => "resolved",
            Notice::SignIn => "sign_in",
            Notice::PasswordReset => "password_reset",
            Notice::MailTooLarge => "mail_too_large",
            Notice::Invitation => "invitation",
            Notice::Escalation => "escalation",
            Notice::SlaWarning => "sla_warning",
            Notice::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ticket_created" => Notice::TicketCreated,
            "reply" => Notice::Reply,
            "status_change" => Notice::StatusChange,
            "resolved" => Notice::Resolved,
            "sign_in" => Notice::SignIn,
            "password_reset" => Notice::PasswordReset,
            "mail_too_large" => Notice::MailTooLarge,
            "invitation" => Notice::Invitation,
            "escalation" => Notice::Escalation,
            "sla_warning" => Notice::SlaWarning,
            "digest" => Notice::Digest,
            _ => return None,
        })
    }
}

/// Writes the notifications of one event of ticket `ticket_id` (`event_id`: none for the ticket's
/// creation) by `author_id`, on the transaction's connection. Recipients: the requester, and the
/// assignee (but for `Resolved`, which asks the requester for a rating); never the author, a disabled
/// account, an address that answered a permanent failure, nor anyone the ticket rules (`can_see`) do not
/// let see the ticket, nor anyone who chose not to get them (`/me/notifications`: `own_tickets` for the
/// requester, `assigned_tickets` for the assignee). A status change that comes with a reply in the
/// same request is told by the reply. An organization's managers who turned `organization_tickets` on
/// get the mails of its other tickets too (when `can_see` lets them).
pub(crate) async fn enqueue(
    conn: &mut Conn,
    ticket_id: i64,
    event_id: Option<i64>,
    notice: Notice,
    author_id: i64,
    now: i64,
) -> sqlx::Result<()> {
    let Some(ticket) = ticket_state_in(conn, ticket_id).await? else {
        return Ok(());
    };
    let assignee: Option<i64> = sql::query_scalar("SELECT assignee_id FROM tickets WHERE id = ?")
        .bind(ticket_id)
        .fetch_one(&mut *conn)
        .await?;
    let assignee = assignee.filter(|_| notice != Notice::Resolved);
    let rows = sql::query(&format!(
        "SELECT {USER_COLUMNS}, u.notify_own, u.notify_assigned FROM users u \
         LEFT JOIN organizations o ON o.id = u.organization_id \
         WHERE (u.id IN (?1, ?2) OR (u.role = 'client' AND u.org_role = 'manager' AND u.notify_org = 1 \
                AND u.organization_id = ?4)) \
         AND u.id <> ?3 AND u.disabled = 0 \
         AND NOT EXISTS (SELECT 1 FROM mail_suppressions s WHERE s.address = u.email) ORDER BY u.id"
    ))
    .bind(ticket.requester_id)
    .bind(assignee.unwrap_or(ticket.requester_id))
    .bind(author_id)
    .bind(ticket.organization_id)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let reader = account_from_row(&row);
        if !crate::policy::can_see(&reader.user, &ticket) {
            continue;
        }
        // The reader's choice (`/me/notifications`): their own tickets, the ones assigned to them.
        let requester = reader.user.id == ticket.requester_id;
        if requester && !row.flag("notify_own") {
            continue;
        }
        if !requester && reader.user.role.is_staff() && !row.flag("notify_assigned") {
            continue;
        }
        if notice == Notice::StatusChange {
            let told: bool = sql::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE ticket_id = ? AND recipient_id = ? \
                 AND kind = 'reply' AND created_at = ?)",
            )
            .bind(ticket_id)
            .bind(reader.user.id)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            if told {
                continue;
            }
        }
        let (token, _) = crate::auth::new_token();
        let message_id = format!("t{ticket_id}.{}", &token[..22]);
        sql::query(
            "INSERT INTO outbox (kind, ticket_id, event_id, recipient_id, address, locale, message_id, \
             next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(notice.as_str())
        .bind(ticket_id)
        .bind(event_id)
        .bind(reader.user.id)
        .bind(&reader.user.email)
        .bind(&reader.user.locale)
        .bind(message_id)
        .bind(now)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Writes a notification for staff about ticket `ticket_id` (an escalation, a service-target warning
/// with its `target`): to the assignee, or, when nobody active is assigned, to every active admin; never
/// to one who turned `assigned_tickets` off, nor to an address that answered a permanent failure.
/// Answers how many were written.
pub(crate) async fn enqueue_for_staff(
    conn: &mut Conn,
    ticket_id: i64,
    notice: Notice,
    target: Option<&str>,
    now: i64,
) -> sqlx::Result<u64> {
    let recipients: Vec<(i64, String, String)> = sql::query_as(
        "WITH assignee AS (SELECT a.id FROM tickets t JOIN users a ON a.id = t.assignee_id \
           WHERE t.id = ?1 AND a.disabled = 0 AND a.role IN ('agent', 'admin')) \
         SELECT u.id, u.email, u.locale FROM users u \
         WHERE (u.id IN (SELECT id FROM assignee) \
                OR (NOT EXISTS (SELECT 1 FROM assignee) AND u.role = 'admin')) \
         AND u.disabled = 0 AND u.notify_assigned = 1 \
         AND NOT EXISTS (SELECT 1 FROM mail_suppressions s WHERE s.address = u.email) ORDER BY u.id",
    )
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut written = 0;
    for (user_id, address, locale) in recipients {
        let (token, _) = crate::auth::new_token();
        sql::query(
            "INSERT INTO outbox (kind, ticket_id, recipient_id, address, locale, message_id, \
             next_attempt_at, created_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(notice.as_str())
        .bind(ticket_id)
        .bind(user_id)
        .bind(address)
        .bind(locale)
        .bind(format!("t{ticket_id}.{}", &token[..22]))
        .bind(now)
        .bind(now)
        .bind(target)
        .execute(&mut *conn)
        .await?;
        written += 1;
    }
    Ok(written)
}

/// How far ahead a service target is warned of: a target due within this much gets one warning.
pub const SLA_WARNING_AHEAD_MS: i64 = 30 * 60 * 1000;

impl Repo {
    /// One run of the service-target job, in one transaction: every active ticket whose first response
    /// (while none was given) or resolution falls due in the next [`SLA_WARNING_AHEAD_MS`] gets one
    /// `sla_warning` to its assignee (or the admins), once per ticket and target ever (`sla_warnings`).
    /// Answers how many warnings (targets) were recorded.
    pub async fn warn_sla(&self, now: i64) -> sqlx::Result<u64> {
        let mut tx = self.pool.begin_write().await?;
        let due: Vec<(i64, String, i64)> = sql::query_as(
            "SELECT t.id, 'first_response', t.first_response_due_at FROM tickets t \
             WHERE t.status IN ('open', 'pending') AND t.first_responded_at IS NULL \
             AND t.first_response_due_at > ?1 AND t.first_response_due_at <= ?1 + ?2 \
             AND NOT EXISTS (SELECT 1 FROM sla_warnings w WHERE w.ticket_id = t.id AND w.target = 'first_response') \
             UNION ALL \
             SELECT t.id, 'resolution', t.resolution_due_at FROM tickets t \
             WHERE t.status IN ('open', 'pending') \
             AND t.resolution_due_at > ?1 AND t.resolution_due_at <= ?1 + ?2 \
             AND NOT EXISTS (SELECT 1 FROM sla_warnings w WHERE w.ticket_id = t.id AND w.target = 'resolution') \
             ORDER BY 1, 2",
        )
        .bind(now)
        .bind(SLA_WARNING_AHEAD_MS)
        .fetch_all(&mut tx)
        .await?;
        let mut warned = 0;
        for (ticket, target, due_at) in due {
            let fresh = sql::query(
                "INSERT INTO sla_warnings (ticket_id, target, due_at, created_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(ticket)
            .bind(&target)
            .bind(due_at)
            .bind(now)
            .execute(&mut tx)
            .await?
            .rows_affected()
                == 1;
            if fresh {
                enqueue_for_staff(&mut tx, ticket, Notice::SlaWarning, Some(&target), now).await?;
                warned += 1;
            }
        }
        tx.commit().await?;
        Ok(warned)
    }
}

/// When managers get their digest: this minute of the day (08:00) in the business hours' offset, or the
/// first run after it.
pub const DIGEST_MINUTE: i64 = 8 * 60;
const DAY_MS: i64 = 86_400_000;

/// What a digest lists, chosen when it is written (a resend after a crash says the same).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Digest {
    pub organization: String,
    /// Opened in the last 24 hours; changed in them (opened before); still open (or pending).
    pub opened: Vec<DigestTicket>,
    pub changed: Vec<DigestTicket>,
    pub active: Vec<DigestTicket>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DigestTicket {
    pub id: i64,
    pub subject: String,
    pub status: String,
}

impl Repo {
    /// One run of the digest job, in one transaction: at or after [`DIGEST_MINUTE`] of the local day
    /// (`utc_offset_minutes` east of UTC), every active manager with `daily_digest` on who has not had
    /// that day's gets one `digest` of the organization's tickets, unless nothing was opened or changed
    /// in the last 24 hours. The day is recorded either way (`users.digest_day`): never two a day.
    /// Answers how many were written.
    pub async fn write_digests(&self, now: i64, utc_offset_minutes: i32) -> sqlx::Result<u64> {
        let local = now + i64::from(utc_offset_minutes) * 60_000;
        if local.rem_euclid(DAY_MS) / 60_000 < DIGEST_MINUTE {
            return Ok(0);
        }
        let day = crate::db::to_time(local).format("%Y-%m-%d").to_string();
        let mut tx = self.pool.begin_write().await?;
        let managers: Vec<(i64, i64, String, String, String)> = sql::query_as(
            "SELECT u.id, u.organization_id, o.name, u.email, u.locale FROM users u \
             JOIN organizations o ON o.id = u.organization_id \
             WHERE u.role = 'client' AND u.org_role = 'manager' AND u.notify_digest = 1 \
             AND u.disabled = 0 AND u.invited = 0 AND (u.digest_day IS NULL OR u.digest_day <> ?) \
             AND NOT EXISTS (SELECT 1 FROM mail_suppressions s WHERE s.address = u.email) ORDER BY u.id",
        )
        .bind(&day)
        .fetch_all(&mut tx)
        .await?;
        let mut written = 0;
        for (user_id, org, org_name, address, locale) in managers {
            sql::query("UPDATE users SET digest_day = ? WHERE id = ?")
                .bind(&day)
                .bind(user_id)
                .execute(&mut tx)
                .await?;
            let list = |sql: &'static str| {
                sql::query_as::<(i64, String, String)>(sql)
                    .bind(org)
                    .bind(now - DAY_MS)
            };
            let to_items = |rows: Vec<(i64, String, String)>| {
                rows.into_iter()
                    .map(|(id, subject, status)| DigestTicket {
                        id,
                        subject,
                        status,
                    })
                    .collect::<Vec<_>>()
            };
            let opened = to_items(
                list(
                    "SELECT id, subject, status FROM tickets WHERE organization_id = ? AND created_at > ? \
                     ORDER BY id",
                )
                .fetch_all(&mut tx)
                .await?,
            );
            let changed = to_items(
                list(
                    "SELECT id, subject, status FROM tickets WHERE organization_id = ?1 \
                     AND created_at <= ?2 AND updated_at > ?2 ORDER BY id",
                )
                .fetch_all(&mut tx)
                .await?,
            );
            if opened.is_empty() && changed.is_empty() {
                continue;
            }
            let active = to_items(
                sql::query_as(
                    "SELECT id, subject, status FROM tickets WHERE organization_id = ? \
                     AND status IN ('open', 'pending') ORDER BY id LIMIT 100",
                )
                .bind(org)
                .fetch_all(&mut tx)
                .await?,
            );
            let digest = Digest {
                organization: org_name,
                opened,
                changed,
                active,
            };
            let (token, _) = crate::auth::new_token();
            sql::query(
                "INSERT INTO outbox (kind, recipient_id, address, locale, message_id, next_attempt_at, \
                 created_at, detail) VALUES ('digest', ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(user_id)
            .bind(address)
            .bind(locale)
            .bind(format!("d{user_id}.{}", &token[..22]))
            .bind(now)
            .bind(now)
            .bind(serde_json::to_string(&digest).unwrap_or_default())
            .execute(&mut tx)
            .await?;
            written += 1;
        }
        tx.commit().await?;
        Ok(written)
    }
}

/// A notification claimed for sending, with what its mail says.
#[derive(Debug, Clone)]
pub struct OutboxMail {
    pub id: i64,
    pub notice: Notice,
    /// `None` for the mails about an account (a sign-in link, a password reset).
    pub ticket_id: Option<i64>,
    pub recipient_id: i64,
    pub recipient_name: String,
    pub recipient_staff: bool,
    pub address: String,
    pub locale: String,
    /// The local part of its Message-ID.
    pub message_id: String,
    /// This attempt's number (1 for the first).
    pub attempt: i64,
    pub subject: String,
    /// Who caused it (the message's author, the one who changed the status, the ticket's creator).
    pub author_name: String,
    /// A reply's text, as written (Markdown) and rendered (sanitized HTML); the description for a new
    /// ticket.
    pub body_md: Option<String>,
    pub body_html: Option<String>,
    /// A status change's new status.
    pub to_status: Option<String>,
    /// A new ticket the recipient opened themselves (by e-mail): the mail says it was received.
    pub self_opened: bool,
    /// The ticket's requester.
    pub requester_name: String,
    /// A manager's copy of another's ticket of the organization (`organization_tickets`).
    pub org_copy: bool,
    /// A service-target warning's target (`first_response` or `resolution`); a digest's content (JSON,
    /// [`Digest`]).
    pub detail: Option<String>,
    /// A service-target warning's or an escalation's due time.
    pub due_at: Option<i64>,
    /// An escalation's rating: its score and comment.
    pub score: Option<i64>,
    pub rating_comment: Option<String>,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Delivery {
    Sent,
    /// A temporary failure: tried again at `retry_at`, or given up (`None`).
    Deferred {
        error: String,
        retry_at: Option<i64>,
    },
    /// A permanent failure (5xx): the address is written to no more.
    Rejected {
        error: String,
    },
}

/// Writes a mail about an account (a sign-in link, a password reset) to `user_id`, unless the account
/// is disabled or its address refused a mail before. Answers whether it did.
pub async fn enqueue_account_mail(
    repo: &Repo,
    user_id: i64,
    notice: Notice,
    now: i64,
) -> sqlx::Result<bool> {
    let mut conn = repo.pool.acquire().await?;
    enqueue_account_mail_in(&mut conn, user_id, notice, now).await
}

/// [`enqueue_account_mail`] on the caller's connection (a transaction of theirs).
pub(crate) async fn enqueue_account_mail_in(
    conn: &mut Conn,
    user_id: i64,
    notice: Notice,
    now: i64,
) -> sqlx::Result<bool> {
    let (token, _) = crate::auth::new_token();
    let done = sql::query(
        "INSERT INTO outbox (kind, recipient_id, address, locale, message_id, next_attempt_at, created_at) \
         SELECT ?, u.id, u.email, u.locale, ?, ?, ? FROM users u WHERE u.id = ? AND u.disabled = 0 \
         AND NOT EXISTS (SELECT 1 FROM mail_suppressions s WHERE s.address = u.email)",
    )
    .bind(notice.as_str())
    .bind(format!("a{user_id}.{}", &token[..22]))
    .bind(now)
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the unused invitation links of a user: only the newest invitation's link works.
pub(crate) async fn forget_invite_links(
    conn: &mut Conn,
    user_id: i64,
    now: i64,
) -> sqlx::Result<()> {
    sql::query(
        "UPDATE mail_links SET used_at = ? WHERE user_id = ? AND purpose = 'invite' AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Repo {
    /// Lets go of every claim: called when the sender starts, since the process that held them is gone
    /// (one server per SQLite database: `serve` holds its lock). Those mails are sent again, with their
    /// Message-ID. On PostgreSQL other servers may be sending them right now: their claims are left to
    /// lapse instead.
    pub async fn release_outbox_claims(&self) -> sqlx::Result<u64> {
        if self.pool.backend() == sql::Backend::Postgres {
            return Ok(0);
        }
        Ok(sql::query(
            "UPDATE outbox SET claimed_until = NULL WHERE status = 'pending' AND claimed_until IS NOT NULL",
        )
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Takes up to `limit` notifications due at `now` for sending, each for `lease_ms` and counting an
    /// attempt; the claim is committed before anything is sent, so a crash leaves it to lapse and the
    /// mail to be sent again.
    pub async fn claim_outbox(
        &self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<OutboxMail>> {
        let mut tx = self.pool.begin_write().await?;
        let ids: Vec<i64> = sql::query_scalar(
            "UPDATE outbox SET claimed_until = ?1, attempts = attempts + 1 WHERE id IN \
             (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?2 \
              AND (claimed_until IS NULL OR claimed_until < ?2) ORDER BY next_attempt_at, id LIMIT ?3) \
             RETURNING id",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        let mut mails = Vec::with_capacity(ids.len());
        for id in ids {
            let row = sql::query(
                "SELECT ob.id, ob.kind, ob.ticket_id, ob.recipient_id, ob.address, ob.locale, ob.message_id, \
                 ob.attempts, COALESCE(t.subject, '') AS subject, t.description_md, t.description_html, e.kind AS event_kind, \
                 e.body_md, e.body_html, e.to_status, au.name AS author_name, u.name AS recipient_name, \
                 u.role AS recipient_role, (t.created_by = ob.recipient_id) AS self_opened, \
                 COALESCE(rq.name, '') AS requester_name, ob.detail, \
                 (u.role = 'client' AND t.requester_id <> ob.recipient_id) AS org_copy, \
                 CASE WHEN ob.detail = 'first_response' THEN t.first_response_due_at \
                 WHEN ob.detail = 'resolution' OR ob.kind = 'escalation' THEN t.resolution_due_at END AS due_at, \
                 rt.score AS score, rt.comment AS rating_comment \
                 FROM outbox ob LEFT JOIN tickets t ON t.id = ob.ticket_id \
                 LEFT JOIN users rq ON rq.id = t.requester_id \
                 LEFT JOIN ticket_ratings rt ON rt.ticket_id = ob.ticket_id \
                 LEFT JOIN ticket_events e ON e.id = ob.event_id \
                 JOIN users au ON au.id = COALESCE(e.author_id, t.created_by, ob.recipient_id) \
                 JOIN users u ON u.id = ob.recipient_id WHERE ob.id = ?",
            )
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
            let Some(notice) = Notice::parse(row.get("kind")) else {
                continue;
            };
            let event_kind: Option<String> = row.get("event_kind");
            let (body_md, body_html) = match notice {
                Notice::TicketCreated => (row.get("description_md"), row.get("description_html")),
                // Only a public message's text ever goes out; a note is never an outbox row's event,
                // and is checked again here.
                Notice::Reply if event_kind.as_deref() == Some("message") => {
                    (row.get("body_md"), row.get("body_html"))
                }
                Notice::Reply => {
                    sql::query(
                        "UPDATE outbox SET status = 'failed', claimed_until = NULL, \
                         last_error = 'not a public message: never sent' WHERE id = ?",
                    )
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                    continue;
                }
                // An escalation quotes the rating's comment.
                Notice::Escalation => {
                    let comment: Option<String> = row.get("rating_comment");
                    let html = comment
                        .as_deref()
                        .map(|c| format!("<p>{}</p>", crate::markdown::escape(c)));
                    (comment, html)
                }
                _ => (None, None),
            };
            mails.push(OutboxMail {
                id,
                notice,
                ticket_id: row.get("ticket_id"),
                recipient_id: row.get("recipient_id"),
                recipient_name: row.get("recipient_name"),
                recipient_staff: row.get::<&str, _>("recipient_role") != "client",
                address: row.get("address"),
                locale: row.get("locale"),
                message_id: row.get("message_id"),
                attempt: row.get("attempts"),
                subject: row.get("subject"),
                author_name: row.get("author_name"),
                body_md,
                body_html,
                to_status: row.get("to_status"),
                self_opened: row.get::<Option<bool>, _>("self_opened").unwrap_or(false),
                requester_name: row.get("requester_name"),
                org_copy: row.get::<Option<bool>, _>("org_copy").unwrap_or(false),
                detail: row.get("detail"),
                due_at: row.get("due_at"),
                score: row.get("score"),
                rating_comment: row.get("rating_comment"),
            });
        }
        Ok(mails)
    }

    /// Whether an address answered a permanent failure before.
    pub async fn mail_suppressed(&self, address: &str) -> sqlx::Result<bool> {
        sql::query_scalar("SELECT EXISTS (SELECT 1 FROM mail_suppressions WHERE address = ?)")
            .bind(address)
            .fetch_one(&self.pool)
            .await
    }

    /// Records how a batch's attempts ended, in one transaction: each row, and, once a row is settled
    /// (sent, rejected or given up), a `mail` event on staff's timeline.
    pub async fn record_deliveries(
        &self,
        outcomes: &[(OutboxMail, Delivery)],
        now: i64,
    ) -> sqlx::Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_write().await?;
        for (mail, delivery) in outcomes {
            record_in(&mut tx, mail, delivery, now).await?;
        }
        tx.commit().await
    }

    /// Stores a batch's link token hashes in one transaction.
    pub async fn create_mail_links(&self, rows: &[MailLinkRow]) -> sqlx::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_write().await?;
        for r in rows {
            // A newer invitation's link replaces the older ones.
            if r.purpose == "invite" {
                forget_invite_links(&mut tx, r.user_id, r.created_at).await?;
            }
            sql::query(
                "INSERT INTO mail_links (token_hash, user_id, purpose, ticket_id, created_at, expires_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&r.token_hash)
            .bind(r.user_id)
            .bind(r.purpose)
            .bind(r.ticket_id)
            .bind(r.created_at)
            .bind(r.expires_at)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await
    }

    /// How many notifications are in each state: (pending, sent, failed).
    pub async fn outbox_counts(&self) -> sqlx::Result<(i64, i64, i64)> {
        let row = sql::query(
            "SELECT COUNT(CASE WHEN status = 'pending' THEN 1 END) AS p, \
             COUNT(CASE WHEN status = 'sent' THEN 1 END) AS s, \
             COUNT(CASE WHEN status = 'failed' THEN 1 END) AS f FROM outbox",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.get("p"), row.get("s"), row.get("f")))
    }
}

/// A link to store before its mail is sent (the token itself only goes into the mail).
pub struct MailLinkRow {
    pub token_hash: Vec<u8>,
    pub user_id: i64,
    pub purpose: &'static str,
    pub ticket_id: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A link from an e-mail, once used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedLink {
    pub user_id: i64,
    /// `ticket`, `sign_in`, `reset` or `invite`.
    pub purpose: String,
    pub ticket_id: Option<i64>,
}

impl Repo {
    /// Uses a link of one of `purposes`: at most once (the update is the check), before it expires.
    pub async fn use_mail_link(
        &self,
        token_hash: &[u8],
        purposes: &[&str],
        now: i64,
    ) -> sqlx::Result<Option<UsedLink>> {
        let row = sql::query(
            "UPDATE mail_links SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1 \
             RETURNING user_id, purpose, ticket_id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| UsedLink {
                user_id: r.get("user_id"),
                purpose: r.get("purpose"),
                ticket_id: r.get("ticket_id"),
            })
            .filter(|l| purposes.contains(&l.purpose.as_str())))
    }

    /// Forgets links past their time.
    pub async fn purge_mail_links(&self, now: i64) -> sqlx::Result<u64> {
        Ok(sql::query("DELETE FROM mail_links WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

/// How one attempt ended, written on `conn` (a transaction of the caller's).
async fn record_in(
    conn: &mut Conn,
    mail: &OutboxMail,
    delivery: &Delivery,
    now: i64,
) -> sqlx::Result<()> {
    let settled_error = match delivery {
        Delivery::Sent => {
            sql::query(
                "UPDATE outbox SET status = 'sent', sent_at = ?, claimed_until = NULL, last_error = NULL \
                 WHERE id = ?",
            )
            .bind(now)
            .bind(mail.id)
            .execute(&mut *conn)
            .await?;
            Some(None)
        }
        Delivery::Deferred {
            error,
            retry_at: Some(at),
        } => {
            sql::query(
                "UPDATE outbox SET next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
            )
            .bind(at)
            .bind(error)
            .bind(mail.id)
            .execute(&mut *conn)
            .await?;
            None
        }
        Delivery::Deferred {
            error,
            retry_at: None,
        } => Some(Some(error.clone())),
        Delivery::Rejected { error } => {
            sql::query(
                "INSERT INTO mail_suppressions (address, reason, created_at) VALUES (?, ?, ?) \
                 ON CONFLICT (address) DO NOTHING",
            )
            .bind(&mail.address)
            .bind(error)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Some(Some(error.clone()))
        }
    };
    if let Some(error) = settled_error {
        if let Some(error) = &error {
            sql::query(
                "UPDATE outbox SET status = 'failed', claimed_until = NULL, last_error = ? WHERE id = ?",
            )
            .bind(error)
            .bind(mail.id)
            .execute(&mut *conn)
            .await?;
        }
        if let Some(ticket_id) = mail.ticket_id {
            sql::query(
                "INSERT INTO ticket_events (ticket_id, kind, author_id, mail_to, mail_error, created_at) \
                 VALUES (?, 'mail', ?, ?, ?, ?)",
            )
            .bind(ticket_id)
            .bind(mail.recipient_id)
            .bind(&mail.address)
            .bind(error)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
