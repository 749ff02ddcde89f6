//! E-mail in against a real IMAP server (dovecot, `support/imap.rs`): a corpus of real-world mails
//! (Gmail and Outlook replies with quotes, HTML-only, a forward with a file, an auto-reply, a bounce, an
//! encoded Portuguese subject, another organization's ticket number, an unknown sender) each becomes
//! exactly what it should; a server killed mid-batch loses and repeats none; and (ignored) the time to
//! import 1 000 mails.

mod common;
#[path = "support/imap.rs"]
mod imap;
#[path = "support/smtp.rs"]
mod smtp;

use std::{
    path::Path,
    time::{Duration, Instant},
};

use axum::http::{Method, StatusCode};
use common::*;
use imap::Dovecot;
use portal_api::{
    Config,
    inbound::{self, InboundConfig},
};
use serde_json::{Value, json};

const PUBLIC: &str = "https://suporte.example.com";

/// The server's configuration; the mailbox is read by the test (`poll`), not by the background reader.
fn config() -> Config {
    Config {
        public_url: Some(PUBLIC.into()),
        inbound: None,
        ..Config::default()
    }
}

fn inbound_config(server: &Dovecot, max_bytes: u64) -> InboundConfig {
    InboundConfig {
        url: server.url(),
        poll: Duration::from_secs(1),
        max_bytes,
    }
}

/// Reads the mailbox once, as the background reader does each time; answers how many mails it handled.
async fn poll(app: &TestApp, server: &Dovecot, max_bytes: u64) -> usize {
    let cfg = inbound_config(server, max_bytes);
    let url = inbound::parse_imap_url(&cfg.url).unwrap();
    let mut session = inbound::connect(&url).await.unwrap();
    let n = inbound::poll_once(&app.state, &cfg, &url, &mut session)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    let _ = session.logout().await;
    n
}

fn corpus(name: &str, vars: &[(&str, String)]) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (k, v) in vars {
        text = text.replace(&format!("{{{{{k}}}}}"), v);
    }
    // As mail travels: CRLF line ends.
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

async fn ticket_by_subject(app: &TestApp, subject: &str) -> Vec<(i64, String, i64, i64)> {
    portal_api::db::sql::query(
        "SELECT id, channel, requester_id, organization_id FROM tickets WHERE subject = ? ORDER BY id",
    )
    .bind(subject)
    .fetch_all(&app.repo.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get("id"),
            r.get("channel"),
            r.get("requester_id"),
            r.get("organization_id"),
        )
    })
    .collect()
}

async fn get(app: &TestApp, cookie: &str, path: &str) -> Value {
    let a = app.call(Method::GET, path, Some(cookie), None).await;
    assert_eq!(a.status, StatusCode::OK, "{path}: {:?}", a.body);
    a.body
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    portal_api::db::sql::query_scalar(sql)
        .fetch_one(&app.repo.pool)
        .await
        .unwrap()
}

async fn org_of(app: &TestApp, email: &str) -> i64 {
    app.repo
        .account_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .user
        .organization
        .unwrap()
        .id
}

