//! Tickets, in-process: visibility, internal notes, idempotency (with real concurrency), status rules,
//! first response and due times, caps, listing, search, ETag and `since`.

mod common;

use std::path::Path;

use api_types::Priority;
use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use chrono::{DateTime, Duration, Utc};
use common::*;
use http_body_util::BodyExt;
use portal_api::{
    AppState, Config, app, db, demo,
    repo::Repo,
    sla::{BusinessHours, Policy},
};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A request with a session, an optional JSON body and extra headers.
async fn req(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut r = Request::builder()
        .method(method)
        .uri(format!("/api/v1{path}"))
        .header("cookie", cookie);
    for (name, value) in headers {
        r = r.header(*name, *value);
    }
    let body = match body {
        Some(v) => {
            r = r.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    app.send(r.body(body).unwrap()).await
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> Answer {
    req(app, Method::GET, path, cookie, None, &[]).await
}

async fn open_ticket(app: &TestApp, cookie: &str, body: Value, key: Option<&str>) -> Answer {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    req(app, Method::POST, "/tickets", cookie, Some(body), &headers).await
}

/// Opens a ticket and answers its id.
async fn new_ticket(app: &TestApp, cookie: &str, subject: &str) -> i64 {
    let a = open_ticket(
        app,
        cookie,
        json!({"subject": subject, "description": "O PDV trava ao abrir o caixa."}),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["id"].as_i64().unwrap()
}

async fn message(app: &TestApp, cookie: &str, id: i64, body: Value) -> Answer {
    req(
        app,
        Method::POST,
        &format!("/tickets/{id}/messages"),
        cookie,
        Some(body),
        &[],
    )
    .await
}

async fn patch(app: &TestApp, cookie: &str, id: i64, body: Value) -> Answer {
    req(
        app,
        Method::PATCH,
        &format!("/tickets/{id}"),
        cookie,
        Some(body),
        &[],
    )
    .await
}

fn time(v: &Value) -> DateTime<Utc> {
    serde_json::from_value(v.clone()).unwrap_or_else(|_| panic!("not a time: {v}"))
}

fn ids(a: &Answer) -> Vec<i64> {
    a.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", a.body))
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

fn kinds(ticket: &Value) -> Vec<String> {
    ticket["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

fn field_errors(a: &Answer) -> Vec<String> {
    a.body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|f| f["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Support around the clock, so that due times are plain arithmetic.
fn always_open() -> Config {
    Config {
        sla: Policy {
            hours: BusinessHours::always(),
            ..Policy::default()
        },
        ..Config::default()
    }
}

/// A server on a database file with a pool of several connections, for real concurrency.
async fn file_backed_app(dir: &Path) -> TestApp {
    let pool = db::open(&dir.join("portal.db")).await.unwrap();
    let repo = Repo::new(pool.clone());
    demo::seed(&repo).await.unwrap();
    let state = AppState::new(pool, Config::default()).await.unwrap();
    drop(repo);
    TestApp {
        router: app(state.clone()),
        repo: state.repo.clone(),
        state,
    }
}

#[tokio::test]
async fn a_client_opens_a_ticket_with_due_times_and_safe_html() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let a = open_ticket(
        &app,
        &rui,
        json!({"subject": "  Cupom não sai na impressora  ", "description": "**Urgente**: <script>alert(1)</script>caixa 3",
               "category": "pdv", "search_id": 12}),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let t = &a.body;
    assert_eq!(t["subject"], "Cupom não sai na impressora");
    assert_eq!(t["status"], "open");
    assert_eq!(t["priority"], "normal");
    assert_eq!(t["channel"], "portal");
    assert_eq!(t["category"], "pdv");
    assert_eq!(t["requester"]["id"], app.user_id(MEMBER_A).await);
    assert_eq!(t["requester"]["name"], "Rui Almeida");
    assert_eq!(t["requester"]["organization"]["name"], "Mercado Bom Preço");
    assert_eq!(t["assignee"], Value::Null);
    assert_eq!(t["escalated"], false);
    assert_eq!(t["rating"], Value::Null);
    assert_eq!(t["first_responded_at"], Value::Null);
    assert_eq!(t["resolved_at"], Value::Null);
    assert_eq!(t["events"], json!([]));
    let html = t["description_html"].as_str().unwrap();
    assert!(html.contains("<strong>Urgente</strong>"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    // Due times follow the default policy (business hours in São Paulo).
    let created = time(&t["created_at"]);
    let due = Policy::default().due(created, Priority::Normal);
    assert_eq!(time(&t["first_response_due_at"]), due.first_response);
    assert_eq!(time(&t["resolution_due_at"]), due.resolution);
    assert!(due.first_response >= created + Duration::hours(4));
}

#[tokio::test]
async fn due_times_follow_the_priority_and_its_changes() {
    let app = TestApp::with_config(always_open()).await;
    let rui = app.session_for(MEMBER_A).await;
    let staff = app.session_for(AGENT).await;
    for (priority, first_h, resolution_h) in [
        ("urgent", 1, 24),
        ("high", 2, 72),
        ("normal", 4, 72),
        ("low", 8, 72),
    ] {
        let a = open_ticket(
            &app,
            &rui,
            json!({"subject": format!("Prioridade {priority}"), "description": "Teste", "priority": priority}),
            None,
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED);
        let created = time(&a.body["created_at"]);
        assert_eq!(
            time(&a.body["first_response_due_at"]),
            created + Duration::hours(first_h),
            "{priority}"
        );
        assert_eq!(
            time(&a.body["resolution_due_at"]),
            created + Duration::hours(resolution_h),
            "{priority}"
        );
    }
    // Staff raising the priority bring the targets closer, counted from the opening.
    let id = new_ticket(&app, &rui, "Vai virar urgente").await;
    let a = patch(&app, &staff, id, json!({"priority": "urgent"})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let created = time(&a.body["created_at"]);
    assert_eq!(a.body["priority"], "urgent");
    assert_eq!(
        time(&a.body["first_response_due_at"]),
        created + Duration::hours(1)
    );
    assert_eq!(
        time(&a.body["resolution_due_at"]),
        created + Duration::hours(24)
    );
}

#[tokio::test]
async fn members_see_their_own_managers_their_organizations_staff_all() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let ana = app.session_for(MANAGER_A).await;
    let bruno = app.session_for(CLIENT_B).await;
    let staff = app.session_for(AGENT).await;
    let admin = app.session_for(ADMIN).await;
    let of_rui = new_ticket(&app, &rui, "Visibilidade: do Rui").await;
    let of_ana = new_ticket(&app, &ana, "Visibilidade: da Ana").await;
    let of_bruno = new_ticket(&app, &bruno, "Visibilidade: do Bruno").await;
    let list = |cookie: String, extra: &'static str| {
        let app = &app;
        async move { ids(&get(app, &format!("/tickets?q=visibilidade{extra}"), &cookie).await) }
    };
    let mut seen = list(rui.clone(), "").await;
    seen.sort();
    assert_eq!(seen, vec![of_rui]);
    let mut seen = list(ana.clone(), "").await;
    seen.sort();
    assert_eq!(seen, vec![of_rui, of_ana]);
    assert_eq!(list(ana.clone(), "&scope=mine").await, vec![of_ana]);
    assert_eq!(
        list(rui.clone(), "&scope=organization").await,
        vec![of_rui],
        "a member asking for the organization still sees only their own"
    );
    assert_eq!(list(bruno.clone(), "").await, vec![of_bruno]);
    for cookie in [staff.clone(), admin.clone()] {
        let mut seen = list(cookie, "").await;
        seen.sort();
        assert_eq!(seen, vec![of_rui, of_ana, of_bruno]);
    }

    // Not yours: 404 everywhere, exactly like a ticket that does not exist.
    for (cookie, id) in [
        (&rui, of_ana),
        (&bruno, of_rui),
        (&bruno, of_ana),
        (&rui, 999_999),
    ] {
        let a = get(&app, &format!("/tickets/{id}"), cookie).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{id}");
        let a = message(&app, cookie, id, json!({"body": "Olá"})).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{id}");
        let a = patch(&app, cookie, id, json!({"status": "closed"})).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{id}");
    }
    for (cookie, id) in [
        (&rui, of_rui),
        (&ana, of_rui),
        (&ana, of_ana),
        (&bruno, of_bruno),
        (&staff, of_bruno),
    ] {
        assert_eq!(
            get(&app, &format!("/tickets/{id}"), cookie).await.status,
            StatusCode::OK
        );
    }
    // Without a session: 401.
    let a = app.call(Method::GET, "/api/v1/tickets", None, None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn internal_notes_never_reach_clients() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let ana = app.session_for(MANAGER_A).await;
    let staff = app.session_for(AGENT).await;
    let id = new_ticket(&app, &rui, "Nota interna").await;
    let before = get(&app, &format!("/tickets/{id}"), &rui).await;

    let a = message(
        &app,
        &staff,
        id,
        json!({"body": "Cliente **difícil**: xilofone", "internal": true}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["kind"], "note");
    assert_eq!(a.body["author"]["role"], "agent");

    // Staff see it; the status did not change and no response was counted.
    let t = get(&app, &format!("/tickets/{id}"), &staff).await.body;
    assert_eq!(kinds(&t), vec!["note"]);
    assert_eq!(t["status"], "open");
    assert_eq!(t["first_responded_at"], Value::Null);
    assert_eq!(
        ids(&get(&app, "/tickets?q=xilofone", &staff).await),
        vec![id]
    );

    // Clients see nothing: not in the timeline, not through search, not even a new updated_at.
    for cookie in [&rui, &ana] {
        let t = get(&app, &format!("/tickets/{id}"), cookie).await;
        assert_eq!(t.body["events"], json!([]));
        assert!(!t.body.to_string().contains("xilofone"));
        assert_eq!(t.body["updated_at"], before.body["updated_at"]);
        assert_eq!(t.headers["etag"], before.headers["etag"]);
        assert_eq!(
            ids(&get(&app, "/tickets?q=xilofone", cookie).await),
            Vec::<i64>::new()
        );
    }

    // A client cannot write a note.
    let a = message(&app, &rui, id, json!({"body": "Nota?", "internal": true})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // After a public reply, the client sees the reply and still not the note.
    message(&app, &staff, id, json!({"body": "Pode reiniciar o PDV?"})).await;
    let t = get(&app, &format!("/tickets/{id}"), &rui).await.body;
    assert_eq!(kinds(&t), vec!["message", "status_change"]);
    assert!(!t.to_string().contains("xilofone"));
}

#[tokio::test]
async fn the_same_key_and_body_answer_the_same_ticket() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let ana = app.session_for(MANAGER_A).await;
    let body = json!({"subject": "Idempotente", "description": "Uma vez só", "priority": "high"});
    let first = open_ticket(&app, &rui, body.clone(), Some("chave-1")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = open_ticket(&app, &rui, body.clone(), Some("chave-1")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body, first.body);

    // The same key with another body: 422, and no second ticket.
    let other = json!({"subject": "Idempotente", "description": "Outro texto", "priority": "high"});
    let a = open_ticket(&app, &rui, other.clone(), Some("chave-1")).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&a), vec!["Idempotency-Key"]);
    assert_eq!(
        ids(&get(&app, "/tickets?q=idempotente", &rui).await).len(),
        1
    );

    // Keys belong to their user: another client's same key is another ticket.
    let b = open_ticket(&app, &ana, body.clone(), Some("chave-1")).await;
    assert_eq!(b.status, StatusCode::CREATED);
    assert_ne!(b.body["id"], first.body["id"]);
    // Without a key, every request acts.
    let c = open_ticket(&app, &rui, body.clone(), None).await;
    assert_ne!(c.body["id"], first.body["id"]);
    // A malformed key is a field error.
    let long = "k".repeat(300);
    let a = open_ticket(&app, &rui, body, Some(&long)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Messages too: a retry answers the same event, even after the ticket has moved on.
    let id = first.body["id"].as_i64().unwrap();
    let msg_path = format!("/tickets/{id}/messages");
    let send = |text: &'static str| {
        req(
            &app,
            Method::POST,
            &msg_path,
            &rui,
            Some(json!({"body": text})),
            &[("idempotency-key", "msg-1")],
        )
    };
    let m1 = send("Mais um detalhe").await;
    assert_eq!(m1.status, StatusCode::CREATED);
    let m2 = send("Mais um detalhe").await;
    assert_eq!(m2.status, StatusCode::CREATED);
    assert_eq!(m2.body, m1.body);
    assert_eq!(m2.headers["idempotent-replayed"], "true");
    assert_eq!(
        send("Outro detalhe").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let t = get(&app, &format!("/tickets/{id}"), &rui).await.body;
    assert_eq!(kinds(&t), vec!["message"]);
    // A ticket's key cannot be replayed as a message.
    let a = req(
        &app,
        Method::POST,
        &format!("/tickets/{id}/messages"),
        &rui,
        Some(json!({"body": "x"})),
        &[("idempotency-key", "chave-1")],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_with_one_key_make_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let app = file_backed_app(dir.path()).await;
    let rui = app.session_for(MEMBER_A).await;
    let body = json!({"subject": "Corrida de requisições", "description": "Vinte de uma vez"});

    let send_all = |path: String, body: Value, key: &'static str| {
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let request = Request::post(format!("/api/v1{path}"))
                .header("cookie", &rui)
                .header("content-type", "application/json")
                .header("idempotency-key", key)
                .body(Body::from(body.to_string()))
                .unwrap();
            let router = app.router.clone();
            tasks.push(tokio::spawn(async move {
                let res = router.oneshot(request).await.unwrap();
                let status = res.status();
                let bytes = res.into_body().collect().await.unwrap().to_bytes();
                (status, serde_json::from_slice::<Value>(&bytes).unwrap())
            }));
        }
        tasks
    };

    let mut ticket_ids = Vec::new();
    for task in send_all("/tickets".into(), body, "corrida") {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ticket_ids.push(body["id"].as_i64().unwrap());
    }
    ticket_ids.dedup();
    assert_eq!(ticket_ids.len(), 1, "{ticket_ids:?}");
    let rows: i64 =
        portal_api::db::sql::query_scalar("SELECT COUNT(*) FROM tickets WHERE subject = ?")
            .bind("Corrida de requisições")
            .fetch_one(&app.repo.pool)
            .await
            .unwrap();
    assert_eq!(rows, 1);

    let id = ticket_ids[0];
    let mut event_ids = Vec::new();
    for task in send_all(
        format!("/tickets/{id}/messages"),
        json!({"body": "Mensagem repetida"}),
        "corrida-msg",
    ) {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        event_ids.push(body["id"].as_i64().unwrap());
    }
    event_ids.dedup();
    assert_eq!(event_ids.len(), 1, "{event_ids:?}");
    let rows: i64 =
        portal_api::db::sql::query_scalar("SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ?")
            .bind(id)
            .fetch_one(&app.repo.pool)
            .await
            .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn clients_may_close_their_ticket_or_reopen_a_resolved_one() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let ana = app.session_for(MANAGER_A).await;
    let staff = app.session_for(AGENT).await;
    let id = new_ticket(&app, &rui, "Transições").await;

    for (status, expected) in [("pending", 403), ("resolved", 403), ("open", 200)] {
        let a = patch(&app, &rui, id, json!({"status": status})).await;
        assert_eq!(a.status.as_u16(), expected, "{status}: {}", a.body);
    }
    for body in [
        json!({"priority": "urgent"}),
        json!({"assignee_id": null}),
        json!({"escalated": true}),
    ] {
        assert_eq!(
            patch(&app, &rui, id, body).await.status,
            StatusCode::FORBIDDEN
        );
    }
    // A manager sees a colleague's ticket but does not close it for them.
    assert_eq!(
        patch(&app, &ana, id, json!({"status": "closed"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        kinds(&get(&app, &format!("/tickets/{id}"), &rui).await.body),
        Vec::<String>::new()
    );

    // Resolved by staff, reopened by the client.
    let a = patch(&app, &staff, id, json!({"status": "resolved"})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body["resolved_at"].is_string());
    let a = patch(&app, &rui, id, json!({"status": "open"})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["status"], "open");
    assert_eq!(a.body["resolved_at"], Value::Null);
    // Waiting on the client: only a message hands it back.
    patch(&app, &staff, id, json!({"status": "pending"})).await;
    let a = patch(&app, &rui, id, json!({"status": "open"})).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.body["detail"].as_str().unwrap().contains("mensagem"));

    // Closed by the client: no more messages, but a close clicked by mistake can be undone for a while.
    let a = patch(&app, &rui, id, json!({"status": "closed"})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["status"], "closed");
    assert!(a.body["resolved_at"].is_string());
    let a = message(&app, &rui, id, json!({"body": "Voltou a acontecer"})).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    let a = patch(&app, &rui, id, json!({"status": "open"})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["status"], "open");
    let a = patch(&app, &rui, id, json!({"status": "closed"})).await;
    assert_eq!(a.status, StatusCode::OK);
    // Staff may reopen anything.
    let a = patch(&app, &staff, id, json!({"status": "open"})).await;
    assert_eq!(a.body["status"], "open");

    // Every change of status is an event, with from and to.
    let t = get(&app, &format!("/tickets/{id}"), &rui).await.body;
    let changes: Vec<(String, String)> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["kind"], "status_change");
            (
                e["from"].as_str().unwrap().into(),
                e["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    let pairs = [
        ("open", "resolved"),
        ("resolved", "open"),
        ("open", "pending"),
        ("pending", "closed"),
        ("closed", "open"),
        ("open", "closed"),
        ("closed", "open"),
    ];
    assert_eq!(
        changes,
        pairs.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
    );
}

#[tokio::test]
async fn messages_move_the_status_and_the_first_reply_is_the_first_response() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let ana = app.session_for(MANAGER_A).await;
    let staff = app.session_for(AGENT).await;
    let other_staff = app.session_for("diego@suporte.demo").await;
    let id = new_ticket(&app, &rui, "Mensagens").await;
    let path = format!("/tickets/{id}");

    // A client's message on an open ticket changes nothing but the timeline.
    let a = message(&app, &rui, id, json!({"body": "Esqueci: é no caixa 3."})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.body["kind"], "message");
    assert_eq!(a.body["author"]["name"], "Rui Almeida");
    assert_eq!(a.body["author"]["role"], "client");
    assert!(a.body["body_html"].as_str().unwrap().contains("caixa 3"));
    assert_eq!(get(&app, &path, &rui).await.body["status"], "open");

    // A note is not a response; the first staff reply is, and it waits on the client.
    message(
        &app,
        &staff,
        id,
        json!({"body": "Ver log", "internal": true}),
    )
    .await;
    assert_eq!(
        get(&app, &path, &staff).await.body["first_responded_at"],
        Value::Null
    );
    let reply = message(&app, &staff, id, json!({"body": "Qual a versão do PDV?"})).await;
    let t = get(&app, &path, &rui).await.body;
    assert_eq!(t["status"], "pending");
    assert_eq!(t["first_responded_at"], reply.body["created_at"]);
    let first = t["first_responded_at"].clone();

    // The client answers: back to open, with the change in the timeline.
    message(&app, &ana, id, json!({"body": "Versão 8.4."})).await;
    let t = get(&app, &path, &rui).await.body;
    assert_eq!(t["status"], "open");
    let last = t["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "status_change");
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str()),
        (Some("pending"), Some("open"))
    );
    assert_eq!(last["author"]["name"], "Ana Souza");

    // A later reply, by anyone, does not move the first response; it may name the status it leaves.
    let a = message(
        &app,
        &other_staff,
        id,
        json!({"body": "Corrigido na 8.4.1.", "status": "resolved"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let t = get(&app, &path, &rui).await.body;
    assert_eq!(t["first_responded_at"], first);
    assert_eq!(t["status"], "resolved");
    assert!(t["resolved_at"].is_string());
    // A client cannot choose the status with a message.
    let a = message(&app, &rui, id, json!({"body": "Ok", "status": "closed"})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // A client's message on a resolved ticket reopens it.
    message(&app, &rui, id, json!({"body": "Voltou a travar."})).await;
    let t = get(&app, &path, &rui).await.body;
    assert_eq!(t["status"], "open");
    assert_eq!(t["resolved_at"], Value::Null);

    // A staff reply that keeps the ticket open.
    message(
        &app,
        &staff,
        id,
        json!({"body": "Estamos vendo.", "status": "open"}),
    )
    .await;
    assert_eq!(get(&app, &path, &rui).await.body["status"], "open");
    assert_eq!(
        kinds(&get(&app, &path, &rui).await.body),
        [
            "message",
            "message",
            "status_change",
            "message",
            "status_change",
            "message",
            "status_change",
            "message",
            "status_change",
            "message"
        ]
    );
}

#[tokio::test]
async fn staff_log_tickets_taken_elsewhere_on_behalf_of_clients() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let ana = app.session_for(MANAGER_A).await;
    let staff = app.session_for(AGENT).await;
    let rui_id = app.user_id(MEMBER_A).await;
    let agent_id = app.user_id(AGENT).await;

    let a = open_ticket(
        &app,
        &staff,
        json!({"subject": "Ligação: gaveta não abre", "description": "Cliente ligou às 9h.", "requester_id": rui_id, "channel": "phone"}),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["channel"], "phone");
    assert_eq!(a.body["requester"]["id"], rui_id);
    let id = a.body["id"].as_i64().unwrap();
    // The client and their manager see it as theirs.
    assert_eq!(
        get(&app, &format!("/tickets/{id}"), &rui).await.status,
        StatusCode::OK
    );
    assert_eq!(ids(&get(&app, "/tickets?q=gaveta", &ana).await), vec![id]);

    // Staff must say for whom and how; the requester must be a client.
    let a = open_ticket(
        &app,
        &staff,
        json!({"subject": "s", "description": "d"}),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&a), vec!["requester_id", "channel"]);
    let a = open_ticket(
        &app,
        &staff,
        json!({"subject": "s", "description": "d", "requester_id": agent_id, "channel": "email"}),
        None,
    )
    .await;
    assert_eq!(field_errors(&a), vec!["requester_id"]);

    // Clients cannot open on someone else's behalf nor claim another channel (422); saying the truth is fine.
    let a = open_ticket(
        &app,
        &ana,
        json!({"subject": "s", "description": "d", "requester_id": rui_id, "channel": "phone"}),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&a), vec!["requester_id", "channel"]);
    let a = open_ticket(
        &app,
        &rui,
        json!({"subject": "s", "description": "d", "requester_id": rui_id, "channel": "portal"}),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
}

#[tokio::test]
async fn text_is_capped_with_field_errors_in_the_users_language() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let a = open_ticket(
        &app,
        &rui,
        json!({"subject": "  ", "description": ""}),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.headers["content-type"], "application/problem+json");
    assert_eq!(field_errors(&a), vec!["subject", "description"]);
    assert_eq!(a.body["errors"][0]["message"], "Preencha este campo.");

    let long = json!({"subject": "a".repeat(201), "description": "b".repeat(20_001)});
    let a = open_ticket(&app, &rui, long.clone(), None).await;
    assert_eq!(field_errors(&a), vec!["subject", "description"]);
    assert_eq!(
        a.body["errors"][0]["message"],
        "Use no máximo 200 caracteres."
    );
    assert_eq!(
        a.body["errors"][1]["message"],
        "Use no máximo 20000 caracteres."
    );
    let a = req(
        &app,
        Method::POST,
        "/tickets",
        &rui,
        Some(long),
        &[("accept-language", "en")],
    )
    .await;
    assert_eq!(
        a.body["errors"][0]["message"],
        "Use at most 200 characters."
    );

    // At the limit is fine (characters, not bytes).
    let ok = json!({"subject": "ã".repeat(200), "description": "é".repeat(20_000)});
    assert_eq!(
        open_ticket(&app, &rui, ok, None).await.status,
        StatusCode::CREATED
    );

    let id = new_ticket(&app, &rui, "Limites").await;
    let a = message(&app, &rui, id, json!({"body": "x".repeat(20_001)})).await;
    assert_eq!(field_errors(&a), vec!["body"]);
    let a = message(&app, &rui, id, json!({"body": " "})).await;
    assert_eq!(field_errors(&a), vec!["body"]);
    // Unknown fields and missing ones, as everywhere.
    let a = open_ticket(
        &app,
        &rui,
        json!({"subject": "s", "description": "d", "color": "red"}),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = open_ticket(&app, &rui, json!({"subject": "s"}), None).await;
    assert_eq!(field_errors(&a), vec!["description"]);
    let a = patch(&app, &rui, id, json!({"status": "archived"})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn lists_filter_by_status_search_and_page() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let staff = app.session_for(AGENT).await;
    let a = new_ticket(&app, &rui, "Emissão de NFC-e travada").await;
    let b = new_ticket(&app, &rui, "Sangria não registra").await;
    let c = new_ticket(&app, &rui, "Troca de senha do gerente").await;
    message(
        &app,
        &rui,
        c,
        json!({"body": "Também a EMISSÃO da nota demora."}),
    )
    .await;

    // Search folds case and accents, over subjects, descriptions and messages.
    let mut found = ids(&get(&app, "/tickets?q=emissao", &rui).await);
    found.sort();
    assert_eq!(found, vec![a, c]);
    assert_eq!(ids(&get(&app, "/tickets?q=SANGRIA", &rui).await), vec![b]);
    assert_eq!(
        ids(&get(&app, "/tickets?q=100%25", &rui).await),
        Vec::<i64>::new()
    );
    let page = get(&app, "/tickets?q=trava%20ao%20abrir", &rui).await;
    assert_eq!(page.body["total"], 3, "descriptions are searched");

    // Pages, most recently changed first.
    let p1 = get(&app, "/tickets?q=trava%20ao%20abrir&per_page=2", &rui).await;
    assert_eq!(
        (
            p1.body["total"].as_i64(),
            p1.body["page"].as_i64(),
            p1.body["per_page"].as_i64()
        ),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(ids(&p1), vec![c, b]);
    let p2 = get(
        &app,
        "/tickets?q=trava%20ao%20abrir&per_page=2&page=2",
        &rui,
    )
    .await;
    assert_eq!(ids(&p2), vec![a]);
    assert_eq!(
        get(&app, "/tickets?per_page=1000", &rui).await.body["errors"][0]["field"],
        "per_page",
        "past the bound of the OpenAPI document: refused, not clamped"
    );

    // Statuses.
    patch(&app, &staff, a, json!({"status": "resolved"})).await;
    patch(&app, &staff, b, json!({"status": "pending"})).await;
    patch(&app, &rui, c, json!({"status": "closed"})).await;
    let by = |status: &'static str| {
        let (app, rui) = (&app, &rui);
        async move {
            let mut v = ids(&get(
                app,
                &format!("/tickets?q=trava%20ao%20abrir&status={status}"),
                rui,
            )
            .await);
            v.sort();
            v
        }
    };
    assert_eq!(by("resolved").await, vec![a]);
    assert_eq!(by("pending").await, vec![b]);
    assert_eq!(by("closed").await, vec![c]);
    assert_eq!(by("open").await, Vec::<i64>::new());
    assert_eq!(by("active").await, vec![b]);
    assert_eq!(by("all").await, vec![a, b, c]);
    let bad = get(&app, "/tickets?status=archived", &rui).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&bad), vec!["status"]);
    let bad = get(&app, &format!("/tickets?q={}", "x".repeat(201)), &rui).await;
    assert_eq!(field_errors(&bad), vec!["q"]);
}

#[tokio::test]
async fn staff_queue_filters_and_sorts_by_due_time() {
    let app = TestApp::with_config(always_open()).await;
    let rui = app.session_for(MEMBER_A).await;
    let staff = app.session_for(AGENT).await;
    let agent_id = app.user_id(AGENT).await;
    let urgent = open_ticket(
        &app,
        &rui,
        json!({"subject": "Quiosque urgente", "description": "d", "priority": "urgent"}),
        None,
    )
    .await;
    let urgent = urgent.body["id"].as_i64().unwrap();
    let low = open_ticket(
        &app,
        &rui,
        json!({"subject": "Quiosque baixa", "description": "d", "priority": "low"}),
        None,
    )
    .await;
    let low = low.body["id"].as_i64().unwrap();
    let normal = new_ticket(&app, &rui, "Quiosque normal").await;

    let q = |extra: &'static str| {
        let (app, staff) = (&app, &staff);
        async move { ids(&get(app, &format!("/tickets?q=quiosque{extra}"), staff).await) }
    };
    assert_eq!(q("&sort=due").await, vec![urgent, normal, low]);
    assert_eq!(q("&priority=low").await, vec![low]);
    // Due within the hour: the urgent one (its first response is due an hour after opening).
    assert_eq!(q("&breaching=true").await, vec![urgent]);

    let a = patch(&app, &staff, normal, json!({"assignee_id": agent_id})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["assignee"]["name"], "Carla Mendes");
    assert_eq!(q("&assignee=me").await, vec![normal]);
    let by_id = get(
        &app,
        &format!("/tickets?q=quiosque&assignee={agent_id}"),
        &staff,
    )
    .await;
    assert_eq!(ids(&by_id), vec![normal]);
    let mut none = q("&assignee=none").await;
    none.sort();
    assert_eq!(none, vec![urgent, low]);
    let a = patch(&app, &staff, normal, json!({"assignee_id": null})).await;
    assert_eq!(a.body["assignee"], Value::Null);
    let a = patch(
        &app,
        &staff,
        normal,
        json!({"assignee_id": app.user_id(MEMBER_A).await}),
    )
    .await;
    assert_eq!(field_errors(&a), vec!["assignee_id"]);

    patch(&app, &staff, low, json!({"escalated": true})).await;
    assert_eq!(q("&escalated=true").await, vec![low]);
    assert_eq!(
        get(&app, "/tickets?breaching=maybe", &staff).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        get(&app, "/tickets?sort=name", &staff).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Answered: the next target is the resolution, a day later, so no longer breaching.
    message(&app, &staff, urgent, json!({"body": "Já vamos ver."})).await;
    assert_eq!(q("&breaching=true").await, Vec::<i64>::new());
    let summary = get(&app, "/tickets?q=quiosque%20urgente", &staff)
        .await
        .body["items"][0]
        .clone();
    let t = get(&app, &format!("/tickets/{urgent}"), &staff).await.body;
    assert_eq!(summary["due_at"], t["resolution_due_at"]);
}

#[tokio::test]
async fn etags_and_since_make_refreshing_cheap() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let staff = app.session_for(AGENT).await;
    let id = new_ticket(&app, &rui, "Atualização barata").await;
    let path = format!("/tickets/{id}");

    for target in [path.as_str(), "/tickets?status=active"] {
        let first = get(&app, target, &rui).await;
        assert_eq!(first.status, StatusCode::OK);
        let etag = first.headers["etag"].to_str().unwrap().to_string();
        assert!(etag.starts_with("W/\""), "{etag}");
        let again = req(
            &app,
            Method::GET,
            target,
            &rui,
            None,
            &[("if-none-match", &etag)],
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{target}");
        assert_eq!(again.body, Value::Null);
        assert_eq!(again.headers["etag"].to_str().unwrap(), etag);
        let other = req(
            &app,
            Method::GET,
            target,
            &rui,
            None,
            &[("if-none-match", "W/\"outro\"")],
        )
        .await;
        assert_eq!(other.status, StatusCode::OK);
    }

    let t = get(&app, &path, &rui).await;
    let etag = t.headers["etag"].to_str().unwrap().to_string();
    let list_etag = get(&app, "/tickets?status=active", &rui).await.headers["etag"].clone();
    let updated = t.body["updated_at"].as_str().unwrap().to_string();
    let since = |t: &str| format!("/tickets?since={}", t.replace('+', "%2B"));
    assert_eq!(
        ids(&get(&app, &since(&updated), &rui).await),
        Vec::<i64>::new()
    );
    let before = (time(&t.body["updated_at"]) - Duration::milliseconds(1)).to_rfc3339();
    assert_eq!(ids(&get(&app, &since(&before), &rui).await), vec![id]);

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    message(&app, &staff, id, json!({"body": "Respondido."})).await;
    let changed = req(
        &app,
        Method::GET,
        &path,
        &rui,
        None,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.headers["etag"].to_str().unwrap(), etag);
    let list = req(
        &app,
        Method::GET,
        "/tickets?status=active",
        &rui,
        None,
        &[("if-none-match", list_etag.to_str().unwrap())],
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(ids(&get(&app, &since(&updated), &rui).await), vec![id]);

    let bad = get(&app, "/tickets?since=ontem", &rui).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&bad), vec!["since"]);
}

#[tokio::test]
async fn the_demo_has_tickets_in_every_status_for_each_organization() {
    let app = TestApp::new().await;
    let staff = get(&app, "/tickets?per_page=100", &app.session_for(AGENT).await).await;
    // Seven tickets to work on, and the resolved history behind the dashboard.
    let history = portal_api::demo::history();
    let of = |who: &[&str]| {
        history
            .iter()
            .filter(|h| who.contains(&h.requester))
            .count() as i64
    };
    assert_eq!(staff.body["total"], 7 + history.len() as i64);
    let statuses: std::collections::BTreeSet<String> = staff.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses.len(), 4, "{statuses:?}");
    for (who, expected) in [
        (MANAGER_A, 4 + of(&[MANAGER_A, MEMBER_A])),
        (MEMBER_A, 2 + of(&[MEMBER_A])),
        (CLIENT_B, 3 + of(&[CLIENT_B])),
    ] {
        let cookie = app.session_for(who).await;
        let list = get(&app, "/tickets", &cookie).await;
        assert_eq!(list.body["total"], expected, "{who}");
        for id in ids(&list) {
            let t = get(&app, &format!("/tickets/{id}"), &cookie).await.body;
            assert!(
                !kinds(&t).contains(&"note".to_string()),
                "{who} sees a note"
            );
        }
    }
}

#[tokio::test]
async fn staff_see_priority_and_assignment_changes_in_the_timeline_and_clients_do_not() {
    let app = TestApp::with_config(always_open()).await;
    let rui = app.session_for(MEMBER_A).await;
    let bruno = app.session_for(CLIENT_B).await;
    let staff = app.session_for(AGENT).await;
    let admin_id = app.user_id(ADMIN).await;
    let id = new_ticket(&app, &rui, "Xilógrafo sem tinta").await;
    let other_org = new_ticket(&app, &bruno, "Xilógrafo da outra loja").await;

    // Any active member of staff can be given the ticket, not only the one who asks.
    let agents = get(&app, "/agents", &staff).await;
    assert_eq!(agents.status, StatusCode::OK);
    let names: Vec<&str> = agents
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Carla Mendes"), "{names:?}");
    assert!(
        agents
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == admin_id)
    );
    assert!(
        agents
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["role"] != "client")
    );

    patch(&app, &staff, id, json!({"priority": "high"})).await;
    patch(&app, &staff, id, json!({"assignee_id": admin_id})).await;
    patch(&app, &staff, id, json!({"assignee_id": null})).await;
    // Asking for what already is changes nothing and writes no event.
    patch(
        &app,
        &staff,
        id,
        json!({"priority": "high", "assignee_id": null}),
    )
    .await;

    let t = get(&app, &format!("/tickets/{id}"), &staff).await;
    let events = t.body["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["priority_change", "assignment", "assignment"]);
    assert_eq!(events[0]["from_priority"], "normal");
    assert_eq!(events[0]["to_priority"], "high");
    assert_eq!(events[0]["author"]["name"], "Carla Mendes");
    assert_eq!(events[1]["assignee"]["id"], admin_id);
    assert!(events[2].get("assignee").is_none(), "{}", events[2]);

    // The client sees the ticket's priority, but not staff's handling of it.
    let t = get(&app, &format!("/tickets/{id}"), &rui).await;
    assert_eq!(t.body["priority"], "high");
    assert_eq!(t.body["events"], json!([]));

    // The queue by organization: its id, checked.
    let org_a =
        get(&app, &format!("/tickets/{id}"), &staff).await.body["requester"]["organization"]["id"]
            .as_i64()
            .unwrap();
    let q = get(
        &app,
        &format!("/tickets?q=xil%C3%B3grafo&organization={org_a}"),
        &staff,
    )
    .await;
    assert_eq!(ids(&q), vec![id]);
    let all = get(&app, "/tickets?q=xilografo", &staff).await;
    let mut both = ids(&all);
    both.sort();
    assert_eq!(both, vec![id, other_org]);
    let bad = get(&app, "/tickets?organization=loja", &staff).await;
    assert_eq!(field_errors(&bad), vec!["organization"]);
    // For a client the filter is checked, then ignored: still only their own tickets.
    let mine = get(
        &app,
        &format!("/tickets?q=xilografo&organization={org_a}"),
        &bruno,
    )
    .await;
    assert_eq!(ids(&mine), vec![other_org]);
    let orgs = get(&app, "/organizations", &staff).await;
    assert!(
        orgs.body
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == org_a)
    );
}
