//! The API's rules, in-process: errors as problems, sign-in and sessions, announcements.

mod common;

use std::time::Duration;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use common::*;
use portal_api::{Config, db};
use serde_json::json;

fn is_problem(a: &Answer) -> bool {
    a.headers.get("content-type").and_then(|v| v.to_str().ok()) == Some("application/problem+json")
}

#[tokio::test]
async fn health_answers_ok() {
    let app = TestApp::new().await;
    let a = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    match app.repo.pool.backend() {
        db::Backend::Sqlite => assert_eq!(a.body, json!({"status": "ok"})),
        // PostgreSQL's WAL archiving, off on the test server (`tests/instances.rs` turns it on).
        db::Backend::Postgres => {
            assert_eq!(a.body["status"], "ok");
            assert_eq!(a.body["wal_archiver"]["mode"], "off", "{}", a.body);
            assert_eq!(a.body["wal_archiver"]["stale"], true, "{}", a.body);
        }
    }
}

#[tokio::test]
async fn openapi_document_lists_the_contract_paths() {
    let app = TestApp::new().await;
    let a = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    for path in [
        "/auth/login",
        "/me",
        "/announcements",
        "/announcements/{id}",
        "/users/{id}",
    ] {
        assert!(a.body["paths"][path].is_object(), "missing {path}");
    }
    assert!(a.body["components"]["schemas"]["Problem"].is_object());
}

#[test]
fn openapi_parameters_are_where_the_router_reads_them() {
    // A path parameter is in the path's template; anything else (filters, pages) is in the query string.
    let (_, doc) = portal_api::openapi::split();
    let doc = serde_json::to_value(&doc).unwrap();
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                let in_template = path.contains(&format!("{{{name}}}"));
                if (p["in"] == "path") != in_template {
                    wrong.push(format!("{method} {path}: {name} in {}", p["in"]));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test]
async fn unknown_api_paths_are_problem_404s() {
    let app = TestApp::new().await;
    for path in ["/api/v1/nothing", "/api/v2/tickets", "/api"] {
        let a = app.call(Method::GET, path, None, None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(is_problem(&a), "{path}");
        assert_eq!(a.body["status"], 404);
    }
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_problems_in_the_users_language() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;

    // Not JSON: 415, even without a body.
    let req = Request::post("/api/v1/announcements")
        .header("cookie", &staff)
        .header("content-type", "text/plain")
        .body(Body::from("hello"))
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(is_problem(&a));
    let a = app
        .send(
            Request::post("/api/v1/auth/logout")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Broken JSON and unknown fields: 400.
    let req = Request::post("/api/v1/announcements")
        .header("cookie", &staff)
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::BAD_REQUEST);
    let a = app
        .call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(json!({"kind": "info", "title": "t", "body_md": "b", "color": "red"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    // Over 1 MiB: 413.
    let huge = "x".repeat(1024 * 1024 + 10);
    let a = app
        .call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(json!({"kind": "info", "title": "t", "body_md": huge})),
        )
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&a));

    // Invalid fields: 422 with every field's message, in Portuguese by default and in English on request.
    let bad = json!({"kind": "info", "title": "  ", "body_md": "", "locale": "fr"});
    let a = app
        .call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(bad.clone()),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = a.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "body_md", "locale"]);
    assert_eq!(a.body["errors"][0]["message"], "Preencha este campo.");
    let req = Request::post("/api/v1/announcements")
        .header("cookie", &staff)
        .header("content-type", "application/json")
        .header("accept-language", "en-US,en;q=0.9")
        .body(Body::from(bad.to_string()))
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.body["errors"][0]["message"], "This field is required.");
    assert_eq!(a.body["title"], "Some fields need correcting");

    // A missing field is a field error too.
    let a = app
        .call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(json!({"kind": "info", "body_md": "b"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.body["errors"][0]["field"], "title");
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_refuses_alike() {
    let app = TestApp::new().await;
    let ok = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ANA@mercadobompreco.demo", "password": "demo-portal-2026"})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["role"], "client");
    assert_eq!(ok.body["org_role"], "manager");
    assert_eq!(ok.body["organization"]["name"], "Mercado Bom Preço");
    let cookie = ok.headers.get("set-cookie").unwrap().to_str().unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag");

    let wrong_password = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": MEMBER_A, "password": "wrong-password"})),
        )
        .await;
    let unknown_email = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "nobody@nowhere.demo", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong_password.body, unknown_email.body,
        "the same answer for both"
    );

    // Behind an HTTPS proxy the cookie is Secure.
    let req = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .header("x-forwarded-proto", "https")
        .body(Body::from(
            json!({"email": AGENT, "password": "demo-portal-2026"}).to_string(),
        ))
        .unwrap();
    let a = app.send(req).await;
    assert!(
        a.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

#[tokio::test]
async fn the_stored_session_is_a_hash_not_the_token() {
    let app = TestApp::new().await;
    let cookie = app.login(AGENT).await;
    let token = cookie.split_once('=').unwrap().1;
    let stored: Vec<Vec<u8>> = portal_api::db::sql::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&app.repo.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token.as_bytes());
    assert_eq!(stored[0], portal_api::auth::token_hash(token));
}

#[tokio::test]
async fn repeated_failures_get_429_with_retry_after() {
    let app = TestApp::with_config(Config {
        login_limit_email: 3,
        ..Config::default()
    })
    .await;
    let attempt = || {
        app.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": MEMBER_A, "password": "nope-nope-nope"})),
        )
    };
    for _ in 0..3 {
        assert_eq!(attempt().await.status, StatusCode::UNAUTHORIZED);
    }
    let a = attempt().await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = a
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    // Even the right password waits: the brake is on the e-mail.
    let right = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": MEMBER_A, "password": "demo-portal-2026"})),
        )
        .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    // Another e-mail is not blocked.
    app.login(AGENT).await;
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let app = TestApp::new().await;
    let cookie = app.login(MEMBER_A).await;
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&cookie), None)
            .await
            .status,
        StatusCode::OK
    );
    let out = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&cookie),
            Some(json!({})),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&cookie), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn idle_and_expired_sessions_end() {
    let app = TestApp::with_config(Config {
        session_idle: Duration::from_millis(50),
        ..Config::default()
    })
    .await;
    let cookie = app.login(MEMBER_A).await;
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&cookie), None)
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&cookie), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let app = TestApp::with_config(Config {
        session_lifetime: Duration::from_millis(30),
        ..Config::default()
    })
    .await;
    let cookie = app.login(MEMBER_A).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&cookie), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once() {
    let app = TestApp::new().await;
    let rui = app.login(MEMBER_A).await;
    let admin = app.session_for(ADMIN).await;
    let id = app.user_id(MEMBER_A).await;
    let a = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["disabled"], true);
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&rui), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let again = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": MEMBER_A, "password": "demo-portal-2026"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_only() {
    let app = TestApp::new().await;
    let here = app.login(MEMBER_A).await;
    let elsewhere = app.login(MEMBER_A).await;
    let short = app
        .call(
            Method::POST,
            "/api/v1/me/password",
            Some(&here),
            Some(json!({"current": "demo-portal-2026", "new": "curta"})),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.body["errors"][0]["field"], "new");
    let a = app
        .call(
            Method::POST,
            "/api/v1/me/password",
            Some(&here),
            Some(json!({"current": "demo-portal-2026", "new": "nova-senha-segura"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&here), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&elsewhere), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let new = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": MEMBER_A, "password": "nova-senha-segura"})),
        )
        .await;
    assert_eq!(new.status, StatusCode::OK);
}

