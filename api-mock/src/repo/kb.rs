//! Knowledge base storage: categories, articles, votes, searches and synonyms.

use api_types::{
    Article, ArticleStats, ArticleStatus, ArticleSummary, AuthorRef, Category, CategoryRef,
    FeedbackComment, QueryCount, Revision, RevisionSummary, Translation, UnhelpfulArticle,
    ZeroResultQuery,
};
use std::sync::Arc;

use crate::db::sql::{self, Conn, Row};

use super::Repo;
use crate::{
    cache,
    db::{now_ms, to_time},
};

pub fn status_str(s: ArticleStatus) -> &'static str {
    match s {
        ArticleStatus::Draft => "draft",
        ArticleStatus::Published => "published",
        ArticleStatus::Archived => "archived",
    }
}

fn parse_status(s: &str) -> ArticleStatus {
    match s {
        "published" => ArticleStatus::Published,
        "archived" => ArticleStatus::Archived,
        _ => ArticleStatus::Draft,
    }
}

const SUMMARY_COLUMNS: &str = "a.id, a.slug, a.locale, a.title, a.summary, a.updated_at, a.views, \
     a.status, a.helpful_yes, a.helpful_no, c.id AS c_id, c.slug AS c_slug, c.name AS c_name";

fn summary_from_row(r: &Row) -> ArticleSummary {
    ArticleSummary {
        id: r.get("id"),
        slug: r.get("slug"),
        locale: r.get("locale"),
        title: r.get("title"),
        summary: r.get("summary"),
        category: CategoryRef {
            id: r.get("c_id"),
            slug: r.get("c_slug"),
            name: r.get("c_name"),
        },
        updated_at: to_time(r.get("updated_at")),
        views: r.get("views"),
        status: Some(parse_status(r.get::<&str, _>("status"))),
        helpful_yes: r.get("helpful_yes"),
        helpful_no: r.get("helpful_no"),
    }
}

/// A new article, validated and rendered.
pub struct ArticleRecord<'a> {
    pub slug: &'a str,
    pub locale: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub category_id: i64,
    pub tags: &'a [String],
    pub status: ArticleStatus,
    pub translation_of: Option<i64>,
    pub views: i64,
    pub author_id: Option<i64>,
}

/// An article as the search index needs it.
pub struct SearchDoc {
    pub id: i64,
    pub locale: String,
    pub title: String,
    pub body_md: String,
}

/// The search ids of one PostgreSQL server start (see `Repo::search_id_start`).
pub const SEARCH_ID_BLOCK: i64 = 1 << 40;

