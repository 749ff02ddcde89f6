-- E-mail in (issue 18): the mails read from the support mailbox, each handled once; the Message-IDs received
-- per ticket, for threading the next replies; the staff's review list of mails from unknown senders; the
-- quoted history cut from a mail's reply, kept for staff; and a new notification, the polite refusal of a
-- mail too large to take (the outbox's kind CHECK changes, so the outbox is rebuilt as in 0010).

-- One row per message of the mailbox handled, by the mailbox's UIDVALIDITY and the message's UID: written
-- in the transaction that records what became of it, so a server killed mid-batch neither loses nor
-- repeats a mail. `outcome`: `ticket`, `reply`, `review` (unknown sender), `ignored` (an automatic mail),
-- `bounce`, `refused` (too large) or `invalid` (not a mail).
CREATE TABLE inbound_messages (
    mailbox      TEXT NOT NULL,
    uidvalidity  INTEGER NOT NULL,
    uid          INTEGER NOT NULL,
    message_id   TEXT,
    sender       TEXT,
    outcome      TEXT NOT NULL
                 CHECK (outcome IN ('ticket', 'reply', 'review', 'ignored', 'bounce', 'refused', 'invalid')),
    ticket_id    INTEGER REFERENCES tickets(id),
    event_id     INTEGER REFERENCES ticket_events(id),
    detail       TEXT,
    processed_at INTEGER NOT NULL,
    PRIMARY KEY (mailbox, uidvalidity, uid)
) WITHOUT ROWID;

-- The Message-IDs of the mails that became a ticket or a reply (without brackets), to thread the replies
-- that refer to them. The ones we send are the outbox's `message_id`s.
CREATE TABLE inbound_message_ids (
    message_id  TEXT PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    event_id    INTEGER REFERENCES ticket_events(id),
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX inbound_message_ids_ticket ON inbound_message_ids(ticket_id);

-- Mails from addresses no account has: staff accept them (the sender becomes a client of an organization
-- and the mail their ticket) or discard them. `raw` is the whole mail, read again on acceptance.
CREATE TABLE inbound_review (
    id           INTEGER PRIMARY KEY,
    sender       TEXT NOT NULL,
    sender_name  TEXT,
    subject      TEXT NOT NULL,
    excerpt      TEXT NOT NULL,
    raw          BLOB NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'discarded')),
    received_at  INTEGER NOT NULL,
    decided_by   INTEGER REFERENCES users(id),
    decided_at   INTEGER,
    ticket_id    INTEGER REFERENCES tickets(id),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX inbound_review_pending ON inbound_review(received_at) WHERE status = 'pending';

-- A message that came by e-mail: the quoted history cut from it, for staff ("mostrar texto citado").
ALTER TABLE ticket_events ADD COLUMN quoted_text TEXT;

CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL
                    CHECK (kind IN ('ticket_created', 'reply', 'status_change', 'resolved', 'sign_in',
                                    'password_reset', 'mail_too_large')),
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
INSERT INTO outbox_new SELECT id, kind, ticket_id, event_id, recipient_id, address, locale, message_id, status,
    attempts, next_attempt_at, claimed_until, last_error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_ticket ON outbox(ticket_id);
