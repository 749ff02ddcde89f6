//! The `portal-api` command: serve the portal, back it up and restore it, and manage users from the command line.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use api_types::{Channel, NewInvitation, NewMessage, NewTicket, NewUser, OrgRole, Priority, Role};
use clap::{Parser, Subcommand, ValueEnum};
use portal_api::{
    AppState, Config, app, backup, db, demo, policy,
    repo::{Job, Repo},
    routes::accounts::{add_user, invite_user},
    server,
};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "portal-api",
    version,
    about = "The self-service support portal's server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the built portal.
    Serve(Box<Serve>),
    /// Take a verified snapshot of the database (safe while a server runs) and rotate old ones.
    Backup(BackupArgs),
    /// Replace the database with a verified snapshot; the replaced one is kept aside. The server must be stopped.
    Restore(RestoreArgs),
    /// Manage user accounts (for instance the first admin of a new deployment).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Open or answer tickets from the command line, as a user and under the same rules as the portal.
    Ticket {
        #[command(subcommand)]
        command: TicketCommand,
    },
    /// Incoming mail without a mailbox to poll: each file (an RFC 5322 message, `-` for standard input)
    /// becomes a ticket, a reply or an entry of the review list, exactly as from `--imap-url` (a mail
    /// server can pipe each delivery here). A file handled before is not handled again.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Copy a SQLite deployment into a new PostgreSQL database: every table in one transaction, checked
    /// by counting both sides' rows. The PostgreSQL database must be empty (it is migrated first); the
    /// SQLite one is only brought to the latest schema. Stop the SQLite server first. Attachments' files
    /// are not copied: the PostgreSQL servers are given the same data directory.
    Migrate(MigrateArgs),
}

