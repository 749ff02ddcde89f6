//! Notification e-mails against a real SMTP server (aiosmtpd, `support/smtp.rs`): what is received, in
//! which language, threaded how, never an internal note; permanent and temporary failures.

mod common;
#[path = "support/mail_app.rs"]
mod mail_app;
#[path = "support/smtp.rs"]
mod smtp;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::*;
use mail_app::*;
use serde_json::{Value, json};
use smtp::{Rules, SmtpSink};

async fn timeline(app: &TestApp, cookie: &str, ticket: i64) -> Vec<Value> {
    let a = app
        .call(
            Method::GET,
            &format!("/api/v1/tickets/{ticket}"),
            Some(cookie),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    a.body["events"].as_array().unwrap().clone()
}

/// Waits until staff's timeline of `ticket` has `n` mail events, and answers them.
async fn mail_events(app: &TestApp, cookie: &str, ticket: i64, n: usize) -> Vec<Value> {
    let until = std::time::Instant::now() + WAIT;
    loop {
        let events: Vec<Value> = timeline(app, cookie, ticket)
            .await
            .into_iter()
            .filter(|e| e["kind"] == "mail")
            .collect();
        if events.len() >= n || std::time::Instant::now() > until {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reply_reaches_the_requester_threaded_with_a_link_and_never_a_note() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;

    // The requester's own ticket: they are its author, so nobody is written to.
    let id = open_ticket(&app, &rui, "Balança do caixa 3").await;
    post(
        &app,
        &agent,
        id,
        json!({"body": "segredo interno: o cliente não pagou", "internal": true}),
    )
    .await;
    post(
        &app,
        &agent,
        id,
        json!({"body": "Reinicie o **PDV** e tente de novo.", "status": "pending"}),
    )
    .await;
    patch(&app, &agent, id, json!({"status": "resolved"})).await;

    let mails = sink.wait_for(2, WAIT).await;
    assert_eq!(
        mails.len(),
        2,
        "a reply (its status change told by it) and the resolution: {mails:#?}"
    );
    // Nothing more comes: no mail for the note, none for the creation.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails = sink.mails();
    assert_eq!(mails.len(), 2);
    for m in &mails {
        assert!(
            !m.raw.contains("segredo")
                && !m.text.contains("segredo")
                && !m.html.contains("segredo"),
            "an internal note left the portal: {m:#?}"
        );
        assert!(m.to().contains("rui@mercadobompreco.demo"), "{}", m.to());
        assert!(m.subject().contains(&format!("[#{id}]")), "{}", m.subject());
        let message_id = m.header("Message-ID").unwrap();
        assert!(
            message_id.starts_with('<') && message_id.ends_with("@suporte.example.com>"),
            "{message_id}"
        );
        let thread = format!("<ticket-{id}@suporte.example.com>");
        assert_eq!(m.header("In-Reply-To"), Some(thread.as_str()));
        assert_eq!(m.header("References"), Some(thread.as_str()));
        assert_eq!(m.header("Auto-Submitted"), Some("auto-generated"));
        assert_eq!(
            m.header("List-Unsubscribe"),
            Some("<https://suporte.example.com/account/notifications>")
        );
        let link = format!("https://suporte.example.com/tickets/{id}");
        assert!(m.text.contains(&link), "{}", m.text);
        assert!(m.html.contains(&format!("href=\"{link}")), "{}", m.html);
        assert!(
            m.text.contains("Olá, Rui"),
            "pt-BR, the requester's language: {}",
            m.text
        );
    }
    assert_ne!(mails[0].header("Message-ID"), mails[1].header("Message-ID"));
    // Sent side by side in one batch, they may arrive in either order.
    let reply = mails
        .iter()
        .find(|m| m.subject().contains("Nova resposta"))
        .expect("the reply's mail");
    assert!(
        reply.text.contains("Reinicie o **PDV** e tente de novo."),
        "{}",
        reply.text
    );
    assert!(
        reply.html.contains("<strong>PDV</strong>"),
        "{}",
        reply.html
    );
    assert!(reply.html.contains("Responder no portal"));
    let resolved = mails
        .iter()
        .find(|m| m.subject().contains("Chamado resolvido"))
        .expect("the resolution's mail");
    assert!(resolved.text.contains("nota de 1 a 5"), "{}", resolved.text);
    assert!(resolved.html.contains("Avaliar o atendimento"));

    // Staff see each delivery on the timeline; the client never does.
    let sent = mail_events(&app, &agent, id, 2).await;
    assert_eq!(sent.len(), 2, "{sent:#?}");
    for e in &sent {
        assert_eq!(e["mail_to"], "rui@mercadobompreco.demo");
        assert!(e.get("mail_error").is_none());
    }
    let client_view = timeline(&app, &rui, id).await;
    assert!(
        client_view.iter().all(|e| e["kind"] != "mail"),
        "{client_view:#?}"
    );
    assert_eq!(app.repo.outbox_counts().await.unwrap(), (0, 2, 0));
}

#[tokio::test]
async fn each_recipient_reads_their_own_language_and_the_author_gets_nothing() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    set_locale(&app, MEMBER_A, "en").await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;
    let carla = app.user_id(AGENT).await;

    let id = open_ticket(&app, &rui, "Scale at till 3").await;
    patch(&app, &agent, id, json!({"assignee_id": carla})).await;
    // The client's reply goes to the assignee (in pt-BR, hers), not back to the client.
    post(
        &app,
        &rui,
        id,
        json!({"body": "It still fails after a restart."}),
    )
    .await;
    let mails = sink.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(
        mails[0].to().contains("carla@suporte.demo"),
        "{}",
        mails[0].to()
    );
    assert!(
        mails[0].subject().contains("Nova resposta"),
        "{}",
        mails[0].subject()
    );
    assert!(mails[0].text.contains("It still fails after a restart."));

    // The agent's answer goes to the client, in English.
    post(
        &app,
        &agent,
        id,
        json!({"body": "Please update the driver."}),
    )
    .await;
    let mails = sink.wait_for(2, WAIT).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    let m = &mails[1];
    assert!(m.to().contains("rui@mercadobompreco.demo"), "{}", m.to());
    assert!(
        m.subject().contains(&format!("[#{id}] New reply")),
        "{}",
        m.subject()
    );
    assert!(m.text.starts_with("Hello Rui"), "{}", m.text);
    assert!(m.html.contains("Reply in the portal"));
    assert!(m.html.contains("<html lang=\"en\">"));
    // Every mail of the ticket is in one thread.
    assert_eq!(mails[0].header("References"), mails[1].header("References"));
}

#[tokio::test]
async fn a_ticket_logged_by_staff_is_told_to_its_requester() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let agent = app.session_for(AGENT).await;
    let bruno = app.user_id(CLIENT_B).await;
    let a = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            Some(&agent),
            Some(
                json!({"subject": "Loja fora do ar", "description": "Ligou às 9h: o site não abre.",
                "requester_id": bruno, "channel": "phone"}),
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    let id = a.body["id"].as_i64().unwrap();
    let mails = sink.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.to().contains("bruno@petfeliz.demo"));
    assert!(
        m.subject().contains(&format!("[#{id}] Chamado aberto")),
        "{}",
        m.subject()
    );
    assert!(m.text.contains("o site não abre"), "{}", m.text);
}

#[tokio::test]
async fn a_permanent_failure_is_recorded_and_the_address_is_written_to_no_more() {
    let sink = SmtpSink::start(Rules {
        reject: vec!["rui@mercadobompreco.demo".into()],
        ..Rules::default()
    });
    let app = TestApp::with_config(config(&sink)).await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;
    let id = open_ticket(&app, &rui, "Impressora fiscal").await;
    post(&app, &agent, id, json!({"body": "Qual o modelo?"})).await;
    let failed = mail_events(&app, &agent, id, 1).await;
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0]["mail_to"], "rui@mercadobompreco.demo");
    let error = failed[0]["mail_error"].as_str().unwrap();
    assert!(error.contains("550"), "{error}");

    // The next notification is not written to that address at all.
    post(&app, &agent, id, json!({"body": "Está aí?"})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let tried: Vec<String> = sink
        .log()
        .into_iter()
        .filter(|l| l.contains("rui@"))
        .collect();
    assert_eq!(tried, vec!["550 rui@mercadobompreco.demo"], "one try only");
    assert!(sink.mails().is_empty());
    let (pending, sent, failed) = app.repo.outbox_counts().await.unwrap();
    assert_eq!((pending, sent, failed), (0, 0, 1));
}

