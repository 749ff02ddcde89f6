//! Satisfaction ratings and the KPI report, in-process: who may rate, when, changing within 7 days,
//! idempotent retries, escalation of low scores, and the report's figures on a hand-computed fixture.

mod common;

use api_types::{Channel, EventKind, Priority, TicketStatus};
use axum::http::{Method, StatusCode};
use common::*;
use portal_api::repo::tickets::{EventRecord, TicketRecord};
use serde_json::{Value, json};

const DAY_MS: i64 = 24 * 3600 * 1000;

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    body: Option<Value>,
) -> Answer {
    app.call(method, &format!("/api/v1{path}"), Some(cookie), body)
        .await
}

async fn rate(app: &TestApp, cookie: &str, id: i64, body: Value) -> Answer {
    call(
        app,
        Method::POST,
        &format!("/tickets/{id}/rating"),
        cookie,
        Some(body),
    )
    .await
}

/// A ticket opened by `cookie`'s user and moved to `status` by staff.
async fn ticket_in(app: &TestApp, client: &str, staff: &str, status: &str) -> i64 {
    let t = call(
        app,
        Method::POST,
        "/tickets",
        client,
        Some(json!({"subject": "Avaliação de teste", "description": "Texto"})),
    )
    .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    let id = t.body["id"].as_i64().unwrap();
    if status != "open" {
        let p = call(
            app,
            Method::PATCH,
            &format!("/tickets/{id}"),
            staff,
            Some(json!({"status": status})),
        )
        .await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    }
    id
}

async fn ticket(app: &TestApp, cookie: &str, id: i64) -> Value {
    call(app, Method::GET, &format!("/tickets/{id}"), cookie, None)
        .await
        .body
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

fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_millis()
}

