//! One way to run a statement on either database the server runs on: SQLite (the embedded default) or
//! PostgreSQL (`--db postgres://...`).
//!
//! The repository (`crate::repo`) writes its SQL once where both databases read it alike, and once per
//! database where they differ (`Backend`). Statements are written with SQLite's placeholders (`?` and
//! `?N`); for PostgreSQL they become `$N`, outside quoted text, in the order SQLite numbers them. Values
//! are bound as the few types the schema has (`Value`) and rows are read with each driver's own decoding,
//! so an `i64` column is read as an `i64` from either: the PostgreSQL schema declares every integer
//! `BIGINT` and every flag a `BIGINT` of 0 or 1, as SQLite stores them.
//!
//! Write transactions (`Pool::begin_write`) take the write lock at once: SQLite's `BEGIN IMMEDIATE`, and on
//! PostgreSQL a transaction-scoped advisory lock that every writing transaction of every server instance
//! takes first. Either way writers run one at a time, so a read-then-write (an idempotency key's claim, a
//! status checked and then changed) sees every earlier write and no later one.

use std::borrow::Cow;

use sqlx::{
    Arguments, ColumnIndex, Decode, FromRow, PgConnection, PgPool, Postgres, Sqlite,
    SqliteConnection, SqlitePool, Transaction, Type,
    pool::PoolConnection,
    postgres::{PgArguments, PgRow},
    sqlite::{SqliteArguments, SqliteRow},
};

/// The key of the advisory lock that PostgreSQL writing transactions take (any number, the same in every
/// instance; "portal" in ASCII).
pub const WRITE_LOCK: i64 = 0x706f_7274_616c;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The statement for this database, where the two differ.
    pub fn pick<'a>(self, sqlite: &'a str, postgres: &'a str) -> &'a str {
        match self {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        }
    }
}

/// The server's connections: one pool on one database.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl From<SqlitePool> for Pool {
    fn from(p: SqlitePool) -> Self {
        Pool::Sqlite(p)
    }
}

impl From<PgPool> for Pool {
    fn from(p: PgPool) -> Self {
        Pool::Postgres(p)
    }
}

impl Pool {
    pub fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite pool, for what only SQLite has (the online backup, `PRAGMA`s).
    pub fn sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Pool::Sqlite(p) => Some(p),
            Pool::Postgres(_) => None,
        }
    }

    pub fn postgres(&self) -> Option<&PgPool> {
        match self {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    /// A transaction that writes: it holds the write lock from its first statement (see the module).
    pub async fn begin_write(&self) -> sqlx::Result<Conn> {
        match self {
            Pool::Sqlite(p) => Ok(Conn::SqliteTx(p.begin_with("BEGIN IMMEDIATE").await?)),
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(Conn::PgTx(tx))
            }
        }
    }

    /// A transaction whose reads see one state of the database (SQLite's deferred `BEGIN`).
    pub async fn begin(&self) -> sqlx::Result<Conn> {
        match self {
            Pool::Sqlite(p) => Ok(Conn::SqliteTx(p.begin().await?)),
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    .execute(&mut *tx)
                    .await?;
                Ok(Conn::PgTx(tx))
            }
        }
    }

    /// One connection of the pool, out of any transaction.
    pub async fn acquire(&self) -> sqlx::Result<Conn> {
        match self {
            Pool::Sqlite(p) => Ok(Conn::Sqlite(p.acquire().await?)),
            Pool::Postgres(p) => Ok(Conn::Pg(p.acquire().await?)),
        }
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// A connection taken from the pool, in a transaction or not.
pub enum Conn {
    SqliteTx(Transaction<'static, Sqlite>),
    PgTx(Transaction<'static, Postgres>),
    Sqlite(PoolConnection<Sqlite>),
    Pg(PoolConnection<Postgres>),
}

impl Conn {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::SqliteTx(_) | Conn::Sqlite(_) => Backend::Sqlite,
            Conn::PgTx(_) | Conn::Pg(_) => Backend::Postgres,
        }
    }

    /// Commits a transaction (a connection out of any transaction has nothing to commit).
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Conn::SqliteTx(t) => t.commit().await,
            Conn::PgTx(t) => t.commit().await,
            Conn::Sqlite(_) | Conn::Pg(_) => Ok(()),
        }
    }

    pub async fn rollback(self) -> sqlx::Result<()> {
        match self {
            Conn::SqliteTx(t) => t.rollback().await,
            Conn::PgTx(t) => t.rollback().await,
            Conn::Sqlite(_) | Conn::Pg(_) => Ok(()),
        }
    }
}

