//! Issue 14, second part, against a real SMTP server (aiosmtpd, `support/smtp.rs`): invitations and
//! their links, each user's choice of notifications, staff's escalation and service-target warnings.

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

/// Waits for `n` mails, then a little more to be sure no other comes.
async fn exactly(sink: &SmtpSink, n: usize) -> Vec<smtp::Mail> {
    sink.wait_for(n, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails = sink.mails();
    assert_eq!(mails.len(), n, "{mails:#?}");
    mails
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

async fn accept(app: &TestApp, token: &str, password: &str) -> Answer {
    app.call(
        Method::POST,
        "/api/v1/auth/reset-password",
        None,
        Some(json!({"token": token, "password": password})),
    )
    .await
}

async fn login_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
    .status
}

#[tokio::test]
async fn an_invitation_mails_a_link_that_chooses_the_password_once_and_signs_in() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let admin = app.session_for(ADMIN).await;
    let a = app
        .call(
            Method::POST,
            "/api/v1/users/invitations",
            Some(&admin),
            Some(
                json!({"email": "nova@suporte.demo", "name": "Nova Agente", "role": "agent",
                "locale": "en"}),
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(a.body["invited"], true);
    let id = a.body["id"].as_i64().unwrap();
    let list = app
        .call(Method::GET, "/api/v1/users?role=agent", Some(&admin), None)
        .await;
    let listed = list.body.as_array().unwrap().iter().find(|u| u["id"] == id);
    assert_eq!(listed.unwrap()["invited"], true);

    let mails = exactly(&sink, 1).await;
    let m = &mails[0];
    assert!(m.to().contains("nova@suporte.demo"), "{}", m.to());
    assert!(m.subject().contains("invitation"), "{}", m.subject());
    assert!(m.text.starts_with("Hello Nova Agente"), "{}", m.text);
    assert!(m.html.contains("Choose my password"), "{}", m.html);
    assert!(m.html.contains("<html lang=\"en\">"));
    let token = token_after(m, "token");
    assert!(
        m.html.contains(&format!(
            "href=\"https://suporte.example.com/account/invite?token={token}\""
        )),
        "{}",
        m.html
    );
    // Only its hash is stored, as an `invite` link of 7 days.
    let (purpose, ttl): (String, i64) = portal_api::db::sql::query_as(
        "SELECT purpose, expires_at - created_at FROM mail_links WHERE token_hash = ?",
    )
    .bind(portal_api::auth::token_hash(&token))
    .fetch_one(&app.repo.pool)
    .await
    .unwrap();
    assert_eq!(purpose, "invite");
    assert_eq!(ttl, 7 * 24 * 3600 * 1000);

    // No password signs in before the invitation is accepted, the dummy one included.
    assert_eq!(
        login_status(&app, "nova@suporte.demo", "!invited").await,
        StatusCode::UNAUTHORIZED
    );
    let ok = accept(&app, &token, "senha-da-nova-agente").await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["invited"], false);
    assert_eq!(ok.body["email"], "nova@suporte.demo");
    let cookie = ok.headers["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let me = app
        .call(Method::GET, "/api/v1/me", Some(&cookie), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["invited"], false);
    // Once only.
    let again = accept(&app, &token, "outra-senha-qualquer").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.body["errors"][0]["field"], "token");
    assert_eq!(
        login_status(&app, "nova@suporte.demo", "senha-da-nova-agente").await,
        StatusCode::OK
    );
    // In, the account is invited no more: a new invitation is a conflict.
    let resend = app
        .call(
            Method::POST,
            &format!("/api/v1/users/{id}/invitation"),
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(resend.status, StatusCode::CONFLICT, "{:?}", resend.body);
    assert_eq!(
        resend.headers["content-type"], "application/problem+json",
        "{:?}",
        resend.headers
    );
}

#[tokio::test]
async fn agents_invite_clients_only_and_a_lost_invitation_is_sent_again() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let agent = app.session_for(AGENT).await;
    let admin = app.session_for(ADMIN).await;
    let org = org_of(&app, MEMBER_A).await;
    let invite = |body: Value, cookie: String| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/users/invitations",
                Some(&cookie),
                Some(body),
            )
            .await
        }
    };
    let staff = invite(
        json!({"email": "outro@suporte.demo", "name": "Outro", "role": "agent"}),
        agent.clone(),
    )
    .await;
    assert_eq!(staff.status, StatusCode::FORBIDDEN, "{:?}", staff.body);
    let admin_by_agent = invite(
        json!({"email": "chefe@suporte.demo", "name": "Chefe", "role": "admin"}),
        agent.clone(),
    )
    .await;
    assert_eq!(admin_by_agent.status, StatusCode::FORBIDDEN);
    let client = app.session_for(MANAGER_A).await;
    let by_client = invite(
        json!({"email": "x@mercadobompreco.demo", "name": "X", "role": "client", "organization_id": org}),
        client,
    )
    .await;
    assert_eq!(by_client.status, StatusCode::FORBIDDEN);
    // The same checks as an account made with a password.
    let no_org = invite(
        json!({"email": "joao@mercadobompreco.demo", "name": "João", "role": "client"}),
        agent.clone(),
    )
    .await;
    assert_eq!(no_org.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_org.body["errors"][0]["field"], "organization_id");
    let taken = invite(
        json!({"email": MEMBER_A, "name": "Rui", "role": "client", "organization_id": org}),
        agent.clone(),
    )
    .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(taken.body["errors"][0]["field"], "email");
    // Nothing refused sent anything.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sink.mails().is_empty());

    let joao = invite(
        json!({"email": "joao@mercadobompreco.demo", "name": "João", "role": "client", "organization_id": org}),
        agent.clone(),
    )
    .await;
    assert_eq!(joao.status, StatusCode::CREATED, "{:?}", joao.body);
    assert_eq!(joao.body["invited"], true);
    assert_eq!(joao.body["org_role"], "member");
    let id = joao.body["id"].as_i64().unwrap();
    let mails = exactly(&sink, 1).await;
    assert!(
        mails[0].subject().contains("Convite"),
        "{}",
        mails[0].subject()
    );
    assert!(mails[0].text.starts_with("Olá, João"), "{}", mails[0].text);
    assert!(mails[0].html.contains("Criar minha senha"));
    let first = token_after(&mails[0], "token");

    // The agent sends it again: the first link works no more.
    let resend = app
        .call(
            Method::POST,
            &format!("/api/v1/users/{id}/invitation"),
            Some(&agent),
            Some(json!({})),
        )
        .await;
    assert_eq!(resend.status, StatusCode::OK, "{:?}", resend.body);
    assert_eq!(resend.body["invited"], true);
    let mails = exactly(&sink, 2).await;
    let second = token_after(&mails[1], "token");
    assert_ne!(first, second);
    assert_eq!(
        accept(&app, &first, "senha-do-joao-123").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // An agent may not invite staff again either.
    let carla = app.user_id(AGENT).await;
    let staff_again = app
        .call(
            Method::POST,
            &format!("/api/v1/users/{carla}/invitation"),
            Some(&agent),
            Some(json!({})),
        )
        .await;
    assert_eq!(staff_again.status, StatusCode::FORBIDDEN);

    // "Esqueci minha senha" on an invited account sends a new invitation, not a reset.
    let forgot = app
        .call(
            Method::POST,
            "/api/v1/auth/forgot-password",
            None,
            Some(json!({"email": "joao@mercadobompreco.demo"})),
        )
        .await;
    assert_eq!(forgot.status, StatusCode::ACCEPTED);
    let mails = exactly(&sink, 3).await;
    assert!(
        mails[2].subject().contains("Convite"),
        "{}",
        mails[2].subject()
    );
    assert!(mails[2].text.contains("/account/invite?token="));
    let third = token_after(&mails[2], "token");
    assert_eq!(
        accept(&app, &second, "senha-do-joao-123").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A disabled invited account gets nothing: not a new invitation, not one asked for.
    let off = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK);
    let refused = app
        .call(
            Method::POST,
            &format!("/api/v1/users/{id}/invitation"),
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    app.call(
        Method::POST,
        "/api/v1/auth/forgot-password",
        None,
        Some(json!({"email": "joao@mercadobompreco.demo"})),
    )
    .await;
    assert_eq!(
        accept(&app, &third, "senha-do-joao-123").await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a disabled account's link opens nothing"
    );
    exactly(&sink, 3).await;
}

#[tokio::test]
async fn the_openapi_document_describes_invitations_and_preferences() {
    let app = TestApp::new().await;
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    for path in ["/users/invitations", "/users/{id}/invitation"] {
        assert!(doc["paths"][path]["post"].is_object(), "{path}");
    }
    assert!(doc["paths"]["/me/notifications"]["get"].is_object());
    assert!(doc["paths"]["/me/notifications"]["put"].is_object());
    assert!(schemas_have(&doc, "NotificationPrefs", "daily_digest"));
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["User"]["properties"]["invited"].is_object());
    assert!(schemas["NewInvitation"]["properties"]["email"].is_object());
}

