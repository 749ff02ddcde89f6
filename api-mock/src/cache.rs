//! Hot reads that are the same for everyone, kept in memory: published articles, categories and the active
//! announcements. The repository fills the cache on a miss and empties a section with every write that can
//! change it, after that write commits.
//!
//! A read that missed and raced a write must not put the old answer back after the write emptied the
//! section: each section has a generation, taken before the database read and bumped by every
//! invalidation; an answer read under an older generation is not kept. Entries also expire after
//! [`TTL`], so counters that change without an invalidation (an article's views) stay close to true.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use api_types::{Announcement, Article, Category};

use crate::representation::Representation;

/// How long an entry is served before it is read again.
pub const TTL: Duration = Duration::from_secs(60);
/// Entries a section holds by default; past it the section starts again empty (a flood of distinct keys cannot grow
/// the memory without bound).
pub const MAX_ENTRIES: usize = 10_000;

/// One kind of answer, by key.
pub struct Section<K, V> {
    inner: Mutex<Inner<K, V>>,
    capacity: usize,
}

struct Inner<K, V> {
    generation: u64,
    entries: HashMap<K, (Instant, V)>,
}

impl<K: Eq + Hash, V: Clone> Default for Section<K, V> {
    fn default() -> Self {
        Self::with_capacity(MAX_ENTRIES)
    }
}

impl<K: Eq + Hash, V: Clone> Section<K, V> {
    /// A section of at most `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                generation: 0,
                entries: HashMap::new(),
            }),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for `key` while it is fresh, else the generation to hand back to [`Section::put`].
    pub fn get<Q>(&self, key: &Q) -> Result<V, u64>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let inner = self.lock();
        match inner.entries.get(key) {
            Some((until, value)) if Instant::now() < *until => Ok(value.clone()),
            _ => Err(inner.generation),
        }
    }

    /// Keeps `value`, read from the database under `generation`, until `ttl` from now; nothing happens
    /// when a write invalidated the section since.
    pub fn put(&self, generation: u64, key: K, value: V, ttl: Duration) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= self.capacity {
            inner.entries.clear();
        }
        inner.entries.insert(key, (Instant::now() + ttl, value));
    }

    /// Forgets every entry; answers being read now will not be kept.
    pub fn invalidate(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A cached answer with its JSON, made and compressed once when it is cached (serialising and compressing
/// an article on every read costs more than the rest of the request).
#[derive(Debug)]
pub struct Cached<T> {
    pub value: T,
    pub body: Representation,
}

impl<T: serde::Serialize> Cached<T> {
    pub fn new(value: T) -> Arc<Self> {
        let body = Representation::json(&value);
        Arc::new(Self { value, body })
    }
}

impl<T> std::ops::Deref for Cached<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Active announcements are kept by the reader's language and the locale asked for, if any.
pub type AnnouncementsKey = (String, Option<String>);

/// A page of the app the server filled in: its path, the reader's language, the staff build or not, the
/// address the links are made from, and the build of the app (its `dist/` signature).
pub type PageKey = (String, &'static str, bool, String, u64);

/// The server's read cache.
#[derive(Default)]
pub struct ReadCache {
    /// Pages of the app with their content (`prerender`), compressed once.
    pub pages: Section<PageKey, Arc<Representation>>,
    /// Published articles by slug, as anyone but staff reads them.
    pub articles: Section<String, Arc<Cached<Article>>>,
    /// Categories by locale.
    pub categories: Section<String, Arc<Cached<Vec<Category>>>>,
    /// Active announcements by (language, locale filter).
    pub announcements: Section<AnnouncementsKey, Arc<Cached<Vec<Announcement>>>>,
}

impl ReadCache {
    /// A write to the knowledge base: articles, categories or votes.
    pub fn invalidate_kb(&self) {
        self.articles.invalidate();
        self.categories.invalidate();
        self.pages.invalidate();
    }

    pub fn invalidate_announcements(&self) {
        self.announcements.invalidate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_read_before_an_invalidation_is_not_kept() {
        let section: Section<String, u32> = Section::default();
        let generation = section.get("a").unwrap_err();
        // A write commits and invalidates while the old answer is being read.
        section.invalidate();
        section.put(generation, "a".into(), 1, TTL);
        let fresh = section.get("a").unwrap_err();
        assert_ne!(fresh, generation);
        section.put(fresh, "a".into(), 2, TTL);
        assert_eq!(section.get("a"), Ok(2));
    }

    #[test]
    fn entries_expire_and_the_size_is_bounded() {
        let section: Section<u32, u32> = Section::default();
        let g = section.get(&0).unwrap_err();
        section.put(g, 0, 0, Duration::ZERO);
        assert!(section.get(&0).is_err(), "expired at once");
        for k in 0..MAX_ENTRIES as u32 + 5 {
            section.put(g, k, k, TTL);
        }
        assert!(section.len() <= MAX_ENTRIES);
    }
}