/// Where a statement runs: a pool (any of its connections) or one connection.
pub enum Target<'c> {
    SqlitePool(&'c SqlitePool),
    Sqlite(&'c mut SqliteConnection),
    PgPool(&'c PgPool),
    Pg(&'c mut PgConnection),
}

pub trait Executor<'c> {
    fn target(self) -> Target<'c>;
}

impl<'c> Executor<'c> for &'c Pool {
    fn target(self) -> Target<'c> {
        match self {
            Pool::Sqlite(p) => Target::SqlitePool(p),
            Pool::Postgres(p) => Target::PgPool(p),
        }
    }
}

impl<'c> Executor<'c> for &'c mut Conn {
    fn target(self) -> Target<'c> {
        match self {
            Conn::SqliteTx(t) => Target::Sqlite(t),
            Conn::PgTx(t) => Target::Pg(t),
            Conn::Sqlite(c) => Target::Sqlite(c),
            Conn::Pg(c) => Target::Pg(c),
        }
    }
}

impl<'c> Executor<'c> for &'c SqlitePool {
    fn target(self) -> Target<'c> {
        Target::SqlitePool(self)
    }
}

impl<'c> Executor<'c> for &'c PgPool {
    fn target(self) -> Target<'c> {
        Target::PgPool(self)
    }
}

impl<'c> Executor<'c> for &'c mut SqliteConnection {
    fn target(self) -> Target<'c> {
        Target::Sqlite(self)
    }
}

impl<'c> Executor<'c> for &'c mut PgConnection {
    fn target(self) -> Target<'c> {
        Target::Pg(self)
    }
}

/// A value bound to a placeholder: the types the schema has, each with its SQL `NULL`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// What can be bound to a placeholder.
pub trait Bind {
    fn value(self) -> Value;
    /// This type's `NULL` (PostgreSQL types every parameter, `NULL`s too).
    fn null() -> Value
    where
        Self: Sized;
}

macro_rules! bind_as {
    ($variant:ident, $conv:expr, $($t:ty),*) => {$(
        impl Bind for $t {
            fn value(self) -> Value {
                #[allow(clippy::redundant_closure_call)]
                Value::$variant(Some(($conv)(self)))
            }
            fn null() -> Value {
                Value::$variant(None)
            }
        }
    )*};
}

bind_as!(Int, |v| v, i64);
bind_as!(Int, |v: &i64| *v, &i64);
bind_as!(Int, i64::from, i32, u32, u16, u8);
bind_as!(Real, |v| v, f64);
bind_as!(Bool, |v| v, bool);
bind_as!(Text, |v| v, String);
bind_as!(Text, |v: &str| v.to_owned(), &str);
bind_as!(Text, |v: &String| v.clone(), &String);
bind_as!(Bytes, |v| v, Vec<u8>);
bind_as!(Bytes, |v: &[u8]| v.to_vec(), &[u8]);
bind_as!(Bytes, |v: &Vec<u8>| v.clone(), &Vec<u8>);

impl<const N: usize> Bind for [u8; N] {
    fn value(self) -> Value {
        Value::Bytes(Some(self.to_vec()))
    }
    fn null() -> Value {
        Value::Bytes(None)
    }
}

impl<const N: usize> Bind for &[u8; N] {
    fn value(self) -> Value {
        Value::Bytes(Some(self.to_vec()))
    }
    fn null() -> Value {
        Value::Bytes(None)
    }
}

