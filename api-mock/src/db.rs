//! The SQLite database: opening it durably, migrating it, and checking it.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    ConnectOptions, Connection, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if needed) the database at `path`, in WAL mode with `synchronous=FULL` so that an
/// acknowledged write survives a crash of the process or the machine, with foreign keys enforced.
pub async fn open(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
    }
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(path)
        .create_if_missing(true);
    connect(options, false).await
}

/// A private in-memory database, for tests.
pub async fn open_in_memory() -> Result<SqlitePool, sqlx::Error> {
    // One connection: each in-memory connection would otherwise be a database of its own.
    connect(SqliteConnectOptions::from_str("sqlite::memory:")?, true).await
}

async fn connect(
    options: SqliteConnectOptions,
    in_memory: bool,
) -> Result<SqlitePool, sqlx::Error> {
    let options = options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    // One connection first, alone: it creates the file and switches it to WAL (which lasts in the
    // file) and runs the migrations. Switching the journal mode needs the database to itself, and
    // SQLite answers "database is locked" at once, without waiting, when the pool's connections race
    // to do it on a new file.
    // (An in-memory database lives and dies with its connection: it is migrated through the pool.)
    if !in_memory {
        let mut first = options.connect().await?;
        MIGRATOR.run(&mut first).await?;
        first.close().await?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(if in_memory { 1 } else { 8 })
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await?;
    if in_memory {
        MIGRATOR.run(&pool).await?;
    }
    Ok(pool)
}

/// Milliseconds since the Unix epoch, the unit of every time column.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn to_time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
