//! `portal-api migrate --from portal.db --to postgres://...`: a SQLite deployment copied into a new
//! PostgreSQL database, whole or not at all.
//!
//! Nothing here names a table or a column: what is copied is what PostgreSQL's schema has
//! (`information_schema`, in the current schema), each column from SQLite's column of the same name and
//! converted by the PostgreSQL column's type, so that a migration added to both sides is copied without a
//! change here, and one added to one side only is refused, named, before anything is written. The one
//! difference the schemas have by design: a PostgreSQL identity column that SQLite's table lacks is that
//! table's `rowid` (`kb_article_views.id`), which is what SQLite orders those rows by.
//!
//! The copy is one PostgreSQL transaction, into a database whose every table is empty (a second run is
//! refused, naming a table that has rows): tables in the order of their foreign keys, parents first, in
//! multi-row `INSERT`s of at most [`MAX_BINDS`] values, with their ids (`OVERRIDING SYSTEM VALUE`). A
//! column that refers to its own table (an article's `translation_of`) is filled in afterwards, so a row
//! may refer to one copied after it. Then the identity sequences continue after the largest id copied, the
//! search-id blocks after the largest search id, and every table's `COUNT(*)` is compared with SQLite's:
//! any difference rolls everything back. SQLite is read in one transaction, so the copy and the counts
//! are of one state of it; its lock file is held meanwhile, so no server writes to it unseen.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    path::Path,
    time::{Duration, Instant},
};

use futures_util::TryStreamExt;
use sqlx::{
    Arguments, Decode, PgPool, Postgres, Row, Sqlite, SqlitePool, Transaction, TypeInfo, ValueRef,
    postgres::PgArguments,
    sqlite::{SqliteRow, SqliteValueRef},
};

use crate::{backup, db, repo::kb::SEARCH_ID_BLOCK};

/// The most values bound to one statement (PostgreSQL's protocol allows 65 535).
pub const MAX_BINDS: usize = 60_000;
/// A batch is sent once its values reach this many bytes, whatever their number (mails kept whole for
/// staff's review are up to several megabytes each).
const MAX_BATCH_BYTES: usize = 16 << 20;
/// The table sqlx's migrator keeps on either side: each side has its own.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// Refused before anything was written.
    #[error("{0}")]
    Refused(String),
    /// Failed during the copy: the PostgreSQL transaction was rolled back, nothing is left of it.
    #[error("{0}; nothing was copied (the PostgreSQL transaction was rolled back)")]
    Failed(String),
}

type Result<T, E = MigrateError> = std::result::Result<T, E>;

fn refused(message: impl Into<String>) -> MigrateError {
    MigrateError::Refused(message.into())
}

fn failed(message: impl Into<String>) -> MigrateError {
    MigrateError::Failed(message.into())
}

/// What a migration copied, table by table in the order copied.
#[derive(Debug, Clone)]
pub struct Report {
    pub tables: Vec<TableReport>,
    /// From the start (opening both databases, migrating them) to the commit.
    pub elapsed: Duration,
}

#[derive(Debug, Clone)]
pub struct TableReport {
    pub name: String,
    /// Rows copied, equal to the count on both sides.
    pub rows: i64,
    /// The next id the table's identity column hands out, when it has one.
    pub next_id: Option<i64>,
}

impl Report {
    pub fn total_rows(&self) -> i64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    pub fn rows(&self, table: &str) -> Option<i64> {
        self.tables.iter().find(|t| t.name == table).map(|t| t.rows)
    }
}