impl Bind for usize {
    fn value(self) -> Value {
        Value::Int(Some(i64::try_from(self).unwrap_or(i64::MAX)))
    }
    fn null() -> Value {
        Value::Int(None)
    }
}

impl<T: Bind> Bind for Option<T> {
    fn value(self) -> Value {
        match self {
            Some(v) => v.value(),
            None => T::null(),
        }
    }
    fn null() -> Value {
        T::null()
    }
}

impl Bind for Value {
    fn value(self) -> Value {
        self
    }
    fn null() -> Value {
        Value::Int(None)
    }
}

fn encode_error(e: sqlx::error::BoxDynError) -> sqlx::Error {
    sqlx::Error::Encode(e)
}

fn sqlite_args(values: Vec<Value>) -> sqlx::Result<SqliteArguments<'static>> {
    let mut a = SqliteArguments::default();
    for v in values {
        match v {
            Value::Int(x) => a.add(x),
            Value::Real(x) => a.add(x),
            Value::Bool(x) => a.add(x),
            Value::Text(x) => a.add(x),
            Value::Bytes(x) => a.add(x),
        }
        .map_err(encode_error)?;
    }
    Ok(a)
}

fn pg_args(values: Vec<Value>) -> sqlx::Result<PgArguments> {
    let mut a = PgArguments::default();
    for v in values {
        match v {
            Value::Int(x) => a.add(x),
            Value::Real(x) => a.add(x),
            Value::Bool(x) => a.add(x),
            Value::Text(x) => a.add(x),
            Value::Bytes(x) => a.add(x),
        }
        .map_err(encode_error)?;
    }
    Ok(a)
}

/// SQLite's placeholders as PostgreSQL's: `?N` becomes `$N`, and a bare `?` the next number after the
/// highest so far (SQLite's rule). Quoted text and identifiers are left as they are.
pub fn to_postgres(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut highest = 0u32;
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = match digits.parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => highest + 1,
                };
                highest = highest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub struct Done(u64);

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.0
    }
}

/// A row read from either database.
pub enum Row {
    Sqlite(SqliteRow),
    Pg(PgRow),
}

/// A column type both drivers read.
pub trait Column:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}
impl<T> Column for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// A row type both drivers read (tuples, `#[derive(FromRow)]` structs).
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl Row {
    /// The column's value; panics when it is missing or of another type, as `sqlx::Row::get` does (a
    /// mistake in this crate's SQL, caught by its tests).
    pub fn get<'r, T, I>(&'r self, index: I) -> T
    where
        T: Decode<'r, Sqlite> + Type<Sqlite> + Decode<'r, Postgres> + Type<Postgres>,
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + std::fmt::Debug,
    {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(r) => r.get(index),
            Row::Pg(r) => r.get(index),
        }
    }

    pub fn try_get<'r, T, I>(&'r self, index: I) -> sqlx::Result<T>
    where
        T: Decode<'r, Sqlite> + Type<Sqlite> + Decode<'r, Postgres> + Type<Postgres>,
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow>,
    {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(r) => r.try_get(index),
            Row::Pg(r) => r.try_get(index),
        }
    }

    /// A flag column (0 or 1 in either database) as a `bool`.
    pub fn flag(&self, column: &str) -> bool {
        self.get::<i64, _>(column) != 0
    }

    /// The row as a tuple or `FromRow` struct.
    pub fn to<T: Record>(&self) -> sqlx::Result<T> {
        match self {
            Row::Sqlite(r) => T::from_row(r),
            Row::Pg(r) => T::from_row(r),
        }
    }
}

/// A statement with its values.
#[must_use]
pub struct Query<'q> {
    sql: &'q str,
    args: Vec<Value>,
}

pub fn query(sql: &str) -> Query<'_> {
    Query {
        sql,
        args: Vec::new(),
    }
}

/// A statement whose rows are read as `T` (a tuple or a `FromRow` struct).
#[must_use]
pub struct QueryAs<'q, T> {
    inner: Query<'q>,
    _row: std::marker::PhantomData<fn() -> T>,
}