async fn prefs(app: &TestApp, cookie: &str) -> Answer {
    app.call(Method::GET, "/api/v1/me/notifications", Some(cookie), None)
        .await
}

async fn set_prefs(app: &TestApp, cookie: &str, body: Value) -> Answer {
    app.call(
        Method::PUT,
        "/api/v1/me/notifications",
        Some(cookie),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn preferences_default_by_role_and_refuse_the_fields_of_other_roles() {
    let app = TestApp::new().await;
    let member = app.session_for(MEMBER_A).await;
    let manager = app.session_for(MANAGER_A).await;
    let agent = app.session_for(AGENT).await;
    let m = prefs(&app, &member).await;
    assert_eq!(m.status, StatusCode::OK);
    assert_eq!(
        m.body,
        json!({"own_tickets": true, "organization_tickets": null, "daily_digest": null,
            "assigned_tickets": null})
    );
    assert_eq!(m.headers["cache-control"], "no-store");
    assert_eq!(
        prefs(&app, &manager).await.body,
        json!({"own_tickets": true, "organization_tickets": false, "daily_digest": false,
            "assigned_tickets": null})
    );
    assert_eq!(
        prefs(&app, &agent).await.body,
        json!({"own_tickets": true, "organization_tickets": null, "daily_digest": null,
            "assigned_tickets": true})
    );
    // A field of another role: 422 on it, nothing changed.
    let wrong = set_prefs(
        &app,
        &member,
        json!({"own_tickets": false, "assigned_tickets": true, "daily_digest": false}),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = wrong.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["assigned_tickets", "daily_digest"]);
    assert_eq!(prefs(&app, &member).await.body["own_tickets"], true);
    let agent_org = set_prefs(
        &app,
        &agent,
        json!({"own_tickets": true, "organization_tickets": true}),
    )
    .await;
    assert_eq!(agent_org.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(agent_org.body["errors"][0]["field"], "organization_tickets");
    // A manager's own; a null that applies stays as it was.
    let ok = set_prefs(
        &app,
        &manager,
        json!({"own_tickets": false, "organization_tickets": true, "daily_digest": true}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(
        ok.body,
        json!({"own_tickets": false, "organization_tickets": true, "daily_digest": true,
            "assigned_tickets": null})
    );
    let kept = set_prefs(&app, &manager, json!({"own_tickets": true})).await;
    assert_eq!(
        kept.body,
        json!({"own_tickets": true, "organization_tickets": true, "daily_digest": true,
            "assigned_tickets": null})
    );
    // Unknown fields are refused, as everywhere.
    assert_eq!(
        set_prefs(&app, &member, json!({"own_tickets": true, "sms": true}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // Without a session, or with a one-click session (one ticket only): 401, as other account routes.
    assert_eq!(
        app.call(Method::GET, "/api/v1/me/notifications", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let ticket = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            Some(&member),
            Some(json!({"subject": "Gaveta do caixa", "description": "Não abre."})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let (token, hash) = portal_api::auth::new_token();
    app.repo
        .create_scoped_session(
            &hash,
            app.user_id(MEMBER_A).await,
            portal_api::db::now_ms() + 3_600_000,
            Some(ticket),
        )
        .await
        .unwrap();
    let one_click = format!("{}={token}", portal_api::auth::COOKIE);
    assert_eq!(
        prefs(&app, &one_click).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        set_prefs(&app, &one_click, json!({"own_tickets": false}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_preference_off_stops_ticket_mails_but_never_account_mails() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;
    let carla = app.user_id(AGENT).await;
    let off = set_prefs(&app, &rui, json!({"own_tickets": false})).await;
    assert_eq!(off.status, StatusCode::OK);
    let off = set_prefs(
        &app,
        &agent,
        json!({"own_tickets": true, "assigned_tickets": false}),
    )
    .await;
    assert_eq!(off.status, StatusCode::OK);

    let id = open_ticket(&app, &rui, "Balança do caixa 2").await;
    patch(&app, &agent, id, json!({"assignee_id": carla})).await;
    // The agent's answer and resolution would go to the requester; the client's reply to the assignee.
    post(&app, &agent, id, json!({"body": "Reinicie a balança."})).await;
    post(&app, &rui, id, json!({"body": "Continua igual."})).await;
    patch(&app, &agent, id, json!({"status": "resolved"})).await;
    // A mail about the account goes whatever the choices.
    let forgot = app
        .call(
            Method::POST,
            "/api/v1/auth/forgot-password",
            None,
            Some(json!({"email": MEMBER_A})),
        )
        .await;
    assert_eq!(forgot.status, StatusCode::ACCEPTED);
    let mails = exactly(&sink, 1).await;
    assert!(mails[0].to().contains(MEMBER_A));
    assert!(
        mails[0].text.contains("/account/reset?token="),
        "{}",
        mails[0].text
    );
    assert!(!mails[0].subject().contains(&format!("[#{id}]")));

    // On again, the next answer comes.
    set_prefs(&app, &rui, json!({"own_tickets": true})).await;
    post(&app, &agent, id, json!({"body": "Mais alguma coisa?"})).await;
    let mails = exactly(&sink, 2).await;
    assert!(mails[1].to().contains(MEMBER_A));
    assert!(
        mails[1].subject().contains(&format!("[#{id}]")),
        "{}",
        mails[1].subject()
    );
}

fn schemas_have(doc: &Value, schema: &str, field: &str) -> bool {
    doc["components"]["schemas"][schema]["properties"][field].is_object()
}

async fn resolve_and_rate(app: &TestApp, agent: &str, rui: &str, id: i64, score: u8) {
    patch(app, agent, id, json!({"status": "resolved"})).await;
    let a = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{id}/rating"),
            Some(rui),
            Some(json!({"score": score, "comment": "Demorou demais."})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
}

/// A member of staff made by the admin: its id.
async fn add_admin(app: &TestApp, admin: &str, email: &str) -> i64 {
    let a = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(admin),
            Some(
                json!({"email": email, "name": "Outra Admin", "role": "admin",
                "password": "senha-bem-longa-1", "locale": "en"}),
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    a.body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_low_rating_tells_the_assignee_or_every_active_admin_once() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;
    let admin = app.session_for(ADMIN).await;
    let carla = app.user_id(AGENT).await;
    // The requester's own mails (the resolution's) are not what this test counts.
    set_prefs(&app, &rui, json!({"own_tickets": false})).await;
    add_admin(&app, &admin, "outra@suporte.demo").await;
    let gone = add_admin(&app, &admin, "antiga@suporte.demo").await;
    let off = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{gone}"),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK);

    let assigned = open_ticket(&app, &rui, "Impressora fiscal travada").await;
    patch(&app, &agent, assigned, json!({"assignee_id": carla})).await;
    resolve_and_rate(&app, &agent, &rui, assigned, 2).await;
    let mails = exactly(&sink, 1).await;
    let m = &mails[0];
    assert!(m.to().contains(AGENT), "{}", m.to());
    let subject = m.subject();
    assert!(
        subject.contains(&format!("[#{assigned}] Escalado: nota 2")),
        "{subject}"
    );
    assert!(subject.contains("Impressora fiscal travada"), "{subject}");
    assert!(m.text.contains("prazo de resolução"), "{}", m.text);
    assert!(m.text.contains("Demorou demais."), "{}", m.text);
    // The staff page of the ticket, without a one-click link (staff sign in).
    assert!(
        m.html.contains(&format!(
            "href=\"https://suporte.example.com/tickets/{assigned}\""
        )),
        "{}",
        m.html
    );
    assert!(!m.text.contains("?link="));
    // A changed rating of an escalated ticket escalates nothing more.
    let changed = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{assigned}/rating"),
            Some(&rui),
            Some(json!({"score": 1})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::CREATED, "{:?}", changed.body);

    // Nobody assigned: every active admin, each in their language.
    let unassigned = open_ticket(&app, &rui, "Etiquetas saem tortas").await;
    resolve_and_rate(&app, &agent, &rui, unassigned, 1).await;
    let mails = exactly(&sink, 3).await;
    let to_admins: Vec<&smtp::Mail> = mails[1..].iter().collect();
    let mut addresses: Vec<String> = to_admins.iter().map(|m| m.to()).collect();
    addresses.sort();
    assert!(addresses[0].contains(ADMIN), "{addresses:?}");
    assert!(addresses[1].contains("outra@suporte.demo"), "{addresses:?}");
    let english = to_admins
        .iter()
        .find(|m| m.to().contains("outra@"))
        .unwrap();
    assert!(
        english
            .subject()
            .contains(&format!("[#{unassigned}] Escalated: rated 1")),
        "{}",
        english.subject()
    );
    // A good rating escalates nothing.
    let fine = open_ticket(&app, &rui, "Tudo certo").await;
    resolve_and_rate(&app, &agent, &rui, fine, 5).await;
    exactly(&sink, 3).await;
}

/// Every ticket already there (the demo's) counts as warned: the tests count only their own.
async fn forget_demo_targets(app: &TestApp) {
    portal_api::db::sql::query(
        "INSERT INTO sla_warnings (ticket_id, target, due_at, created_at) \
         SELECT id, 'first_response', 0, 0 FROM tickets UNION ALL \
         SELECT id, 'resolution', 0, 0 FROM tickets",
    )
    .execute(&app.repo.pool)
    .await
    .unwrap();
}

async fn due_in(app: &TestApp, id: i64, first_min: i64, resolution_min: i64, now: i64) {
    portal_api::db::sql::query(
        "UPDATE tickets SET first_response_due_at = ?, resolution_due_at = ? WHERE id = ?",
    )
    .bind(now + first_min * 60_000)
    .bind(now + resolution_min * 60_000)
    .bind(id)
    .execute(&app.repo.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_service_target_falling_due_is_warned_once_across_runs() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    forget_demo_targets(&app).await;
    let rui = app.session_for(MEMBER_A).await;
    let agent = app.session_for(AGENT).await;
    let carla = app.user_id(AGENT).await;
    let now = portal_api::db::now_ms();

    let soon = open_ticket(&app, &rui, "Caixa 4 sem rede").await;
    patch(&app, &agent, soon, json!({"assignee_id": carla})).await;
    due_in(&app, soon, 10, 25, now).await;
    // Due in 40 minutes, nobody assigned: not yet.
    let later = open_ticket(&app, &rui, "Relatório de vendas vazio").await;
    due_in(&app, later, 40, 600, now).await;
    // Answered already: its first response is no target any more, and its resolution is far.
    let answered = open_ticket(&app, &rui, "Senha do gerente").await;
    post(&app, &agent, answered, json!({"body": "Qual usuário?"})).await;
    due_in(&app, answered, 5, 600, now).await;

    assert_eq!(app.repo.warn_sla(now).await.unwrap(), 2);
    assert_eq!(app.repo.warn_sla(now).await.unwrap(), 0, "never twice");
    assert_eq!(app.repo.warn_sla(now + 60_000).await.unwrap(), 0);
    let mails = exactly(&sink, 3).await;
    // (The third is the agent's answer, to the requester.)
    let warnings: Vec<&smtp::Mail> = mails.iter().filter(|m| m.to().contains(AGENT)).collect();
    assert_eq!(warnings.len(), 2, "{mails:#?}");
    let first = warnings
        .iter()
        .find(|m| m.subject().contains("primeira resposta"))
        .expect("the first response's warning");
    assert!(
        first
            .subject()
            .contains(&format!("[#{soon}] Prazo de primeira resposta vence")),
        "{}",
        first.subject()
    );
    assert!(first.subject().contains("Caixa 4 sem rede"));
    // In the desk's local time (the business hours' offset), which the mail names.
    assert!(first.text.contains("(UTC"), "{}", first.text);
    assert!(first.html.contains(&format!(
        "href=\"https://suporte.example.com/tickets/{soon}\""
    )));
    let subjects: Vec<String> = warnings.iter().map(|m| m.subject()).collect();
    assert!(
        subjects
            .iter()
            // (The test's decoder of encoded words drops the space before one.)
            .any(|s| s.starts_with(&format!("[#{soon}] Prazo de")) && s.contains("resolução vence")),
        "{subjects:?}"
    );

    // Its priority raised, the other falls in the window: nobody is assigned, so the admin is told.
    set_locale(&app, ADMIN, "en").await;
    due_in(&app, later, 25, 600, now).await;
    assert_eq!(app.repo.warn_sla(now).await.unwrap(), 1);
    let mails = exactly(&sink, 4).await;
    let m = &mails[3];
    assert!(m.to().contains(ADMIN), "{}", m.to());
    assert!(
        m.subject()
            .contains(&format!("[#{later}] First response due")),
        "{}",
        m.subject()
    );

    // An assignee who turned assigned_tickets off gets no warning.
    set_prefs(
        &app,
        &agent,
        json!({"own_tickets": true, "assigned_tickets": false}),
    )
    .await;
    let quiet = open_ticket(&app, &rui, "Gaveta não abre").await;
    patch(&app, &agent, quiet, json!({"assignee_id": carla})).await;
    due_in(&app, quiet, 10, 600, now).await;
    assert_eq!(app.repo.warn_sla(now).await.unwrap(), 1, "recorded anyway");
    exactly(&sink, 4).await;
}

#[tokio::test]
async fn a_manager_with_organization_tickets_on_gets_the_other_tickets_mails() {
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let rui = app.session_for(MEMBER_A).await;
    let ana = app.session_for(MANAGER_A).await;
    let bruno = app.session_for(CLIENT_B).await;
    let agent = app.session_for(AGENT).await;
    for manager in [&ana, &bruno] {
        let on = set_prefs(
            &app,
            manager,
            json!({"own_tickets": true, "organization_tickets": true, "daily_digest": false}),
        )
        .await;
        assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
    }
    let id = open_ticket(&app, &rui, "Leitor de cartão").await;
    let mails = exactly(&sink, 1).await;
    assert!(mails[0].to().contains(MANAGER_A), "{}", mails[0].to());
    assert!(
        mails[0]
            .subject()
            .contains(&format!("[#{id}] Chamado aberto")),
        "{}",
        mails[0].subject()
    );
    assert!(
        mails[0].text.contains("da sua organização, em nome de Rui"),
        "{}",
        mails[0].text
    );
    post(
        &app,
        &agent,
        id,
        json!({"body": "Qual o modelo do leitor?"}),
    )
    .await;
    let mails = exactly(&sink, 3).await;
    let mut to: Vec<String> = mails[1..].iter().map(|m| m.to()).collect();
    to.sort();
    assert!(
        to[0].contains(MANAGER_A) && to[1].contains(MEMBER_A),
        "{to:?}"
    );
    assert!(
        mails[1..]
            .iter()
            .all(|m| m.subject().contains(&format!("[#{id}] Nova resposta")))
    );
    patch(&app, &agent, id, json!({"status": "resolved"})).await;
    let mails = exactly(&sink, 5).await;
    let to_ana = mails[3..]
        .iter()
        .find(|m| m.to().contains(MANAGER_A))
        .expect("the manager's copy of the resolution");
    assert!(
        to_ana
            .subject()
            .contains(&format!("[#{id}] Chamado resolvido"))
    );
    // Not the requester: not asked for a rating.
    assert!(!to_ana.text.contains("nota de 1 a 5"), "{}", to_ana.text);
    // Off again (the default), the manager gets the organization's mails no more; the other
    // organization's manager never got any.
    set_prefs(
        &app,
        &ana,
        json!({"own_tickets": true, "organization_tickets": false}),
    )
    .await;
    patch(&app, &agent, id, json!({"status": "open"})).await;
    let mails = exactly(&sink, 6).await;
    assert!(mails[5].to().contains(MEMBER_A), "{}", mails[5].to());
    assert!(sink.mails().iter().all(|m| !m.to().contains(CLIENT_B)));
}

#[tokio::test]
async fn a_daily_digest_lists_the_organizations_tickets_once_a_day() {
    const DAY: i64 = 86_400_000;
    let sink = SmtpSink::start(Rules::default());
    let app = TestApp::with_config(config(&sink)).await;
    let rui = app.session_for(MEMBER_A).await;
    let ana = app.session_for(MANAGER_A).await;
    let bruno = app.session_for(CLIENT_B).await;
    for manager in [&ana, &bruno] {
        let on = set_prefs(
            &app,
            manager,
            json!({"own_tickets": true, "daily_digest": true}),
        )
        .await;
        assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
    }
    // Nothing happened at Pet Feliz in the last day: Bruno gets no digest.
    let org_b = org_of(&app, CLIENT_B).await;
    portal_api::db::sql::query(
        "UPDATE tickets SET created_at = 0, updated_at = 0 WHERE organization_id = ?",
    )
    .bind(org_b)
    .execute(&app.repo.pool)
    .await
    .unwrap();
    let id = open_ticket(&app, &rui, "Cupom fiscal não sai").await;

    // The latest 08:30 in São Paulo (the business hours' offset, -03:00) that is past.
    let offset = -180 * 60_000;
    let local = portal_api::db::now_ms() + offset;
    let mut at = local - local.rem_euclid(DAY) + 8 * 3_600_000 + 30 * 60_000;
    if at > local {
        at -= DAY;
    }
    let at = at - offset;
    assert_eq!(
        app.repo
            .write_digests(at - 31 * 60_000, -180)
            .await
            .unwrap(),
        0,
        "not before 08:00"
    );
    assert_eq!(app.repo.write_digests(at, -180).await.unwrap(), 1);
    assert_eq!(
        app.repo
            .write_digests(at + 15 * 60_000, -180)
            .await
            .unwrap(),
        0,
        "never twice a day"
    );
    let mails = exactly(&sink, 1).await;
    let m = &mails[0];
    assert!(m.to().contains(MANAGER_A), "{}", m.to());
    assert!(
        m.subject().contains("diário dos chamados"),
        "{}",
        m.subject()
    );
    assert!(
        m.text.contains(&format!(
            "[#{id}] Cupom fiscal não sai (Aberto): https://suporte.example.com/tickets/{id}"
        )),
        "{}",
        m.text
    );
    assert!(
        m.text.contains("Abertos nas últimas 24 horas"),
        "{}",
        m.text
    );
    assert!(m.text.contains("Ainda em aberto"), "{}", m.text);
    assert!(
        m.html.contains(&format!(
            "href=\"https://suporte.example.com/tickets/{id}\""
        )),
        "{}",
        m.html
    );
    // Bruno's day is counted too: nothing happened, and nothing is sent later that day either.
    let day: Option<String> =
        portal_api::db::sql::query_scalar("SELECT digest_day FROM users WHERE email = ?")
            .bind(CLIENT_B)
            .fetch_one(&app.repo.pool)
            .await
            .unwrap();
    assert!(day.is_some());
}

#[tokio::test]
async fn inviting_again_an_unknown_account_or_a_refusing_address_is_said_so() {
    let app = TestApp::new().await;
    let admin = app.session_for(ADMIN).await;
    let a = app
        .call(
            Method::POST,
            "/api/v1/users/invitations",
            Some(&admin),
            Some(json!({"email": "recusa@suporte.demo", "name": "Recusa", "role": "agent"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    let id = a.body["id"].as_i64().unwrap();
    portal_api::db::sql::query(
        "INSERT INTO mail_suppressions (address, reason, created_at) VALUES ('recusa@suporte.demo', '550', 0)",
    )
    .execute(&app.repo.pool)
    .await
    .unwrap();
    let again = app
        .call(
            Method::POST,
            &format!("/api/v1/users/{id}/invitation"),
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    assert!(
        again.body["detail"].as_str().unwrap().contains("recusou"),
        "{:?}",
        again.body
    );
    let unknown = app
        .call(
            Method::POST,
            "/api/v1/users/999999/invitation",
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