/// Copies the SQLite database `from` into the PostgreSQL database `to` (see the module).
pub async fn run(from: &Path, to: &str) -> Result<Report> {
    let started = Instant::now();
    let target = match to.parse::<db::Target>() {
        Ok(t @ db::Target::Postgres(_)) => t,
        _ => {
            return Err(refused(format!(
                "--to must be a PostgreSQL database, postgres://user:password@host:port/name, not \"{to}\" \
                 (migrate copies a SQLite deployment into PostgreSQL)"
            )));
        }
    };
    if !from.is_file() {
        return Err(refused(format!(
            "there is no SQLite database at {}: --from names the file of the deployment to copy \
             (migrate never creates one)",
            from.display()
        )));
    }
    // No server may write to the SQLite file meanwhile: what it wrote after the copy's start would be lost.
    let _lock = backup::lock_database(from).map_err(|e| match e {
        backup::BackupError::Locked { db, lock, holder } => refused(format!(
            "a server holds the database {db} (lock file {lock}{holder}); stop it before migrating, \
             or what it writes meanwhile would not be copied"
        )),
        e => refused(format!("locking {}: {e}", from.display())),
    })?;
    let sqlite = db::open(from).await.map_err(|e| {
        refused(format!(
            "opening the SQLite database {}: {e}",
            from.display()
        ))
    })?;
    let pg = db::open_postgres(match &target {
        db::Target::Postgres(url) => url,
        db::Target::Sqlite(_) => unreachable!("checked above"),
    })
    .await
    .map_err(|e| refused(format!("opening the PostgreSQL database {target}: {e}")))?;
    let result = copy(&sqlite, &pg, started).await;
    sqlite.close().await;
    pg.close().await;
    result
}

/// How a PostgreSQL column's values are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    BigInt,
    Integer,
    SmallInt,
    Boolean,
    Double,
    Real,
    Text,
    Bytea,
}