#[tokio::test]
async fn a_temporary_failure_is_tried_again_until_delivered() {
    let sink = SmtpSink::start(Rules {
        defer: vec!["rui@mercadobompreco.demo".into()],
        defer_times: Some(2),
        ..Rules::default()
    });
    let app = TestApp::with_config(config(&sink)).await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;
    let id = open_ticket(&app, &rui, "Sangria do caixa").await;
    post(&app, &agent, id, json!({"body": "Feito."})).await;
    let mails = sink.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        sink.log(),
        vec![
            "451 rui@mercadobompreco.demo",
            "451 rui@mercadobompreco.demo",
            "250 rui@mercadobompreco.demo"
        ]
    );
    let sent = mail_events(&app, &agent, id, 1).await;
    assert!(sent[0].get("mail_error").is_none(), "{sent:#?}");
}

#[tokio::test]
async fn after_five_temporary_failures_the_mail_is_given_up_and_said_so() {
    let sink = SmtpSink::start(Rules {
        defer: vec!["rui@mercadobompreco.demo".into()],
        ..Rules::default()
    });
    let app = TestApp::with_config(config(&sink)).await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;
    let id = open_ticket(&app, &rui, "Cupom não sai").await;
    post(&app, &agent, id, json!({"body": "Troque a bobina."})).await;
    let failed = mail_events(&app, &agent, id, 1).await;
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(
        failed[0]["mail_error"].as_str().unwrap().contains("451"),
        "{failed:#?}"
    );
    assert_eq!(
        sink.log().len(),
        5,
        "one try and four more: {:?}",
        sink.log()
    );
    assert_eq!(app.repo.outbox_counts().await.unwrap(), (0, 0, 1));
}

