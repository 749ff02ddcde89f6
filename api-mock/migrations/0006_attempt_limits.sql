-- Attempts counted against the brakes on guessing: failed (or still being checked) sign-ins, wrong current
-- passwords on /me/password, anonymous votes. Kept in the database so that a restart does not reset them and
-- several servers on one database share them. A sign-in is recorded *before* its password is verified (and
-- deleted again when it succeeds), so concurrent attempts cannot all pass a check made before any counted.
-- Times are Unix milliseconds (UTC).
CREATE TABLE limit_events (
    id       INTEGER PRIMARY KEY,
    -- 'sign_in', 'password' or 'vote'
    kind     TEXT NOT NULL,
    -- the e-mail (lower case) for 'sign_in', the user id for 'password', the article id for 'vote'
    subject  TEXT NOT NULL,
    -- the client's address ('' when unknown)
    address  TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX limit_events_subject ON limit_events(kind, subject, at);
CREATE INDEX limit_events_address ON limit_events(kind, address, at);

-- Addresses an account has signed in from successfully: its owner there is not refused because of
-- failures elsewhere (another address guessing the same e-mail) or of other accounts' failures from the
-- same address.
CREATE TABLE sign_in_addresses (
    email    TEXT NOT NULL,
    address  TEXT NOT NULL,
    last_at  INTEGER NOT NULL,
    PRIMARY KEY (email, address)
);