impl Repo {
    pub async fn create_category(
        &self,
        slug: &str,
        locale: &str,
        name: &str,
        description: &str,
        position: i64,
    ) -> sqlx::Result<i64> {
        let id = sql::query_scalar(
            "INSERT INTO kb_categories (slug, locale, name, description, position) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(slug)
        .bind(locale)
        .bind(name)
        .bind(description)
        .bind(position)
        .fetch_one(&self.pool)
        .await;
        self.kb_changed().await;
        id
    }

    /// The categories of a locale, from the cache when it has them.
    pub async fn categories(
        &self,
        locale: &str,
    ) -> sqlx::Result<Arc<cache::Cached<Vec<Category>>>> {
        let generation = match self.cache.categories.get(locale) {
            Ok(hit) => return Ok(hit),
            Err(generation) => generation,
        };
        let categories = cache::Cached::new(self.read_categories(locale).await?);
        self.cache.categories.put(
            generation,
            locale.to_string(),
            categories.clone(),
            cache::TTL,
        );
        Ok(categories)
    }

    async fn read_categories(&self, locale: &str) -> sqlx::Result<Vec<Category>> {
        let rows = sql::query(
            "SELECT c.id, c.slug, c.locale, c.name, c.description, c.position, \
             (SELECT COUNT(*) FROM kb_articles a WHERE a.category_id = c.id AND a.status = 'published') AS n \
             FROM kb_categories c WHERE c.locale = ? ORDER BY c.position, c.name",
        )
        .bind(locale)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Category {
                id: r.get("id"),
                slug: r.get("slug"),
                name: r.get("name"),
                description: r.get("description"),
                locale: r.get("locale"),
                position: r.get("position"),
                article_count: r.get("n"),
            })
            .collect())
    }

    pub async fn category_id_by_slug(&self, slug: &str) -> sqlx::Result<Option<i64>> {
        sql::query_scalar("SELECT id FROM kb_categories WHERE slug = ?")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn create_article(&self, a: &ArticleRecord<'_>) -> sqlx::Result<i64> {
        let mut tx = self.pool.begin_write().await?;
        let id = Self::insert_article(&mut tx, a, now_ms()).await?;
        tx.commit().await?;
        self.kb_changed().await;
        Ok(id)
    }

    /// Many articles in one transaction (imports, benchmarks): all or none.
    pub async fn create_articles(&self, articles: &[ArticleRecord<'_>]) -> sqlx::Result<()> {
        let now = now_ms();
        let mut tx = self.pool.begin_write().await?;
        for a in articles {
            Self::insert_article(&mut tx, a, now).await?;
        }
        tx.commit().await?;
        self.kb_changed().await;
        Ok(())
    }

    /// An article and its first revision.
    async fn insert_article(tx: &mut Conn, a: &ArticleRecord<'_>, now: i64) -> sqlx::Result<i64> {
        let tags = serde_json::to_string(a.tags).unwrap_or_else(|_| "[]".into());
        let id: i64 = sql::query_scalar(
            "INSERT INTO kb_articles (slug, locale, title, summary, body_md, body_html, category_id, tags, status, \
             revision, translation_of, views, author_id, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(a.slug)
        .bind(a.locale)
        .bind(a.title)
        .bind(a.summary)
        .bind(a.body_md)
        .bind(a.body_html)
        .bind(a.category_id)
        .bind(&tags)
        .bind(status_str(a.status))
        .bind(a.translation_of)
        .bind(a.views)
        .bind(a.author_id)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        super::attachments::attach_to_article(&mut *tx, id, a.body_md).await?;
        sql::query(
            "INSERT INTO kb_revisions (article_id, revision, title, body_md, category_id, tags, status, author_id, created_at) \
             VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(a.title)
        .bind(a.body_md)
        .bind(a.category_id)
        .bind(&tags)
        .bind(status_str(a.status))
        .bind(a.author_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Ok(id)
    }

    pub async fn article_id_by_slug(&self, slug: &str) -> sqlx::Result<Option<i64>> {
        sql::query_scalar("SELECT id FROM kb_articles WHERE slug = ?")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
    }

    /// Published articles, optionally of one category and locale; most viewed first or by title.
    pub async fn published_articles(
        &self,
        category: Option<&str>,
        locale: Option<&str>,
        by_views: bool,
        limit: i64,
        offset: i64,
    ) -> sqlx::Result<(Vec<ArticleSummary>, i64)> {
        let filter = "FROM kb_articles a JOIN kb_categories c ON c.id = a.category_id WHERE a.status = 'published' \
             AND (?1 IS NULL OR c.slug = ?1) AND (?2 IS NULL OR a.locale = ?2)";
        let order = if by_views {
            "a.views DESC, a.title"
        } else {
            "a.title"
        };
        let sql = format!("SELECT {SUMMARY_COLUMNS} {filter} ORDER BY {order} LIMIT ?3 OFFSET ?4");
        let rows = sql::query(&sql)
            .bind(category)
            .bind(locale)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let total: i64 = sql::query_scalar(&format!("SELECT COUNT(*) {filter}"))
            .bind(category)
            .bind(locale)
            .fetch_one(&self.pool)
            .await?;
        Ok((rows.iter().map(summary_from_row).collect(), total))
    }

    /// A published article by slug as readers see it, from the cache when it has it.
    pub async fn published_article(
        &self,
        slug: &str,
    ) -> sqlx::Result<Option<Arc<cache::Cached<Article>>>> {
        let generation = match self.cache.articles.get(slug) {
            Ok(hit) => return Ok(Some(hit)),
            Err(generation) => generation,
        };
        let Some(article) = self.article(slug, false).await? else {
            return Ok(None);
        };
        let article = cache::Cached::new(article);
        self.cache
            .articles
            .put(generation, slug.to_string(), article.clone(), cache::TTL);
        Ok(Some(article))
    }

    /// An article by slug, read from the database; only a published one unless `any_status` (staff).
    pub async fn article(&self, slug: &str, any_status: bool) -> sqlx::Result<Option<Article>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, a.body_md, a.body_html, a.tags, a.revision, a.category_id, COALESCE(a.translation_of, a.id) AS grp \
             FROM kb_articles a JOIN kb_categories c ON c.id = a.category_id \
             WHERE a.slug = ? AND (? OR a.status = 'published')"
        );
        let Some(r) = sql::query(&sql)
            .bind(slug)
            .bind(any_status)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let summary = summary_from_row(&r);
        let group: i64 = r.get("grp");
        let translations = sql::query(
            "SELECT locale, slug FROM kb_articles WHERE (id = ?1 OR translation_of = ?1) AND id <> ?2 AND status = 'published'",
        )
        .bind(group)
        .bind(summary.id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|t| Translation { locale: t.get("locale"), slug: t.get("slug") })
        .collect();
        let related_sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM kb_articles a JOIN kb_categories c ON c.id = a.category_id \
             WHERE a.category_id = ? AND a.id <> ? AND a.status = 'published' ORDER BY a.views DESC LIMIT 5"
        );
        let related = sql::query(&related_sql)
            .bind(r.get::<i64, _>("category_id"))
            .bind(summary.id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(summary_from_row)
            .collect();
        Ok(Some(Article {
            id: summary.id,
            slug: summary.slug,
            locale: summary.locale,
            title: summary.title,
            summary: summary.summary,
            category: summary.category,
            updated_at: summary.updated_at,
            views: summary.views,
            body_md: r.get("body_md"),
            body_html: r.get("body_html"),
            tags: serde_json::from_str(r.get::<&str, _>("tags")).unwrap_or_default(),
            helpful_yes: r.get("helpful_yes"),
            helpful_no: r.get("helpful_no"),
            status: parse_status(r.get::<&str, _>("status")),
            revision: r.get("revision"),
            translations,
            related,
        }))
    }

    /// Records a vote; a visitor's second vote on an article replaces the first, and the counters follow.
    pub async fn vote(
        &self,
        article_id: i64,
        visitor: &str,
        helpful: bool,
        comment: Option<&str>,
        search_id: Option<i64>,
        user_id: Option<i64>,
    ) -> sqlx::Result<()> {
        let now = now_ms();
        let mut tx = self.pool.begin_write().await?;
        sql::query(
            "INSERT INTO kb_feedback (article_id, visitor, helpful, comment, search_id, user_id, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (article_id, visitor) DO UPDATE SET \
             helpful = excluded.helpful, comment = COALESCE(excluded.comment, kb_feedback.comment), \
             search_id = COALESCE(excluded.search_id, kb_feedback.search_id), updated_at = excluded.updated_at",
        )
        .bind(article_id)
        .bind(visitor)
        .bind(i64::from(helpful))
        .bind(comment)
        .bind(search_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut tx)
        .await?;
        sql::query(
            "UPDATE kb_articles SET \
             helpful_yes = (SELECT COUNT(*) FROM kb_feedback WHERE article_id = ?1 AND helpful = 1), \
             helpful_no = (SELECT COUNT(*) FROM kb_feedback WHERE article_id = ?1 AND helpful = 0) WHERE id = ?1",
        )
        .bind(article_id)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        self.kb_changed().await;
        Ok(())
    }

    /// The largest search id written, 0 when there is none.
    pub async fn max_search_id(&self) -> sqlx::Result<i64> {
        sql::query_scalar("SELECT COALESCE(MAX(id), 0) FROM kb_searches")
            .fetch_one(&self.pool)
            .await
    }

    /// Where this server's search ids start. The analytics queue hands them out from memory: on SQLite
    /// (one server) after the largest written; on PostgreSQL, where several servers share the table, each
    /// server start takes a block of its own (2^40 ids) from a sequence, so that no two hand out one id.
    pub async fn search_id_start(&self, margin: i64) -> sqlx::Result<i64> {
        let after = self.max_search_id().await? + margin + 1;
        match self.pool.backend() {
            sql::Backend::Sqlite => Ok(after),
            sql::Backend::Postgres => {
                let block: i64 = sql::query_scalar("SELECT nextval('kb_search_blocks')")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(after.max(block.saturating_mul(SEARCH_ID_BLOCK)))
            }
        }
    }

    /// Writes a batch of analytics events in one transaction, in their order; the article view counters
    /// follow, one update per article.
    pub async fn record_analytics(&self, events: &[crate::analytics::Event]) -> sqlx::Result<()> {
        use crate::analytics::Event;
        // Each kind goes in as one statement over a JSON array of rows, not one statement per event: at
        // 20 000 article reads a second, a statement per view was a round trip to the database thread each.
        let mut searches = Vec::new();
        let mut views = Vec::new();
        for event in events {
            match event {
                Event::Search {
                    id,
                    query,
                    locale,
                    results,
                    user_id,
                    at,
                } => searches.push(serde_json::json!([id, query, locale, results, user_id, at])),
                Event::View {
                    article_id,
                    search_id,
                    user_id,
                    at,
                } => views.push(serde_json::json!([article_id, search_id, user_id, at])),
            }
        }
        let mut tx = self.pool.begin_write().await?;
        // Searches first: a view names the search it came from, which happened before it.
        if !searches.is_empty() {
            sql::query(tx.backend().pick(
                "INSERT INTO kb_searches (id, query, locale, results, user_id, created_at) \
                 SELECT e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, \
                        (SELECT id FROM users WHERE id = e.value ->> 4), e.value ->> 5 \
                 FROM json_each(?1) AS e WHERE true ON CONFLICT (id) DO NOTHING",
                "INSERT INTO kb_searches (id, query, locale, results, user_id, created_at) \
                 SELECT (e.value ->> 0)::bigint, e.value ->> 1, e.value ->> 2, (e.value ->> 3)::bigint, \
                        (SELECT id FROM users WHERE id = (e.value ->> 4)::bigint), (e.value ->> 5)::bigint \
                 FROM jsonb_array_elements(?1::jsonb) AS e ON CONFLICT (id) DO NOTHING",
            ))
            .bind(serde_json::Value::Array(searches).to_string())
            .execute(&mut tx)
            .await?;
        }
        if !views.is_empty() {
            let views = serde_json::Value::Array(views).to_string();
            // A view of an article that no longer exists is dropped, and a search id that does not exist
            // is left out rather than refused: the view still counts.
            sql::query(tx.backend().pick(
                "INSERT INTO kb_article_views (article_id, search_id, user_id, created_at) \
                 SELECT a.id, (SELECT id FROM kb_searches WHERE id = e.value ->> 1), \
                        (SELECT id FROM users WHERE id = e.value ->> 2), e.value ->> 3 \
                 FROM json_each(?1) AS e JOIN kb_articles AS a ON a.id = e.value ->> 0",
                "INSERT INTO kb_article_views (article_id, search_id, user_id, created_at) \
                 SELECT a.id, (SELECT id FROM kb_searches WHERE id = (e.value ->> 1)::bigint), \
                        (SELECT id FROM users WHERE id = (e.value ->> 2)::bigint), (e.value ->> 3)::bigint \
                 FROM jsonb_array_elements(?1::jsonb) AS e \
                 JOIN kb_articles AS a ON a.id = (e.value ->> 0)::bigint",
            ))
            .bind(&views)
            .execute(&mut tx)
            .await?;
            sql::query(tx.backend().pick(
                "UPDATE kb_articles SET views = views + c.n \
                 FROM (SELECT value ->> 0 AS id, count(*) AS n FROM json_each(?1) GROUP BY 1) AS c \
                 WHERE kb_articles.id = c.id",
                "UPDATE kb_articles SET views = views + c.n \
                 FROM (SELECT (value ->> 0)::bigint AS id, count(*) AS n \
                       FROM jsonb_array_elements(?1::jsonb) GROUP BY 1) AS c \
                 WHERE kb_articles.id = c.id",
            ))
            .bind(&views)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await
    }

    /// Every published article, for building the search index.
    pub async fn search_docs(&self) -> sqlx::Result<Vec<SearchDoc>> {
        self.published_docs(None).await
    }

    /// The published articles among `ids`, for re-indexing them (`crate::follow`).
    pub async fn search_docs_among(&self, ids: &[i64]) -> sqlx::Result<Vec<SearchDoc>> {
        let mut docs = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            docs.extend(self.published_docs(Some(chunk)).await?);
        }
        Ok(docs)
    }

    async fn published_docs(&self, among: Option<&[i64]>) -> sqlx::Result<Vec<SearchDoc>> {
        let mut b = sql::Builder::new(
            "SELECT id, locale, title, body_md FROM kb_articles WHERE status = 'published'",
        );
        if let Some(ids) = among {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            b.push(" AND id IN ");
            b.push_list(ids.iter().copied());
        }
        Ok(b.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| SearchDoc {
                id: r.get("id"),
                locale: r.get("locale"),
                title: r.get("title"),
                body_md: r.get("body_md"),
            })
            .collect())
    }

    /// Slugs, titles and bodies of published articles, by id, for the snippets of one page of results.
    pub async fn search_docs_by_id(
        &self,
        ids: &[i64],
    ) -> sqlx::Result<std::collections::HashMap<i64, (String, String, String)>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let placeholders = vec!["?"; ids.len()].join(", ");
        let sql = format!(
            "SELECT id, slug, title, body_md FROM kb_articles WHERE status = 'published' AND id IN ({placeholders})"
        );
        let mut query = sql::query(&sql);
        for id in ids {
            query = query.bind(id);
        }
        Ok(query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                (
                    r.get("id"),
                    (r.get("slug"), r.get("title"), r.get("body_md")),
                )
            })
            .collect())
    }

    pub async fn synonyms(&self) -> sqlx::Result<Vec<Vec<String>>> {
        let groups: Option<String> =
            sql::query_scalar("SELECT groups FROM kb_synonyms WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(groups
            .and_then(|g| serde_json::from_str(&g).ok())
            .unwrap_or_default())
    }

    pub async fn set_synonyms(&self, groups: &[Vec<String>]) -> sqlx::Result<()> {
        sql::query(
            "INSERT INTO kb_synonyms (id, groups, updated_at) VALUES (1, ?1, ?2) \
             ON CONFLICT (id) DO UPDATE SET groups = excluded.groups, updated_at = excluded.updated_at",
        )
        .bind(serde_json::to_string(groups).unwrap_or_else(|_| "[]".into()))
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        self.kb_changed().await;
        Ok(())
    }

    pub async fn article_count(&self) -> sqlx::Result<i64> {
        sql::query_scalar("SELECT COUNT(*) FROM kb_articles")
            .fetch_one(&self.pool)
            .await
    }
}

