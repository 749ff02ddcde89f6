//! Drives the whole server in-process, as `tower::ServiceExt::oneshot` requests through `app()`.

#![allow(dead_code)]

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode},
};
use http_body_util::BodyExt;
use portal_api::{AppState, Config, app, auth, db, demo, repo::Repo};
use serde_json::Value;
use tower::ServiceExt;

#[path = "../support/postgres.rs"]
pub mod postgres;

/// The database a test runs on: a private in-memory SQLite database or, when `PORTAL_TEST_POSTGRES` names a
/// PostgreSQL server (`postgres://user@host:port`, as `cargo xtask test` starts one), a new database of the
/// test's own there: a copy of the binary's template, migrated as `serve` migrates it and with the demo
/// data (`demo_template`).
pub async fn test_pool() -> db::Pool {
    // A failing test shows the server's errors (a 500's cause) with its output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,sqlx=error".into()),
        )
        .with_test_writer()
        .try_init();
    match postgres::server() {
        Some(base) => {
            let template = demo_template(&base).await;
            let url = postgres::new_database(&base, "test", Some(&template)).await;
            db::open_postgres(&url).await.unwrap().into()
        }
        _ => db::open_in_memory().await.unwrap().into(),
    }
}

/// The name of a PostgreSQL database, migrated and filled with the demo data, that each test's database
/// is a copy of (`CREATE DATABASE ... TEMPLATE`): made once per test binary, by the first of its tests
/// to get there (an advisory lock makes the others wait), instead of by every test (the demo's password
/// hashes alone cost most of a second). Named after the binary's build, so a changed schema or demo gets
/// a template of its own.
async fn demo_template(base: &str) -> String {
    use sqlx::Executor;
    let mut admin = postgres::admin(base).await;
    let admin = &mut admin;
    let exe = std::env::current_exe().unwrap();
    let built = std::fs::metadata(&exe)
        .and_then(|m| m.modified())
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let stem = exe.file_stem().unwrap().to_string_lossy().replace('-', "_");
    let template = format!("tmpl_{stem}_{built}").to_ascii_lowercase();
    sqlx::query("SELECT pg_advisory_lock(72700001)")
        .execute(&mut *admin)
        .await
        .unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut *admin)
            .await
            .unwrap();
    if !exists {
        // Built under another name and renamed when whole: a test killed meanwhile leaves no half
        // template behind.
        let building = format!("{template}_building");
        admin
            .execute(format!("DROP DATABASE IF EXISTS {building}").as_str())
            .await
            .unwrap();
        admin
            .execute(format!("CREATE DATABASE {building}").as_str())
            .await
            .unwrap();
        let pool: db::Pool = db::open_postgres(&format!("{base}/{building}"))
            .await
            .unwrap()
            .into();
        demo::seed(&Repo::new(pool.clone())).await.unwrap();
        pool.close().await;
        // A connection the pool was opening as it closed (it keeps one open) may outlive it.
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&building)
        .execute(&mut *admin)
        .await
        .unwrap();
        postgres::retried(
            admin,
            &format!("ALTER DATABASE {building} RENAME TO {template}"),
        )
        .await;
    }
    sqlx::query("SELECT pg_advisory_unlock(72700001)")
        .execute(&mut *admin)
        .await
        .unwrap();
    template
}

pub struct TestApp {
    pub router: Router,
    pub repo: Repo,
    pub state: AppState,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Self {
        Self::on_pool(test_pool().await, config).await
    }

    /// A server on a database file, as `serve` runs it (the demo data added when the file is new).
    pub async fn on_file(path: &std::path::Path, config: Config) -> Self {
        Self::on_pool(db::open(path).await.unwrap().into(), config).await
    }

    /// A server on a pool already opened (the demo data added when the database is empty).
    pub async fn on_pool(pool: db::Pool, config: Config) -> Self {
        let repo = Repo::new(pool.clone());
        demo::seed(&repo).await.unwrap();
        let state = AppState::new(pool, config).await.unwrap();
        drop(repo);
        Self {
            router: app(state.clone()),
            // The server's own: its writes keep the server's read cache true.
            repo: state.repo.clone(),
            state,
        }
    }

    /// A request with an optional session cookie and JSON body (sent as `application/json`).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// The answer's status, headers and bytes as sent (a compressed body stays compressed).
    pub async fn send_raw(
        &self,
        req: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, axum::body::Bytes) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (parts.status, parts.headers, bytes)
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        let (status, headers, bytes) = self.send_raw(req).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Signs in through the API and answers the cookie to send back.
    pub async fn login(&self, email: &str) -> String {
        let a = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"email": email, "password": demo::PASSWORD})),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        let cookie = a.headers.get("set-cookie").unwrap().to_str().unwrap();
        cookie.split(';').next().unwrap().to_string()
    }

    /// A fresh session for a user, made directly in storage (no password hashing), as a cookie.
    pub async fn session_for(&self, email: &str) -> String {
        let account = self.repo.account_by_email(email).await.unwrap().unwrap();
        let (token, hash) = auth::new_token();
        self.repo
            .create_session(&hash, account.user.id, db::now_ms() + 3_600_000)
            .await
            .unwrap();
        format!("{}={token}", auth::COOKIE)
    }

    pub async fn user_id(&self, email: &str) -> i64 {
        self.repo
            .account_by_email(email)
            .await
            .unwrap()
            .unwrap()
            .user
            .id
    }
}

pub const MEMBER_A: &str = "rui@mercadobompreco.demo";
pub const MANAGER_A: &str = "ana@mercadobompreco.demo";
pub const CLIENT_B: &str = "bruno@petfeliz.demo";
pub const AGENT: &str = "carla@suporte.demo";
pub const ADMIN: &str = "admin@suporte.demo";
