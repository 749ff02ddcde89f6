//! `portal-api migrate --from portal.db --to postgres://...`: a SQLite deployment with some activity moves
//! to PostgreSQL whole (the same rows in every table, ids and password hashes kept), the PostgreSQL server
//! then signs its users in and numbers new tickets after the copied ones, a second run is refused without
//! touching anything, and what is not a PostgreSQL address or not an existing file is refused.
//!
//! The copy runs when `PORTAL_TEST_POSTGRES` names a PostgreSQL server (`cargo xtask test` starts one),
//! into a database of its own there.

mod common;

use std::{path::Path, process::Command};

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use base64::Engine;
use common::*;
use portal_api::{Config, db};
use serde_json::json;
use sqlx::{Connection, PgConnection, SqlitePool};

const BIN: &str = env!("CARGO_BIN_EXE_portal-api");

/// `portal-api migrate --from ... --to ...`: success and stdout plus stderr.
fn migrate(from: &Path, to: &str) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["migrate", "--from"])
        .arg(from)
        .args(["--to", to])
        .env("RUST_LOG", "error")
        .env_remove("PORTAL_DATA_DIR")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A real 1×1 PNG.
fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .unwrap()
}

/// Every portal table's row count, by name.
async fn pg_counts(pg: &mut PgConnection) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
         AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&mut *pg)
    .await
    .unwrap();
    let mut counts = Vec::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}"))
            .fetch_one(&mut *pg)
            .await
            .unwrap();
        counts.push((t, n));
    }
    counts
}

async fn sqlite_counts(sqlite: &SqlitePool) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(sqlite)
    .await
    .unwrap();
    let mut counts = Vec::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}"))
            .fetch_one(sqlite)
            .await
            .unwrap();
        counts.push((t, n));
    }
    counts
}

/// The same rows, read by the same query, on both sides.
macro_rules! same_rows {
    ($sqlite:expr, $pg:expr, $ty:ty, $sql:expr) => {{
        let left: Vec<$ty> = sqlx::query_as($sql).fetch_all($sqlite).await.unwrap();
        let right: Vec<$ty> = sqlx::query_as($sql).fetch_all(&mut $pg).await.unwrap();
        assert!(!left.is_empty(), "{}: no rows to compare", $sql);
        assert_eq!(left, right, "{}", $sql);
        left
    }};
}