#[tokio::test]
async fn the_corpus_becomes_tickets_replies_and_review_entries() {
    let server = Dovecot::start();
    let app = TestApp::with_config(config()).await;
    let max = inbound::DEFAULT_MAX_BYTES;
    let agent = app.session_for(AGENT).await;
    let rui = app.user_id(MEMBER_A).await;
    let ana = app.user_id(MANAGER_A).await;
    let bruno = app.user_id(CLIENT_B).await;

    // A new mail from a known client: a ticket of theirs, by e-mail, in their organization, and the
    // "ticket received" notification with its number.
    server.deliver(&corpus("gmail_new.eml", &[]));
    assert_eq!(poll(&app, &server, max).await, 1);
    let found = ticket_by_subject(&app, "Emissão de nota fiscal travada").await;
    assert_eq!(found.len(), 1, "the encoded Portuguese subject is read");
    let (t, channel, requester, org) = found[0].clone();
    assert_eq!(
        (channel.as_str(), requester, org),
        ("email", rui, org_of(&app, MEMBER_A).await)
    );
    let received: String = portal_api::db::sql::query_scalar(
        "SELECT message_id FROM outbox WHERE ticket_id = ? AND recipient_id = ? AND kind = 'ticket_created'",
    )
    .bind(t)
    .bind(rui)
    .fetch_one(&app.repo.pool)
    .await
    .expect("the sender is told the ticket was received");
    let description = get(&app, &agent, &format!("/api/v1/tickets/{t}")).await;
    assert!(
        description["description"]
            .as_str()
            .unwrap()
            .contains("Rejeição 539"),
        "{description}"
    );

    // Gmail's reply to that notification: threaded by In-Reply-To, quote cut and kept for staff.
    server.deliver(&corpus(
        "gmail_reply.eml",
        &[
            ("TICKET", t.to_string()),
            ("IN_REPLY_TO", format!("<{received}@suporte.example.com>")),
            (
                "REFERENCES",
                format!(
                    "<CAJ8v3=mK2xQ0-new-ticket@mail.gmail.com> <{received}@suporte.example.com>"
                ),
            ),
        ],
    ));
    // Outlook's reply by the organization's manager: no In-Reply-To, joined by [#id].
    server.deliver(&corpus("outlook_reply.eml", &[("TICKET", t.to_string())]));
    assert_eq!(poll(&app, &server, max).await, 2);
    let staff_view = get(&app, &agent, &format!("/api/v1/tickets/{t}")).await;
    let messages: Vec<&Value> = staff_view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "message")
        .collect();
    assert_eq!(messages.len(), 2, "{staff_view}");
    let gmail = messages[0];
    assert_eq!(gmail["author"]["id"], rui);
    let html = gmail["body_html"].as_str().unwrap();
    assert!(html.contains("código 540"), "{html}");
    assert!(
        !html.contains("Responda acima") && !html.contains("wrote:"),
        "{html}"
    );
    let quoted = gmail["quoted_text"]
        .as_str()
        .expect("quoted text for staff");
    assert!(quoted.contains("Responda acima desta linha"), "{quoted}");
    let outlook = messages[1];
    assert_eq!(outlook["author"]["id"], ana);
    let html = outlook["body_html"].as_str().unwrap();
    assert!(html.contains("gerente da loja"), "{html}");
    assert!(!html.contains("Enviado:"), "{html}");
    assert!(
        outlook["quoted_text"]
            .as_str()
            .unwrap()
            .contains("Enviado:")
    );
    // The client never sees the quoted text.
    let rui_cookie = app.session_for(MEMBER_A).await;
    let client_view = get(&app, &rui_cookie, &format!("/api/v1/tickets/{t}")).await;
    assert!(
        client_view["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("quoted_text").is_none()),
        "{client_view}"
    );

    // HTML-only, a forward with a file.
    server.deliver(&corpus("html_only.eml", &[]));
    server.deliver(&corpus("forwarded.eml", &[]));
    assert_eq!(poll(&app, &server, max).await, 2);
    let (html_ticket, _, requester, org) =
        ticket_by_subject(&app, "Loja virtual fora do ar").await[0].clone();
    assert_eq!((requester, org), (bruno, org_of(&app, CLIENT_B).await));
    let body = get(&app, &agent, &format!("/api/v1/tickets/{html_ticket}")).await;
    let text = body["description"].as_str().unwrap();
    assert!(text.contains("Erro 502") && text.contains("Olá"), "{text}");
    assert!(
        !text.contains("alert") && !text.contains("font-family"),
        "{text}"
    );
    let html = body["description_html"].as_str().unwrap();
    assert!(
        !html.contains("<script") && !html.contains("onerror"),
        "{html}"
    );
    let (fwd, ..) = ticket_by_subject(&app, "Fwd: Erro no fechamento do caixa").await[0].clone();
    let body = get(&app, &agent, &format!("/api/v1/tickets/{fwd}")).await;
    let text = body["description"].as_str().unwrap();
    assert!(
        text.contains("Forwarded message") && text.contains("diferença de R$ 12,00"),
        "a forward keeps the mail it forwards: {text}"
    );
    let files = body["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{body}");
    assert_eq!(files[0]["name"], "fechamento.csv");

    // An auto-reply and a bounce: no ticket, no event, no notification; the bounced address fails.
    let outbox_before = count(&app, "SELECT COUNT(*) FROM outbox").await;
    let events_before = count(&app, "SELECT COUNT(*) FROM ticket_events").await;
    let tickets_before = count(&app, "SELECT COUNT(*) FROM tickets").await;
    server.deliver(&corpus("autoreply.eml", &[("TICKET", t.to_string())]));
    server.deliver(&corpus("bounce.eml", &[]));
    assert_eq!(poll(&app, &server, max).await, 2);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox").await,
        outbox_before
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM ticket_events").await,
        events_before
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM tickets").await,
        tickets_before
    );
    assert!(
        app.repo
            .mail_suppressed("caixa-antigo@mercadobompreco.demo")
            .await
            .unwrap()
    );

    // Another organization's ticket number: never joined; a ticket of the sender's own instead.
    server.deliver(&corpus("other_org.eml", &[("TICKET", t.to_string())]));
    assert_eq!(poll(&app, &server, max).await, 1);
    let after = get(&app, &agent, &format!("/api/v1/tickets/{t}")).await;
    assert_eq!(
        after["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "message")
            .count(),
        2,
        "ticket {t} was joined by another organization's client"
    );
    let (own, _, requester, org) = portal_api::db::sql::query(
        "SELECT id, requester_id, organization_id FROM tickets WHERE description_md LIKE '%outra loja%'",
    )
    .fetch_one(&app.repo.pool)
    .await
    .map(|r| {
        (
            r.get::<i64, _>("id"),
            (),
            r.get::<i64, _>("requester_id"),
            r.get::<i64, _>("organization_id"),
        )
    })
    .unwrap();
    assert!(own != t);
    assert_eq!((requester, org), (bruno, org_of(&app, CLIENT_B).await));

    // An unknown sender: the review list, never an organization; accepted by staff into one.
    let tickets_before = count(&app, "SELECT COUNT(*) FROM tickets").await;
    server.deliver(&corpus("unknown.eml", &[]));
    assert_eq!(poll(&app, &server, max).await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM tickets").await,
        tickets_before
    );
    let list = get(&app, &agent, "/api/v1/inbound/review?status=pending").await;
    assert_eq!(list["total"], 1, "{list}");
    let entry = &list["items"][0];
    assert_eq!(entry["sender"], "joana.prado@gmail.example");
    assert_eq!(entry["sender_name"], "Joana Prado");
    assert!(entry["excerpt"].as_str().unwrap().contains("farmácia"));
    let id = entry["id"].as_i64().unwrap();
    let org_b = org_of(&app, CLIENT_B).await;
    let accepted = app
        .call(
            Method::POST,
            &format!("/api/v1/inbound/review/{id}/accept"),
            Some(&agent),
            Some(json!({"organization_id": org_b})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    assert_eq!(accepted.body["status"], "accepted");
    let new_ticket = accepted.body["ticket_id"].as_i64().unwrap();
    let joana = app
        .repo
        .account_by_email("joana.prado@gmail.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(joana.user.organization.unwrap().id, org_b);
    let ticket = get(&app, &agent, &format!("/api/v1/tickets/{new_ticket}")).await;
    assert_eq!(ticket["requester"]["id"], joana.user.id);
    assert_eq!(ticket["channel"], "email");
    let again = app
        .call(
            Method::POST,
            &format!("/api/v1/inbound/review/{id}/discard"),
            Some(&agent),
            Some(json!({})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);

    // Every mail is marked in the mailbox, and a new look handles nothing again.
    assert_eq!(poll(&app, &server, max).await, 0);
    let files = server.files();
    assert_eq!(files.len(), 9, "{files:?}");
    assert!(
        files.iter().all(|f| f
            .rsplit_once(":2,")
            .is_some_and(|(_, flags)| flags.contains('S'))),
        "{files:?}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM inbound_messages").await,
        9
    );
}

/// The round trip through real servers: the "ticket received" notification goes out by SMTP with the
/// support address as Reply-To and the marker on top; the client's mail program answers it quoting all
/// of it; the answer joins the ticket by its In-Reply-To with only the new words.
#[tokio::test]
async fn a_notification_answered_from_a_mail_program_joins_its_ticket_without_the_quote() {
    let server = Dovecot::start();
    let sink = smtp::SmtpSink::start(smtp::Rules::default());
    let app = TestApp::with_config(Config {
        mail: portal_api::mail::MailConfig {
            smtp_url: Some(sink.url()),
            from: Some("Portal de Suporte <no-reply@suporte.example.com>".into()),
            reply_to: Some("Suporte <suporte@suporte.example.com>".into()),
            poll: Duration::from_millis(30),
            ..portal_api::mail::MailConfig::default()
        },
        ..config()
    })
    .await;
    server.deliver(&corpus("gmail_new.eml", &[]));
    assert_eq!(poll(&app, &server, inbound::DEFAULT_MAX_BYTES).await, 1);
    let (t, ..) = ticket_by_subject(&app, "Emissão de nota fiscal travada").await[0].clone();
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1, "the sender is told the ticket was received");
    let notice = &mails[0];
    assert!(notice.to().contains("rui@mercadobompreco.demo"));
    assert!(
        notice
            .subject()
            .starts_with(&format!("[#{t}] Chamado recebido")),
        "{}",
        notice.subject()
    );
    assert!(
        notice
            .header("Reply-To")
            .unwrap()
            .contains("suporte@suporte.example.com")
    );
    assert!(
        notice.text.starts_with(inbound::parse::REPLY_MARKER),
        "{}",
        notice.text
    );
    assert!(notice.text.contains("protocolo"), "{}", notice.text);

    let quoted: String = notice.text.lines().map(|l| format!("> {l}\r\n")).collect();
    let reply = format!(
        "From: Rui Costa <rui@mercadobompreco.demo>\r\nTo: {}\r\nSubject: Re: {}\r\n\
         In-Reply-To: {}\r\nReferences: {}\r\nMessage-ID: <thunderbird-1@mercadobompreco.demo>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Obrigado, fico no aguardo.\r\n\r\n{quoted}",
        notice.header("Reply-To").unwrap(),
        notice.header("Subject").unwrap(),
        notice.header("Message-ID").unwrap(),
        notice.header("Message-ID").unwrap(),
    );
    server.deliver(reply.as_bytes());
    assert_eq!(poll(&app, &server, inbound::DEFAULT_MAX_BYTES).await, 1);
    let agent = app.session_for(AGENT).await;
    let ticket = get(&app, &agent, &format!("/api/v1/tickets/{t}")).await;
    let message = ticket["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "message")
        .expect("the answer joined the ticket");
    let html = message["body_html"].as_str().unwrap();
    assert!(html.contains("fico no aguardo"), "{html}");
    assert!(!html.contains("Recebemos"), "{html}");
    assert!(
        message["quoted_text"]
            .as_str()
            .unwrap()
            .contains("Recebemos a sua mensagem")
    );
}

#[tokio::test]
async fn a_mail_too_large_is_answered_politely_and_not_recorded() {
    let server = Dovecot::start();
    let app = TestApp::with_config(config()).await;
    let rui = app.user_id(MEMBER_A).await;
    let tickets_before = count(&app, "SELECT COUNT(*) FROM tickets").await;
    let big = "QUFB".repeat(10_000);
    let raw = format!(
        "From: Rui <rui@mercadobompreco.demo>\r\nTo: suporte@suporte.example.com\r\nSubject: Planilha enorme\r\n\
         Message-ID: <big-1@mercadobompreco.demo>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSegue.\r\n\
         --b\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{big}\r\n--b--\r\n"
    );
    server.deliver(raw.as_bytes());
    assert_eq!(poll(&app, &server, 20_000).await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM tickets").await,
        tickets_before
    );
    let polite: i64 = portal_api::db::sql::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'mail_too_large' AND recipient_id = ?",
    )
    .bind(rui)
    .fetch_one(&app.repo.pool)
    .await
    .unwrap();
    assert_eq!(polite, 1);
}

#[tokio::test]
async fn handled_mails_can_move_to_a_processed_folder() {
    let server = Dovecot::start();
    let app = TestApp::with_config(config()).await;
    let cfg = InboundConfig {
        url: format!("{}&processed=Importados", server.url()),
        poll: Duration::from_secs(1),
        max_bytes: inbound::DEFAULT_MAX_BYTES,
    };
    let url = inbound::parse_imap_url(&cfg.url).unwrap();
    let mut session = inbound::connect(&url).await.unwrap();
    session.create("Importados").await.unwrap();
    server.deliver(&corpus("html_only.eml", &[]));
    let n = inbound::poll_once(&app.state, &cfg, &url, &mut session)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let inbox = session.select("INBOX").await.unwrap();
    assert_eq!(inbox.exists, 0, "the handled mail left the inbox");
    let done = session.select("Importados").await.unwrap();
    assert_eq!(done.exists, 1);
    let _ = session.logout().await;
}

/// `imap://` is STARTTLS (required) and `imaps://` TLS from the start, both checked against the
/// certificate (`ca=` names the test's self-signed one; without it the public roots refuse it).
#[tokio::test]
async fn starttls_and_imaps_connect_and_an_untrusted_certificate_is_refused() {
    let server = Dovecot::start_tls();
    let app = TestApp::with_config(config()).await;
    let ca = server.ca().display().to_string();
    let starttls = format!(
        "imap://{}:{}@127.0.0.1:{}/INBOX?ca={ca}",
        imap::USER,
        imap::PASSWORD,
        server.port
    );
    let imaps = format!(
        "imaps://{}:{}@127.0.0.1:{}/INBOX?ca={ca}",
        imap::USER,
        imap::PASSWORD,
        server.tls_port
    );
    server.deliver(&corpus("html_only.eml", &[]));
    server.deliver(&corpus("unknown.eml", &[]));
    let mut handled = Vec::new();
    for url in [&starttls, &imaps] {
        let cfg = InboundConfig {
            url: url.clone(),
            poll: Duration::from_secs(1),
            max_bytes: inbound::DEFAULT_MAX_BYTES,
        };
        let parsed = inbound::parse_imap_url(url).unwrap();
        let mut session = inbound::connect(&parsed)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}\n{}", server.log()));
        handled.push(
            inbound::poll_once(&app.state, &cfg, &parsed, &mut session)
                .await
                .unwrap(),
        );
        let _ = session.logout().await;
    }
    // Over STARTTLS both mails are handled; over IMAPS the same mailbox has nothing new.
    assert_eq!(handled, vec![2, 0]);
    let untrusted = inbound::parse_imap_url(&format!(
        "imaps://{}:{}@127.0.0.1:{}/INBOX",
        imap::USER,
        imap::PASSWORD,
        server.tls_port
    ))
    .unwrap();
    let Err(refused) = inbound::connect(&untrusted).await else {
        panic!("a certificate no root vouches for was accepted");
    };
    assert!(refused.contains("TLS"), "{refused}");
}

/// The crash window itself, made on purpose: the ticket was written (under the mail's idempotency key)
/// but the process died before recording the message. Handling it again records it, opens nothing.
#[tokio::test]
async fn a_mail_done_but_not_recorded_before_a_crash_is_only_recorded() {
    let app = TestApp::with_config(config()).await;
    let raw = corpus("gmail_new.eml", &[]);
    let source = portal_api::repo::inbound::MailboxUid {
        mailbox: "INBOX".into(),
        uidvalidity: 7,
        uid: 1,
    };
    let first = inbound::import(&app.state, &source, &raw, false)
        .await
        .unwrap();
    assert_eq!(
        first,
        Some(portal_api::repo::inbound::InboundOutcome::Ticket)
    );
    assert_eq!(
        inbound::import(&app.state, &source, &raw, false)
            .await
            .unwrap(),
        None
    );
    let tickets = count(&app, "SELECT COUNT(*) FROM tickets").await;
    let outbox = count(&app, "SELECT COUNT(*) FROM outbox").await;
    portal_api::db::sql::query("DELETE FROM inbound_messages")
        .execute(&app.repo.pool)
        .await
        .unwrap();
    let again = inbound::import(&app.state, &source, &raw, false)
        .await
        .unwrap();
    assert_eq!(
        again,
        Some(portal_api::repo::inbound::InboundOutcome::Ticket)
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, tickets);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox").await, outbox);
    let recorded: Option<i64> =
        portal_api::db::sql::query_scalar("SELECT ticket_id FROM inbound_messages")
            .fetch_one(&app.repo.pool)
            .await
            .unwrap();
    assert!(recorded.is_some());
}

// ---------------------------------------------------------------------------------------------------------
// The server killed mid-batch

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_server(db: &Path, url: &str, log: &Path) -> std::process::Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_portal-api"))
        .args([
            "serve",
            "--demo",
            "--imap-poll-secs",
            "1",
            "--public-url",
            PUBLIC,
        ])
        .arg("--addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--db")
        .arg(db)
        .arg("--imap-url")
        .arg(url)
        .env("RUST_LOG", "warn,portal_api=info")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("starting portal-api")
}