impl Kind {
    fn of(data_type: &str) -> Option<Self> {
        Some(match data_type {
            "bigint" => Kind::BigInt,
            "integer" => Kind::Integer,
            "smallint" => Kind::SmallInt,
            "boolean" => Kind::Boolean,
            "double precision" => Kind::Double,
            "real" => Kind::Real,
            "text" | "character varying" | "character" => Kind::Text,
            "bytea" => Kind::Bytea,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    /// As `information_schema` says it (`bigint`, `text`...): a cast's target.
    data_type: String,
    /// Whether a sequence gives its values (an identity or serial column).
    serial: bool,
    /// What SQLite's `SELECT` reads for it: the quoted column, or `rowid`.
    source: String,
}

#[derive(Debug)]
struct Table {
    name: String,
    /// PostgreSQL's columns, in their order (generated ones left out: PostgreSQL computes them).
    columns: Vec<Column>,
    /// The primary key's columns (indexes into `columns`), to name a row and match it in an update.
    key: Vec<usize>,
    /// Columns referring to this same table, written NULL first and filled in once every row is there.
    later: Vec<usize>,
    /// SQLite's order: the rowid, or the primary key of a table without one.
    order_by: String,
}

impl Table {
    fn identity(&self) -> bool {
        self.columns.iter().any(|c| c.serial)
    }
}

/// `"name"`, for a statement.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn copy(sqlite: &SqlitePool, pg: &PgPool, started: Instant) -> Result<Report> {
    let tables = plan(sqlite, pg).await?;
    let pg_err = |what: String| move |e: sqlx::Error| failed(format!("{what}: {e}"));

    let mut src = sqlite
        .begin()
        .await
        .map_err(|e| refused(format!("reading the SQLite database: {e}")))?;
    let mut tx = pg
        .begin()
        .await
        .map_err(|e| refused(format!("starting the PostgreSQL transaction: {e}")))?;
    // Servers already started on the PostgreSQL database wait: their writing transactions take this
    // lock first, and other writes wait for the tables' lock (reads go on).
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(db::sql::WRITE_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(|e| refused(format!("locking the PostgreSQL database: {e}")))?;
    if tables.is_empty() {
        return Err(refused("PostgreSQL's schema has no tables to copy into"));
    }
    let names: Vec<String> = tables.iter().map(|t| quote(&t.name)).collect();
    sqlx::query(&format!(
        "LOCK TABLE {} IN EXCLUSIVE MODE",
        names.join(", ")
    ))
    .execute(&mut *tx)
    .await
    .map_err(|e| refused(format!("locking the PostgreSQL tables: {e}")))?;
    // Deferrable foreign keys (none today) are checked at the commit; the order copes with the others.
    sqlx::query("SET CONSTRAINTS ALL DEFERRED")
        .execute(&mut *tx)
        .await
        .map_err(|e| refused(format!("deferring the constraints: {e}")))?;

    let mut not_empty = Vec::new();
    for t in &tables {
        let has_rows: bool =
            sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {})", quote(&t.name)))
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| refused(format!("reading PostgreSQL's table {}: {e}", t.name)))?;
        if has_rows {
            not_empty.push(t.name.as_str());
        }
    }
    if let Some((first, rest)) = not_empty.split_first() {
        let others = match rest.len() {
            0 => String::new(),
            n => format!(" (and {n} more: {})", rest.join(", ")),
        };
        return Err(refused(format!(
            "the PostgreSQL database is not empty: its table {first} has rows{others}: migrate copies \
             into a new database only, and copied nothing"
        )));
    }

    let mut reports = Vec::with_capacity(tables.len());
    for t in &tables {
        let copied = copy_table(&mut src, &mut tx, t).await?;
        if !t.later.is_empty() {
            fill_later(&mut src, &mut tx, t).await?;
        }
        tracing::debug!(table = %t.name, rows = copied, "copied");
        reports.push(TableReport {
            name: t.name.clone(),
            rows: copied,
            next_id: None,
        });
    }

    // Ids continue after the largest copied (or start at 1 in an empty table). `setval` is not undone by
    // a rollback; a later run sets the same values again, and the ids a server on the database would
    // hand out meanwhile only start higher.
    for (t, report) in tables.iter().zip(&mut reports) {
        for c in t.columns.iter().filter(|c| c.serial) {
            let next: i64 = sqlx::query_scalar(&format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(MAX({col}), 1), MAX({col}) IS NOT NULL) \
                 + (MAX({col}) IS NOT NULL)::int FROM {table}",
                col = quote(&c.name),
                table = quote(&t.name),
            ))
            .bind(quote(&t.name))
            .bind(&c.name)
            .fetch_one(&mut *tx)
            .await
            .map_err(pg_err(format!("resetting the sequence of {}.{}", t.name, c.name)))?;
            report.next_id = Some(next);
        }
    }
    search_blocks(&mut tx, &tables).await?;

    // The counts on both sides, SQLite's from the state copied.
    for report in &reports {
        let table = quote(&report.name);
        let count = format!("SELECT COUNT(*) FROM {table}");
        let in_sqlite: i64 = sqlx::query_scalar(&count)
            .fetch_one(&mut *src)
            .await
            .map_err(|e| failed(format!("counting SQLite's rows of {}: {e}", report.name)))?;
        let in_pg: i64 = sqlx::query_scalar(&count)
            .fetch_one(&mut *tx)
            .await
            .map_err(pg_err(format!(
                "counting PostgreSQL's rows of {}",
                report.name
            )))?;
        if in_sqlite != in_pg || in_pg != report.rows {
            return Err(failed(format!(
                "the table {} has {in_sqlite} rows in SQLite but {in_pg} in PostgreSQL ({} copied)",
                report.name, report.rows
            )));
        }
    }
    tx.commit()
        .await
        .map_err(pg_err("committing the copy".into()))?;
    drop(src);
    Ok(Report {
        tables: reports,
        elapsed: started.elapsed(),
    })
}

/// PostgreSQL servers take their search ids in blocks of [`SEARCH_ID_BLOCK`] from the sequence
/// `kb_search_blocks` (see `Repo::search_id_start`): its next block starts after every search id copied.
async fn search_blocks(tx: &mut Transaction<'static, Postgres>, tables: &[Table]) -> Result<()> {
    if !tables.iter().any(|t| t.name == "kb_searches") {
        return Ok(());
    }
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('kb_search_blocks') IS NOT NULL")
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| failed(format!("looking for the sequence kb_search_blocks: {e}")))?;
    if !exists {
        return Ok(());
    }
    sqlx::query(
        "SELECT setval('kb_search_blocks', GREATEST( \
             (SELECT COALESCE(MAX(id), 0) / $1 + 1 FROM kb_searches), \
             (SELECT last_value + is_called::int FROM kb_search_blocks)), false)",
    )
    .bind(SEARCH_ID_BLOCK)
    .execute(&mut **tx)
    .await
    .map_err(|e| failed(format!("setting the sequence kb_search_blocks: {e}")))?;
    Ok(())
}