#[derive(clap::Args)]
struct MigrateArgs {
    /// The SQLite database to copy (an existing file).
    #[arg(long)]
    from: PathBuf,
    /// The PostgreSQL database to copy into: postgres://user:password@host:port/name.
    #[arg(long)]
    to: String,
    /// The SQLite server's data directory, whose `attachments/` the PostgreSQL servers need (the
    /// database's directory by default, as for `serve`).
    #[arg(long, env = "PORTAL_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum MailCommand {
    /// Import mail files.
    Import {
        #[arg(long, env = "PORTAL_DB", default_value = "data/portal.db")]
        db: db::Target,
        /// Where attachments are kept: the server's `--data-dir`.
        #[arg(long, env = "PORTAL_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// A larger mail is answered politely and not imported (as `serve --mail-max-mb`).
        #[arg(long, env = "PORTAL_MAIL_MAX_MB", default_value_t = 10)]
        max_mb: u64,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TicketCommand {
    /// Open a ticket: a client opens their own; staff log one taken by phone, e-mail or in person for a
    /// client (`--requester`, `--channel`).
    Open {
        #[arg(long, env = "PORTAL_DB", default_value = "data/portal.db")]
        db: db::Target,
        /// The e-mail of the user acting.
        #[arg(long = "as")]
        actor: String,
        /// Staff: the client the ticket is for, by e-mail.
        #[arg(long)]
        requester: Option<String>,
        /// Staff: how the ticket came in.
        #[arg(long, value_enum)]
        channel: Option<ChannelArg>,
        #[arg(long, value_enum)]
        priority: Option<PriorityArg>,
        #[arg(long)]
        subject: String,
        /// Markdown.
        #[arg(long)]
        description: String,
    },
    /// Add a message to a ticket (staff: `--internal` for a note).
    Reply {
        #[arg(long, env = "PORTAL_DB", default_value = "data/portal.db")]
        db: db::Target,
        /// The e-mail of the user acting.
        #[arg(long = "as")]
        actor: String,
        /// The ticket's number.
        #[arg(long)]
        ticket: i64,
        /// Markdown.
        #[arg(long)]
        body: String,
        #[arg(long)]
        internal: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ChannelArg {
    Portal,
    Email,
    Phone,
    Chat,
    InPerson,
}

#[derive(Clone, Copy, ValueEnum)]
enum PriorityArg {
    Low,
    Normal,
    High,
    Urgent,
}

#[derive(clap::Args)]
struct Serve {
    /// Address to listen on.
    #[arg(long, env = "PORTAL_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The database: a SQLite file (created if missing), or a PostgreSQL database as
    /// `postgres://user:password@host:port/name` (migrated at start; several servers may share it).
    #[arg(long, env = "PORTAL_DB", default_value = "data/portal.db")]
    db: db::Target,
    /// The built portal (Trunk's dist directory).
    #[arg(long, env = "PORTAL_DIST")]
    dist: Option<PathBuf>,
    /// Fill an empty database with the demo organizations, accounts and content.
    #[arg(long, env = "PORTAL_DEMO")]
    demo: bool,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "PORTAL_SESSION_IDLE_MINUTES", default_value_t = 30)]
    session_idle_minutes: u64,
    /// Hours after sign-in at which a session ends, however active.
    #[arg(long, env = "PORTAL_SESSION_MAX_HOURS", default_value_t = 12)]
    session_max_hours: u64,
    /// Failed sign-ins allowed per e-mail from one address within 15 minutes before 429 (and wrong current
    /// passwords per account at /me/password).
    #[arg(long, env = "PORTAL_LOGIN_LIMIT", default_value_t = 5)]
    login_limit: usize,
    /// Failed sign-ins allowed per e-mail from all addresses together within an hour before 429 (not
    /// counted against addresses the account signed in from in the last 30 days).
    #[arg(long, env = "PORTAL_LOGIN_LIMIT_GLOBAL", default_value_t = 20)]
    login_limit_global: usize,
    /// A reverse proxy in front of the server: its X-Forwarded-For names the client, for the per-address
    /// limits. Repeat for several; without it, X-Forwarded-For is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "PORTAL_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Failed sign-ins allowed per client address within 15 minutes before 429.
    #[arg(long, env = "PORTAL_LOGIN_LIMIT_ADDRESS", default_value_t = 50)]
    login_limit_address: usize,
    /// Open connections at most (further clients wait until one closes).
    #[arg(long, env = "PORTAL_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client has to send a request's headers before the connection is closed.
    #[arg(long, env = "PORTAL_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    header_timeout_secs: u64,
    /// Always mark the session cookie Secure (it is also set when a proxy sends X-Forwarded-Proto: https).
    #[arg(long, env = "PORTAL_SECURE_COOKIES")]
    secure_cookies: bool,
    /// An address that may read /metrics without a staff session, e.g. the Prometheus server (repeatable,
    /// or comma-separated in PORTAL_METRICS_ALLOW).
    #[arg(long, env = "PORTAL_METRICS_ALLOW", value_delimiter = ',')]
    metrics_allow: Vec<std::net::IpAddr>,
    /// The portal's address as its users reach it, e.g. https://suporte.example.com: the sitemap's links.
    /// Without it, the host each request names.
    #[arg(long, env = "PORTAL_PUBLIC_URL", value_parser = parse_public_url)]
    public_url: Option<String>,
    /// Where uploaded files are kept (in `attachments/` below it); the database's directory by default.
    #[arg(long, env = "PORTAL_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The largest attachment accepted, in MB (MiB).
    #[arg(long, env = "PORTAL_ATTACHMENT_MAX_MB", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1024))]
    attachment_max_mb: u64,
    /// The most files attached to one message (or one new ticket).
    #[arg(long, env = "PORTAL_ATTACHMENT_MAX_FILES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    attachment_max_files: u32,
    /// Where notification e-mails go: smtp://user:pass@host:587 (STARTTLS required), smtps://user:pass@host:465
    /// (TLS from the start) or smtp://host:25?tls=none (clear text, a relay on this machine). Without it
    /// nothing is sent: notifications wait in the outbox until a server is given.
    #[arg(long, env = "PORTAL_SMTP_URL", value_parser = parse_smtp_url)]
    smtp_url: Option<String>,
    /// The notifications' sender, e.g. "Suporte <suporte@example.com>"; no-reply@ the public URL's host by
    /// default.
    #[arg(long, env = "PORTAL_MAIL_FROM", value_parser = parse_mail_from)]
    mail_from: Option<String>,
    /// How often the sender looks for notifications to send, in milliseconds.
    #[arg(long, env = "PORTAL_MAIL_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    mail_poll_ms: u64,
    /// Where replies to notifications go, e.g. "Suporte <suporte@example.com>": the support mailbox that
    /// --imap-url reads. Notifications then carry it as Reply-To, with a reply-above-this-line marker.
    #[arg(long, env = "PORTAL_MAIL_REPLY_TO", value_parser = parse_mail_from)]
    mail_reply_to: Option<String>,
    /// E-mail in: the support mailbox to read into tickets and replies, imaps://user:pass@host/INBOX (TLS),
    /// imap://user:pass@host/INBOX (STARTTLS required) or imap://...?tls=none (clear text, a server on
    /// this machine); add &processed=FOLDER (or ?processed=) to move handled mails there. Percent-encode
    /// an @ or : in the user or password (%40, %3A).
    #[arg(long, env = "PORTAL_IMAP_URL", value_parser = parse_imap_url)]
    imap_url: Option<String>,
    /// How often to look at the mailbox when its server has no IDLE (and the longest IDLE), in seconds.
    #[arg(long, env = "PORTAL_IMAP_POLL_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    imap_poll_secs: u64,
    /// The largest incoming mail taken, in MB (MiB); a larger one is answered politely and not recorded.
    #[arg(long, env = "PORTAL_MAIL_MAX_MB", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
    mail_max_mb: u64,
    /// Take verified backups into this directory on a schedule (see `portal-api backup`).
    #[arg(long, env = "PORTAL_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// How often to back up: 30m, 1h, 1d...
    #[arg(long, env = "PORTAL_BACKUP_EVERY", default_value = "1h", value_parser = backup::parse_duration)]
    backup_every: Duration,
    /// Good snapshots to keep (the newest good one and every suspect one are never deleted).
    #[arg(long, env = "PORTAL_BACKUP_KEEP", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..))]
    backup_keep: u32,
}

#[derive(clap::Args)]
struct BackupArgs {
    /// The database to back up.
    #[arg(long, env = "PORTAL_DB", default_value = "data/portal.db")]
    db: PathBuf,
    /// The backup directory (created if missing); its manifest.json records every snapshot.
    #[arg(long, env = "PORTAL_BACKUP_DIR")]
    dir: PathBuf,
    /// Good snapshots to keep (the newest good one and every suspect one are never deleted).
    #[arg(long, env = "PORTAL_BACKUP_KEEP", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..))]
    keep: u32,
    /// The server's data directory, whose `attachments/` are backed up with the database (the
    /// database's directory by default, as for `serve`).
    #[arg(long, env = "PORTAL_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct RestoreArgs {
    /// The snapshot to restore (its manifest, when beside it, is checked too).
    #[arg(long)]
    from: PathBuf,
    /// The database to replace.
    #[arg(long, env = "PORTAL_DB", default_value = "data/portal.db")]
    db: PathBuf,
    /// The server's data directory, whose `attachments/` get back every file the snapshot refers to
    /// (the database's directory by default, as for `serve`).
    #[arg(long, env = "PORTAL_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

/// The data directory: `--data-dir`, or the database's own directory.
/// With PostgreSQL, `data/` (servers that share a database share this directory too: see the README).
fn data_dir(given: Option<&Path>, db: &Path) -> PathBuf {
    match given {
        Some(dir) => dir.to_path_buf(),
        None => match db.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    }
}

/// `data_dir` for a server on either database.
fn data_dir_of(given: Option<&Path>, db: &db::Target) -> PathBuf {
    match db {
        db::Target::Sqlite(path) => data_dir(given, path),
        db::Target::Postgres(_) => given.map_or_else(|| PathBuf::from("data"), Path::to_path_buf),
    }
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password comes from PORTAL_USER_PASSWORD or the first line of standard input
    /// (none with `--invite`).
    Add {
        #[arg(long, env = "PORTAL_DB", default_value = "data/portal.db")]
        db: db::Target,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The client's organization, by name (created if missing).
        #[arg(long)]
        organization: Option<String>,
        /// Make the client their organization's manager.
        #[arg(long)]
        manager: bool,
        /// Invite instead of setting a password: the user chooses one from the link of an invitation
        /// mail, sent by `serve` (with `--smtp-url`) from the outbox.
        #[arg(long)]
        invite: bool,
    },
    /// List users.
    List {
        #[arg(long, env = "PORTAL_DB", default_value = "data/portal.db")]
        db: db::Target,
    },
    /// Disable a user and end their sessions at once.
    Disable {
        #[arg(long, env = "PORTAL_DB", default_value = "data/portal.db")]
        db: db::Target,
        #[arg(long)]
        email: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Client,
    Agent,
    Admin,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tantivy=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match Cli::parse().command {
        Command::Serve(args) => serve(*args).await,
        Command::Backup(args) => run_backup(args).await,
        Command::Restore(args) => run_restore(args).await,
        Command::User { command } => user(command).await,
        Command::Ticket { command } => ticket(command).await,
        Command::Mail { command } => mail(command).await,
        Command::Migrate(args) => run_migrate(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portal-api: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

type AnyResult = Result<(), Box<dyn std::error::Error>>;

async fn serve(args: Serve) -> AnyResult {
    // Held until the process ends: `restore` refuses to replace the database under a running server.
    let _lock = match args.db.sqlite_path() {
        Some(path) => Some(backup::lock_database(path)?),
        None => None,
    };
    if let Some(path) = args.db.sqlite_path()
        && path.exists()
    {
        let problems = backup::check_database(path, false).await?;
        if !problems.is_empty() {
            tracing::error!(db = %path.display(), problems = %problems.join("; "), "the database is corrupt");
            return Err(format!(
                "the database {} is CORRUPT ({}). Refusing to serve.\n{}",
                path.display(),
                problems.join("; "),
                backup::restore_advice(path, args.backup_dir.as_deref())
            )
            .into());
        }
    }
    if args.db.sqlite_path().is_none() && args.backup_dir.is_some() {
        return Err("--backup-dir makes SQLite snapshots; a PostgreSQL database is backed up with \
                    PostgreSQL's own tools (pgBackRest, or pg_basebackup with WAL archiving): see the README"
            .into());
    }
    let pool = db::open_target(&args.db).await?;
    let repo = Repo::new(pool.clone());
    // Servers started together on one PostgreSQL database fill it once.
    if args.demo && repo.in_turn(Job::Seed, || demo::seed(&repo)).await?? {
        tracing::info!("filled the empty database with the demo data");
    }
    if let Some(dist) = &args.dist
        && !dist.join("index.html").is_file()
    {
        return Err(format!(
            "{} has no index.html: build the portal first (cargo xtask build)",
            dist.display()
        )
        .into());
    }
    let config = Config {
        dist: args.dist,
        session_idle: Duration::from_secs(args.session_idle_minutes * 60),
        session_lifetime: Duration::from_secs(args.session_max_hours * 3600),
        login_limit_email: args.login_limit,
        login_limit_address: args.login_limit_address,
        login_limit_email_global: args.login_limit_global,
        trusted_proxies: args.trusted_proxies,
        secure_cookies: args.secure_cookies,
        metrics_allow: args.metrics_allow,
        public_url: args.public_url,
        data_dir: Some(data_dir_of(args.data_dir.as_deref(), &args.db)),
        attachment_max_bytes: args.attachment_max_mb * 1024 * 1024,
        attachment_max_files: args.attachment_max_files as usize,
        mail: portal_api::mail::MailConfig {
            smtp_url: args.smtp_url.clone(),
            from: args.mail_from.clone(),
            poll: Duration::from_millis(args.mail_poll_ms),
            reply_to: args.mail_reply_to.clone(),
            ..Default::default()
        },
        inbound: args
            .imap_url
            .clone()
            .map(|url| portal_api::inbound::InboundConfig {
                url,
                poll: Duration::from_secs(args.imap_poll_secs),
                max_bytes: args.mail_max_mb * 1024 * 1024,
            }),
        backup: args.backup_dir.map(|dir| backup::Schedule {
            dir,
            every: args.backup_every,
            keep: args.backup_keep as usize,
        }),
        ..Config::default()
    };
    let idle_ms = config.session_idle.as_millis() as i64;
    if config.mail.smtp_url.is_none() {
        tracing::info!("no --smtp-url: notification e-mails are kept in the outbox, unsent");
    } else if config.public_url.is_none() {
        tracing::warn!(
            "--smtp-url without --public-url: the links in e-mails point at http://localhost:8080"
        );
    }
    if config.inbound.is_some() && config.mail.reply_to.is_none() {
        tracing::warn!(
            "--imap-url without --mail-reply-to: replies to notifications go to --mail-from, and the \
             notifications carry no reply-above-this-line marker"
        );
    }
    let state = AppState::new(pool, config).await?;
    // Every minute: the service targets falling due soon get one warning each (to the assignee, or
    // the admins), written to the outbox in one transaction.
    // And the managers' daily digests, at 08:00 in the business hours' offset or the first run after.
    let sla = repo.clone();
    let offset = state.config.sla.hours.utc_offset_minutes;
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            // One server at a time on a shared database (the others find the lock taken).
            let turn = sla.exclusively(Job::Sla, || async {
                match sla.warn_sla(portal_api::db::now_ms()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(targets = n, "service-target warnings written"),
                    Err(e) => tracing::warn!(error = %e, "writing the service-target warnings"),
                }
                match sla.write_digests(portal_api::db::now_ms(), offset).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(managers = n, "daily digests written"),
                    Err(e) => tracing::warn!(error = %e, "writing the daily digests"),
                }
            });
            if let Err(e) = turn.await {
                tracing::warn!(error = %e, "taking the service targets' turn");
            }
        }
    });
    let purge = repo.clone();
    let uploads = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            let turn = purge.exclusively(Job::Purge, || async {
                if let Err(e) = purge.purge_sessions(idle_ms).await {
                    tracing::warn!(error = %e, "purging expired sessions");
                }
                // Past a day, an attempt counts in no limit's window.
                let now = portal_api::db::now_ms();
                if let Err(e) = purge
                    .purge_limits(now - 86_400_000, now - 30 * 86_400_000)
                    .await
                {
                    tracing::warn!(error = %e, "purging old sign-in attempts");
                }
                if let Err(e) = purge.purge_mail_links(now).await {
                    tracing::warn!(error = %e, "purging expired e-mail links");
                }
                // An upload never attached to a message is removed after a day.
                let before = now - portal_api::attachments::UNATTACHED_TTL_MS;
                match portal_api::routes::attachments::purge_unattached(&uploads, before).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(files = n, "removed uploads never attached"),
                    Err(e) => tracing::warn!(error = %e, "purging uploads never attached"),
                }
            });
            if let Err(e) = turn.await {
                tracing::warn!(error = %e, "taking the purge's turn");
            }
        }
    });
    if let Some(s) = state.backups.schedule() {
        tracing::info!(dir = %s.dir.display(), every_s = s.every.as_secs(), keep = s.keep, "verified backups on a schedule");
    }
    if let Some(assets) = &state.assets {
        assets.clone().spawn_watch();
    }
    let backups = args.db.sqlite_path().and_then(|path| {
        backup::spawn_schedule(
            path.to_path_buf(),
            Some(state.attachments.data_dir.join("attachments")),
            state.backups.clone(),
        )
    });
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    tracing::info!(addr = %args.addr, db = %args.db, "portal-api listening on http://{}", args.addr);
    let limits = server::Limits {
        max_connections: args.max_connections.max(1),
        header_read: Duration::from_secs(args.header_timeout_secs.max(1)),
    };
    server::serve(listener, app(state.clone()), limits, shutdown()).await?;
    // The analytics events still in memory are written before the database closes.
    state.flush_analytics().await;
    if let Some(task) = backups {
        task.abort();
    }
    repo.pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn run_backup(args: BackupArgs) -> AnyResult {
    let files = data_dir(args.data_dir.as_deref(), &args.db).join("attachments");
    match backup::backup(&args.db, Some(&files), &args.dir, args.keep as usize).await {
        Ok(report) => {
            let s = &report.snapshot;
            let (count, bytes) = s.files.as_ref().map_or((0, 0), |f| (f.count, f.bytes));
            println!(
                "good snapshot {} ({} rows in {} tables, {} bytes, sha256 {}; {count} attachments, {bytes} bytes, each checked; {} ms)",
                report.path.display(),
                s.row_counts.values().sum::<i64>(),
                s.row_counts.len(),
                s.size_bytes,
                s.sha256,
                s.duration_ms
            );
            for file in &report.deleted {
                println!("rotated out {}", args.dir.join(file).display());
            }
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, "BACKUP FAILED");
            Err(format!("BACKUP FAILED: {e}").into())
        }
    }
}

