//! The database: SQLite (a file, the embedded default) or PostgreSQL (`postgres://...`), opened durably
//! and migrated. `sql` runs the repository's statements on either.

pub mod sql;

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use sqlx::{
    ConnectOptions, Connection, PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

pub use sql::{Backend, Pool};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
/// PostgreSQL's schema: the same tables, columns and constraints as SQLite's migrations leave.
pub static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-pg");

/// What `--db` names: a SQLite file (a path, or `sqlite://path`) or a PostgreSQL database
/// (`postgres://` or `postgresql://`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Target::Postgres(s.to_owned()));
        }
        let path = s.strip_prefix("sqlite://").unwrap_or(s);
        if path.is_empty() {
            return Err("--db: a SQLite file's path or a postgres:// address".into());
        }
        Ok(Target::Sqlite(PathBuf::from(path)))
    }
}

impl std::fmt::Display for Target {
    /// The database as a log or a message names it: a PostgreSQL address without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sqlite(path) => write!(f, "{}", path.display()),
            Target::Postgres(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
                match rest.split_once('@') {
                    Some((userinfo, host)) if userinfo.contains(':') => {
                        let user = userinfo.split(':').next().unwrap_or_default();
                        write!(f, "{scheme}://{user}:***@{host}")
                    }
                    _ => write!(f, "{url}"),
                }
            }
        }
    }
}

impl Target {
    /// The SQLite file, for what only SQLite has (backups, restore, the lock file).
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Target::Sqlite(p) => Some(p),
            Target::Postgres(_) => None,
        }
    }
}

/// Opens and migrates the database `--db` names.
pub async fn open_target(target: &Target) -> Result<Pool, sqlx::Error> {
    match target {
        Target::Sqlite(path) => Ok(Pool::Sqlite(open(path).await?)),
        Target::Postgres(url) => Ok(Pool::Postgres(open_postgres(url).await?)),
    }
}

/// Connects to PostgreSQL and migrates it (sqlx's migrator holds an advisory lock meanwhile, so instances
/// started together migrate once).
pub async fn open_postgres(url: &str) -> Result<PgPool, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    PG_MIGRATOR.run(&pool).await?;
    Ok(pool)
}

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
