//! Several `portal-api serve` processes on one PostgreSQL database, as a desk runs them behind a load
//! balancer (issue 17): what one server writes, the others know at once; sessions, the sign-in limit and
//! idempotency keys are the database's, not a process's; a server killed under load loses no
//! acknowledged write; a restart of PostgreSQL is survived.
//!
//! They run when `PORTAL_TEST_POSTGRES` names a PostgreSQL server (`cargo xtask test` starts one); each
//! test makes a database of its own there. The restart test also needs `PORTAL_TEST_POSTGRES_DATA` (the
//! cluster's directory) and `PORTAL_TEST_POSTGRES_BIN` (its `pg_ctl`'s directory), and runs alone:
//! `cargo xtask test` runs this file by itself, one test at a time.

#[path = "support/http.rs"]
mod http;
#[path = "support/postgres.rs"]
mod postgres;

use std::{
    collections::HashMap,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use http::{Client, Server};
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection};

const AGENT: &str = "carla@suporte.demo";
const CLIENT: &str = "ana@mercadobompreco.demo";
const CLIENTS: &[&str] = &[
    "ana@mercadobompreco.demo",
    "rui@mercadobompreco.demo",
    "bruno@petfeliz.demo",
];

/// Servers on one new database.
struct Desk {
    servers: Vec<Server>,
    /// The database's URL.
    url: String,
    _dir: tempfile::TempDir,
}

impl Desk {
    /// `n` servers with the demo data on a new database, or `None` without a PostgreSQL server.
    async fn start(n: usize) -> Option<Self> {
        let base = postgres::server_or_skip()?;
        let url = postgres::new_database(&base, "instances", None).await;
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
        let bin = Path::new(env!("CARGO_BIN_EXE_portal-api"));
        let data = dir.path().join("data");
        let data_arg = data.to_string_lossy().into_owned();
        // Started together: they migrate and fill the database once between them.
        let starts = (0..n).map(|i| {
            let (url, data_arg) = (url.clone(), data_arg.clone());
            let log = dir.path().join(format!("server-{i}.log"));
            async move {
                Server::start_with(bin, Path::new(&url), &log, &["--data-dir", &data_arg]).await
            }
        });
        let servers = futures_join_all(starts).await;
        Some(Self {
            servers,
            url,
            _dir: dir,
        })
    }

    fn addr(&self, i: usize) -> std::net::SocketAddr {
        self.servers[i].addr
    }

    async fn db(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.unwrap()
    }
}

/// Every future run to its end, concurrently, their outputs in order.
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send,
{
    let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("a task"));
    }
    out
}

async fn signed_in(addr: std::net::SocketAddr, email: &str) -> Client {
    let mut c = Client::new(addr);
    c.login(email).await.expect("signing in");
    c
}

/// The slugs `q` finds on a server.
async fn found(c: &mut Client, q: &str) -> Vec<String> {
    let r = c
        .get(&format!(
            "/api/v1/kb/search?q={q}&locale=pt-BR&record=false"
        ))
        .await
        .expect("searching");
    assert_eq!(r.status, 200, "{}", r.json());
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap().to_string())
        .collect()
}