async fn run_restore(args: RestoreArgs) -> AnyResult {
    let files = data_dir(args.data_dir.as_deref(), &args.db).join("attachments");
    let report = backup::restore(&args.from, &args.db, Some(&files)).await?;
    println!(
        "restored {} into {} ({} rows in {} tables, sha256 {}{}); attachments: {} put back, {} already there, into {}",
        args.from.display(),
        args.db.display(),
        report.row_counts.values().sum::<i64>(),
        report.row_counts.len(),
        report.sha256,
        if report.manifest_checked {
            ", as recorded in the manifest"
        } else {
            "; no manifest entry to compare with"
        },
        report.files_restored,
        report.files_present,
        files.display()
    );
    if report.uploads_dropped > 0 {
        println!(
            "{} uploads not yet attached to a message were not in the backup and were dropped (their users attach them again)",
            report.uploads_dropped
        );
    }
    match report.replaced {
        Some(p) => println!("the replaced database is kept as {}", p.display()),
        None => println!("there was no database to replace"),
    }
    Ok(())
}

async fn run_migrate(args: MigrateArgs) -> AnyResult {
    let report = portal_api::migrate::run(&args.from, &args.to).await?;
    let target: db::Target = args.to.parse()?;
    println!(
        "copied {} into {target} in one transaction, {:.1} s:",
        args.from.display(),
        report.elapsed.as_secs_f64()
    );
    let width = report
        .tables
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0);
    for t in &report.tables {
        let next = t
            .next_id
            .map(|n| format!("  (next id {n})"))
            .unwrap_or_default();
        println!("  {:<width$}  {:>9} rows{next}", t.name, t.rows);
    }
    println!(
        "  {:<width$}  {:>9} rows in {} tables, the same count on both sides; sequences reset",
        "total",
        report.total_rows(),
        report.tables.len()
    );
    let dir = data_dir(args.data_dir.as_deref(), &args.from);
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let files = dir.join("attachments");
    let attachments = report.rows("attachments").unwrap_or(0);
    println!(
        "the attachments' files ({attachments} attachment{}) are not in the database and were not copied: \
         start every PostgreSQL server with --data-dir {}, whose attachments/ holds them, or copy {} into \
         the data directory they are given",
        if attachments == 1 { "" } else { "s" },
        dir.display(),
        files.display()
    );
    if attachments > 0 && !files.is_dir() {
        println!(
            "warning: there is no {}: the files are in the attachments/ of the SQLite server's --data-dir; \
             give the PostgreSQL servers that directory (or rerun with it as --data-dir to see it named)",
            files.display()
        );
    }
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

