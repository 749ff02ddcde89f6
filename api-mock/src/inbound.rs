//! E-mail in: the support mailbox read over IMAP (`serve --imap-url`), every mail made a ticket, a reply,
//! an entry of the staff's review list (unknown senders), or set aside (automatic mails, bounces, mails
//! too large), under the ticket rules of `policy` acting as the sender.
//!
//! Each message is handled once. What became of it is recorded by mailbox, UIDVALIDITY and UID
//! (`repo::inbound`); the ticket or reply itself is written under an idempotency key made from the mail,
//! so a server killed between the two finds, when it starts again, that the key was used, and only
//! records it. Then the message gets the `$PortalImported` keyword (or moves to a processed folder).

pub mod parse;

use std::{collections::HashMap, sync::Arc, time::Duration};

use api_types::{NewMessage, NewTicket, User};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};

use crate::{
    AppState,
    db::now_ms,
    error::{Error, Result},
    policy,
    repo::inbound::{InboundOutcome, InboundRecord, MailboxUid},
};
use parse::{Incoming, Kind};

/// The largest mail taken by default: 10 MiB. Past it the sender is told, politely.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// The keyword a handled message gets in the mailbox.
pub const KEYWORD: &str = "$PortalImported";
/// Messages fetched at once.
const CHUNK: usize = 20;
/// The review list's excerpt, in characters.
const EXCERPT_MAX: usize = 500;

/// How the server reads the support mailbox.
#[derive(Debug, Clone)]
pub struct InboundConfig {
    /// `imaps://user:pass@host:993/INBOX`, `imap://user:pass@host/INBOX` (STARTTLS required), or
    /// `imap://...?tls=none` (clear text, a server on this machine). `?processed=Folder` moves handled
    /// mails there instead of marking them.
    pub url: String,
    /// How often to look when the server has no IDLE, and the longest IDLE.
    pub poll: Duration,
    pub max_bytes: u64,
}

/// How to reach the mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapUrl {
    pub tls: Tls,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub mailbox: String,
    pub processed: Option<String>,
    /// A PEM file of certificates to trust besides the public roots (a server with a private CA).
    pub ca: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `imaps://`: TLS from the start.
    Implicit,
    /// `imap://`: STARTTLS, required.
    StartTls,
    /// `imap://...?tls=none`.
    None,
}

/// Reads `--imap-url`.
pub fn parse_imap_url(url: &str) -> std::result::Result<ImapUrl, String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("imaps://") {
        (Tls::Implicit, r)
    } else if let Some(r) = url.strip_prefix("imap://") {
        (Tls::StartTls, r)
    } else {
        return Err("the IMAP URL starts with imaps:// or imap://".into());
    };
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (auth, rest) = rest
        .rsplit_once('@')
        .ok_or("the IMAP URL needs user:password@ before the host")?;
    let (user, password) = auth
        .split_once(':')
        .ok_or("the IMAP URL needs user:password@ before the host")?;
    let decode = |s: &str| crate::attachments::percent_decode(s).unwrap_or_else(|| s.to_owned());
    let (hostport, mailbox) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h,
            Some(p.parse::<u16>().map_err(|_| format!("{p} is not a port"))?),
        ),
        None => (hostport, None),
    };
    if host.is_empty() {
        return Err("the IMAP URL needs a host".into());
    }
    let mut tls = tls;
    let mut processed = None;
    let mut ca = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("tls", "none")) if tls == Tls::StartTls => tls = Tls::None,
            Some(("tls", "required")) => {}
            Some(("processed", folder)) if !folder.is_empty() => processed = Some(decode(folder)),
            Some(("ca", path)) if !path.is_empty() => ca = Some(decode(path).into()),
            _ => {
                return Err(format!(
                    "{pair}: the IMAP URL takes tls=none (imap:// only), processed=FOLDER and ca=PEM-FILE"
                ));
            }
        }
    }
    let mailbox = decode(mailbox);
    Ok(ImapUrl {
        port: port.unwrap_or(if tls == Tls::Implicit { 993 } else { 143 }),
        tls,
        host: host.to_owned(),
        user: decode(user),
        password: decode(password),
        mailbox: if mailbox.is_empty() {
            "INBOX".into()
        } else {
            mailbox
        },
        processed,
        ca,
    })
}

// ---------------------------------------------------------------------------------------------------------
// One mail

