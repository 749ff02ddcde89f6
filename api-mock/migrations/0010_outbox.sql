-- E-mail out (issue 14): the outbox of notifications, written in the transaction of the event that causes
-- them, so that none is lost; the addresses that answered a permanent failure; and the delivery's record on
-- staff's timeline, a new staff-only kind of event `mail` (to `mail_to`, `mail_error` NULL when sent).
--
-- The kind's CHECK is part of ticket_events, so the table is rebuilt as in 0008: the old one renamed (which
-- points `idempotency_keys` and `attachments`, the tables referring to events, at the old name), the new one
-- filled with the same ids, both referring tables rebuilt to refer to the new one, and only then the old
-- table dropped, when nothing refers to it.
ALTER TABLE ticket_events RENAME TO ticket_events_old;
DROP INDEX ticket_events_ticket;
CREATE TABLE ticket_events (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    kind          TEXT NOT NULL
                  CHECK (kind IN ('message', 'status_change', 'note', 'priority_change', 'assignment', 'mail')),
    author_id     INTEGER NOT NULL REFERENCES users(id),
    body_md       TEXT,
    body_html     TEXT,
    search_text   TEXT,
    from_status   TEXT,
    to_status     TEXT,
    from_priority TEXT,
    to_priority   TEXT,
    assignee_id   INTEGER REFERENCES users(id),
    -- `mail`: the address written to, and why it failed (NULL: sent).
    mail_to       TEXT,
    mail_error    TEXT,
    created_at    INTEGER NOT NULL,
    CHECK ((kind = 'status_change') = (to_status IS NOT NULL)),
    CHECK ((kind IN ('message', 'note')) = (body_md IS NOT NULL)),
    CHECK ((kind = 'priority_change') = (to_priority IS NOT NULL)),
    CHECK (kind = 'assignment' OR assignee_id IS NULL),
    CHECK ((kind = 'mail') = (mail_to IS NOT NULL))
);
INSERT INTO ticket_events (id, ticket_id, kind, author_id, body_md, body_html, search_text, from_status,
    to_status, from_priority, to_priority, assignee_id, created_at)
SELECT id, ticket_id, kind, author_id, body_md, body_html, search_text, from_status, to_status, from_priority,
    to_priority, assignee_id, created_at
FROM ticket_events_old;
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

CREATE TABLE idempotency_keys_new (
    user_id       INTEGER NOT NULL REFERENCES users(id),
    key           TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    ticket_id     INTEGER REFERENCES tickets(id),
    event_id      INTEGER REFERENCES ticket_events(id),
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
INSERT INTO idempotency_keys_new SELECT user_id, key, request_hash, ticket_id, event_id, created_at
FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

CREATE TABLE attachments_new (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    uploader_id   INTEGER NOT NULL REFERENCES users(id),
    ticket_id     INTEGER REFERENCES tickets(id),
    event_id      INTEGER REFERENCES ticket_events(id),
    created_at    INTEGER NOT NULL,
    attached_at   INTEGER,
    CHECK (event_id IS NULL OR ticket_id IS NOT NULL),
    CHECK ((ticket_id IS NULL) = (attached_at IS NULL))
);
INSERT INTO attachments_new SELECT id, sha256, name, content_type, size, uploader_id, ticket_id, event_id,
    created_at, attached_at
FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_new RENAME TO attachments;
CREATE INDEX attachments_ticket ON attachments(ticket_id, event_id);
CREATE INDEX attachments_sha256 ON attachments(sha256);
CREATE INDEX attachments_unattached ON attachments(created_at) WHERE ticket_id IS NULL;

DROP TABLE ticket_events_old;

-- One notification to one recipient. `status`: `pending` until delivered (`sent`) or given up (`failed`).
-- `message_id` is the local part of its Message-ID, chosen once: a resend after a crash carries the same
-- one, so the recipient's mail program can tell it is the same mail. `claimed_until`: a sender is writing
-- it (a crashed sender's claim lapses, and the row is sent again: at least once).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL
                    CHECK (kind IN ('ticket_created', 'reply', 'status_change', 'resolved', 'sign_in',
                                    'password_reset')),
    -- NULL for the mails about an account (a sign-in link, a password reset).
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
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_ticket ON outbox(ticket_id);

-- Addresses that answered a permanent failure (5xx): nothing more is written to them.
CREATE TABLE mail_suppressions (
    address     TEXT PRIMARY KEY COLLATE NOCASE,
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- The links in e-mails: a notification's one-click link to its ticket (`ticket`, 7 days), a sign-in link
-- (`sign_in`) and a password reset (`reset`), 30 minutes. Single use; the token itself is never stored,
-- only its SHA-256, like sessions'.
CREATE TABLE mail_links (
    token_hash  BLOB PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('ticket', 'sign_in', 'reset')),
    ticket_id   INTEGER REFERENCES tickets(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    CHECK ((purpose = 'ticket') = (ticket_id IS NOT NULL))
) WITHOUT ROWID;
CREATE INDEX mail_links_expires ON mail_links(expires_at);

-- A session opened by a ticket's one-click link sees that ticket only, until the password is given.
ALTER TABLE sessions ADD COLUMN ticket_id INTEGER REFERENCES tickets(id);
