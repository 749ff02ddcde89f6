-- Knowledge base: categories, articles with revisions, votes, searches and synonyms.

CREATE TABLE kb_categories (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    locale       TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE kb_articles (
    id              INTEGER PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    locale          TEXT NOT NULL,
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    body_md         TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    category_id     INTEGER NOT NULL REFERENCES kb_categories(id),
    tags            TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    status          TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    revision        INTEGER NOT NULL DEFAULT 1,
    -- Translations share a group: the id of the article they translate (or their own).
    translation_of  INTEGER REFERENCES kb_articles(id),
    views           INTEGER NOT NULL DEFAULT 0,
    helpful_yes     INTEGER NOT NULL DEFAULT 0,
    helpful_no      INTEGER NOT NULL DEFAULT 0,
    author_id       INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX kb_articles_category ON kb_articles(category_id, status);
CREATE INDEX kb_articles_translation ON kb_articles(translation_of);

-- Every save is a revision; nothing is ever overwritten.
CREATE TABLE kb_revisions (
    article_id   INTEGER NOT NULL REFERENCES kb_articles(id),
    revision     INTEGER NOT NULL,
    title        TEXT NOT NULL,
    body_md      TEXT NOT NULL,
    category_id  INTEGER NOT NULL,
    tags         TEXT NOT NULL,
    status       TEXT NOT NULL,
    author_id    INTEGER REFERENCES users(id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (article_id, revision)
);

-- One vote per visitor per article; a new vote replaces the old one.
CREATE TABLE kb_feedback (
    article_id  INTEGER NOT NULL REFERENCES kb_articles(id),
    visitor     TEXT NOT NULL,
    helpful     INTEGER NOT NULL,
    comment     TEXT,
    search_id   INTEGER,
    user_id     INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (article_id, visitor)
);

CREATE TABLE kb_searches (
    id          INTEGER PRIMARY KEY,
    query       TEXT NOT NULL,
    locale      TEXT NOT NULL,
    results     INTEGER NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX kb_searches_time ON kb_searches(created_at);

CREATE TABLE kb_article_views (
    article_id  INTEGER NOT NULL REFERENCES kb_articles(id),
    search_id   INTEGER REFERENCES kb_searches(id),
    user_id     INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX kb_article_views_search ON kb_article_views(search_id);

-- Synonym groups, as one JSON document (an array of arrays of strings).
CREATE TABLE kb_synonyms (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    groups      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
