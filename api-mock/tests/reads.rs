//! Reads that never wait on a disk write: analytics events off the request path (and written at shutdown),
//! the read cache kept true by the writes, the app served from memory with `ETag`/`304`, and `/metrics`.

mod common;
#[path = "support/http.rs"]
mod http;

use std::{path::Path, time::Duration};

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use common::{AGENT, MEMBER_A, TestApp};
use portal_api::Config;
use serde_json::{Value, json};

const NFE_SLUG: &str = "emissao-de-nota-fiscal-eletronica-nf-e";

async fn first_published_slug(app: &TestApp) -> (i64, String) {
    let list = app
        .call(Method::GET, "/api/v1/kb/articles?per_page=1", None, None)
        .await;
    let item = &list.body["items"][0];
    (
        item["id"].as_i64().unwrap(),
        item["slug"].as_str().unwrap().to_string(),
    )
}

/// A staff edit of article `id` as the editor sends it (read, then saved with `title` and `body_md` when
/// given, published), answering the saved article.
async fn staff_edit(
    app: &TestApp,
    id: i64,
    slug: &str,
    title: Option<&str>,
    body_md: Option<&str>,
) -> Value {
    let staff = app.session_for(AGENT).await;
    let path = format!("/api/v1/kb/articles/{slug}");
    let a = app.call(Method::GET, &path, Some(&staff), None).await.body;
    let edit = json!({
        "title": title.map_or(a["title"].clone(), Value::from),
        "body_md": body_md.map_or(a["body_md"].clone(), Value::from),
        "category_id": a["category"]["id"], "locale": a["locale"], "tags": a["tags"],
        "status": "published", "revision": a["revision"],
    });
    let saved = app
        .call(
            Method::PUT,
            &format!("/api/v1/kb/articles/{id}"),
            Some(&staff),
            Some(edit),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    saved.body
}

#[tokio::test]
async fn a_cached_article_changes_at_once_when_staff_publish_a_new_revision() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let (id, slug) = first_published_slug(&app).await;
    let path = format!("/api/v1/kb/articles/{slug}");
    let before = app.call(Method::GET, &path, None, None).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(
        app.repo.cache.articles.len(),
        1,
        "the reader's copy is cached"
    );
    // A staff edit (as the editor sends it), then the reader's next read.
    let saved = staff_edit(&app, id, &slug, None, Some("Texto **novo** desta revisão.")).await;
    let after = app.call(Method::GET, &path, None, None).await;
    assert_eq!(after.body["revision"], saved["revision"]);
    assert!(
        after.body["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>novo</strong>"),
        "{}",
        after.body["body_html"]
    );
    // Archiving takes it off the public side at once, too.
    let gone = app
        .call(
            Method::DELETE,
            &format!("/api/v1/kb/articles/{id}"),
            Some(&staff),
            Some(json!({})),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.call(Method::GET, &path, None, None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_vote_and_a_new_announcement_show_at_once_despite_the_cache() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let path = format!("/api/v1/kb/articles/{NFE_SLUG}");
    let yes = app.call(Method::GET, &path, None, None).await.body["helpful_yes"]
        .as_i64()
        .unwrap();
    let vote = app
        .call(
            Method::POST,
            &format!("{path}/feedback"),
            None,
            Some(json!({"helpful": true, "visitor": "v-cache-test"})),
        )
        .await;
    assert_eq!(vote.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.call(Method::GET, &path, None, None).await.body["helpful_yes"],
        yes + 1
    );

    let before = app
        .call(
            Method::GET,
            "/api/v1/announcements?locale=pt-BR",
            None,
            None,
        )
        .await;
    let n = before.body.as_array().unwrap().len();
    let created = app
        .call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(json!({"kind": "incident", "title": "SEFAZ fora do ar", "body_md": "Aguarde."})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let after = app
        .call(
            Method::GET,
            "/api/v1/announcements?locale=pt-BR",
            None,
            None,
        )
        .await;
    assert_eq!(after.body.as_array().unwrap().len(), n + 1);
    let id = created.body["id"].as_i64().unwrap();
    app.call(
        Method::DELETE,
        &format!("/api/v1/announcements/{id}"),
        Some(&staff),
        Some(json!({})),
    )
    .await;
    let ended = app
        .call(
            Method::GET,
            "/api/v1/announcements?locale=pt-BR",
            None,
            None,
        )
        .await;
    assert_eq!(ended.body.as_array().unwrap().len(), n);
}

#[tokio::test]
async fn an_announcement_that_starts_later_appears_when_it_starts() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let starts = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let created = app
        .call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(
                json!({"kind": "maintenance", "title": "Janela de manutenção", "body_md": "Hoje.",
                "starts_at": starts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)}),
            ),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let titles = || async {
        app.call(Method::GET, "/api/v1/announcements", None, None)
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(!titles().await.contains(&"Janela de manutenção".to_string()));
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert!(
        titles().await.contains(&"Janela de manutenção".to_string()),
        "the cached list expires at the next start"
    );
}

fn fake_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><html><body><script type=\"module\">init()</script></body></html>",
    )
    .unwrap();
    std::fs::write(dir.path().join("style-0123456789abcdef.css"), "body{}").unwrap();
    std::fs::write(dir.path().join("style-0123456789abcdef.css.br"), "brotli").unwrap();
    dir
}

