-- Announcements in more than one language: the same announcement's title and body in another locale. A
-- reader whose language has a text here sees it instead of the announcement's own title and body.

CREATE TABLE announcement_translations (
    announcement_id  INTEGER NOT NULL REFERENCES announcements(id),
    locale           TEXT NOT NULL,
    title            TEXT NOT NULL,
    body_md          TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    PRIMARY KEY (announcement_id, locale)
) WITHOUT ROWID;
