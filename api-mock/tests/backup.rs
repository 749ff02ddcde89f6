//! Verified backups and restore: snapshots under concurrent writes, the manifest, rotation, a database
//! corrupted on purpose, restore and its lock, and the server's refusal to start on a corrupt database.

mod common;

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Output, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use api_types::BackupStatus;
use portal_api::{
    backup::{self, BackupError, Checks, Manifest, Snapshot},
    db,
};
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

const BIN: &str = env!("CARGO_BIN_EXE_portal-api");

/// A realistic text of about `len` bytes.
fn text(seed: u64, len: usize) -> String {
    const WORDS: &[&str] = &[
        "nota",
        "fiscal",
        "emissão",
        "caixa",
        "sangria",
        "impressora",
        "cupom",
        "estoque",
        "produto",
        "cadastro",
        "preço",
        "promoção",
        "balança",
        "etiqueta",
        "sistema",
        "travou",
        "erro",
        "ao",
        "fechar",
        "o",
        "dia",
        "não",
        "consigo",
        "abrir",
        "relatório",
        "venda",
        "cliente",
        "senha",
    ];
    let mut s = String::with_capacity(len + 16);
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    while s.len() < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s.push_str(WORDS[(x >> 33) as usize % WORDS.len()]);
        s.push(' ');
    }
    s
}

/// A real portal database (migrated) with `rows` ticket-like rows in a table of its own.
async fn make_db(path: &Path, rows: u64) -> SqlitePool {
    let pool = db::open(path).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS bench_tickets (
            id INTEGER PRIMARY KEY,
            requester_id INTEGER NOT NULL,
            subject TEXT NOT NULL,
            description TEXT NOT NULL,
            status TEXT NOT NULL,
            priority TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS bench_tickets_status ON bench_tickets (status, updated_at);
        CREATE INDEX IF NOT EXISTS bench_tickets_requester ON bench_tickets (requester_id, created_at);",
    )
    .execute(&pool)
    .await
    .unwrap();
    insert_rows(&pool, 0, rows).await;
    pool
}

