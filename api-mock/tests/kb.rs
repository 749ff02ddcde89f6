//! The knowledge base through the HTTP router: every search behaviour of issue 4, reads, votes, and the
//! staff curation of issue 7 (revisions, conflicts, restore, the index following every change, analytics).

mod common;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use common::*;
use serde_json::{Value, json};

const NFE_SLUG: &str = "emissao-de-nota-fiscal-eletronica-nf-e";

/// The id of the first category of `locale`.
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

/// Creates an article through the API as an agent; answers the created article.
async fn create(
    app: &TestApp,
    staff: &str,
    locale: &str,
    title: &str,
    body: &str,
    status: &str,
) -> Value {
    let category_id = category(app, locale).await;
    let a = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(staff),
            Some(json!({"title": title, "body_md": body, "category_id": category_id, "locale": locale,
                "tags": [], "status": status})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body
}

async fn publish(app: &TestApp, locale: &str, title: &str, body: &str) -> Value {
    let staff = app.session_for(AGENT).await;
    create(app, &staff, locale, title, body, "published").await
}

/// A PUT of the article's fields with some replaced.
async fn edit(app: &TestApp, staff: &str, article: &Value, changes: Value) -> Answer {
    let mut body = json!({
        "title": article["title"], "body_md": article["body_md"], "category_id": article["category"]["id"],
        "locale": article["locale"], "tags": article["tags"], "status": article["status"],
        "revision": article["revision"],
    });
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.call(
        Method::PUT,
        &format!("/api/v1/kb/articles/{}", article["id"]),
        Some(staff),
        Some(body),
    )
    .await
}

fn encode(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn search(app: &TestApp, q: &str, locale: &str) -> Answer {
    app.call(
        Method::GET,
        &format!("/api/v1/kb/search?q={}&locale={locale}", encode(q)),
        None,
        None,
    )
    .await
}

/// The slugs found for `q`, best first.
async fn slugs(app: &TestApp, q: &str, locale: &str) -> Vec<String> {
    let a = search(app, q, locale).await;
    assert_eq!(a.status, StatusCode::OK, "{q:?}: {}", a.body);
    a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap().to_string())
        .collect()
}

fn slug(article: &Value) -> String {
    article["slug"].as_str().unwrap().to_string()
}

/// The article "Reimpressão do lacre da balança": words that no demo article has.
async fn lacre(app: &TestApp) -> String {
    slug(
        &publish(
            app,
            "pt-BR",
            "Reimpressão do lacre da balança",
            "Para reimprimir o lacre do cupom fiscal, abra **Utilitários** e confirme.",
        )
        .await,
    )
}

// ---------------------------------------------------------------------------------------------------------
// Search behaviours (issue 4), one test each

#[tokio::test]
async fn search_folds_case_and_accents() {
    let app = TestApp::new().await;
    let ours = lacre(&app).await;
    assert_eq!(
        slugs(&app, "REIMPRESSAO", "pt-BR").await.first(),
        Some(&ours)
    );
    assert_eq!(
        slugs(&app, "Balanca LACRE", "pt-BR").await.first(),
        Some(&ours)
    );
    assert!(
        slugs(&app, "emissao", "pt-BR")
            .await
            .contains(&NFE_SLUG.to_string()),
        "emissao finds emissão"
    );
}

#[tokio::test]
async fn search_stems_portuguese() {
    let app = TestApp::new().await;
    let ours = lacre(&app).await;
    // "reimprimindo" is three edits from "reimprimir": only the stemmer (reimprim-) joins them.
    assert_eq!(
        slugs(&app, "reimprimindo lacre", "pt-BR").await.first(),
        Some(&ours)
    );
    // "notas fiscais" finds the article titled "nota fiscal".
    assert!(
        slugs(&app, "notas fiscais", "pt-BR")
            .await
            .contains(&NFE_SLUG.to_string())
    );
}

#[tokio::test]
async fn search_stems_english() {
    let app = TestApp::new().await;
    let ours = slug(
        &publish(
            &app,
            "en",
            "How to reprint a pallet label",
            "Open the Utilities menu and choose the labels.",
        )
        .await,
    );
    // "reprinting" is three edits from "reprint": only the stemmer joins them.
    assert_eq!(
        slugs(&app, "reprinting pallet", "en").await.first(),
        Some(&ours)
    );
    assert_eq!(
        slugs(&app, "pallets labels", "en").await.first(),
        Some(&ours)
    );
}

#[tokio::test]
async fn search_forgives_one_typo_in_words_of_five_letters() {
    let app = TestApp::new().await;
    let ours = lacre(&app).await;
    assert_eq!(
        slugs(&app, "reimpressao fsical", "pt-BR").await.first(),
        Some(&ours)
    );
    assert_eq!(
        slugs(&app, "lcare balança", "pt-BR").await.first(),
        Some(&ours),
        "a swap in a five-letter word"
    );
}

#[tokio::test]
async fn search_forgives_two_typos_in_words_of_nine_letters() {
    let app = TestApp::new().await;
    let ours = lacre(&app).await;
    // "reimpressao" less two letters, not the last word (no prefix help).
    assert_eq!(
        slugs(&app, "rimpresao lacre", "pt-BR").await.first(),
        Some(&ours)
    );
}

#[tokio::test]
async fn search_forgives_no_typo_in_short_words() {
    let app = TestApp::new().await;
    let ours = lacre(&app).await;
    assert!(slugs(&app, "lacre cupom", "pt-BR").await.contains(&ours));
    // "lcre" is "lacre" less a letter, but a four-letter word gets no typo forgiven.
    assert!(!slugs(&app, "lcre cupom", "pt-BR").await.contains(&ours));
}

#[tokio::test]
async fn search_matches_the_last_word_as_a_prefix() {
    let app = TestApp::new().await;
    let ours = lacre(&app).await;
    assert_eq!(slugs(&app, "reimpres", "pt-BR").await.first(), Some(&ours));
    assert_eq!(
        slugs(&app, "lacre reimp", "pt-BR").await.first(),
        Some(&ours)
    );
    // Only the last word: an unfinished word before it does not match.
    assert!(!slugs(&app, "reimp lacre", "pt-BR").await.contains(&ours));
}

#[tokio::test]
async fn search_applies_staff_synonyms() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let ours = slug(
        &publish(
            &app,
            "pt-BR",
            "Caixa rápido do atacarejo",
            "Como configurar o caixa rápido para compras pequenas.",
        )
        .await,
    );
    let put = |groups: Value| {
        let (app, staff) = (&app, &staff);
        async move {
            let a = app
                .call(
                    Method::PUT,
                    "/api/v1/kb/synonyms",
                    Some(staff),
                    Some(groups),
                )
                .await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        }
    };
    put(json!([["backup", "cópia de segurança"]])).await;
    assert!(!slugs(&app, "pdv rápido", "pt-BR").await.contains(&ours));
    put(json!([["PDV", "caixa"], ["gôndola", "expositor"]])).await;
    assert_eq!(
        slugs(&app, "pdv rápido", "pt-BR").await.first(),
        Some(&ours)
    );
    let got = app
        .call(Method::GET, "/api/v1/kb/synonyms", Some(&staff), None)
        .await;
    assert_eq!(
        got.body,
        json!([["pdv", "caixa"], ["gôndola", "expositor"]])
    );
}

