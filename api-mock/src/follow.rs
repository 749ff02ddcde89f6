//! Several servers on one PostgreSQL database: each keeps its own search index and read cache, and
//! follows the others' writes.
//!
//! A server that commits a write to the knowledge base or the announcements says so on a PostgreSQL
//! channel (`Repo::kb_changed`, `NOTIFY`); every server listens, drops its copies, and compares the
//! published articles' revisions and the synonyms with what its index holds, re-indexing what changed.
//! The comparison also runs every [`COMPARE_EVERY`] and after the listening connection comes back, so a
//! notification lost while disconnected delays a change, and loses none. On SQLite (one server per
//! database) nothing follows: the server's own writes keep its copies true.

use std::{collections::HashMap, time::Duration};

use sqlx::postgres::PgListener;

use crate::{AppState, db::sql, markdown, search::IndexedArticle};

/// The channel servers tell each other of changes on.
pub const CHANNEL: &str = "portal_changes";
/// A change to articles, categories, votes or synonyms.
pub const KB: &str = "kb";
pub const ANNOUNCEMENTS: &str = "announcements";
/// How often the index is compared with the database, notified or not.
pub const COMPARE_EVERY: Duration = Duration::from_secs(30);

/// What the index holds, as last compared: each published article's (revision, update time), and the
/// synonyms' update time.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Seen {
    articles: HashMap<i64, (i64, i64)>,
    synonyms: Option<i64>,
}

impl Seen {
    /// The database's state now.
    pub async fn read(repo: &crate::repo::Repo) -> sqlx::Result<Self> {
        let articles = sql::query_as::<(i64, i64, i64)>(
            "SELECT id, revision, updated_at FROM kb_articles WHERE status = 'published'",
        )
        .fetch_all(&repo.pool)
        .await?
        .into_iter()
        .map(|(id, revision, at)| (id, (revision, at)))
        .collect();
        let synonyms = sql::query_scalar::<i64>("SELECT updated_at FROM kb_synonyms WHERE id = 1")
            .fetch_optional(&repo.pool)
            .await?;
        Ok(Self { articles, synonyms })
    }
}

/// Listens for the other servers' changes until the process ends (PostgreSQL only). `seen`: what the
/// index was built from.
pub async fn run(state: AppState, mut seen: Seen) {
    let Some(pool) = state.repo.pool.postgres().cloned() else {
        return;
    };
    // Until the server stops (its pool closed).
    while !pool.is_closed() {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "listening for the other servers' changes");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "listening for the other servers' changes");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Whatever changed while nobody listened.
        state.repo.cache.invalidate_announcements();
        compare(&state, &mut seen).await;
        loop {
            tokio::select! {
                got = listener.try_recv() => match got {
                    Ok(Some(n)) if n.payload() == ANNOUNCEMENTS => state.repo.cache.invalidate_announcements(),
                    Ok(Some(_)) => {
                        state.repo.cache.invalidate_kb();
                        compare(&state, &mut seen).await;
                    }
                    // The connection was lost; the next call connects again, and missed nothing
                    // once compared.
                    Ok(None) => {
                        state.repo.cache.invalidate_announcements();
                        compare(&state, &mut seen).await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the other servers' changes");
                        break;
                    }
                },
                _ = tokio::time::sleep(COMPARE_EVERY) => compare(&state, &mut seen).await,
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Brings the index up to the database: re-indexes the articles whose revision or update time differs
/// from `seen`, takes out those no longer published, reloads changed synonyms.
async fn compare(state: &AppState, seen: &mut Seen) {
    match sync(state, seen).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(changes = n, "followed the other servers' changes"),
        Err(e) => tracing::warn!(error = %e, "comparing the search index with the database"),
    }
}

async fn sync(state: &AppState, seen: &mut Seen) -> crate::Result<usize> {
    let now = Seen::read(&state.repo).await?;
    if now == *seen {
        return Ok(0);
    }
    let changed: Vec<i64> = now
        .articles
        .iter()
        .filter(|(id, v)| seen.articles.get(id) != Some(v))
        .map(|(id, _)| *id)
        .collect();
    let gone: Vec<i64> = seen
        .articles
        .keys()
        .filter(|id| !now.articles.contains_key(id))
        .copied()
        .collect();
    let docs = state.repo.search_docs_among(&changed).await?;
    let synonyms = if now.synonyms != seen.synonyms {
        Some(state.repo.synonyms().await?)
    } else {
        None
    };
    let index = state.search.clone();
    let count = changed.len() + gone.len() + usize::from(synonyms.is_some());
    tokio::task::spawn_blocking(move || -> Result<(), crate::search::SearchError> {
        if let Some(groups) = synonyms {
            index.set_synonyms(&groups);
        }
        for d in &docs {
            index.upsert(&IndexedArticle {
                id: d.id,
                locale: &d.locale,
                title: &d.title,
                body: &markdown::plain_text(&d.body_md),
            })?;
        }
        for id in gone {
            index.remove(id)?;
        }
        Ok(())
    })
    .await
    .map_err(|e| crate::Error::Internal(e.to_string()))?
    .map_err(|e| crate::Error::Internal(e.to_string()))?;
    state.repo.cache.invalidate_kb();
    *seen = now;
    Ok(count)
}
