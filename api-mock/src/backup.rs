//! Verified backups and restore.
//!
//! A backup is a consistent snapshot of the live database (`VACUUM INTO`, so the server keeps serving), and it
//! only counts once it is verified: the source passed `PRAGMA integrity_check`, the snapshot passed it too, the
//! snapshot has exactly the source's row counts, and its SHA-256 is recorded. `manifest.json` in the backup
//! directory records every snapshot. Rotation deletes only good snapshots beyond the newest `keep`, so the
//! newest good snapshot is never deleted and a suspect one (evidence of a corrupt source) never automatically.
//! A restore verifies the snapshot first, keeps the replaced database aside, and refuses while a server holds
//! the database's lock file.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    path::{Path, PathBuf},
    sync::Mutex,
    time::{Duration, Instant},
};

use api_types::{BackupOverview, BackupSnapshot, BackupStatus, LastBackup};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{
    ConnectOptions, Connection, SqliteConnection,
    sqlite::{SqliteConnectOptions, SqliteJournalMode},
};

/// The manifest's name in a backup directory.
pub const MANIFEST: &str = "manifest.json";
const MANIFEST_FORMAT: u32 = 1;
/// Held while a backup writes into a directory, so two backups never interleave their manifest updates.
const DIR_LOCK: &str = ".backup.lock";
/// A snapshot being made or checked; never counted, removed by the next backup.
const PARTIAL: &str = ".partial";
/// Copies tried without holding writers back before one copy is made with writers held.
const QUIET_ATTEMPTS: usize = 2;
/// Problems kept from an integrity check.
const MAX_PROBLEMS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "the source database {db} FAILED its integrity check: {detail}. The snapshot {snapshot} is kept and marked suspect; no good snapshot was deleted. Restore from the newest good snapshot (portal-api restore) or investigate."
    )]
    SourceCorrupt {
        db: String,
        snapshot: String,
        detail: String,
    },
    #[error(
        "the snapshot {snapshot} FAILED verification: {detail}. It is kept and marked suspect; no good snapshot was deleted."
    )]
    SnapshotSuspect { snapshot: String, detail: String },
    #[error("another backup is running in {0}")]
    Busy(String),
    #[error(
        "a server holds the database {db} (lock file {lock}{holder}); stop it before restoring"
    )]
    Locked {
        db: String,
        lock: String,
        holder: String,
    },
    #[error("{0}")]
    Failed(String),
}

type Result<T, E = BackupError> = std::result::Result<T, E>;

/// Adds what was being done to an error.
trait Context<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: std::fmt::Display> Context<T> for std::result::Result<T, E> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| BackupError::Failed(format!("{}: {e}", what())))
    }
}

// ---------------------------------------------------------------------------------------------------------
// The manifest

/// What was checked before a snapshot was counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checks {
    /// `PRAGMA integrity_check` of the live database just before the copy: `ok` or the problems found.
    pub source_integrity: String,
    /// `PRAGMA integrity_check` of the snapshot.
    pub snapshot_integrity: String,
    /// `match`, or how the snapshot's row counts differ from the source's.
    pub row_counts: String,
    /// How the source's counts and the copy were made to see the same state.
    pub consistency: String,
    /// `ok` when every attachment the snapshot refers to is in the backup with the right SHA-256, the
    /// files missing or damaged otherwise, or `not included` (a backup without the data directory).
    #[serde(default = "not_included")]
    pub attachments: String,
}

fn not_included() -> String {
    NOT_INCLUDED.to_string()
}

/// `Checks::attachments` of a backup made without the attachments (and of manifests older than them).
pub const NOT_INCLUDED: &str = "not included";

/// One snapshot, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The file's name inside the backup directory.
    pub file: String,
    pub created_at: DateTime<Utc>,
    pub status: BackupStatus,
    /// The database it was taken from.
    pub source: String,
    pub checks: Checks,
    /// Rows per table, counted in the snapshot.
    pub row_counts: BTreeMap<String, i64>,
    pub sha256: String,
    pub size_bytes: u64,
    pub duration_ms: u64,
    /// The attachments this snapshot refers to, kept in the backup directory's `attachments/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<FileSet>,
}

/// The attachments of one snapshot: how many, their bytes, and the list (`<snapshot>.files.json`, every
/// file with its SHA-256 and size) with the list's own SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSet {
    pub count: u64,
    pub bytes: u64,
    pub list: String,
    pub list_sha256: String,
}

/// One file of a snapshot's list. Its name in the backup's `attachments/` is its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedFile {
    pub sha256: String,
    pub size: u64,
}

impl Snapshot {
    fn problems(&self) -> Vec<String> {
        let c = &self.checks;
        [
            ("source", &c.source_integrity),
            ("snapshot", &c.snapshot_integrity),
        ]
        .into_iter()
        .filter(|(_, v)| v.as_str() != "ok")
        .map(|(k, v)| format!("{k} integrity: {v}"))
        .chain((c.row_counts != "match").then(|| format!("row counts: {}", c.row_counts)))
        .chain(
            (c.attachments != "ok" && c.attachments != NOT_INCLUDED)
                .then(|| format!("attachments: {}", c.attachments)),
        )
        .collect()
    }
}

/// The last backup attempt, good or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `manifest.json`: every snapshot in the directory, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    #[serde(default)]
    pub snapshots: Vec<Snapshot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt: Option<Attempt>,
}

impl Default for Manifest {
    fn default() -> Self {
        Self {
            format: MANIFEST_FORMAT,
            snapshots: Vec::new(),
            last_attempt: None,
        }
    }
}

impl Manifest {
    /// The newest snapshot that passed every check.
    pub fn newest_good(&self) -> Option<&Snapshot> {
        self.snapshots
            .iter()
            .filter(|s| s.status == BackupStatus::Good)
            .max_by_key(|s| s.created_at)
    }