#[tokio::test]
async fn only_the_requester_rates_a_resolved_or_closed_ticket() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let ana = app.session_for(MANAGER_A).await;
    let bruno = app.session_for(CLIENT_B).await;
    let staff = app.session_for(AGENT).await;

    let open = ticket_in(&app, &rui, &staff, "open").await;
    let pending = ticket_in(&app, &rui, &staff, "pending").await;
    for id in [open, pending] {
        let a = rate(&app, &rui, id, json!({"score": 5})).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
        assert_eq!(
            a.headers["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
    }

    let id = ticket_in(&app, &rui, &staff, "resolved").await;
    // Others who see the ticket may not rate it; those who do not see it learn nothing.
    assert_eq!(
        rate(&app, &ana, id, json!({"score": 5})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        rate(&app, &staff, id, json!({"score": 5})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        rate(&app, &bruno, id, json!({"score": 5})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rate(&app, &rui, 999_999, json!({"score": 5})).await.status,
        StatusCode::NOT_FOUND
    );
    let anonymous = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{id}/rating"),
            None,
            Some(json!({"score": 5})),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Invalid bodies.
    for score in [0, 6, -1, 300] {
        let a = rate(&app, &rui, id, json!({"score": score})).await;
        assert_eq!(field_errors(&a), vec!["score"], "{score}");
    }
    let a = rate(
        &app,
        &rui,
        id,
        json!({"score": 4, "comment": "x".repeat(2001)}),
    )
    .await;
    assert_eq!(field_errors(&a), vec!["comment"]);
    let a = rate(&app, &rui, id, json!({})).await;
    assert_eq!(field_errors(&a), vec!["score"]);
    let a = rate(&app, &rui, id, json!({"score": 4, "stars": 4})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    // The list says which resolved tickets wait for the requester's rating; only to the requester.
    let awaiting = |cookie: String| {
        let app = &app;
        async move {
            let list = call(
                app,
                Method::GET,
                "/tickets?status=resolved&per_page=100",
                &cookie,
                None,
            )
            .await;
            list.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["id"] == id)
                .map(|t| t["awaiting_rating"].as_bool().unwrap())
        }
    };
    assert_eq!(awaiting(rui.clone()).await, Some(true));
    assert_eq!(awaiting(ana.clone()).await, Some(false));
    assert_eq!(awaiting(staff.clone()).await, Some(false));
    let list = call(&app, Method::GET, "/tickets?status=active", &rui, None).await;
    assert!(
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["awaiting_rating"] == false)
    );

    let a = rate(
        &app,
        &rui,
        id,
        json!({"score": 4, "comment": "  Resolvido, obrigado!  "}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["score"], 4);
    assert_eq!(a.body["comment"], "Resolvido, obrigado!");
    assert_eq!(a.body["created_at"], a.body["updated_at"]);
    let created = ms(a.body["created_at"].as_str().unwrap());
    assert_eq!(
        ms(a.body["changeable_until"].as_str().unwrap()),
        created + 7 * DAY_MS
    );
    assert_eq!(awaiting(rui.clone()).await, Some(false));
    // The rating is part of the ticket, for everyone who sees it.
    for cookie in [&rui, &ana, &staff] {
        assert_eq!(ticket(&app, cookie, id).await["rating"], a.body);
    }
    assert_eq!(ticket(&app, &staff, id).await["escalated"], false);

    // A closed ticket can be rated too; a reopened one cannot.
    let closed = ticket_in(&app, &rui, &staff, "closed").await;
    assert_eq!(
        rate(&app, &rui, closed, json!({"score": 5})).await.status,
        StatusCode::CREATED
    );
    let reopened = ticket_in(&app, &rui, &staff, "resolved").await;
    let p = call(
        &app,
        Method::PATCH,
        &format!("/tickets/{reopened}"),
        &rui,
        Some(json!({"status": "open"})),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(
        rate(&app, &rui, reopened, json!({"score": 5})).await.status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn a_rating_changes_within_7_days_idempotently_and_low_scores_escalate() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let staff = app.session_for(AGENT).await;
    let id = ticket_in(&app, &rui, &staff, "resolved").await;

    let first = rate(&app, &rui, id, json!({"score": 5, "comment": "Ótimo"})).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first.headers.get("idempotent-replayed").is_none());

    // The same body again answers the same rating, unchanged.
    let again = rate(&app, &rui, id, json!({"score": 5, "comment": "Ótimo"})).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");

    // Within 7 days, another rating replaces it; a 2 escalates the ticket.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let changed = rate(&app, &rui, id, json!({"score": 2})).await;
    assert_eq!(changed.status, StatusCode::CREATED, "{}", changed.body);
    assert_eq!(changed.body["score"], 2);
    assert_eq!(changed.body["comment"], Value::Null);
    assert_eq!(changed.body["created_at"], first.body["created_at"]);
    assert_eq!(
        changed.body["changeable_until"],
        first.body["changeable_until"]
    );
    assert_ne!(changed.body["updated_at"], first.body["updated_at"]);
    let t = ticket(&app, &staff, id).await;
    assert_eq!(t["escalated"], true);
    assert_eq!(t["rating"], changed.body);
    let escalated = call(
        &app,
        Method::GET,
        "/tickets?escalated=true&per_page=100",
        &staff,
        None,
    )
    .await;
    assert!(
        escalated.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id)
    );

    // Staff follow it up and clear the flag: a retry of the same rating does not raise it again.
    let p = call(
        &app,
        Method::PATCH,
        &format!("/tickets/{id}"),
        &staff,
        Some(json!({"escalated": false})),
    )
    .await;
    assert_eq!(p.body["escalated"], false);
    let retry = rate(&app, &rui, id, json!({"score": 2})).await;
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(retry.body, changed.body);
    assert_eq!(ticket(&app, &staff, id).await["escalated"], false);

    // Seven days after it was first given, the rating is final; the same body is still answered.
    portal_api::db::sql::query(
        "UPDATE ticket_ratings SET created_at = created_at - ? WHERE ticket_id = ?",
    )
    .bind(7 * DAY_MS + 60_000)
    .bind(id)
    .execute(&app.repo.pool)
    .await
    .unwrap();
    let late = rate(&app, &rui, id, json!({"score": 5})).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    let same = rate(&app, &rui, id, json!({"score": 2})).await;
    assert_eq!(same.status, StatusCode::CREATED);
    assert_eq!(same.body["score"], 2);
    assert_eq!(ticket(&app, &rui, id).await["rating"]["score"], 2);

    // Just inside the window, a change is still accepted.
    let other = ticket_in(&app, &rui, &staff, "resolved").await;
    assert_eq!(
        rate(&app, &rui, other, json!({"score": 3})).await.status,
        StatusCode::CREATED
    );
    portal_api::db::sql::query(
        "UPDATE ticket_ratings SET created_at = created_at - ? WHERE ticket_id = ?",
    )
    .bind(7 * DAY_MS - 60_000)
    .bind(other)
    .execute(&app.repo.pool)
    .await
    .unwrap();
    let a = rate(&app, &rui, other, json!({"score": 4})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(
        ticket(&app, &staff, other).await["escalated"],
        false,
        "a 3 or 4 does not escalate"
    );

    // A first rating of 1 escalates at once.
    let third = ticket_in(&app, &rui, &staff, "resolved").await;
    rate(
        &app,
        &rui,
        third,
        json!({"score": 1, "comment": "Ninguém resolveu."}),
    )
    .await;
    assert_eq!(ticket(&app, &staff, third).await["escalated"], true);
}

/// Stores a ticket with exact times (UTC) and, optionally, a rating.
#[allow(clippy::too_many_arguments)]
async fn fixture_ticket(
    app: &TestApp,
    assignee: &str,
    priority: Priority,
    created: &str,
    first_response: Option<&str>,
    resolved: Option<&str>,
    rating: Option<(u8, &str)>,
) -> i64 {
    let policy = portal_api::sla::Policy::default();
    let requester = app
        .repo
        .account_by_email(MEMBER_A)
        .await
        .unwrap()
        .unwrap()
        .user;
    let agent = app.user_id(assignee).await;
    let created_at = ms(created);
    let due = policy.due(portal_api::db::to_time(created_at), priority);
    let mut events = Vec::new();
    if let Some(at) = first_response {
        events.push(EventRecord {
            kind: EventKind::Message,
            author_id: agent,
            body_md: Some("Resposta"),
            body_html: Some("<p>Resposta</p>"),
            from: None,
            to: None,
            created_at: ms(at),
        });
    }
    let id = app
        .repo
        .import_ticket(
            &TicketRecord {
                subject: "Fixture",
                description_md: "Texto",
                description_html: "<p>Texto</p>",
                status: if resolved.is_some() {
                    TicketStatus::Resolved
                } else {
                    TicketStatus::Open
                },
                priority,
                channel: Channel::Portal,
                category: None,
                requester_id: requester.id,
                organization_id: requester.organization.unwrap().id,
                assignee_id: Some(agent),
                created_by: requester.id,
                search_id: None,
                created_at,
                updated_at: created_at,
                first_response_due_at: due.first_response.timestamp_millis(),
                first_responded_at: first_response.map(ms),
                resolution_due_at: due.resolution.timestamp_millis(),
                resolved_at: resolved.map(ms),
            },
            &events,
            rating.is_some_and(|(s, _)| s <= 2),
        )
        .await
        .unwrap();
    if let Some((score, at)) = rating {
        app.repo
            .import_rating(id, requester.id, score, None, ms(at))
            .await
            .unwrap();
    }
    id
}

/// A week of March 2020 (São Paulo business hours, 08:00–18:00 = 11:00Z–21:00Z), figures by hand.
#[tokio::test]
async fn kpis_of_a_hand_computed_week() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let week = "/reports/kpis?from=2020-03-02T03:00:00Z&to=2020-03-09T03:00:00Z";
    let before = call(&app, Method::GET, week, &staff, None).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    // Nothing happened that week.
    assert_eq!(before.body["tickets_opened"], 0);
    assert_eq!(
        before.body["first_response_minutes"],
        json!({"median": null, "p90": null})
    );
    assert_eq!(
        before.body["csat"],
        json!({"average": null, "responses": 0, "satisfied_percent": null})
    );
    assert_eq!(before.body["csat_trend"].as_array().unwrap().len(), 7);

    const CARLA: &str = AGENT;
    const DIEGO: &str = "diego@suporte.demo";
    // Monday 10:00 local: answered in 10 min, resolved in 120, rated 5.
    fixture_ticket(
        &app,
        CARLA,
        Priority::Normal,
        "2020-03-02T13:00:00Z",
        Some("2020-03-02T13:10:00Z"),
        Some("2020-03-02T15:00:00Z"),
        Some((5, "2020-03-02T16:00:00Z")),
    )
    .await;
    // Monday 11:00 local: answered in 30; resolved Tuesday 10:00 local = 420 + 120 = 540; rated 4.
    fixture_ticket(
        &app,
        CARLA,
        Priority::High,
        "2020-03-02T14:00:00Z",
        Some("2020-03-02T14:30:00Z"),
        Some("2020-03-03T13:00:00Z"),
        Some((4, "2020-03-03T14:00:00Z")),
    )
    .await;
    // Friday 17:00 local, answered Monday 09:00 local: 60 + 60 = 120 business minutes; resolved after the week.
    fixture_ticket(
        &app,
        DIEGO,
        Priority::Normal,
        "2020-03-06T20:00:00Z",
        Some("2020-03-09T12:00:00Z"),
        Some("2020-03-09T13:00:00Z"),
        None,
    )
    .await;
    // Urgent, answered in 120 (due in 60: a breach), resolved in 300, rated 1 (escalated).
    let escalated = fixture_ticket(
        &app,
        DIEGO,
        Priority::Urgent,
        "2020-03-04T13:00:00Z",
        Some("2020-03-04T15:00:00Z"),
        Some("2020-03-04T18:00:00Z"),
        Some((1, "2020-03-04T19:00:00Z")),
    )
    .await;
    // Never answered and still open: a breach, and open now.
    fixture_ticket(
        &app,
        DIEGO,
        Priority::Normal,
        "2020-03-05T12:00:00Z",
        None,
        None,
        None,
    )
    .await;

    let k = call(&app, Method::GET, week, &staff, None).await.body;
    assert_eq!(k["from"], "2020-03-02T03:00:00Z");
    assert_eq!(k["to"], "2020-03-09T03:00:00Z");
    assert_eq!(k["tickets_opened"], 5);
    assert_eq!(k["tickets_resolved"], 3);
    assert_eq!(k["open_now"], before.body["open_now"].as_i64().unwrap() + 1);
    assert_eq!(k["sla_breaches"], 2);
    // 10, 30, 120, 120: median (30 + 120) / 2 = 75; p90 rank ⌈3.6⌉ = 4 → 120 (a tie).
    assert_eq!(
        k["first_response_minutes"],
        json!({"median": 75.0, "p90": 120.0})
    );
    // 120, 540, 300: median 300; p90 rank ⌈2.7⌉ = 3 → 540.
    assert_eq!(
        k["resolution_minutes"],
        json!({"median": 300.0, "p90": 540.0})
    );
    // 5, 4, 1.
    assert_eq!(
        k["csat"],
        json!({"average": 3.33, "responses": 3, "satisfied_percent": 66.7})
    );
    assert_eq!(
        k["by_agent"],
        json!([
            {"agent": {"id": app.user_id(CARLA).await, "name": "Carla Mendes"}, "resolved": 2,
             "csat_average": 4.5, "csat_responses": 2, "first_response_median_minutes": 20.0},
            {"agent": {"id": app.user_id(DIEGO).await, "name": "Diego Ferreira"}, "resolved": 1,
             "csat_average": 1.0, "csat_responses": 1, "first_response_median_minutes": 120.0},
        ])
    );
    let trend: Vec<(String, Value, Value)> = k["csat_trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["average"].clone(),
                d["responses"].clone(),
            )
        })
        .collect();
    assert_eq!(trend.len(), 7);
    assert_eq!(trend[0], ("2020-03-02".into(), json!(5.0), json!(1)));
    assert_eq!(trend[1], ("2020-03-03".into(), json!(4.0), json!(1)));
    assert_eq!(trend[2], ("2020-03-04".into(), json!(1.0), json!(1)));
    assert_eq!(trend[3], ("2020-03-05".into(), Value::Null, json!(0)));
    assert_eq!(trend[6].0, "2020-03-08");
    let histogram: Vec<(Value, i64)> = k["first_response_histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["upper_minutes"].clone(), b["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        histogram,
        vec![
            (json!(15), 1),
            (json!(30), 1),
            (json!(60), 0),
            (json!(120), 2),
            (json!(240), 0),
            (json!(480), 0),
            (Value::Null, 0)
        ]
    );
    let listed = k["escalated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == escalated)
        .cloned()
        .expect("the escalated ticket is listed");
    assert_eq!(listed["score"], 1);
    assert_eq!(listed["requester"]["name"], "Rui Almeida");
    assert_eq!(listed["assignee"]["name"], "Diego Ferreira");
}

#[tokio::test]
async fn a_low_rating_given_now_reaches_the_report() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let staff = app.session_for(AGENT).await;
    let now = chrono::Utc::now();
    let period = format!(
        "/reports/kpis?from={}&to={}",
        (now - chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let empty = call(&app, Method::GET, &period, &staff, None).await.body;
    assert_eq!(
        empty["tickets_opened"], 0,
        "the demo history is all in the past"
    );

    let id = ticket_in(&app, &rui, &staff, "open").await;
    let reply = call(
        &app,
        Method::POST,
        &format!("/tickets/{id}/messages"),
        &staff,
        Some(json!({"body": "Resolvido.", "status": "resolved"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    rate(&app, &rui, id, json!({"score": 2, "comment": "Demorou."})).await;

    let k = call(&app, Method::GET, &period, &staff, None).await.body;
    assert_eq!(k["tickets_opened"], 1);
    assert_eq!(k["tickets_resolved"], 1);
    assert_eq!(
        k["csat"],
        json!({"average": 2.0, "responses": 1, "satisfied_percent": 0.0})
    );
    assert!(k["first_response_minutes"]["median"].is_number());
    assert_eq!(k["escalated"][0]["id"], id);
    assert_eq!(k["escalated"][0]["comment"], "Demorou.");
}

#[tokio::test]
async fn the_period_is_checked_and_the_report_is_for_staff() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    for (query, field) in [
        ("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to"),
        ("from=2026-11-01T00:00:00Z&to=2026-11-01T00:00:00Z", "to"),
        ("from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z", "from"),
        ("from=ontem", "from"),
        ("to=2026-13-01", "to"),
    ] {
        let a = call(
            &app,
            Method::GET,
            &format!("/reports/kpis?{query}"),
            &staff,
            None,
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(field_errors(&a), vec![field], "{query}");
    }
    // 366 days is the longest period; the default is the last 30 days.
    let a = call(
        &app,
        Method::GET,
        "/reports/kpis?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:00Z",
        &staff,
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["csat_trend"].as_array().unwrap().len(), 367);
    let a = call(&app, Method::GET, "/reports/kpis", &staff, None).await;
    assert_eq!(a.status, StatusCode::OK);
    let span = ms(a.body["to"].as_str().unwrap()) - ms(a.body["from"].as_str().unwrap());
    assert_eq!(span, 30 * DAY_MS);
    let client = app.session_for(MANAGER_A).await;
    assert_eq!(
        call(&app, Method::GET, "/reports/kpis", &client, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// The demo's history makes the dashboard meaningful on first start.
#[tokio::test]
async fn the_demo_history_fills_the_dashboard() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let k = call(&app, Method::GET, "/reports/kpis", &staff, None)
        .await
        .body;
    assert!(k["tickets_resolved"].as_i64().unwrap() >= 30, "{k}");
    assert!(k["csat"]["responses"].as_i64().unwrap() >= 25, "{k}");
    let average = k["csat"]["average"].as_f64().unwrap();
    assert!((3.5..=4.8).contains(&average), "{average}");
    assert!(k["first_response_minutes"]["median"].as_f64().unwrap() > 0.0);
    let agents: Vec<&str> = k["by_agent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(agents, vec!["Carla Mendes", "Diego Ferreira"]);
    assert!(
        k["by_agent"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["csat_responses"].as_i64().unwrap() > 5)
    );
    assert!(
        !k["escalated"].as_array().unwrap().is_empty(),
        "some unhappy clients"
    );
    let sixty = call(
        &app,
        Method::GET,
        &format!(
            "/reports/kpis?from={}",
            (chrono::Utc::now() - chrono::Duration::days(61)).format("%Y-%m-%dT%H:%M:%SZ")
        ),
        &staff,
        None,
    )
    .await
    .body;
    assert_eq!(
        sixty["tickets_resolved"].as_u64().unwrap() as usize,
        portal_api::demo::HISTORY_LEN + 3,
        "the whole history and the three resolved demo tickets"
    );
}