async fn insert_rows(pool: &SqlitePool, from: u64, n: u64) {
    const STATUSES: [&str; 4] = ["open", "pending", "resolved", "closed"];
    const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
    let mut tx = pool.begin().await.unwrap();
    for i in from..from + n {
        portal_api::db::sql::query(
            "INSERT INTO bench_tickets (requester_id, subject, description, status, priority, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind((i % 500) as i64)
        .bind(text(i, 60))
        .bind(text(i + 7, 400 + (i % 800) as usize))
        .bind(STATUSES[(i % 4) as usize])
        .bind(PRIORITIES[(i % 4) as usize])
        .bind(1_700_000_000_000 + i as i64 * 60_000)
        .bind(1_700_000_000_000 + i as i64 * 61_000)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Closes the pool, folding the WAL into the main file, so the file alone is the whole database.
async fn close(pool: SqlitePool) {
    portal_api::db::sql::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

async fn count(path: &Path) -> i64 {
    let pool = db::open(path).await.unwrap();
    let n: i64 = portal_api::db::sql::query_scalar("SELECT count(*) FROM bench_tickets")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

fn sha256(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

/// Scribbles over b-tree pages in the middle of a (checkpointed, closed) database file, as a crash or a bad
/// disk would, and makes sure SQLite sees the damage.
async fn corrupt(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65_536,
        n => n as usize,
    };
    let pages = bytes.len() / page_size;
    assert!(
        pages > 20,
        "the database is too small to corrupt: {pages} pages"
    );
    for page in pages / 2..pages / 2 + 4 {
        let start = page * page_size;
        for (i, b) in bytes[start..start + page_size].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37) ^ 0xa5;
        }
    }
    std::fs::write(path, bytes).unwrap();
    let problems = backup::check_database(path, true).await.unwrap();
    assert!(!problems.is_empty(), "SQLite did not notice the corruption");
}

fn manifest(dir: &Path) -> Manifest {
    backup::load_manifest(dir).unwrap()
}

fn good(m: &Manifest) -> Vec<&Snapshot> {
    m.snapshots
        .iter()
        .filter(|s| s.status == BackupStatus::Good)
        .collect()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("PORTAL_DB")
        .env_remove("PORTAL_BACKUP_DIR")
        .output()
        .unwrap()
}

fn text_of(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A `portal-api serve` child, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(db: &Path, extra: &[&str]) -> Server {
    let port = free_port();
    let child = Command::new(BIN)
        .arg("serve")
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .arg("--db")
        .arg(db)
        .args(extra)
        .env_remove("PORTAL_DB")
        .env_remove("PORTAL_BACKUP_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "the server exited"
        );
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

fn get_json(port: u16, path: &str) -> serde_json::Value {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_taken_while_writes_continue_is_consistent_and_verified() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, dir) = (tmp.path().join("portal.db"), tmp.path().join("backups"));
    let pool = make_db(&path, 2_000).await;

    // Writers keep committing, one row per transaction, for the whole backup.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (pool, stop, written) = (pool.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut i = 1_000_000;
            while !stop.load(Ordering::Relaxed) {
                insert_rows(&pool, i, 1).await;
                written.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        })
    };
    while written.load(Ordering::Relaxed) < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let report = backup::backup(&path, None, &dir, 5).await.unwrap();
    let during = written.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    assert!(during > 20, "writes went on during the backup");

    let s = &report.snapshot;
    assert_eq!(s.status, BackupStatus::Good, "{:?}", s.checks);
    assert_eq!(s.checks.source_integrity, "ok");
    assert_eq!(s.checks.snapshot_integrity, "ok");
    assert_eq!(s.checks.row_counts, "match");
    eprintln!("consistency under writes: {}", s.checks.consistency);
    let rows = s.row_counts["bench_tickets"];
    assert!(rows >= 2_020, "{rows}");
    assert!(s.row_counts.contains_key("_sqlx_migrations"));
    // The file is what the manifest says, one self-contained read-only file named with its UTC time.
    assert_eq!(sha256(&report.path), s.sha256);
    assert_eq!(std::fs::metadata(&report.path).unwrap().len(), s.size_bytes);
    assert!(
        std::fs::metadata(&report.path)
            .unwrap()
            .permissions()
            .readonly()
    );
    assert!(!dir.join(format!("{}-wal", s.file)).exists());
    let name = &s.file;
    assert!(
        name.starts_with("portal-") && name.ends_with("Z.db") && name.contains('T'),
        "{name}"
    );
    assert_eq!(count(&report.path).await, rows);
    assert_eq!(manifest(&dir).snapshots, vec![s.clone()]);
    assert!(manifest(&dir).last_attempt.unwrap().ok);

    // With no writer, the counts and the copy agree without holding writers back.
    close(pool).await;
    let quiet = backup::backup(&path, None, &dir, 5).await.unwrap();
    assert_eq!(
        quiet.snapshot.checks.consistency,
        "no write committed during the copy"
    );
    assert_eq!(
        quiet.snapshot.row_counts["bench_tickets"],
        count(&path).await
    );
}

fn entry(file: &str, minute: u32, status: BackupStatus) -> Snapshot {
    Snapshot {
        file: file.into(),
        created_at: format!("2026-11-23T10:{minute:02}:00Z").parse().unwrap(),
        status,
        source: "portal.db".into(),
        checks: Checks {
            source_integrity: "ok".into(),
            snapshot_integrity: "ok".into(),
            row_counts: "match".into(),
            consistency: "test".into(),
            attachments: backup::NOT_INCLUDED.into(),
        },
        row_counts: Default::default(),
        sha256: String::new(),
        size_bytes: 0,
        duration_ms: 0,
        files: None,
    }
}

#[test]
fn rotation_keeps_the_newest_good_and_every_suspect() {
    use BackupStatus::{Good, Suspect};
    let mut m = Manifest {
        snapshots: vec![
            entry("g1", 1, Good),
            entry("s2", 2, Suspect),
            entry("g3", 3, Good),
            entry("g5", 5, Good),
            entry("g4", 4, Good),
            entry("s6", 6, Suspect),
        ],
        ..Manifest::default()
    };
    assert_eq!(m.rotate(2), vec!["g1".to_string(), "g3".to_string()]);
    let left: Vec<_> = m.snapshots.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(left, ["s2", "g5", "g4", "s6"]);
    // Keeping zero still keeps the newest good one.
    assert_eq!(m.rotate(0), vec!["g4".to_string()]);
    assert_eq!(m.newest_good().unwrap().file, "g5");
    // Suspects alone are never rotated away.
    let mut suspects = Manifest {
        snapshots: vec![entry("s1", 1, Suspect), entry("s2", 2, Suspect)],
        ..Manifest::default()
    };
    assert!(suspects.rotate(1).is_empty());
    assert_eq!(suspects.snapshots.len(), 2);
}

#[tokio::test]
async fn the_manifest_records_every_snapshot_and_rotation_keeps_n() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, dir) = (tmp.path().join("portal.db"), tmp.path().join("backups"));
    let pool = make_db(&path, 300).await;
    let mut made = Vec::new();
    for i in 0..5 {
        insert_rows(&pool, 10_000 + i, 1).await;
        let r = backup::backup(&path, None, &dir, 3).await.unwrap();
        made.push(r.snapshot.file.clone());
        assert_eq!(r.snapshot.row_counts["bench_tickets"], 301 + i as i64);
        if i >= 3 {
            assert_eq!(r.deleted, vec![made[i as usize - 3].clone()]);
        }
    }
    close(pool).await;
    let names: std::collections::BTreeSet<_> = made.iter().collect();
    assert_eq!(names.len(), 5, "names are unique even within one second");

    let m = manifest(&dir);
    let kept: Vec<_> = m.snapshots.iter().map(|s| s.file.clone()).collect();
    assert_eq!(kept, made[2..].to_vec());
    assert_eq!(m.newest_good().unwrap().file, made[4]);
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".db"))
        .collect();
    on_disk.sort();
    let mut expected = made[2..].to_vec();
    expected.sort();
    assert_eq!(on_disk, expected);
    for s in &m.snapshots {
        assert_eq!(sha256(&dir.join(&s.file)), s.sha256);
    }
    // The manifest is plain JSON with every check of every snapshot.
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let first = &raw["snapshots"][0];
    for field in [
        "file",
        "created_at",
        "status",
        "checks",
        "row_counts",
        "sha256",
        "size_bytes",
        "duration_ms",
    ] {
        assert!(!first[field].is_null(), "{field} in {first}");
    }
    assert_eq!(first["status"], "good");
    assert!(!dir.join("manifest.json.tmp").exists());
}

