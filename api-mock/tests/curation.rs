//! Staff curation beyond editing, through the HTTP router: drafts made from tickets, what changed between
//! two revisions, announcements in both languages, and the staff list filtered by readers' votes.

mod common;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use common::*;
use serde_json::{Value, json};

/// The id of the first category (by position) of `locale`.
async fn category(app: &TestApp, locale: &str) -> i64 {
    app.call(
        Method::GET,
        &format!("/api/v1/kb/categories?locale={locale}"),
        None,
        None,
    )
    .await
    .body[0]["id"]
        .as_i64()
        .unwrap()
}

fn fields(a: &Answer) -> Vec<String> {
    a.body["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

fn message_of<'a>(a: &'a Answer, field: &str) -> &'a str {
    a.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .unwrap_or_else(|| panic!("no error on {field}: {}", a.body))["message"]
        .as_str()
        .unwrap()
}

/// A request with `Accept-Language`.
async fn call_in(
    app: &TestApp,
    lang: &str,
    method: Method,
    path: &str,
    cookie: &str,
    body: Option<Value>,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", cookie)
        .header("accept-language", lang);
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    app.send(req.body(body).unwrap()).await
}

// ---------------------------------------------------------------------------------------------------------
// Drafts from tickets

/// A ticket of `client` answered by an agent, with an internal note and the client's thanks; its id.
async fn answered_ticket(app: &TestApp, client: &str) -> i64 {
    let client = app.session_for(client).await;
    let staff = app.session_for(AGENT).await;
    let t = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            Some(&client),
            Some(json!({"subject": "Balança não pesa no PDV",
                "description": "A balança do caixa 3 mostra **zero** para tudo."})),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    let id = t.body["id"].as_i64().unwrap();
    for (cookie, body) in [
        (
            &staff,
            json!({"body": "Abra **Utilitários > Balança** e clique em *Calibrar*."}),
        ),
        (
            &staff,
            json!({"body": "Nota: cliente já ligou três vezes.", "internal": true}),
        ),
        (&client, json!({"body": "Funcionou, obrigado!"})),
        (
            &staff,
            json!({"body": "Se voltar a acontecer, troque o cabo serial."}),
        ),
    ] {
        let m = app
            .call(
                Method::POST,
                &format!("/api/v1/tickets/{id}/messages"),
                Some(cookie),
                Some(body),
            )
            .await;
        assert_eq!(m.status, StatusCode::CREATED, "{}", m.body);
    }
    id
}

async fn draft(app: &TestApp, cookie: Option<&str>, ticket: i64, body: Value) -> Answer {
    app.call(
        Method::POST,
        &format!("/api/v1/tickets/{ticket}/article-draft"),
        cookie,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_draft_from_a_ticket_has_the_question_and_the_staff_answers_never_the_notes() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let ticket = answered_ticket(&app, MEMBER_A).await;
    let a = draft(&app, Some(&staff), ticket, json!({})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["status"], "draft");
    assert_eq!(a.body["revision"], 1);
    assert_eq!(a.body["title"], "Balança não pesa no PDV");
    assert_eq!(a.body["locale"], "pt-BR", "the requester's language");
    assert_eq!(a.body["category"]["id"], category(&app, "pt-BR").await);
    let md = a.body["body_md"].as_str().unwrap();
    let question = md.find("## Pergunta").expect(md);
    let asked = md.find("mostra **zero** para tudo").expect(md);
    let answer = md.find("## Resposta").expect(md);
    let first = md.find("Utilitários > Balança").expect(md);
    let second = md.find("troque o cabo serial").expect(md);
    assert!(
        question < asked && asked < answer && answer < first && first < second,
        "{md}"
    );
    assert!(!md.contains("três vezes"), "an internal note leaked: {md}");
    assert!(!md.contains("obrigado"), "only staff answers: {md}");
    let html = a.body["body_html"].as_str().unwrap();
    assert!(html.contains("<h2>Resposta</h2>"), "{html}");

    // A real article: its revision 1 is the agent's, and staff can open it by its slug.
    let id = a.body["id"].as_i64().unwrap();
    let revisions = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{id}/revisions"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(revisions.body.as_array().unwrap().len(), 1);
    assert_eq!(revisions.body[0]["author"]["name"], "Carla Mendes");
    let slug = a.body["slug"].as_str().unwrap();
    let public = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{slug}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        public.status,
        StatusCode::NOT_FOUND,
        "a draft is not public"
    );
    // Not in the search index.
    let found = app
        .call(
            Method::GET,
            "/api/v1/kb/search?q=cabo%20serial%20calibrar&locale=pt-BR",
            None,
            None,
        )
        .await;
    assert!(
        found.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != id),
        "{}",
        found.body
    );
    // Asking again opens the same draft (issue 20): no second one.
    let again = draft(&app, Some(&staff), ticket, json!({})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["slug"], a.body["slug"]);
}