#[tokio::test]
async fn without_an_smtp_server_notifications_wait_in_the_outbox() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;
    let id = open_ticket(&app, &rui, "Sem servidor de e-mail").await;
    post(&app, &agent, id, json!({"body": "Olá"})).await;
    post(&app, &agent, id, json!({"body": "nota", "internal": true})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.repo.outbox_counts().await.unwrap(), (1, 0, 0));
}

/// The one-click token in a mail's text, if it has one.
fn link_token(mail: &smtp::Mail) -> Option<String> {
    let at = mail.text.find("?link=")?;
    Some(
        mail.text[at + "?link=".len()..]
            .split_whitespace()
            .next()?
            .to_string(),
    )
}

async fn use_link(app: &TestApp, token: &str) -> common::Answer {
    app.call(
        Method::POST,
        "/api/v1/auth/link",
        None,
        Some(json!({"token": token})),
    )
    .await
}

#[tokio::test]
async fn the_link_in_a_mail_opens_that_ticket_once_and_nothing_else() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;
    let other = open_ticket(&app, &rui, "Outro chamado").await;
    let id = open_ticket(&app, &rui, "Etiqueta de preço").await;
    post(&app, &agent, id, json!({"body": "Pode testar agora?"})).await;
    let mails = sink.wait_for(1, WAIT).await;
    let token = link_token(&mails[0]).expect("a one-click link");
    assert!(
        mails[0].html.contains(&format!(
            "href=\"https://suporte.example.com/tickets/{id}?link={token}\""
        )),
        "{}",
        mails[0].html
    );
    // Only its hash is stored.
    let stored: i64 =
        portal_api::db::sql::query_scalar("SELECT COUNT(*) FROM mail_links WHERE token_hash = ?")
            .bind(portal_api::auth::token_hash(&token))
            .fetch_one(&app.repo.pool)
            .await
            .unwrap();
    assert_eq!(stored, 1);
    let plain: i64 =
        portal_api::db::sql::query_scalar("SELECT COUNT(*) FROM mail_links WHERE token_hash = ?")
            .bind(token.as_bytes())
            .fetch_one(&app.repo.pool)
            .await
            .unwrap();
    assert_eq!(plain, 0);

    let a = use_link(&app, &token).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["ticket_only"], id);
    assert_eq!(a.body["user"]["email"], MEMBER_A);
    let cookie = a.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly"));
    let cookie = cookie.split(';').next().unwrap().to_string();

    // That ticket: read it and answer it.
    let t = app
        .call(
            Method::GET,
            &format!("/api/v1/tickets/{id}"),
            Some(&cookie),
            None,
        )
        .await;
    assert_eq!(t.status, StatusCode::OK);
    post(&app, &cookie, id, json!({"body": "Funcionou, obrigado!"})).await;
    let s = app
        .call(Method::GET, "/api/v1/auth/session", Some(&cookie), None)
        .await;
    assert_eq!(s.body["ticket_only"], id);
    // Anything else asks for the password: another ticket of the same client, the list, the account.
    for path in [
        format!("/api/v1/tickets/{other}"),
        "/api/v1/tickets".to_string(),
        "/api/v1/me".to_string(),
    ] {
        let a = app.call(Method::GET, &path, Some(&cookie), None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // Used once, it opens nothing again; the refusal is said in the caller's language.
    let again = use_link(&app, &token).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("já foi usado"),
        "{:?}",
        again.body
    );
    // The password makes it a whole session.
    let full = app.login(MEMBER_A).await;
    let list = app
        .call(Method::GET, "/api/v1/tickets", Some(&full), None)
        .await;
    assert_eq!(list.status, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_link_opens_nothing_and_staff_mails_carry_none() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;
    let carla = app.user_id(AGENT).await;
    let id = open_ticket(&app, &rui, "Leitor de código de barras").await;
    patch(&app, &agent, id, json!({"assignee_id": carla})).await;
    post(&app, &agent, id, json!({"body": "Qual a marca do leitor?"})).await;
    post(&app, &rui, id, json!({"body": "É um Zebra."})).await;
    let mails = sink.wait_for(2, WAIT).await;
    assert_eq!(mails.len(), 2);
    let to_client = mails.iter().find(|m| m.to().contains("rui@")).unwrap();
    let to_agent = mails.iter().find(|m| m.to().contains("carla@")).unwrap();
    assert!(link_token(to_agent).is_none(), "{}", to_agent.text);
    let token = link_token(to_client).unwrap();
    portal_api::db::sql::query("UPDATE mail_links SET expires_at = 0")
        .execute(&app.repo.pool)
        .await
        .unwrap();
    let a = use_link(&app, &token).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.headers.get("set-cookie").is_none());
}

