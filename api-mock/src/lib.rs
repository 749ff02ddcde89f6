//! `portal-api`: the portal's server. `app(state)` builds the whole HTTP service, so tests drive it
//! in-process; `main.rs` only reads the command line and serves it.

pub mod analytics;
pub mod assets;
pub mod attachments;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod db;
pub mod demo;
pub mod error;
pub mod extract;
pub mod follow;
pub mod inbound;
pub mod kpi;
pub mod lang;
pub mod mail;
pub mod markdown;
pub mod metrics;
pub mod migrate;
pub mod openapi;
pub mod policy;
pub mod prerender;
pub mod repo;
pub mod representation;
pub mod routes;
pub mod search;
pub mod server;
pub mod sitemap;
pub mod sla;
pub mod web;

use std::{path::PathBuf, sync::Arc, time::Duration};

use axum::{Router, extract::FromRef};

pub use error::{Error, Result};

/// The languages the portal speaks; the first is the default.
pub const LOCALES: &[&str] = &["pt-BR", "en"];

/// What the server is told at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The built portal (Trunk's `dist/`); `None` serves the API alone.
    pub dist: Option<PathBuf>,
    pub session_idle: Duration,
    pub session_lifetime: Duration,
    /// Failed sign-ins allowed per e-mail from one address, and per address for all e-mails, within
    /// `login_window` (see `auth::SignIn`). Also the wrong current passwords allowed per account.
    pub login_limit_email: usize,
    pub login_limit_address: usize,
    pub login_window: Duration,
    /// Failed sign-ins allowed per e-mail from every address together, within `login_window_global`.
    pub login_limit_email_global: usize,
    pub login_window_global: Duration,
    /// Proxies whose `X-Forwarded-For` names the client (`serve --trusted-proxy`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Anonymous votes allowed per address and article within an hour.
    pub vote_limit_address: usize,
    /// Mark the session cookie `Secure` even without a proxy saying HTTPS.
    pub secure_cookies: bool,
    /// Business hours and the tickets' service targets.
    pub sla: sla::Policy,
    /// Verified backups on a schedule (`serve --backup-dir`); `None` makes none.
    pub backup: Option<backup::Schedule>,
    /// Addresses that may read `/metrics` without a staff session (a Prometheus server).
    pub metrics_allow: Vec<std::net::IpAddr>,
    /// The portal's address as its users reach it (`serve --public-url`), for absolute links (the sitemap);
    /// `None` takes each request's host.
    pub public_url: Option<String>,
    /// Where files are kept (`serve --data-dir`): attachments under `attachments/`. `None`: a new
    /// directory under the system's temporary directory, removed with the server's state (tests).
    pub data_dir: Option<PathBuf>,
    /// The largest attachment accepted, in bytes, and the most files on one message.
    pub attachment_max_bytes: u64,
    pub attachment_max_files: usize,
    /// Notification e-mails (`serve --smtp-url`, `--mail-from`): without an SMTP server nothing is sent
    /// and the outbox keeps them.
    pub mail: mail::MailConfig,
    /// E-mail in (`serve --imap-url`): the support mailbox read into tickets; `None` reads none.
    pub inbound: Option<inbound::InboundConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            dist: None,
            session_idle: Duration::from_secs(30 * 60),
            session_lifetime: Duration::from_secs(12 * 3600),
            login_limit_email: 5,
            login_limit_address: 50,
            login_window: Duration::from_secs(15 * 60),
            login_limit_email_global: 20,
            login_window_global: Duration::from_secs(3600),
            trusted_proxies: Vec::new(),
            vote_limit_address: 10,
            secure_cookies: false,
            sla: sla::Policy::default(),
            backup: None,
            metrics_allow: Vec::new(),
            public_url: None,
            data_dir: None,
            attachment_max_bytes: attachments::DEFAULT_MAX_BYTES,
            attachment_max_files: attachments::DEFAULT_MAX_FILES,
            mail: mail::MailConfig::default(),
            inbound: None,
        }
    }
}

/// Everything a request handler may reach: one shared [`State`], so that the clone each request and each
/// middleware takes is one reference count, not one per part.
#[derive(Clone)]
pub struct AppState(Arc<State>);

