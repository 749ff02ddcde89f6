//! Attachments (issue 15) through the whole server: upload, type by the bytes, limits, attaching to new
//! tickets, replies and notes, who may download what, the headers every file is served with, the file on
//! disk under its SHA-256, and the purge of uploads never attached.

mod common;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use base64::Engine;
use common::*;
use portal_api::Config;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A real 1×1 PNG.
fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .unwrap()
}

fn encode(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `POST /attachments` as a browser's XHR sends it: the bytes as the body, the name percent-encoded.
async fn upload_with(
    app: &TestApp,
    cookie: &str,
    name: &str,
    bytes: Vec<u8>,
    lang: Option<&str>,
    content_length: bool,
) -> Answer {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/attachments")
        .header("cookie", cookie)
        .header("content-type", "application/octet-stream")
        .header("x-file-name", encode(name));
    if content_length {
        req = req.header("content-length", bytes.len());
    }
    if let Some(l) = lang {
        req = req.header("accept-language", l);
    }
    app.send(req.body(Body::from(bytes)).unwrap()).await
}

async fn upload(app: &TestApp, cookie: &str, name: &str, bytes: Vec<u8>) -> Answer {
    upload_with(app, cookie, name, bytes, None, true).await
}

async fn upload_id(app: &TestApp, cookie: &str, name: &str, bytes: Vec<u8>) -> i64 {
    let a = upload(app, cookie, name, bytes).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["id"].as_i64().unwrap()
}

async fn new_ticket(app: &TestApp, cookie: &str, files: &[i64]) -> Answer {
    app.call(
        Method::POST,
        "/api/v1/tickets",
        Some(cookie),
        Some(json!({"subject": "Rejeição 539", "description": "Segue a tela do erro.", "attachments": files})),
    )
    .await
}

/// `GET` of a file: status, headers and the exact bytes.
async fn download(
    app: &TestApp,
    cookie: Option<&str>,
    url: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::builder().uri(url);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let (status, headers, bytes) = app.send_raw(req.body(Body::empty()).unwrap()).await;
    (status, headers, bytes.to_vec())
}

fn header<'a>(h: &'a axum::http::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn a_pasted_screenshot_reaches_the_agent_kept_on_disk_under_its_sha256() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let bytes = png();
    let up = upload(&app, &rui, "Rejeição 539.png", bytes.clone()).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
    assert_eq!(up.body["content_type"], "image/png");
    assert_eq!(up.body["inline"], true);
    assert_eq!(up.body["size"], bytes.len());
    assert_eq!(up.body["name"], "Rejeição 539.png");
    let id = up.body["id"].as_i64().unwrap();
    let url = up.body["url"].as_str().unwrap().to_string();
    assert_eq!(url, format!("/api/v1/attachments/{id}"));

    // The bytes are on disk under their SHA-256 (nothing of the name in the path), nothing left in tmp.
    let sha = hex_sha256(&bytes);
    let root = app.state.attachments.data_dir.as_path().join("attachments");
    let on_disk = root.join("sha256").join(&sha[..2]).join(&sha);
    assert_eq!(std::fs::read(&on_disk).unwrap(), bytes);
    assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);

    let t = new_ticket(&app, &rui, &[id]).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    assert_eq!(t.body["attachments"][0]["id"], id);
    let ticket = t.body["id"].as_i64().unwrap();

    let agent = app.session_for(AGENT).await;
    let seen = app
        .call(
            Method::GET,
            &format!("/api/v1/tickets/{ticket}"),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(seen.body["attachments"][0]["name"], "Rejeição 539.png");
    assert_eq!(seen.body["attachments"][0]["url"], url.as_str());

    let (status, h, got) = download(&app, Some(&agent), &url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, bytes);
    assert_eq!(header(&h, "content-type"), "image/png");
    assert_eq!(
        header(&h, "content-disposition"),
        "inline; filename=\"Rejei__o 539.png\"; filename*=UTF-8''Rejei%C3%A7%C3%A3o%20539.png"
    );
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&h, "content-security-policy"),
        "default-src 'none'; sandbox"
    );
    // Unchanged: 304 with its ETag.
    let etag = header(&h, "etag").to_string();
    let req = Request::builder()
        .uri(&url)
        .header("cookie", &agent)
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send_raw(req).await.0, StatusCode::NOT_MODIFIED);

    // The same bytes uploaded again share the one file.
    let again = upload_id(&app, &rui, "outra.png", bytes.clone()).await;
    assert_ne!(again, id);
    let files: usize = std::fs::read_dir(root.join("sha256").join(&sha[..2]))
        .unwrap()
        .count();
    assert_eq!(files, 1);
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_and_refusals_speak_the_users_language() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let html = b"<html><body><script>alert(document.cookie)</script></body></html>".to_vec();
    let pt = upload(&app, &rui, "erro.png", html.clone()).await;
    assert_eq!(pt.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", pt.body);
    assert_eq!(pt.body["code"], "file_type_not_allowed");
    assert_eq!(pt.body["title"], "Tipo de arquivo não aceito");
    assert!(pt.body["detail"].as_str().unwrap().contains("PNG, JPEG"));
    let en = upload_with(&app, &rui, "erro.png", html, Some("en"), true).await;
    assert_eq!(en.body["title"], "File type not accepted");

    // An executable named .pdf, an SVG, a text file with NUL bytes, text without a text extension.
    for (name, bytes) in [
        (
            "nota.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec(),
        ),
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
        ),
        ("log.txt", b"texto\0binario".to_vec()),
        ("planilha.exe", b"a;b;c\n1;2;3\n".to_vec()),
    ] {
        let a = upload(&app, &rui, name, bytes).await;
        assert_eq!(
            a.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{name}: {}",
            a.body
        );
    }

    // Text is taken with its extension, and never served inline.
    let xml = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><nfeProc versao=\"4.00\"/>".to_vec();
    let a = upload(&app, &rui, "NFe35261.xml", xml.clone()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["content_type"], "application/xml");
    assert_eq!(a.body["inline"], false);
    let (status, h, got) = download(&app, Some(&rui), a.body["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, xml);
    assert_eq!(header(&h, "content-type"), "application/xml; charset=utf-8");
    assert!(header(&h, "content-disposition").starts_with("attachment; "));
    assert_eq!(
        header(&h, "content-security-policy"),
        "default-src 'none'; sandbox"
    );
    let csv = upload(&app, &rui, "vendas.csv", "produto;preço\narroz;10\n".into()).await;
    assert_eq!(csv.body["content_type"], "text/csv");
    let pdf = upload(
        &app,
        &rui,
        "relatorio",
        b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n".to_vec(),
    )
    .await;
    assert_eq!(pdf.status, StatusCode::CREATED, "{}", pdf.body);
    assert_eq!(pdf.body["content_type"], "application/pdf");
    let (_, h, _) = download(&app, Some(&rui), pdf.body["url"].as_str().unwrap()).await;
    assert!(header(&h, "content-disposition").starts_with("attachment; "));

    // A wrong body type is still refused, and an upload without a name too.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/attachments")
        .header("cookie", &rui)
        .header("content-type", "image/png")
        .header("x-file-name", "a.png")
        .body(Body::from(png()))
        .unwrap();
    assert_eq!(
        app.send(req).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/attachments")
        .header("cookie", &rui)
        .header("content-type", "application/octet-stream")
        .body(Body::from(png()))
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.body["errors"][0]["field"], "X-File-Name");
}

#[tokio::test]
async fn path_traversal_names_are_only_metadata() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let bytes = b"linha 1\nlinha 2\n".to_vec();
    for name in [
        "../../../../etc/cron.d/evil.txt",
        "..\\..\\windows\\win.ini.txt",
    ] {
        let a = upload(&app, &rui, name, bytes.clone()).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let stored = a.body["name"].as_str().unwrap();
        assert!(!stored.contains('/') && !stored.contains('\\'), "{stored}");
        let (status, h, got) = download(&app, Some(&rui), a.body["url"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got, bytes);
        assert!(header(&h, "content-disposition").starts_with("attachment; filename=\""));
    }
    // Nothing was written anywhere but the store's own directories.
    let root = app.state.attachments.data_dir.as_path();
    let top: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(top, vec![std::ffi::OsString::from("attachments")]);
    let sha = hex_sha256(&bytes);
    assert!(
        root.join("attachments/sha256")
            .join(&sha[..2])
            .join(&sha)
            .is_file()
    );
    assert!(!root.join("etc").exists());
}

#[tokio::test]
async fn over_the_size_limit_is_a_localised_413_with_or_without_a_length() {
    let config = Config {
        attachment_max_bytes: 4096,
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let rui = app.session_for(MEMBER_A).await;
    let mut big = png();
    big.resize(5000, 0);
    // Refused from its Content-Length before a byte is read, and while streaming without one.
    for with_length in [true, false] {
        let a = upload_with(&app, &rui, "grande.png", big.clone(), None, with_length).await;
        assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
        assert_eq!(a.body["code"], "file_too_large");
        assert_eq!(a.body["title"], "Arquivo grande demais");
        assert!(a.body["detail"].as_str().unwrap().contains("1 MB"));
    }
    let en = upload_with(&app, &rui, "big.png", big, Some("en-US"), true).await;
    assert_eq!(en.body["title"], "File too large");
    // Within the limit, the same file is fine; an empty one is not.
    let mut ok = png();
    ok.resize(4096, 0);
    assert_eq!(
        upload(&app, &rui, "ok.png", ok).await.status,
        StatusCode::CREATED
    );
    let empty = upload(&app, &rui, "vazio.txt", Vec::new()).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_default_limit_is_20_mb() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let mut big = png();
    big.resize(20 * 1024 * 1024 + 1, 0);
    let a = upload(&app, &rui, "grande.png", big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(a.body["detail"].as_str().unwrap().contains("20 MB"));
}

#[tokio::test]
async fn twelve_files_on_one_message_are_refused_and_nothing_is_lost() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(
            upload_id(
                &app,
                &rui,
                &format!("tela{i}.txt"),
                format!("tela {i}").into(),
            )
            .await,
        );
    }
    let before = app.repo.ticket_count().await.unwrap();
    let refused = new_ticket(&app, &rui, &ids).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.body["errors"][0]["field"], "attachments");
    assert_eq!(
        refused.body["errors"][0]["message"],
        "Anexe no máximo 10 arquivos por mensagem."
    );
    assert_eq!(app.repo.ticket_count().await.unwrap(), before);
    // Ten of them go on the ticket, the other two on a reply; all still there.
    let t = new_ticket(&app, &rui, &ids[..10]).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    let ticket = t.body["id"].as_i64().unwrap();
    let m = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{ticket}/messages"),
            Some(&rui),
            Some(json!({"body": "Mais duas telas.", "attachments": &ids[10..]})),
        )
        .await;
    assert_eq!(m.status, StatusCode::CREATED, "{}", m.body);
    assert_eq!(m.body["attachments"].as_array().unwrap().len(), 2);
    let seen = app
        .call(
            Method::GET,
            &format!("/api/v1/tickets/{ticket}"),
            Some(&rui),
            None,
        )
        .await;
    assert_eq!(seen.body["attachments"].as_array().unwrap().len(), 10);
    let event = seen.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == m.body["id"])
        .unwrap();
    assert_eq!(event["attachments"][1]["name"], "tela11.txt");
}