/// An article's new content, validated and rendered, for an edit or a restore.
pub struct ArticleUpdate<'a> {
    pub locale: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub category_id: i64,
    pub tags: &'a [String],
    pub status: ArticleStatus,
    pub translation_of: Option<i64>,
}

/// What became of an edit that names the revision it started from.
pub enum Saved {
    Saved,
    NotFound,
    /// Someone saved a newer revision first.
    Stale,
}

/// The filters of the staff article list.
pub struct ArticleListFilter<'a> {
    /// `None`: every status.
    pub status: Option<&'a str>,
    pub category: Option<&'a str>,
    pub locale: Option<&'a str>,
    /// Words of the title.
    pub q: Option<&'a str>,
    pub helpfulness: Option<Helpfulness>,
    pub limit: i64,
    pub offset: i64,
}

/// The staff list's filter by readers' votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helpfulness {
    /// Voted "not helpful" at least once and at least as often as "helpful": most such votes first.
    Low,
    /// Voted "helpful" more often than not: most such votes first.
    High,
}

impl Helpfulness {
    /// The condition it adds and the order it imposes.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            Helpfulness::Low => (
                "AND a.helpful_no > 0 AND a.helpful_no >= a.helpful_yes",
                "a.helpful_no DESC, a.helpful_yes, ",
            ),
            Helpfulness::High => (
                "AND a.helpful_yes > a.helpful_no",
                "a.helpful_yes DESC, a.helpful_no, ",
            ),
        }
    }
}

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