async fn handled(db: &Path) -> i64 {
    let Ok(pool) = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(db)
                .read_only(true),
        )
        .await
    else {
        return 0;
    };
    let n = portal_api::db::sql::query_scalar("SELECT COUNT(*) FROM inbound_messages")
        .fetch_one(&pool)
        .await
        .unwrap_or(0);
    pool.close().await;
    n
}

/// A mail from a demo client: a new ticket (`reply_to: None`) or a reply by `[#id]`.
fn batch_mail(i: usize, from: &str, reply_to: Option<i64>) -> Vec<u8> {
    let subject = match reply_to {
        Some(t) => format!("Re: [#{t}] Nova resposta"),
        None => format!("Lote {i}"),
    };
    format!(
        "From: Cliente <{from}>\r\nTo: suporte@suporte.example.com\r\nSubject: {subject}\r\n\
         Message-ID: <batch-{i}@clientes.example>\r\nDate: Thu, 3 Dec 2026 10:00:00 -0300\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Mensagem do lote número {i}: marca-{i}-fim.\r\n\r\nOn Thu, Dec 3, 2026 at 9:00 AM Suporte wrote:\r\n> antes\r\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mail_becomes_exactly_one_ticket_or_reply_though_the_server_is_killed() {
    const MAILS: usize = 120;
    let server = Dovecot::start();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = dir.path().join("portal.db");
    let log = dir.path().join("server.log");
    // Tickets of the demo clients to answer by number (the demo data, as `--demo` seeds it).
    {
        let app = TestApp::on_file(&db, Config::default()).await;
        app.repo.pool.close().await;
    }
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let rui_ticket: i64 = portal_api::db::sql::query_scalar(
        "SELECT t.id FROM tickets t JOIN users u ON u.id = t.requester_id \
         WHERE u.email = ? AND t.status <> 'closed' ORDER BY t.id LIMIT 1",
    )
    .bind(MEMBER_A)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    for i in 0..MAILS {
        let (from, reply) = match i % 3 {
            0 => (MEMBER_A, Some(rui_ticket)),
            1 => (MEMBER_A, None),
            _ => (CLIENT_B, None),
        };
        server.deliver(&batch_mail(i, from, reply));
    }
    // Kill it three times while it works through the batch.
    let mut child = spawn_server(&db, &server.url(), &log);
    for kill_at in [10, 45, 80] {
        let until = Instant::now() + Duration::from_secs(30);
        while handled(&db).await < kill_at && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        eprintln!(
            "killed with {} of {MAILS} mails handled",
            handled(&db).await
        );
        child = spawn_server(&db, &server.url(), &log);
    }
    let until = Instant::now() + Duration::from_secs(40);
    while handled(&db).await < MAILS as i64 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let server_log = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(handled(&db).await, MAILS as i64, "{server_log}");

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let mut problems = Vec::new();
    for i in 0..MAILS {
        let mark = format!("%marca-{i}-fim%");
        let tickets: i64 = portal_api::db::sql::query_scalar(
            "SELECT COUNT(*) FROM tickets WHERE description_md LIKE ?",
        )
        .bind(&mark)
        .fetch_one(&pool)
        .await
        .unwrap();
        let replies: i64 = portal_api::db::sql::query_scalar(
            "SELECT COUNT(*) FROM ticket_events WHERE kind = 'message' AND body_md LIKE ?",
        )
        .bind(&mark)
        .fetch_one(&pool)
        .await
        .unwrap();
        let want = if i % 3 == 0 { (0, 1) } else { (1, 0) };
        if (tickets, replies) != want {
            problems.push(format!(
                "mail {i}: {tickets} tickets and {replies} replies, expected {want:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}\n{server_log}");
}

// ---------------------------------------------------------------------------------------------------------
// The figure

/// `cargo test --release -p portal-api --test inbound -- --ignored measure --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run it on its own with --release"]
async fn measure_the_import_of_1000_mails() {
    const MAILS: usize = 1000;
    let server = Dovecot::start();
    let app = TestApp::with_config(config()).await;
    let rui_ticket: i64 = portal_api::db::sql::query_scalar(
        "SELECT t.id FROM tickets t JOIN users u ON u.id = t.requester_id \
         WHERE u.email = ? AND t.status <> 'closed' ORDER BY t.id LIMIT 1",
    )
    .bind(MEMBER_A)
    .fetch_one(&app.repo.pool)
    .await
    .unwrap();
    for i in 0..MAILS {
        let (from, reply) = match i % 3 {
            0 => (MEMBER_A, Some(rui_ticket)),
            1 => (MANAGER_A, None),
            _ => (CLIENT_B, None),
        };
        server.deliver(&batch_mail(i, from, reply));
    }
    let started = Instant::now();
    let n = poll(&app, &server, inbound::DEFAULT_MAX_BYTES).await;
    let took = started.elapsed();
    assert_eq!(n, MAILS);
    eprintln!(
        "imported {MAILS} mails ({} new tickets, {} replies) in {:.2} s: {:.1} mails/s",
        MAILS - MAILS.div_ceil(3),
        MAILS.div_ceil(3),
        took.as_secs_f64(),
        MAILS as f64 / took.as_secs_f64()
    );
}
