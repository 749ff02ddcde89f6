-- The knowledge-base article made from a ticket ("Create article from this ticket"): asking again opens it
-- instead of making another draft.
ALTER TABLE tickets ADD COLUMN article_id INTEGER REFERENCES kb_articles(id) ON DELETE SET NULL;
