//! Storage: every SQL statement of the server lives below this module.

pub mod announcements;
pub mod kb;
pub mod ratings;
pub mod reports;
pub mod tickets;
pub mod users;

use sqlx::SqlitePool;

/// The repository: a handle on the database shared by every request.
#[derive(Clone)]
pub struct Repo {
    pub pool: SqlitePool,
}

impl Repo {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .is_ok()
    }
}