/// Searches `q` on a server until `want(slugs)` or 2 s have passed; answers how long it took.
async fn until_found(c: &mut Client, q: &str, want: impl Fn(&[String]) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if want(&found(c, q).await) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{q:?}: not followed within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn publish(c: &mut Client, title: &str, body: &str) -> Value {
    let categories = c
        .get("/api/v1/kb/categories?locale=pt-BR")
        .await
        .unwrap()
        .json();
    let r = c
        .request(
            "POST",
            "/api/v1/kb/articles",
            &[],
            Some(
                &json!({"title": title, "body_md": body, "category_id": categories[0]["id"],
                "locale": "pt-BR", "tags": [], "status": "published"}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.json());
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_server_publishes_the_others_find_within_two_seconds() {
    let Some(desk) = Desk::start(3).await else {
        return;
    };
    let mut a = signed_in(desk.addr(0), AGENT).await;
    let mut b = Client::new(desk.addr(1));
    let mut c = Client::new(desk.addr(2));
    // The others search the article while A writes it: their copies must not keep "nothing found".
    assert!(found(&mut b, "tamborilado").await.is_empty());
    let article = publish(
        &mut a,
        "Tamborilado da impressora fiscal",
        "Quando a impressora fiscal faz um tamborilado, troque a bobina.",
    )
    .await;
    let slug = article["slug"].as_str().unwrap().to_string();
    let has = |s: &[String]| s.contains(&slug);
    let took_b = until_found(&mut b, "tamborilado", has).await;
    // Typo and accent tolerance on the follower's index, as on the writer's.
    until_found(&mut c, "tamborilada", has).await;
    eprintln!("published on A, found on B after {took_b:?}");

    // Synonyms set on A apply on B.
    let r = a
        .request(
            "PUT",
            "/api/v1/kb/synonyms",
            &[],
            Some(&json!([["tamborilado", "batucada"]])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.json());
    until_found(&mut b, "batucada", has).await;

    // An edit's new words, and an article taken down, followed too.
    let mut body = json!({
        "title": "Zumbido da impressora fiscal", "body_md": article["body_md"],
        "category_id": article["category"]["id"], "locale": "pt-BR", "tags": [],
        "status": "published", "revision": article["revision"],
    });
    let r = a
        .request(
            "PUT",
            &format!("/api/v1/kb/articles/{}", article["id"]),
            &[],
            Some(&body),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.json());
    until_found(&mut c, "zumbido", has).await;
    body["status"] = json!("draft");
    body["revision"] = r.json()["revision"].clone();
    let r = a
        .request(
            "PUT",
            &format!("/api/v1/kb/articles/{}", article["id"]),
            &[],
            Some(&body),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.json());
    until_found(&mut b, "zumbido", |s| !has(s)).await;
    // And the article's page on B answers what A now says: a draft is no reader's.
    let page = b.get(&format!("/api/v1/kb/articles/{slug}")).await.unwrap();
    assert_eq!(page.status, 404, "{}", page.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_made_on_one_server_works_on_another_and_ends_everywhere() {
    let Some(desk) = Desk::start(2).await else {
        return;
    };
    let a = signed_in(desk.addr(0), CLIENT).await;
    let cookie = a.cookie.clone().unwrap();
    let mut on_a = Client::with_cookie(desk.addr(0), &cookie);
    let mut on_b = Client::with_cookie(desk.addr(1), &cookie);
    let me = on_b.get("/api/v1/me").await.unwrap();
    assert_eq!(me.status, 200, "{}", me.json());
    assert_eq!(me.json()["email"], CLIENT);
    let out = on_b
        .request("POST", "/api/v1/auth/logout", &[], Some(&json!({})))
        .await
        .unwrap();
    assert!(out.status == 204 || out.status == 200, "{}", out.status);
    let me = on_a.get("/api/v1/me").await.unwrap();
    assert_eq!(me.status, 401, "the session ended on B still works on A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_spread_over_three_servers_hit_one_limit() {
    let Some(desk) = Desk::start(3).await else {
        return;
    };
    let mut statuses = Vec::new();
    for i in 0..15 {
        let mut c = Client::new(desk.addr(i % 3));
        let r = c
            .request(
                "POST",
                "/api/v1/auth/login",
                &[],
                Some(&json!({"email": CLIENT, "password": "wrong-password-x"})),
            )
            .await
            .unwrap();
        statuses.push(r.status);
    }
    // Five failures per account and address, wherever they were made (`Config::login_limit_*`).
    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_sent_to_two_servers_at_once_makes_one_ticket() {
    let Some(desk) = Desk::start(2).await else {
        return;
    };
    let cookie = signed_in(desk.addr(0), CLIENT).await.cookie.unwrap();
    for round in 0..5 {
        let key = format!("instances-key-{round}");
        let subject = format!("Gaveta do caixa não abre {round}");
        // Eight clients, four on each server, the same key and body.
        let sends = (0..8).map(|i| {
            let (addr, cookie, key, subject) =
                (desk.addr(i % 2), cookie.clone(), key.clone(), subject.clone());
            async move {
                let mut c = Client::with_cookie(addr, &cookie);
                let r = c
                    .request(
                        "POST",
                        "/api/v1/tickets",
                        &[("Idempotency-Key", &key)],
                        Some(&json!({"subject": subject, "description": "A gaveta não abre ao fechar a venda."})),
                    )
                    .await
                    .unwrap();
                (r.status, r.json()["id"].as_i64())
            }
        });
        let answers = futures_join_all(sends).await;
        let ids: std::collections::BTreeSet<i64> = answers
            .iter()
            .filter(|(s, _)| *s == 201)
            .filter_map(|(_, id)| *id)
            .collect();
        // A request that finds its key's first still running is told so (409) and retries.
        assert!(
            answers.iter().all(|(s, _)| *s == 201 || *s == 409),
            "{answers:?}"
        );
        assert_eq!(ids.len(), 1, "{answers:?}");
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE subject = $1")
            .bind(&subject)
            .fetch_one(&mut desk.db().await)
            .await
            .unwrap();
        assert_eq!(stored, 1, "{answers:?}");
    }
}

/// A write sent with its key until some server acknowledges it.
struct Sent {
    subject: String,
    id: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_under_load_loses_no_acknowledged_ticket() {
    let Some(mut desk) = Desk::start(3).await else {
        return;
    };
    let addrs: Vec<_> = (0..3).map(|i| desk.addr(i)).collect();
    let mut cookies = Vec::new();
    for email in CLIENTS {
        cookies.push(signed_in(addrs[0], email).await.cookie.unwrap());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let dead = Arc::new(AtomicUsize::new(usize::MAX));
    let acked = Arc::new(Mutex::new(Vec::<Sent>::new()));
    let retried = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (u, cookie) in cookies.iter().enumerate() {
        for k in 0..2 {
            let (cookie, addrs, stop, acked, retried, dead) = (
                cookie.clone(),
                addrs.clone(),
                stop.clone(),
                acked.clone(),
                retried.clone(),
                dead.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut n = 0;
                // Round robin, as a load balancer sends them; a failed request goes to the next.
                let mut at = u + k;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let subject = format!("Carga u{u} k{k} n{n}");
                    let key = format!("kill-{u}-{k}-{n}");
                    let body = json!({"subject": subject, "description": "Venda travou no PDV."});
                    let started = Instant::now();
                    loop {
                        assert!(
                            started.elapsed() < Duration::from_secs(30),
                            "{subject}: no server acknowledged it within 30 s"
                        );
                        at = (at + 1) % addrs.len();
                        if at == dead.load(Ordering::Relaxed) {
                            continue;
                        }
                        let mut c = Client::with_cookie(addrs[at], &cookie);
                        c.timeout = Duration::from_secs(5);
                        match c
                            .request(
                                "POST",
                                "/api/v1/tickets",
                                &[("Idempotency-Key", &key)],
                                Some(&body),
                            )
                            .await
                        {
                            Ok(r) if r.status == 201 => {
                                let id = r.json()["id"].as_i64().unwrap();
                                acked.lock().unwrap().push(Sent { subject, id });
                                break;
                            }
                            Ok(r) if r.status == 409 || r.status >= 500 => {}
                            Ok(r) => panic!("{subject}: {} {}", r.status, r.json()),
                            Err(_) => {}
                        }
                        retried.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }));
        }
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = acked.lock().unwrap().len();
    desk.servers[1].kill();
    dead.store(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("a writer");
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.len() > before && before > 0,
        "writes went on after the kill: {before} then {}",
        acked.len()
    );
    let mut db = desk.db().await;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT subject, id FROM tickets WHERE subject LIKE 'Carga %'")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let mut stored: HashMap<String, Vec<i64>> = HashMap::new();
    for (subject, id) in rows {
        stored.entry(subject).or_default().push(id);
    }
    for s in acked.iter() {
        assert_eq!(
            stored.remove(&s.subject),
            Some(vec![s.id]),
            "{}: acknowledged as {}",
            s.subject,
            s.id
        );
    }
    // A write that was never acknowledged is a writer's last, cut off by the stop: none here, since
    // each writer retries until acknowledged.
    assert!(
        stored.is_empty(),
        "stored but never acknowledged: {stored:?}"
    );
    eprintln!(
        "{} tickets acknowledged ({before} before the kill), {} retries",
        acked.len(),
        retried.load(Ordering::Relaxed)
    );
}

/// `pg_ctl restart` on the test's PostgreSQL server, as its own user.
fn restart_postgres() -> Option<()> {
    let (Ok(data), Ok(bin)) = (
        std::env::var("PORTAL_TEST_POSTGRES_DATA"),
        std::env::var("PORTAL_TEST_POSTGRES_BIN"),
    ) else {
        eprintln!("skipped: PORTAL_TEST_POSTGRES_DATA and _BIN name no server to restart");
        return None;
    };
    let pg_ctl = Path::new(&bin).join("pg_ctl");
    let mut cmd = match std::env::var("PORTAL_TEST_POSTGRES_USER") {
        Ok(user) if !user.is_empty() => {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", &user, "--"]).arg(&pg_ctl);
            c
        }
        _ => std::process::Command::new(&pg_ctl),
    };
    // The server's output goes to a file: through a pipe, the server (which outlives pg_ctl) would
    // hold it open, and reading it would never end.
    let log = Path::new(&data)
        .parent()
        .unwrap_or(Path::new("/tmp"))
        .join("restart.log");
    let status = cmd
        .args(["-D", &data, "-m", "fast", "-w", "-t", "60", "-l"])
        .arg(&log)
        .arg("restart")
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("running pg_ctl");
    assert!(
        status.success(),
        "pg_ctl restart: {status}; {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    Some(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_of_postgresql_is_survived() {
    if std::env::var("PORTAL_TEST_POSTGRES_DATA").is_err() {
        eprintln!("skipped: PORTAL_TEST_POSTGRES_DATA names no server to restart");
        return;
    }
    let Some(desk) = Desk::start(2).await else {
        return;
    };
    let mut agent = signed_in(desk.addr(0), AGENT).await;
    let mut client = signed_in(desk.addr(1), CLIENT).await;
    restart_postgres().unwrap();
    // Each server answers again (its pool replaces the connections the restart cut), with the sessions
    // made before it.
    let started = Instant::now();
    let mut opened = None;
    while started.elapsed() < Duration::from_secs(30) {
        let r = client
            .request(
                "POST",
                "/api/v1/tickets",
                &[("Idempotency-Key", "after-restart")],
                Some(&json!({"subject": "Depois do reinício", "description": "O banco voltou?"})),
            )
            .await;
        if let Ok(r) = r
            && r.status == 201
        {
            opened = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let opened = opened.expect("no ticket opened within 30 s of the restart");
    eprintln!("a ticket opened {opened:?} after PostgreSQL came back");
    // And the servers follow each other again (the listener connected anew).
    let article = publish(
        &mut agent,
        "Reinício do banco de dados",
        "Depois de um reinício a busca encontra o artigo xilografado.",
    )
    .await;
    let slug = article["slug"].as_str().unwrap().to_string();
    let mut b = Client::new(desk.addr(1));
    until_found(&mut b, "xilografado", |s| s.contains(&slug)).await;
}

/// `/healthz`'s `wal_archiver` as one server reports it.
async fn archiver(addr: std::net::SocketAddr) -> Value {
    let r = Client::new(addr).get("/healthz").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.json());
    r.json()["wal_archiver"].clone()
}

/// Polls `/healthz` until `want(wal_archiver)`, for up to 20 s.
async fn until_archiver(addr: std::net::SocketAddr, want: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let a = archiver(addr).await;
        if want(&a) {
            return a;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the archiver never got there: {a}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_reports_postgresqls_wal_archiving() {
    let Ok(data) = std::env::var("PORTAL_TEST_POSTGRES_DATA") else {
        eprintln!("skipped: PORTAL_TEST_POSTGRES_DATA names no server to restart");
        return;
    };
    let Some(desk) = Desk::start(1).await else {
        return;
    };
    let addr = desk.addr(0);
    let off = archiver(addr).await;
    assert_eq!(off["mode"], "off", "{off}");
    assert_eq!(off["stale"], true, "no archiving is a stale backup: {off}");

    // Archiving into a directory beside the cluster (the server's user makes it), as an operator sets
    // it up for pgBackRest or pg_basebackup.
    let archive = Path::new(&data).parent().unwrap().join("wal-archive");
    let mut db = desk.db().await;
    let set = |command: String| {
        format!(
            "ALTER SYSTEM SET archive_command = '{}'",
            command.replace('\'', "''")
        )
    };
    db.execute("ALTER SYSTEM SET archive_mode = 'on'")
        .await
        .unwrap();
    db.execute(
        set(format!(
            "mkdir -p {0} && test ! -f {0}/%f && cp %p {0}/%f",
            archive.display()
        ))
        .as_str(),
    )
    .await
    .unwrap();
    drop(db);
    restart_postgres().unwrap();
    let switch_wal = || async {
        let mut db = desk.db().await;
        db.execute(
            "CREATE TABLE IF NOT EXISTS wal_probe (n BIGINT); INSERT INTO wal_probe VALUES (1)",
        )
        .await
        .unwrap();
        db.execute("SELECT pg_switch_wal()").await.unwrap();
    };
    switch_wal().await;
    let on = until_archiver(addr, |a| a["archived_count"].as_i64() >= Some(1)).await;
    assert_eq!(on["mode"], "on", "{on}");
    assert_eq!(on["stale"], false, "{on}");
    assert!(
        on["last_archived_wal"].is_string() && on["last_archived_at"].is_string(),
        "{on}"
    );

    // A failing archive command makes it stale (a reload is enough for the command).
    let mut db = desk.db().await;
    db.execute(set("false".into()).as_str()).await.unwrap();
    db.execute("SELECT pg_reload_conf()").await.unwrap();
    drop(db);
    tokio::time::sleep(Duration::from_millis(300)).await;
    switch_wal().await;
    let failing = until_archiver(addr, |a| a["failed_count"].as_i64() >= Some(1)).await;
    assert_eq!(failing["stale"], true, "{failing}");
    assert!(failing["last_failed_wal"].is_string(), "{failing}");

    // As it was, for the tests after this one.
    let mut db = desk.db().await;
    db.execute("ALTER SYSTEM RESET archive_mode").await.unwrap();
    db.execute("ALTER SYSTEM RESET archive_command")
        .await
        .unwrap();
    drop(db);
    restart_postgres().unwrap();
    let _ = std::fs::remove_dir_all(&archive);
}