async fn user(command: UserCommand) -> AnyResult {
    match command {
        UserCommand::Add {
            db: path,
            email,
            name,
            role,
            organization,
            manager,
            invite,
        } => {
            let repo = Repo::new(db::open_target(&path).await?);
            let password = match std::env::var("PORTAL_USER_PASSWORD") {
                _ if invite => String::new(),
                Ok(p) => p,
                Err(_) => {
                    eprintln!("password (at least 10 characters), then Enter:");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let role = match role {
                RoleArg::Client => Role::Client,
                RoleArg::Agent => Role::Agent,
                RoleArg::Admin => Role::Admin,
            };
            let organization_id = match organization {
                None => None,
                Some(name) => match repo.create_organization(name.trim()).await? {
                    Some(o) => Some(o.id),
                    None => repo
                        .organizations()
                        .await?
                        .into_iter()
                        .find(|o| o.name.eq_ignore_ascii_case(name.trim()))
                        .map(|o| o.id),
                },
            };
            let org_role = (role == Role::Client).then_some(if manager {
                OrgRole::Manager
            } else {
                OrgRole::Member
            });
            if invite {
                let invitation = NewInvitation {
                    email,
                    name,
                    role,
                    organization_id,
                    org_role,
                    locale: None,
                };
                return match invite_user(&repo, None, invitation).await {
                    Ok(user) => {
                        println!(
                            "invited user {} <{}> ({:?}); the invitation is sent by serve",
                            user.id, user.email, user.role
                        );
                        Ok(())
                    }
                    Err(e) => Err(refusal(e)),
                };
            }
            let new = NewUser {
                email,
                name,
                role,
                organization_id,
                org_role,
                password,
                locale: None,
            };
            match add_user(&repo, new).await {
                Ok(user) => println!(
                    "created user {} <{}> ({:?})",
                    user.id, user.email, user.role
                ),
                Err(e) => return Err(refusal(e)),
            }
        }
        UserCommand::List { db: path } => {
            let repo = Repo::new(db::open_target(&path).await?);
            for u in repo.users(None, None).await? {
                let org = u.organization.map(|o| o.name).unwrap_or_default();
                let state = match (u.disabled, u.invited) {
                    (true, _) => "disabled",
                    (false, true) => "invited",
                    (false, false) => "active",
                };
                println!(
                    "{}\t{}\t{}\t{:?}\t{}\t{}",
                    u.id, u.email, u.name, u.role, org, state
                );
            }
        }
        UserCommand::Disable { db: path, email } => {
            let repo = Repo::new(db::open_target(&path).await?);
            let account = repo
                .account_by_email(&email)
                .await?
                .ok_or("no user with that e-mail")?;
            repo.update_user(account.user.id, None, None, None, Some(true))
                .await?;
            println!("disabled {email}; their sessions have ended");
        }
    }
    Ok(())
}

/// The reasons a command's input was refused, in English, one per field.
fn refusal(e: portal_api::Error) -> Box<dyn std::error::Error> {
    match e {
        portal_api::Error::Invalid(fields) => fields
            .iter()
            .map(|(f, why)| format!("{f}: {}", why.message(portal_api::lang::Lang::En)))
            .collect::<Vec<_>>()
            .join("; ")
            .into(),
        portal_api::Error::Forbidden => "this user may not do that".into(),
        portal_api::Error::NotFound => "no such ticket for this user".into(),
        e => e.into(),
    }
}

/// `portal-api ticket ...`: the same operations as the portal's routes (`portal_api::policy`), acting as
/// an active user found by e-mail; the e-mails and timeline entries follow as they do from the portal.
async fn mail(command: MailCommand) -> AnyResult {
    let MailCommand::Import {
        db: path,
        data_dir,
        max_mb,
        files,
    } = command;
    let pool = db::open_target(&path).await?;
    let config = Config {
        data_dir: Some(data_dir_of(data_dir.as_deref(), &path)),
        ..Config::default()
    };
    let state = AppState::new(pool.clone(), config).await?;
    for file in files {
        let raw = if file.as_os_str() == "-" {
            let mut raw = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut raw)?;
            raw
        } else {
            std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?
        };
        let too_large = raw.len() as u64 > max_mb * 1024 * 1024;
        let source = portal_api::inbound::file_source(&raw);
        let outcome = portal_api::inbound::import(&state, &source, &raw, too_large)
            .await
            .map_err(|e| format!("{}: {e}", file.display()))?;
        match outcome {
            Some(o) => println!("{}: {}", file.display(), o.as_str()),
            None => println!("{}: handled before", file.display()),
        }
    }
    pool.close().await;
    Ok(())
}

async fn ticket(command: TicketCommand) -> AnyResult {
    let (TicketCommand::Open {
        db: path, actor, ..
    }
    | TicketCommand::Reply {
        db: path, actor, ..
    }) = &command;
    let pool = db::open_target(path).await?;
    let config = Config {
        data_dir: Some(data_dir_of(None, path)),
        ..Config::default()
    };
    let state = AppState::new(pool.clone(), config).await?;
    let actor = match state.repo.account_by_email(actor).await? {
        Some(a) if !a.user.disabled => a.user,
        _ => return Err(format!("no active user with the e-mail {actor}").into()),
    };
    match command {
        TicketCommand::Open {
            requester,
            channel,
            priority,
            subject,
            description,
            ..
        } => {
            let requester_id = match requester {
                None => None,
                Some(email) => Some(
                    state
                        .repo
                        .account_by_email(&email)
                        .await?
                        .ok_or_else(|| format!("no user with the e-mail {email}"))?
                        .user
                        .id,
                ),
            };
            let body = NewTicket {
                subject,
                description,
                priority: priority.map(|p| match p {
                    PriorityArg::Low => Priority::Low,
                    PriorityArg::Normal => Priority::Normal,
                    PriorityArg::High => Priority::High,
                    PriorityArg::Urgent => Priority::Urgent,
                }),
                category: None,
                channel: channel.map(|c| match c {
                    ChannelArg::Portal => Channel::Portal,
                    ChannelArg::Email => Channel::Email,
                    ChannelArg::Phone => Channel::Phone,
                    ChannelArg::Chat => Channel::Chat,
                    ChannelArg::InPerson => Channel::InPerson,
                }),
                requester_id,
                search_id: None,
                attachments: Vec::new(),
            };
            let done = policy::open(&state, &actor, &body, None)
                .await
                .map_err(refusal)?;
            println!("opened ticket #{}", done.value);
        }
        TicketCommand::Reply {
            ticket,
            body,
            internal,
            ..
        } => {
            let message = NewMessage {
                body,
                internal,
                status: None,
                attachments: Vec::new(),
            };
            policy::reply(&state, &actor, ticket, &message, None)
                .await
                .map_err(refusal)?;
            println!(
                "added a {} to ticket #{ticket}",
                if internal { "note" } else { "message" }
            );
        }
    }
    state.flush_analytics().await;
    pool.close().await;
    Ok(())
}

/// `--public-url`: an absolute http(s) address, kept without its trailing slash.
fn parse_smtp_url(value: &str) -> Result<String, String> {
    let url = value.trim();
    portal_api::mail::check_smtp_url(url)?;
    Ok(url.to_string())
}

fn parse_imap_url(value: &str) -> Result<String, String> {
    let url = value.trim();
    portal_api::inbound::parse_imap_url(url)?;
    Ok(url.to_string())
}

fn parse_mail_from(value: &str) -> Result<String, String> {
    let from = value.trim();
    from.parse::<lettre::message::Mailbox>()
        .map_err(|e| format!("not an address ({e}): use \"Name <address@example.com>\""))?;
    Ok(from.to_string())
}

fn parse_public_url(value: &str) -> Result<String, String> {
    let url = value.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("the public URL starts with https:// or http://")?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err("the public URL needs a host, without spaces".into());
    }
    Ok(url.to_string())
}