async fn ask(app: &TestApp, route: &str, email: &str) -> common::Answer {
    app.call(
        Method::POST,
        &format!("/api/v1/auth/{route}"),
        None,
        Some(json!({"email": email})),
    )
    .await
}

#[tokio::test]
async fn a_forgotten_password_is_reset_from_the_mail_once_and_every_other_session_ends() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let elsewhere = app.session_for(MEMBER_A).await;
    // The same answer for an address without an account, and no mail for it.
    let unknown = ask(&app, "forgot-password", "ninguem@exemplo.com.br").await;
    let known = ask(&app, "forgot-password", MEMBER_A).await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED);
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!(unknown.body, known.body);
    let mails = sink.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails = if mails.len() == 1 {
        sink.mails()
    } else {
        mails
    };
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let m = &mails[0];
    assert!(m.to().contains(MEMBER_A));
    assert!(m.subject().contains("senha"), "{}", m.subject());
    assert!(m.text.contains("30 minutos"), "{}", m.text);
    assert!(m.header("In-Reply-To").is_none());
    let token = token_after(m, "token");
    assert!(m.html.contains(&format!(
        "https://suporte.example.com/account/reset?token={token}"
    )));

    let short = app
        .call(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": token, "password": "curta"})),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.body["errors"][0]["field"], "password");
    let reset = app
        .call(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": token, "password": "nova-senha-do-rui-2026"})),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{:?}", reset.body);
    assert_eq!(reset.body["email"], MEMBER_A);
    let fresh = reset.headers["set-cookie"].to_str().unwrap();
    let fresh = fresh.split(';').next().unwrap().to_string();
    // The other session ended; the new one works; the new password signs in, the old does not.
    let me = |c: String| {
        let app = &app;
        async move {
            app.call(Method::GET, "/api/v1/me", Some(&c), None)
                .await
                .status
        }
    };
    assert_eq!(me(elsewhere).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(fresh).await, StatusCode::OK);
    let login = |password: &'static str| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": MEMBER_A, "password": password})),
            )
            .await
            .status
        }
    };
    assert_eq!(login("nova-senha-do-rui-2026").await, StatusCode::OK);
    assert_eq!(
        login(portal_api::demo::PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    // Once only.
    let again = app
        .call(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": token, "password": "outra-senha-qualquer-1"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.body["errors"][0]["field"], "token");
}

#[tokio::test]
async fn a_sign_in_link_signs_in_once_and_asking_is_rate_limited() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    set_locale(&app, CLIENT_B, "en").await;
    assert_eq!(
        ask(&app, "sign-in-link", CLIENT_B).await.status,
        StatusCode::ACCEPTED
    );
    let mails = sink.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject().contains("sign in"),
        "{}",
        mails[0].subject()
    );
    let token = token_after(&mails[0], "link");
    let a = use_link(&app, &token).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert!(a.body.get("ticket_only").is_none(), "a whole session");
    let cookie = a.headers["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let list = app
        .call(Method::GET, "/api/v1/tickets", Some(&cookie), None)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        use_link(&app, &token).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Three links an hour for one address, whoever asks, known or not; then 429 with Retry-After.
    for _ in 0..2 {
        assert_eq!(
            ask(&app, "forgot-password", CLIENT_B).await.status,
            StatusCode::ACCEPTED
        );
    }
    let limited = ask(&app, "sign-in-link", CLIENT_B).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.get("retry-after").is_some());
    for _ in 0..3 {
        ask(&app, "sign-in-link", "ninguem@exemplo.com.br").await;
    }
    assert_eq!(
        ask(&app, "sign-in-link", "ninguem@exemplo.com.br")
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A malformed address is said plainly, in the caller's language.
    let bad = ask(&app, "forgot-password", "not an address").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "email");
}

#[tokio::test]
async fn the_openapi_document_describes_the_mail_routes_and_fields() {
    let app = TestApp::new().await;
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    for path in [
        "/auth/link",
        "/auth/forgot-password",
        "/auth/sign-in-link",
        "/auth/reset-password",
    ] {
        assert!(doc["paths"][path]["post"].is_object(), "{path}");
    }
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["TicketEvent"]["properties"]["mail_to"].is_object());
    assert!(schemas["TicketEvent"]["properties"]["mail_error"].is_object());
    assert!(schemas["SessionInfo"]["properties"]["ticket_only"].is_object());
    let kinds = schemas["EventKind"]["enum"].as_array().unwrap();
    assert!(kinds.contains(&json!("mail")), "{kinds:?}");
}
