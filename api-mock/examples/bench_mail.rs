//! Notification throughput (`cargo xtask bench mail`): how many notifications per second the real
//! `portal-api` delivers through its outbox to a local SMTP server (aiosmtpd, as in the tests).
//!
//! It starts the release server without `--smtp-url` on a temporary database, has an agent answer the
//! demo clients' tickets N times (each answer one notification, written to the outbox and left waiting),
//! stops it, starts it again with `--smtp-url` pointing at aiosmtpd, and times the outbox emptying: from
//! the start until every row is sent, and checks that each mail was received once.
//!
//! `cargo run --release -p portal-api --example bench_mail -- [--bin PATH] [--mails 2000]`

#[path = "../tests/support/http.rs"]
mod http;
#[path = "../tests/support/smtp.rs"]
mod smtp;

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use http::{Client, Server};
use serde_json::json;
use sqlx::{Connection, SqliteConnection, sqlite::SqliteConnectOptions};

const CLIENTS: &[&str] = &[
    "ana@mercadobompreco.demo",
    "rui@mercadobompreco.demo",
    "bruno@petfeliz.demo",
];

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

async fn counts(db: &Path) -> (i64, i64) {
    let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(db))
        .await
        .expect("opening the database");
    let row: (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'sent'), 0) FROM outbox",
    )
    .fetch_one(&mut conn)
    .await
    .expect("counting the outbox");
    let _ = conn.close().await;
    row
}

#[tokio::main]
async fn main() {
    let bin = arg("--bin").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/release/portal-api"
            ))
        },
        PathBuf::from,
    );
    let mails: usize = arg("--mails").map_or(2000, |m| m.parse().expect("--mails N"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("portal.db");
    let log = dir.path().join("server.log");

    // Fill the outbox, with nothing sending it.
    let mut server = Server::start(&bin, &db, &log).await;
    let mut tickets = Vec::new();
    for (n, email) in CLIENTS.iter().enumerate() {
        let mut c = Client::new(server.addr);
        c.login(email).await.expect("a client signs in");
        for t in 0..10 {
            let r = c
                .request(
                    "POST",
                    "/api/v1/tickets",
                    &[],
                    Some(&json!({"subject": format!("Bench {n} {t}"), "description": "Texto."})),
                )
                .await
                .expect("a ticket");
            assert_eq!(r.status, 201, "opening a ticket");
            tickets.push(r.json()["id"].as_i64().unwrap());
        }
    }
    let (before, _) = counts(&db).await;
    let mut agent = Client::new(server.addr);
    agent
        .login("carla@suporte.demo")
        .await
        .expect("the agent signs in");
    let filled = Instant::now();
    for i in 0..mails {
        let ticket = tickets[i % tickets.len()];
        let r = agent
            .request(
                "POST",
                &format!("/api/v1/tickets/{ticket}/messages"),
                &[],
                Some(
                    &json!({"body": format!("Resposta {i}: reinicie o **PDV** e tente de novo."),
                    "status": "pending"}),
                ),
            )
            .await
            .expect("an answer");
        assert_eq!(r.status, 201, "answering");
    }
    let fill_time = filled.elapsed();
    server.kill();
    drop(server);
    let (waiting, _) = counts(&db).await;
    let queued = waiting - before;
    eprintln!(
        "{queued} notifications waiting in the outbox (written by {mails} answers in {:.1} s)",
        fill_time.as_secs_f64()
    );

    // Send them.
    let sink = smtp::SmtpSink::start(smtp::Rules::default());
    let url = sink.url();
    let started = Instant::now();
    let server = Server::start_with(
        &bin,
        &db,
        &log,
        &[
            "--smtp-url",
            &url,
            "--mail-poll-ms",
            "20",
            "--public-url",
            "http://bench.test",
        ],
    )
    .await;
    let up = started.elapsed();
    loop {
        let (pending, _) = counts(&db).await;
        if pending == 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            panic!("{pending} notifications still waiting after 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    drop(server);
    let (_, sent) = counts(&db).await;
    let received = sink.mails().len();
    let sending = elapsed.saturating_sub(up);
    println!(
        "bench mail: {sent} notifications sent through the outbox to aiosmtpd on loopback in {:.2} s \
         ({:.0} notifications/s; {:.0}/s counting from when the server answered, {:.2} s after its start); \
         {received} mails received",
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64(),
        sent as f64 / sending.as_secs_f64().max(1e-9),
        up.as_secs_f64(),
    );
    assert_eq!(received as i64, sent, "each notification received once");
}