#[tokio::test]
async fn search_weighs_titles_above_bodies() {
    let app = TestApp::new().await;
    let in_body = slug(
        &publish(
            &app,
            "pt-BR",
            "Conferência de mercadorias",
            "Ao receber, confira o expositor e as caixas antes de assinar.",
        )
        .await,
    );
    let in_title = slug(
        &publish(
            &app,
            "pt-BR",
            "Expositor refrigerado não liga",
            "Verifique a tomada e o disjuntor antes de chamar a assistência.",
        )
        .await,
    );
    let found = slugs(&app, "expositor", "pt-BR").await;
    let at = |s: &String| found.iter().position(|f| f == s).unwrap();
    assert!(at(&in_title) < at(&in_body), "{found:?}");
}

#[tokio::test]
async fn search_stays_in_the_locale_and_falls_back_to_the_other() {
    let app = TestApp::new().await;
    let pt = lacre(&app).await;
    let en = slug(
        &publish(
            &app,
            "en",
            "Reprinting a pallet label",
            "From the Utilities menu.",
        )
        .await,
    );
    // Both languages have "backup" articles: each answers in its own.
    for locale in ["pt-BR", "en"] {
        let a = search(&app, "backup", locale).await;
        assert_eq!(a.body["locale"], locale);
        let items = a.body["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(
            items.iter().all(|i| i["locale"] == locale),
            "{locale}: {}",
            a.body
        );
    }
    // Only the other language has the answer: it is given, saying so.
    let a = search(&app, "pallet", "pt-BR").await;
    assert_eq!(a.body["locale"], "en");
    assert_eq!(a.body["items"][0]["slug"], en.as_str());
    let a = search(&app, "reimpressão lacre", "en").await;
    assert_eq!(a.body["locale"], "pt-BR");
    assert_eq!(a.body["items"][0]["slug"], pt.as_str());
}

