-- Accounts, sessions and announcements. Times are Unix milliseconds (UTC).

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('client', 'agent', 'admin')),
    organization_id  INTEGER REFERENCES organizations(id),
    org_role         TEXT CHECK (org_role IN ('manager', 'member')),
    password_hash    TEXT NOT NULL,
    locale           TEXT NOT NULL DEFAULT 'pt-BR',
    disabled         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    CHECK ((role = 'client') = (organization_id IS NOT NULL)),
    CHECK ((role = 'client') = (org_role IS NOT NULL))
);

-- The token itself is never stored: only its SHA-256.
CREATE TABLE sessions (
    token_hash    BLOB PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE announcements (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('incident', 'maintenance', 'info')),
    title       TEXT NOT NULL,
    body_md     TEXT NOT NULL,
    body_html   TEXT NOT NULL,
    locale      TEXT,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER,
    created_by  INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX announcements_window ON announcements(starts_at, ends_at);
