//! The crash test: acknowledged writes survive SIGKILL, exactly once.
//!
//! It starts the real `portal-api serve --demo` on a temporary database, signs in three demo clients and an
//! agent, and lets many concurrent clients open tickets and send messages, each with an `Idempotency-Key`,
//! recording every acknowledged (201) write. At a random moment it kills the server with SIGKILL, runs
//! `PRAGMA integrity_check` on the database, restarts the server on it, and checks that
//! - every acknowledged write of the cycle is there exactly once, as its author reads it over the API;
//! - every write left in flight by the kill (or refused) can be retried with its key and then exists exactly
//!   once, whether or not it had been committed before the kill;
//! - an acknowledged key replays its first answer.
//!
//! After the last cycle the whole database is compared with the record of every acknowledged write: each
//! one there once, with the id the API answered, and nothing else.
//!
//! The server sends its notification e-mails to a real SMTP server (aiosmtpd, `support/smtp.rs`) the whole
//! time, so kills land while mails are being sent too. At the end every staff reply has its one outbox row,
//! every row is sent, and each was received once, or twice at most (a kill between the SMTP server's
//! answer and the row marked sent: at least once, the resend with the same Message-ID).
//!
//! One ticket in three carries a file uploaded just before it: after each restart the file is read back
//! byte for byte.
//!
//! `CRASH_CYCLES` sets the number of cycles (20 by default), `CRASH_CLIENTS` the concurrent clients per
//! user (4). `cargo xtask bench crash --cycles 100` runs it in release mode and prints the figures.

#[path = "support/http.rs"]
mod http;
#[path = "support/smtp.rs"]
mod smtp;

use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use http::{Client, Server};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use serde_json::{Value, json};
use sqlx::{Connection, Row, SqliteConnection, sqlite::SqliteConnectOptions};

/// Who writes: three clients of two organizations and an agent (the last one).
const USERS: &[&str] = &[
    "ana@mercadobompreco.demo",
    "rui@mercadobompreco.demo",
    "bruno@petfeliz.demo",
    "carla@suporte.demo",
];
const AGENT: usize = 3;
const SUBJECT: &str = "Crash test ";
const REPLY: &str = "Reply ";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Ticket,
    /// A message on this ticket.
    Message(i64),
}

/// A write as it was sent, to retry it with the same key and body.
#[derive(Debug, Clone)]
struct Write {
    user: usize,
    kind: Kind,
    /// Unique in the whole run and never a part of another token: it finds the write in the database.
    token: String,
    key: String,
    path: String,
    body: Value,
}

#[derive(Debug, Clone)]
struct Ack {
    write: Write,
    /// The ticket's id, or the message's event id.
    id: i64,
    /// Whose ticket it is (tickets only): its requester.
    requester: usize,
}

/// What one cycle's clients did.
#[derive(Default)]
struct Cycle {
    acked: Vec<Ack>,
    /// Sent without a 201 in answer: cut off by the kill, or refused (409 when a ticket moved under a message).
    uncertain: Vec<Write>,
    /// 5xx answers and other unexpected statuses.
    unexpected: Vec<String>,
}

/// The file a ticket of `token` carries: unique bytes, so that each is its own blob.
fn log_file(token: &str) -> Vec<u8> {
    format!("PDV log for t{token}\nERRO 539: rejeição da NFC-e\n")
        .repeat(40)
        .into_bytes()
}