fn revision_author(r: &Row) -> Option<AuthorRef> {
    let id: Option<i64> = r.get("author_id");
    id.map(|id| AuthorRef {
        id,
        name: r
            .get::<Option<String>, _>("author_name")
            .unwrap_or_default(),
    })
}

/// Staff curation: lists in any status, edits as revisions, categories, analytics.
impl Repo {
    /// Articles in any status (or one), most recently changed first (after the votes, when filtered by them).
    pub async fn articles_for_staff(
        &self,
        f: &ArticleListFilter<'_>,
    ) -> sqlx::Result<(Vec<ArticleSummary>, i64)> {
        let (votes, by_votes) = f.helpfulness.map_or(("", ""), Helpfulness::sql);
        let filter = format!(
            "FROM kb_articles a JOIN kb_categories c ON c.id = a.category_id \
             WHERE (?1 IS NULL OR a.status = ?1) AND (?2 IS NULL OR c.slug = ?2) AND (?3 IS NULL OR a.locale = ?3) \
             AND (?4 IS NULL OR a.title LIKE '%' || ?4 || '%') {votes}"
        );
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} {filter} ORDER BY {by_votes}a.updated_at DESC, a.id DESC LIMIT ?5 OFFSET ?6"
        );
        let rows = sql::query(&sql)
            .bind(f.status)
            .bind(f.category)
            .bind(f.locale)
            .bind(f.q)
            .bind(f.limit)
            .bind(f.offset)
            .fetch_all(&self.pool)
            .await?;
        let total: i64 = sql::query_scalar(&format!("SELECT COUNT(*) {filter}"))
            .bind(f.status)
            .bind(f.category)
            .bind(f.locale)
            .bind(f.q)
            .fetch_one(&self.pool)
            .await?;
        Ok((rows.iter().map(summary_from_row).collect(), total))
    }

    /// An article in any status by id (staff).
    pub async fn article_by_id(&self, id: i64) -> sqlx::Result<Option<Article>> {
        let slug: Option<String> = sql::query_scalar("SELECT slug FROM kb_articles WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match slug {
            Some(slug) => self.article(&slug, true).await,
            None => Ok(None),
        }
    }

    /// The article's locale and the first article of its translation group (its own id when it is the first).
    pub async fn translation_group(&self, id: i64) -> sqlx::Result<Option<(String, i64)>> {
        let row = sql::query(
            "SELECT locale, COALESCE(translation_of, id) AS grp FROM kb_articles WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get("locale"), r.get("grp"))))
    }

    /// The article's own `translation_of` link, as stored.
    pub async fn translation_of(&self, id: i64) -> sqlx::Result<Option<i64>> {
        Ok(
            sql::query_scalar::<Option<i64>>("SELECT translation_of FROM kb_articles WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// Creates an article with the slug made unique (`-2`, `-3`, ... when taken) and answers its id.
    pub async fn create_article_unique(&self, a: &ArticleRecord<'_>) -> sqlx::Result<i64> {
        let mut n = 1;
        loop {
            let slug = if n == 1 {
                a.slug.to_string()
            } else {
                format!("{}-{n}", a.slug)
            };
            match self
                .create_article(&ArticleRecord { slug: &slug, ..*a })
                .await
            {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() && n < 1000 => n += 1,
                other => return other,
            }
        }
    }

    /// Snapshots the article's current row as its revision (inside the transaction that changed it).
    async fn snapshot(
        tx: &mut Conn,
        id: i64,
        author_id: Option<i64>,
        now: i64,
    ) -> sqlx::Result<()> {
        sql::query(
            "INSERT INTO kb_revisions (article_id, revision, title, body_md, category_id, tags, status, author_id, created_at) \
             SELECT id, revision, title, body_md, category_id, tags, status, ?2, ?3 FROM kb_articles WHERE id = ?1",
        )
        .bind(id)
        .bind(author_id)
        .bind(now)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// Saves an edit as a new revision, unless `expected_revision` is no longer the current one.
    pub async fn update_article(
        &self,
        id: i64,
        a: &ArticleUpdate<'_>,
        expected_revision: i64,
        author_id: i64,
    ) -> sqlx::Result<Saved> {
        let now = now_ms();
        let tags = serde_json::to_string(a.tags).unwrap_or_else(|_| "[]".into());
        let mut tx = self.pool.begin_write().await?;
        // The revision check and the write are one statement: two editors can never both win.
        let updated = sql::query(
            "UPDATE kb_articles SET locale = ?, title = ?, summary = ?, body_md = ?, body_html = ?, category_id = ?, \
             tags = ?, status = ?, translation_of = ?, revision = revision + 1, updated_at = ? \
             WHERE id = ? AND revision = ?",
        )
        .bind(a.locale)
        .bind(a.title)
        .bind(a.summary)
        .bind(a.body_md)
        .bind(a.body_html)
        .bind(a.category_id)
        .bind(&tags)
        .bind(status_str(a.status))
        .bind(a.translation_of)
        .bind(now)
        .bind(id)
        .bind(expected_revision)
        .execute(&mut tx)
        .await?
        .rows_affected();
        if updated == 0 {
            let exists: Option<i64> = sql::query_scalar("SELECT id FROM kb_articles WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut tx)
                .await?;
            return Ok(if exists.is_some() {
                Saved::Stale
            } else {
                Saved::NotFound
            });
        }
        super::attachments::attach_to_article(&mut tx, id, a.body_md).await?;
        Self::snapshot(&mut tx, id, Some(author_id), now).await?;
        tx.commit().await?;
        self.kb_changed().await;
        Ok(Saved::Saved)
    }

    /// Moves an article to `status` as a new revision; `false` when it does not exist. Nothing is erased.
    pub async fn set_article_status(
        &self,
        id: i64,
        status: ArticleStatus,
        author_id: i64,
    ) -> sqlx::Result<bool> {
        let now = now_ms();
        let mut tx = self.pool.begin_write().await?;
        let current: Option<String> =
            sql::query_scalar("SELECT status FROM kb_articles WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut tx)
                .await?;
        match current {
            None => return Ok(false),
            // Already there: no new revision.
            Some(s) if s == status_str(status) => return Ok(true),
            Some(_) => {}
        }
        sql::query(
            "UPDATE kb_articles SET status = ?, revision = revision + 1, updated_at = ? WHERE id = ?",
        )
        .bind(status_str(status))
        .bind(now)
        .bind(id)
        .execute(&mut tx)
        .await?;
        Self::snapshot(&mut tx, id, Some(author_id), now).await?;
        tx.commit().await?;
        self.kb_changed().await;
        Ok(true)
    }

    /// Every revision of an article, newest first; `None` when the article does not exist.
    pub async fn revisions(&self, article_id: i64) -> sqlx::Result<Option<Vec<RevisionSummary>>> {
        let exists: Option<i64> = sql::query_scalar("SELECT id FROM kb_articles WHERE id = ?")
            .bind(article_id)
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let rows = sql::query(
            "SELECT r.revision, r.title, r.status, r.author_id, u.name AS author_name, r.created_at \
             FROM kb_revisions r LEFT JOIN users u ON u.id = r.author_id \
             WHERE r.article_id = ? ORDER BY r.revision DESC",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(
            rows.iter()
                .map(|r| RevisionSummary {
                    revision: r.get("revision"),
                    title: r.get("title"),
                    author: revision_author(r),
                    created_at: to_time(r.get("created_at")),
                    status: parse_status(r.get::<&str, _>("status")),
                })
                .collect(),
        ))
    }

    /// One revision's full text; `body_html` is left empty for the caller to render.
    pub async fn revision(&self, article_id: i64, revision: i64) -> sqlx::Result<Option<Revision>> {
        let row = sql::query(
            "SELECT r.revision, r.title, r.body_md, r.category_id, r.tags, r.status, r.author_id, \
             u.name AS author_name, r.created_at \
             FROM kb_revisions r LEFT JOIN users u ON u.id = r.author_id \
             WHERE r.article_id = ? AND r.revision = ?",
        )
        .bind(article_id)
        .bind(revision)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| Revision {
            article_id,
            revision: r.get("revision"),
            title: r.get("title"),
            body_md: r.get("body_md"),
            body_html: String::new(),
            category_id: r.get("category_id"),
            tags: serde_json::from_str(r.get::<&str, _>("tags")).unwrap_or_default(),
            status: parse_status(r.get::<&str, _>("status")),
            author: revision_author(&r),
            created_at: to_time(r.get("created_at")),
        }))
    }

    pub async fn category(&self, id: i64) -> sqlx::Result<Option<Category>> {
        let row = sql::query(
            "SELECT c.id, c.slug, c.locale, c.name, c.description, c.position, \
             (SELECT COUNT(*) FROM kb_articles a WHERE a.category_id = c.id AND a.status = 'published') AS n \
             FROM kb_categories c WHERE c.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| Category {
            id: r.get("id"),
            slug: r.get("slug"),
            name: r.get("name"),
            description: r.get("description"),
            locale: r.get("locale"),
            position: r.get("position"),
            article_count: r.get("n"),
        }))
    }

    /// Changes a category; `Ok(false)` when it does not exist. A taken slug is a unique violation.
    pub async fn update_category(
        &self,
        id: i64,
        slug: &str,
        locale: &str,
        name: &str,
        description: &str,
        position: i64,
    ) -> sqlx::Result<bool> {
        let done = sql::query(
            "UPDATE kb_categories SET slug = ?, locale = ?, name = ?, description = ?, position = ? WHERE id = ?",
        )
        .bind(slug)
        .bind(locale)
        .bind(name)
        .bind(description)
        .bind(position)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.kb_changed().await;
        Ok(done.rows_affected() > 0)
    }

    /// Searches in the last `days` days.
    pub async fn search_count(&self, since: i64) -> sqlx::Result<i64> {
        sql::query_scalar("SELECT COUNT(*) FROM kb_searches WHERE created_at >= ?")
            .bind(since)
            .fetch_one(&self.pool)
            .await
    }

    /// The most frequent queries since `since` (case folded), and those that found nothing.
    pub async fn query_stats(
        &self,
        since: i64,
        limit: i64,
    ) -> sqlx::Result<(Vec<QueryCount>, Vec<ZeroResultQuery>)> {
        let top = sql::query(
            "SELECT lower(trim(query)) AS q, COUNT(*) AS n FROM kb_searches WHERE created_at >= ? \
             GROUP BY q ORDER BY n DESC, q LIMIT ?",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| QueryCount {
            query: r.get("q"),
            count: r.get("n"),
        })
        .collect();
        let zero = sql::query(
            "SELECT lower(trim(query)) AS q, COUNT(*) AS n, MAX(created_at) AS last FROM kb_searches \
             WHERE created_at >= ? AND results = 0 GROUP BY q ORDER BY n DESC, last DESC LIMIT ?",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| ZeroResultQuery {
            query: r.get("q"),
            count: r.get("n"),
            last_seen: to_time(r.get("last")),
        })
        .collect();
        Ok((top, zero))
    }

    /// Published articles with their views and votes since `since`, most viewed first.
    pub async fn article_stats(&self, since: i64, limit: i64) -> sqlx::Result<Vec<ArticleStats>> {
        let rows = sql::query(
            "SELECT a.id, a.slug, a.title, COALESCE(v.n, 0) AS views, COALESCE(f.yes, 0) AS yes, COALESCE(f.no, 0) AS no \
             FROM kb_articles a \
             LEFT JOIN (SELECT article_id, COUNT(*) AS n FROM kb_article_views WHERE created_at >= ?1 GROUP BY article_id) v \
               ON v.article_id = a.id \
             LEFT JOIN (SELECT article_id, COUNT(CASE WHEN helpful = 1 THEN 1 END) AS yes, COUNT(CASE WHEN helpful = 0 THEN 1 END) AS no FROM kb_feedback \
               WHERE updated_at >= ?1 GROUP BY article_id) f ON f.article_id = a.id \
             WHERE a.status = 'published' ORDER BY views DESC, no DESC, a.title LIMIT ?2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ArticleStats {
                id: r.get("id"),
                slug: r.get("slug"),
                title: r.get("title"),
                views: r.get("views"),
                helpful_yes: r.get("yes"),
                helpful_no: r.get("no"),
            })
            .collect())
    }

    /// The articles with the most "not helpful" votes since `since`, each with those votes' comments.
    pub async fn unhelpful_articles(
        &self,
        since: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<UnhelpfulArticle>> {
        let rows = sql::query(
            "SELECT a.id, a.slug, a.title, f.yes, f.no FROM kb_articles a \
             JOIN (SELECT article_id, COUNT(CASE WHEN helpful = 1 THEN 1 END) AS yes, COUNT(CASE WHEN helpful = 0 THEN 1 END) AS no FROM kb_feedback \
               WHERE updated_at >= ?1 GROUP BY article_id) f ON f.article_id = a.id \
             WHERE f.no > 0 AND a.status <> 'archived' ORDER BY f.no DESC, f.yes, a.title LIMIT ?2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.get("id");
            let comments = sql::query(
                "SELECT comment, updated_at FROM kb_feedback WHERE article_id = ? AND helpful = 0 \
                 AND comment IS NOT NULL AND updated_at >= ? ORDER BY updated_at DESC LIMIT 20",
            )
            .bind(id)
            .bind(since)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|c| FeedbackComment {
                comment: c.get("comment"),
                created_at: to_time(c.get("updated_at")),
            })
            .collect();
            out.push(UnhelpfulArticle {
                id,
                slug: r.get("slug"),
                title: r.get("title"),
                helpful_yes: r.get("yes"),
                helpful_no: r.get("no"),
                comments,
            });
        }
        Ok(out)
    }

    /// Of the searches by signed-in clients since `since`: how many, and how many a ticket of the same
    /// client followed within 24 hours (or named in its `search_id`).
    pub async fn client_searches_and_tickets(&self, since: i64) -> sqlx::Result<(i64, i64)> {
        // The tickets table comes with the tickets feature; before it exists no search can end in a ticket.
        let columns: Vec<String> = sql::query_scalar(self.pool.backend().pick(
            "SELECT name FROM pragma_table_info('tickets')",
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = 'tickets'",
        ))
        .fetch_all(&self.pool)
        .await?;
        let has = |c: &str| columns.iter().any(|n| n == c);
        let followed = if has("requester_id") && has("created_at") {
            let by_search_id = if has("search_id") {
                "t.search_id = s.id OR "
            } else {
                ""
            };
            format!(
                "COUNT(CASE WHEN EXISTS (SELECT 1 FROM tickets t WHERE {by_search_id}(t.requester_id = s.user_id \
                 AND t.created_at >= s.created_at AND t.created_at < s.created_at + {DAY_MS})) THEN 1 END)"
            )
        } else {
            "0".to_string()
        };
        let row = sql::query(&format!(
            "SELECT COUNT(*) AS n, COALESCE({followed}, 0) AS followed FROM kb_searches s \
             JOIN users u ON u.id = s.user_id WHERE u.role = 'client' AND s.created_at >= ?"
        ))
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.get("n"), row.get("followed")))
    }
}

