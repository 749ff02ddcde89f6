-- Images in articles (issue 15): a raster image uploaded by staff and named in an article's Markdown
-- (`![...](/api/v1/attachments/ID)`) belongs to that article from the save that names it. It is then
-- never purged as an unattached upload, is backed up, and anyone may see it once the article is
-- published (staff before).
ALTER TABLE attachments ADD COLUMN article_id INTEGER REFERENCES kb_articles(id);
CREATE INDEX attachments_article ON attachments(article_id) WHERE article_id IS NOT NULL;