#[tokio::test]
async fn a_sqlite_deployment_moves_to_postgres_whole_and_only_once() {
    let Some(base) = postgres::server_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let data = tmp.path().join("data");
    let path = data.join("portal.db");
    let config = || Config {
        data_dir: Some(data.clone()),
        ..Config::default()
    };

    // A SQLite deployment with the demo data and some activity: a sign-in, a ticket with a screenshot,
    // the agent's answer, a vote and a search.
    let (ticket, attachment) = {
        let app = TestApp::on_file(&path, config()).await;
        let rui = app.login(MEMBER_A).await;
        let up = app
            .send(
                Request::builder()
                    .method(Method::POST)
                    .uri("/api/v1/attachments")
                    .header("cookie", &rui)
                    .header("content-type", "application/octet-stream")
                    .header("x-file-name", "tela.png")
                    .body(Body::from(png()))
                    .unwrap(),
            )
            .await;
        assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
        let attachment = up.body["id"].as_i64().unwrap();
        let a = app
            .call(
                Method::POST,
                "/api/v1/tickets",
                Some(&rui),
                Some(json!({"subject": "Rejeição 539 na migração", "description": "Segue a tela.", "attachments": [attachment]})),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let ticket = a.body["id"].as_i64().unwrap();
        let carla = app.session_for(AGENT).await;
        let a = app
            .call(
                Method::POST,
                &format!("/api/v1/tickets/{ticket}/messages"),
                Some(&carla),
                Some(json!({"body": "Reenvie a nota com o CFOP 5102.", "internal": false})),
            )
            .await;
        assert!(a.status.is_success(), "{}", a.body);
        let slug: String = sqlx::query_scalar(
            "SELECT slug FROM kb_articles WHERE status = 'published' ORDER BY id LIMIT 1",
        )
        .fetch_one(app.repo.pool.sqlite().unwrap())
        .await
        .unwrap();
        let a = app
            .call(
                Method::POST,
                &format!("/api/v1/kb/articles/{slug}/feedback"),
                None,
                Some(json!({"helpful": true, "visitor": "migracao", "comment": "ajudou"})),
            )
            .await;
        assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
        let a = app
            .call(
                Method::GET,
                "/api/v1/kb/search?q=nota&locale=pt-BR",
                None,
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        app.state.flush_analytics().await;
        app.repo.pool.close().await;
        (ticket, attachment)
    };

    // An article refers to one copied after it (a translation linked later), and a table takes several
    // statements.
    {
        let sqlite = db::open(&path).await.unwrap();
        sqlx::query(
            "UPDATE kb_articles SET translation_of = (SELECT MAX(id) FROM kb_articles) \
             WHERE id = (SELECT MIN(id) FROM kb_articles)",
        )
        .execute(&sqlite)
        .await
        .unwrap();
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25000) \
             INSERT INTO limit_events (kind, subject, address, at) \
             SELECT 'vote', i, '203.0.113.9', i FROM n",
        )
        .execute(&sqlite)
        .await
        .unwrap();
        sqlite.close().await;
    }

    let url = postgres::new_database(&base, "migrate", None).await;
    let started = std::time::Instant::now();
    let (ok, out) = migrate(&path, &url);
    assert!(ok, "{out}");
    eprintln!("migrate took {:?}:\n{out}", started.elapsed());
    assert!(out.contains("the same count on both sides"), "{out}");
    let data_dir = std::fs::canonicalize(&data).unwrap();
    assert!(
        out.contains(&format!("--data-dir {}", data_dir.display())),
        "{out}"
    );

    // The same tables with the same rows.
    let sqlite = db::open(&path).await.unwrap();
    let mut pg = PgConnection::connect(&url).await.unwrap();
    let counts = pg_counts(&mut pg).await;
    assert_eq!(counts, sqlite_counts(&sqlite).await);
    for table in [
        "users",
        "tickets",
        "ticket_events",
        "attachments",
        "sessions",
        "kb_feedback",
        "kb_searches",
        "outbox",
    ] {
        let n = counts.iter().find(|(t, _)| t == table).unwrap().1;
        assert!(n > 0, "{table} has no rows to copy");
    }
    same_rows!(
        &sqlite,
        pg,
        (i64, String, String, String, Option<i64>, i64),
        "SELECT id, email, password_hash, role, organization_id, disabled FROM users ORDER BY id"
    );
    let tickets = same_rows!(
        &sqlite,
        pg,
        (i64, String, String, String, i64, Option<i64>, i64),
        "SELECT id, subject, description_md, status, requester_id, assignee_id, created_at \
         FROM tickets ORDER BY id"
    );
    assert!(
        tickets
            .iter()
            .any(|t| t.0 == ticket && t.1 == "Rejeição 539 na migração")
    );
    same_rows!(
        &sqlite,
        pg,
        (i64, i64, String, Option<String>),
        "SELECT id, ticket_id, kind, body_md FROM ticket_events ORDER BY id"
    );
    same_rows!(
        &sqlite,
        pg,
        (i64, String, String, i64, Option<i64>),
        "SELECT id, sha256, name, size, ticket_id FROM attachments ORDER BY id"
    );
    same_rows!(
        &sqlite,
        pg,
        (Vec<u8>, i64, i64),
        "SELECT token_hash, user_id, expires_at FROM sessions ORDER BY token_hash"
    );
    let articles = same_rows!(
        &sqlite,
        pg,
        (i64, String, Option<i64>),
        "SELECT id, slug, translation_of FROM kb_articles ORDER BY id"
    );
    let last = articles.last().unwrap().0;
    assert_eq!(articles[0].2, Some(last));
    let events = counts.iter().find(|(t, _)| t == "limit_events").unwrap().1;
    assert!(events > 25_000, "{events} sign-in and vote events");
    let max_search: i64 = sqlx::query_scalar("SELECT MAX(id) FROM kb_searches")
        .fetch_one(&mut pg)
        .await
        .unwrap();
    let max_ticket = tickets.iter().map(|t| t.0).max().unwrap();
    let max_event: i64 = sqlx::query_scalar("SELECT MAX(id) FROM ticket_events")
        .fetch_one(&mut pg)
        .await
        .unwrap();
    sqlite.close().await;

    // A PostgreSQL server on the copy, with the same data directory: a demo user signs in with their
    // password, sees the screenshot, and the next ticket and message come after every copied id.
    {
        let pool = db::open_postgres(&url).await.unwrap();
        let app = TestApp::on_pool(pool.into(), config()).await;
        let ana = app.login(MANAGER_A).await;
        let file = app
            .send_raw(
                Request::builder()
                    .uri(format!("/api/v1/attachments/{attachment}"))
                    .header("cookie", &ana)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(file.0, StatusCode::OK);
        assert_eq!(file.2.to_vec(), png());
        let a = app
            .call(
                Method::POST,
                "/api/v1/tickets",
                Some(&ana),
                Some(json!({"subject": "Depois da migração", "description": "Primeiro no PostgreSQL."})),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let new_ticket = a.body["id"].as_i64().unwrap();
        assert!(new_ticket > max_ticket, "{new_ticket} after {max_ticket}");
        let a = app
            .call(
                Method::POST,
                &format!("/api/v1/tickets/{new_ticket}/messages"),
                Some(&ana),
                Some(json!({"body": "Mais um detalhe.", "internal": false})),
            )
            .await;
        assert!(a.status.is_success(), "{}", a.body);
        let event: i64 = sqlx::query_scalar("SELECT MAX(id) FROM ticket_events")
            .fetch_one(&mut pg)
            .await
            .unwrap();
        assert!(event > max_event, "{event} after {max_event}");
        let a = app
            .call(
                Method::GET,
                "/api/v1/kb/search?q=certificado&locale=pt-BR",
                None,
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        app.state.flush_analytics().await;
        let search: i64 = sqlx::query_scalar("SELECT MAX(id) FROM kb_searches")
            .fetch_one(&mut pg)
            .await
            .unwrap();
        assert!(search > max_search, "{search} after {max_search}");
        app.repo.pool.close().await;
    }

    // A second run is refused, naming a table that has rows, and changes nothing.
    let before = pg_counts(&mut pg).await;
    let (ok, out) = migrate(&path, &url);
    assert!(!ok, "{out}");
    assert!(out.contains("is not empty"), "{out}");
    assert!(out.contains("organizations has rows"), "{out}");
    assert_eq!(pg_counts(&mut pg).await, before);
    pg.close().await.unwrap();
}

#[tokio::test]
async fn a_target_that_is_not_postgres_and_a_missing_file_are_refused() {
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();

    // No file: refused before any connection, and none is created.
    let missing = tmp.path().join("nothing-here.db");
    let (ok, out) = migrate(&missing, "postgres://nobody@127.0.0.1:1/portal");
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "there is no SQLite database at {}",
            missing.display()
        )),
        "{out}"
    );
    assert!(!missing.exists());

    // Not a PostgreSQL address (a SQLite path, say): refused, nothing created there either.
    let path = tmp.path().join("portal.db");
    db::open(&path).await.unwrap().close().await;
    let other = tmp.path().join("copy.db");
    let (ok, out) = migrate(&path, other.to_str().unwrap());
    assert!(!ok, "{out}");
    assert!(
        out.contains("--to must be a PostgreSQL database, postgres://"),
        "{out}"
    );
    assert!(!other.exists());
    let (ok, out) = migrate(&path, "mysql://root@localhost/portal");
    assert!(!ok, "{out}");
    assert!(out.contains("--to must be a PostgreSQL database"), "{out}");
}