#[tokio::test]
async fn downloads_follow_the_ticket_rules() {
    let app = TestApp::new().await;
    let ana = app.session_for(MANAGER_A).await;
    let rui = app.session_for(MEMBER_A).await;
    let bruno = app.session_for(CLIENT_B).await;
    let agent = app.session_for(AGENT).await;
    // The manager's ticket: her colleague, a member, sees only his own tickets.
    let id = upload_id(&app, &ana, "balanco.csv", "item;qtd\n".into()).await;
    assert_eq!(
        new_ticket(&app, &ana, &[id]).await.status,
        StatusCode::CREATED
    );
    let url = format!("/api/v1/attachments/{id}");
    assert_eq!(download(&app, Some(&ana), &url).await.0, StatusCode::OK);
    assert_eq!(
        download(&app, Some(&rui), &url).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        download(&app, Some(&bruno), &url).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(download(&app, Some(&agent), &url).await.0, StatusCode::OK);
    assert_eq!(download(&app, None, &url).await.0, StatusCode::UNAUTHORIZED);
    // The member's ticket: the manager sees the organization's.
    let mine = upload_id(&app, &rui, "tela.png", png()).await;
    assert_eq!(
        new_ticket(&app, &rui, &[mine]).await.status,
        StatusCode::CREATED
    );
    let url = format!("/api/v1/attachments/{mine}");
    assert_eq!(download(&app, Some(&ana), &url).await.0, StatusCode::OK);
    assert_eq!(
        download(&app, Some(&bruno), &url).await.0,
        StatusCode::NOT_FOUND
    );
    // An upload not attached yet is its uploader's alone, and only they may attach it.
    let loose = upload_id(&app, &rui, "rascunho.png", png()).await;
    let url = format!("/api/v1/attachments/{loose}");
    assert_eq!(download(&app, Some(&rui), &url).await.0, StatusCode::OK);
    assert_eq!(
        download(&app, Some(&ana), &url).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        download(&app, Some(&agent), &url).await.0,
        StatusCode::NOT_FOUND
    );
    let stolen = new_ticket(&app, &ana, &[loose]).await;
    assert_eq!(stolen.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stolen.body["errors"][0]["field"], "attachments");
    // An attached upload cannot be attached again elsewhere.
    let twice = new_ticket(&app, &rui, &[mine]).await;
    assert_eq!(
        twice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        twice.body
    );
}

#[tokio::test]
async fn a_notes_file_is_for_staff_only() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let ana = app.session_for(MANAGER_A).await;
    let agent = app.session_for(AGENT).await;
    let t = new_ticket(&app, &rui, &[]).await;
    let ticket = t.body["id"].as_i64().unwrap();
    let file = upload_id(&app, &agent, "log-interno.txt", "stack trace\n".into()).await;
    let note = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{ticket}/messages"),
            Some(&agent),
            Some(json!({"body": "Log do servidor.", "internal": true, "attachments": [file]})),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    assert_eq!(note.body["kind"], "note");
    assert_eq!(note.body["attachments"][0]["id"], file);
    let url = format!("/api/v1/attachments/{file}");
    assert_eq!(download(&app, Some(&agent), &url).await.0, StatusCode::OK);
    let admin = app.session_for(ADMIN).await;
    assert_eq!(download(&app, Some(&admin), &url).await.0, StatusCode::OK);
    for client in [&rui, &ana] {
        assert_eq!(
            download(&app, Some(client), &url).await.0,
            StatusCode::NOT_FOUND
        );
        let seen = app
            .call(
                Method::GET,
                &format!("/api/v1/tickets/{ticket}"),
                Some(client),
                None,
            )
            .await;
        assert!(
            !seen.body.to_string().contains("log-interno"),
            "{}",
            seen.body
        );
    }
    // A client cannot send a note at all, with or without files.
    let own = upload_id(&app, &rui, "x.txt", "x".into()).await;
    let refused = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{ticket}/messages"),
            Some(&rui),
            Some(json!({"body": "nota", "internal": true, "attachments": [own]})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_retried_ticket_keeps_its_files_once() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let id = upload_id(&app, &rui, "tela.png", png()).await;
    let body = json!({"subject": "PDV", "description": "Erro.", "attachments": [id]});
    let mut tickets = Vec::new();
    for _ in 0..2 {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/tickets")
            .header("cookie", &rui)
            .header("content-type", "application/json")
            .header("idempotency-key", "retry-with-files-1")
            .body(Body::from(body.to_string()))
            .unwrap();
        let a = app.send(req).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body["attachments"][0]["id"], id);
        tickets.push(a.body["id"].as_i64().unwrap());
    }
    assert_eq!(tickets[0], tickets[1]);
}

