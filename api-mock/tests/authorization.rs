//! The authorization table: every route of the API × every kind of caller → the expected status.
//! A route without a row fails the test, so no future endpoint can skip it.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};

/// Callers, in the order of the expected statuses of each row.
const ACTORS: [Option<&str>; 6] = [
    None,
    Some(MEMBER_A),
    Some(MANAGER_A),
    Some(CLIENT_B),
    Some(AGENT),
    Some(ADMIN),
];

struct Row {
    method: Method,
    /// The route as the router knows it (`{id}` for parameters).
    route: &'static str,
    /// The concrete request path.
    path: String,
    body: Option<Value>,
    /// anonymous, member of org A, manager of org A, client of org B, agent, admin.
    expect: [u16; 6],
}

fn row(
    method: Method,
    route: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    expect: [u16; 6],
) -> Row {
    Row {
        method,
        route,
        path: path.into(),
        body,
        expect,
    }
}

#[tokio::test]
async fn every_route_has_a_row_and_answers_as_expected() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let announcement = app
        .call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(json!({"kind": "info", "title": "Aviso", "body_md": "Texto"})),
        )
        .await;
    assert_eq!(announcement.status, StatusCode::CREATED);
    let ann_id = announcement.body["id"].as_i64().unwrap();
    let rui = app.user_id(MEMBER_A).await;
    let ticket = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            Some(&app.session_for(MEMBER_A).await),
            Some(json!({"subject": "PDV travado", "description": "O caixa 1 não abre."})),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED);
    let ticket_id = ticket.body["id"].as_i64().unwrap();
    // A resolved ticket of the member, to rate.
    let rated = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            Some(&app.session_for(MEMBER_A).await),
            Some(json!({"subject": "Impressora fiscal", "description": "Não imprime."})),
        )
        .await;
    let rated_id = rated.body["id"].as_i64().unwrap();
    let resolved = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tickets/{rated_id}"),
            Some(&staff),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK);
    let ann_body = || {
        Some(json!({"kind": "incident", "title": "Fora do ar", "body_md": "Estamos verificando."}))
    };
    // Knowledge base curation: a category and two articles to edit and to archive.
    let kb_category = app
        .call(
            Method::GET,
            "/api/v1/kb/categories?locale=pt-BR",
            None,
            None,
        )
        .await
        .body[0]["id"]
        .as_i64()
        .unwrap();
    let kb_article = |title: &'static str| {
        json!({"title": title, "body_md": "Texto do artigo.", "category_id": kb_category,
            "locale": "pt-BR", "tags": [], "status": "published"})
    };
    let mut kb_ids = Vec::new();
    for title in ["Artigo para editar", "Artigo para arquivar"] {
        let a = app
            .call(
                Method::POST,
                "/api/v1/kb/articles",
                Some(&staff),
                Some(kb_article(title)),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        kb_ids.push(a.body["id"].as_i64().unwrap());
    }
    let (kb_edit, kb_archive) = (kb_ids[0], kb_ids[1]);
    let mut kb_change = kb_article("Artigo editado");
    kb_change["revision"] = json!(1);
    // Attachments: one on the member's ticket (its rules decide who downloads it), and an admin's
    // upload not sent yet (only its uploader may remove it).
    let file_on_ticket = upload(&app, MEMBER_A).await;
    let attached = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            Some(&app.session_for(MEMBER_A).await),
            Some(json!({"subject": "Tela do erro", "description": "Segue a tela.", "attachments": [file_on_ticket]})),
        )
        .await;
    assert_eq!(attached.status, StatusCode::CREATED, "{}", attached.body);
    let admins_upload = upload(&app, ADMIN).await;
    // An invited client, to invite again (agents may, for clients).
    let org_a = app
        .repo
        .account_by_email(MEMBER_A)
        .await
        .unwrap()
        .unwrap()
        .user
        .organization
        .unwrap()
        .id;
    let invited = app
        .call(
            Method::POST,
            "/api/v1/users/invitations",
            Some(&app.session_for(ADMIN).await),
            Some(
                json!({"email": "convidado@mercadobompreco.demo", "name": "Convidado",
                "role": "client", "organization_id": org_a}),
            ),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    let invited = invited.body["id"].as_i64().unwrap();

    let rows = vec![
        row(
            Method::POST,
            "/auth/login",
            "/auth/login",
            Some(json!({"email": MEMBER_A, "password": portal_api::demo::PASSWORD})),
            [200; 6],
        ),
        row(
            Method::POST,
            "/auth/logout",
            "/auth/logout",
            Some(json!({})),
            [204; 6],
        ),
        row(
            Method::GET,
            "/auth/session",
            "/auth/session",
            None,
            [200; 6],
        ),
        // A link that was never sent: refused alike for everyone (a real one is tested in mail.rs).
        row(
            Method::POST,
            "/auth/link",
            "/auth/link",
            Some(json!({"token": "not-a-link-token"})),
            [422; 6],
        ),
        // The same answer for everyone, whether or not the address has an account.
        row(
            Method::POST,
            "/auth/forgot-password",
            "/auth/forgot-password",
            Some(json!({"email": "{unique}@exemplo.com.br"})),
            [202; 6],
        ),
        row(
            Method::POST,
            "/auth/sign-in-link",
            "/auth/sign-in-link",
            Some(json!({"email": "{unique}@exemplo.com.br"})),
            [202; 6],
        ),
        row(
            Method::POST,
            "/auth/reset-password",
            "/auth/reset-password",
            Some(json!({"token": "not-a-reset-token", "password": "uma-senha-nova-longa"})),
            [422; 6],
        ),
        row(
            Method::GET,
            "/me",
            "/me",
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        row(
            Method::POST,
            "/me/password",
            "/me/password",
            Some(json!({"current": "not-the-password", "new": "uma-senha-nova-longa"})),
            [401, 422, 422, 422, 422, 422],
        ),
        row(
            Method::GET,
            "/me/notifications",
            "/me/notifications",
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        row(
            Method::PUT,
            "/me/notifications",
            "/me/notifications",
            Some(json!({"own_tickets": true})),
            [401, 200, 200, 200, 200, 200],
        ),
        row(
            Method::GET,
            "/organizations",
            "/organizations",
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::POST,
            "/organizations",
            "/organizations",
            Some(json!({"name": "{unique}"})),
            [401, 403, 403, 403, 403, 201],
        ),
        row(
            Method::GET,
            "/users",
            "/users",
            None,
            [401, 403, 403, 403, 403, 200],
        ),
        row(
            Method::POST,
            "/users",
            "/users",
            Some(
                json!({"email": "{unique}@exemplo.com.br", "name": "Novo", "role": "agent", "password": "senha-bem-longa-1"}),
            ),
            [401, 403, 403, 403, 403, 201],
        ),
        row(
            Method::PATCH,
            "/users/{id}",
            format!("/users/{rui}"),
            Some(json!({"name": "Rui Almeida"})),
            [401, 403, 403, 403, 403, 200],
        ),
        row(
            Method::POST,
            "/users/invitations",
            "/users/invitations",
            Some(
                json!({"email": "{unique}@mercadobompreco.demo", "name": "Novo", "role": "client", "organization_id": org_a}),
            ),
            [401, 403, 403, 403, 201, 201],
        ),
        row(
            Method::POST,
            "/users/{id}/invitation",
            format!("/users/{invited}/invitation"),
            Some(json!({})),
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/inbound/review",
            "/inbound/review",
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        // No such entry: staff are told so; clients never learn whether it exists.
        row(
            Method::POST,
            "/inbound/review/{id}/accept",
            "/inbound/review/999999/accept",
            Some(json!({"organization_id": 1})),
            [401, 403, 403, 403, 404, 404],
        ),
        row(
            Method::POST,
            "/inbound/review/{id}/discard",
            "/inbound/review/999999/discard",
            Some(json!({})),
            [401, 403, 403, 403, 404, 404],
        ),
        row(
            Method::GET,
            "/admin/backups",
            "/admin/backups",
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/announcements",
            "/announcements",
            None,
            [200; 6],
        ),
        row(
            Method::POST,
            "/announcements",
            "/announcements",
            ann_body(),
            [401, 403, 403, 403, 201, 201],
        ),
        row(
            Method::GET,
            "/announcements/all",
            "/announcements/all",
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::PUT,
            "/announcements/{id}",
            format!("/announcements/{ann_id}"),
            ann_body(),
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::DELETE,
            "/announcements/{id}",
            format!("/announcements/{ann_id}"),
            Some(json!({})),
            [401, 403, 403, 403, 204, 204],
        ),
        row(
            Method::GET,
            "/kb/categories",
            "/kb/categories?locale=pt-BR",
            None,
            [200; 6],
        ),
        row(
            Method::GET,
            "/kb/articles",
            "/kb/articles?sort=views",
            None,
            [200; 6],
        ),
        row(
            Method::GET,
            "/kb/articles/{article}",
            "/kb/articles/como-fazer-uma-sangria-no-caixa",
            None,
            [200; 6],
        ),
        row(
            Method::GET,
            "/kb/search",
            "/kb/search?q=sangria",
            None,
            [200; 6],
        ),
        row(
            Method::POST,
            "/kb/searches",
            "/kb/searches",
            Some(json!({"q": "sangria", "visitor": "{unique}"})),
            [200; 6],
        ),
        row(
            Method::POST,
            "/kb/articles/{slug}/feedback",
            "/kb/articles/como-fazer-uma-sangria-no-caixa/feedback",
            Some(json!({"helpful": true, "visitor": "{unique}"})),
            [204; 6],
        ),
        row(
            Method::GET,
            "/kb/synonyms",
            "/kb/synonyms",
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::PUT,
            "/kb/synonyms",
            "/kb/synonyms",
            Some(json!([["pdv", "caixa"]])),
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::POST,
            "/kb/articles",
            "/kb/articles",
            Some(kb_article("Artigo novo {unique}")),
            [401, 403, 403, 403, 201, 201],
        ),
        // The admin edits from the revision the agent's edit just replaced: 409, never an overwrite.
        row(
            Method::PUT,
            "/kb/articles/{article}",
            format!("/kb/articles/{kb_edit}"),
            Some(kb_change),
            [401, 403, 403, 403, 200, 409],
        ),
        row(
            Method::DELETE,
            "/kb/articles/{article}",
            format!("/kb/articles/{kb_archive}"),
            Some(json!({})),
            [401, 403, 403, 403, 204, 204],
        ),
        row(
            Method::GET,
            "/kb/articles/{id}/revisions",
            format!("/kb/articles/{kb_edit}/revisions"),
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/kb/articles/{id}/revisions/{revision}",
            format!("/kb/articles/{kb_edit}/revisions/1"),
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/kb/articles/{id}/diff",
            format!("/kb/articles/{kb_edit}/diff?from=1&to=1"),
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::POST,
            "/kb/articles/{id}/revisions/{revision}/restore",
            format!("/kb/articles/{kb_edit}/revisions/1/restore"),
            Some(json!({})),
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::POST,
            "/kb/preview",
            "/kb/preview",
            Some(json!({"body_md": "**negrito**"})),
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::POST,
            "/kb/categories",
            "/kb/categories",
            Some(
                json!({"name": "Categoria {unique}", "description": "", "locale": "pt-BR", "position": 20}),
            ),
            [401, 403, 403, 403, 201, 201],
        ),
        row(
            Method::PUT,
            "/kb/categories/{id}",
            format!("/kb/categories/{kb_category}"),
            Some(
                json!({"name": "Notas fiscais (NF-e e NFC-e)", "description": "Emissão e rejeições.", "locale": "pt-BR", "position": 1}),
            ),
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/kb/analytics",
            "/kb/analytics?days=30",
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/tickets",
            "/tickets?status=active",
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        row(
            Method::POST,
            "/tickets",
            "/tickets",
            // Staff must name the requester and the channel: 422 without them.
            Some(json!({"subject": "Chamado {unique}", "description": "Texto"})),
            [401, 201, 201, 201, 422, 422],
        ),
        row(
            Method::GET,
            "/tickets/{id}",
            format!("/tickets/{ticket_id}"),
            None,
            [401, 200, 200, 404, 200, 200],
        ),
        row(
            Method::PATCH,
            "/tickets/{id}",
            format!("/tickets/{ticket_id}"),
            Some(json!({"priority": "high"})),
            [401, 403, 403, 404, 200, 200],
        ),
        row(
            Method::POST,
            "/tickets/{id}/messages",
            format!("/tickets/{ticket_id}/messages"),
            Some(json!({"body": "Mensagem {unique}"})),
            [401, 201, 201, 404, 201, 201],
        ),
        // Staff only: 403 for every client, whether the ticket is theirs or not, so nothing leaks. The
        // agent makes the ticket's draft; the admin asking next opens the same one (200).
        row(
            Method::POST,
            "/tickets/{id}/article-draft",
            format!("/tickets/{ticket_id}/article-draft"),
            Some(json!({})),
            [401, 403, 403, 403, 201, 200],
        ),
        // Only the requester rates; others who see the ticket are refused, others do not see it.
        row(
            Method::POST,
            "/tickets/{id}/rating",
            format!("/tickets/{rated_id}/rating"),
            Some(json!({"score": 4})),
            [401, 201, 403, 404, 403, 403],
        ),
        row(
            Method::GET,
            "/reports/kpis",
            "/reports/kpis",
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/metrics",
            "/metrics",
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/sitemap.xml",
            "/sitemap.xml",
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            Method::GET,
            "/robots.txt",
            "/robots.txt",
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            Method::GET,
            "/clients",
            "/clients",
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/agents",
            "/agents",
            None,
            [401, 403, 403, 403, 200, 200],
        ),
        row(
            Method::POST,
            "/tickets/preview",
            "/tickets/preview",
            Some(json!({"body_md": "**negrito**"})),
            [401, 200, 200, 200, 200, 200],
        ),
        // Sent as a file (see UPLOAD below), not as JSON.
        row(
            Method::POST,
            "/attachments",
            "/attachments",
            None,
            [401, 201, 201, 201, 201, 201],
        ),
        row(
            Method::GET,
            "/attachments/{id}",
            format!("/attachments/{file_on_ticket}"),
            None,
            [401, 200, 200, 404, 200, 200],
        ),
        row(
            Method::GET,
            "/attachments/{id}/thumbnail",
            format!("/attachments/{file_on_ticket}/thumbnail"),
            None,
            [401, 200, 200, 404, 200, 200],
        ),
        row(
            Method::DELETE,
            "/attachments/{id}",
            format!("/attachments/{admins_upload}"),
            Some(json!({})),
            [401, 404, 404, 404, 404, 204],
        ),
    ];

    // Every route of the router (from the OpenAPI document built with it) has exactly one row.
    let (_, doc) = portal_api::openapi::split();
    let mut routes = BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if op.is_some() {
                routes.insert(format!("{method} {path}"));
            }
        }
    }
    let covered: BTreeSet<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.method, r.route))
        .collect();
    let missing: Vec<_> = routes.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization table: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:?}"
    );
    assert_eq!(covered.len(), rows.len(), "one row per route");

    let mut failures = Vec::new();
    let mut n = 0;
    for r in &rows {
        for (actor, expected) in ACTORS.iter().zip(r.expect) {
            n += 1;
            let cookie = match actor {
                Some(email) => Some(app.session_for(email).await),
                None => None,
            };
            let body = r.body.as_ref().map(|b| {
                let unique = format!("u{n}");
                serde_json::from_str(&b.to_string().replace("{unique}", &unique)).unwrap()
            });
            // `/metrics`, the sitemap and robots.txt are documented with the API but served outside
            // `/api/v1`, like `/healthz`.
            let url = if ["/metrics", "/sitemap.xml", "/robots.txt"].contains(&r.route) {
                r.path.clone()
            } else {
                format!("/api/v1{}", r.path)
            };
            let answer = if r.method == Method::POST && r.route == "/attachments" {
                app.send(upload_request(cookie.as_deref())).await
            } else {
                app.call(r.method.clone(), &url, cookie.as_deref(), body)
                    .await
            };
            if answer.status.as_u16() != expected {
                failures.push(format!(
                    "{} {} as {}: expected {expected}, got {} {}",
                    r.method,
                    r.path,
                    actor.unwrap_or("anonymous"),
                    answer.status,
                    answer.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `POST /attachments` as the portal sends it: a PNG as the raw body, its name in `X-File-Name`.
fn upload_request(cookie: Option<&str>) -> axum::http::Request<axum::body::Body> {
    // A real 1×1 PNG: its type is known from its bytes, and a thumbnail can be made of it.
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .unwrap();
    let mut req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/attachments")
        .header("content-type", "application/octet-stream")
        .header("x-file-name", "tela.png");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.body(axum::body::Body::from(png)).unwrap()
}

/// An upload of `email`'s, not attached yet: its id.
async fn upload(app: &TestApp, email: &str) -> i64 {
    let a = app
        .send(upload_request(Some(&app.session_for(email).await)))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["id"].as_i64().unwrap()
}
