-- Staff's timeline also shows who changed a ticket's priority and who assigned it to whom: two new kinds of
-- event, `priority_change` (from_priority -> to_priority) and `assignment` (assignee_id, NULL when the
-- ticket was left to nobody). Both are internal to staff, like notes.
--
-- The kind's CHECK is part of the table, so the table is rebuilt inside the migration's transaction, where
-- foreign keys cannot be switched off: the old table is renamed (which points `idempotency_keys`, the one
-- table referring to events, at the old name), the new one filled with the same ids, `idempotency_keys`
-- rebuilt to refer to the new one, and only then the old table dropped, when nothing refers to it.
ALTER TABLE ticket_events RENAME TO ticket_events_old;
DROP INDEX ticket_events_ticket;
CREATE TABLE ticket_events (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    kind          TEXT NOT NULL
                  CHECK (kind IN ('message', 'status_change', 'note', 'priority_change', 'assignment')),
    author_id     INTEGER NOT NULL REFERENCES users(id),
    body_md       TEXT,
    body_html     TEXT,
    search_text   TEXT,
    from_status   TEXT,
    to_status     TEXT,
    from_priority TEXT,
    to_priority   TEXT,
    assignee_id   INTEGER REFERENCES users(id),
    created_at    INTEGER NOT NULL,
    CHECK ((kind = 'status_change') = (to_status IS NOT NULL)),
    CHECK ((kind IN ('message', 'note')) = (body_md IS NOT NULL)),
    CHECK ((kind = 'priority_change') = (to_priority IS NOT NULL)),
    CHECK (kind = 'assignment' OR assignee_id IS NULL)
);
INSERT INTO ticket_events (id, ticket_id, kind, author_id, body_md, body_html, search_text, from_status,
    to_status, created_at)
SELECT id, ticket_id, kind, author_id, body_md, body_html, search_text, from_status, to_status, created_at
FROM ticket_events_old;
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

-- One row per (user, Idempotency-Key): the primary key is what makes two concurrent requests with one key
-- create one ticket. Kept at least 24 hours.
CREATE TABLE idempotency_keys_new (
    user_id       INTEGER NOT NULL REFERENCES users(id),
    key           TEXT NOT NULL,
    -- SHA-256 of the endpoint and the request body: the same key with another body is refused.
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

DROP TABLE ticket_events_old;