#[tokio::test]
async fn admins_create_organizations_and_users_with_validation() {
    let app = TestApp::new().await;
    let admin = app.session_for(ADMIN).await;
    let org = app
        .call(
            Method::POST,
            "/api/v1/organizations",
            Some(&admin),
            Some(json!({"name": "Farmácia Central"})),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED);
    let dup = app
        .call(
            Method::POST,
            "/api/v1/organizations",
            Some(&admin),
            Some(json!({"name": "farmácia central"})),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    let org_id = org.body["id"].as_i64().unwrap();
    let user = app
        .call(Method::POST, "/api/v1/users", Some(&admin), Some(json!({
            "email": "joana@farmacia.demo", "name": "Joana", "role": "client", "organization_id": org_id,
            "org_role": "manager", "password": "senha-da-joana-1"
        })))
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{}", user.body);
    assert_eq!(user.body["organization"]["name"], "Farmácia Central");
    let bad = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(json!({
                "email": "not-an-email", "name": "", "role": "client", "password": "short"
            })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "name", "password", "organization_id"]);
    let listed = app
        .call(
            Method::GET,
            &format!("/api/v1/users?organization_id={org_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let me = app.user_id(ADMIN).await;
    let self_disable = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{me}"),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(self_disable.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn announcements_are_sanitized_windowed_and_filtered_by_locale() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let post = |body: serde_json::Value| {
        app.call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(body),
        )
    };
    let a = post(json!({"kind": "incident", "title": "SEFAZ fora", "body_md": "**Atenção** <script>alert(1)</script>"})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let html = a.body["body_html"].as_str().unwrap();
    assert!(
        html.contains("<strong>Atenção</strong>") && !html.contains("<script"),
        "{html}"
    );
    post(json!({"kind": "info", "title": "Only English", "body_md": "x", "locale": "en"})).await;
    post(json!({"kind": "maintenance", "title": "Futuro", "body_md": "x", "starts_at": "2099-01-01T00:00:00Z"})).await;
    let past = post(json!({"kind": "info", "title": "Passado", "body_md": "x", "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2020-01-02T00:00:00Z"})).await;
    assert_eq!(past.status, StatusCode::CREATED);
    let backwards = post(json!({"kind": "info", "title": "x", "body_md": "x", "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"})).await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(backwards.body["errors"][0]["field"], "ends_at");

    let titles = |a: &Answer| {
        a.body
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["title"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let pt = app
        .call(
            Method::GET,
            "/api/v1/announcements?locale=pt-BR",
            None,
            None,
        )
        .await;
    assert_eq!(titles(&pt), ["SEFAZ fora"]);
    let en = app
        .call(Method::GET, "/api/v1/announcements?locale=en", None, None)
        .await;
    assert_eq!(titles(&en), ["SEFAZ fora", "Only English"]);

    let id = a.body["id"].as_i64().unwrap();
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/announcements/{id}"),
            Some(&staff),
            Some(json!({}))
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let pt = app
        .call(
            Method::GET,
            "/api/v1/announcements?locale=pt-BR",
            None,
            None,
        )
        .await;
    assert!(titles(&pt).is_empty(), "ended");
    let all = app
        .call(Method::GET, "/api/v1/announcements/all", Some(&staff), None)
        .await;
    assert_eq!(all.body.as_array().unwrap().len(), 4, "the record stays");
    assert_eq!(
        app.call(
            Method::DELETE,
            "/api/v1/announcements/9999",
            Some(&staff),
            Some(json!({}))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::new().await;
    for path in ["/healthz", "/api/v1/announcements", "/api/v1/nothing"] {
        let a = app.call(Method::GET, path, None, None).await;
        let csp = a
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(a.headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(a.headers.get("referrer-policy").unwrap(), "same-origin");
    }
}