#[tokio::test]
async fn uploads_never_attached_are_removed_and_removable() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    let kept_bytes = b"anexado\n".to_vec();
    let kept = upload_id(&app, &rui, "anexado.txt", kept_bytes.clone()).await;
    assert_eq!(
        new_ticket(&app, &rui, &[kept]).await.status,
        StatusCode::CREATED
    );
    let loose_bytes = b"esquecido\n".to_vec();
    let loose = upload_id(&app, &rui, "esquecido.txt", loose_bytes.clone()).await;
    let blob = |bytes: &[u8]| {
        let sha = hex_sha256(bytes);
        app.state
            .attachments
            .data_dir
            .join("attachments/sha256")
            .join(&sha[..2])
            .join(sha)
    };
    assert!(blob(&loose_bytes).is_file());
    // Nothing younger than a day goes.
    let day_ago = portal_api::db::now_ms() - portal_api::attachments::UNATTACHED_TTL_MS;
    let removed = portal_api::routes::attachments::purge_unattached(&app.state, day_ago)
        .await
        .unwrap();
    assert_eq!(removed, 0);
    assert!(blob(&loose_bytes).is_file());
    // As if a day had passed: the loose upload and its file go, the attached one stays.
    let later = portal_api::db::now_ms() + 1;
    let removed = portal_api::routes::attachments::purge_unattached(&app.state, later)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert!(!blob(&loose_bytes).exists());
    assert!(blob(&kept_bytes).is_file());
    let url = format!("/api/v1/attachments/{loose}");
    assert_eq!(
        download(&app, Some(&rui), &url).await.0,
        StatusCode::NOT_FOUND
    );
    let url = format!("/api/v1/attachments/{kept}");
    assert_eq!(download(&app, Some(&rui), &url).await.0, StatusCode::OK);

    // Removed before sending: 204, then gone; an attached file cannot be removed, nor another's upload.
    let bytes = b"remover\n".to_vec();
    let gone = upload_id(&app, &rui, "remover.txt", bytes.clone()).await;
    let other = app.session_for(MANAGER_A).await;
    let del = |cookie: String, id: i64| {
        let app = &app;
        async move {
            app.call(
                Method::DELETE,
                &format!("/api/v1/attachments/{id}"),
                Some(&cookie),
                Some(Value::Object(Default::default())),
            )
            .await
            .status
        }
    };
    assert_eq!(del(other.clone(), gone).await, StatusCode::NOT_FOUND);
    assert_eq!(del(rui.clone(), gone).await, StatusCode::NO_CONTENT);
    assert!(!blob(&bytes).exists());
    assert_eq!(del(rui.clone(), gone).await, StatusCode::NOT_FOUND);
    assert_eq!(del(rui.clone(), kept).await, StatusCode::NOT_FOUND);
    assert!(blob(&kept_bytes).is_file());
}

