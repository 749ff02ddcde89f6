//! Storage: every SQL statement of the server lives below this module.
//!
//! Write transactions start with `BEGIN IMMEDIATE`: the write lock is taken at once, so a concurrent writer
//! waits through `busy_timeout` instead of failing with SQLITE_BUSY when a read comes before the first write.

pub mod announcements;
pub mod attachments;
pub mod inbound;
pub mod kb;
pub mod limits;
pub mod outbox;
pub mod ratings;
pub mod reports;
pub mod tickets;
pub mod users;

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::cache::ReadCache;

/// The repository: a handle on the database shared by every request, with the in-memory copies of the
/// hot reads that its writes keep true (`cache`).
#[derive(Clone)]
pub struct Repo {
    pub pool: SqlitePool,
    pub cache: Arc<ReadCache>,
}

impl Repo {
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            cache: Arc::default(),
        }
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .is_ok()
    }
}