/// The tables to copy, parents first, each column matched with SQLite's; any difference between the
/// two schemas is refused here, naming it.
async fn plan(sqlite: &SqlitePool, pg: &PgPool) -> Result<Vec<Table>> {
    let pg_schema = |e: sqlx::Error| refused(format!("reading PostgreSQL's schema: {e}"));
    let sqlite_schema = |e: sqlx::Error| refused(format!("reading SQLite's schema: {e}"));

    // PostgreSQL: tables in the order they were created, their columns, primary keys, foreign keys.
    let pg_tables: Vec<String> = sqlx::query_scalar(
        "SELECT t.table_name::text FROM information_schema.tables t \
         WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND t.table_name <> $1 \
         ORDER BY to_regclass(quote_ident(t.table_name))::oid",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(pg)
    .await
    .map_err(pg_schema)?;
    let columns: Vec<(String, String, String, bool, bool)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_generated::text = 'ALWAYS', \
                pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pg)
    .await
    .map_err(pg_schema)?;
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT k.table_name::text, k.column_name::text \
         FROM information_schema.table_constraints c \
         JOIN information_schema.key_column_usage k ON k.constraint_schema = c.constraint_schema \
              AND k.constraint_name = c.constraint_name AND k.table_name = c.table_name \
         WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() \
         ORDER BY k.table_name, k.ordinal_position",
    )
    .fetch_all(pg)
    .await
    .map_err(pg_schema)?;
    // From pg_constraint rather than information_schema, whose constraint names need not be unique in a
    // schema (two tables may each have a foreign key of one name).
    let foreign: Vec<(String, String, bool, Vec<String>)> = sqlx::query_as(
        "SELECT src.relname::text, dst.relname::text, con.condeferrable, \
                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) AS k(n) \
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n) \
         FROM pg_constraint con \
         JOIN pg_class src ON src.oid = con.conrelid \
         JOIN pg_class dst ON dst.oid = con.confrelid \
         WHERE con.contype = 'f' AND src.relnamespace = current_schema()::regnamespace",
    )
    .fetch_all(pg)
    .await
    .map_err(pg_schema)?;

    // SQLite: its tables, but for its own (sqlite_sequence, sqlite_stat1...), views, and full-text
    // indexes (a virtual table and its shadow tables) that PostgreSQL has no counterpart of.
    let sqlite_tables: Vec<(String, String, String, bool)> =
        sqlx::query_as("SELECT schema, name, type, wr FROM pragma_table_list")
            .fetch_all(sqlite)
            .await
            .map_err(sqlite_schema)?;
    let mut sqlite_own: HashMap<String, bool> = HashMap::new(); // name → without rowid
    let mut virtual_tables = Vec::new();
    for (schema, name, kind, without_rowid) in sqlite_tables {
        if schema != "main" || name == MIGRATIONS_TABLE || name.starts_with("sqlite_") {
            continue;
        }
        match kind.as_str() {
            "table" => {
                sqlite_own.insert(name, without_rowid);
            }
            "virtual" => virtual_tables.push(name),
            _ => {} // views, shadow tables
        }
    }

    for name in sqlite_own.keys() {
        if !pg_tables.contains(name) {
            return Err(refused(format!(
                "SQLite has a table {name} that PostgreSQL's schema has not: the two schemas differ \
                 (is this server older than the database?), nothing was copied"
            )));
        }
    }
    let mut plan = Vec::with_capacity(pg_tables.len());
    for name in &pg_tables {
        let Some(&without_rowid) = sqlite_own.get(name) else {
            let why = if virtual_tables.contains(name) {
                " (SQLite's is a virtual table)"
            } else {
                ""
            };
            return Err(refused(format!(
                "PostgreSQL's schema has a table {name} that SQLite has not{why}: the two schemas differ, \
                 nothing was copied"
            )));
        };
        let sqlite_columns: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")
                .bind(name)
                .fetch_all(sqlite)
                .await
                .map_err(sqlite_schema)?;
        let mut table_columns = Vec::new();
        for (_, column, data_type, generated, serial) in columns.iter().filter(|c| &c.0 == name) {
            if *generated {
                continue;
            }
            let kind = Kind::of(data_type).ok_or_else(|| {
                refused(format!(
                    "PostgreSQL's column {name}.{column} is of type {data_type}, which migrate does not \
                     convert SQLite's values to"
                ))
            })?;
            let source = if sqlite_columns.iter().any(|(c, _)| c == column) {
                quote(column)
            } else if *serial && !without_rowid && sqlite_columns.iter().all(|(_, pk)| *pk == 0) {
                // SQLite's implicit id.
                "rowid".to_string()
            } else {
                return Err(refused(format!(
                    "PostgreSQL's table {name} has a column {column} that SQLite's has not: the two schemas \
                     differ, nothing was copied"
                )));
            };
            table_columns.push(Column {
                name: column.clone(),
                kind,
                data_type: data_type.clone(),
                serial: *serial,
                source,
            });
        }
        for (column, _) in &sqlite_columns {
            if !columns.iter().any(|c| &c.0 == name && &c.1 == column) {
                return Err(refused(format!(
                    "SQLite's table {name} has a column {column} that PostgreSQL's has not: the two schemas \
                     differ, nothing was copied"
                )));
            }
        }
        let position = |column: &str| table_columns.iter().position(|c| c.name == column);
        let key: Vec<usize> = keys
            .iter()
            .filter(|(t, _)| t == name)
            .filter_map(|(_, c)| position(c))
            .collect();
        let mut later = Vec::new();
        for (_, _, _, cols) in foreign
            .iter()
            .filter(|(src, dst, deferrable, _)| src == name && dst == name && !deferrable)
        {
            for c in cols {
                if let Some(i) = position(c)
                    && !key.contains(&i)
                    && !later.contains(&i)
                {
                    later.push(i);
                }
            }
        }
        let order_by = if without_rowid {
            let mut pk: Vec<&(String, i64)> =
                sqlite_columns.iter().filter(|(_, pk)| *pk > 0).collect();
            pk.sort_by_key(|(_, pk)| *pk);
            pk.iter()
                .map(|(c, _)| quote(c))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            "rowid".to_string()
        };
        plan.push(Table {
            name: name.clone(),
            columns: table_columns,
            key,
            later,
            order_by,
        });
    }
    // A column filled in later must be able to be NULL meanwhile.
    let nullable: HashSet<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND is_nullable = 'YES'",
    )
    .fetch_all(pg)
    .await
    .map_err(pg_schema)?
    .into_iter()
    .collect();
    for t in &mut plan {
        let name = t.name.clone();
        let columns = &t.columns;
        // A NOT NULL column referring to its own table is copied in the rowid's order, so rows referring
        // to earlier ones (or to themselves: checked at the end of each statement) go in.
        t.later
            .retain(|&i| nullable.contains(&(name.clone(), columns[i].name.clone())));
        if !t.later.is_empty() && t.key.is_empty() {
            return Err(refused(format!(
                "PostgreSQL's table {} refers to itself but has no primary key to fill the reference in by",
                t.name
            )));
        }
    }

    order(plan, &foreign)
}