/// Tickets a user may write messages on: the client's own, any for the agent.
fn targets(acked: &[Ack], user: usize) -> Vec<i64> {
    acked
        .iter()
        .filter(|a| a.write.kind == Kind::Ticket && (user == AGENT || a.requester == user))
        .map(|a| a.id)
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn client(
    addr: std::net::SocketAddr,
    cookie: String,
    user: usize,
    ids: Arc<Vec<i64>>,
    mut mine: Vec<i64>,
    label: String,
    cycle: Arc<Mutex<Cycle>>,
    stop: Arc<AtomicBool>,
) {
    let mut rng = StdRng::from_entropy();
    let mut http = Client::with_cookie(addr, &cookie);
    http.timeout = Duration::from_secs(20);
    let mut n = 0u32;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let token = format!("{label}n{n:06}z");
        let write = match mine.choose(&mut rng).copied() {
            Some(ticket) if rng.gen_bool(0.5) => Write {
                user,
                kind: Kind::Message(ticket),
                key: format!("crash-m{token}"),
                path: format!("/api/v1/tickets/{ticket}/messages"),
                body: json!({"body": format!("{REPLY}m{token} — written under load.")}),
                token: format!("m{token}"),
            },
            _ => {
                let priority = ["low", "normal", "high", "urgent"][rng.gen_range(0..4)];
                let mut body = json!({
                    "subject": format!("{SUBJECT}t{token}"),
                    "description": format!("Opened under load, to be killed at any moment: t{token}."),
                    "priority": priority,
                });
                // One ticket in three carries a file (a log of the shop's system), uploaded first: the
                // upload is durable before its 201, and the ticket attaches it in its own transaction.
                if rng.gen_bool(1.0 / 3.0) {
                    match http
                        .upload(&format!("t{token}.txt"), &log_file(&token))
                        .await
                    {
                        Ok(r) if r.status == 201 => {
                            body["attachments"] = json!([r.json()["id"]]);
                        }
                        Ok(r) => {
                            cycle.lock().unwrap().unexpected.push(format!(
                                "{} upload → {} {}",
                                USERS[user],
                                r.status,
                                r.json()
                            ));
                            continue;
                        }
                        // The server is gone: nothing was written that a ticket refers to.
                        Err(_) => break,
                    }
                }
                if user == AGENT {
                    // Staff log a ticket taken by phone on a client's behalf.
                    body["requester_id"] = json!(ids[rng.gen_range(0..AGENT)]);
                    body["channel"] = json!("phone");
                }
                Write {
                    user,
                    kind: Kind::Ticket,
                    key: format!("crash-t{token}"),
                    path: "/api/v1/tickets".into(),
                    body,
                    token: format!("t{token}"),
                }
            }
        };
        let answer = http
            .request(
                "POST",
                &write.path,
                &[("Idempotency-Key", &write.key)],
                Some(&write.body),
            )
            .await;
        let mut c = cycle.lock().unwrap();
        match answer {
            Ok(r) if r.status == 201 => {
                let v = r.json();
                let id = v["id"].as_i64().expect("an id");
                let requester = match write.kind {
                    Kind::Ticket => {
                        let rid = v["requester"]["id"].as_i64().expect("a requester");
                        let requester = ids.iter().position(|i| *i == rid).unwrap_or(user);
                        if user == AGENT || requester == user {
                            mine.push(id);
                        }
                        requester
                    }
                    Kind::Message(_) => user,
                };
                c.acked.push(Ack {
                    write,
                    id,
                    requester,
                });
            }
            Ok(r) => {
                if r.status != 409 {
                    c.unexpected.push(format!(
                        "{} {} → {} {}",
                        USERS[user],
                        write.path,
                        r.status,
                        r.json()
                    ));
                }
                c.uncertain.push(write);
            }
            Err(_) => {
                // The server is gone (or the answer never came): the write may or may not be committed.
                c.uncertain.push(write);
                break;
            }
        }
    }
}

/// `PRAGMA integrity_check` and `PRAGMA foreign_key_check` on the database while no server runs.
async fn integrity_check(db: &Path) -> Vec<String> {
    let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(db))
        .await
        .expect("opening the database after the crash");
    let mut problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .expect("integrity_check");
    if problems == ["ok"] {
        problems.clear();
    }
    let fk = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .expect("foreign_key_check");
    if !fk.is_empty() {
        problems.push(format!("{} foreign key violations", fk.len()));
    }
    conn.close().await.expect("closing");
    problems
}

