//! Knowledge base storage: categories, articles, votes, searches and synonyms.

use api_types::{Article, ArticleStatus, ArticleSummary, Category, CategoryRef, Translation};
use sqlx::Row;

use super::Repo;
use crate::db::{now_ms, to_time};

fn status_str(s: ArticleStatus) -> &'static str {
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
     c.id AS c_id, c.slug AS c_slug, c.name AS c_name";

fn summary_from_row(r: &sqlx::sqlite::SqliteRow) -> ArticleSummary {
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

impl Repo {
    pub async fn create_category(
        &self,
        slug: &str,
        locale: &str,
        name: &str,
        description: &str,
        position: i64,
    ) -> sqlx::Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO kb_categories (slug, locale, name, description, position) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(slug)
        .bind(locale)
        .bind(name)
        .bind(description)
        .bind(position)
        .fetch_one(&self.pool)
        .await
    }

    pub async fn categories(&self, locale: &str) -> sqlx::Result<Vec<Category>> {
        let rows = sqlx::query(
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
        sqlx::query_scalar("SELECT id FROM kb_categories WHERE slug = ?")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn create_article(&self, a: &ArticleRecord<'_>) -> sqlx::Result<i64> {
        let now = now_ms();
        let tags = serde_json::to_string(a.tags).unwrap_or_else(|_| "[]".into());
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
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
        sqlx::query(
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
        tx.commit().await?;
        Ok(id)
    }

    pub async fn article_id_by_slug(&self, slug: &str) -> sqlx::Result<Option<i64>> {
        sqlx::query_scalar("SELECT id FROM kb_articles WHERE slug = ?")
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
        let rows = sqlx::query(&sql)
            .bind(category)
            .bind(locale)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {filter}"))
            .bind(category)
            .bind(locale)
            .fetch_one(&self.pool)
            .await?;
        Ok((rows.iter().map(summary_from_row).collect(), total))
    }

    /// An article by slug; only a published one unless `any_status` (staff).
    pub async fn article(&self, slug: &str, any_status: bool) -> sqlx::Result<Option<Article>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, a.body_md, a.body_html, a.tags, a.helpful_yes, a.helpful_no, a.status, \
             a.revision, a.category_id, COALESCE(a.translation_of, a.id) AS grp \
             FROM kb_articles a JOIN kb_categories c ON c.id = a.category_id \
             WHERE a.slug = ? AND (? OR a.status = 'published')"
        );
        let Some(r) = sqlx::query(&sql)
            .bind(slug)
            .bind(any_status)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let summary = summary_from_row(&r);
        let group: i64 = r.get("grp");
        let translations = sqlx::query(
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
        let related = sqlx::query(&related_sql)
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

    pub async fn record_view(
        &self,
        article_id: i64,
        search_id: Option<i64>,
        user_id: Option<i64>,
    ) -> sqlx::Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE kb_articles SET views = views + 1 WHERE id = ?")
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
        // A search id that does not exist is dropped rather than refused: the view still counts.
        sqlx::query(
            "INSERT INTO kb_article_views (article_id, search_id, user_id, created_at) \
             VALUES (?, (SELECT id FROM kb_searches WHERE id = ?), ?, ?)",
        )
        .bind(article_id)
        .bind(search_id)
        .bind(user_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO kb_feedback (article_id, visitor, helpful, comment, search_id, user_id, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (article_id, visitor) DO UPDATE SET \
             helpful = excluded.helpful, comment = COALESCE(excluded.comment, kb_feedback.comment), \
             search_id = COALESCE(excluded.search_id, kb_feedback.search_id), updated_at = excluded.updated_at",
        )
        .bind(article_id)
        .bind(visitor)
        .bind(helpful)
        .bind(comment)
        .bind(search_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE kb_articles SET \
             helpful_yes = (SELECT COUNT(*) FROM kb_feedback WHERE article_id = ?1 AND helpful = 1), \
             helpful_no = (SELECT COUNT(*) FROM kb_feedback WHERE article_id = ?1 AND helpful = 0) WHERE id = ?1",
        )
        .bind(article_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    pub async fn record_search(
        &self,
        query: &str,
        locale: &str,
        results: i64,
        user_id: Option<i64>,
    ) -> sqlx::Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO kb_searches (query, locale, results, user_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(query)
        .bind(locale)
        .bind(results)
        .bind(user_id)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
    }

    /// Every published article, for building the search index.
    pub async fn search_docs(&self) -> sqlx::Result<Vec<SearchDoc>> {
        let rows = sqlx::query(
            "SELECT id, locale, title, body_md FROM kb_articles WHERE status = 'published'",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| SearchDoc {
                id: r.get("id"),
                locale: r.get("locale"),
                title: r.get("title"),
                body_md: r.get("body_md"),
            })
            .collect())
    }

    /// Titles and bodies of some articles, for snippets.
    pub async fn search_doc(&self, id: i64) -> sqlx::Result<Option<(String, String, String)>> {
        let row = sqlx::query(
            "SELECT slug, title, body_md FROM kb_articles WHERE id = ? AND status = 'published'",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get("slug"), r.get("title"), r.get("body_md"))))
    }

    pub async fn synonyms(&self) -> sqlx::Result<Vec<Vec<String>>> {
        let groups: Option<String> =
            sqlx::query_scalar("SELECT groups FROM kb_synonyms WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(groups
            .and_then(|g| serde_json::from_str(&g).ok())
            .unwrap_or_default())
    }

    pub async fn set_synonyms(&self, groups: &[Vec<String>]) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO kb_synonyms (id, groups, updated_at) VALUES (1, ?1, ?2) \
             ON CONFLICT (id) DO UPDATE SET groups = excluded.groups, updated_at = excluded.updated_at",
        )
        .bind(serde_json::to_string(groups).unwrap_or_else(|_| "[]".into()))
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn article_count(&self) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM kb_articles")
            .fetch_one(&self.pool)
            .await
    }
}
