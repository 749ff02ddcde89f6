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

/// The jobs one server at a time runs on a shared database (`Repo::exclusively`); each is an advisory
/// lock's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Expired sessions, old attempts and e-mail links, never-attached uploads.
    Purge = 0x7072_0001,
    /// Service-target warnings and the managers' digests.
    Sla = 0x7072_0002,
    /// Sending the outbox.
    Mail = 0x7072_0003,
    /// Reading the support mailbox.
    Inbound = 0x7072_0004,
    /// Filling an empty database with the demo data (servers started together wait their turn).
    Seed = 0x7072_0005,
}

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

    /// A write to the knowledge base (articles, categories, votes, synonyms) is committed: this server's
    /// copies are dropped, and on PostgreSQL the other servers are told (`crate::follow`).
    pub async fn kb_changed(&self) {
        self.cache.invalidate_kb();
        self.notify(crate::follow::KB).await;
    }

    /// An announcement was written (see `kb_changed`).
    pub async fn announcements_changed(&self) {
        self.cache.invalidate_announcements();
        self.notify(crate::follow::ANNOUNCEMENTS).await;
    }

    async fn notify(&self, what: &str) {
        if let Some(pool) = self.pool.postgres() {
            // A lost notification is caught up by the followers' periodic comparison.
            if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(crate::follow::CHANNEL)
                .bind(what)
                .execute(pool)
                .await
            {
                tracing::warn!(error = %e, what, "telling the other servers of a change");
            }
        }
    }

    /// Runs `job` unless another server on the database runs it now: on PostgreSQL a session advisory
    /// lock per job, held while it runs (a server that dies lets go with its connection); on SQLite, one
    /// server per database, it always runs. `None`: another server has it.
    pub async fn exclusively<T, F: std::future::Future<Output = T>>(
        &self,
        job: Job,
        run: impl FnOnce() -> F,
    ) -> sqlx::Result<Option<T>> {
        self.holding(job, false, run).await
    }

    /// Runs `job` once no other server on the database runs it (see `exclusively`), waiting its turn.
    pub async fn in_turn<T, F: std::future::Future<Output = T>>(
        &self,
        job: Job,
        run: impl FnOnce() -> F,
    ) -> sqlx::Result<T> {
        Ok(self
            .holding(job, true, run)
            .await?
            .expect("a waiting lock is taken"))
    }

    async fn holding<T, F: std::future::Future<Output = T>>(
        &self,
        job: Job,
        wait: bool,
        run: impl FnOnce() -> F,
    ) -> sqlx::Result<Option<T>> {
        let Some(pool) = self.pool.postgres() else {
            return Ok(Some(run().await));
        };
        let mut conn = pool.acquire().await?;
        let got: bool = if wait {
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(job as i64)
                .execute(&mut *conn)
                .await?;
            true
        } else {
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(job as i64)
                .fetch_one(&mut *conn)
                .await?
        };
        if !got {
            return Ok(None);
        }
        let out = run().await;
        if let Err(e) = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(job as i64)
            .execute(&mut *conn)
            .await
        {
            // The lock goes with the connection.
            tracing::warn!(error = %e, "letting go of a job's lock");
            drop(conn.detach());
        }
        Ok(Some(out))
    }

    /// PostgreSQL's WAL archiver (`None` on SQLite, whose backups the server makes itself).
    pub async fn wal_archiver(&self) -> sqlx::Result<Option<api_types::WalArchiver>> {
        let Some(pool) = self.pool.postgres() else {
            return Ok(None);
        };
        let (
            mode,
            archived_count,
            last_archived_wal,
            archived_ms,
            failed_count,
            last_failed_wal,
            failed_ms,
        ) = sqlx::query_as::<
            _,
            (
                String,
                i64,
                Option<String>,
                Option<i64>,
                i64,
                Option<String>,
                Option<i64>,
            ),
        >(
            "SELECT current_setting('archive_mode'), archived_count, last_archived_wal, \
                 CAST(EXTRACT(EPOCH FROM last_archived_time) * 1000 AS BIGINT), failed_count, \
                 last_failed_wal, CAST(EXTRACT(EPOCH FROM last_failed_time) * 1000 AS BIGINT) \
                 FROM pg_stat_archiver",
        )
        .fetch_one(pool)
        .await?;
        let at = |ms: Option<i64>| ms.and_then(chrono::DateTime::from_timestamp_millis);
        let stale = mode == "off" || failed_ms.is_some_and(|f| archived_ms.is_none_or(|a| f >= a));
        Ok(Some(api_types::WalArchiver {
            mode,
            archived_count,
            last_archived_wal,
            last_archived_at: at(archived_ms),
            failed_count,
            last_failed_wal,
            last_failed_at: at(failed_ms),
            stale,
        }))
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sql::query_scalar::<i64>("SELECT CAST(1 AS BIGINT)")
            .fetch_one(&self.pool)
            .await
            .is_ok()
    }
}