#[tokio::test]
async fn search_snippets_have_only_mark_as_markup() {
    let app = TestApp::new().await;
    publish(
        &app,
        "pt-BR",
        "Reimpressão do lacre",
        "Digite `<script>alert(1)</script>` & <b>nunca</b> <img src=x onerror=alert(2)> reimprima o lacre \"duas\" vezes.",
    )
    .await;
    for q in [
        "lacre",
        "reimpressao",
        "script alert",
        "emissao nota fsical",
    ] {
        let a = search(&app, q, "pt-BR").await;
        for item in a.body["items"].as_array().unwrap() {
            let snippet = item["snippet"].as_str().unwrap();
            let bare = snippet.replace("<mark>", "").replace("</mark>", "");
            assert!(!bare.contains('<') && !bare.contains('>'), "{q}: {snippet}");
        }
    }
    let a = search(&app, "lacre", "pt-BR").await;
    let snippet = a.body["items"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>lacre</mark>"), "{snippet}");
    assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
}

#[tokio::test]
async fn absurd_queries_never_fail() {
    let app = TestApp::new().await;
    let long_word = "a".repeat(10_000);
    let long_words = "nota fiscal ".repeat(900);
    let cases = [
        "",
        "   ",
        "?!.,;:-–—()[]{}",
        "🙂🙂🙂",
        "🧾 ",
        "\u{0}\u{1}",
        "title:nota AND (fiscal OR",
        "' OR 1=1 --",
        "*",
        "\\\\\"",
        long_word.as_str(),
        long_words.as_str(),
    ];
    for q in cases {
        let a = search(&app, q, "pt-BR").await;
        assert!(
            a.status == StatusCode::OK || a.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}: {}",
            q.chars().take(40).collect::<String>(),
            a.status
        );
        if q.chars().all(|c| !c.is_alphanumeric()) && a.status == StatusCode::OK {
            assert_eq!(a.body["items"], json!([]), "{q:?}");
        }
    }
    let a = search(&app, &long_word, "pt-BR").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.body["errors"][0]["field"], "q");
    // Unknown locale and absurd limits are not errors either.
    for path in [
        "/api/v1/kb/search?q=nota&locale=xx",
        "/api/v1/kb/search?q=nota&limit=0",
        "/api/v1/kb/search?q=nota&limit=100000",
        "/api/v1/kb/search?q=nota&limit=4294967295&page=4294967295",
    ] {
        let a = app.call(Method::GET, path, None, None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
    }
    // Past the OpenAPI document's maximum (4294967295) a number is malformed, as the document says.
    for path in [
        "/api/v1/kb/search?q=nota&limit=4294967296",
        "/api/v1/kb/search?q=nota&page=19964744642941743104",
    ] {
        let a = app.call(Method::GET, path, None, None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}");
    }
}

#[tokio::test]
async fn journey_emissao_nota_fsical_finds_the_nfe_article_first() {
    let app = TestApp::new().await;
    let a = search(&app, "emissao nota fsical", "pt-BR").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["items"][0]["slug"], NFE_SLUG, "{}", a.body);
    assert!(
        a.body["items"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>")
    );
}

// ---------------------------------------------------------------------------------------------------------
// Searches, views and votes are counted

#[tokio::test]
async fn searches_are_recorded_under_their_search_id() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let a = search(&app, "sangria", "pt-BR").await;
    let id = a.body["search_id"].as_i64().expect("a search id");
    let b = search(&app, "xyzzy inexistente", "pt-BR").await;
    assert_eq!(b.body["total"], 0);
    let zero_id = b.body["search_id"].as_i64().unwrap();
    assert!(zero_id > id);
    // Searches are written off the request path, in batches.
    app.state.flush_analytics().await;
    let (query, results): (String, i64) =
        portal_api::db::sql::query_as("SELECT query, results FROM kb_searches WHERE id = ?")
            .bind(id)
            .fetch_one(&app.repo.pool)
            .await
            .unwrap();
    assert_eq!(query, "sangria");
    assert_eq!(results, a.body["total"].as_i64().unwrap());
    // An article opened from the search carries its id back.
    let slug = a.body["items"][0]["slug"].as_str().unwrap();
    app.call(
        Method::GET,
        &format!("/api/v1/kb/articles/{slug}?search_id={id}"),
        None,
        None,
    )
    .await;
    app.state.flush_analytics().await;
    let views: i64 = portal_api::db::sql::query_scalar(
        "SELECT COUNT(*) FROM kb_article_views WHERE search_id = ?",
    )
    .bind(id)
    .fetch_one(&app.repo.pool)
    .await
    .unwrap();
    assert_eq!(views, 1);
    // And the analytics see both searches.
    let an = app
        .call(
            Method::GET,
            "/api/v1/kb/analytics?days=1",
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(an.status, StatusCode::OK, "{}", an.body);
    assert_eq!(an.body["searches"], 2);
    assert!(
        an.body["top_queries"]
            .as_array()
            .unwrap()
            .contains(&json!({"query": "sangria", "count": 1}))
    );
    let zero = &an.body["zero_result_queries"][0];
    assert_eq!(zero["query"], "xyzzy inexistente");
    assert_eq!(zero["count"], 1);
    assert!(zero["last_seen"].as_str().unwrap().ends_with('Z'));
}