#[tokio::test]
async fn a_draft_is_in_the_requested_or_the_requesters_language() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let ticket = answered_ticket(&app, MEMBER_A).await;
    let en = draft(&app, Some(&staff), ticket, json!({"locale": "en"})).await;
    assert_eq!(en.status, StatusCode::CREATED, "{}", en.body);
    assert_eq!(en.body["locale"], "en");
    assert_eq!(en.body["category"]["id"], category(&app, "en").await);
    let md = en.body["body_md"].as_str().unwrap();
    assert!(
        md.starts_with("## Question\n") && md.contains("\n## Answer\n"),
        "{md}"
    );

    // A requester who reads English gets an English draft without asking.
    portal_api::db::sql::query("UPDATE users SET locale = 'en' WHERE email = ?")
        .bind(CLIENT_B)
        .execute(&app.repo.pool)
        .await
        .unwrap();
    let ticket_b = answered_ticket(&app, CLIENT_B).await;
    let b = draft(&app, Some(&staff), ticket_b, json!({})).await;
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.body);
    assert_eq!(b.body["locale"], "en");

    // A category of that language, given.
    let categories = app
        .call(
            Method::GET,
            "/api/v1/kb/categories?locale=pt-BR",
            None,
            None,
        )
        .await;
    let second = categories.body[1]["id"].as_i64().unwrap();
    let ticket_c = answered_ticket(&app, MEMBER_A).await;
    let given = draft(&app, Some(&staff), ticket_c, json!({"category_id": second})).await;
    assert_eq!(given.status, StatusCode::CREATED, "{}", given.body);
    assert_eq!(given.body["category"]["id"], second);
}

#[tokio::test]
async fn article_drafts_are_for_staff_about_tickets_that_exist_with_valid_fields() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let ticket = answered_ticket(&app, MEMBER_A).await;
    let client = app.session_for(MEMBER_A).await;
    let drafts = async || -> i64 {
        portal_api::db::sql::query_scalar("SELECT COUNT(*) FROM kb_articles WHERE status = 'draft'")
            .fetch_one(&app.repo.pool)
            .await
            .unwrap()
    };
    let before = drafts().await;
    assert_eq!(
        draft(&app, None, ticket, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        draft(&app, Some(&client), ticket, json!({})).await.status,
        StatusCode::FORBIDDEN,
        "even the ticket's own requester"
    );
    let missing = draft(&app, Some(&staff), 999_999, json!({})).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["status"], 404);

    let unknown = draft(&app, Some(&staff), ticket, json!({"category_id": 999_999})).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&unknown), ["category_id"]);
    // An English category for a Portuguese draft.
    let en_category = category(&app, "en").await;
    for lang in ["pt-BR", "en"] {
        let other = call_in(
            &app,
            lang,
            Method::POST,
            &format!("/api/v1/tickets/{ticket}/article-draft"),
            &staff,
            Some(json!({"category_id": en_category, "locale": "pt-BR"})),
        )
        .await;
        assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
        let expected = if lang == "en" {
            "choose one in the article's language"
        } else {
            "escolha uma do mesmo idioma"
        };
        assert!(
            message_of(&other, "category_id").contains(expected),
            "{}",
            other.body
        );
    }
    let bad_locale = draft(&app, Some(&staff), ticket, json!({"locale": "fr"})).await;
    assert_eq!(bad_locale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&bad_locale), ["locale"]);
    let unknown_field = draft(&app, Some(&staff), ticket, json!({"title": "x"})).await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);
    let admin = app.session_for(ADMIN).await;
    assert_eq!(
        draft(&app, Some(&admin), ticket, json!({})).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        drafts().await,
        before + 1,
        "only the admin's request made a draft"
    );
}

