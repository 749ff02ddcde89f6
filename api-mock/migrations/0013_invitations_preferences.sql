-- E-mail out, second part (issue 14): invitations, each user's choice of notifications, staff's
-- escalation and service-target warnings, and managers' organization mails and daily digest.
--
-- New kinds of notification (`invitation`, `escalation`, `sla_warning`, `digest`) and a new kind of link
-- (`invite`, 7 days) change two CHECKs, so the outbox is rebuilt as in 0012 and mail_links likewise
-- (nothing refers to either).

-- An invited account has no usable password until its owner chooses one from the invitation's link.
ALTER TABLE users ADD COLUMN invited INTEGER NOT NULL DEFAULT 0;
-- Which mails the user gets (`GET`/`PUT /me/notifications`); account mails always go. `notify_assigned`
-- counts for staff only, `notify_org` and `notify_digest` for an organization's managers only.
ALTER TABLE users ADD COLUMN notify_own INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN notify_assigned INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN notify_org INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN notify_digest INTEGER NOT NULL DEFAULT 0;
-- The day (YYYY-MM-DD in the business hours' offset) of the last digest written to a manager: never two
-- the same day.
ALTER TABLE users ADD COLUMN digest_day TEXT;

-- The service-target warnings written: one per ticket and target, ever (the primary key is the check).
CREATE TABLE sla_warnings (
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    target      TEXT NOT NULL CHECK (target IN ('first_response', 'resolution')),
    due_at      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, target)
) WITHOUT ROWID;

CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL
                    CHECK (kind IN ('ticket_created', 'reply', 'status_change', 'resolved', 'sign_in',
                                    'password_reset', 'mail_too_large', 'invitation', 'escalation',
                                    'sla_warning', 'digest')),
    ticket_id       INTEGER REFERENCES tickets(id),
    event_id        INTEGER REFERENCES ticket_events(id),
    recipient_id    INTEGER NOT NULL REFERENCES users(id),
    address         TEXT NOT NULL,
    locale          TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    -- `sla_warning`: which target (`first_response` or `resolution`).
    detail          TEXT
);
INSERT INTO outbox_new (id, kind, ticket_id, event_id, recipient_id, address, locale, message_id, status,
    attempts, next_attempt_at, claimed_until, last_error, created_at, sent_at)
SELECT id, kind, ticket_id, event_id, recipient_id, address, locale, message_id, status, attempts,
    next_attempt_at, claimed_until, last_error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_ticket ON outbox(ticket_id);

CREATE TABLE mail_links_new (
    token_hash  BLOB PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('ticket', 'sign_in', 'reset', 'invite')),
    ticket_id   INTEGER REFERENCES tickets(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    CHECK ((purpose = 'ticket') = (ticket_id IS NOT NULL))
) WITHOUT ROWID;
INSERT INTO mail_links_new SELECT token_hash, user_id, purpose, ticket_id, created_at, expires_at, used_at
FROM mail_links;
DROP TABLE mail_links;
ALTER TABLE mail_links_new RENAME TO mail_links;
CREATE INDEX mail_links_expires ON mail_links(expires_at);
CREATE INDEX mail_links_user ON mail_links(user_id, purpose) WHERE used_at IS NULL;