#[tokio::test]
async fn a_corrupt_database_fails_loudly_keeps_a_suspect_and_loses_no_good_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, dir) = (tmp.path().join("portal.db"), tmp.path().join("backups"));
    let pool = make_db(&path, 3_000).await;
    sqlx::raw_sql("VACUUM").execute(&pool).await.unwrap();
    close(pool).await;
    let first = backup::backup(&path, None, &dir, 2).await.unwrap();
    let second = backup::backup(&path, None, &dir, 2).await.unwrap();
    let goods: Vec<(String, String)> = [&first, &second]
        .iter()
        .map(|r| (r.snapshot.file.clone(), r.snapshot.sha256.clone()))
        .collect();

    corrupt(&path).await;

    // keep = 1 would rotate a good snapshot away if a bad run counted: it must not.
    let err = backup::backup(&path, None, &dir, 1).await.unwrap_err();
    let BackupError::SourceCorrupt { snapshot, .. } = &err else {
        panic!("expected a corrupt source, got {err}");
    };
    assert!(err.to_string().contains("FAILED"), "{err}");
    assert!(
        Path::new(snapshot).is_file(),
        "the suspect snapshot is kept"
    );
    let m = manifest(&dir);
    assert_eq!(good(&m).len(), 2);
    for (file, sum) in &goods {
        assert_eq!(&sha256(&dir.join(file)), sum, "{file} is intact");
    }
    let suspect = m.snapshots.last().unwrap();
    assert_eq!(suspect.status, BackupStatus::Suspect);
    assert_ne!(suspect.checks.source_integrity, "ok");
    eprintln!("suspect snapshot: {:?}", suspect.checks);
    assert!(dir.join(&suspect.file).is_file());
    let attempt = m.last_attempt.clone().unwrap();
    assert!(!attempt.ok && attempt.error.unwrap().contains("FAILED"));
    assert_eq!(
        backup::newest_good_snapshot(&dir).unwrap(),
        dir.join(&goods[1].0)
    );

    // The command line: a non-zero exit and a loud message; again nothing good is lost, and the
    // earlier suspect snapshot stays.
    let out = run(&[
        "backup",
        "--db",
        path.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
        "--keep",
        "1",
    ]);
    assert!(!out.status.success());
    assert!(text_of(&out).contains("BACKUP FAILED"), "{}", text_of(&out));
    let m = manifest(&dir);
    assert_eq!(good(&m).len(), 2);
    assert_eq!(
        m.snapshots
            .iter()
            .filter(|s| s.status == BackupStatus::Suspect)
            .count(),
        2
    );
    for (file, sum) in &goods {
        assert_eq!(&sha256(&dir.join(file)), sum);
    }

    // A good run afterwards (from a restored database) rotates good snapshots only.
    backup::restore(&dir.join(&goods[1].0), &path, None)
        .await
        .unwrap();
    let after = backup::backup(&path, None, &dir, 1).await.unwrap();
    assert_eq!(after.deleted.len(), 2);
    let m = manifest(&dir);
    assert_eq!(good(&m).len(), 1);
    assert_eq!(m.snapshots.len(), 3, "both suspects stay: {m:?}");
}