/// The tables sorted so that each comes after those its foreign keys refer to (deferrable keys and
/// references to the table itself aside); among the tables ready, the first created first.
fn order(
    mut tables: Vec<Table>,
    foreign: &[(String, String, bool, Vec<String>)],
) -> Result<Vec<Table>> {
    let names: HashSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    let mut parents: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (src, dst, deferrable, _) in foreign {
        if src != dst && !deferrable && names.contains(src) && names.contains(dst) {
            parents.entry(src.clone()).or_default().insert(dst.clone());
        }
    }
    let mut done: HashSet<String> = HashSet::new();
    let mut sorted = Vec::with_capacity(tables.len());
    while !tables.is_empty() {
        let ready = tables.iter().position(|t| {
            parents
                .get(&t.name)
                .is_none_or(|p| p.iter().all(|p| done.contains(p)))
        });
        match ready {
            Some(i) => {
                let t = tables.remove(i);
                done.insert(t.name.clone());
                sorted.push(t);
            }
            None => {
                let left: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
                return Err(refused(format!(
                    "the foreign keys of the tables {} refer to one another in a circle, which migrate \
                     cannot order",
                    left.join(", ")
                )));
            }
        }
    }
    Ok(sorted)
}

/// One batch of rows for a multi-row statement.
struct Batch {
    args: PgArguments,
    rows: usize,
    bytes: usize,
}

