//! E-mail out: the background sender that delivers the outbox (`repo::outbox`) by SMTP, and the
//! notifications' templates (pt-BR and en, plain text and HTML).
//!
//! Delivery is at least once: a notification is claimed (and its attempt counted) in a committed write
//! before it is sent, and marked sent after. A crash between the two sends it again when the server
//! starts, with the same Message-ID, so the recipient's mail program can tell it is the same mail.

use std::{sync::Arc, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart,
        header::{HeaderName, HeaderValue},
    },
};

use crate::{
    db::now_ms,
    inbound::parse::REPLY_MARKER,
    markdown::escape,
    repo::{
        Repo,
        outbox::{Delivery, MailLinkRow, Notice, OutboxMail},
    },
};

/// The default waits between attempts: five tries over an hour (1, 5, 15 and 40 minutes apart).
pub const DEFAULT_BACKOFF: [Duration; 4] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(40 * 60),
];

/// How long a claim holds: past it, a mail not marked is sent again (a sender that hangs).
const LEASE_MS: i64 = 5 * 60 * 1000;
/// Mails taken in one claim, and sent at once.
const BATCH: i64 = 16;

/// How the server sends e-mail (`serve --smtp-url`, `--mail-from`).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://user:pass@host:587` (STARTTLS required), `smtps://host:465` (TLS from the start), or
    /// `smtp://host:25?tls=none` (plain, for a relay on the same machine). `None`: nothing is sent and
    /// notifications wait in the outbox.
    pub smtp_url: Option<String>,
    /// The sender, `Portal de Suporte <suporte@example.com>`; by default `no-reply@` the public host.
    pub from: Option<String>,
    /// The waits between attempts; one try more than waits.
    pub backoff: Vec<Duration>,
    /// How often the outbox is looked at.
    pub poll: Duration,
    /// The support mailbox that e-mail in reads (`serve --mail-reply-to`): the notifications' Reply-To,
    /// and they carry the reply-above-this-line marker. `None`: replies go to the sender.
    pub reply_to: Option<String>,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: None,
            backoff: DEFAULT_BACKOFF.to_vec(),
            poll: Duration::from_secs(1),
            reply_to: None,
        }
    }
}

/// The transport URL as lettre reads it: a plain `smtp://` means STARTTLS required here (lettre would
/// send in clear), `?tls=none` asks for clear text.
pub fn transport_url(url: &str) -> Result<String, String> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let tls = pairs
        .iter()
        .find_map(|p| p.strip_prefix("tls="))
        .map(str::to_owned);
    if base.starts_with("smtps://") {
        return Ok(url.to_owned());
    }
    if !base.starts_with("smtp://") {
        return Err("the SMTP URL starts with smtp:// or smtps://".into());
    }
    match tls.as_deref() {
        None => pairs.push("tls=required"),
        Some("none") => pairs.retain(|p| !p.starts_with("tls=")),
        Some("required" | "opportunistic") => {}
        Some(other) => {
            return Err(format!(
                "tls={other}: use tls=required (the default), opportunistic or none"
            ));
        }
    }
    Ok(if pairs.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", pairs.join("&"))
    })
}

/// Checks `serve --smtp-url` at start, so that a typo is told at once rather than at the first mail.
pub fn check_smtp_url(url: &str) -> Result<(), String> {
    let url = transport_url(url)?;
    AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// What the sender needs beside the database.
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    domain: String,
    backoff: Vec<Duration>,
    poll: Duration,
    reply_to: Option<Mailbox>,
    /// The support desk's offset from UTC (its business hours'), in which mails give times.
    utc_offset_minutes: i32,
}

/// The host of a URL (`https://suporte.example.com/x` → `suporte.example.com`).
pub fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