#[tokio::test]
async fn the_app_files_answer_304_to_if_none_match() {
    let dist = fake_dist();
    let app = TestApp::with_config(Config {
        dist: Some(dist.path().to_path_buf()),
        ..Config::default()
    })
    .await;
    let get = |etag: Option<String>| {
        let mut req = Request::get("/style-0123456789abcdef.css").header("accept-encoding", "br");
        if let Some(tag) = etag {
            req = req.header("if-none-match", tag);
        }
        req.body(Body::empty()).unwrap()
    };
    let first = app.send(get(None)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.headers[header::CONTENT_ENCODING], "br");
    assert_eq!(
        first.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let etag = first.headers[header::ETAG].to_str().unwrap().to_string();
    let again = app.send(get(Some(etag.clone()))).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers[header::ETAG], etag.as_str());
    // index.html for the app's own routes, revalidated each time, with the CSP of its inline script.
    let page = app
        .send(Request::get("/kb/x").body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-cache");
    let tag = page.headers[header::ETAG].to_str().unwrap().to_string();
    assert!(
        page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("'sha256-")
    );
    let revalidated = app
        .send(
            Request::get("/tickets")
                .header("if-none-match", tag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    // An API path is never the app.
    let api = app
        .send(Request::get("/api/v1/nothing").body(Body::empty()).unwrap())
        .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_staff_session_gets_the_staff_build_and_everyone_else_the_client_build() {
    let dist = fake_dist();
    std::fs::create_dir(dist.path().join("staff-app")).unwrap();
    std::fs::write(
        dist.path().join("staff-app/index.html"),
        "<!doctype html><html><body><script type=\"module\">staff()</script></body></html>",
    )
    .unwrap();
    let app = TestApp::with_config(Config {
        dist: Some(dist.path().to_path_buf()),
        ..Config::default()
    })
    .await;
    let page = |cookie: Option<String>| {
        let mut req = Request::get("/staff/kb");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.body(Body::empty()).unwrap()
    };
    let staff = app.session_for("carla@suporte.demo").await;
    let client = app.session_for("ana@mercadobompreco.demo").await;
    let for_staff = app.send_raw(page(Some(staff.clone()))).await;
    assert!(String::from_utf8_lossy(&for_staff.2).contains("staff()"));
    assert_eq!(for_staff.1[header::VARY], "accept-encoding, cookie");
    for who in [
        Some(client),
        None,
        Some("portal_session=not-a-session".to_string()),
    ] {
        let answer = app.send_raw(page(who)).await;
        assert_eq!(answer.0, StatusCode::OK);
        assert!(String::from_utf8_lossy(&answer.2).contains("init()"));
    }
    // The policy allows both pages' inline scripts.
    let csp = for_staff.1[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(csp.matches("'sha256-").count(), 2, "{csp}");
    // A file is the same for everyone, and a staff build's own file is served as it is.
    let direct = app
        .send_raw(
            Request::get("/staff-app/index.html")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(String::from_utf8_lossy(&direct.2).contains("staff()"));
}

#[tokio::test]
async fn metrics_are_for_staff_and_count_requests_by_route() {
    let app = TestApp::new().await;
    app.call(
        Method::GET,
        &format!("/api/v1/kb/articles/{NFE_SLUG}"),
        None,
        None,
    )
    .await;
    app.call(Method::GET, "/api/v1/kb/search?q=nota", None, None)
        .await;
    let anonymous = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let client = app.session_for(MEMBER_A).await;
    let refused = app.call(Method::GET, "/metrics", Some(&client), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let staff = app.session_for(AGENT).await;
    let scrape = app.call(Method::GET, "/metrics", Some(&staff), None).await;
    assert_eq!(scrape.status, StatusCode::OK);
    let text = scrape.body.as_str().expect("text");
    for expected in [
        r#"portal_http_requests_total{route="/api/v1/kb/articles/{article}",method="GET",status="200"} 1"#,
        r#"portal_http_request_duration_seconds_bucket{le="#,
        "portal_analytics_queue_depth ",
        "portal_analytics_events_dropped ",
        "portal_search_index_documents ",
        r#"portal_read_cache_entries{route="article"} 1"#,
        "# EOF",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(
        scrape.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
}

#[tokio::test]
async fn a_metrics_address_reads_without_a_session() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = dir.path().join("portal.db");
    let log = dir.path().join("server.log");
    let bin = Path::new(env!("CARGO_BIN_EXE_portal-api"));
    let server = http::Server::start_with(bin, &db, &log, &["--metrics-allow", "127.0.0.1"]).await;
    let mut c = http::Client::new(server.addr);
    let scrape = c.get("/metrics").await.unwrap();
    assert_eq!(scrape.status, 200);
    assert!(String::from_utf8_lossy(&scrape.body).contains("portal_http_requests_total"));
}

/// Searches and views still in memory at SIGTERM are written before the server exits.
#[tokio::test]
async fn the_shutdown_flush_loses_nothing() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = dir.path().join("portal.db");
    let log = dir.path().join("server.log");
    let bin = Path::new(env!("CARGO_BIN_EXE_portal-api"));
    let mut server = http::Server::start(bin, &db, &log).await;
    let mut c = http::Client::new(server.addr);
    let mut ids = Vec::new();
    for i in 0..40 {
        let r = c
            .get(&format!("/api/v1/kb/search?q=nota+{i}"))
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        ids.push(r.json()["search_id"].as_i64().unwrap());
        let v = c
            .get(&format!(
                "/api/v1/kb/articles/{NFE_SLUG}?search_id={}",
                ids[i]
            ))
            .await
            .unwrap();
        assert_eq!(v.status, 200);
    }
    drop(c);
    server.terminate_and_wait();
    let pool = portal_api::db::open(&db).await.unwrap();
    let searches: i64 = portal_api::db::sql::query_scalar(&format!(
        "SELECT COUNT(*) FROM kb_searches WHERE id IN ({})",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    ))
    .fetch_one(&pool)
    .await
    .unwrap();
    let views: i64 = portal_api::db::sql::query_scalar(
        "SELECT COUNT(*) FROM kb_article_views WHERE search_id IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (searches, views),
        (40, 40),
        "{}",
        std::fs::read_to_string(&log).unwrap()
    );
}

#[tokio::test]
async fn the_openapi_document_describes_metrics_outside_the_api_base() {
    let app = TestApp::new().await;
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    let metrics = &doc["paths"]["/metrics"];
    assert_eq!(metrics["get"]["servers"][0]["url"], "/", "{metrics}");
    assert!(metrics["get"]["responses"]["403"].is_object());
}

fn with_headers(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::get(path);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(Body::empty()).unwrap()
}

/// The raw bytes of an answer (the harness decodes JSON, which a compressed body is not).
async fn raw(app: &TestApp, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let (status, headers, bytes) = app.send_raw(req).await;
    (status, headers, bytes.to_vec())
}

#[tokio::test]
async fn cached_answers_come_compressed_once_with_an_etag_and_304() {
    use std::io::Read;
    let app = TestApp::new().await;
    let (id, slug) = first_published_slug(&app).await;
    let path = format!("/api/v1/kb/articles/{slug}");
    for path in [
        path.as_str(),
        "/api/v1/kb/categories?locale=pt-BR",
        "/api/v1/announcements",
    ] {
        let plain = app.call(Method::GET, path, None, None).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        let (status, headers, packed) =
            raw(&app, with_headers(path, &[("accept-encoding", "gzip, br")])).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::VARY], "accept-encoding", "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        let mut json = Vec::new();
        if plain.body.to_string().len() < 32 {
            // Too small to gain from compression (no announcement now): sent as it is.
            assert!(headers.get(header::CONTENT_ENCODING).is_none(), "{path}");
            json = packed;
        } else {
            assert_eq!(headers[header::CONTENT_ENCODING], "br", "{path}");
            brotli::Decompressor::new(packed.as_slice(), 4096)
                .read_to_end(&mut json)
                .unwrap();
        }
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&json).unwrap(),
            plain.body,
            "{path}: the compressed copy is the same answer"
        );
        let etag = headers[header::ETAG].to_str().unwrap().to_string();
        let (status, _, body) = raw(
            &app,
            with_headers(
                path,
                &[("accept-encoding", "gzip, br"), ("if-none-match", &etag)],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty());
    }
    // A vote changes the article's counters: the old ETag no longer matches.
    let (_, headers, _) = raw(&app, with_headers(&path, &[("accept-encoding", "br")])).await;
    let etag = headers[header::ETAG].to_str().unwrap().to_string();
    let voted = app
        .call(
            Method::POST,
            &format!("{path}/feedback"),
            None,
            Some(json!({"helpful": true, "visitor": "v-etag-test"})),
        )
        .await;
    assert_eq!(voted.status, StatusCode::NO_CONTENT, "{}", voted.body);
    let (status, _, _) = raw(
        &app,
        with_headers(
            &path,
            &[("accept-encoding", "br"), ("if-none-match", &etag)],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "article {id} changed");
}

async fn search(app: &TestApp, q: &str) -> serde_json::Value {
    let a = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/search?q={q}&locale=pt-BR"),
            None,
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.body
}

#[tokio::test]
async fn a_repeated_search_is_answered_from_memory_and_follows_every_change() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let first = search(&app, "sangria").await;
    assert!(first["total"].as_u64().unwrap() > 0);
    assert_eq!(app.state.search.results.len(), 1, "the page is kept");
    // The same reader again: the same hits from memory, counted once (the analytics' repeat rule).
    let again = search(&app, "sangria").await;
    assert_eq!(again["items"], first["items"]);
    assert_eq!(again["search_id"], first["search_id"]);
    // Another reader: the same cached hits, their own search.
    let client = app.session_for(MEMBER_A).await;
    let other = app
        .call(
            Method::GET,
            "/api/v1/kb/search?q=sangria&locale=pt-BR",
            Some(&client),
            None,
        )
        .await;
    assert_eq!(other.body["items"], first["items"]);
    assert_ne!(other.body["search_id"], first["search_id"]);
    assert_eq!(app.state.search.results.len(), 1, "still one page kept");
    app.state.flush_analytics().await;
    let recorded: i64 = portal_api::db::sql::query_scalar(
        "SELECT COUNT(*) FROM kb_searches WHERE query = 'sangria'",
    )
    .fetch_one(&app.state.repo.pool)
    .await
    .unwrap();
    assert_eq!(recorded, 2, "one search per reader");

    // A word no article has, kept as "nothing found"; then an article with it is published.
    assert_eq!(search(&app, "zebrafruta").await["total"], 0);
    let categories = app
        .call(
            Method::GET,
            "/api/v1/kb/categories?locale=pt-BR",
            None,
            None,
        )
        .await;
    let created = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(&staff),
            Some(json!({"title": "Zebrafruta no cadastro de produtos",
                "body_md": "Cadastre a zebrafruta como fruta pesada na balança.",
                "category_id": categories.body[0]["id"], "locale": "pt-BR", "tags": [], "status": "published"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let found = search(&app, "zebrafruta").await;
    assert_eq!(found["total"], 1, "the publication shows at once");
    assert!(
        found["items"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>zebrafruta</mark>"),
        "{}",
        found["items"][0]["snippet"]
    );

    // A synonym saved by staff changes what a query finds, at once too.
    assert_eq!(search(&app, "kiwano").await["total"], 0);
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/kb/synonyms",
            Some(&staff),
            Some(json!([["zebrafruta", "kiwano"]])),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(search(&app, "kiwano").await["total"], 1);

    // Archived: out of the cached answer as well.
    let id = created.body["id"].as_i64().unwrap();
    let gone = app
        .call(
            Method::DELETE,
            &format!("/api/v1/kb/articles/{id}"),
            Some(&staff),
            Some(json!({})),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(search(&app, "zebrafruta").await["total"], 0);
}

/// The app's page as Trunk writes it: the shape the server fills in.
fn app_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><html lang=\"pt-BR\"><head><meta charset=\"utf-8\">\
         <meta name=\"description\" content=\"Portal de Suporte\"><title>Portal de Suporte</title>\
         <script type=\"module\">init()</script></head><body><noscript>JS</noscript></body></html>",
    )
    .unwrap();
    dir
}

/// A server serving the app of `app_dist` (kept alive by the directory returned), its links made from
/// https://ajuda.example.
async fn app_serving_pages() -> (tempfile::TempDir, TestApp) {
    let dist = app_dist();
    let app = TestApp::with_config(Config {
        dist: Some(dist.path().to_path_buf()),
        public_url: Some("https://ajuda.example".into()),
        ..Config::default()
    })
    .await;
    (dist, app)
}

/// One of the app's pages for a reader of `lang` (200 expected): its headers and its HTML.
async fn page_of(app: &TestApp, path: &str, lang: &str) -> (axum::http::HeaderMap, String) {
    let request = Request::get(path)
        .header("accept-language", lang)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = app.send_raw(request).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    (headers, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn an_article_page_carries_its_content_title_description_and_canonical_link() {
    let (_dist, app) = app_serving_pages().await;
    let article = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{NFE_SLUG}"),
            None,
            None,
        )
        .await
        .body;
    let (headers, html) = page_of(&app, &format!("/kb/{NFE_SLUG}"), "pt-BR").await;
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    let title = article["title"].as_str().unwrap();
    assert!(
        html.contains(&format!("<title>{title} — Portal de Suporte</title>")),
        "{html}"
    );
    assert!(html.contains(&format!("<h1>{title}</h1>")));
    assert!(html.contains(&format!(
        "<link rel=\"canonical\" href=\"https://ajuda.example/kb/{NFE_SLUG}\">"
    )));
    let summary = article["summary"].as_str().unwrap();
    assert!(html.contains(&format!(
        "<meta name=\"description\" content=\"{summary}\">"
    )));
    // The body as rendered and cleaned on saving, in the page before the app's script runs.
    let body_html = article["body_html"].as_str().unwrap();
    assert!(html.contains(body_html));
    assert!(html.find("<div id=\"prerender\">").unwrap() < html.find("<noscript>").unwrap());
    assert!(html.contains("init()"), "the app still starts");
    // A category page lists its published articles.
    let category = article["category"]["slug"].as_str().unwrap();
    let (_, html) = page_of(&app, &format!("/kb/c/{category}"), "pt-BR").await;
    assert!(html.contains(&format!("href=\"/kb/{NFE_SLUG}\"")), "{html}");
    // A draft is nobody's business, and an unknown page is the plain app.
    let staff = app.session_for("carla@suporte.demo").await;
    let categories = app
        .call(
            Method::GET,
            "/api/v1/kb/categories?locale=pt-BR",
            None,
            None,
        )
        .await
        .body;
    let draft = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(&staff),
            Some(
                json!({"title": "Rascunho secreto", "body_md": "Ainda não.", "locale": "pt-BR",
                "category_id": categories[0]["id"], "tags": [], "status": "draft"}),
            ),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.body);
    let draft_slug = draft.body["slug"].as_str().unwrap();
    for path in [
        format!("/kb/{draft_slug}"),
        "/kb/nada-disso".into(),
        "/kb/a%20b".into(),
    ] {
        let (_, html) = page_of(&app, &path, "pt-BR").await;
        assert!(
            !html.contains("prerender") && !html.contains("Rascunho"),
            "{html}"
        );
        assert!(html.contains("<title>Portal de Suporte</title>"));
    }
}

#[tokio::test]
async fn the_home_page_comes_filled_in_and_a_filled_in_page_changes_at_once_with_an_edit() {
    let (_dist, app) = app_serving_pages().await;
    // The home page in the reader's language: the app's words, the categories and the most viewed.
    let (headers, html) = page_of(&app, "/", "pt-BR").await;
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(headers.contains_key(header::ETAG));
    assert!(html.contains("<h1>Como podemos ajudar?</h1>"), "{html}");
    assert!(html.contains("<link rel=\"canonical\" href=\"https://ajuda.example/\">"));
    let categories = app
        .call(
            Method::GET,
            "/api/v1/kb/categories?locale=pt-BR",
            None,
            None,
        )
        .await
        .body;
    let with_articles = categories
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["article_count"].as_i64() > Some(0))
        .unwrap();
    assert!(html.contains(&format!(
        "href=\"/kb/c/{}\"",
        with_articles["slug"].as_str().unwrap()
    )));
    let (_, english) = page_of(&app, "/", "en-US,en;q=0.9").await;
    assert!(english.contains("<h1>How can we help?</h1>"));
    assert!(english.contains("<html lang=\"en\""));
    // A search's page is the app's to answer.
    let (_, searching) = page_of(&app, "/?q=sangria", "pt-BR").await;
    assert!(!searching.contains("prerender"), "{searching}");
    // The filled-in pages are kept, and a staff edit changes them at once.
    let (id, slug) = first_published_slug(&app).await;
    let (_, before) = page_of(&app, &format!("/kb/{slug}"), "pt-BR").await;
    assert!(before.contains("prerender"));
    assert!(!app.repo.cache.pages.is_empty(), "the pages are cached");
    staff_edit(&app, id, &slug, Some("Título novo desta revisão"), None).await;
    assert!(
        app.repo.cache.pages.is_empty(),
        "the edit emptied the pages, the home page's lists too"
    );
    let (_, after) = page_of(&app, &format!("/kb/{slug}"), "pt-BR").await;
    assert!(
        after.contains("<h1>Título novo desta revisão</h1>"),
        "{after}"
    );
}