#[tokio::test]
async fn a_ticket_has_one_draft_asking_again_opens_it_and_its_category_is_the_tickets() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let client = app.session_for(MEMBER_A).await;
    let categories = app
        .call(
            Method::GET,
            "/api/v1/kb/categories?locale=pt-BR",
            None,
            None,
        )
        .await
        .body;
    let last = categories.as_array().unwrap().last().unwrap().clone();
    assert_ne!(
        last["id"], categories[0]["id"],
        "the demo has several categories"
    );
    let t = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            Some(&client),
            Some(json!({"subject": "Cupom sai em branco", "description": "A impressora solta o papel sem texto.",
                "category": last["slug"]})),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    let ticket = t.body["id"].as_i64().unwrap();
    let first = draft(&app, Some(&staff), ticket, json!({})).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(
        first.body["category"]["id"], last["id"],
        "the ticket's category"
    );
    // A second click, even by someone else or with another category: the same draft, not a new one.
    let admin = app.session_for(ADMIN).await;
    let again = draft(
        &app,
        Some(&admin),
        ticket,
        json!({"category_id": categories[0]["id"]}),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["slug"], first.body["slug"]);
    let drafts: i64 = portal_api::db::sql::query_scalar(
        "SELECT COUNT(*) FROM kb_articles WHERE title = 'Cupom sai em branco'",
    )
    .fetch_one(&app.repo.pool)
    .await
    .unwrap();
    assert_eq!(drafts, 1);
    // Another ticket lets the agent choose.
    let other = answered_ticket(&app, MEMBER_A).await;
    let chosen = draft(
        &app,
        Some(&staff),
        other,
        json!({"category_id": last["id"]}),
    )
    .await;
    assert_eq!(chosen.status, StatusCode::CREATED);
    assert_eq!(chosen.body["category"]["id"], last["id"]);
}

// ---------------------------------------------------------------------------------------------------------
// Revision diffs

