//! The PostgreSQL server the tests may run on (`PORTAL_TEST_POSTGRES=postgres://user@host:port`, as
//! `cargo xtask test` starts one), and new databases of a test's own there.

#![allow(dead_code)]

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use sqlx::{Connection, Executor, PgConnection};

/// The server's URL (no database), or `None` when `PORTAL_TEST_POSTGRES` names none.
pub fn server() -> Option<String> {
    match std::env::var("PORTAL_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => Some(base.trim_end_matches('/').to_string()),
        _ => None,
    }
}

/// [`server`], saying that the test is skipped when there is none.
pub fn server_or_skip() -> Option<String> {
    let base = server();
    if base.is_none() {
        eprintln!("skipped: PORTAL_TEST_POSTGRES names no PostgreSQL server");
    }
    base
}

/// A connection to the server's `postgres` database, to create others.
pub async fn admin(base: &str) -> PgConnection {
    PgConnection::connect(&format!("{base}/postgres"))
        .await
        .expect("PORTAL_TEST_POSTGRES: connecting to the server's postgres database")
}

/// A new database on `base` named after `prefix`, this process and the moment, empty or a copy of
/// `template`; answers its URL.
pub async fn new_database(base: &str, prefix: &str, template: Option<&str>) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("{prefix}_{}_{nanos}_{n}", std::process::id());
    let mut admin = admin(base).await;
    let statement = match template {
        Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
        None => format!("CREATE DATABASE {name}"),
    };
    retried(&mut admin, &statement).await;
    admin.close().await.unwrap();
    format!("{base}/{name}")
}

/// `statement`, again while PostgreSQL says another session still uses its database: the server process
/// of a connection just closed takes a moment to go.
pub async fn retried(admin: &mut PgConnection, statement: &str) {
    let started = Instant::now();
    loop {
        match admin.execute(statement).await {
            Ok(_) => return,
            Err(e)
                if e.to_string().contains("being accessed by other users")
                    && started.elapsed() < Duration::from_secs(10) =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("{statement}: {e}"),
        }
    }
}