/// The queries recorded so far, in order.
async fn recorded_queries(app: &TestApp) -> Vec<String> {
    app.state.flush_analytics().await;
    portal_api::db::sql::query_scalar("SELECT query FROM kb_searches ORDER BY id")
        .fetch_all(&app.repo.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn searches_as_the_reader_types_are_not_recorded_only_the_one_they_settle_on() {
    let app = TestApp::new().await;
    // What the box sends while the reader types.
    for q in ["san", "sang", "sangr", "sangria"] {
        let a = app
            .call(
                Method::GET,
                &format!("/api/v1/kb/search?q={q}&locale=pt-BR&record=false"),
                None,
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["search_id"], Value::Null);
    }
    assert!(recorded_queries(&app).await.is_empty());
    // The search they settled on, recorded once with its result count.
    let settle = |visitor: &str| json!({"q": " sangria ", "locale": "pt-BR", "visitor": visitor});
    let a = app
        .call(
            Method::POST,
            "/api/v1/kb/searches",
            None,
            Some(settle("v1")),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["recorded"], true);
    assert!(a.body["total"].as_u64().unwrap() > 0);
    let id = a.body["search_id"].as_i64().unwrap();
    // The same reader again (Back, a reload, the field left twice), even as GET: the same search.
    let again = app
        .call(
            Method::POST,
            "/api/v1/kb/searches",
            None,
            Some(settle("v1")),
        )
        .await;
    assert_eq!(again.body["search_id"], id);
    assert_eq!(again.body["recorded"], false);
    let client = app.session_for(MEMBER_A).await;
    let get = |session: Option<String>| {
        let app = &app;
        async move {
            app.call(
                Method::GET,
                "/api/v1/kb/search?q=Sangria&locale=pt-BR",
                session.as_deref(),
                None,
            )
            .await
        }
    };
    let first = get(Some(client.clone())).await.body["search_id"].clone();
    assert!(first.is_i64());
    assert_eq!(get(Some(client.clone())).await.body["search_id"], first);
    // Another reader is another search.
    let other = app
        .call(
            Method::POST,
            "/api/v1/kb/searches",
            None,
            Some(settle("v2")),
        )
        .await;
    assert_eq!(other.body["recorded"], true);
    assert_ne!(other.body["search_id"], id);
    assert_eq!(
        recorded_queries(&app).await,
        ["sangria", "Sangria", "sangria"]
    );
}

#[tokio::test]
async fn staff_searches_are_never_recorded() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let a = app
        .call(
            Method::GET,
            "/api/v1/kb/search?q=sangria&locale=pt-BR",
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body["total"].as_u64().unwrap() > 0);
    assert_eq!(a.body["search_id"], Value::Null);
    let b = app
        .call(
            Method::POST,
            "/api/v1/kb/searches",
            Some(&staff),
            Some(json!({"q": "sangria"})),
        )
        .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.body);
    assert_eq!(b.body["search_id"], Value::Null);
    assert_eq!(b.body["recorded"], false);
    assert!(recorded_queries(&app).await.is_empty());
}

#[tokio::test]
async fn a_settled_search_must_say_something() {
    let app = TestApp::new().await;
    for (body, field) in [
        (json!({"q": "  "}), "q"),
        (json!({"q": "x".repeat(301)}), "q"),
        (json!({"q": "nota", "visitor": "v".repeat(65)}), "visitor"),
    ] {
        let a = app
            .call(Method::POST, "/api/v1/kb/searches", None, Some(body))
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(a.body["errors"][0]["field"], field, "{}", a.body);
    }
    assert!(recorded_queries(&app).await.is_empty());
}

#[tokio::test]
async fn article_views_are_counted() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let path = format!("/api/v1/kb/articles/{NFE_SLUG}");
    // Staff reads (to edit) are not views, and they read past the public cache.
    let views = || async {
        app.call(Method::GET, &path, Some(&staff), None).await.body["views"]
            .as_i64()
            .unwrap()
    };
    let before = views().await;
    app.call(Method::GET, &path, None, None).await;
    app.call(Method::GET, &path, None, None).await;
    assert_eq!(app.state.analytics.depth(), 2, "two views waiting");
    app.state.flush_analytics().await;
    assert_eq!(views().await, before + 2);
}

