//! Durable write benchmark (`cargo xtask bench writes`): ticket creations per second that the real
//! `portal-api` process sustains with the durability it ships with (SQLite WAL, `synchronous=FULL`: every
//! acknowledged creation is on disk), from N concurrent clients, each on its own keep-alive connection,
//! opening tickets with `Idempotency-Key` as the portal does.
//!
//! `cargo run --release -p portal-api --example bench_writes -- [--bin PATH] [--clients 1,8,32]
//! [--seconds 5] [--dir DIR] [--db postgres://... [--instances N]]`. The server binary defaults to
//! `target/release/portal-api` (build it first); the database is created in a temporary directory below DIR
//! (the system's by default: measure on the disk the database will live on, as fsync's cost is the disk's).
//! `--db` names an empty PostgreSQL database instead (`cargo xtask bench writes --postgres` makes one), and
//! `--instances` starts that many servers on it, the clients spread over them as a load balancer would.

#[path = "../tests/support/http.rs"]
mod http;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use http::{Client, Server, percentile};
use serde_json::json;

const CLIENTS: &[&str] = &[
    "ana@mercadobompreco.demo",
    "rui@mercadobompreco.demo",
    "bruno@petfeliz.demo",
];

struct Run {
    ok: usize,
    failed: usize,
    first_failure: Option<String>,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

/// `clients` concurrent clients opening tickets for `duration`.
async fn run(
    addrs: &[std::net::SocketAddr],
    cookies: &[String],
    clients: usize,
    duration: Duration,
    label: &str,
) -> Run {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let mut http = Client::with_cookie(addrs[c % addrs.len()], &cookies[c % cookies.len()]);
            let label = format!("{label}c{c}");
            tokio::spawn(async move {
                let (mut ok, mut failed, mut first_failure) = (0, 0, None);
                let mut latencies = Vec::new();
                let mut n = 0u64;
                while Instant::now() < deadline {
                    n += 1;
                    let key = format!("bench-{label}-{n}");
                    let body = json!({
                        "subject": format!("Benchmark ticket {label} {n}"),
                        "description": "The card machine at checkout 3 **declines every card** since this morning.\n\n- restarted it\n- checked the cable",
                        "priority": "normal",
                    });
                    let sent = Instant::now();
                    let answer = http
                        .request("POST", "/api/v1/tickets", &[("Idempotency-Key", &key)], Some(&body))
                        .await;
                    latencies.push(sent.elapsed());
                    match answer {
                        Ok(r) if r.status == 201 => ok += 1,
                        Ok(r) => {
                            failed += 1;
                            first_failure.get_or_insert_with(|| format!("{} {}", r.status, r.json()));
                        }
                        Err(e) => {
                            failed += 1;
                            first_failure.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
                (ok, failed, first_failure, latencies)
            })
        })
        .collect();
    let mut total = Run {
        ok: 0,
        failed: 0,
        first_failure: None,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        let (ok, failed, first, latencies) = t.await.expect("a client");
        total.ok += ok;
        total.failed += failed;
        if total.first_failure.is_none() {
            total.first_failure = first;
        }
        total.latencies.extend(latencies);
    }
    total.elapsed = started.elapsed();
    total.latencies.sort();
    total
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

// One thread for the load: the server gets the rest of the machine.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let bin = value("--bin").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/portal-api")
    });
    let clients: Vec<usize> = value("--clients")
        .unwrap_or_else(|| "1,8,32".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .filter(|n| *n > 0)
        .collect();
    let seconds: f64 = value("--seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    if !bin.is_file() {
        eprintln!(
            "no server binary at {}: build it with `cargo build --release -p portal-api`, or pass --bin",
            bin.display()
        );
        std::process::exit(2);
    }
    let dir = match value("--dir") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("a temporary directory");
    let instances: usize = value("--instances")
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let postgres = value("--db");
    let db = match &postgres {
        Some(url) => PathBuf::from(url),
        None => dir.path().join("portal.db"),
    };
    if postgres.is_none() && instances > 1 {
        eprintln!("--instances wants a PostgreSQL --db: one server owns a SQLite database");
        std::process::exit(2);
    }
    let data = dir.path().join("data");
    let data_arg = data.to_string_lossy().into_owned();
    let mut servers = Vec::new();
    for i in 0..instances {
        let log = dir.path().join(format!("server-{i}.log"));
        servers.push(Server::start_with(&bin, &db, &log, &["--data-dir", &data_arg]).await);
    }
    let addrs: Vec<_> = servers.iter().map(|s| s.addr).collect();
    let mut cookies = Vec::new();
    for email in CLIENTS {
        let mut c = Client::new(addrs[0]);
        c.login(email).await.expect("signing in");
        cookies.push(c.cookie.expect("a cookie"));
    }
    let durability = match &postgres {
        Some(_) => format!(
            "PostgreSQL (synchronous_commit on), {instances} server{}",
            if instances == 1 { "" } else { "s" }
        ),
        None => format!(
            "SQLite WAL, synchronous=FULL; database in {}",
            dir.path().display()
        ),
    };
    println!(
        "durable ticket creations (POST /api/v1/tickets with Idempotency-Key, 201 after the commit), \
         {} on {addrs:?}\n{durability}\n",
        bin.display(),
    );
    // Warm up: caches, the connection pool, the WAL.
    run(&addrs, &cookies, 4, Duration::from_millis(500), "warm").await;

    println!(
        "{:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "clients", "created", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"
    );
    let mut failures = Vec::new();
    for &n in &clients {
        let r = run(
            &addrs,
            &cookies,
            n,
            Duration::from_secs_f64(seconds),
            &format!("n{n}"),
        )
        .await;
        println!(
            "{:>8} {:>10} {:>10.0} {:>10} {:>10} {:>10} {:>10} {:>8}",
            n,
            r.ok,
            r.ok as f64 / r.elapsed.as_secs_f64(),
            ms(percentile(&r.latencies, 50.0)),
            ms(percentile(&r.latencies, 95.0)),
            ms(percentile(&r.latencies, 99.0)),
            ms(r.latencies.last().copied().unwrap_or_default()),
            r.failed
        );
        if let Some(f) = r.first_failure {
            failures.push(format!("{n} clients: {} failed, the first: {f}", r.failed));
        }
    }
    drop(servers);
    if !failures.is_empty() {
        eprintln!("\nFAILED REQUESTS:\n{}", failures.join("\n"));
        std::process::exit(1);
    }
}