#[derive(Default)]
struct Figures {
    cycles: usize,
    acked_tickets: usize,
    acked_messages: usize,
    in_flight: usize,
    /// In-flight writes that turned out committed before the kill (their retry was a replay).
    committed_unacked: usize,
    /// From the final comparison of the database with every acknowledged write.
    lost: usize,
    duplicates: usize,
    load_time: Duration,
    /// Writes acknowledged while the load ran (before the retries).
    acked_under_load: usize,
    /// Acknowledged tickets that carry a file, each checked byte for byte after its restart.
    attachments: usize,
    /// Outbox rows, mails received, rows received twice (a resend after a kill), rows never received or
    /// not sent, rows received more than twice.
    mails: usize,
    mails_received: usize,
    mails_resent: usize,
    mails_lost: usize,
    mails_duplicated: usize,
}

/// Checks one cycle's writes on the restarted server, as their authors read them (staff see every ticket),
/// and retries its uncertain ones; answers the acknowledged writes (with the retried ones).
async fn verify(
    server: &Server,
    cookies: &[String],
    ids: &[i64],
    cycle: Cycle,
    figures: &mut Figures,
    problems: &mut Vec<String>,
) -> Vec<Ack> {
    let mut as_user: Vec<Client> = cookies
        .iter()
        .map(|c| Client::with_cookie(server.addr, c))
        .collect();
    let mut acked = cycle.acked;

    // Retry every write the kill left in flight, with its key and body: it must succeed now, once.
    figures.in_flight += cycle.uncertain.len();
    for w in cycle.uncertain {
        let r = as_user[w.user]
            .request(
                "POST",
                &w.path,
                &[("Idempotency-Key", &w.key)],
                Some(&w.body),
            )
            .await
            .expect("retrying after the restart");
        if r.status != 201 {
            problems.push(format!(
                "retrying {} {}: {} {}",
                w.key,
                w.path,
                r.status,
                r.json()
            ));
            continue;
        }
        if r.header("idempotent-replayed") == Some("true") {
            figures.committed_unacked += 1;
        }
        let v = r.json();
        let requester = v["requester"]["id"].as_i64();
        acked.push(Ack {
            id: v["id"].as_i64().expect("an id"),
            requester: ids
                .iter()
                .position(|i| Some(*i) == requester)
                .unwrap_or(w.user),
            write: w,
        });
    }

    // Tickets: the author reads each one, and staff's search by its token finds exactly one.
    let mut messages: BTreeMap<(usize, i64), Vec<&Ack>> = BTreeMap::new();
    for a in &acked {
        match a.write.kind {
            Kind::Ticket => {
                let r = as_user[a.write.user]
                    .get(&format!("/api/v1/tickets/{}", a.id))
                    .await
                    .expect("reading a ticket");
                let subject = r.json()["subject"].as_str().unwrap_or_default().to_string();
                if r.status != 200 || !subject.contains(&a.write.token) {
                    problems.push(format!(
                        "LOST ticket {} (key {}): {} {subject:?}",
                        a.id, a.write.key, r.status
                    ));
                }
                // Its file, if it had one: there, once, with exactly the bytes uploaded.
                if a.write.body.get("attachments").is_some() {
                    figures.attachments += 1;
                    let files = r.json()["attachments"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    let token = a.write.token.trim_start_matches('t');
                    match files.as_slice() {
                        [file] => {
                            let url = file["url"].as_str().unwrap_or_default().to_string();
                            let got = as_user[a.write.user]
                                .get(&url)
                                .await
                                .expect("downloading an attachment");
                            if got.status != 200 || got.body != log_file(token) {
                                problems.push(format!(
                                    "LOST file of ticket {}: {} ({} bytes)",
                                    a.id,
                                    got.status,
                                    got.body.len()
                                ));
                            }
                        }
                        other => problems.push(format!(
                            "ticket {} has {} files, not its one",
                            a.id,
                            other.len()
                        )),
                    }
                }
                let r = as_user[AGENT]
                    .get(&format!("/api/v1/tickets?status=all&q={}", a.write.token))
                    .await
                    .expect("searching tickets");
                let page = r.json();
                let total = page["total"].as_u64().unwrap_or_default();
                if total > 1 {
                    problems.push(format!(
                        "DUPLICATE ticket: {total} with key {}",
                        a.write.key
                    ));
                } else if total == 1 && page["items"][0]["id"].as_i64() != Some(a.id) {
                    problems.push(format!(
                        "ticket of key {} is {} and not {}",
                        a.write.key, page["items"][0]["id"], a.id
                    ));
                }
            }
            Kind::Message(ticket) => messages.entry((a.write.user, ticket)).or_default().push(a),
        }
    }
    // Messages: the author reads the ticket's timeline; each token is in exactly one event, the one answered.
    for ((user, ticket), acks) in messages {
        let r = as_user[user]
            .get(&format!("/api/v1/tickets/{ticket}"))
            .await
            .expect("reading a timeline");
        let events = r.json()["events"].as_array().cloned().unwrap_or_default();
        for a in acks {
            let found: Vec<i64> = events
                .iter()
                .filter(|e| {
                    e["body_html"]
                        .as_str()
                        .is_some_and(|b| b.contains(&a.write.token))
                })
                .filter_map(|e| e["id"].as_i64())
                .collect();
            match found.as_slice() {
                [id] if *id == a.id => {}
                [] => {
                    problems.push(format!(
                        "LOST message {} (key {}) on ticket {ticket}",
                        a.id, a.write.key
                    ));
                }
                [id] => problems.push(format!(
                    "message of key {} is event {id}, not {}",
                    a.write.key, a.id
                )),
                more => {
                    problems.push(format!(
                        "DUPLICATE message: {} with key {}",
                        more.len(),
                        a.write.key
                    ));
                }
            }
        }
    }

    // A few acknowledged keys again: the same answer, marked as a replay.
    let mut rng = StdRng::from_entropy();
    for a in acked.choose_multiple(&mut rng, 3) {
        let w = &a.write;
        let r = as_user[w.user]
            .request(
                "POST",
                &w.path,
                &[("Idempotency-Key", &w.key)],
                Some(&w.body),
            )
            .await
            .expect("replaying");
        if r.status != 201
            || r.header("idempotent-replayed") != Some("true")
            || r.json()["id"].as_i64() != Some(a.id)
        {
            problems.push(format!(
                "replaying key {}: {} {:?} {}",
                w.key,
                r.status,
                r.header("idempotent-replayed"),
                r.json()
            ));
        }
    }
    acked
}

/// Notifications not yet settled (pending), read beside the running server.
async fn outbox_pending(db: &Path) -> i64 {
    let Ok(mut conn) =
        SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(db)).await
    else {
        return i64::MAX;
    };
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        .fetch_one(&mut conn)
        .await
        .unwrap_or(i64::MAX);
    let _ = conn.close().await;
    n
}

