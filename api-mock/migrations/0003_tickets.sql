-- Tickets: the ticket, its timeline of events, and the idempotency keys that make creating a ticket or
-- sending a message safe to retry. Times are Unix milliseconds (UTC).

CREATE TABLE tickets (
    id                     INTEGER PRIMARY KEY,
    subject                TEXT NOT NULL,
    description_md         TEXT NOT NULL,
    description_html       TEXT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    priority               TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    channel                TEXT NOT NULL CHECK (channel IN ('portal', 'email', 'phone', 'chat', 'in_person')),
    category               TEXT,
    requester_id           INTEGER NOT NULL REFERENCES users(id),
    -- The requester's organization when the ticket was opened: what a manager sees.
    organization_id        INTEGER NOT NULL REFERENCES organizations(id),
    assignee_id            INTEGER REFERENCES users(id),
    -- The requester, or the staff member who logged a ticket taken by phone, e-mail, chat or in person.
    created_by             INTEGER NOT NULL REFERENCES users(id),
    created_at             INTEGER NOT NULL,
    -- The last change a client can see (messages, statuses, fields)...
    updated_at             INTEGER NOT NULL,
    -- ...and the last change of any kind, internal notes included, for staff.
    staff_updated_at       INTEGER NOT NULL,
    first_response_due_at  INTEGER NOT NULL,
    first_responded_at     INTEGER,
    resolution_due_at      INTEGER NOT NULL,
    resolved_at            INTEGER,
    escalated              INTEGER NOT NULL DEFAULT 0,
    -- The knowledge-base search that preceded the ticket (kb_searches.id), for the deflection analytics.
    search_id              INTEGER,
    -- Subject and description folded to lower case without accents, for `?q=`.
    search_text            TEXT NOT NULL
);
CREATE INDEX tickets_requester ON tickets(requester_id, updated_at);
CREATE INDEX tickets_organization ON tickets(organization_id, updated_at);
CREATE INDEX tickets_status ON tickets(status, updated_at);
CREATE INDEX tickets_updated ON tickets(updated_at);
CREATE INDEX tickets_staff_updated ON tickets(staff_updated_at);
CREATE INDEX tickets_assignee ON tickets(assignee_id, status);
CREATE INDEX tickets_search ON tickets(search_id);

CREATE TABLE ticket_events (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    kind         TEXT NOT NULL CHECK (kind IN ('message', 'status_change', 'note')),
    author_id    INTEGER NOT NULL REFERENCES users(id),
    body_md      TEXT,
    body_html    TEXT,
    search_text  TEXT,
    from_status  TEXT,
    to_status    TEXT,
    created_at   INTEGER NOT NULL,
    CHECK ((kind = 'status_change') = (to_status IS NOT NULL)),
    CHECK ((kind = 'status_change') = (body_md IS NULL))
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

-- One row per (user, Idempotency-Key): the primary key is what makes two concurrent requests with one key
-- create one ticket. Kept at least 24 hours.
CREATE TABLE idempotency_keys (
    user_id       INTEGER NOT NULL REFERENCES users(id),
    key           TEXT NOT NULL,
    -- SHA-256 of the endpoint and the request body: the same key with another body is refused.
    request_hash  BLOB NOT NULL,
    ticket_id     INTEGER REFERENCES tickets(id),
    event_id      INTEGER REFERENCES ticket_events(id),
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