    /// Drops from the manifest the good snapshots beyond the newest `keep` (at least one is always kept) and
    /// answers their files, to delete. Suspect snapshots are never chosen: they are evidence.
    pub fn rotate(&mut self, keep: usize) -> Vec<String> {
        let mut good: Vec<&Snapshot> = self
            .snapshots
            .iter()
            .filter(|s| s.status == BackupStatus::Good)
            .collect();
        good.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        let doomed: BTreeSet<String> = good
            .into_iter()
            .skip(keep.max(1))
            .map(|s| s.file.clone())
            .collect();
        self.snapshots.retain(|s| !doomed.contains(&s.file));
        doomed.into_iter().collect()
    }
}

/// Reads `DIR/manifest.json`; an absent one is empty. An unreadable one is an error: nothing may be rotated
/// on the word of a manifest that cannot be read.
pub fn load_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).ctx(|| {
            format!(
                "{} cannot be read; move it aside to start a new one (no snapshot was touched)",
                path.display()
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(e).ctx(|| format!("reading {}", path.display())),
    }
}

/// Writes the manifest atomically: a temporary file, fsynced, renamed over the old one, the directory fsynced.
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join(MANIFEST);
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let json = serde_json::to_vec_pretty(manifest).ctx(|| "encoding the manifest".into())?;
    let write = || -> io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(&json)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        fs::rename(&tmp, &path)?;
        sync_dir(dir)
    };
    write().ctx(|| format!("writing {}", path.display()))
}

/// The newest good snapshot of a backup directory whose file is still there.
pub fn newest_good_snapshot(dir: &Path) -> Option<PathBuf> {
    let manifest = load_manifest(dir).ok()?;
    let mut good: Vec<&Snapshot> = manifest
        .snapshots
        .iter()
        .filter(|s| s.status == BackupStatus::Good)
        .collect();
    good.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    good.into_iter()
        .map(|s| dir.join(&s.file))
        .find(|p| p.is_file())
}

// ---------------------------------------------------------------------------------------------------------
// Checks

/// What a snapshot file holds, as checked.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Problems found by `PRAGMA integrity_check` (empty when it answered `ok`).
    pub problems: Vec<String>,
    pub row_counts: BTreeMap<String, i64>,
    pub sha256: String,
    pub size_bytes: u64,
}

/// Whether an error means that the file is damaged rather than, say, busy or missing.
fn is_corruption(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            let code = db
                .code()
                .and_then(|c| c.parse::<i64>().ok())
                .map(|c| c & 0xff);
            matches!(code, Some(11 | 26))
                || db.message().contains("malformed")
                || db.message().contains("not a database")
        }
        _ => false,
    }
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10))
        // Checking and copying a whole database is slow by nature: not a "slow statement" worth a warning.
        .disable_statement_logging()
}

/// `PRAGMA integrity_check` (or the faster `quick_check`): the problems found, empty when sound. An error
/// that says the file is damaged is a problem too.
async fn integrity(conn: &mut SqliteConnection, quick: bool) -> Result<Vec<String>, sqlx::Error> {
    let sql = if quick {
        "PRAGMA quick_check(20)"
    } else {
        "PRAGMA integrity_check(20)"
    };
    match sqlx::query_scalar::<_, String>(sql).fetch_all(conn).await {
        Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(Vec::new()),
        Ok(rows) if rows.is_empty() => Ok(vec!["the check answered nothing".into()]),
        Ok(rows) => Ok(rows.into_iter().take(MAX_PROBLEMS).collect()),
        Err(e) if is_corruption(&e) => Ok(vec![e.to_string()]),
        Err(e) => Err(e),
    }
}

/// Rows per table (every table but SQLite's own).
async fn row_counts(conn: &mut SqliteConnection) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut counts = BTreeMap::new();
    for table in tables {
        let sql = format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\""));
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut *conn).await?;
        counts.insert(table, n);
    }
    Ok(counts)
}

/// Checks a database at start: `quick_check` (or the full `integrity_check`), without migrating or writing.
/// Answers the problems found, empty when sound.
pub async fn check_database(db: &Path, full: bool) -> Result<Vec<String>> {
    let mut conn = match SqliteConnection::connect_with(&options(db)).await {
        Ok(c) => c,
        Err(e) if is_corruption(&e) => return Ok(vec![e.to_string()]),
        Err(e) => return Err(e).ctx(|| format!("opening {}", db.display())),
    };
    let problems = integrity(&mut conn, !full)
        .await
        .ctx(|| format!("checking {}", db.display()))?;
    let _ = conn.close().await;
    Ok(problems)
}

fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((format!("{:x}", hasher.finalize()), size))
}

async fn sha256_file_async(path: &Path) -> Result<(String, u64)> {
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || sha256_file(&p))
        .await
        .ctx(|| "hashing".into())?
        .ctx(|| format!("hashing {}", path.display()))
}

/// Opens a snapshot read-only and checks it: integrity, row counts, SHA-256 and size.
pub async fn verify_file(path: &Path) -> Result<Verification> {
    let (sha256, size_bytes) = sha256_file_async(path).await?;
    let mut problems = Vec::new();
    let mut counts = BTreeMap::new();
    match SqliteConnection::connect_with(&options(path).read_only(true)).await {
        Ok(mut conn) => {
            match integrity(&mut conn, false).await {
                Ok(p) => problems.extend(p),
                Err(e) => problems.push(e.to_string()),
            }
            match row_counts(&mut conn).await {
                Ok(c) => counts = c,
                Err(e) => problems.push(format!("counting rows: {e}")),
            }
            let _ = conn.close().await;
        }
        Err(e) => problems.push(e.to_string()),
    }
    Ok(Verification {
        problems,
        row_counts: counts,
        sha256,
        size_bytes,
    })
}

// ---------------------------------------------------------------------------------------------------------
// Attachments

/// The backup directory's copy of the attachments, in the live store's layout (`sha256/ab/abcd...`): each
/// file once, however many snapshots refer to it.
pub const FILES_DIR: &str = "attachments";

/// `<snapshot>.files.json`: the attachments a snapshot refers to, each with its SHA-256 and size.
fn list_name(snapshot: &str) -> String {
    format!("{snapshot}.files.json")
}

#[derive(Debug, Serialize, Deserialize)]
struct FileList {
    format: u32,
    files: Vec<ListedFile>,
}