impl Batch {
    fn new() -> Self {
        Self {
            args: PgArguments::default(),
            rows: 0,
            bytes: 0,
        }
    }
}

/// Rows per statement: as many as [`MAX_BINDS`] values allow.
fn rows_per_batch(columns: usize) -> usize {
    (MAX_BINDS / columns.max(1)).max(1)
}

/// `($1, $2), ($3, $4)...`, for `rows` rows of `columns` values, with `casts` after each placeholder.
fn placeholders(rows: usize, casts: &[String]) -> String {
    let mut out = String::with_capacity(rows * casts.len() * 8);
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for (i, cast) in casts.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
            out.push_str(cast);
        }
        out.push(')');
    }
    out
}

async fn copy_table(
    src: &mut Transaction<'static, Sqlite>,
    tx: &mut Transaction<'static, Postgres>,
    t: &Table,
) -> Result<i64> {
    let select = format!(
        "SELECT {} FROM {} ORDER BY {}",
        t.columns
            .iter()
            .map(|c| c.source.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        quote(&t.name),
        t.order_by
    );
    let head = format!(
        "INSERT INTO {} ({}){} VALUES ",
        quote(&t.name),
        t.columns
            .iter()
            .map(|c| quote(&c.name))
            .collect::<Vec<_>>()
            .join(", "),
        if t.identity() {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        }
    );
    let casts = vec![String::new(); t.columns.len()];
    let per_batch = rows_per_batch(t.columns.len());
    let mut copied = 0i64;
    let mut batch = Batch::new();
    let mut rows = sqlx::query(&select).fetch(&mut **src);
    while let Some(row) = rows
        .try_next()
        .await
        .map_err(|e| failed(format!("reading SQLite's table {}: {e}", t.name)))?
    {
        for (i, c) in t.columns.iter().enumerate() {
            if t.later.contains(&i) {
                batch.bytes += bind_null(&mut batch.args, c.kind)?;
            } else {
                batch.bytes += bind(&mut batch.args, &row, i, t)?;
            }
        }
        batch.rows += 1;
        copied += 1;
        if batch.rows >= per_batch || batch.bytes >= MAX_BATCH_BYTES {
            insert(
                tx,
                t,
                &head,
                &casts,
                std::mem::replace(&mut batch, Batch::new()),
            )
            .await?;
        }
    }
    drop(rows);
    if batch.rows > 0 {
        insert(tx, t, &head, &casts, batch).await?;
    }
    Ok(copied)
}

async fn insert(
    tx: &mut Transaction<'static, Postgres>,
    t: &Table,
    head: &str,
    casts: &[String],
    batch: Batch,
) -> Result<()> {
    let statement = format!("{head}{}", placeholders(batch.rows, casts));
    sqlx::query_with(&statement, batch.args)
        .execute(&mut **tx)
        .await
        .map_err(|e| failed(format!("copying the table {} into PostgreSQL: {e}", t.name)))?;
    Ok(())
}

/// The columns that refer to their own table (`Table::later`), set once all its rows are there.
async fn fill_later(
    src: &mut Transaction<'static, Sqlite>,
    tx: &mut Transaction<'static, Postgres>,
    t: &Table,
) -> Result<()> {
    let columns: Vec<usize> = t.key.iter().chain(&t.later).copied().collect();
    let select = format!(
        "SELECT {} FROM {} WHERE {} ORDER BY {}",
        columns
            .iter()
            .map(|&i| t.columns[i].source.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        quote(&t.name),
        t.later
            .iter()
            .map(|&i| format!("{} IS NOT NULL", t.columns[i].source))
            .collect::<Vec<_>>()
            .join(" OR "),
        t.order_by
    );
    let names: Vec<String> = columns.iter().map(|&i| quote(&t.columns[i].name)).collect();
    let head = format!(
        "UPDATE {table} AS t SET {set} FROM (VALUES ",
        table = quote(&t.name),
        set = t
            .later
            .iter()
            .map(|&i| format!("{0} = v.{0}", quote(&t.columns[i].name)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let tail = format!(
        ") AS v({}) WHERE {}",
        names.join(", "),
        t.key
            .iter()
            .map(|&i| format!("t.{0} = v.{0}", quote(&t.columns[i].name)))
            .collect::<Vec<_>>()
            .join(" AND ")
    );
    // The values' types are not inferred from a VALUES list: each placeholder says its own.
    let casts: Vec<String> = columns
        .iter()
        .map(|&i| format!("::{}", t.columns[i].data_type))
        .collect();
    // The row as `bind` reads it: the key's columns then the later ones, as selected.
    let view = Table {
        name: t.name.clone(),
        columns: columns.iter().map(|&i| t.columns[i].clone()).collect(),
        key: (0..t.key.len()).collect(),
        later: Vec::new(),
        order_by: String::new(),
    };
    let per_batch = rows_per_batch(columns.len());
    let mut batch = Batch::new();
    let mut rows = sqlx::query(&select).fetch(&mut **src);
    let update = async |tx: &mut Transaction<'static, Postgres>, batch: Batch| {
        let statement = format!("{head}{}{tail}", placeholders(batch.rows, &casts));
        sqlx::query_with(&statement, batch.args)
            .execute(&mut **tx)
            .await
            .map_err(|e| {
                failed(format!(
                    "copying the table {}'s references to itself into PostgreSQL: {e}",
                    t.name
                ))
            })
    };
    while let Some(row) = rows
        .try_next()
        .await
        .map_err(|e| failed(format!("reading SQLite's table {}: {e}", t.name)))?
    {
        for i in 0..columns.len() {
            batch.bytes += bind(&mut batch.args, &row, i, &view)?;
        }
        batch.rows += 1;
        if batch.rows >= per_batch || batch.bytes >= MAX_BATCH_BYTES {
            update(tx, std::mem::replace(&mut batch, Batch::new())).await?;
        }
    }
    drop(rows);
    if batch.rows > 0 {
        update(tx, batch).await?;
    }
    Ok(())
}

/// A NULL of the column's type.
fn bind_null(args: &mut PgArguments, kind: Kind) -> Result<usize> {
    let added = match kind {
        Kind::BigInt => args.add(None::<i64>),
        Kind::Integer => args.add(None::<i32>),
        Kind::SmallInt => args.add(None::<i16>),
        Kind::Boolean => args.add(None::<bool>),
        Kind::Double => args.add(None::<f64>),
        Kind::Real => args.add(None::<f32>),
        Kind::Text => args.add(None::<String>),
        Kind::Bytea => args.add(None::<Vec<u8>>),
    };
    added.map_err(|e| failed(format!("binding a value: {e}")))?;
    Ok(4)
}

/// Binds SQLite's value `i` of `row` as `t.columns[i]`'s type; answers about how many bytes it takes.
fn bind(args: &mut PgArguments, row: &SqliteRow, i: usize, t: &Table) -> Result<usize> {
    let column = &t.columns[i];
    let value = row
        .try_get_raw(i)
        .map_err(|e| failed(format!("reading {}.{}: {e}", t.name, column.name)))?;
    if value.is_null() {
        return bind_null(args, column.kind);
    }
    let class = value.type_info().name().to_string();
    let refuse = |why: &str| {
        failed(format!(
            "SQLite's {}.{} of the row {} holds {why}, which PostgreSQL's {} column cannot take",
            t.name,
            column.name,
            row_name(row, t),
            column.data_type
        ))
    };
    let undecodable =
        |e: sqlx::error::BoxDynError| refuse(&format!("a {class} value that cannot be read ({e})"));
    let (added, bytes) = match (class.as_str(), column.kind) {
        ("INTEGER", kind) => {
            let n = decode::<i64>(value).map_err(undecodable)?;
            let out_of_range = || refuse(&format!("the integer {n}"));
            let added = match kind {
                Kind::BigInt => args.add(n),
                Kind::Integer => args.add(i32::try_from(n).map_err(|_| out_of_range())?),
                Kind::SmallInt => args.add(i16::try_from(n).map_err(|_| out_of_range())?),
                Kind::Boolean => match n {
                    0 | 1 => args.add(n == 1),
                    _ => return Err(out_of_range()),
                },
                Kind::Double => args.add(n as f64),
                Kind::Real => args.add(n as f32),
                Kind::Text | Kind::Bytea => return Err(refuse(&format!("the integer {n}"))),
            };
            (added, 8)
        }
        ("REAL", Kind::Double) => (args.add(decode::<f64>(value).map_err(undecodable)?), 8),
        ("REAL", Kind::Real) => (
            args.add(decode::<f64>(value).map_err(undecodable)? as f32),
            4,
        ),
        ("TEXT", Kind::Text) => {
            let s = decode::<String>(value).map_err(undecodable)?;
            if s.contains('\0') {
                return Err(refuse("a text with a NUL character"));
            }
            let len = s.len();
            (args.add(s), len + 4)
        }
        ("BLOB", Kind::Bytea) => {
            let b = decode::<Vec<u8>>(value).map_err(undecodable)?;
            let len = b.len();
            (args.add(b), len + 4)
        }
        ("TEXT", _) => {
            let s = decode::<String>(value).unwrap_or_default();
            let shown: String = s.chars().take(40).collect();
            return Err(refuse(&format!("the text {shown:?}")));
        }
        (class, _) => return Err(refuse(&format!("a {class} value"))),
    };
    added.map_err(|e| failed(format!("binding {}.{}: {e}", t.name, column.name)))?;
    Ok(bytes)
}

fn decode<'r, T: Decode<'r, Sqlite>>(
    value: SqliteValueRef<'r>,
) -> Result<T, sqlx::error::BoxDynError> {
    T::decode(value)
}

/// A row as a message names it: its primary key (`id 7`, `article_id 3, visitor abc`).
fn row_name(row: &SqliteRow, t: &Table) -> String {
    if t.key.is_empty() {
        return "without a primary key".into();
    }
    t.key
        .iter()
        .map(|&i| {
            let v = row
                .try_get::<i64, _>(i)
                .map(|n| n.to_string())
                .or_else(|_| row.try_get::<String, _>(i))
                .unwrap_or_else(|_| "?".into());
            format!("{} {v}", t.columns[i].name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_value_and_cast_it() {
        assert_eq!(placeholders(1, &["".into(), "".into()]), "($1, $2)");
        assert_eq!(
            placeholders(2, &["::bigint".into(), "::text".into()]),
            "($1::bigint, $2::text), ($3::bigint, $4::text)"
        );
    }

    #[test]
    fn a_batch_stays_under_the_bind_limit() {
        assert_eq!(rows_per_batch(16), 3750);
        assert!(rows_per_batch(23) * 23 <= MAX_BINDS);
        assert_eq!(rows_per_batch(100_000), 1);
    }

    #[test]
    fn parents_come_first_and_circles_are_refused() {
        let table = |name: &str| Table {
            name: name.into(),
            columns: Vec::new(),
            key: Vec::new(),
            later: Vec::new(),
            order_by: "rowid".into(),
        };
        let fk = |src: &str, dst: &str| (src.to_string(), dst.to_string(), false, Vec::new());
        let sorted = order(
            vec![
                table("events"),
                table("tickets"),
                table("users"),
                table("orgs"),
            ],
            &[
                fk("events", "tickets"),
                fk("tickets", "users"),
                fk("users", "orgs"),
                fk("tickets", "tickets"),
            ],
        )
        .unwrap();
        let names: Vec<&str> = sorted.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["orgs", "users", "tickets", "events"]);
        let err = order(
            vec![table("a"), table("b"), table("c")],
            &[fk("a", "b"), fk("b", "a")],
        )
        .map(|_| ())
        .unwrap_err();
        assert!(err.to_string().contains("a, b"), "{err}");
    }
}
