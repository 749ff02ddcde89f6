-- Satisfaction ratings: at most one per ticket, by its requester, changeable for 7 days after it was first
-- given. Times are Unix milliseconds (UTC).

CREATE TABLE ticket_ratings (
    ticket_id     INTEGER PRIMARY KEY REFERENCES tickets(id),
    requester_id  INTEGER NOT NULL REFERENCES users(id),
    score         INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment       TEXT,
    -- When the rating was first given: the 7 days to change it count from here.
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- The dashboard reads ratings by the time they were given.
CREATE INDEX ticket_ratings_created ON ticket_ratings(created_at);

-- The KPI report reads tickets by when they were opened and resolved.
CREATE INDEX tickets_created ON tickets(created_at);
CREATE INDEX tickets_resolved ON tickets(resolved_at);