impl std::ops::Deref for AppState {
    type Target = State;

    fn deref(&self) -> &State {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct State {
    pub repo: repo::Repo,
    pub config: Arc<Config>,
    /// A hash to verify against when the e-mail is unknown, so that both failures take the same time.
    pub dummy_hash: Arc<str>,
    pub search: Arc<search::SearchIndex>,
    /// The backup schedule's state, for `/healthz` and the staff.
    pub backups: Arc<backup::Monitor>,
    /// Searches and article views, written in batches off the request path.
    pub analytics: Arc<analytics::Queue>,
    /// The built app in memory, when the server serves it (`Config::dist`).
    pub assets: Option<Arc<assets::Assets>>,
    /// Request counters and latencies for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// The attachments' store and limits.
    pub attachments: Arc<attachments::Attachments>,
}

impl AppState {
    /// The state of a server on `pool`; the search index is built from the database here.
    pub async fn new(pool: impl Into<db::Pool>, config: Config) -> Result<Self> {
        let repo = repo::Repo::new(pool);
        // On PostgreSQL, what the index is built from, read before it: a change made meanwhile differs
        // from it, and is followed (`follow`).
        let seen = match repo.pool.backend() {
            db::Backend::Postgres => Some(follow::Seen::read(&repo).await?),
            db::Backend::Sqlite => None,
        };
        let search = search::SearchIndex::new().map_err(|e| Error::Internal(e.to_string()))?;
        search.set_synonyms(&repo.synonyms().await?);
        let docs = repo.search_docs().await?;
        let texts: Vec<String> = docs
            .iter()
            .map(|d| markdown::plain_text(&d.body_md))
            .collect();
        let indexed = search
            .rebuild(
                docs.iter()
                    .zip(&texts)
                    .map(|(d, body)| search::IndexedArticle {
                        id: d.id,
                        locale: &d.locale,
                        title: &d.title,
                        body,
                    }),
            )
            .map_err(|e| Error::Internal(e.to_string()))?;
        tracing::info!(articles = indexed, "search index built");
        let backups = Arc::new(backup::Monitor::new(config.backup.clone()));
        let analytics = Arc::new(analytics::Queue::new(&repo).await?);
        tokio::spawn(analytics.clone().run(repo.clone()));
        let assets = match &config.dist {
            Some(dist) => Some(Arc::new(assets::Assets::load(dist).map_err(|e| {
                Error::Internal(format!("reading the app in {}: {e}", dist.display()))
            })?)),
            None => None,
        };
        let attachments = attachments::Attachments::on_disk(
            config.data_dir.as_deref(),
            config.attachment_max_bytes,
            config.attachment_max_files,
        )
        .map_err(|e| Error::Internal(format!("opening the attachments' directory: {e}")))?;
        let attachments = Arc::new(attachments);
        let sender = mail::Sender::new(
            &config.mail,
            config.public_url.as_deref(),
            config.sla.hours.utc_offset_minutes,
        )
        .map_err(Error::Internal)?;
        match sender {
            Some(sender) => {
                tokio::spawn(Arc::new(sender).run(repo.clone()));
            }
            None => tracing::debug!("no --smtp-url: notification e-mails wait in the outbox"),
        }
        let state = Self(Arc::new(State {
            repo,
            attachments,
            config: Arc::new(config),
            dummy_hash: auth::hash_password("no user has this password")?.into(),
            search: Arc::new(search),
            backups,
            analytics,
            assets,
            metrics: Arc::default(),
        }));
        if let Some(inbound) = state.config.inbound.clone() {
            tokio::spawn(inbound::run(state.clone(), inbound));
        }
        if let Some(seen) = seen {
            tokio::spawn(follow::run(state.clone(), seen));
        }
        Ok(state)
    }
}

impl AppState {
    /// Writes the analytics events still waiting (before a report reads them, and at shutdown).
    pub async fn flush_analytics(&self) {
        self.analytics.flush(&self.repo).await;
    }
}

impl FromRef<AppState> for repo::Repo {
    fn from_ref(state: &AppState) -> Self {
        state.repo.clone()
    }
}

/// The whole server: the API under `/api/v1`, `/healthz`, and the built portal.
pub fn app(state: AppState) -> Router {
    web::router(state)
}