#[tokio::test]
async fn a_diff_shows_the_lines_inserted_and_deleted_between_two_revisions() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let created = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(&staff),
            Some(json!({"title": "Sangria do caixa", "body_md": "Abra o caixa.\nClique em Sangria.\nConfirme.",
                "category_id": category(&app, "pt-BR").await, "locale": "pt-BR", "tags": [], "status": "draft"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_i64().unwrap();
    let edited = app
        .call(
            Method::PUT,
            &format!("/api/v1/kb/articles/{id}"),
            Some(&staff),
            Some(json!({"title": "Sangria no caixa", "body_md": "Abra o caixa.\nClique em Retirada.\nConfirme.\nImprima o comprovante.\n",
                "category_id": created.body["category"]["id"], "locale": "pt-BR", "tags": [], "revision": 1})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);

    let d = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{id}/diff?from=1&to=2"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_eq!(d.body["from"], 1);
    assert_eq!(d.body["to"], 2);
    assert_eq!(d.body["title_from"], "Sangria do caixa");
    assert_eq!(d.body["title_to"], "Sangria no caixa");
    assert_eq!(
        d.body["lines"],
        json!([
            {"op": "equal", "text": "Abra o caixa."},
            {"op": "delete", "text": "Clique em Sangria."},
            {"op": "insert", "text": "Clique em Retirada."},
            {"op": "equal", "text": "Confirme."},
            {"op": "insert", "text": "Imprima o comprovante."},
        ])
    );
    // Backwards, the same change undone.
    let back = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{id}/diff?from=2&to=1"),
            Some(&staff),
            None,
        )
        .await;
    let ops: Vec<&str> = back.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["equal", "delete", "insert", "equal", "delete"]);

    for path in [
        format!("/api/v1/kb/articles/{id}/diff?from=1&to=9"),
        format!("/api/v1/kb/articles/{id}/diff?from=9&to=1"),
        "/api/v1/kb/articles/999999/diff?from=1&to=1".to_string(),
    ] {
        let a = app.call(Method::GET, &path, Some(&staff), None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
    }
    for (query, bad) in [
        ("", vec!["from", "to"]),
        ("?from=1", vec!["to"]),
        ("?from=um&to=2", vec!["from"]),
        ("?from=1&to=2.5", vec!["to"]),
    ] {
        let a = app
            .call(
                Method::GET,
                &format!("/api/v1/kb/articles/{id}/diff{query}"),
                Some(&staff),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(
            a.headers.get("content-type").unwrap(),
            "application/problem+json"
        );
        assert_eq!(fields(&a), bad, "{query}");
    }
    let client = app.session_for(MANAGER_A).await;
    let a = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{id}/diff?from=1&to=2"),
            Some(&client),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------------------
// Announcements in both languages

fn titles(a: &Answer) -> Vec<String> {
    a.body
        .as_array()
        .unwrap_or_else(|| panic!("{}", a.body))
        .iter()
        .map(|x| x["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn each_reader_sees_an_announcement_in_their_language() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let a = app
        .call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(json!({"kind": "incident", "title": "SEFAZ fora do ar", "body_md": "Notas em **contingência**.",
                "translations": [{"locale": "en", "title": "SEFAZ is down", "body_md": "Invoices in **contingency** mode."}]})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["title"], "SEFAZ fora do ar");
    let id = a.body["id"].as_i64().unwrap();
    let read = async |query: &str| {
        app.call(
            Method::GET,
            &format!("/api/v1/announcements{query}"),
            None,
            None,
        )
        .await
    };
    let pt = read("?locale=pt-BR").await;
    assert_eq!(titles(&pt), ["SEFAZ fora do ar"]);
    assert!(
        pt.body[0]["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>contingência</strong>")
    );
    let en = read("?locale=en").await;
    assert_eq!(titles(&en), ["SEFAZ is down"]);
    assert!(
        en.body[0]["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>contingency</strong>")
    );
    // Without `?locale=`, the language of the request.
    let req = Request::get("/api/v1/announcements")
        .header("accept-language", "en-US,en;q=0.9")
        .body(Body::empty())
        .unwrap();
    assert_eq!(titles(&app.send(req).await), ["SEFAZ is down"]);
    assert_eq!(titles(&read("").await), ["SEFAZ fora do ar"]);
    // Staff read the whole list in their language too.
    let all = call_in(
        &app,
        "en",
        Method::GET,
        "/api/v1/announcements/all",
        &staff,
        None,
    )
    .await;
    assert_eq!(titles(&all), ["SEFAZ is down"]);

    // A Portuguese-only announcement with an English text reaches English readers too.
    let only_pt = app
        .call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(json!({"kind": "info", "title": "Novo relatório", "body_md": "x", "locale": "pt-BR"})),
        )
        .await;
    let only_pt_id = only_pt.body["id"].as_i64().unwrap();
    assert_eq!(titles(&read("?locale=en").await), ["SEFAZ is down"]);
    let put = app
        .call(
            Method::PUT,
            &format!("/api/v1/announcements/{only_pt_id}"),
            Some(&staff),
            Some(
                json!({"kind": "info", "title": "Novo relatório", "body_md": "x", "locale": "pt-BR",
                "translations": [{"locale": "en", "title": "New report", "body_md": "y"}]}),
            ),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(
        titles(&read("?locale=en").await),
        ["SEFAZ is down", "New report"]
    );

    // PUT replaces the set of translations: without them, English readers see the main text again.
    let put = app
        .call(
            Method::PUT,
            &format!("/api/v1/announcements/{id}"),
            Some(&staff),
            Some(json!({"kind": "incident", "title": "SEFAZ voltou", "body_md": "Normalizado."})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(
        titles(&read("?locale=en").await),
        ["SEFAZ voltou", "New report"]
    );
    let texts: i64 = portal_api::db::sql::query_scalar(
        "SELECT COUNT(*) FROM announcement_translations WHERE announcement_id = ?",
    )
    .bind(id)
    .fetch_one(&app.repo.pool)
    .await
    .unwrap();
    assert_eq!(texts, 0);
}

#[tokio::test]
async fn announcement_translations_are_validated_field_by_field() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let body = json!({"kind": "info", "title": "Aviso", "body_md": "Texto", "locale": "pt-BR",
    "translations": [
        {"locale": "en", "title": "", "body_md": "b".repeat(10_001)},
        {"locale": "en", "title": "Twice", "body_md": "x"},
        {"locale": "pt-BR", "title": "Mesmo idioma", "body_md": "x"},
        {"locale": "fr", "title": "t".repeat(161), "body_md": "x"},
    ]});
    for (lang, too_long, twice) in [
        ("pt-BR", "no máximo 10000", "já tem uma tradução"),
        ("en", "at most 10000", "already has a translation"),
    ] {
        let a = call_in(
            &app,
            lang,
            Method::POST,
            "/api/v1/announcements",
            &staff,
            Some(body.clone()),
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(
            fields(&a),
            [
                "translations[0].title",
                "translations[0].body_md",
                "translations[1].locale",
                "translations[2].locale",
                "translations[3].locale",
                "translations[3].title",
            ]
        );
        assert!(message_of(&a, "translations[0].body_md").contains(too_long));
        assert!(message_of(&a, "translations[1].locale").contains(twice));
    }
    let all = app
        .call(Method::GET, "/api/v1/announcements/all", Some(&staff), None)
        .await;
    assert!(titles(&all).is_empty(), "nothing was saved");
    let unknown = app
        .call(
            Method::POST,
            "/api/v1/announcements",
            Some(&staff),
            Some(json!({"kind": "info", "title": "Aviso", "body_md": "Texto",
                "translations": [{"locale": "en", "title": "x", "body_md": "y", "extra": 1}]})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

// ---------------------------------------------------------------------------------------------------------
// The staff list by readers' votes

#[tokio::test]
async fn staff_list_articles_by_helpfulness() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    // Start from no votes at all, then vote on three demo articles.
    portal_api::db::sql::query("DELETE FROM kb_feedback")
        .execute(&app.repo.pool)
        .await
        .unwrap();
    portal_api::db::sql::query("UPDATE kb_articles SET helpful_yes = 0, helpful_no = 0")
        .execute(&app.repo.pool)
        .await
        .unwrap();
    let list = app
        .call(
            Method::GET,
            "/api/v1/kb/articles?locale=pt-BR&per_page=3",
            None,
            None,
        )
        .await;
    let slugs: Vec<String> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(slugs.len(), 3, "{}", list.body);
    let votes = |slug: &str, yes: usize, no: usize| {
        let slug = slug.to_string();
        let app = &app;
        async move {
            for (i, helpful) in std::iter::repeat_n(true, yes)
                .chain(std::iter::repeat_n(false, no))
                .enumerate()
            {
                let a = app
                    .call(
                        Method::POST,
                        &format!("/api/v1/kb/articles/{slug}/feedback"),
                        None,
                        Some(json!({"helpful": helpful, "visitor": format!("v{i}")})),
                    )
                    .await;
                assert_eq!(a.status, StatusCode::NO_CONTENT);
            }
        }
    };
    votes(&slugs[0], 1, 1).await; // tied: low
    votes(&slugs[1], 0, 3).await; // low, most "no" votes
    votes(&slugs[2], 3, 1).await; // high
    let listed = |helpfulness: &'static str| {
        let staff = staff.clone();
        let app = &app;
        async move {
            let a = app
                .call(
                    Method::GET,
                    &format!("/api/v1/kb/articles?status=all&helpfulness={helpfulness}"),
                    Some(&staff),
                    None,
                )
                .await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            let items: Vec<String> = a.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["slug"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(a.body["total"], items.len());
            items
        }
    };
    assert_eq!(
        listed("low").await,
        [slugs[1].clone(), slugs[0].clone()],
        "most \"not helpful\" first"
    );
    assert_eq!(listed("high").await, [slugs[2].clone()]);
    for lang in ["pt-BR", "en"] {
        let a = call_in(
            &app,
            lang,
            Method::GET,
            "/api/v1/kb/articles?status=all&helpfulness=medium",
            &staff,
            None,
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        let expected = if lang == "en" {
            "Choose one of: low, high."
        } else {
            "Escolha um destes valores: low, high."
        };
        assert_eq!(message_of(&a, "helpfulness"), expected);
    }
}