impl Sender {
    /// A sender for `config`; `None` when no SMTP server is configured.
    pub fn new(
        config: &MailConfig,
        public_url: Option<&str>,
        utc_offset_minutes: i32,
    ) -> Result<Option<Self>, String> {
        let Some(url) = &config.smtp_url else {
            return Ok(None);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&transport_url(url)?)
            .map_err(|e| format!("--smtp-url: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let public_url = public_url
            .unwrap_or("http://localhost:8080")
            .trim_end_matches('/')
            .to_owned();
        let domain = host_of(&public_url).unwrap_or("localhost").to_owned();
        let from = config
            .from
            .clone()
            .unwrap_or_else(|| format!("Portal de Suporte <no-reply@{domain}>"));
        let from: Mailbox = from.parse().map_err(|e| format!("--mail-from: {e}"))?;
        let reply_to = match &config.reply_to {
            Some(r) => Some(
                r.parse::<Mailbox>()
                    .map_err(|e| format!("--mail-reply-to: {e}"))?,
            ),
            None => None,
        };
        Ok(Some(Self {
            reply_to,
            transport,
            from,
            public_url,
            domain,
            backoff: config.backoff.clone(),
            poll: config.poll,
            utc_offset_minutes,
        }))
    }

    /// Delivers the outbox until the process ends. Servers sharing a PostgreSQL database take turns:
    /// one sends (holding `Job::Mail`'s lock), the others wait to take over if it stops.
    pub async fn run(self: Arc<Self>, repo: Repo) {
        loop {
            let sender = self.clone();
            match repo
                .exclusively(crate::repo::Job::Mail, || sender.send_forever(repo.clone()))
                .await
            {
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "taking the outbox's turn"),
            }
            tokio::time::sleep(self.poll.max(std::time::Duration::from_secs(1))).await;
        }
    }

    async fn send_forever(self: Arc<Self>, repo: Repo) {
        match repo.release_outbox_claims().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                mails = n,
                "sending again the mails a stopped server was sending"
            ),
            Err(e) => tracing::warn!(error = %e, "releasing the outbox's claims"),
        }
        loop {
            let batch = match repo.claim_outbox(now_ms(), LEASE_MS, BATCH).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the outbox");
                    Vec::new()
                }
            };
            if batch.is_empty() {
                tokio::time::sleep(self.poll).await;
                continue;
            }
            // The batch's links are stored in one transaction, and its outcomes in another: two
            // commits (fsyncs) for up to BATCH mails instead of two per mail.
            let mut links = Vec::new();
            let mut rows = Vec::new();
            let now = now_ms();
            for mail in &batch {
                let link = link_for(mail).map(|(purpose, ticket, ttl)| {
                    let (token, hash) = crate::auth::new_token();
                    rows.push(MailLinkRow {
                        token_hash: hash,
                        user_id: mail.recipient_id,
                        purpose,
                        ticket_id: ticket,
                        created_at: now,
                        expires_at: now + ttl,
                    });
                    token
                });
                links.push(link);
            }
            if let Err(e) = repo.create_mail_links(&rows).await {
                tracing::warn!(error = %e, "storing the mails' links");
                tokio::time::sleep(self.poll).await;
                continue;
            }
            let mut sends = tokio::task::JoinSet::new();
            for (mail, link) in batch.into_iter().zip(links) {
                let me = self.clone();
                let repo = repo.clone();
                sends.spawn(async move {
                    let delivery = me.deliver(&repo, &mail, link.as_deref()).await;
                    (mail, delivery)
                });
            }
            let mut outcomes = Vec::new();
            while let Some(done) = sends.join_next().await {
                if let Ok((mail, Some(delivery))) = done {
                    outcomes.push((mail, delivery));
                }
            }
            if let Err(e) = repo.record_deliveries(&outcomes, now_ms()).await {
                tracing::warn!(error = %e, "recording the mails' deliveries");
            }
        }
    }

    /// Sends one mail, unless its address refused one before; `None` when that cannot be read (the claim
    /// lapses and the mail is tried again).
    async fn deliver(
        &self,
        repo: &Repo,
        mail: &OutboxMail,
        link: Option<&str>,
    ) -> Option<Delivery> {
        let delivery = match repo.mail_suppressed(&mail.address).await {
            Ok(true) => Delivery::Rejected {
                error: "address refused a mail before (5xx); not written to again".into(),
            },
            Ok(false) => self.attempt(mail, link).await,
            Err(e) => {
                tracing::warn!(error = %e, "reading the suppressed addresses");
                return None;
            }
        };
        match &delivery {
            Delivery::Sent => {
                tracing::debug!(outbox = mail.id, to = %mail.address, "mail sent")
            }
            Delivery::Deferred { error, retry_at } => {
                tracing::warn!(outbox = mail.id, to = %mail.address, attempt = mail.attempt, error = %error,
                    retry = retry_at.is_some(), "mail not delivered")
            }
            Delivery::Rejected { error } => {
                tracing::warn!(outbox = mail.id, to = %mail.address, error = %error, "mail refused")
            }
        }
        Some(delivery)
    }

    async fn attempt(&self, mail: &OutboxMail, link: Option<&str>) -> Delivery {
        let message = match self.message(mail, link) {
            Ok(m) => m,
            Err(error) => return Delivery::Rejected { error },
        };
        match self.transport.send(message).await {
            Ok(_) => Delivery::Sent,
            Err(e) if e.is_permanent() => Delivery::Rejected {
                error: e.to_string(),
            },
            Err(e) => {
                let wait = usize::try_from(mail.attempt - 1)
                    .ok()
                    .and_then(|i| self.backoff.get(i));
                Delivery::Deferred {
                    error: e.to_string(),
                    retry_at: wait.map(|w| now_ms() + w.as_millis() as i64),
                }
            }
        }
    }

    /// The mail of a notification.
    pub fn message(&self, mail: &OutboxMail, link: Option<&str>) -> Result<Message, String> {
        let to: Mailbox = format!("{} <{}>", quote_name(&mail.recipient_name), mail.address)
            .parse()
            .or_else(|_| mail.address.parse())
            .map_err(|e| format!("the address {} is not valid: {e}", mail.address))?;
        let mut content = render(mail, &self.public_url, link, self.utc_offset_minutes);
        if self.reply_to.is_some() && mail.ticket_id.is_some() {
            // A reply by e-mail is cut at this line (`inbound::parse::strip_quotes`).
            content.text = format!("{REPLY_MARKER}\n\n{}", content.text);
            content.html = content.html.replacen(
                "<p>",
                &format!("<p style=\"font-size:12px;color:#9ca3af;\">{REPLY_MARKER}</p><p>"),
                1,
            );
        }
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(content.subject)
            .message_id(Some(format!("<{}@{}>", mail.message_id, self.domain)));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        if let Some(ticket) = mail.ticket_id {
            let thread = format!("<ticket-{ticket}@{}>", self.domain);
            builder = builder
                .in_reply_to(thread.clone())
                .references(thread)
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("X-Portal-Ticket"),
                    ticket.to_string(),
                ));
        }
        let builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>", content.preferences_url),
            ));
        builder
            .multipart(MultiPart::alternative_plain_html(
                content.text,
                content.html,
            ))
            .map_err(|e| e.to_string())
    }
}

