//! Storage: every SQL statement of the server lives below this module.
//!
//! It runs on SQLite or PostgreSQL through `crate::db::sql`: the SQL is written once where the two read it
//! alike, and once for each where they differ (`Backend`).
//!
//! Write transactions start with `Pool::begin_write`, which takes the write lock at once: on SQLite
//! (`BEGIN IMMEDIATE`) a concurrent writer waits through `busy_timeout` instead of failing with SQLITE_BUSY
//! when a read comes before the first write; on PostgreSQL every writing transaction of every instance
//! takes one advisory lock first, so a read-then-write sees every earlier write.

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

use crate::{
    cache::ReadCache,
    db::sql::{self, Pool},
};

/// The repository: a handle on the database shared by every request, with the in-memory copies of the
/// hot reads that its writes keep true (`cache`).
#[derive(Clone)]
pub struct Repo {
    pub pool: Pool,
    pub cache: Arc<ReadCache>,
}

impl Repo {
    pub fn new(pool: impl Into<Pool>) -> Self {
        Self {
            pool: pool.into(),
            cache: Arc::default(),
        }
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sql::query_scalar::<i64>("SELECT CAST(1 AS BIGINT)")
            .fetch_one(&self.pool)
            .await
            .is_ok()
    }
}