#[tokio::test]
async fn restore_verifies_keeps_the_replaced_database_and_refuses_while_a_server_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, dir) = (tmp.path().join("portal.db"), tmp.path().join("backups"));
    let pool = make_db(&path, 500).await;
    close(pool).await;
    let snap = backup::backup(&path, None, &dir, 5).await.unwrap().path;
    let pool = db::open(&path).await.unwrap();
    insert_rows(&pool, 5_000, 30).await;

    // A lock holder (a running server) makes restore refuse.
    let held = backup::lock_database(&path).unwrap();
    let err = backup::restore(&snap, &path, None).await.unwrap_err();
    assert!(matches!(err, BackupError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("a server holds the database"));
    drop(held);
    pool.close().await;
    assert_eq!(count(&path).await, 530);

    // A snapshot whose checksum no longer matches the manifest is refused.
    let manifest_path = dir.join("manifest.json");
    let original = std::fs::read_to_string(&manifest_path).unwrap();
    let m = manifest(&dir);
    std::fs::write(
        &manifest_path,
        original.replace(&m.snapshots[0].sha256, &"0".repeat(64)),
    )
    .unwrap();
    let err = backup::restore(&snap, &path, None).await.unwrap_err();
    assert!(
        err.to_string().contains("differs from the manifest"),
        "{err}"
    );
    std::fs::write(&manifest_path, original).unwrap();
    // So is a file that is not a sound database.
    let junk = tmp.path().join("junk.db");
    std::fs::write(&junk, vec![7u8; 8192]).unwrap();
    assert!(backup::restore(&junk, &path, None).await.is_err());
    assert_eq!(count(&path).await, 530, "nothing was replaced");

    let report = backup::restore(&snap, &path, None).await.unwrap();
    assert!(report.manifest_checked);
    assert_eq!(count(&path).await, 500);
    let aside = report.replaced.unwrap();
    assert!(
        aside
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("portal.db.replaced-")
    );
    assert_eq!(count(&aside).await, 530, "the replaced database is whole");
    assert!(!std::fs::metadata(&path).unwrap().permissions().readonly());
    assert_eq!(sha256(&snap), report.sha256, "the snapshot is untouched");

    // The command line, with a real server holding the database.
    let server = serve(&path, &[]);
    let args = [
        "restore",
        "--from",
        snap.to_str().unwrap(),
        "--db",
        path.to_str().unwrap(),
    ];
    let out = run(&args);
    assert!(!out.status.success());
    assert!(
        text_of(&out).contains("a server holds the database"),
        "{}",
        text_of(&out)
    );
    drop(server);
    let out = run(&args);
    assert!(out.status.success(), "{}", text_of(&out));
    assert!(text_of(&out).contains("kept as"), "{}", text_of(&out));
}