/// The link a mail carries: (purpose, ticket, lifetime in ms). A client's notification opens the ticket
/// in one click; a sign-in or reset mail is its link. (Staff open tickets with their password: a
/// forwarded mail must not open a ticket's internal notes.)
fn link_for(mail: &OutboxMail) -> Option<(&'static str, Option<i64>, i64)> {
    use crate::routes::links::{ACCOUNT_LINK_MS, INVITE_LINK_MS, TICKET_LINK_MS};
    match (mail.notice, mail.ticket_id) {
        (Notice::SignIn, _) => Some(("sign_in", None, ACCOUNT_LINK_MS)),
        (Notice::Invitation, _) => Some(("invite", None, INVITE_LINK_MS)),
        (Notice::PasswordReset, _) => Some(("reset", None, ACCOUNT_LINK_MS)),
        (_, Some(ticket)) if !mail.recipient_staff => {
            Some(("ticket", Some(ticket), TICKET_LINK_MS))
        }
        _ => None,
    }
}

/// A display name as RFC 5322 wants it when it has specials.
fn quote_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect();
    format!("\"{clean}\"")
}

/// A notification's words, in its recipient's language.
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub ticket_url: String,
    pub preferences_url: String,
}

fn status_label(status: &str, pt: bool) -> &'static str {
    match (status, pt) {
        ("open", true) => "Aberto",
        ("open", false) => "Open",
        ("pending", true) => "Aguardando sua resposta",
        ("pending", false) => "Waiting for your reply",
        ("resolved", true) => "Resolvido",
        ("resolved", false) => "Resolved",
        ("closed", true) => "Encerrado",
        ("closed", false) => "Closed",
        (_, true) => "Atualizado",
        (_, false) => "Updated",
    }
}