pub fn query_as<T: Record>(sql: &str) -> QueryAs<'_, T> {
    QueryAs {
        inner: query(sql),
        _row: std::marker::PhantomData,
    }
}

/// A statement whose rows are one column, read as `T`.
#[must_use]
pub struct QueryScalar<'q, T> {
    inner: Query<'q>,
    _column: std::marker::PhantomData<fn() -> T>,
}

pub fn query_scalar<T>(sql: &str) -> QueryScalar<'_, T> {
    QueryScalar {
        inner: query(sql),
        _column: std::marker::PhantomData,
    }
}

/// Runs `$body` with `$q` the statement made for the target's database by `$make` (one of sqlx's
/// `query_with` functions) and `$e` the target, as an executor of that database.
macro_rules! dispatch {
    ($self:ident, $target:expr, |$q:ident, $e:ident| $body:expr, $make:path) => {{
        let Query { sql, args } = $self;
        match $target.target() {
            Target::SqlitePool($e) => {
                let $q = $make(sql, sqlite_args(args)?);
                $body
            }
            Target::Sqlite($e) => {
                let $q = $make(sql, sqlite_args(args)?);
                $body
            }
            Target::PgPool($e) => {
                let sql = to_postgres(sql);
                let $q = $make(&sql, pg_args(args)?);
                $body
            }
            Target::Pg($e) => {
                let sql = to_postgres(sql);
                let $q = $make(&sql, pg_args(args)?);
                $body
            }
        }
    }};
}

impl<'q> Query<'q> {
    pub fn bind(mut self, v: impl Bind) -> Self {
        self.args.push(v.value());
        self
    }

    pub async fn execute<'c>(self, e: impl Executor<'c>) -> sqlx::Result<Done> {
        dispatch!(
            self,
            e,
            |q, e| Ok(Done(q.execute(e).await?.rows_affected())),
            sqlx::query_with
        )
    }

    pub async fn fetch_all<'c>(self, e: impl Executor<'c>) -> sqlx::Result<Vec<Row>> {
        dispatch!(
            self,
            e,
            |q, e| Ok(q.fetch_all(e).await?.into_iter().map(Row::from).collect()),
            sqlx::query_with
        )
    }

    pub async fn fetch_one<'c>(self, e: impl Executor<'c>) -> sqlx::Result<Row> {
        dispatch!(
            self,
            e,
            |q, e| Ok(Row::from(q.fetch_one(e).await?)),
            sqlx::query_with
        )
    }

    pub async fn fetch_optional<'c>(self, e: impl Executor<'c>) -> sqlx::Result<Option<Row>> {
        dispatch!(
            self,
            e,
            |q, e| Ok(q.fetch_optional(e).await?.map(Row::from)),
            sqlx::query_with
        )
    }
}

impl From<SqliteRow> for Row {
    fn from(r: SqliteRow) -> Self {
        Row::Sqlite(r)
    }
}

impl From<PgRow> for Row {
    fn from(r: PgRow) -> Self {
        Row::Pg(r)
    }
}

impl<'q, T: Record> QueryAs<'q, T> {
    pub fn bind(mut self, v: impl Bind) -> Self {
        self.inner = self.inner.bind(v);
        self
    }

    pub async fn fetch_all<'c>(self, e: impl Executor<'c>) -> sqlx::Result<Vec<T>> {
        let q = self.inner;
        dispatch!(q, e, |q, e| q.fetch_all(e).await, sqlx::query_as_with)
    }

    pub async fn fetch_one<'c>(self, e: impl Executor<'c>) -> sqlx::Result<T> {
        let q = self.inner;
        dispatch!(q, e, |q, e| q.fetch_one(e).await, sqlx::query_as_with)
    }

    pub async fn fetch_optional<'c>(self, e: impl Executor<'c>) -> sqlx::Result<Option<T>> {
        let q = self.inner;
        dispatch!(q, e, |q, e| q.fetch_optional(e).await, sqlx::query_as_with)
    }
}