/// A PNG of `w`×`h` pixels (`color`: 0 gray, 6 RGBA) made by hand, chunk by chunk: its header says the
/// size, and `idat` is the compressed pixels (which may be far fewer than the header claims: a
/// "decompression bomb").
fn png_claiming(w: u32, h: u32, color: u8, idat: &[u8]) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, color, 0, 0, 0]); // 8 bits a channel, deflate, no interlace
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", idat);
    chunk(b"IEND", b"");
    out
}

/// Zlib of `n` zero bytes (a whole image of black rows compresses to almost nothing).
fn zeros_compressed(n: usize) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; 1 << 16];
    let mut left = n;
    while left > 0 {
        let k = left.min(row.len());
        z.write_all(&row[..k]).unwrap();
        left -= k;
    }
    z.finish().unwrap()
}

#[tokio::test]
async fn images_get_server_made_thumbnails_and_a_decompression_bomb_is_refused_cheaply() {
    let app = TestApp::new().await;
    let rui = app.session_for(MEMBER_A).await;
    // A real 1000×600 screenshot-like PNG.
    let shot = {
        let img = image::RgbImage::from_fn(1000, 600, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        let mut bytes = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
        bytes
    };
    let up = upload(&app, &rui, "tela.png", shot.clone()).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
    let id = up.body["id"].as_i64().unwrap();
    let url = format!("/api/v1/attachments/{id}/thumbnail");
    assert_eq!(up.body["thumbnail_url"], url.as_str());

    let (status, headers, thumb) = download(&app, Some(&rui), &url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "image/png");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&headers, "content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert!(header(&headers, "content-disposition").starts_with("inline"));
    let small = image::load_from_memory(&thumb).unwrap();
    assert_eq!(
        (small.width(), small.height()),
        (320, 192),
        "fits 320 px, keeps the shape"
    );
    assert!(thumb.len() < shot.len());
    // Kept beside the file: asked again, the same bytes; with its ETag, 304.
    let sha = hex_sha256(&shot);
    let kept = app
        .state
        .attachments
        .data_dir
        .join("attachments/thumbnails")
        .join(&sha[..2])
        .join(&sha);
    assert_eq!(std::fs::read(&kept).unwrap(), thumb);
    let req = Request::builder()
        .uri(&url)
        .header("cookie", &rui)
        .header("if-none-match", header(&headers, "etag"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send_raw(req).await.0, StatusCode::NOT_MODIFIED);
    // Only whoever may see the file sees its thumbnail; a PDF has none.
    let other = app.session_for(CLIENT_B).await;
    assert_eq!(
        download(&app, Some(&other), &url).await.0,
        StatusCode::NOT_FOUND
    );
    let pdf = upload_id(
        &app,
        &rui,
        "nota.pdf",
        b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n".to_vec(),
    )
    .await;
    let (status, _, _) = download(
        &app,
        Some(&rui),
        &format!("/api/v1/attachments/{pdf}/thumbnail"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bombs: a small file claiming 50 000 × 50 000 gray pixels (2.5 GB decoded), and one within the side
    // limit whose RGBA pixels would take 576 MB: both are refused before the pixels are allocated, with a
    // clear answer, and the file itself stays downloadable.
    for (w, h, color) in [(50_000u32, 50_000u32, 0u8), (12_000, 12_000, 6)] {
        let bomb = png_claiming(w, h, color, &zeros_compressed(1 << 20));
        assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
        let id = upload_id(&app, &rui, "bomba.png", bomb.clone()).await;
        let started = std::time::Instant::now();
        let a = app
            .call(
                Method::GET,
                &format!("/api/v1/attachments/{id}/thumbnail"),
                Some(&rui),
                None,
            )
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{w}×{h}: {}",
            a.body
        );
        assert!(
            a.body
                .to_string()
                .contains("grande demais para a miniatura"),
            "{}",
            a.body
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let (status, _, bytes) =
            download(&app, Some(&rui), &format!("/api/v1/attachments/{id}")).await;
        assert_eq!((status, bytes), (StatusCode::OK, bomb));
    }
}

#[tokio::test]
async fn an_articles_images_are_public_once_it_is_published_and_never_purged() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let rui = app.session_for(MEMBER_A).await;
    let image = upload_id(&app, &staff, "tela-sangria.png", png()).await;
    let pdf = upload_id(
        &app,
        &staff,
        "manual.pdf",
        b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n".to_vec(),
    )
    .await;
    let clients = upload_id(&app, &rui, "minha-tela.png", png()).await;
    let category = app
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
    let body = format!(
        "Abra o caixa.\n\n![A tela da sangria](/api/v1/attachments/{image})\n\n[manual](/api/v1/attachments/{pdf}) ![x](/api/v1/attachments/{clients})"
    );
    let created = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(&staff),
            Some(
                json!({"title": "Sangria com imagem", "body_md": body, "category_id": category,
                "locale": "pt-BR", "tags": [], "status": "draft"}),
            ),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert!(
        created.body["body_html"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "<img src=\"/api/v1/attachments/{image}\" alt=\"A tela da sangria\""
            )),
        "{}",
        created.body["body_html"]
    );
    let url = format!("/api/v1/attachments/{image}");
    // A draft's image: staff only.
    assert_eq!(download(&app, None, &url).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        download(&app, Some(&rui), &url).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(download(&app, Some(&staff), &url).await.0, StatusCode::OK);

    let published = app
        .call(
            Method::PUT,
            &format!("/api/v1/kb/articles/{id}"),
            Some(&staff),
            Some(
                json!({"title": "Sangria com imagem", "body_md": body, "category_id": category,
                "locale": "pt-BR", "tags": [], "status": "published", "revision": 1}),
            ),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    // Published: anyone sees the image and its thumbnail, signed in or not.
    let (status, headers, bytes) = download(&app, None, &url).await;
    assert_eq!((status, bytes), (StatusCode::OK, png()));
    assert_eq!(
        header(&headers, "content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert_eq!(
        download(&app, None, &format!("{url}/thumbnail")).await.0,
        StatusCode::OK
    );
    // Only staff's raster images become the article's: the PDF and the client's upload keep their rules.
    for other in [pdf, clients] {
        assert_eq!(
            download(&app, None, &format!("/api/v1/attachments/{other}"))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        download(&app, Some(&rui), &format!("/api/v1/attachments/{clients}"))
            .await
            .0,
        StatusCode::OK,
        "still its uploader's"
    );
    // The purge of unattached uploads leaves an article's image alone, and its uploader cannot delete it.
    let later = portal_api::db::now_ms() + 1;
    portal_api::routes::attachments::purge_unattached(&app.state, later)
        .await
        .unwrap();
    assert_eq!(download(&app, None, &url).await.0, StatusCode::OK);
    let removed = app
        .call(Method::DELETE, &url, Some(&staff), Some(json!({})))
        .await;
    assert_eq!(removed.status, StatusCode::NOT_FOUND);
}