/// A due time as the mail says it: in the support desk's local time (the offset its business hours are
/// written in, −03:00 by default), the offset named, since the sender does not know the reader's zone.
fn when(ms: Option<i64>, pt: bool, utc_offset_minutes: i32) -> String {
    let t = crate::db::to_time(ms.unwrap_or_default());
    let offset = chrono::FixedOffset::east_opt(utc_offset_minutes * 60)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("UTC is an offset"));
    let t = t.with_timezone(&offset);
    if pt {
        t.format("%d/%m/%Y %H:%M (UTC%:z)").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M (UTC%:z)").to_string()
    }
}

/// The texts of `mail`, with links under `public_url`; `link`: the one-click token that opens the
/// ticket signed in.
pub fn render(
    mail: &OutboxMail,
    public_url: &str,
    link: Option<&str>,
    utc_offset_minutes: i32,
) -> Content {
    let pt = mail.locale != "en";
    let id = mail.ticket_id.unwrap_or_default();
    let token = link.unwrap_or_default();
    let ticket_url = match (mail.notice, link) {
        (Notice::SignIn, _) => format!("{public_url}/?link={token}"),
        (Notice::PasswordReset, _) => format!("{public_url}/account/reset?token={token}"),
        (Notice::Invitation, _) => format!("{public_url}/account/invite?token={token}"),
        (Notice::Digest, _) => format!("{public_url}/tickets"),
        (Notice::MailTooLarge, _) => format!("{public_url}/tickets/new"),
        (_, Some(token)) => format!("{public_url}/tickets/{id}?link={token}"),
        (_, None) => format!("{public_url}/tickets/{id}"),
    };
    let preferences_url = format!("{public_url}/account/notifications");
    let subject_line = mail.subject.trim();
    let author = mail.author_name.as_str();
    let status = mail.to_status.as_deref().unwrap_or("");
    let ahead = crate::repo::outbox::SLA_WARNING_AHEAD_MS / 60_000;
    let digest: crate::repo::outbox::Digest = match mail.notice {
        Notice::Digest => mail
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default(),
        _ => Default::default(),
    };
    let (subject, intro, button) = match (mail.notice, pt) {
        (Notice::TicketCreated, true) if mail.self_opened => (
            format!("[#{id}] Chamado recebido: {subject_line}"),
            format!(
                "Recebemos a sua mensagem e abrimos o chamado #{id} (o número do seu protocolo). \
                 Para acrescentar algo, responda a este e-mail mantendo o [#{id}] no assunto:"
            ),
            "Ver o chamado",
        ),
        (Notice::TicketCreated, false) if mail.self_opened => (
            format!("[#{id}] Ticket received: {subject_line}"),
            format!(
                "We received your message and opened ticket #{id} (your reference number). To add \
                 anything, reply to this e-mail keeping [#{id}] in the subject:"
            ),
            "View the ticket",
        ),
        (Notice::MailTooLarge, true) => (
            "Sua mensagem ao suporte era grande demais".to_string(),
            "Recebemos uma mensagem sua, mas ela passa do limite de tamanho que aceitamos por \
             e-mail e não foi registrada. Envie de novo sem os anexos maiores, ou abra o \
             chamado no portal e anexe os arquivos por lá."
                .to_string(),
            "Abrir o portal",
        ),
        (Notice::MailTooLarge, false) => (
            "Your message to support was too large".to_string(),
            "We received a message of yours, but it is over the size we accept by e-mail \
             and was not recorded. Send it again without the largest attachments, or open the ticket \
             in the portal and attach the files there."
                .to_string(),
            "Open the portal",
        ),
        (Notice::TicketCreated, true) if mail.org_copy => (
            format!("[#{id}] Chamado aberto: {subject_line}"),
            format!(
                "{author} abriu o chamado #{id} da sua organização, em nome de {}:",
                mail.requester_name
            ),
            "Ver o chamado",
        ),
        (Notice::TicketCreated, false) if mail.org_copy => (
            format!("[#{id}] Ticket opened: {subject_line}"),
            format!(
                "{author} opened ticket #{id} of your organization, for {}:",
                mail.requester_name
            ),
            "View the ticket",
        ),
        (Notice::Resolved, true) if mail.org_copy => (
            format!("[#{id}] Chamado resolvido: {subject_line}"),
            format!(
                "{author} marcou como resolvido o chamado #{id} de {}, da sua organização.",
                mail.requester_name
            ),
            "Ver o chamado",
        ),
        (Notice::Resolved, false) if mail.org_copy => (
            format!("[#{id}] Ticket resolved: {subject_line}"),
            format!(
                "{author} marked ticket #{id} of {}, of your organization, as resolved.",
                mail.requester_name
            ),
            "View the ticket",
        ),
        (Notice::TicketCreated, true) => (
            format!("[#{id}] Chamado aberto: {subject_line}"),
            format!("{author} abriu o chamado #{id} em seu nome:"),
            "Ver o chamado",
        ),
        (Notice::TicketCreated, false) => (
            format!("[#{id}] Ticket opened: {subject_line}"),
            format!("{author} opened ticket #{id} on your behalf:"),
            "View the ticket",
        ),
        (Notice::Reply, true) => (
            format!("[#{id}] Nova resposta: {subject_line}"),
            format!("{author} escreveu no chamado #{id}:"),
            "Responder no portal",
        ),
        (Notice::Reply, false) => (
            format!("[#{id}] New reply: {subject_line}"),
            format!("{author} wrote on ticket #{id}:"),
            "Reply in the portal",
        ),
        (Notice::StatusChange, true) => (
            format!(
                "[#{id}] Situação: {} — {subject_line}",
                status_label(status, true)
            ),
            format!(
                "{author} mudou a situação do chamado #{id} para “{}”.",
                status_label(status, true)
            ),
            "Ver o chamado",
        ),
        (Notice::StatusChange, false) => (
            format!(
                "[#{id}] Status: {} — {subject_line}",
                status_label(status, false)
            ),
            format!(
                "{author} changed the status of ticket #{id} to “{}”.",
                status_label(status, false)
            ),
            "View the ticket",
        ),
        (Notice::Resolved, true) => (
            format!("[#{id}] Chamado resolvido: {subject_line}"),
            format!(
                "{author} marcou o chamado #{id} como resolvido. Como foi o atendimento? \
                 Dê uma nota de 1 a 5 no chamado; se o problema continuar, reabra-o por lá."
            ),
            "Avaliar o atendimento",
        ),
        (Notice::SignIn, true) => (
            "Seu link para entrar no Portal de Suporte".to_string(),
            "Use o botão abaixo para entrar sem senha. O link vale por 30 minutos e uma única vez; \
             se não foi você quem pediu, ignore este e-mail."
                .to_string(),
            "Entrar no portal",
        ),
        (Notice::SignIn, false) => (
            "Your link to sign in to the Support Portal".to_string(),
            "Use the button below to sign in without a password. The link works once, within 30 \
             minutes; if you did not ask for it, ignore this e-mail."
                .to_string(),
            "Sign in to the portal",
        ),
        (Notice::PasswordReset, true) => (
            "Redefinição da sua senha do Portal de Suporte".to_string(),
            "Alguém (esperamos que você) pediu para redefinir a sua senha. Use o botão abaixo para \
             escolher uma nova; o link vale por 30 minutos e uma única vez, e ao usá-lo todas as \
             outras sessões são encerradas. Se não foi você, ignore este e-mail: a senha continua a mesma."
                .to_string(),
            "Escolher uma nova senha",
        ),
        (Notice::PasswordReset, false) => (
            "Reset your Support Portal password".to_string(),
            "Someone (we hope you) asked to reset your password. Use the button below to choose a new \
             one; the link works once, within 30 minutes, and using it signs out every other session. \
             If it was not you, ignore this e-mail: your password stays as it is."
                .to_string(),
            "Choose a new password",
        ),
        (Notice::Escalation, true) => (
            format!(
                "[#{id}] Escalado: nota {} — {subject_line}",
                mail.score.unwrap_or_default()
            ),
            format!(
                "{} deu nota {} de 5 ao atendimento do chamado #{id}, que foi escalado para \
                 acompanhamento (prazo de resolução: {}).",
                mail.requester_name,
                mail.score.unwrap_or_default(),
                when(mail.due_at, true, utc_offset_minutes)
            ),
            "Abrir o chamado",
        ),
        (Notice::Escalation, false) => (
            format!(
                "[#{id}] Escalated: rated {} — {subject_line}",
                mail.score.unwrap_or_default()
            ),
            format!(
                "{} rated the service on ticket #{id} {} out of 5, and the ticket was escalated for \
                 a follow-up (resolution due: {}).",
                mail.requester_name,
                mail.score.unwrap_or_default(),
                when(mail.due_at, false, utc_offset_minutes)
            ),
            "Open the ticket",
        ),
        (Notice::SlaWarning, true) => {
            let target = if mail.detail.as_deref() == Some("first_response") {
                "primeira resposta"
            } else {
                "resolução"
            };
            (
                format!(
                    "[#{id}] Prazo de {target} vence {}: {subject_line}",
                    when(mail.due_at, true, utc_offset_minutes)
                ),
                format!(
                    "O prazo de {target} do chamado #{id}, de {}, vence em {} (em menos de {ahead} minutos).",
                    mail.requester_name,
                    when(mail.due_at, true, utc_offset_minutes)
                ),
                "Abrir o chamado",
            )
        }
        (Notice::SlaWarning, false) => {
            let target = if mail.detail.as_deref() == Some("first_response") {
                "First response"
            } else {
                "Resolution"
            };
            (
                format!(
                    "[#{id}] {target} due {}: {subject_line}",
                    when(mail.due_at, false, utc_offset_minutes)
                ),
                format!(
                    "{target} on ticket #{id}, from {}, is due at {} (in less than {ahead} minutes).",
                    mail.requester_name,
                    when(mail.due_at, false, utc_offset_minutes)
                ),
                "Open the ticket",
            )
        }
        (Notice::Digest, true) => (
            format!("Resumo diário dos chamados — {}", digest.organization),
            format!(
                "Os chamados da {} nas últimas 24 horas, e os que continuam em aberto:",
                digest.organization
            ),
            "Ver os chamados",
        ),
        (Notice::Digest, false) => (
            format!("Daily summary of tickets — {}", digest.organization),
            format!(
                "The tickets of {} in the last 24 hours, and the ones still open:",
                digest.organization
            ),
            "View the tickets",
        ),
        (Notice::Invitation, true) => (
            "Convite para o Portal de Suporte".to_string(),
            format!(
                "Criamos uma conta para você no Portal de Suporte, com o e-mail {}. Nele você abre \
                 chamados, acompanha as respostas e consulta a base de conhecimento. Escolha a sua \
                 senha pelo botão abaixo: o link vale por 7 dias e uma única vez.",
                mail.address
            ),
            "Criar minha senha",
        ),
        (Notice::Invitation, false) => (
            "Your invitation to the Support Portal".to_string(),
            format!(
                "We made you an account on the Support Portal, with the e-mail {}. There you open \
                 tickets, follow the answers and read the knowledge base. Choose your password with \
                 the button below: the link works once, within 7 days.",
                mail.address
            ),
            "Choose my password",
        ),
        (Notice::Resolved, false) => (
            format!("[#{id}] Ticket resolved: {subject_line}"),
            format!(
                "{author} marked ticket #{id} as resolved. How did we do? Rate the service from 1 \
                 to 5 on the ticket; if the problem is still there, reopen it there."
            ),
            "Rate the service",
        ),
    };
    let (hello, footer) = if pt {
        (
            format!("Olá, {},", mail.recipient_name),
            "Esta é uma mensagem automática do Portal de Suporte. Responda pelo portal. \
             Escolha quais e-mails receber em",
        )
    } else {
        (
            format!("Hello {},", mail.recipient_name),
            "This is an automatic message from the Support Portal. Reply in the portal. \
             Choose which e-mails you get at",
        )
    };
    let mut text = format!("{hello}\n\n{intro}\n\n");
    let mut digest_html = String::new();
    if mail.notice == Notice::Digest {
        let sections = [
            (
                if pt {
                    "Abertos nas últimas 24 horas"
                } else {
                    "Opened in the last 24 hours"
                },
                &digest.opened,
            ),
            (
                if pt {
                    "Alterados nas últimas 24 horas"
                } else {
                    "Changed in the last 24 hours"
                },
                &digest.changed,
            ),
            (
                if pt { "Ainda em aberto" } else { "Still open" },
                &digest.active,
            ),
        ];
        for (title, items) in sections {
            if items.is_empty() {
                continue;
            }
            text.push_str(&format!("{title}:\n"));
            digest_html.push_str(&format!("<h3>{}</h3><ul>", escape(title)));
            for t in items {
                let url = format!("{public_url}/tickets/{}", t.id);
                let status = status_label(&t.status, pt);
                text.push_str(&format!("- [#{}] {} ({status}): {url}\n", t.id, t.subject));
                digest_html.push_str(&format!(
                    "<li><a href=\"{}\">[#{}] {}</a> ({})</li>",
                    escape(&url),
                    t.id,
                    escape(&t.subject),
                    escape(status)
                ));
            }
            text.push('\n');
            digest_html.push_str("</ul>");
        }
    }
    if let Some(body) = &mail.body_md {
        for line in body.lines() {
            text.push_str("> ");
            text.push_str(line);
            text.push('\n');
        }
        text.push('\n');
    }
    text.push_str(&format!(
        "{button}: {ticket_url}\n\n-- \n{footer} {preferences_url}\n"
    ));
    let body_html = mail
        .body_html
        .as_deref()
        .map(|h| {
            format!(
                "<blockquote style=\"margin:16px 0;padding:8px 16px;border-left:4px solid #c7d2fe;\">{h}</blockquote>"
            )
        })
        .unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1f2937;\">\
         <p>{hello}</p><p>{intro}</p>{body_html}{digest_html}\
         <p><a href=\"{url}\" style=\"display:inline-block;padding:10px 18px;background:#1d4ed8;color:#ffffff;\
         text-decoration:none;border-radius:6px;\">{button}</a></p>\
         <hr><p style=\"font-size:12px;color:#6b7280;\">{footer} <a href=\"{prefs}\">{prefs}</a></p></body></html>",
        lang = if pt { "pt-BR" } else { "en" },
        title = escape(&subject),
        hello = escape(&hello),
        intro = escape(&intro),
        url = escape(&ticket_url),
        button = escape(button),
        footer = escape(footer),
        prefs = escape(&preferences_url),
    );
    Content {
        subject,
        text,
        html,
        ticket_url,
        preferences_url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_smtp_means_starttls_unless_told_otherwise() {
        assert_eq!(
            transport_url("smtp://u:p@mail.example.com:587").unwrap(),
            "smtp://u:p@mail.example.com:587?tls=required"
        );
        assert_eq!(
            transport_url("smtp://127.0.0.1:2525?tls=none").unwrap(),
            "smtp://127.0.0.1:2525"
        );
        assert_eq!(
            transport_url("smtps://u:p@mail.example.com").unwrap(),
            "smtps://u:p@mail.example.com"
        );
        assert!(transport_url("http://mail.example.com").is_err());
        assert!(transport_url("smtp://h?tls=maybe").is_err());
        assert!(check_smtp_url("smtp://u:p@mail.example.com:587").is_ok());
    }

    #[test]
    fn the_host_of_the_public_url_names_our_domain() {
        assert_eq!(
            host_of("https://suporte.example.com/x"),
            Some("suporte.example.com")
        );
        assert_eq!(host_of("http://127.0.0.1:8080"), Some("127.0.0.1"));
    }
}