impl<'q, T> QueryScalar<'q, T>
where
    T: Column + Send + Unpin,
    (T,): Record,
{
    pub fn bind(mut self, v: impl Bind) -> Self {
        self.inner = self.inner.bind(v);
        self
    }

    pub async fn fetch_all<'c>(self, e: impl Executor<'c>) -> sqlx::Result<Vec<T>> {
        let q = self.inner;
        dispatch!(q, e, |q, e| q.fetch_all(e).await, sqlx::query_scalar_with)
    }

    pub async fn fetch_one<'c>(self, e: impl Executor<'c>) -> sqlx::Result<T> {
        let q = self.inner;
        dispatch!(q, e, |q, e| q.fetch_one(e).await, sqlx::query_scalar_with)
    }

    pub async fn fetch_optional<'c>(self, e: impl Executor<'c>) -> sqlx::Result<Option<T>> {
        let q = self.inner;
        dispatch!(
            q,
            e,
            |q, e| q.fetch_optional(e).await,
            sqlx::query_scalar_with
        )
    }
}

/// A statement put together piece by piece (filters, lists), with its values bound as it grows.
pub struct Builder {
    sql: String,
    args: Vec<Value>,
}

impl Builder {
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, sql: impl AsRef<str>) -> &mut Self {
        self.sql.push_str(sql.as_ref());
        self
    }

    /// A placeholder for `v`.
    pub fn push_bind(&mut self, v: impl Bind) -> &mut Self {
        self.args.push(v.value());
        self.sql.push_str(&format!("?{}", self.args.len()));
        self
    }

    /// `(?, ?, ...)` for the values: the list of an `IN`.
    pub fn push_list<V: Bind>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.sql.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.push_bind(v);
        }
        self.sql.push(')');
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    pub fn build(&self) -> Query<'_> {
        Query {
            sql: &self.sql,
            args: self.args.clone(),
        }
    }

    pub fn build_query_as<T: Record>(&self) -> QueryAs<'_, T> {
        QueryAs {
            inner: self.build(),
            _row: std::marker::PhantomData,
        }
    }

    pub fn build_query_scalar<T>(&self) -> QueryScalar<'_, T> {
        QueryScalar {
            inner: self.build(),
            _column: std::marker::PhantomData,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_postgres_numbers_in_sqlite_order() {
        assert_eq!(to_postgres("SELECT 1"), "SELECT 1");
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2"
        );
        // A bare `?` after `?3` is the fourth, and `?1` may come back.
        assert_eq!(
            to_postgres("UPDATE t SET a = ?3, b = ?1 WHERE c = ? OR d = ?1"),
            "UPDATE t SET a = $3, b = $1 WHERE c = $4 OR d = $1"
        );
        // Quoted text keeps its question marks.
        assert_eq!(
            to_postgres("SELECT 'why?' || \"a?\" FROM t WHERE x = ?"),
            "SELECT 'why?' || \"a?\" FROM t WHERE x = $1"
        );
    }

    #[tokio::test]
    async fn a_statement_runs_on_sqlite_with_its_values() {
        let pool = Pool::from(crate::db::open_in_memory().await.unwrap());
        let mut tx = pool.begin_write().await.unwrap();
        let n: i64 = query_scalar("SELECT ?2 + ?1")
            .bind(40)
            .bind(2i64)
            .fetch_one(&mut tx)
            .await
            .unwrap();
        assert_eq!(n, 42);
        let row = query("SELECT ? AS a, ? AS b")
            .bind("x")
            .bind(None::<i64>)
            .fetch_one(&mut tx)
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>("a"), "x");
        assert_eq!(row.get::<Option<i64>, _>("b"), None);
        tx.commit().await.unwrap();
        let mut b = Builder::new(
            "SELECT COUNT(*) FROM (SELECT 1 AS v UNION SELECT 2 UNION SELECT 3) WHERE v IN ",
        );
        b.push_list([1i64, 3]);
        let n: i64 = b.build_query_scalar().fetch_one(&pool).await.unwrap();
        assert_eq!(n, 2);
    }
}