/// The attachments a database refers to: every file attached to a ticket. An upload not attached yet is a
/// draft of a message still being written; it is not backed up (a restore drops the ones whose file is
/// not there, and the user attaches it again).
async fn referenced_files(db: &Path) -> Result<Vec<ListedFile>, sqlx::Error> {
    let mut conn = SqliteConnection::connect_with(&options(db).read_only(true)).await?;
    let rows: Result<Vec<(String, i64)>, _> = sqlx::query_as(
        "SELECT sha256, MAX(size) FROM attachments WHERE ticket_id IS NOT NULL
         GROUP BY sha256 ORDER BY sha256",
    )
    .fetch_all(&mut conn)
    .await;
    let _ = conn.close().await;
    Ok(rows?
        .into_iter()
        .map(|(sha256, size)| ListedFile {
            sha256,
            size: size.max(0) as u64,
        })
        .collect())
}

/// Copies `from` into `tmp` (fsynced), answering the SHA-256 and size of the bytes copied.
fn copy_hashed(from: &Path, tmp: &Path) -> io::Result<(String, u64)> {
    let mut src = File::open(from)?;
    let mut dst = File::create(tmp)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        dst.write_all(&buf[..n])?;
        size += n as u64;
    }
    dst.sync_all()?;
    Ok((format!("{:x}", hasher.finalize()), size))
}

/// Creates `dir` and its missing parents up to `root`, fsyncing each parent that got a new entry.
fn make_dirs(root: &Path, dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent()
        && parent != root
    {
        make_dirs(root, parent)?;
    }
    fs::create_dir_all(dir)?;
    sync_dir(dir.parent().unwrap_or(root))
}

