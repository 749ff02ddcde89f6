-- Attachments (issue 15): files uploaded by users, attached to a ticket (its description when `event_id`
-- is NULL) or to one of its messages or notes. The bytes live outside the database, in the blob store,
-- under their SHA-256; the client's file name is only kept here, never used in a path. An upload not yet
-- attached (`ticket_id` NULL) is its uploader's alone, and is removed after a day.

CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    -- Lower-case hex SHA-256 of the bytes: the blob's key. Several rows may share one blob.
    sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
    -- The name the client gave, as metadata only (shown and offered as the download's name).
    name          TEXT NOT NULL,
    -- Decided from the bytes at upload (see attachments.rs), never from the name or the browser's claim.
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
CREATE INDEX attachments_ticket ON attachments(ticket_id, event_id);
CREATE INDEX attachments_sha256 ON attachments(sha256);
CREATE INDEX attachments_unattached ON attachments(created_at) WHERE ticket_id IS NULL;