/// Plain text as Markdown that keeps its lines (a hard break at each), cut to the message limit.
fn as_markdown(text: &str, notes: &[String]) -> String {
    let mut out: String = text
        .trim()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("  \n");
    for note in notes {
        out.push_str("\n\n");
        out.push_str(note);
    }
    let max = policy::BODY_MAX - 200;
    if out.chars().count() > max {
        out = out.chars().take(max).collect();
        out.push_str(
            "…\n\n_(texto cortado: a mensagem passava do limite de tamanho / text cut: the message was over the size limit)_",
        );
    }
    if out.trim().is_empty() {
        "_(mensagem sem texto / message without text)_".into()
    } else {
        out
    }
}

fn subject_of(mail: &Incoming) -> String {
    let s = parse::strip_reply_prefixes(&mail.subject).trim();
    let s: String = s.chars().take(policy::SUBJECT_MAX).collect();
    if s.trim().is_empty() {
        "(sem assunto)".into()
    } else {
        s
    }
}

/// The idempotency key of a mail: its Message-ID, or where it is in the mailbox.
fn key_of(mail: &Incoming, source: &MailboxUid) -> String {
    let id = match &mail.message_id {
        Some(id) => format!("mid:{id}"),
        None => format!(
            "uid:{}:{}:{}",
            source.mailbox, source.uidvalidity, source.uid
        ),
    };
    let hash = Sha256::digest(id.as_bytes());
    format!(
        "mail:{}",
        hash[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// Keeps the mail's files as uploads of the sender's; answers their ids and a note for each refused.
async fn keep_files(
    state: &AppState,
    user: &User,
    mail: &Incoming,
) -> Result<(Vec<i64>, Vec<String>)> {
    let mut ids = Vec::new();
    let mut notes = Vec::new();
    for part in &mail.attachments {
        let name = crate::attachments::clean_name(&part.name)
            .unwrap_or_else(|_| format!("anexo-{}", ids.len() + 1));
        if ids.len() >= state.attachments.max_files {
            notes.push(format!(
                "_(anexo “{name}” não guardado: arquivos demais numa mensagem / not kept: too many files)_"
            ));
            continue;
        }
        let bytes = axum::body::Bytes::copy_from_slice(&part.bytes);
        match crate::routes::attachments::store_upload(state, user.id, &name, bytes).await {
            Ok(id) => ids.push(id),
            Err(Error::Internal(e)) => return Err(Error::Internal(e)),
            Err(_) => notes.push(format!(
                "_(anexo “{name}” não guardado: tipo de arquivo não aceito ou grande demais / not kept: \
                 file type not accepted or too large)_"
            )),
        }
    }
    Ok((ids, notes))
}

async fn finish(state: &AppState, r: InboundRecord<'_>) -> Result<Option<InboundOutcome>> {
    state.repo.record_inbound(&r).await?;
    Ok(Some(r.outcome))
}

/// Where a mail given as a file (`portal-api mail import`) comes from: its own content, so that the same
/// file given twice is handled once.
pub fn file_source(raw: &[u8]) -> MailboxUid {
    let digest = Sha256::digest(raw);
    MailboxUid {
        mailbox: format!(
            "file:{}",
            digest
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ),
        uidvalidity: 0,
        uid: 0,
    }
}

/// Handles one message of the mailbox (`raw`: the whole mail, or only its header when `too_large`);
/// `None` when it was handled before. `Err`: nothing was recorded, it is tried again later.
pub async fn import(
    state: &AppState,
    source: &MailboxUid,
    raw: &[u8],
    too_large: bool,
) -> Result<Option<InboundOutcome>> {
    if state.repo.inbound_done(source).await? {
        return Ok(None);
    }
    let now = now_ms();
    let blank = |outcome| InboundRecord {
        source,
        message_id: None,
        sender: None,
        outcome,
        ticket_id: None,
        event_id: None,
        detail: None,
        quoted_text: None,
        review: None,
        failing: &[],
        refuse_to: None,
        now,
    };
    let mail = match parse::parse(raw) {
        Ok(m) => m,
        Err(e) => {
            let detail = format!("not a mail: {e}");
            state
                .repo
                .record_inbound(&InboundRecord {
                    detail: Some(&detail),
                    ..blank(InboundOutcome::Invalid)
                })
                .await?;
            return Ok(Some(InboundOutcome::Invalid));
        }
    };
    let base = InboundRecord {
        message_id: mail.message_id.as_deref(),
        sender: mail.from.as_deref(),
        ..blank(InboundOutcome::Invalid)
    };
    // Robots never open tickets nor get an answer: no mail loops.
    match &mail.kind {
        Kind::Automatic => {
            return finish(
                state,
                InboundRecord {
                    outcome: InboundOutcome::Ignored,
                    detail: Some("an automatic mail (auto-reply, list or bulk)"),
                    ..base
                },
            )
            .await;
        }
        Kind::Bounce { failed } => {
            return finish(
                state,
                InboundRecord {
                    outcome: InboundOutcome::Bounce,
                    failing: failed,
                    ..base
                },
            )
            .await;
        }
        Kind::Personal => {}
    }
    let Some(from) = mail.from.as_deref() else {
        return finish(
            state,
            InboundRecord {
                detail: Some("no sender"),
                ..base
            },
        )
        .await;
    };
    let account = state
        .repo
        .account_by_email(from)
        .await?
        .filter(|a| !a.user.disabled);
    if too_large {
        return finish(
            state,
            InboundRecord {
                outcome: InboundOutcome::Refused,
                detail: Some("over the size limit"),
                refuse_to: account.map(|a| a.user.id),
                ..base
            },
        )
        .await;
    }
    let Some(account) = account else {
        let subject = subject_of(&mail);
        let excerpt: String = mail.text.trim().chars().take(EXCERPT_MAX).collect();
        return finish(
            state,
            InboundRecord {
                outcome: InboundOutcome::Review,
                review: Some((mail.from_name.as_deref(), &subject, &excerpt, raw)),
                ..base
            },
        )
        .await;
    };
    let user = account.user;
    let key = key_of(&mail, source);
    // Done before a crash, not recorded: record it now.
    if let Some((ticket, event)) = state.repo.key_outcome(user.id, &key).await? {
        let (_, quoted) = parse::strip_quotes(&mail.text, mail.forwarded());
        return finish(
            state,
            InboundRecord {
                outcome: if event.is_some() {
                    InboundOutcome::Reply
                } else {
                    InboundOutcome::Ticket
                },
                ticket_id: Some(ticket),
                event_id: event,
                quoted_text: quoted.as_deref().filter(|_| event.is_some()),
                ..base
            },
        )
        .await;
    }
    let (files, notes) = keep_files(state, &user, &mail).await?;
    let domain = state
        .config
        .public_url
        .as_deref()
        .and_then(crate::mail::host_of)
        .unwrap_or("localhost")
        .to_owned();
    let thread = match state
        .repo
        .ticket_by_message_ids(&mail.thread, &domain)
        .await?
    {
        Some(t) => Some(t),
        None => parse::ticket_number(&mail.subject),
    };
    let mut closed_note = None;
    if let Some(ticket) = thread {
        let (reply, quoted) = parse::strip_quotes(&mail.text, mail.forwarded());
        let body = NewMessage {
            body: as_markdown(&reply, &notes),
            internal: false,
            status: None,
            attachments: files.clone(),
        };
        match policy::reply(state, &user, ticket, &body, Some(&key)).await {
            Ok(d) => {
                return finish(
                    state,
                    InboundRecord {
                        outcome: InboundOutcome::Reply,
                        ticket_id: Some(ticket),
                        event_id: Some(d.value),
                        quoted_text: quoted.as_deref(),
                        ..base
                    },
                )
                .await;
            }
            // Not theirs to see (another organization's number), or staff's mail on a ticket they may
            // answer only through the rules: a new ticket of the sender's own, never a join.
            Err(Error::NotFound | Error::Forbidden) => {}
            Err(Error::Conflict(_)) => {
                closed_note = Some(format!(
                    "_(resposta por e-mail ao chamado #{ticket}, que está encerrado / an e-mail reply to closed ticket #{ticket})_"
                ));
            }
            Err(e @ Error::Invalid(_)) => {
                let detail = e.to_string();
                return finish(
                    state,
                    InboundRecord {
                        detail: Some(&detail),
                        ..base
                    },
                )
                .await;
            }
            Err(e) => return Err(e),
        }
    }
    if user.role.is_staff() {
        return finish(
            state,
            InboundRecord {
                outcome: InboundOutcome::Ignored,
                detail: Some("a staff member's mail that answers no ticket of theirs to answer"),
                ..base
            },
        )
        .await;
    }
    let mut notes = notes;
    notes.extend(closed_note);
    let body = NewTicket {
        subject: subject_of(&mail),
        description: as_markdown(&mail.text, &notes),
        priority: None,
        category: None,
        channel: Some(api_types::Channel::Email),
        requester_id: None,
        search_id: None,
        attachments: files,
    };
    match policy::open_by_mail(state, &user, &body, Some(&key)).await {
        Ok(d) => {
            finish(
                state,
                InboundRecord {
                    outcome: InboundOutcome::Ticket,
                    ticket_id: Some(d.value),
                    ..base
                },
            )
            .await
        }
        Err(Error::Forbidden) => {
            finish(
                state,
                InboundRecord {
                    outcome: InboundOutcome::Ignored,
                    detail: Some("the sender belongs to no organization"),
                    ..base
                },
            )
            .await
        }
        Err(e @ Error::Invalid(_)) => {
            let detail = e.to_string();
            finish(
                state,
                InboundRecord {
                    detail: Some(&detail),
                    ..base
                },
            )
            .await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------------------
// The review list

fn conflict(pt: &str, en: &str) -> Error {
    Error::Conflict(match crate::lang::Lang::current() {
        crate::lang::Lang::PtBr => pt.into(),
        crate::lang::Lang::En => en.into(),
    })
}

fn already_decided() -> Error {
    conflict(
        "Esta mensagem já foi aceita ou descartada por alguém da equipe.",
        "This message was already accepted or discarded by a member of staff.",
    )
}

/// Accepts a mail of the review list: its sender becomes a client (a member) of the organization staff
/// chose, and the mail their ticket, opened as they would have by writing in (`policy::open_by_mail`).
pub async fn accept_review(
    state: &AppState,
    staff: &User,
    id: i64,
    body: &api_types::AcceptInbound,
) -> Result<api_types::InboundReview> {
    use api_types::{InboundReviewStatus, NewUser, OrgRole, Role};
    let (review, raw) = state
        .repo
        .inbound_review(id)
        .await?
        .ok_or(Error::NotFound)?;
    if review.status != InboundReviewStatus::Pending {
        return Err(already_decided());
    }
    let user = match state.repo.account_by_email(&review.sender).await? {
        // Someone made the account meanwhile: the mail is theirs.
        Some(a) if a.user.role == Role::Client && !a.user.disabled => a.user,
        Some(_) => {
            return Err(conflict(
                "Este endereço já é de uma conta da equipe ou desativada; trate a mensagem à parte.",
                "This address belongs to a staff or disabled account; handle the message separately.",
            ));
        }
        None => {
            let name = body
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .or(review.sender_name.as_deref())
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    review
                        .sender
                        .split('@')
                        .next()
                        .unwrap_or(&review.sender)
                        .to_owned()
                });
            // No password anyone knows: the client signs in with an e-mailed link or sets one.
            let (password, _) = crate::auth::new_token();
            crate::routes::accounts::add_user(
                &state.repo,
                NewUser {
                    email: review.sender.clone(),
                    name,
                    role: Role::Client,
                    organization_id: Some(body.organization_id),
                    org_role: Some(OrgRole::Member),
                    password,
                    locale: None,
                },
            )
            .await?
        }
    };
    let mail = parse::parse(&raw).map_err(Error::Internal)?;
    let source = MailboxUid {
        mailbox: "review".into(),
        uidvalidity: 0,
        uid: u32::try_from(id).unwrap_or_default(),
    };
    let key = key_of(&mail, &source);
    let ticket = match state.repo.key_outcome(user.id, &key).await? {
        Some((ticket, _)) => ticket,
        None => {
            let (files, notes) = keep_files(state, &user, &mail).await?;
            let new = NewTicket {
                subject: subject_of(&mail),
                description: as_markdown(&mail.text, &notes),
                priority: None,
                category: None,
                channel: Some(api_types::Channel::Email),
                requester_id: None,
                search_id: None,
                attachments: files,
            };
            policy::open_by_mail(state, &user, &new, Some(&key))
                .await?
                .value
        }
    };
    decide(state, staff, id, Some(ticket)).await
}

/// Discards a mail of the review list: nothing is made of it.
pub async fn discard_review(
    state: &AppState,
    staff: &User,
    id: i64,
) -> Result<api_types::InboundReview> {
    state
        .repo
        .inbound_review(id)
        .await?
        .ok_or(Error::NotFound)?;
    decide(state, staff, id, None).await
}

/// Records `staff`'s decision on review entry `id` (accepted as `ticket`, or discarded) unless another
/// decision came first (409), and answers the entry as it now is.
async fn decide(
    state: &AppState,
    staff: &User,
    id: i64,
    ticket: Option<i64>,
) -> Result<api_types::InboundReview> {
    if !state
        .repo
        .decide_inbound_review(id, ticket.is_some(), staff.id, ticket, now_ms())
        .await?
    {
        return Err(already_decided());
    }
    Ok(state
        .repo
        .inbound_review(id)
        .await?
        .ok_or(Error::NotFound)?
        .0)
}

// ---------------------------------------------------------------------------------------------------------
// The mailbox

/// A connection, in clear or in TLS (both for STARTTLS's before and after).
#[derive(Debug)]
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => std::pin::Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

type Session = async_imap::Session<Conn>;

fn imap_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

async fn tls(
    host: &str,
    ca: Option<&std::path::Path>,
    tcp: TcpStream,
) -> std::result::Result<Conn, String> {
    use tokio_rustls::rustls::{
        self,
        pki_types::{CertificateDer, pem::PemObject},
    };
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca {
        let pem = std::fs::read(path).map_err(|e| format!("ca={}: {e}", path.display()))?;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| format!("ca={}: {e}", path.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("ca={}: {e}", path.display()))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(imap_err)?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(imap_err)?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {host}: {e}"))?;
    Ok(Conn::Tls(Box::new(stream)))
}

/// Connects and signs in.
pub async fn connect(url: &ImapUrl) -> std::result::Result<Session, String> {
    let tcp = tokio::time::timeout(
        Duration::from_secs(30),
        TcpStream::connect((url.host.as_str(), url.port)),
    )
    .await
    .map_err(|_| format!("connecting to {}:{}: timed out", url.host, url.port))?
    .map_err(|e| format!("connecting to {}:{}: {e}", url.host, url.port))?;
    let conn = match url.tls {
        Tls::Implicit => tls(&url.host, url.ca.as_deref(), tcp).await?,
        _ => Conn::Plain(tcp),
    };
    let mut client = async_imap::Client::new(conn);
    client
        .read_response()
        .await
        .map_err(imap_err)?
        .ok_or("the IMAP server closed the connection before greeting")?;
    if url.tls == Tls::StartTls {
        client
            .run_command_and_check_ok("STARTTLS", None)
            .await
            .map_err(|e| format!("STARTTLS (required on imap://; imaps:// or ?tls=none): {e}"))?;
        let Conn::Plain(tcp) = client.into_inner() else {
            return Err("STARTTLS on a TLS connection".into());
        };
        client = async_imap::Client::new(tls(&url.host, url.ca.as_deref(), tcp).await?);
    }
    client
        .login(&url.user, &url.password)
        .await
        .map_err(|(e, _)| format!("signing in to the mailbox as {}: {e}", url.user))
}

/// Handles every message of the mailbox not handled yet; answers how many it handled.
pub async fn poll_once(
    state: &AppState,
    config: &InboundConfig,
    url: &ImapUrl,
    session: &mut Session,
) -> std::result::Result<usize, String> {
    let mailbox = session.select(&url.mailbox).await.map_err(imap_err)?;
    let uidvalidity = mailbox.uid_validity.unwrap_or(0);
    let mut uids: Vec<u32> = session
        .uid_search(format!("UNDELETED UNKEYWORD {KEYWORD}"))
        .await
        .map_err(imap_err)?
        .into_iter()
        .collect();
    uids.sort_unstable();
    let mut handled = 0;
    for chunk in uids.chunks(CHUNK) {
        let set = join(chunk);
        let sizes: HashMap<u32, u32> = session
            .uid_fetch(&set, "(UID RFC822.SIZE)")
            .await
            .map_err(imap_err)?
            .try_collect::<Vec<_>>()
            .await
            .map_err(imap_err)?
            .iter()
            .filter_map(|f| Some((f.uid?, f.size?)))
            .collect();
        let (large, small): (Vec<u32>, Vec<u32>) = chunk.iter().partition(|u| {
            sizes
                .get(u)
                .is_some_and(|s| u64::from(*s) > config.max_bytes)
        });
        let mut done = Vec::new();
        for (uids, too_large) in [(small, false), (large, true)] {
            if uids.is_empty() {
                continue;
            }
            let what = if too_large {
                "(UID BODY.PEEK[HEADER])"
            } else {
                "(UID BODY.PEEK[])"
            };
            let fetches = session
                .uid_fetch(join(&uids), what)
                .await
                .map_err(imap_err)?
                .try_collect::<Vec<_>>()
                .await
                .map_err(imap_err)?;
            for f in &fetches {
                let Some(uid) = f.uid else { continue };
                let raw = if too_large { f.header() } else { f.body() }.unwrap_or_default();
                let source = MailboxUid {
                    mailbox: url.mailbox.clone(),
                    uidvalidity,
                    uid,
                };
                match import(state, &source, raw, too_large).await {
                    Ok(outcome) => {
                        if let Some(o) = outcome {
                            handled += 1;
                            tracing::info!(uid, outcome = o.as_str(), "mail handled");
                        }
                        done.push(uid);
                    }
                    Err(e) => {
                        tracing::warn!(uid, error = %e, "a mail could not be handled; tried again later")
                    }
                }
            }
        }
        if !done.is_empty() {
            mark(session, url, &join(&done)).await?;
        }
    }
    Ok(handled)
}

/// Marks handled messages (or moves them to the processed folder).
async fn mark(session: &mut Session, url: &ImapUrl, set: &str) -> std::result::Result<(), String> {
    session
        .uid_store(set, format!("+FLAGS.SILENT ({KEYWORD} \\Seen)"))
        .await
        .map_err(imap_err)?
        .try_collect::<Vec<_>>()
        .await
        .map_err(imap_err)?;
    if let Some(folder) = &url.processed {
        session.uid_mv(set, folder).await.map_err(imap_err)?;
    }
    Ok(())
}

fn join(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads the mailbox until the process ends: IDLE where the server offers it, else every `poll`;
/// reconnects after a failure, waiting longer each time (up to a minute).
pub async fn run(state: AppState, config: InboundConfig) {
    let url = match parse_imap_url(&config.url) {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "--imap-url");
            return;
        }
    };
    let mut wait = Duration::from_secs(1);
    loop {
        // One server at a time reads the mailbox (`Job::Inbound`): the others wait to take over.
        let turn = state
            .repo
            .exclusively(crate::repo::Job::Inbound, || {
                session_loop(&state, &config, &url)
            })
            .await;
        match turn {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(e))) => {
                tracing::warn!(error = %e, host = %url.host, "reading the support mailbox")
            }
            Ok(None) => wait = Duration::from_secs(5),
            Err(e) => tracing::warn!(error = %e, "taking the mailbox's turn"),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(60));
    }
}

async fn session_loop(
    state: &AppState,
    config: &InboundConfig,
    url: &ImapUrl,
) -> std::result::Result<(), String> {
    let mut session = connect(url).await?;
    let idle = session
        .capabilities()
        .await
        .map_err(imap_err)?
        .has_str("IDLE");
    tracing::info!(host = %url.host, mailbox = %url.mailbox, idle, "reading the support mailbox");
    loop {
        poll_once(state, config, url, &mut session).await?;
        if idle {
            let mut handle = session.idle();
            handle.init().await.map_err(imap_err)?;
            let (wait, _stop) = handle.wait_with_timeout(config.poll);
            wait.await.map_err(imap_err)?;
            session = handle.done().await.map_err(imap_err)?;
        } else {
            tokio::time::sleep(config.poll).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_urls_say_how_to_connect() {
        let u = parse_imap_url("imaps://suporte%40x.com:p%3Ass@imap.x.com/INBOX").unwrap();
        assert_eq!(u.tls, Tls::Implicit);
        assert_eq!(u.port, 993);
        assert_eq!(u.user, "suporte@x.com");
        assert_eq!(u.password, "p:ss");
        assert_eq!(u.mailbox, "INBOX");
        let u = parse_imap_url("imap://u:p@127.0.0.1:1143?tls=none&processed=Feito").unwrap();
        assert_eq!(u.tls, Tls::None);
        assert_eq!(u.port, 1143);
        assert_eq!(u.mailbox, "INBOX");
        assert_eq!(u.processed.as_deref(), Some("Feito"));
        assert_eq!(parse_imap_url("imap://u:p@h").unwrap().tls, Tls::StartTls);
        assert!(parse_imap_url("imaps://u:p@h?tls=none").is_err());
        assert!(parse_imap_url("pop3://u:p@h").is_err());
        assert!(parse_imap_url("imap://h/INBOX").is_err());
    }

    #[test]
    fn mail_text_keeps_its_lines_and_fits_a_message() {
        assert_eq!(as_markdown("a\nb\n", &[]), "a  \nb");
        assert!(as_markdown("", &[]).contains("sem texto"));
        let long = "x".repeat(30_000);
        assert!(as_markdown(&long, &[]).chars().count() <= policy::BODY_MAX);
    }
}