/// Why one file could not be copied with its checksum.
fn copy_problem(
    sha256: &str,
    from_root: &Path,
    outcome: io::Result<(String, u64)>,
) -> Option<String> {
    match outcome {
        Ok((h, _)) if h == sha256 => None,
        Ok((h, _)) => Some(format!(
            "{sha256} in {} is damaged (its SHA-256 is now {h})",
            from_root.display()
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Some(format!("{sha256} is missing from {}", from_root.display()))
        }
        Err(e) => Some(format!("{sha256}: {e}")),
    }
}

/// What copying the attachments into a backup did.
struct FilesCopied {
    problems: Vec<String>,
    copied: u64,
}

/// Makes sure the backup's `attachments/` holds every file of `list` with the right SHA-256: a file already
/// there is read again and checked (a damaged copy is replaced from the live store), a new one is copied
/// from the live store `live` and checked as it is copied.
fn back_up_files(list: &[ListedFile], live: &Path, backup: &Path) -> io::Result<FilesCopied> {
    let mut problems = Vec::new();
    let mut copied = 0;
    make_dirs(backup.parent().unwrap_or(backup), backup)?;
    for f in list {
        let (Ok(dst), Ok(src)) = (
            crate::attachments::blob_path(backup, &f.sha256),
            crate::attachments::blob_path(live, &f.sha256),
        ) else {
            problems.push(format!("{:?} is not a SHA-256", f.sha256));
            continue;
        };
        if dst.is_file() {
            match sha256_file(&dst) {
                Ok((h, _)) if h == f.sha256 => continue,
                _ => {
                    tracing::warn!(file = %dst.display(), "a backed-up attachment is damaged; copying it again");
                    remove_if_present(&dst)?;
                }
            }
        }
        let dir = dst.parent().unwrap_or(backup);
        make_dirs(backup, dir)?;
        let tmp = with_suffix(&dst, PARTIAL);
        match copy_problem(&f.sha256, live, copy_hashed(&src, &tmp)) {
            None => {
                fs::rename(&tmp, &dst)?;
                sync_dir(dir)?;
                copied += 1;
            }
            Some(problem) => {
                remove_if_present(&tmp)?;
                problems.push(problem);
            }
        }
    }
    Ok(FilesCopied { problems, copied })
}

/// Writes a snapshot's file list beside it (fsynced) and answers its summary for the manifest.
fn write_list(dir: &Path, snapshot: &str, files: Vec<ListedFile>) -> io::Result<FileSet> {
    let name = list_name(snapshot);
    let count = files.len() as u64;
    let bytes = files.iter().map(|f| f.size).sum();
    let json = serde_json::to_vec_pretty(&FileList {
        format: MANIFEST_FORMAT,
        files,
    })?;
    let path = dir.join(&name);
    let tmp = with_suffix(&path, PARTIAL);
    {
        let mut f = File::create(&tmp)?;
        f.write_all(&json)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    Ok(FileSet {
        count,
        bytes,
        list: name,
        list_sha256: format!("{:x}", Sha256::digest(&json)),
    })
}

/// Removes from the backup's `attachments/` every file no snapshot in the manifest refers to any more. Does
/// nothing when a list cannot be read or fails its checksum: nothing is deleted on a doubtful word.
fn collect_files(dir: &Path, manifest: &Manifest) {
    let mut kept = BTreeSet::new();
    for s in &manifest.snapshots {
        let Some(set) = &s.files else { continue };
        let read = fs::read(dir.join(&set.list))
            .ok()
            .filter(|bytes| format!("{:x}", Sha256::digest(bytes)) == set.list_sha256);
        match read.and_then(|bytes| serde_json::from_slice::<FileList>(&bytes).ok()) {
            Some(list) => kept.extend(list.files.into_iter().map(|f| f.sha256)),
            None => {
                tracing::warn!(list = %set.list, "a snapshot's file list cannot be read: no backed-up attachment is removed");
                return;
            }
        }
    }
    let root = dir.join(FILES_DIR).join("sha256");
    let Ok(prefixes) = fs::read_dir(&root) else {
        return;
    };
    for prefix in prefixes.flatten() {
        let Ok(files) = fs::read_dir(prefix.path()) else {
            continue;
        };
        for file in files.flatten() {
            let name = file.file_name().to_string_lossy().to_string();
            if !kept.contains(&name)
                && let Err(e) = fs::remove_file(file.path())
            {
                tracing::warn!(file = %file.path().display(), error = %e, "removing a backed-up attachment no snapshot needs");
            }
        }
    }
}

/// Puts back into the live store `live` every attachment the snapshot `from` refers to, from the backup's
/// `attachments/` beside it. Each is copied to the store's `tmp/` and checked first; only when all are
/// there and sound are they moved into place. Answers (restored, already present).
async fn restore_files(from: &Path, live: &Path) -> Result<(u64, u64)> {
    let list = referenced_files(from)
        .await
        .ctx(|| format!("listing the attachments of {}", from.display()))?;
    let backup = from.parent().unwrap_or(Path::new(".")).join(FILES_DIR);
    let live = live.to_path_buf();
    let from = from.to_path_buf();
    tokio::task::spawn_blocking(move || -> Result<(u64, u64)> {
        let tmp_dir = live.join("tmp");
        make_dirs(live.parent().unwrap_or(&live), &tmp_dir)
            .ctx(|| format!("creating {}", tmp_dir.display()))?;
        let mut staged = Vec::new();
        let mut problems = Vec::new();
        let mut present = 0;
        for f in &list {
            let (Ok(dst), Ok(src)) = (
                crate::attachments::blob_path(&live, &f.sha256),
                crate::attachments::blob_path(&backup, &f.sha256),
            ) else {
                problems.push(format!("{:?} is not a SHA-256", f.sha256));
                continue;
            };
            if sha256_file(&dst).is_ok_and(|(h, _)| h == f.sha256) {
                present += 1;
                continue;
            }
            let tmp = tmp_dir.join(format!("{}.restoring", f.sha256));
            match copy_problem(&f.sha256, &backup, copy_hashed(&src, &tmp)) {
                None => staged.push((tmp, dst)),
                Some(p) => {
                    let _ = remove_if_present(&tmp);
                    problems.push(p);
                }
            }
        }
        if !problems.is_empty() {
            for (tmp, _) in &staged {
                let _ = remove_if_present(tmp);
            }
            let shown: Vec<&str> = problems.iter().take(MAX_PROBLEMS).map(String::as_str).collect();
            return Err(BackupError::Failed(format!(
                "refusing to restore {}: {} of the {} attachments it refers to are missing or damaged: {}; nothing was replaced",
                from.display(),
                problems.len(),
                list.len(),
                shown.join("; ")
            )));
        }
        let restored = staged.len() as u64;
        for (tmp, dst) in staged {
            let dir = dst.parent().unwrap_or(&live).to_path_buf();
            make_dirs(&live, &dir).ctx(|| format!("creating {}", dir.display()))?;
            fs::rename(&tmp, &dst).ctx(|| format!("moving {} into place", dst.display()))?;
            sync_dir(&dir).ctx(|| format!("syncing {}", dir.display()))?;
        }
        Ok((restored, present))
    })
    .await
    .ctx(|| "restoring the attachments".into())?
}

/// After a restore: the uploads not attached yet whose file is not in the store are dropped (drafts are
/// not backed up). Answers how many.
async fn drop_missing_uploads(db: &Path, live: &Path) -> Result<u64> {
    let mut conn = SqliteConnection::connect_with(&options(db))
        .await
        .ctx(|| format!("opening {}", db.display()))?;
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, sha256 FROM attachments WHERE ticket_id IS NULL")
            .fetch_all(&mut conn)
            .await
            .ctx(|| "listing the uploads not attached yet".into())?;
    let mut dropped = 0;
    for (id, sha) in rows {
        if crate::attachments::blob_path(live, &sha).is_ok_and(|p| p.is_file()) {
            continue;
        }
        sqlx::query("DELETE FROM attachments WHERE id = ?")
            .bind(id)
            .execute(&mut conn)
            .await
            .ctx(|| "dropping an upload whose file is not there".into())?;
        dropped += 1;
    }
    let _ = conn.close().await;
    Ok(dropped)
}

// ---------------------------------------------------------------------------------------------------------
// Backup

/// A backup that counted.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub path: PathBuf,
    pub snapshot: Snapshot,
    /// Older good snapshots removed by rotation.
    pub deleted: Vec<String>,
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn sync_file(path: &Path) -> io::Result<()> {
    OpenOptions::new().read(true).open(path)?.sync_all()
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `portal-20261123T151500Z.db`, then `-2`, `-3`... for more snapshots in that second. A name is never
/// reused: the suffix grows past every one the manifest still lists for that second (rotation always keeps
/// the newest good snapshot, which holds the highest suffix).
fn snapshot_name(dir: &Path, db: &Path, at: DateTime<Utc>, manifest: &Manifest) -> String {
    let stem = db
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("portal");
    let base = format!("{stem}-{}", at.format("%Y%m%dT%H%M%SZ"));
    let name = |n: u32| match n {
        1 => format!("{base}.db"),
        n => format!("{base}-{n}.db"),
    };
    let mut n = manifest
        .snapshots
        .iter()
        .filter_map(|s| {
            let rest = s.file.strip_prefix(&base)?.strip_suffix(".db")?;
            match rest {
                "" => Some(1),
                _ => rest.strip_prefix('-')?.parse::<u32>().ok(),
            }
        })
        .max()
        .map_or(1, |max| max + 1);
    while dir.join(name(n)).exists() || dir.join(format!("{}{PARTIAL}", name(n))).exists() {
        n += 1;
    }
    name(n)
}

async fn data_version(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(conn)
        .await
}

async fn vacuum_into(conn: &mut SqliteConnection, target: &Path) -> Result<(), sqlx::Error> {
    let target = target.to_str().ok_or_else(|| {
        sqlx::Error::Configuration("the backup directory's path is not UTF-8".into())
    })?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(conn)
        .await
        .map(|_| ())
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Copies the live database into `target` and answers the source's row counts of exactly the state copied.
///
/// `VACUUM INTO` cannot run inside a transaction, so the counts are read in a transaction just before, and
/// `PRAGMA data_version` tells whether any other connection committed in between; when none did, the copy
/// holds exactly that state. When writers keep committing, the last try holds the write lock (`BEGIN
/// IMMEDIATE` on a second connection) while it counts and copies: writers wait for the copy (their busy
/// timeout), readers never do.
async fn copy_consistent(
    src: &mut SqliteConnection,
    db: &Path,
    target: &Path,
) -> Result<(BTreeMap<String, i64>, String), sqlx::Error> {
    for _ in 0..QUIET_ATTEMPTS {
        remove_if_present(target)?;
        sqlx::raw_sql("BEGIN").execute(&mut *src).await?;
        let read = counts_and_version(src).await;
        sqlx::raw_sql("COMMIT").execute(&mut *src).await?;
        let (counts, before) = read?;
        vacuum_into(src, target).await?;
        if data_version(src).await? == before {
            return Ok((counts, "no write committed during the copy".into()));
        }
    }
    remove_if_present(target)?;
    let mut writer = SqliteConnection::connect_with(&options(db)).await?;
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut writer)
        .await?;
    let copied = count_and_copy(&mut writer, src, target).await;
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut writer).await;
    let _ = writer.close().await;
    Ok((copied?, "writes held back during the copy".into()))
}

async fn counts_and_version(
    conn: &mut SqliteConnection,
) -> Result<(BTreeMap<String, i64>, i64), sqlx::Error> {
    let counts = row_counts(conn).await?;
    let version = data_version(conn).await?;
    Ok((counts, version))
}

async fn count_and_copy(
    writer: &mut SqliteConnection,
    src: &mut SqliteConnection,
    target: &Path,
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let counts = row_counts(writer).await?;
    vacuum_into(src, target).await?;
    Ok(counts)
}

/// When `VACUUM INTO` cannot read a corrupt source, the raw files are kept instead, as evidence.
fn raw_copy(db: &Path, target: &Path) -> io::Result<()> {
    fs::copy(db, target)?;
    let wal = with_suffix(db, "-wal");
    if wal.is_file() {
        fs::copy(&wal, with_suffix(target, "-wal"))?;
    }
    Ok(())
}

/// Takes a verified snapshot of `db` into `dir`, with every attachment it refers to from the live store
/// `files` (the data directory's `attachments/`; `None` leaves them out), records it in the manifest, and
/// rotates to the `keep` newest good snapshots. A corrupt source, a snapshot that fails a check or an
/// attachment missing or damaged is an error, its snapshot is kept as `suspect`, and nothing is deleted.
pub async fn backup(
    db: &Path,
    files: Option<&Path>,
    dir: &Path,
    keep: usize,
) -> Result<BackupReport> {
    if !db.is_file() {
        return Err(BackupError::Failed(format!(
            "no database at {}",
            db.display()
        )));
    }
    fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
    let _lock = lock_file(&dir.join(DIR_LOCK))
        .ctx(|| format!("locking {}", dir.display()))?
        .ok_or_else(|| BackupError::Busy(dir.display().to_string()))?;
    let mut manifest = load_manifest(dir)?;
    remove_partials(dir);
    let started_at = Utc::now();
    let outcome = take_snapshot(db, files, dir, keep, &mut manifest, started_at).await;
    manifest.last_attempt = Some(Attempt {
        at: started_at,
        ok: outcome.is_ok(),
        file: match &outcome {
            Ok(r) => Some(r.snapshot.file.clone()),
            Err(BackupError::SourceCorrupt { snapshot, .. })
            | Err(BackupError::SnapshotSuspect { snapshot, .. }) => Some(snapshot.clone()),
            Err(_) => None,
        },
        error: outcome.as_ref().err().map(|e| e.to_string()),
    });
    match (write_manifest(dir, &manifest), &outcome) {
        (Err(e), Err(_)) => tracing::error!(error = %e, "recording the failed backup"),
        (Err(e), Ok(_)) => return Err(e),
        (Ok(()), _) => {}
    }
    // Files go only after the manifest that no longer lists them is on disk.
    if let Ok(report) = &outcome {
        for file in &report.deleted {
            if let Err(e) = fs::remove_file(dir.join(file)) {
                tracing::warn!(file, error = %e, "removing a rotated snapshot");
            }
            let _ = remove_if_present(&dir.join(list_name(file)));
        }
        if !report.deleted.is_empty() {
            collect_files(dir, &manifest);
        }
    }
    outcome
}

fn remove_partials(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(PARTIAL) || name.ends_with(&format!("{PARTIAL}-wal")) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

async fn take_snapshot(
    db: &Path,
    files: Option<&Path>,
    dir: &Path,
    keep: usize,
    manifest: &mut Manifest,
    created_at: DateTime<Utc>,
) -> Result<BackupReport> {
    let started = Instant::now();
    let file = snapshot_name(dir, db, created_at, manifest);
    let partial = dir.join(format!("{file}{PARTIAL}"));
    let path = dir.join(&file);

    let mut src = SqliteConnection::connect_with(&options(db))
        .await
        .ctx(|| format!("opening {}", db.display()))?;
    let source_problems = integrity(&mut src, false)
        .await
        .ctx(|| format!("checking {}", db.display()))?;
    let copied = copy_consistent(&mut src, db, &partial).await;
    let _ = src.close().await;
    let (source_counts, consistency) = match copied {
        Ok((counts, how)) => (Some(counts), how),
        Err(e) if !source_problems.is_empty() => {
            raw_copy(db, &partial).ctx(|| format!("copying {}", db.display()))?;
            (
                None,
                format!("raw copy of the files: VACUUM INTO failed: {e}"),
            )
        }
        Err(e) => {
            let _ = remove_if_present(&partial);
            return Err(e).ctx(|| format!("copying {} into {}", db.display(), dir.display()));
        }
    };
    if source_counts.is_some() {
        // VACUUM INTO writes a rollback-journal file; make sure the snapshot is one self-contained file.
        let conn = SqliteConnection::connect_with(
            &options(&partial).journal_mode(SqliteJournalMode::Delete),
        )
        .await
        .ctx(|| format!("opening {}", partial.display()))?;
        let _ = conn.close().await;
    }
    let verified = verify_file(&partial).await?;
    let row_counts = match &source_counts {
        None => "not compared: the source could not be copied consistently".to_string(),
        Some(source) if *source == verified.row_counts => "match".to_string(),
        Some(source) => {
            let tables: BTreeSet<&String> =
                source.keys().chain(verified.row_counts.keys()).collect();
            tables
                .into_iter()
                .filter(|t| source.get(*t) != verified.row_counts.get(*t))
                .map(|t| {
                    format!(
                        "{t}: source {}, snapshot {}",
                        source.get(t).map_or("none".into(), |n| n.to_string()),
                        verified
                            .row_counts
                            .get(t)
                            .map_or("none".into(), |n| n.to_string())
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    let summary = |problems: &[String]| {
        if problems.is_empty() {
            "ok".to_string()
        } else {
            problems.join("; ")
        }
    };
    // The attachments the snapshot refers to, copied (once) and checked; attached files are never
    // removed from the live store, so each one the snapshot names is there to copy.
    let (list, file_problems) = match files {
        None => (None, None),
        Some(live) => match referenced_files(&partial).await {
            Err(e) => (None, Some(vec![format!("listing them: {e}")])),
            Ok(list) => {
                let (live, backup, l) = (live.to_path_buf(), dir.join(FILES_DIR), list.clone());
                let copied = tokio::task::spawn_blocking(move || back_up_files(&l, &live, &backup))
                    .await
                    .ctx(|| "copying the attachments".into())?
                    .ctx(|| format!("copying the attachments into {}", dir.display()))?;
                tracing::debug!(
                    files = list.len(),
                    copied = copied.copied,
                    "attachments backed up"
                );
                let mut problems = copied.problems;
                if problems.len() > MAX_PROBLEMS {
                    let more = problems.len() - MAX_PROBLEMS;
                    problems.truncate(MAX_PROBLEMS);
                    problems.push(format!("and {more} more"));
                }
                (Some(list), Some(problems))
            }
        },
    };
    let checks = Checks {
        source_integrity: summary(&source_problems),
        snapshot_integrity: summary(&verified.problems),
        row_counts,
        consistency,
        attachments: file_problems.as_deref().map_or_else(not_included, summary),
    };
    let good = source_problems.is_empty()
        && verified.problems.is_empty()
        && checks.row_counts == "match"
        && file_problems.as_ref().is_none_or(Vec::is_empty);

    let finish = || -> io::Result<()> {
        sync_file(&partial)?;
        let mut perms = fs::metadata(&partial)?.permissions();
        // A snapshot is never written again: read-only guards it against a careless copy over it.
        perms.set_readonly(true);
        fs::set_permissions(&partial, perms)?;
        fs::rename(&partial, &path)?;
        let wal = with_suffix(&partial, "-wal");
        if wal.is_file() {
            fs::rename(&wal, with_suffix(&path, "-wal"))?;
        }
        sync_dir(dir)
    };
    finish().ctx(|| format!("saving {}", path.display()))?;
    let file_set = match list {
        Some(list) => {
            Some(write_list(dir, &file, list).ctx(|| format!("writing the file list of {file}"))?)
        }
        None => None,
    };

    let snapshot = Snapshot {
        file: file.clone(),
        created_at,
        status: if good {
            BackupStatus::Good
        } else {
            BackupStatus::Suspect
        },
        source: db.display().to_string(),
        checks,
        row_counts: verified.row_counts,
        sha256: verified.sha256,
        size_bytes: verified.size_bytes,
        duration_ms: started.elapsed().as_millis() as u64,
        files: file_set,
    };
    manifest.snapshots.push(snapshot.clone());
    if !source_problems.is_empty() {
        return Err(BackupError::SourceCorrupt {
            db: db.display().to_string(),
            snapshot: path.display().to_string(),
            detail: snapshot.checks.source_integrity.clone(),
        });
    }
    if !good {
        return Err(BackupError::SnapshotSuspect {
            snapshot: path.display().to_string(),
            detail: snapshot.problems().join("; "),
        });
    }
    let deleted = manifest.rotate(keep);
    Ok(BackupReport {
        path,
        snapshot,
        deleted,
    })
}

// ---------------------------------------------------------------------------------------------------------
// Locks and restore

/// An exclusive OS lock on a file, released when dropped (or when the process dies, however it dies).
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    pub path: PathBuf,
}

/// `Ok(None)` when another process (or handle) holds the lock.
fn lock_file(path: &Path) -> io::Result<Option<FileLock>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(FileLock {
            _file: file,
            path: path.to_path_buf(),
        })),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// `PATH.lock`, the lock file that `serve` holds for as long as it runs.
pub fn lock_path(db: &Path) -> PathBuf {
    with_suffix(db, ".lock")
}

/// Takes the database's lock file, or says who holds it. `serve` holds it while it runs; `restore` takes it
/// so that it never replaces a database under a running server (and no server starts mid-restore).
pub fn lock_database(db: &Path) -> Result<FileLock> {
    if let Some(parent) = db.parent()
        && !parent.as_os_str().is_empty()
    {
        fs::create_dir_all(parent).ctx(|| format!("creating {}", parent.display()))?;
    }
    let path = lock_path(db);
    match lock_file(&path).ctx(|| format!("locking {}", path.display()))? {
        Some(lock) => {
            // For whoever finds the lock held: which process holds it.
            let mut f = &lock._file;
            let _ = f.set_len(0);
            let _ = writeln!(f, "{}", std::process::id());
            Ok(lock)
        }
        None => {
            let pid = fs::read_to_string(&path).unwrap_or_default();
            Err(BackupError::Locked {
                db: db.display().to_string(),
                lock: path.display().to_string(),
                holder: match pid.trim() {
                    "" => String::new(),
                    pid => format!(", held by process {pid}"),
                },
            })
        }
    }
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// Where the database that was replaced now is (with its `-wal` and `-shm` beside it, if any).
    pub replaced: Option<PathBuf>,
    pub sha256: String,
    pub row_counts: BTreeMap<String, i64>,
    /// Whether the checksum was compared with the manifest's (there is none beside a copied snapshot).
    pub manifest_checked: bool,
    /// Attachments copied back into the store, and those already there with the right checksum.
    pub files_restored: u64,
    pub files_present: u64,
    /// Uploads not attached to any message whose file was not in the backup, dropped.
    pub uploads_dropped: u64,
}

/// Replaces the database at `db` with the snapshot `from`, after verifying the snapshot (integrity, and the
/// checksum and row counts recorded in the manifest beside it when there is one). The replaced database is
/// moved aside to `PATH.replaced-<time>`, never deleted. Refuses while a server holds the database.
pub async fn restore(from: &Path, db: &Path, files: Option<&Path>) -> Result<RestoreReport> {
    if !from.is_file() {
        return Err(BackupError::Failed(format!(
            "no snapshot at {}",
            from.display()
        )));
    }
    let verified = verify_file(from).await?;
    if !verified.problems.is_empty() {
        return Err(BackupError::Failed(format!(
            "refusing to restore {}: it fails its integrity check: {}",
            from.display(),
            verified.problems.join("; ")
        )));
    }
    if !verified.row_counts.contains_key("_sqlx_migrations") {
        return Err(BackupError::Failed(format!(
            "refusing to restore {}: it is not a portal database",
            from.display()
        )));
    }
    let dir = from.parent().unwrap_or(Path::new("."));
    let name = from.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut manifest_checked = false;
    if dir.join(MANIFEST).is_file() {
        let manifest = load_manifest(dir)?;
        if let Some(entry) = manifest.snapshots.iter().find(|s| s.file == name) {
            if entry.sha256 != verified.sha256 {
                return Err(BackupError::Failed(format!(
                    "refusing to restore {}: its SHA-256 {} differs from the manifest's {}: the file changed after it was verified",
                    from.display(),
                    verified.sha256,
                    entry.sha256
                )));
            }
            if entry.status != BackupStatus::Good {
                return Err(BackupError::Failed(format!(
                    "refusing to restore {}: the manifest marks it suspect ({}); choose a good snapshot",
                    from.display(),
                    entry.problems().join("; ")
                )));
            }
            if entry.row_counts != verified.row_counts {
                return Err(BackupError::Failed(format!(
                    "refusing to restore {}: its row counts differ from the manifest's",
                    from.display()
                )));
            }
            manifest_checked = true;
        }
    }

    let _lock = lock_database(db)?;
    // The attachments first: a snapshot whose files are not all there and sound replaces nothing.
    let (files_restored, files_present) = match files {
        Some(live) => restore_files(from, live).await?,
        None => (0, 0),
    };
    let db_dir = match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Copy first, so that a failure leaves the current database where it was.
    let incoming = with_suffix(db, ".restoring");
    let copy = || -> io::Result<()> {
        remove_if_present(&incoming)?;
        fs::copy(from, &incoming)?;
        // Snapshots are read-only; the database must be writable again: as the one it replaces, or by its
        // owner only.
        let mut perms = fs::metadata(&incoming)?.permissions();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(db).map_or(0o600, |m| m.permissions().mode() & 0o777);
            perms.set_mode(mode | 0o600);
        }
        #[cfg(not(unix))]
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(&incoming, perms)?;
        sync_file(&incoming)
    };
    copy().ctx(|| format!("copying {} to {}", from.display(), incoming.display()))?;
    let (copied_sha, _) = sha256_file_async(&incoming).await?;
    if copied_sha != verified.sha256 {
        let _ = fs::remove_file(&incoming);
        return Err(BackupError::Failed(format!(
            "the copy at {} does not match {}; nothing was replaced",
            incoming.display(),
            from.display()
        )));
    }

    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut aside = with_suffix(db, &format!(".replaced-{stamp}"));
    let mut n = 2;
    while aside.exists() {
        aside = with_suffix(db, &format!(".replaced-{stamp}-{n}"));
        n += 1;
    }
    let swap = || -> io::Result<Option<PathBuf>> {
        let replaced = if db.exists() {
            fs::rename(db, &aside)?;
            Some(aside.clone())
        } else {
            None
        };
        // The journal files go with their database (SQLite finds `NAME-wal` beside `NAME`), so the database
        // set aside still holds every transaction it had committed.
        for suffix in ["-wal", "-shm", "-journal"] {
            let file = with_suffix(db, suffix);
            if file.exists() {
                fs::rename(&file, with_suffix(&aside, suffix))?;
            }
        }
        fs::rename(&incoming, db)?;
        sync_dir(&db_dir)?;
        Ok(replaced)
    };
    let replaced = swap().ctx(|| format!("replacing {}", db.display()))?;
    let uploads_dropped = match files {
        Some(live) => drop_missing_uploads(db, live).await?,
        None => 0,
    };
    Ok(RestoreReport {
        replaced,
        sha256: verified.sha256,
        row_counts: verified.row_counts,
        manifest_checked,
        files_restored,
        files_present,
        uploads_dropped,
    })
}

/// What `serve` prints when the database is corrupt: the exact command that restores the newest good
/// snapshot, when one is known.
pub fn restore_advice(db: &Path, backup_dir: Option<&Path>) -> String {
    let newest = backup_dir.and_then(newest_good_snapshot);
    match (newest, backup_dir) {
        (Some(snapshot), _) => format!(
            "Stop anything using it, then restore the newest good snapshot with:\n  portal-api restore --from {} --db {}\n(the corrupt database is kept aside as {}.replaced-<time>)",
            snapshot.display(),
            db.display(),
            db.display()
        ),
        (None, Some(dir)) => format!(
            "No good snapshot is recorded in {}. Restore a copy of one with:\n  portal-api restore --from SNAPSHOT --db {}",
            dir.display(),
            db.display()
        ),
        (None, None) => format!(
            "Restore a snapshot with:\n  portal-api restore --from SNAPSHOT --db {}\n(pass --backup-dir to have the newest good snapshot named here)",
            db.display()
        ),
    }
}

// ---------------------------------------------------------------------------------------------------------
// The schedule inside `serve`

/// `serve --backup-dir DIR --backup-every 1h --backup-keep N`.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
}

/// What `/healthz` and the staff's backup view know about the schedule.
#[derive(Debug, Default)]
pub struct Monitor {
    schedule: Option<Schedule>,
    /// An error that may not have reached the manifest (for instance an unwritable directory).
    last_error: Mutex<Option<(DateTime<Utc>, String)>>,
}

impl Monitor {
    pub fn new(schedule: Option<Schedule>) -> Self {
        Self {
            schedule,
            last_error: Mutex::new(None),
        }
    }

    pub fn schedule(&self) -> Option<&Schedule> {
        self.schedule.as_ref()
    }

    fn record(&self, result: &Result<BackupReport>) {
        let mut last = self.last_error.lock().unwrap_or_else(|e| e.into_inner());
        *last = result.as_ref().err().map(|e| (Utc::now(), e.to_string()));
    }

    /// The last attempt's time and error: the manifest's, or a newer one that could not be written there.
    fn last_attempt(&self, manifest: Option<&Manifest>) -> (Option<DateTime<Utc>>, Option<String>) {
        let recorded = manifest.and_then(|m| m.last_attempt.clone());
        let memory = self
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match (recorded, memory) {
            (Some(a), Some((at, e))) if at > a.at => (Some(at), Some(e)),
            (Some(a), _) => (Some(a.at), a.error),
            (None, Some((at, e))) => (Some(at), Some(e)),
            (None, None) => (None, None),
        }
    }

    /// The newest good backup and whether it is stale; `None` when the server makes no backups.
    pub fn last_backup(&self, now: DateTime<Utc>) -> Option<LastBackup> {
        let schedule = self.schedule.as_ref()?;
        let manifest = load_manifest(&schedule.dir);
        Some(self.summary(schedule, manifest.as_ref().ok(), now))
    }

    fn summary(
        &self,
        schedule: &Schedule,
        manifest: Option<&Manifest>,
        now: DateTime<Utc>,
    ) -> LastBackup {
        let newest = manifest.and_then(Manifest::newest_good);
        let (_, error) = self.last_attempt(manifest);
        let age = newest.map(|s| (now - s.created_at).num_seconds().max(0));
        let limit = 2 * schedule.every.as_secs() as i64;
        LastBackup {
            at: newest.map(|s| s.created_at),
            file: newest.map(|s| s.file.clone()),
            age_seconds: age,
            stale: manifest.is_none() || error.is_some() || age.is_none_or(|a| a > limit),
        }
    }

    /// The staff's view: the schedule, the last attempt and every snapshot, newest first.
    pub fn overview(&self, now: DateTime<Utc>) -> BackupOverview {
        let Some(schedule) = &self.schedule else {
            return BackupOverview {
                scheduled: false,
                every_seconds: None,
                keep: None,
                last_backup: None,
                last_attempt_at: None,
                last_error: None,
                snapshots: Vec::new(),
            };
        };
        let loaded = load_manifest(&schedule.dir);
        let manifest = loaded.as_ref().ok();
        let (last_attempt_at, mut last_error) = self.last_attempt(manifest);
        if let Err(e) = &loaded {
            last_error = Some(e.to_string());
        }
        let mut snapshots: Vec<BackupSnapshot> = manifest
            .map(|m| {
                m.snapshots
                    .iter()
                    .map(|s| BackupSnapshot {
                        file: s.file.clone(),
                        created_at: s.created_at,
                        status: s.status,
                        rows: s.row_counts.values().sum(),
                        size_bytes: s.size_bytes,
                        sha256: s.sha256.clone(),
                        duration_ms: s.duration_ms,
                        problems: s.problems(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        snapshots.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        BackupOverview {
            scheduled: true,
            every_seconds: Some(schedule.every.as_secs()),
            keep: Some(schedule.keep as u32),
            last_backup: Some(self.summary(schedule, manifest, now)),
            last_attempt_at,
            last_error,
            snapshots,
        }
    }

    /// When the next backup is due: one interval after the last attempt (so restarts do not add backups), or
    /// now when there was none.
    fn next_due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let Some(schedule) = &self.schedule else {
            return now;
        };
        let manifest = load_manifest(&schedule.dir).ok();
        let (last, _) = self.last_attempt(manifest.as_ref());
        match (last, chrono::Duration::from_std(schedule.every)) {
            (Some(at), Ok(every)) => (at + every).max(now).min(now + every),
            _ => now,
        }
    }
}

/// Runs the backup schedule of `monitor` for the database `db` until the server stops.
pub fn spawn_schedule(
    db: PathBuf,
    files: Option<PathBuf>,
    monitor: std::sync::Arc<Monitor>,
) -> Option<tokio::task::JoinHandle<()>> {
    let schedule = monitor.schedule()?.clone();
    Some(tokio::spawn(async move {
        loop {
            let now = Utc::now();
            let wait = (monitor.next_due(now) - now).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            // On a blocking thread of its own: hashing and fsync block, and the copy never slows the workers.
            let (db, files, dir, keep) = (
                db.clone(),
                files.clone(),
                schedule.dir.clone(),
                schedule.keep,
            );
            let handle = tokio::runtime::Handle::current();
            let result = tokio::task::spawn_blocking(move || {
                handle.block_on(async { backup(&db, files.as_deref(), &dir, keep).await })
            })
            .await
            .unwrap_or_else(|e| Err(BackupError::Failed(format!("the backup task failed: {e}"))));
            match &result {
                Ok(r) => tracing::info!(
                    snapshot = %r.path.display(),
                    bytes = r.snapshot.size_bytes,
                    ms = r.snapshot.duration_ms,
                    deleted = r.deleted.len(),
                    "verified backup"
                ),
                Err(e) => tracing::error!(error = %e, "BACKUP FAILED"),
            }
            monitor.record(&result);
            if result.is_err() {
                // Never spin on a failure: the next attempt is one interval later, like any other.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }))
}

/// `30s`, `30m`, `1h`, `1d`, `1h30m`: a positive duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(format!(
                    "`{text}`: use a number and s, m, h or d, as in 30m or 1h"
                ));
            }
        };
        let n: u64 = number
            .parse()
            .map_err(|_| format!("`{text}`: a number must come before `{c}`"))?;
        number.clear();
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| format!("`{text}` is too long"))?;
    }
    if !number.is_empty() {
        return Err(format!(
            "`{text}`: add a unit (s, m, h or d), as in {number}m"
        ));
    }
    if total == 0 {
        return Err(format!("`{text}`: the interval must be longer than zero"));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        for bad in ["", "10", "h", "1x", "0m", "-1h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