#[tokio::test]
async fn serve_refuses_a_corrupt_database_and_prints_the_restore_command() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, dir) = (tmp.path().join("portal.db"), tmp.path().join("backups"));
    let pool = make_db(&path, 3_000).await;
    sqlx::raw_sql("VACUUM").execute(&pool).await.unwrap();
    close(pool).await;
    let snap = backup::backup(&path, None, &dir, 5).await.unwrap().path;
    corrupt(&path).await;

    let port = free_port().to_string();
    let addr = format!("127.0.0.1:{port}");
    let out = run(&[
        "serve",
        "--addr",
        &addr,
        "--db",
        path.to_str().unwrap(),
        "--backup-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let said = text_of(&out);
    assert!(said.contains("CORRUPT"), "{said}");
    let command = format!(
        "portal-api restore --from {} --db {}",
        snap.display(),
        path.display()
    );
    assert!(said.contains(&command), "{said}");

    // Following the advice works, and the server starts and reports the backup.
    let out = run(&[
        "restore",
        "--from",
        snap.to_str().unwrap(),
        "--db",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text_of(&out));
    let server = serve(&path, &["--backup-dir", dir.to_str().unwrap()]);
    let health = get_json(server.port, "/healthz");
    assert_eq!(health["status"], "ok");
    let last = &health["last_backup"];
    assert_eq!(
        last["file"],
        snap.file_name().unwrap().to_str().unwrap(),
        "{health}"
    );
    assert_eq!(last["stale"], false, "{health}");
    assert!(last["age_seconds"].as_i64().unwrap() >= 0);
}

#[tokio::test]
async fn serve_backs_up_on_a_schedule_and_healthz_reports_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, dir) = (tmp.path().join("portal.db"), tmp.path().join("backups"));
    close(make_db(&path, 200).await).await;
    let server = serve(
        &path,
        &[
            "--backup-dir",
            dir.to_str().unwrap(),
            "--backup-every",
            "1s",
            "--backup-keep",
            "2",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let m = backup::load_manifest(&dir).unwrap_or_default();
        if m.snapshots.len() >= 2 && m.last_attempt.as_ref().is_some_and(|a| a.ok) {
            break;
        }
        assert!(Instant::now() < deadline, "no scheduled backups: {m:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let health = get_json(server.port, "/healthz");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["last_backup"]["stale"], false, "{health}");
    assert!(
        health["last_backup"]["file"]
            .as_str()
            .unwrap()
            .starts_with("portal-")
    );
    // A few more rounds: rotation keeps two good snapshots.
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(server);
    let m = manifest(&dir);
    assert_eq!(good(&m).len(), 2, "{m:?}");
}

#[tokio::test]
async fn staff_see_the_backups_and_healthz_warns_when_they_are_stale() {
    use axum::http::{Method, StatusCode};
    let tmp = tempfile::tempdir().unwrap();
    let (path, dir) = (tmp.path().join("portal.db"), tmp.path().join("backups"));
    close(make_db(&path, 50).await).await;
    let made = backup::backup(&path, None, &dir, 3).await.unwrap();
    let app = common::TestApp::with_config(portal_api::Config {
        backup: Some(backup::Schedule {
            dir: dir.clone(),
            every: Duration::from_secs(3600),
            keep: 3,
        }),
        ..Default::default()
    })
    .await;
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "ok");
    assert_eq!(
        health.body["last_backup"]["file"],
        made.snapshot.file.as_str()
    );
    assert_eq!(health.body["last_backup"]["stale"], false);

    let url = "/api/v1/admin/backups";
    assert_eq!(
        app.call(Method::GET, url, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let client = app.session_for(common::MANAGER_A).await;
    assert_eq!(
        app.call(Method::GET, url, Some(&client), None).await.status,
        StatusCode::FORBIDDEN
    );
    let agent = app.session_for(common::AGENT).await;
    let a = app.call(Method::GET, url, Some(&agent), None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["scheduled"], true);
    assert_eq!(a.body["every_seconds"], 3600);
    assert_eq!(a.body["snapshots"][0]["file"], made.snapshot.file.as_str());
    assert_eq!(a.body["snapshots"][0]["status"], "good");
    assert_eq!(
        a.body["snapshots"][0]["rows"],
        made.snapshot.row_counts.values().sum::<i64>()
    );

    // A failed attempt makes the backup stale at once, and staff see why.
    let mut m = manifest(&dir);
    m.last_attempt = Some(backup::Attempt {
        at: chrono::Utc::now(),
        ok: false,
        file: None,
        error: Some("BACKUP FAILED: disk full".into()),
    });
    backup::write_manifest(&dir, &m).unwrap();
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["last_backup"]["stale"], true);
    let a = app.call(Method::GET, url, Some(&agent), None).await;
    assert_eq!(a.body["last_error"], "BACKUP FAILED: disk full");
}

#[test]
fn a_server_without_backups_says_nothing_about_them() {
    let monitor = backup::Monitor::new(None);
    assert!(monitor.last_backup(chrono::Utc::now()).is_none());
    assert!(!monitor.overview(chrono::Utc::now()).scheduled);
}

#[test]
fn a_failed_or_old_backup_is_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let schedule = backup::Schedule {
        dir: tmp.path().to_path_buf(),
        every: Duration::from_secs(3600),
        keep: 3,
    };
    let monitor = backup::Monitor::new(Some(schedule));
    let now = chrono::Utc::now();
    // No backup at all yet.
    assert!(monitor.last_backup(now).unwrap().stale);
    let mut m = Manifest::default();
    let mut s = entry("portal-a.db", 0, BackupStatus::Good);
    s.created_at = now - chrono::Duration::minutes(90);
    m.snapshots.push(s);
    backup::write_manifest(tmp.path(), &m).unwrap();
    let last = monitor.last_backup(now).unwrap();
    assert!(!last.stale);
    assert_eq!(last.age_seconds, Some(5400));
    // Older than twice the interval.
    assert!(
        monitor
            .last_backup(now + chrono::Duration::hours(1))
            .unwrap()
            .stale
    );
    // The last attempt failed.
    m.last_attempt = Some(backup::Attempt {
        at: now,
        ok: false,
        file: None,
        error: Some("BACKUP FAILED".into()),
    });
    backup::write_manifest(tmp.path(), &m).unwrap();
    assert!(monitor.last_backup(now).unwrap().stale);
    let overview = monitor.overview(now);
    assert_eq!(overview.snapshots.len(), 1);
    assert_eq!(overview.last_error.as_deref(), Some("BACKUP FAILED"));
}

/// The figures for the README: back up and restore a database of 100 000 ticket-sized rows.
/// `cargo test --release -p portal-api --test backup -- --ignored --nocapture measure`
#[tokio::test]
#[ignore]
async fn measure_backup_and_restore_of_100k_tickets() {
    let rows: u64 = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir().unwrap();
    let (path, dir) = (tmp.path().join("portal.db"), tmp.path().join("backups"));
    let t = Instant::now();
    let pool = make_db(&path, rows).await;
    close(pool).await;
    let made = t.elapsed();
    let size = std::fs::metadata(&path).unwrap().len();

    let t = Instant::now();
    let report = backup::backup(&path, None, &dir, 3).await.unwrap();
    let backed_up = t.elapsed();

    let t = Instant::now();
    let problems = backup::check_database(&path, false).await.unwrap();
    let quick_check = t.elapsed();
    assert!(problems.is_empty());

    let t = Instant::now();
    backup::restore(&report.path, &path, None).await.unwrap();
    let restored = t.elapsed();
    println!(
        "{rows} rows, {:.1} MiB: generated in {:.1} s; backup (integrity check, copy, verify, sha256) {:.2} s; \
         startup quick_check {:.2} s; restore (verify, copy, fsync) {:.2} s",
        size as f64 / 1_048_576.0,
        made.as_secs_f64(),
        backed_up.as_secs_f64(),
        quick_check.as_secs_f64(),
        restored.as_secs_f64(),
    );
}

// ---------------------------------------------------------------------------------------------------------
// Attachments in backups

fn hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn blob(root: &Path, sha: &str) -> std::path::PathBuf {
    portal_api::attachments::blob_path(root, sha).unwrap()
}

/// An upload as the portal sends it; answers its id.
async fn upload(app: &common::TestApp, cookie: &str, name: &str, bytes: &[u8]) -> i64 {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/attachments")
        .header("cookie", cookie)
        .header("content-type", "application/octet-stream")
        .header("x-file-name", name)
        .body(axum::body::Body::from(bytes.to_vec()))
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body["id"].as_i64().unwrap()
}

async fn download(app: &common::TestApp, cookie: &str, id: i64) -> (u16, Vec<u8>) {
    let req = axum::http::Request::builder()
        .uri(format!("/api/v1/attachments/{id}"))
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, bytes) = app.send_raw(req).await;
    (status.as_u16(), bytes.to_vec())
}

#[tokio::test]
async fn backups_hold_every_attached_file_checked_and_restore_puts_them_back() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let path = data.join("portal.db");
    let dir = tmp.path().join("backups");
    let live = data.join("attachments");
    let config = || portal_api::Config {
        data_dir: Some(data.clone()),
        ..Default::default()
    };
    let app = common::TestApp::on_file(&path, config()).await;
    let rui = app.session_for(common::MEMBER_A).await;
    let screenshot = {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend((0..40_000u32).map(|i| (i * 7 % 251) as u8));
        b
    };
    let invoice = b"<?xml version=\"1.0\"?><NFe><infNFe Id=\"NFe3526\"/></NFe>".to_vec();
    let a = upload(&app, &rui, "Rejei%C3%A7%C3%A3o%20539.png", &screenshot).await;
    let b = upload(&app, &rui, "nota.xml", &invoice).await;
    let t = app
        .call(
            axum::http::Method::POST,
            "/api/v1/tickets",
            Some(&rui),
            Some(serde_json::json!({"subject": "Rejeição 539", "description": "Segue a tela e o XML.", "attachments": [a, b]})),
        )
        .await;
    assert_eq!(t.status, 201, "{}", t.body);
    // A draft's upload, not attached to anything yet.
    let draft = upload(&app, &rui, "rascunho.txt", b"ainda escrevendo").await;
    let (sha_a, sha_b) = (hex(&screenshot), hex(&invoice));

    // The snapshot lists both attached files with their checksums, and the backup holds them.
    let first = backup::backup(&path, Some(&live), &dir, 3).await.unwrap();
    let s = &first.snapshot;
    assert_eq!(s.status, BackupStatus::Good);
    assert_eq!(s.checks.attachments, "ok");
    let files = s.files.clone().expect("the snapshot records its files");
    assert_eq!(files.count, 2);
    assert_eq!(files.bytes, (screenshot.len() + invoice.len()) as u64);
    let list_bytes = std::fs::read(dir.join(&files.list)).unwrap();
    assert_eq!(hex(&list_bytes), files.list_sha256);
    let list: serde_json::Value = serde_json::from_slice(&list_bytes).unwrap();
    let listed: Vec<&str> = list["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["sha256"].as_str().unwrap())
        .collect();
    let mut expected = vec![sha_a.as_str(), sha_b.as_str()];
    expected.sort();
    assert_eq!(listed, expected, "only attached files, each once");
    let backed = dir.join(backup::FILES_DIR);
    assert_eq!(std::fs::read(blob(&backed, &sha_a)).unwrap(), screenshot);
    assert_eq!(std::fs::read(blob(&backed, &sha_b)).unwrap(), invoice);
    assert_eq!(manifest(&dir).snapshots[0].files, Some(files));

    // A damaged copy in the backup is noticed and copied again from the live store.
    std::fs::write(blob(&backed, &sha_a), b"bit rot").unwrap();
    let second = backup::backup(&path, Some(&live), &dir, 3).await.unwrap();
    assert_eq!(second.snapshot.status, BackupStatus::Good);
    assert_eq!(std::fs::read(blob(&backed, &sha_a)).unwrap(), screenshot);

    // A file missing from the live store makes the snapshot suspect, loudly, and rotates nothing away.
    let live_b = blob(&live, &sha_b);
    std::fs::rename(&live_b, tmp.path().join("aside")).unwrap();
    std::fs::remove_file(blob(&backed, &sha_b)).unwrap();
    let err = backup::backup(&path, Some(&live), &dir, 1)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackupError::SnapshotSuspect { detail, .. } if detail.contains(&sha_b) && detail.contains("missing")),
        "{err}"
    );
    assert_eq!(
        good(&manifest(&dir)).len(),
        2,
        "nothing rotated on a failed backup"
    );
    std::fs::rename(tmp.path().join("aside"), &live_b).unwrap();

    // Rotation to one snapshot removes the backed-up files no snapshot needs, and only those.
    let stray = "ab".repeat(32);
    std::fs::create_dir_all(blob(&backed, &stray).parent().unwrap()).unwrap();
    std::fs::write(blob(&backed, &stray), b"left over").unwrap();
    let third = backup::backup(&path, Some(&live), &dir, 1).await.unwrap();
    assert_eq!(third.snapshot.status, BackupStatus::Good);
    assert_eq!(third.deleted.len(), 2);
    for f in &third.deleted {
        assert!(
            !dir.join(format!("{f}.files.json")).exists(),
            "{f}'s list goes with it"
        );
    }
    // The suspect snapshot's list is kept (it is evidence), so what it names stays too.
    assert!(blob(&backed, &sha_a).is_file() && blob(&backed, &sha_b).is_file());
    assert!(!blob(&backed, &stray).exists());

    // Restore into a new machine's empty data directory: database and files come back together.
    let ticket = t.body["id"].as_i64().unwrap();
    drop(app);
    let new_data = tmp.path().join("new");
    let new_db = new_data.join("portal.db");
    let report = backup::restore(&third.path, &new_db, Some(&new_data.join("attachments")))
        .await
        .unwrap();
    assert_eq!((report.files_restored, report.files_present), (2, 0));
    assert_eq!(
        report.uploads_dropped, 1,
        "the draft's upload was not backed up"
    );
    let restored = common::TestApp::on_file(
        &new_db,
        portal_api::Config {
            data_dir: Some(new_data.clone()),
            ..Default::default()
        },
    )
    .await;
    let rui = restored.session_for(common::MEMBER_A).await;
    let seen = restored
        .call(
            axum::http::Method::GET,
            &format!("/api/v1/tickets/{ticket}"),
            Some(&rui),
            None,
        )
        .await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["attachments"].as_array().unwrap().len(), 2);
    assert_eq!(
        download(&restored, &rui, a).await,
        (200, screenshot.clone())
    );
    assert_eq!(download(&restored, &rui, b).await, (200, invoice.clone()));
    assert_eq!(download(&restored, &rui, draft).await.0, 404);
    drop(restored);

    // A restore whose files are not all in the backup replaces nothing.
    std::fs::write(blob(&backed, &sha_b), b"tampered").unwrap();
    let other = tmp.path().join("other");
    let err = backup::restore(
        &third.path,
        &other.join("portal.db"),
        Some(&other.join("attachments")),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains(&sha_b) && err.to_string().contains("nothing was replaced"),
        "{err}"
    );
    assert!(!other.join("portal.db").exists());
    assert!(
        !blob(&other.join("attachments"), &sha_a).exists(),
        "no file half-restored"
    );
}