/// The outbox against the mails received: every staff reply to a client has its one row, every row was
/// sent and received once, or twice when a kill came between the SMTP answer and the row marked sent.
async fn mail_check(
    db: &Path,
    sink: &smtp::SmtpSink,
    figures: &mut Figures,
    problems: &mut Vec<String>,
) {
    let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(db))
        .await
        .expect("opening the database");
    let unnotified: Vec<i64> = sqlx::query_scalar(
        "SELECT e.id FROM ticket_events e JOIN users u ON u.id = e.author_id \
         WHERE e.kind = 'message' AND u.role = 'agent' AND e.body_md LIKE 'Reply %' \
         AND (SELECT COUNT(*) FROM outbox o WHERE o.event_id = e.id) <> 1",
    )
    .fetch_all(&mut conn)
    .await
    .expect("events");
    if !unnotified.is_empty() {
        problems.push(format!(
            "staff replies without exactly one notification: {unnotified:?}"
        ));
    }
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT message_id, status FROM outbox")
        .fetch_all(&mut conn)
        .await
        .expect("outbox");
    conn.close().await.expect("closing");
    let mut received: HashMap<String, usize> = HashMap::new();
    let mails = sink.mails();
    for m in &mails {
        let id = m.header("Message-ID").unwrap_or_default();
        let local = id
            .trim_start_matches('<')
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string();
        *received.entry(local).or_default() += 1;
    }
    figures.mails = rows.len();
    figures.mails_received = mails.len();
    for (message_id, status) in &rows {
        let n = received.remove(message_id).unwrap_or(0);
        if status != "sent" || n == 0 {
            figures.mails_lost += 1;
            problems.push(format!(
                "MAIL LOST: {message_id} ({status}, received {n} times)"
            ));
        } else if n == 2 {
            figures.mails_resent += 1;
        } else if n > 2 {
            figures.mails_duplicated += 1;
            problems.push(format!("MAIL received {n} times: {message_id}"));
        }
    }
    for (id, n) in received {
        problems.push(format!("a mail not in the outbox received {n} times: {id}"));
    }
}

