//! Analytics events (searches, article views, clicks from a search) off the request path.
//!
//! A read must never wait on a durable write: each event goes into a bounded in-memory queue that a
//! background task writes in one transaction every [`FLUSH_EVERY`] or as soon as [`FLUSH_AT`] events are
//! waiting, and once more on shutdown. The price, accepted for analytics only, is that a crash of the
//! process loses at most the events of that window (tickets, messages, ratings and votes stay durable
//! before their answer). When the queue is full an event is counted as dropped and the read goes on.
//!
//! A search's id is handed out here, before it is written, so that the answer can carry it at once: the
//! counter starts past the largest id on disk by more than the queue can hold, so an id handed out before
//! a crash and never written is never handed out again.
//!
//! A reader who comes back to the same query (Back, a reload, a shared `?q=` link opened twice) made one
//! search, not several: the same reader's same query within [`REPEAT_WINDOW_MS`] answers the first id and
//! records nothing.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Mutex,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::sync::Notify;

use crate::{db::now_ms, repo::Repo};

/// How often waiting events are written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// Events waiting that make the writer go at once.
pub const FLUSH_AT: usize = 500;
/// Events the queue holds; past it new ones are dropped (and counted).
pub const CAPACITY: usize = 20_000;
/// The same reader's same query within this time is the same search.
pub const REPEAT_WINDOW_MS: i64 = 30 * 60 * 1000;
/// Readers' recent queries remembered for [`REPEAT_WINDOW_MS`]; past it the expired ones are forgotten,
/// and if none has expired, all of them (a repeat may then be counted again; memory stays bounded).
pub const RECENT_CAPACITY: usize = 50_000;

/// One thing a reader did, with the time it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Search {
        id: i64,
        query: String,
        locale: String,
        results: i64,
        user_id: Option<i64>,
        at: i64,
    },
    View {
        article_id: i64,
        /// The search the reader came from, when the page said so (a click from a search).
        search_id: Option<i64>,
        user_id: Option<i64>,
        at: i64,
    },
}

/// The queue, its counters and the writer's wake-up call.
pub struct Queue {
    events: Mutex<VecDeque<Event>>,
    wake: Notify,
    /// One writer at a time, so that batches reach the database in the order they were taken.
    writing: tokio::sync::Mutex<()>,
    next_search_id: AtomicI64,
    /// (reader, folded query) → (search id, when it was recorded).
    recent: Mutex<HashMap<(String, String), (i64, i64)>>,
    dropped: AtomicU64,
    written: AtomicU64,
    failed: AtomicU64,
}

impl Queue {
    /// A queue whose search ids continue after those already in the database.
    pub async fn new(repo: &Repo) -> sqlx::Result<Self> {
        let start = repo.search_id_start((CAPACITY + FLUSH_AT) as i64).await?;
        Ok(Self {
            events: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            writing: tokio::sync::Mutex::new(()),
            next_search_id: AtomicI64::new(start),
            recent: Mutex::new(HashMap::new()),
            dropped: AtomicU64::new(0),
            written: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        })
    }

    /// Records a search; the id is the search's even when the event is dropped (a later view or ticket that
    /// names it then simply finds no search).
    pub fn search(&self, query: &str, locale: &str, results: i64, user_id: Option<i64>) -> i64 {
        let id = self.next_search_id.fetch_add(1, Ordering::Relaxed);
        self.push(Event::Search {
            id,
            query: query.to_string(),
            locale: locale.to_string(),
            results,
            user_id,
            at: now_ms(),
        });
        id
    }