/// `cargo xtask bench backup`: the backup and restore times of a database whose tickets hold
/// `BENCH_ATTACHMENT_MB` (1024 by default) of attachments, 1 MiB each: the first backup copies and hashes
/// them all, the next one only checks them again, and a restore into an empty data directory copies,
/// checks and moves them into place.
#[tokio::test]
#[ignore = "a measurement: cargo xtask bench backup"]
async fn measure_backup_and_restore_of_1_gib_of_attachments() {
    let megabytes: usize = std::env::var("BENCH_ATTACHMENT_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let path = data.join("portal.db");
    let live = data.join("attachments");
    let dir = tmp.path().join("backups");
    let app = common::TestApp::on_file(
        &path,
        portal_api::Config {
            data_dir: Some(data.clone()),
            ..Default::default()
        },
    )
    .await;
    let (ticket, requester): (i64, i64) =
        portal_api::db::sql::query_as("SELECT id, requester_id FROM tickets ORDER BY id LIMIT 1")
            .fetch_one(&app.repo.pool)
            .await
            .unwrap();
    let t = Instant::now();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..megabytes {
        let bytes: Vec<u8> = (0..(1 << 20) / 8)
            .flat_map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()
            })
            .collect();
        let sha = hex(&bytes);
        app.state
            .attachments
            .store
            .put(&sha, bytes.into())
            .await
            .unwrap();
        portal_api::db::sql::query(
            "INSERT INTO attachments (sha256, name, content_type, size, uploader_id, ticket_id, created_at, attached_at)
             VALUES (?, ?, 'image/png', ?, ?, ?, 0, 0)",
        )
        .bind(&sha)
        .bind(format!("tela-{i}.png"))
        .bind(1i64 << 20)
        .bind(requester)
        .bind(ticket)
        .execute(&app.repo.pool)
        .await
        .unwrap();
    }
    let made = t.elapsed();
    drop(app);

    let t = Instant::now();
    let first = backup::backup(&path, Some(&live), &dir, 3).await.unwrap();
    let first_time = t.elapsed();
    assert_eq!(
        first.snapshot.files.as_ref().unwrap().count,
        megabytes as u64
    );
    let t = Instant::now();
    let second = backup::backup(&path, Some(&live), &dir, 3).await.unwrap();
    let second_time = t.elapsed();
    assert_eq!(second.snapshot.status, BackupStatus::Good);
    let new_data = tmp.path().join("restored");
    let t = Instant::now();
    let report = backup::restore(
        &second.path,
        &new_data.join("portal.db"),
        Some(&new_data.join("attachments")),
    )
    .await
    .unwrap();
    let restored = t.elapsed();
    assert_eq!(report.files_restored, megabytes as u64);
    println!(
        "{megabytes} attachments of 1 MiB ({:.2} GiB), written in {:.1} s; first backup (database + copy and \
         SHA-256 of every file, fsync) {:.2} s; next backup (database + every file checked again) {:.2} s; \
         restore into an empty data directory (copy, check, fsync, move) {:.2} s",
        megabytes as f64 / 1024.0,
        made.as_secs_f64(),
        first_time.as_secs_f64(),
        second_time.as_secs_f64(),
        restored.as_secs_f64(),
    );
}