/// The whole database against the record: every acknowledged write once, with its id, and nothing else.
async fn final_check(db: &Path, acked: &[Ack], figures: &mut Figures, problems: &mut Vec<String>) {
    let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(db))
        .await
        .expect("opening the database");
    let mut stored: HashMap<String, Vec<i64>> = HashMap::new();
    for row in sqlx::query("SELECT id, subject FROM tickets WHERE subject LIKE 'Crash test %'")
        .fetch_all(&mut conn)
        .await
        .expect("tickets")
    {
        let subject: String = row.get("subject");
        let token = subject.trim_start_matches(SUBJECT).to_string();
        stored.entry(token).or_default().push(row.get("id"));
    }
    for row in sqlx::query(
        "SELECT id, body_md FROM ticket_events WHERE kind = 'message' AND body_md LIKE 'Reply %'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("events")
    {
        let body: String = row.get("body_md");
        let token = body
            .trim_start_matches(REPLY)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        stored.entry(token).or_default().push(row.get("id"));
    }
    conn.close().await.expect("closing");

    for a in acked {
        match stored.remove(&a.write.token) {
            None => {
                figures.lost += 1;
                problems.push(format!(
                    "LOST at the end: {:?} {} (key {})",
                    a.write.kind, a.id, a.write.key
                ));
            }
            Some(ids) if ids == [a.id] => {}
            Some(ids) if ids.len() > 1 => {
                figures.duplicates += ids.len() - 1;
                problems.push(format!(
                    "DUPLICATE at the end: key {} → {ids:?}",
                    a.write.key
                ));
            }
            Some(ids) => problems.push(format!(
                "key {} answered {} but stored {ids:?}",
                a.write.key, a.id
            )),
        }
    }
    for (token, ids) in stored {
        problems.push(format!(
            "stored but never acknowledged nor retried: {token} {ids:?}"
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let cycles = env_number("CRASH_CYCLES", 20);
    let per_user = env_number("CRASH_CLIENTS", 4);
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let db = dir.path().join("portal.db");
    let log = dir.path().join("server.log");
    let bin = Path::new(env!("CARGO_BIN_EXE_portal-api"));
    let started = Instant::now();

    let sink = smtp::SmtpSink::start(smtp::Rules::default());
    let smtp_url = sink.url();
    let mail_args = [
        "--smtp-url",
        smtp_url.as_str(),
        "--mail-poll-ms",
        "20",
        "--public-url",
        "http://crash.test",
    ];
    let mut server = Server::start_with(bin, &db, &log, &mail_args).await;
    let mut cookies = Vec::new();
    let mut ids = Vec::new();
    for email in USERS {
        let mut c = Client::new(server.addr);
        let me = c.login(email).await.expect("signing in");
        ids.push(me["id"].as_i64().expect("a user id"));
        cookies.push(c.cookie.expect("a cookie"));
    }
    let ids = Arc::new(ids);

    let mut rng = StdRng::from_entropy();
    let mut figures = Figures::default();
    let mut problems = Vec::new();
    let mut all: Vec<Ack> = Vec::new();
    for n in 1..=cycles {
        let cycle = Arc::new(Mutex::new(Cycle::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let load_started = Instant::now();
        let mut tasks = Vec::new();
        for (user, cookie) in cookies.iter().enumerate() {
            for w in 0..per_user {
                tasks.push(tokio::spawn(client(
                    server.addr,
                    cookie.clone(),
                    user,
                    ids.clone(),
                    targets(&all, user),
                    format!("c{n:04}u{user}w{w:03}"),
                    cycle.clone(),
                    stop.clone(),
                )));
            }
        }
        // Kill at a random moment of the load: SIGKILL, no chance to flush or to shut down.
        tokio::time::sleep(Duration::from_millis(rng.gen_range(20..=800))).await;
        server.kill();
        stop.store(true, Ordering::SeqCst);
        for t in tasks {
            t.await.expect("a client task");
        }
        figures.load_time += load_started.elapsed();

        let broken = integrity_check(&db).await;
        if !broken.is_empty() {
            problems.push(format!("cycle {n}: integrity_check: {}", broken.join("; ")));
            break;
        }
        server = Server::start_with(bin, &db, &log, &mail_args).await;

        let cycle = std::mem::take(&mut *cycle.lock().unwrap());
        problems.extend(cycle.unexpected.iter().map(|u| format!("cycle {n}: {u}")));
        let before = (figures.in_flight, figures.committed_unacked);
        figures.acked_under_load += cycle.acked.len();
        let acked = verify(&server, &cookies, &ids, cycle, &mut figures, &mut problems).await;
        let retried = figures.in_flight - before.0;
        let tickets = acked
            .iter()
            .filter(|a| a.write.kind == Kind::Ticket)
            .count();
        eprintln!(
            "cycle {n}: {tickets} tickets and {} messages acknowledged (with {retried} in-flight writes retried, \
             {} of them committed before the kill)",
            acked.len() - tickets,
            figures.committed_unacked - before.1
        );
        figures.cycles = n;
        all.extend(acked);
        if !problems.is_empty() {
            break;
        }
    }
    // The last cycle's mails go out before the end.
    let until = Instant::now() + Duration::from_secs(60);
    while outbox_pending(&db).await > 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill();
    drop(server);
    mail_check(&db, &sink, &mut figures, &mut problems).await;
    let broken = integrity_check(&db).await;
    if !broken.is_empty() {
        problems.push(format!(
            "at the end: integrity_check: {}",
            broken.join("; ")
        ));
    }
    final_check(&db, &all, &mut figures, &mut problems).await;

    figures.acked_tickets = all.iter().filter(|a| a.write.kind == Kind::Ticket).count();
    figures.acked_messages = all.len() - figures.acked_tickets;
    let f = &figures;
    println!(
        "crash test: {} cycles of SIGKILL under {} concurrent clients, {:.1} s in all ({:.1} s under load)\n  \
         acknowledged writes: {} ({} tickets, {} messages; {:.0} writes/s under load)\n  \
         tickets with a file: {}, each file read back byte for byte after its restart\n  \
         in flight at the kills: {} (retried with their keys: {} had been committed, {} had not)\n  \
         lost: {}   duplicates: {}   integrity_check: {}\n  \
         notifications: {} in the outbox, {} received ({} sent again after a kill), lost: {}, more than once again: {}",
        f.cycles,
        USERS.len() * per_user,
        started.elapsed().as_secs_f64(),
        f.load_time.as_secs_f64(),
        all.len(),
        f.acked_tickets,
        f.acked_messages,
        f.acked_under_load as f64 / f.load_time.as_secs_f64().max(1e-9),
        f.attachments,
        f.in_flight,
        f.committed_unacked,
        f.in_flight - f.committed_unacked,
        f.lost,
        f.duplicates,
        if problems.iter().any(|p| p.contains("integrity_check")) {
            "FAILED"
        } else {
            "ok"
        },
        f.mails,
        f.mails_received,
        f.mails_resent,
        f.mails_lost,
        f.mails_duplicated,
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(figures.cycles, cycles);
}
