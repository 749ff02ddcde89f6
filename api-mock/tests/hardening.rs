//! Issue 19, hostile input: sign-in limits that hold under concurrency and cannot lock the owner out,
//! caps on search expansion and tags, one error format, limits on votes and current passwords, no-store
//! on private answers, and slow clients cut off by a real server.

mod common;

use std::{
    io::{Read, Write},
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Method, Request, StatusCode},
};
use common::*;
use portal_api::{Config, demo};
use serde_json::{Value, json};

fn login_request(
    email: &str,
    password: &str,
    peer: Option<&str>,
    forwarded: Option<&str>,
) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header("content-type", "application/json");
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    let mut req = req
        .body(Body::from(
            json!({"email": email, "password": password}).to_string(),
        ))
        .unwrap();
    if let Some(p) = peer {
        let ip: IpAddr = p.parse().unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip, 40000)));
    }
    req
}

async fn login_from(app: &TestApp, email: &str, password: &str, peer: &str) -> StatusCode {
    app.send(login_request(email, password, Some(peer), None))
        .await
        .status
}

/// Sends all the requests at once and counts the answers by status.
async fn burst(
    app: &TestApp,
    requests: Vec<Request<Body>>,
) -> std::collections::BTreeMap<u16, usize> {
    let router = app.router.clone();
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|req| {
            let router = router.clone();
            tokio::spawn(async move {
                use tower::ServiceExt;
                router.oneshot(req).await.unwrap().status().as_u16()
            })
        })
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    for t in tasks {
        *counts.entry(t.await.unwrap()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_concurrent_wrong_passwords_get_five_401s_and_the_rest_429() {
    let app = TestApp::new().await;
    let requests = (0..60)
        .map(|_| login_request(MEMBER_A, "wrong-password-x", Some("198.51.100.9"), None))
        .collect();
    let started = Instant::now();
    let counts = burst(&app, requests).await;
    eprintln!(
        "60 concurrent wrong sign-ins: {counts:?} in {:?}",
        started.elapsed()
    );
    assert_eq!(counts.get(&401), Some(&5), "{counts:?}");
    assert_eq!(counts.get(&429), Some(&55), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_emails_at_once_from_one_address_stop_at_its_limit() {
    let app = TestApp::with_config(Config {
        login_limit_address: 10,
        ..Config::default()
    })
    .await;
    let requests = (0..30)
        .map(|i| {
            login_request(
                &format!("nobody{i}@example.com"),
                "wrong-password-x",
                Some("203.0.113.5"),
                None,
            )
        })
        .collect();
    let counts = burst(&app, requests).await;
    assert_eq!(counts.get(&401), Some(&10), "{counts:?}");
    assert_eq!(counts.get(&429), Some(&20), "{counts:?}");
}

#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_the_owner_out() {
    let app = TestApp::with_config(Config {
        login_limit_email_global: 8,
        ..Config::default()
    })
    .await;
    let owner = "192.0.2.10";
    assert_eq!(
        login_from(&app, MEMBER_A, demo::PASSWORD, owner).await,
        StatusCode::OK
    );
    // One attacker address: stopped after 5, the owner is not.
    for _ in 0..5 {
        assert_eq!(
            login_from(&app, MEMBER_A, "guess-guess-1", "198.51.100.1").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&app, MEMBER_A, demo::PASSWORD, "198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, MEMBER_A, demo::PASSWORD, owner).await,
        StatusCode::OK
    );
    // Many attacker addresses: the e-mail's global limit (8) stops new addresses, still not the owner's.
    for i in 2..5 {
        login_from(&app, MEMBER_A, "guess-guess-2", &format!("198.51.100.{i}")).await;
    }
    assert_eq!(
        login_from(&app, MEMBER_A, demo::PASSWORD, "198.51.100.77").await,
        StatusCode::TOO_MANY_REQUESTS,
        "an address never seen is under the global limit"
    );
    assert_eq!(
        login_from(&app, MEMBER_A, demo::PASSWORD, owner).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_address_at_its_limit_still_lets_its_known_owners_in() {
    let app = TestApp::with_config(Config {
        login_limit_address: 4,
        ..Config::default()
    })
    .await;
    let office = "192.0.2.50";
    assert_eq!(
        login_from(&app, MANAGER_A, demo::PASSWORD, office).await,
        StatusCode::OK
    );
    for i in 0..4 {
        login_from(&app, &format!("x{i}@example.com"), "guess-guess-3", office).await;
    }
    assert_eq!(
        login_from(&app, MEMBER_A, demo::PASSWORD, office).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, MANAGER_A, demo::PASSWORD, office).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_counts_are_in_the_database_and_survive_a_restart() {
    let pool = portal_api::db::open_in_memory().await.unwrap();
    let repo = portal_api::repo::Repo::new(pool.clone());
    demo::seed(&repo).await.unwrap();
    let first = portal_api::AppState::new(pool.clone(), Config::default())
        .await
        .unwrap();
    let app = TestApp {
        router: portal_api::app(first.clone()),
        repo: repo.clone(),
        state: first,
    };
    for _ in 0..5 {
        assert_eq!(
            login_from(&app, AGENT, "guess-guess-4", "198.51.100.20").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // A new server on the same database.
    let second = portal_api::AppState::new(pool, Config::default())
        .await
        .unwrap();
    let app = TestApp {
        router: portal_api::app(second.clone()),
        repo,
        state: second,
    };
    let a = app
        .send(login_request(
            AGENT,
            "guess-guess-4",
            Some("198.51.100.20"),
            None,
        ))
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 800 && retry <= 900, "{retry}");
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_the_trusted_proxy() {
    let app = TestApp::with_config(Config {
        login_limit_address: 3,
        trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
        ..Config::default()
    })
    .await;
    let via = |email: String, peer: &'static str, client: &'static str| {
        login_request(&email, "guess-guess-5", Some(peer), Some(client))
    };
    for i in 0..3 {
        app.send(via(format!("p{i}@example.com"), "10.0.0.1", "203.0.113.1"))
            .await;
    }
    assert_eq!(
        app.send(via("p9@example.com".into(), "10.0.0.1", "203.0.113.1"))
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.send(via("p9@example.com".into(), "10.0.0.1", "203.0.113.2"))
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy has its own count"
    );
    // From anyone else, the header is the client's word and is ignored: one address, one count.
    for i in 0..3 {
        app.send(via(
            format!("q{i}@example.com"),
            "198.51.100.30",
            "203.0.113.3",
        ))
        .await;
    }
    assert_eq!(
        app.send(via("q9@example.com".into(), "198.51.100.30", "203.0.113.4"))
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn put_synonyms(app: &TestApp, staff: &str, groups: Value) -> Answer {
    app.call(
        Method::PUT,
        "/api/v1/kb/synonyms",
        Some(staff),
        Some(groups),
    )
    .await
}

#[tokio::test]
async fn synonym_groups_are_capped_and_their_errors_say_what_is_counted() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let big: Vec<String> = (0..80_000).map(|i| format!("p{i}")).collect();
    let started = Instant::now();
    let a = put_synonyms(&app, &staff, json!([big])).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", a.body);
    assert_eq!(
        a.body["errors"][0]["message"],
        "Use no máximo 20 termos por grupo."
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let groups: Vec<Vec<String>> = (0..501)
        .map(|i| vec![format!("a{i}"), format!("b{i}")])
        .collect();
    let a = put_synonyms(&app, &staff, json!(groups)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        a.body["errors"][0]["message"],
        "Use no máximo 500 grupos de sinônimos."
    );
    // At the caps, a long query stays within the expansion budget and answers fast.
    let groups: Vec<Vec<String>> = (0..500)
        .map(|g| {
            (0..20)
                .map(|t| format!("termo{g}x{t} outra{t} mais{t}"))
                .collect()
        })
        .collect();
    let a = put_synonyms(&app, &staff, json!(groups)).await;
    assert_eq!(a.status, StatusCode::OK);
    let q: Vec<String> = (0..40)
        .map(|g| format!("termo{g}x0 outra0 mais0"))
        .collect();
    let q = q.join(" ");
    let q = &q[..q.len().min(300)];
    let started = Instant::now();
    let a = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/search?q={}", q.replace(' ', "%20")),
            None,
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert!(
        started.elapsed() < portal_api::search::SEARCH_BUDGET,
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_query_expands_into_at_most_the_clause_budget() {
    let index = portal_api::search::SearchIndex::new().unwrap();
    let groups: Vec<Vec<String>> = (0..50)
        .map(|g| {
            (0..20)
                .map(|t| format!("w{g} alt{t} more{t} words{t}"))
                .collect()
        })
        .collect();
    index.set_synonyms(&groups);
    let q: Vec<String> = (0..16).map(|g| format!("w{g}")).collect();
    let n = index.expansion(&q.join(" "), "pt-BR");
    assert!(n <= portal_api::search::MAX_QUERY_CLAUSES, "{n}");
    assert!(n > 16 * 4, "synonyms still apply within the budget: {n}");
}

#[tokio::test]
async fn eighty_thousand_tags_are_refused_at_once() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let tags: Vec<String> = (0..80_000).map(|i| format!("t{i}")).collect();
    let started = Instant::now();
    let a = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(&staff),
            Some(json!({"title": "Muitas etiquetas", "body_md": "corpo", "category_id": 1, "locale": "pt-BR",
                "tags": tags, "status": "draft"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", a.body);
    assert!(
        a.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "tags")
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

fn is_problem(a: &Answer) -> bool {
    a.headers.get("content-type").and_then(|v| v.to_str().ok()) == Some("application/problem+json")
}

#[tokio::test]
async fn bad_paths_queries_and_methods_answer_problem_json_in_the_users_language() {
    let app = TestApp::new().await;
    let cookie = app.session_for(MEMBER_A).await;
    for (method, path, status) in [
        (
            Method::GET,
            "/api/v1/kb/search?q=nota&limit=-1",
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/api/v1/tickets?page=-1",
            StatusCode::BAD_REQUEST,
        ),
        (Method::GET, "/api/v1/tickets/abc", StatusCode::BAD_REQUEST),
        (
            Method::GET,
            "/api/v1/kb/articles/%FF",
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::PATCH,
            "/api/v1/kb/search",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ] {
        for (lang, title) in [("pt-BR", None), ("en", None::<&str>)] {
            let _ = title;
            let mut req = Request::builder()
                .method(method.clone())
                .uri(path)
                .header("cookie", &cookie)
                .header("accept-language", lang);
            if method != Method::GET {
                req = req.header("content-type", "application/json");
            }
            let a = app.send(req.body(Body::empty()).unwrap()).await;
            assert_eq!(a.status, status, "{path}: {:?}", a.body);
            assert!(is_problem(&a), "{path}: {:?}", a.headers);
            assert_eq!(a.body["status"], status.as_u16());
            let title = a.body["title"].as_str().unwrap();
            let expected = match (status, lang) {
                (StatusCode::BAD_REQUEST, "en") => "Malformed request",
                (StatusCode::BAD_REQUEST, _) => "Pedido malformado",
                (_, "en") => "Method not allowed",
                _ => "Método não permitido",
            };
            assert_eq!(title, expected, "{path} {lang}");
        }
    }
    let a = app
        .call(Method::GET, "/api/v1/kb/search?q=nota&limit=-1", None, None)
        .await;
    assert!(
        a.body["detail"].as_str().unwrap().contains("«limit»"),
        "{:?}",
        a.body
    );
    // A JSON array where a ticket object belongs.
    let a = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/tickets")
                .header("cookie", &cookie)
                .header("content-type", "application/json")
                .header("idempotency-key", "array-body-1")
                .body(Body::from(r#"["Assunto", "Descrição longa o bastante"]"#))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{:?}", a.body);
    assert_eq!(a.body["code"], "not_an_object");
}

#[tokio::test]
async fn anonymous_votes_are_limited_per_address_and_article() {
    let app = TestApp::with_config(Config {
        vote_limit_address: 3,
        ..Config::default()
    })
    .await;
    let slug = app
        .call(Method::GET, "/api/v1/kb/articles?per_page=1", None, None)
        .await
        .body["items"][0]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let vote = |visitor: String| {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/kb/articles/{slug}/feedback"))
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"helpful": true, "visitor": visitor}).to_string(),
            ))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(SocketAddr::new(
            "198.51.100.40".parse().unwrap(),
            1,
        )));
        app.send(req)
    };
    for i in 0..3 {
        assert_eq!(vote(format!("v{i}")).await.status, StatusCode::NO_CONTENT);
    }
    let a = vote("v99".into()).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.headers.contains_key("retry-after"));
    let article = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{slug}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        article.body["helpful_yes"], 3,
        "the refused vote was not counted"
    );
}

#[tokio::test]
async fn wrong_current_passwords_are_limited_and_private_answers_are_not_stored() {
    let app = TestApp::new().await;
    let cookie = app.session_for(MEMBER_A).await;
    let change = |current: &'static str| {
        app.call(
            Method::POST,
            "/api/v1/me/password",
            Some(&cookie),
            Some(json!({"current": current, "new": "uma-senha-nova-e-longa"})),
        )
    };
    for _ in 0..5 {
        assert_eq!(
            change("not-the-password").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_eq!(
        change("not-the-password").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        change(demo::PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "counted before verifying"
    );

    let staff = app.session_for(AGENT).await;
    for (path, who) in [
        ("/api/v1/me", &cookie),
        ("/api/v1/auth/session", &cookie),
        ("/api/v1/reports/kpis", &staff),
    ] {
        let a = app.call(Method::GET, path, Some(who), None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.headers["cache-control"], "no-store", "{path}");
    }
}

/// A free loopback port (bound, then released for the server).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_real_server_closes_a_connection_whose_headers_never_finish() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_portal-api"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--header-timeout-secs",
            "2",
            "--db",
        ])
        .arg(dir.path().join("p.db"))
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let connect = || std::net::TcpStream::connect(("127.0.0.1", port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while connect().is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut slow = connect().unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let started = Instant::now();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut buf = [0u8; 512];
    // Closed (0 bytes, or an error answer then the close) — not left open until our 20 s give up.
    let mut got = Vec::new();
    loop {
        match slow.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("still open after {:?}: {e}", started.elapsed()),
        }
    }
    let waited = started.elapsed();
    // Meanwhile a normal request is served.
    let mut ok = connect().unwrap();
    ok.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    ok.read_to_string(&mut answer).unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    eprintln!(
        "slow-header connection closed after {waited:?} ({} bytes answered)",
        got.len()
    );
}

// What schemathesis checks (`cargo xtask schemathesis`): the OpenAPI document states the server's own
// bounds, and the server takes what the document allows.

/// A raw JSON body, as a client that writes numbers its own way would send it.
async fn send_raw(app: &TestApp, method: Method, path: &str, cookie: &str, body: &str) -> Answer {
    app.send(
        Request::builder()
            .method(method)
            .uri(path)
            .header("cookie", cookie)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn whole_numbers_written_as_floats_are_integers_and_huge_ones_are_refused() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let agent = app.user_id(AGENT).await;
    let ticket = app
        .call(
            Method::GET,
            "/api/v1/tickets?per_page=1",
            Some(&staff),
            None,
        )
        .await
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/tickets/{ticket}");
    let a = send_raw(
        &app,
        Method::PATCH,
        &path,
        &staff,
        &format!(r#"{{"assignee_id": {agent}.0}}"#),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["assignee"]["id"], agent);
    let a = send_raw(
        &app,
        Method::PATCH,
        &path,
        &staff,
        r#"{"assignee_id": 4.5}"#,
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{:?}", a.body);
    assert!(is_problem(&a));

    // Past 2^53 a float is no longer exact: -9223372036854775809 would round to i64::MIN.
    let category = |position: &str| {
        format!(r#"{{"name": "Fiscal {position}", "locale": "pt-BR", "position": {position}}}"#)
    };
    let a = send_raw(
        &app,
        Method::POST,
        "/api/v1/kb/categories",
        &staff,
        &category("-9223372036854775809"),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{:?}", a.body);
    let a = send_raw(
        &app,
        Method::POST,
        "/api/v1/kb/categories",
        &staff,
        &category("3e0"),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(a.body["position"], 3);
}

#[tokio::test]
async fn a_visitor_id_is_counted_in_characters_as_the_document_says() {
    let app = TestApp::new().await;
    let slug = app
        .call(Method::GET, "/api/v1/kb/articles?per_page=1", None, None)
        .await
        .body["items"][0]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/kb/articles/{slug}/feedback");
    // 64 characters of two bytes each: 128 bytes, within the 64 characters the document allows.
    let a = app
        .call(
            Method::POST,
            &path,
            None,
            Some(json!({"helpful": true, "visitor": "é".repeat(64)})),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{:?}", a.body);
    let a = app
        .call(
            Method::POST,
            &path,
            None,
            Some(json!({"helpful": true, "visitor": "é".repeat(65)})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", a.body);
    assert_eq!(a.body["errors"][0]["field"], "visitor");
}

#[tokio::test]
async fn filters_are_checked_even_where_they_do_not_apply_and_empty_ones_are_absent() {
    let app = TestApp::new().await;
    let client = app.session_for(MANAGER_A).await;
    let staff = app.session_for(AGENT).await;
    for (path, cookie, field) in [
        // Only staff lists by helpfulness, and only with `status`: still a wrong value is a 422.
        (
            "/api/v1/kb/articles?helpfulness=medium",
            None,
            "helpfulness",
        ),
        // Staff's queue filters are ignored for a client, but not unchecked.
        (
            "/api/v1/tickets?assignee=someone",
            Some(&client),
            "assignee",
        ),
        (
            "/api/v1/tickets?escalated=maybe",
            Some(&client),
            "escalated",
        ),
        ("/api/v1/tickets?since=yesterday", Some(&client), "since"),
        ("/api/v1/reports/kpis?to=tomorrow", Some(&staff), "to"),
    ] {
        let a = app
            .call(Method::GET, path, cookie.map(String::as_str), None)
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            a.body
        );
        assert!(is_problem(&a), "{path}");
        assert_eq!(a.body["errors"][0]["field"], field, "{path}");
    }
    let all = app
        .call(Method::GET, "/api/v1/tickets", Some(&client), None)
        .await;
    for path in [
        "/api/v1/tickets?assignee=me",
        "/api/v1/tickets?since=&status=&escalated=true",
    ] {
        let a = app.call(Method::GET, path, Some(&client), None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {:?}", a.body);
        assert_eq!(
            a.body["total"], all.body["total"],
            "{path} filtered a client's list"
        );
    }
    let a = app
        .call(
            Method::GET,
            "/api/v1/reports/kpis?from=&to=",
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
}

#[test]
fn the_openapi_document_states_the_servers_own_bounds() {
    use portal_api::policy;
    use portal_api::routes::{accounts, announcements, kb, tickets};
    let (_, doc) = portal_api::openapi::split();
    let doc = serde_json::to_value(&doc).unwrap();
    let schemas = &doc["components"]["schemas"];
    let mut wrong = Vec::new();
    let mut expect = |what: String, value: &Value, bound: usize| {
        if value.as_u64() != Some(bound as u64) {
            wrong.push(format!(
                "{what}: {value} in the document, {bound} in the server"
            ));
        }
    };
    for (schema, field, max) in [
        ("NewTicket", "subject", policy::SUBJECT_MAX),
        ("NewTicket", "description", policy::BODY_MAX),
        ("NewTicket", "category", policy::CATEGORY_MAX),
        ("NewMessage", "body", policy::BODY_MAX),
        ("MessagePreviewRequest", "body_md", policy::BODY_MAX),
        ("NewRating", "comment", policy::RATING_COMMENT_MAX),
        ("NewArticle", "title", kb::curation::TITLE_MAX),
        ("NewArticle", "body_md", kb::curation::BODY_MAX),
        ("ArticleChange", "title", kb::curation::TITLE_MAX),
        ("ArticleChange", "body_md", kb::curation::BODY_MAX),
        ("PreviewRequest", "body_md", kb::curation::BODY_MAX),
        ("NewCategory", "slug", kb::curation::SLUG_MAX),
        ("NewCategory", "name", kb::curation::CATEGORY_NAME_MAX),
        (
            "NewCategory",
            "description",
            kb::curation::CATEGORY_DESCRIPTION_MAX,
        ),
        ("NewFeedback", "comment", kb::COMMENT_MAX),
        ("NewFeedback", "visitor", 64),
        ("NewAnnouncement", "title", announcements::TITLE_MAX),
        ("NewAnnouncement", "body_md", announcements::BODY_MAX),
        ("AnnouncementText", "title", announcements::TITLE_MAX),
        ("AnnouncementText", "body_md", announcements::BODY_MAX),
        ("NewOrganization", "name", accounts::NAME_MAX),
        ("NewUser", "name", accounts::NAME_MAX),
        ("UserChange", "name", accounts::NAME_MAX),
        ("NewUser", "password", accounts::PASSWORD_MAX),
        ("PasswordChange", "new", accounts::PASSWORD_MAX),
    ] {
        expect(
            format!("{schema}.{field} maxLength"),
            &schemas[schema]["properties"][field]["maxLength"],
            max,
        );
    }
    expect(
        "PasswordChange.new minLength".into(),
        &schemas["PasswordChange"]["properties"]["new"]["minLength"],
        accounts::PASSWORD_MIN,
    );
    for article in ["NewArticle", "ArticleChange"] {
        expect(
            format!("{article}.tags maxItems"),
            &schemas[article]["properties"]["tags"]["maxItems"],
            kb::curation::TAGS_MAX,
        );
    }
    expect(
        "TagText maxLength".into(),
        &schemas["TagText"]["maxLength"],
        kb::curation::TAG_MAX,
    );
    let synonyms = &schemas["SynonymGroups"];
    expect(
        "synonym groups".into(),
        &synonyms["maxItems"],
        kb::SYNONYM_GROUPS_MAX,
    );
    expect(
        "terms per group".into(),
        &synonyms["items"]["maxItems"],
        portal_api::search::SYNONYM_TERMS_MAX,
    );
    expect(
        "synonym term".into(),
        &synonyms["items"]["items"]["maxLength"],
        kb::SYNONYM_TERM_CHARS,
    );
    let parameter = |path: &str, method: &str, name: &str| -> Value {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} has no {name}"))["schema"]
            .clone()
    };
    expect(
        "GET /kb/analytics days".into(),
        &parameter("/kb/analytics", "get", "days")["maximum"],
        kb::curation::ANALYTICS_DAYS_MAX as usize,
    );
    expect(
        "GET /tickets q".into(),
        &parameter("/tickets", "get", "q")["maxLength"],
        tickets::QUERY_MAX,
    );
    expect(
        "GET /kb/search q".into(),
        &parameter("/kb/search", "get", "q")["maxLength"],
        portal_api::search::MAX_QUERY_CHARS,
    );
    for path in ["/tickets", "/tickets/{id}/messages"] {
        expect(
            format!("POST {path} Idempotency-Key"),
            &parameter(path, "post", "Idempotency-Key")["maxLength"],
            tickets::KEY_MAX,
        );
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Every reference resolves (a tool skips what it cannot resolve, and says so only in a warning).
    let text = doc.to_string();
    let missing: Vec<&str> = text
        .split("\"#/components/schemas/")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .filter(|name| !schemas[*name].is_object())
        .collect();
    assert!(missing.is_empty(), "unresolvable: {missing:?}");
    // A locale is one of the server's.
    let locales: Vec<&str> = schemas["LocaleTag"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(locales, portal_api::LOCALES);
}