#[tokio::test]
async fn feedback_is_one_vote_per_visitor_and_a_new_vote_replaces_the_old() {
    let app = TestApp::new().await;
    let ours = lacre(&app).await;
    let vote = |visitor: &'static str, helpful: bool| {
        let (app, ours) = (&app, &ours);
        async move {
            let a = app
                .call(
                    Method::POST,
                    &format!("/api/v1/kb/articles/{ours}/feedback"),
                    None,
                    Some(json!({"helpful": helpful, "visitor": visitor, "comment": "não achei o menu"})),
                )
                .await;
            assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
            let article = app
                .call(
                    Method::GET,
                    &format!("/api/v1/kb/articles/{ours}"),
                    None,
                    None,
                )
                .await
                .body;
            (
                article["helpful_yes"].as_i64().unwrap(),
                article["helpful_no"].as_i64().unwrap(),
            )
        }
    };
    assert_eq!(vote("visitante-1", true).await, (1, 0));
    assert_eq!(
        vote("visitante-1", true).await,
        (1, 0),
        "the same vote again"
    );
    assert_eq!(vote("visitante-1", false).await, (0, 1), "changed its mind");
    assert_eq!(vote("visitante-2", false).await, (0, 2));
    // A signed-in user votes as themselves, whatever visitor id the browser sends.
    let rui = app.session_for(MEMBER_A).await;
    for visitor in ["a", "b"] {
        let a = app
            .call(
                Method::POST,
                &format!("/api/v1/kb/articles/{ours}/feedback"),
                Some(&rui),
                Some(json!({"helpful": true, "visitor": visitor})),
            )
            .await;
        assert_eq!(a.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(vote("visitante-2", false).await, (1, 2));
    // The analytics list it among the unhelpful, with the comments.
    let staff = app.session_for(AGENT).await;
    let an = app
        .call(Method::GET, "/api/v1/kb/analytics", Some(&staff), None)
        .await;
    let unhelpful = &an.body["unhelpful"][0];
    assert_eq!(unhelpful["slug"], ours.as_str());
    assert_eq!(unhelpful["helpful_no"], 2);
    assert_eq!(unhelpful["comments"].as_array().unwrap().len(), 2);
    assert_eq!(unhelpful["comments"][0]["comment"], "não achei o menu");
}

// ---------------------------------------------------------------------------------------------------------
// Curation (issue 7)

#[tokio::test]
async fn drafts_and_archived_articles_are_404_to_the_public_and_visible_to_staff() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let client = app.session_for(MANAGER_A).await;
    let draft = create(
        &app,
        &staff,
        "pt-BR",
        "Rascunho sobre o lacre",
        "Ainda escrevendo.",
        "draft",
    )
    .await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["revision"], 1);
    let path = format!("/api/v1/kb/articles/{}", slug(&draft));
    let status_for = |cookie: Option<String>| {
        let (app, path) = (&app, &path);
        async move {
            app.call(Method::GET, path, cookie.as_deref(), None)
                .await
                .status
        }
    };
    assert_eq!(status_for(None).await, StatusCode::NOT_FOUND);
    assert_eq!(
        status_for(Some(client.clone())).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status_for(Some(staff.clone())).await, StatusCode::OK);

    // The staff list shows it; the public list and search do not.
    let list = |query: &'static str, cookie: Option<String>| {
        let app = &app;
        async move {
            app.call(
                Method::GET,
                &format!("/api/v1/kb/articles?{query}"),
                cookie.as_deref(),
                None,
            )
            .await
        }
    };
    assert_eq!(
        list("status=draft", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        list("status=draft", Some(client.clone())).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        list("status=lixo", Some(staff.clone())).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let drafts = list("status=draft", Some(staff.clone())).await.body;
    assert_eq!(drafts["total"], 1);
    assert_eq!(drafts["items"][0]["id"], draft["id"]);
    assert_eq!(drafts["items"][0]["status"], "draft");
    let all = list("status=all&per_page=100", Some(staff.clone()))
        .await
        .body;
    assert!(all["total"].as_i64().unwrap() > 50);
    let public = list("per_page=100&locale=pt-BR", None).await.body;
    assert!(
        public["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != draft["id"])
    );
    assert!(slugs(&app, "rascunho lacre", "pt-BR").await.is_empty());

    // Archived: the same.
    let published = publish(&app, "pt-BR", "Artigo que será arquivado", "Texto.").await;
    let a = app
        .call(
            Method::DELETE,
            &format!("/api/v1/kb/articles/{}", published["id"]),
            Some(&staff),
            Some(json!({})),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let path = format!("/api/v1/kb/articles/{}", slug(&published));
    assert_eq!(
        app.call(Method::GET, &path, None, None).await.status,
        StatusCode::NOT_FOUND
    );
    let seen = app.call(Method::GET, &path, Some(&staff), None).await;
    assert_eq!(seen.body["status"], "archived", "never erased");
    let archived = list("status=archived", Some(staff.clone())).await.body;
    assert_eq!(archived["items"][0]["id"], published["id"]);
}

#[tokio::test]
async fn the_index_follows_every_change_at_once() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let found = |q: &'static str| {
        let app = &app;
        async move { slugs(app, q, "pt-BR").await }
    };
    // Create (draft): not searchable.
    let draft = create(
        &app,
        &staff,
        "pt-BR",
        "Lacre da balança",
        "Texto do lacre.",
        "draft",
    )
    .await;
    let ours = slug(&draft);
    assert!(found("lacre").await.is_empty());
    // Publish.
    let a = edit(&app, &staff, &draft, json!({"status": "published"})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(found("lacre").await, std::slice::from_ref(&ours));
    // Edit: the new words are found, the old ones are gone.
    let a = edit(
        &app,
        &staff,
        &a.body,
        json!({"title": "Etiqueta da balança", "body_md": "Texto da etiquetadora."}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.body["slug"],
        ours.as_str(),
        "the slug stays, links keep working"
    );
    assert!(found("lacre").await.is_empty());
    assert!(found("etiquetadora balanca").await.contains(&ours));
    // Archive.
    let id = a.body["id"].as_i64().unwrap();
    let archive = app
        .call(
            Method::DELETE,
            &format!("/api/v1/kb/articles/{id}"),
            Some(&staff),
            Some(json!({})),
        )
        .await;
    assert_eq!(archive.status, StatusCode::NO_CONTENT);
    assert!(!found("etiquetadora balanca").await.contains(&ours));
    // Published again from the archive.
    let archived = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{ours}"),
            Some(&staff),
            None,
        )
        .await
        .body;
    let a = edit(&app, &staff, &archived, json!({"status": "published"})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(found("etiquetadora balanca").await.contains(&ours));
    // Restore the first revision: its text is searchable again, the later text is not.
    let a = app
        .call(
            Method::POST,
            &format!("/api/v1/kb/articles/{id}/revisions/1/restore"),
            Some(&staff),
            Some(json!({})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        a.body["status"], "published",
        "restoring brings the text back, not the draft status"
    );
    assert_eq!(found("lacre").await, std::slice::from_ref(&ours));
    assert!(!found("etiquetadora").await.contains(&ours));
}

#[tokio::test]
async fn a_stale_revision_is_409_with_the_current_article() {
    let app = TestApp::new().await;
    let carla = app.session_for(AGENT).await;
    let diego = app.session_for("diego@suporte.demo").await;
    let original = publish(&app, "pt-BR", "Lacre da balança", "Primeiro texto.").await;
    let first = edit(
        &app,
        &carla,
        &original,
        json!({"body_md": "Texto da Carla."}),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["revision"], 2);
    // Diego started from revision 1 too.
    let second = edit(
        &app,
        &diego,
        &original,
        json!({"body_md": "Texto do Diego."}),
    )
    .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    assert_eq!(
        second.headers.get("content-type").unwrap(),
        "application/problem+json"
    );
    assert_eq!(second.body["code"], "stale_revision");
    assert_eq!(second.body["current"]["revision"], 2);
    assert_eq!(second.body["current"]["body_md"], "Texto da Carla.");
    assert!(second.body["detail"].as_str().unwrap().contains('2'));
    // Nothing of Diego's was saved; from the current revision his edit goes through.
    let now = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{}", slug(&original)),
            None,
            None,
        )
        .await;
    assert_eq!(now.body["body_md"], "Texto da Carla.");
    let retry = edit(
        &app,
        &diego,
        &second.body["current"],
        json!({"body_md": "Texto do Diego."}),
    )
    .await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.body["revision"], 3);
}

#[tokio::test]
async fn revisions_are_listed_viewed_and_restored_as_a_new_revision() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let v1 = publish(&app, "pt-BR", "Lacre da balança", "Versão **um**.").await;
    let id = v1["id"].as_i64().unwrap();
    let v2 = edit(
        &app,
        &staff,
        &v1,
        json!({"title": "Lacre da balança (revisado)", "body_md": "Versão dois."}),
    )
    .await;
    let v3 = edit(&app, &staff, &v2.body, json!({"body_md": "Versão três."})).await;
    assert_eq!(v3.body["revision"], 3);

    let list = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{id}/revisions"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let revisions: Vec<i64> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(revisions, [3, 2, 1], "newest first");
    assert_eq!(list.body[0]["author"]["name"], "Carla Mendes");
    assert_eq!(list.body[2]["title"], "Lacre da balança");

    let one = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{id}/revisions/1"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["body_md"], "Versão **um**.");
    assert!(
        one.body["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>um</strong>")
    );

    let restored = app
        .call(
            Method::POST,
            &format!("/api/v1/kb/articles/{id}/revisions/1/restore"),
            Some(&staff),
            Some(json!({})),
        )
        .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.body);
    assert_eq!(
        restored.body["revision"], 4,
        "restoring makes a new revision"
    );
    assert_eq!(restored.body["title"], "Lacre da balança");
    assert_eq!(restored.body["body_md"], "Versão **um**.");
    let list = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{id}/revisions"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(
        list.body.as_array().unwrap().len(),
        4,
        "no revision is lost"
    );

    for path in [
        format!("/api/v1/kb/articles/{id}/revisions/99"),
        "/api/v1/kb/articles/999999/revisions".to_string(),
    ] {
        let a = app.call(Method::GET, &path, Some(&staff), None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
    }
    let a = app
        .call(
            Method::POST,
            &format!("/api/v1/kb/articles/{id}/revisions/99/restore"),
            Some(&staff),
            Some(json!({})),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn article_fields_are_validated_with_localized_messages() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let body = json!({"title": "t".repeat(201), "body_md": "b".repeat(100_001), "category_id": 999_999,
        "locale": "fr", "tags": []});
    for (lang, expected) in [("pt-BR", "no máximo 200"), ("en", "at most 200")] {
        let req = Request::post("/api/v1/kb/articles")
            .header("cookie", &staff)
            .header("content-type", "application/json")
            .header("accept-language", lang)
            .body(Body::from(body.to_string()))
            .unwrap();
        let a = app.send(req).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        let errors = a.body["errors"].as_array().unwrap();
        let fields: Vec<&str> = errors
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["title", "body_md", "locale", "category_id"]);
        assert!(
            errors[0]["message"].as_str().unwrap().contains(expected),
            "{lang}: {}",
            a.body
        );
    }
    // A category of the other language, and a translation in the same language.
    let en_category = category(&app, "en").await;
    let nfe = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{NFE_SLUG}"),
            None,
            None,
        )
        .await
        .body;
    let a = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(&staff),
            Some(json!({"title": "Título", "body_md": "Texto", "category_id": en_category, "locale": "pt-BR",
                "translation_of": nfe["id"]})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = a.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["category_id", "translation_of"]);
    // Missing fields and unknown ones.
    let a = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(&staff),
            Some(json!({"title": "Só título"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(&staff),
            Some(json!({"title": "T", "body_md": "B", "category_id": 1, "locale": "pt-BR", "slug": "meu"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn slugs_are_made_from_titles_folded_and_unique() {
    let app = TestApp::new().await;
    let a = publish(
        &app,
        "pt-BR",
        "Emissão de Boleto — Passo a passo!",
        "Texto.",
    )
    .await;
    let b = publish(
        &app,
        "pt-BR",
        "Emissão de boleto: passo a passo",
        "Outro texto.",
    )
    .await;
    assert_eq!(a["slug"], "emissao-de-boleto-passo-a-passo");
    assert_eq!(b["slug"], "emissao-de-boleto-passo-a-passo-2");
}

#[tokio::test]
async fn translations_are_linked_both_ways() {
    let app = TestApp::new().await;
    let pt = publish(&app, "pt-BR", "Reimpressão do lacre da balança", "Texto.").await;
    let category_id = category(&app, "en").await;
    let staff = app.session_for(AGENT).await;
    let en = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(&staff),
            Some(json!({"title": "Reprinting the scale seal", "body_md": "Text.", "category_id": category_id,
                "locale": "en", "status": "published", "translation_of": pt["id"]})),
        )
        .await;
    assert_eq!(en.status, StatusCode::CREATED, "{}", en.body);
    assert_eq!(
        en.body["translations"],
        json!([{"locale": "pt-BR", "slug": pt["slug"]}])
    );
    let pt_now = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{}", slug(&pt)),
            None,
            None,
        )
        .await;
    assert_eq!(
        pt_now.body["translations"],
        json!([{"locale": "en", "slug": en.body["slug"]}])
    );
}

#[tokio::test]
async fn categories_are_created_renamed_and_reordered() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let a = app
        .call(
            Method::POST,
            "/api/v1/kb/categories",
            Some(&staff),
            Some(json!({"name": "Balanças e Lacres", "description": "Tudo sobre lacres.", "locale": "pt-BR", "position": 11})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["slug"], "balancas-e-lacres");
    let id = a.body["id"].as_i64().unwrap();
    let a = app
        .call(
            Method::PUT,
            &format!("/api/v1/kb/categories/{id}"),
            Some(&staff),
            Some(json!({"name": "Balanças", "description": "", "locale": "pt-BR", "position": 0})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["name"], "Balanças");
    assert_eq!(
        a.body["slug"], "balancas-e-lacres",
        "renaming keeps the slug"
    );
    let listed = app
        .call(
            Method::GET,
            "/api/v1/kb/categories?locale=pt-BR",
            None,
            None,
        )
        .await;
    assert_eq!(listed.body[0]["id"], id, "position 0 comes first");
    // A taken slug, a bad one, an unknown category.
    for (body, field) in [
        (
            json!({"slug": "notas-fiscais", "name": "X", "locale": "pt-BR"}),
            "slug",
        ),
        (
            json!({"slug": "Com Espaço", "name": "X", "locale": "pt-BR"}),
            "slug",
        ),
        (json!({"name": "", "locale": "xx"}), "name"),
    ] {
        let a = app
            .call(
                Method::POST,
                "/api/v1/kb/categories",
                Some(&staff),
                Some(body),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(a.body["errors"][0]["field"], field);
    }
    let a = app
        .call(
            Method::PUT,
            "/api/v1/kb/categories/999999",
            Some(&staff),
            Some(json!({"name": "X", "locale": "pt-BR"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_preview_is_rendered_and_sanitized_as_published() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let a = app
        .call(
            Method::POST,
            "/api/v1/kb/preview",
            Some(&staff),
            Some(json!({"body_md": "## Passo\n\n**Abra** <script>alert(1)</script>[x](javascript:alert(2))"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.body["html"].as_str().unwrap();
    assert!(
        html.contains("<h2>Passo</h2>") && html.contains("<strong>Abra</strong>"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
}

#[tokio::test]
async fn analytics_report_deflection_of_client_searches() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let an = app
        .call(Method::GET, "/api/v1/kb/analytics", Some(&staff), None)
        .await;
    assert_eq!(an.body["days"], 30);
    assert_eq!(an.body["searches"], 0);
    assert_eq!(
        an.body["deflection_percent"],
        Value::Null,
        "no client searched yet"
    );
    assert!(!an.body["articles"].as_array().unwrap().is_empty());
    // A client searches (anonymous searches do not count for deflection; staff searches are not recorded).
    let client = app.session_for(MANAGER_A).await;
    for cookie in [Some(client.as_str()), None, Some(staff.as_str())] {
        app.call(Method::GET, "/api/v1/kb/search?q=sangria", cookie, None)
            .await;
    }
    let an = app
        .call(
            Method::GET,
            "/api/v1/kb/analytics?days=7",
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(an.body["searches"], 2);
    assert_eq!(
        an.body["deflection_percent"], 100.0,
        "no ticket followed it"
    );
    for days in ["0", "366", "abc"] {
        let a = app
            .call(
                Method::GET,
                &format!("/api/v1/kb/analytics?days={days}"),
                Some(&staff),
                None,
            )
            .await;
        assert!(a.status.is_client_error(), "{days}: {}", a.status);
    }
}

#[tokio::test]
async fn deflection_counts_client_searches_followed_by_their_own_ticket() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let ana = app.session_for(MANAGER_A).await;
    // Three clients search; only Ana then opens a ticket (Rui, of her organization, does not count as hers).
    for client in [MANAGER_A, CLIENT_B, MEMBER_A] {
        let cookie = app.session_for(client).await;
        let a = app
            .call(
                Method::GET,
                "/api/v1/kb/search?q=balan%C3%A7a%20zerada",
                Some(&cookie),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK);
    }
    let t = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            Some(&ana),
            Some(json!({"subject": "Balança zerada", "description": "Não achei a resposta."})),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    let an = app
        .call(
            Method::GET,
            "/api/v1/kb/analytics?days=1",
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(an.status, StatusCode::OK);
    assert_eq!(an.body["searches"], 3);
    assert_eq!(
        an.body["deflection_percent"], 66.7,
        "two of three searches were not followed by a ticket: {}",
        an.body
    );
}

async fn plain(app: &TestApp, path: &str, host: &str) -> (StatusCode, String, String) {
    let a = app
        .send(
            Request::get(path)
                .header("host", host)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let content_type = a.headers[axum::http::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    (
        a.status,
        content_type,
        a.body.as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn the_sitemap_lists_every_published_article_in_both_languages_and_robots_names_it() {
    let app = TestApp::new().await;
    let staff = app.session_for(AGENT).await;
    let (status, content_type, xml) = plain(&app, "/sitemap.xml", "suporte.example.com").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        content_type.starts_with("application/xml"),
        "{content_type}"
    );
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains(&format!(
        "<loc>http://suporte.example.com/kb/{NFE_SLUG}</loc>"
    )));
    // An English article and its Portuguese original name each other.
    assert!(
        xml.contains("<loc>http://suporte.example.com/kb/checkout-terminal-in-offline-mode</loc>")
    );
    assert!(xml.contains(
        "<xhtml:link rel=\"alternate\" hreflang=\"pt-BR\" href=\"http://suporte.example.com/kb/pdv-em-modo-offline\"/>"
    ));
    assert!(
        xml.contains("<loc>http://suporte.example.com/kb/c/"),
        "categories"
    );
    let published: i64 = portal_api::db::sql::query_scalar(
        "SELECT COUNT(*) FROM kb_articles WHERE status = 'published'",
    )
    .fetch_one(&app.repo.pool)
    .await
    .unwrap();
    assert_eq!(
        xml.matches("<lastmod>").count() as i64,
        published,
        "one entry per published article"
    );

    // A draft is not listed; archiving takes an article out.
    let draft = app
        .call(
            Method::POST,
            "/api/v1/kb/articles",
            Some(&staff),
            Some(json!({"title": "Rascunho sobre gaveta de dinheiro", "body_md": "Ainda em escrita.",
                "category_id": category(&app, "pt-BR").await, "locale": "pt-BR", "tags": [], "status": "draft"})),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED);
    let nfe = app
        .call(
            Method::GET,
            &format!("/api/v1/kb/articles/{NFE_SLUG}"),
            None,
            None,
        )
        .await;
    let gone = app
        .call(
            Method::DELETE,
            &format!("/api/v1/kb/articles/{}", nfe.body["id"]),
            Some(&staff),
            Some(json!({})),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let (_, _, xml) = plain(&app, "/sitemap.xml", "suporte.example.com").await;
    assert!(!xml.contains(draft.body["slug"].as_str().unwrap()));
    assert!(!xml.contains(NFE_SLUG));

    let (status, content_type, robots) = plain(&app, "/robots.txt", "suporte.example.com").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/plain"));
    assert!(robots.contains("Disallow: /tickets\n"));
    assert!(robots.contains("Disallow: /staff\n"));
    assert!(robots.contains("Disallow: /api/\n"));
    assert!(robots.contains("Sitemap: http://suporte.example.com/sitemap.xml\n"));

    // The configured public address wins over the request's host, which could be anything.
    let app = TestApp::with_config(portal_api::Config {
        public_url: Some("https://ajuda.example.com".into()),
        ..portal_api::Config::default()
    })
    .await;
    let (_, _, robots) = plain(&app, "/robots.txt", "evil.example").await;
    assert!(robots.contains("Sitemap: https://ajuda.example.com/sitemap.xml\n"));
    let (_, _, xml) = plain(&app, "/sitemap.xml", "evil.example").await;
    assert!(xml.contains("<loc>https://ajuda.example.com/kb/"));
    assert!(!xml.contains("evil.example"));
}