    /// Records `reader`'s search unless the same reader searched for the same words (folded: case and
    /// accents aside) within [`REPEAT_WINDOW_MS`]. Answers the search's id and whether it was recorded now.
    pub fn search_once(
        &self,
        reader: &str,
        query: &str,
        locale: &str,
        results: i64,
        user_id: Option<i64>,
    ) -> (i64, bool) {
        let key = (
            reader.to_string(),
            crate::search::folded_words(query).join(" "),
        );
        let now = now_ms();
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&(id, at)) = recent.get(&key)
            && now - at < REPEAT_WINDOW_MS
        {
            return (id, false);
        }
        if recent.len() >= RECENT_CAPACITY {
            recent.retain(|_, (_, at)| now - *at < REPEAT_WINDOW_MS);
            if recent.len() >= RECENT_CAPACITY {
                recent.clear();
            }
        }
        let id = self.search(query, locale, results, user_id);
        recent.insert(key, (id, now));
        (id, true)
    }

    /// Records a reader opening an article.
    pub fn view(&self, article_id: i64, search_id: Option<i64>, user_id: Option<i64>) {
        self.push(Event::View {
            article_id,
            search_id,
            user_id,
            at: now_ms(),
        });
    }

    fn push(&self, event: Event) {
        let waiting = {
            let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
            if events.len() >= CAPACITY {
                drop(events);
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            events.push_back(event);
            events.len()
        };
        if waiting >= FLUSH_AT {
            self.wake.notify_one();
        }
    }

    /// Events waiting to be written.
    pub fn depth(&self) -> usize {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Events refused because the queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Events written to the database, since start.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Events lost because their batch could not be written, since start.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Writes every event waiting now, in batches of at most [`FLUSH_AT`], each in one transaction.
    /// Staff reports call it before reading, tests to check what was recorded, shutdown to lose nothing.
    pub async fn flush(&self, repo: &Repo) {
        let _one_writer = self.writing.lock().await;
        loop {
            let batch: Vec<Event> = {
                let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
                let n = events.len().min(FLUSH_AT);
                events.drain(..n).collect()
            };
            if batch.is_empty() {
                return;
            }
            match repo.record_analytics(&batch).await {
                Ok(()) => {
                    self.written
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                }
                Err(e) => {
                    // Analytics must not take the server down with the disk; the loss is counted and logged.
                    self.failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    tracing::warn!(error = %e, events = batch.len(), "writing analytics events failed");
                    return;
                }
            }
        }
    }

    /// The background writer: every [`FLUSH_EVERY`], or at once when [`FLUSH_AT`] events are waiting.
    pub async fn run(self: std::sync::Arc<Self>, repo: Repo) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(FLUSH_EVERY) => {}
                () = self.wake.notified() => {}
            }
            self.flush(&repo).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sql;

    async fn repo() -> Repo {
        Repo::new(crate::db::open_in_memory().await.unwrap())
    }

    #[tokio::test]
    async fn search_ids_grow_past_the_ones_on_disk_and_are_written_in_order() {
        let repo = repo().await;
        let queue = Queue::new(&repo).await.unwrap();
        let first = queue.search("nota fiscal", "pt-BR", 3, None);
        let second = queue.search("balança", "pt-BR", 0, None);
        assert!(first > (CAPACITY + FLUSH_AT) as i64, "{first}");
        assert_eq!(second, first + 1);
        assert_eq!(queue.depth(), 2);
        queue.flush(&repo).await;
        assert_eq!((queue.depth(), queue.written()), (0, 2));
        let rows: Vec<(i64, String)> =
            sql::query_as("SELECT id, query FROM kb_searches ORDER BY id")
                .fetch_all(&repo.pool)
                .await
                .unwrap();
        assert_eq!(
            rows,
            vec![(first, "nota fiscal".into()), (second, "balança".into())]
        );
        // A restart continues after them, beyond what an unwritten queue could have handed out.
        let again = Queue::new(&repo).await.unwrap();
        assert!(again.search("x", "en", 0, None) > second + CAPACITY as i64);
    }

    #[tokio::test]
    async fn the_same_readers_same_query_is_one_search() {
        let repo = repo().await;
        let queue = Queue::new(&repo).await.unwrap();
        let (first, new) = queue.search_once("user:1", "Balança", "pt-BR", 2, Some(1));
        assert!(new);
        // Case and accents aside, the same words from the same reader: the same search.
        assert_eq!(
            queue.search_once("user:1", " balanca ", "pt-BR", 2, Some(1)),
            (first, false)
        );
        // Another reader, or other words, is another search.
        let (other, new) = queue.search_once("user:2", "balança", "pt-BR", 2, Some(2));
        assert!(new && other != first);
        assert!(
            queue
                .search_once("user:1", "balança fiscal", "pt-BR", 0, Some(1))
                .1
        );
        assert_eq!(queue.depth(), 3);
    }

    #[tokio::test]
    async fn a_batch_of_views_counts_the_articles_that_exist_and_links_their_searches() {
        let repo = repo().await;
        sql::query(
            "INSERT INTO kb_categories (id, slug, locale, name) VALUES (1, 'c', 'pt-BR', 'C')",
        )
        .execute(&repo.pool)
        .await
        .unwrap();
        for id in [10, 11] {
            sql::query(
                "INSERT INTO kb_articles (id, slug, locale, title, summary, body_md, body_html, \
                 category_id, status, created_at, updated_at) \
                 VALUES (?, ?, 'pt-BR', 't', 's', 'b', 'b', 1, 'published', 0, 0)",
            )
            .bind(id)
            .bind(format!("a{id}"))
            .execute(&repo.pool)
            .await
            .unwrap();
        }
        let queue = Queue::new(&repo).await.unwrap();
        let search = queue.search("sangria", "pt-BR", 1, None);
        queue.view(10, Some(search), None);
        // A search id never written and a user who does not exist are left out; the view counts.
        queue.view(10, Some(search + 1000), Some(424242));
        queue.view(11, None, None);
        // An article deleted meanwhile: its view is dropped.
        queue.view(99, None, None);
        queue.flush(&repo).await;
        assert_eq!(queue.failed(), 0);
        let rows: Vec<(i64, Option<i64>, Option<i64>)> = sql::query_as(
            "SELECT article_id, search_id, user_id FROM kb_article_views ORDER BY rowid",
        )
        .fetch_all(&repo.pool)
        .await
        .unwrap();
        assert_eq!(
            rows,
            vec![(10, Some(search), None), (10, None, None), (11, None, None)]
        );
        let counts: Vec<(i64, i64)> =
            sql::query_as("SELECT id, views FROM kb_articles ORDER BY id")
                .fetch_all(&repo.pool)
                .await
                .unwrap();
        assert_eq!(counts, vec![(10, 2), (11, 1)]);
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_instead_of_blocking() {
        let repo = repo().await;
        let queue = Queue::new(&repo).await.unwrap();
        for _ in 0..CAPACITY + 7 {
            queue.view(1, None, None);
        }
        assert_eq!(queue.depth(), CAPACITY);
        assert_eq!(queue.dropped(), 7);
    }
}