/// A published article as the sitemap lists it.
#[derive(Debug, Clone)]
pub struct SitemapArticle {
    pub slug: String,
    pub locale: String,
    pub updated: chrono::DateTime<chrono::Utc>,
    /// The article it translates (or its own id): the versions of one article share it.
    pub group: i64,
}

impl Repo {
    /// Up to `limit` published articles (newest change first) and the slugs of the categories that have
    /// any, for the sitemap.
    pub async fn sitemap_entries(
        &self,
        limit: usize,
    ) -> sqlx::Result<(Vec<SitemapArticle>, Vec<String>)> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let articles = sql::query(
            "SELECT slug, locale, updated_at, COALESCE(translation_of, id) AS grp FROM kb_articles \
             WHERE status = 'published' ORDER BY updated_at DESC, id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| SitemapArticle {
            slug: r.get("slug"),
            locale: r.get("locale"),
            updated: to_time(r.get("updated_at")),
            group: r.get("grp"),
        })
        .collect();
        let categories = sql::query_scalar(
            "SELECT c.slug FROM kb_categories c WHERE EXISTS \
             (SELECT 1 FROM kb_articles a WHERE a.category_id = c.id AND a.status = 'published') \
             ORDER BY c.locale, c.position, c.slug LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok((articles, categories))
    }
}
