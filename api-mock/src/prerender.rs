//! The answer on screen before the WebAssembly: the page the server gives for a published article
//! (`/kb/<slug>`) or a category (`/kb/c/<slug>`) carries its title, meta description, canonical link (with
//! the translation as an `hreflang` alternate) and content, so that a phone shows the answer while the app
//! loads and a search engine indexes it. The app mounts hidden beside it and swaps itself in when its own
//! view of the page is ready (`src/main.rs`), in one step, so nothing on screen moves. The home page
//! (`/` without a search) comes the same way, in the reader's language: its search form, the categories
//! and the most viewed articles.
//!
//! A page made here is no article view: the app's own read of the article, once it runs, is the one
//! counted.

use api_types::{Article, ArticleSummary, Category};

use crate::{AppState, markdown::escape};

/// What goes into the app's `index.html` for one page.
#[derive(Debug, Clone, PartialEq)]
pub struct Prerendered {
    pub lang: String,
    pub title: String,
    pub description: String,
    /// Absolute address of the page, and of its translations (`hreflang`, address).
    pub canonical: String,
    pub alternates: Vec<(String, String)>,
    /// The page's content, inside `<main>`.
    pub main_html: String,
}

/// Whether the address is the home page with a search (`?q=`): its answer is the app's, not a copy.
pub fn is_search(path: &str, query: Option<&str>) -> bool {
    path == "/"
        && query
            .unwrap_or("")
            .split('&')
            .any(|pair| pair.strip_prefix("q=").is_some_and(|q| !q.is_empty()))
}

/// The page for `path`, when it is the home page (see `is_search`), a published article or a category
/// with published articles. `lang` is the reader's (the home page has none of its own).
pub async fn page(state: &AppState, path: &str, lang: &str, base: &str) -> Option<Prerendered> {
    if path == "/" {
        return home(state, lang, base).await;
    }
    let rest = path.strip_prefix("/kb/")?;
    match rest.strip_prefix("c/") {
        Some(slug) => category(state, slug, base).await,
        None => article(state, rest, base).await,
    }
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 200
        && slug
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The few words of the page around the content, in the page's language.
struct Chrome {
    app: &'static str,
    home: &'static str,
    trail: &'static str,
    updated: &'static str,
}

fn chrome(lang: &str) -> Chrome {
    if lang.starts_with("en") {
        Chrome {
            app: "Support Portal",
            home: "Home",
            trail: "You are here",
            updated: "Updated",
        }
    } else {
        Chrome {
            app: "Portal de Suporte",
            home: "Início",
            trail: "Você está em",
            updated: "Atualizado em",
        }
    }
}

fn breadcrumbs(c: &Chrome, links: &[(&str, String)], current: &str) -> String {
    let mut html = format!(
        r#"<nav aria-label="{}"><ol class="breadcrumbs"><li><a href="/">{}</a></li>"#,
        c.trail, c.home
    );
    for (label, href) in links {
        html.push_str(&format!(
            r#"<li><a href="{}">{}</a></li>"#,
            escape(href),
            escape(label)
        ));
    }
    html.push_str(&format!(
        r#"<li aria-current="page">{}</li></ol></nav>"#,
        escape(current)
    ));
    html
}

async fn article(state: &AppState, slug: &str, base: &str) -> Option<Prerendered> {
    if !valid_slug(slug) {
        return None;
    }
    let cached = state.repo.published_article(slug).await.ok()??;
    Some(article_page(&cached, base))
}

pub fn article_page(a: &Article, base: &str) -> Prerendered {
    let c = chrome(&a.locale);
    let updated = a.updated_at.format("%Y-%m-%d %H:%M UTC");
    let main_html = format!(
        r#"{crumbs}<article class="page article" lang="{lang}"><h1>{title}</h1><p class="muted article-meta">{label} <time datetime="{iso}">{updated}</time></p><div class="article-body">{body}</div></article>"#,
        crumbs = breadcrumbs(
            &c,
            &[(&a.category.name, format!("/kb/c/{}", a.category.slug))],
            &a.title
        ),
        lang = escape(&a.locale),
        title = escape(&a.title),
        label = c.updated,
        // As the app writes it (`src/time.rs`): to the second, in UTC.
        iso = a
            .updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        // Rendered from Markdown and cleaned (ammonia) when the article was saved.
        body = a.body_html,
    );
    Prerendered {
        lang: a.locale.clone(),
        title: format!("{} — {}", a.title, c.app),
        description: a.summary.clone(),
        canonical: format!("{base}/kb/{}", a.slug),
        alternates: a
            .translations
            .iter()
            .filter(|t| t.locale != a.locale)
            .map(|t| (t.locale.clone(), format!("{base}/kb/{}", t.slug)))
            .collect(),
        main_html,
    }
}

async fn category(state: &AppState, slug: &str, base: &str) -> Option<Prerendered> {
    if !valid_slug(slug) {
        return None;
    }
    let mut found = None;
    for locale in ["pt-BR", "en"] {
        let categories = state.repo.categories(locale).await.ok()?;
        if let Some(c) = categories.iter().find(|c| c.slug == slug) {
            found = Some(c.clone());
            break;
        }
    }
    let category = found?;
    let (articles, _) = state
        .repo
        .published_articles(Some(slug), None, false, 100, 0)
        .await
        .ok()?;
    if articles.is_empty() {
        return None;
    }
    Some(category_page(&category, &articles, base))
}

/// A list of articles as the app draws it (`ArticleList`).
fn article_list(articles: &[ArticleSummary]) -> String {
    let items: String = articles
        .iter()
        .map(|a| {
            format!(
                r#"<li class="card"><a href="/kb/{}" class="article-link">{}</a><p class="muted">{}</p></li>"#,
                escape(&a.slug),
                escape(&a.title),
                escape(&a.summary)
            )
        })
        .collect();
    format!(r#"<ul class="plain-list article-list">{items}</ul>"#)
}

pub fn category_page(cat: &Category, articles: &[ArticleSummary], base: &str) -> Prerendered {
    let c = chrome(&cat.locale);
    let items = article_list(articles);
    let main_html = format!(
        r#"{crumbs}<section class="page"><h1>{name}</h1><p class="lead">{description}</p>{items}</section>"#,
        crumbs = breadcrumbs(&c, &[], &cat.name),
        name = escape(&cat.name),
        description = escape(&cat.description),
    );
    Prerendered {
        lang: cat.locale.clone(),
        title: format!("{} — {}", cat.name, c.app),
        description: cat.description.clone(),
        canonical: format!("{base}/kb/c/{}", cat.slug),
        alternates: Vec::new(),
        main_html,
    }
}

/// The app's own words (its locale files, so that the copy says what the app will say), by key.
fn word(lang: &str, key: &str) -> String {
    static WORDS: std::sync::LazyLock<[std::collections::HashMap<String, String>; 2]> =
        std::sync::LazyLock::new(|| {
            let parse = |json: &str| serde_json::from_str(json).unwrap_or_default();
            [
                parse(include_str!("../../src/i18n/pt-BR.json")),
                parse(include_str!("../../src/i18n/en.json")),
            ]
        });
    let words = &WORDS[usize::from(lang.starts_with("en"))];
    escape(words.get(key).map_or(key, String::as_str))
}

/// The knowledge base's start (the app's `Home` without a search): its search form (a plain form here,
/// which the app's page answers when used before the app is ready), the categories with articles and
/// the most viewed articles.
async fn home(state: &AppState, lang: &str, base: &str) -> Option<Prerendered> {
    let categories = state.repo.categories(lang).await.ok()?;
    let (popular, _) = state
        .repo
        .published_articles(None, Some(lang), true, 6, 0)
        .await
        .ok()?;
    Some(home_page(lang, &categories.value, &popular, base))
}

pub fn home_page(
    lang: &str,
    categories: &[Category],
    popular: &[ArticleSummary],
    base: &str,
) -> Prerendered {
    let w = |key| word(lang, key);
    let cards: String = categories
        .iter()
        .filter(|c| c.article_count > 0)
        .map(|c| {
            format!(
                r#"<li class="card"><a href="/kb/c/{slug}" class="category-link">{name}</a><p class="muted">{description}</p><p class="count">{count}</p></li>"#,
                slug = escape(&c.slug),
                name = escape(&c.name),
                description = escape(&c.description),
                count = w("kb.article_count").replace("{count}", &c.article_count.to_string()),
            )
        })
        .collect();
    let main_html = format!(
        r#"<section class="hero"><h1>{title}</h1><p class="lead">{lead}</p><form role="search" class="search-form" action="/" method="get"><label for="kb-search-copy" class="search-label">{label}</label><input id="kb-search-copy" name="q" type="search" class="search-input" autofocus autocomplete="off" spellcheck="false" aria-describedby="kb-search-copy-hint" placeholder="{placeholder}"><p id="kb-search-copy-hint" class="hint">{hint}</p></form></section><div class="browse"><section aria-labelledby="kb-categories-copy"><h2 id="kb-categories-copy">{categories}</h2><ul class="category-grid plain-list">{cards}</ul></section><section aria-labelledby="kb-popular-copy"><h2 id="kb-popular-copy">{popular_title}</h2>{popular}</section></div>"#,
        title = w("home.title"),
        lead = w("home.lead"),
        label = w("kb.search_label"),
        placeholder = w("kb.search_placeholder"),
        hint = w("kb.search_hint"),
        categories = w("kb.categories"),
        popular_title = w("kb.popular"),
        popular = article_list(popular),
    );
    Prerendered {
        lang: lang.to_string(),
        title: w("app.name"),
        description: w("home.lead"),
        canonical: format!("{base}/"),
        alternates: Vec::new(),
        main_html,
    }
}

/// `index` (the app's page) with `p` in it: the language, title, description and links in the head, the
/// content first in the body. `None` when the page does not have the expected shape (then it is served
/// as it is).
pub fn inject(index: &str, p: &Prerendered) -> Option<String> {
    let c = chrome(&p.lang);
    let mut html = index.to_string();
    // <html lang="…">
    let lang_at = html.find("<html lang=\"")? + "<html lang=\"".len();
    let lang_end = lang_at + html[lang_at..].find('"')?;
    html.replace_range(lang_at..lang_end, &escape(&p.lang));
    // <title>…</title>
    let title_at = html.find("<title>")? + "<title>".len();
    let title_end = title_at + html[title_at..].find("</title>")?;
    html.replace_range(title_at..title_end, &escape(&p.title));
    // <meta name="description" content="…">
    let marker = "<meta name=\"description\" content=\"";
    let desc_at = html.find(marker)? + marker.len();
    let desc_end = desc_at + html[desc_at..].find('"')?;
    html.replace_range(desc_at..desc_end, &escape(&p.description));
    let mut links = format!("<link rel=\"canonical\" href=\"{}\">", escape(&p.canonical));
    for (lang, href) in &p.alternates {
        links.push_str(&format!(
            "<link rel=\"alternate\" hreflang=\"{}\" href=\"{}\">",
            escape(lang),
            escape(href)
        ));
    }
    // No WebAssembly preload: on a page that is already on screen, the app's download starts after the
    // first frame (the page's loader waits for it, see Trunk.toml), and does not compete with the page.
    let mut from = 0;
    while let Some(found) = html[from..].find("<link rel=\"preload\"") {
        let at = from + found;
        let end = at + html[at..].find('>')? + 1;
        if html[at..end].contains(".wasm") {
            html.replace_range(at..end, "");
            from = at;
        } else {
            from = end;
        }
    }
    let head_end = html.find("</head>")?;
    html.insert_str(head_end, &links);
    let body_at = html.find("<body>")? + "<body>".len();
    let content = format!(
        r#"<div id="prerender"><header class="site-header"><div class="container header-row"><a href="/" class="brand">{app}</a></div></header><main class="container">{main}</main></div>"#,
        app = c.app,
        main = p.main_html
    );
    html.insert_str(body_at, &content);
    Some(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "<!doctype html><html lang=\"pt-BR\"><head><meta name=\"description\" content=\"Portal\"><title>Portal de Suporte</title><link rel=\"modulepreload\" href=\"/p.js\"><link rel=\"preload\" href=\"/p_bg.wasm\" as=\"fetch\" type=\"application/wasm\"></head><body><noscript>x</noscript></body></html>";

    fn prerendered() -> Prerendered {
        Prerendered {
            lang: "en".into(),
            title: "Error <539> — Support Portal".into(),
            description: "What \"539\" means".into(),
            canonical: "https://help.example/kb/error-539".into(),
            alternates: vec![("pt-BR".into(), "https://help.example/kb/erro-539".into())],
            main_html: "<h1>Error &lt;539&gt;</h1>".into(),
        }
    }

    #[test]
    fn the_head_and_body_carry_the_page_escaped() {
        let html = inject(INDEX, &prerendered()).unwrap();
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("<title>Error &lt;539&gt; — Support Portal</title>"));
        assert!(html.contains("content=\"What &quot;539&quot; means\""));
        assert!(
            html.contains("<link rel=\"canonical\" href=\"https://help.example/kb/error-539\">")
        );
        assert!(html.contains(
            "<link rel=\"alternate\" hreflang=\"pt-BR\" href=\"https://help.example/kb/erro-539\">"
        ));
        let body = &html[html.find("<body>").unwrap()..];
        assert!(body.starts_with("<body><div id=\"prerender\">"));
        assert!(body.contains("<main class=\"container\"><h1>Error &lt;539&gt;</h1></main>"));
        assert!(body.contains("<noscript>x</noscript>"), "the rest is kept");
        assert!(!html.contains("p_bg.wasm"), "no WebAssembly preload");
        assert!(html.contains(r#"<link rel="modulepreload" href="/p.js">"#));
    }

    #[test]
    fn the_home_page_has_the_apps_words_the_categories_with_articles_and_the_most_viewed() {
        let category = |slug: &str, count: i64| Category {
            id: 1,
            slug: slug.into(),
            locale: "en".into(),
            name: format!("Name <{slug}>"),
            description: "About it".into(),
            position: 0,
            article_count: count,
        };
        let popular = ArticleSummary {
            id: 7,
            slug: "error-539".into(),
            locale: "en".into(),
            title: "Error 539".into(),
            summary: "What it means".into(),
            category: api_types::CategoryRef {
                id: 1,
                slug: "fiscal".into(),
                name: "Fiscal".into(),
            },
            updated_at: chrono::DateTime::UNIX_EPOCH,
            views: 3,
            status: None,
            helpful_yes: 0,
            helpful_no: 0,
        };
        let page = home_page(
            "en",
            &[category("fiscal", 2), category("empty", 0)],
            &[popular],
            "https://help.example",
        );
        assert_eq!(page.title, "Support Portal");
        assert_eq!(page.canonical, "https://help.example/");
        let html = &page.main_html;
        assert!(html.contains("<h1>How can we help?</h1>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="/kb/c/fiscal" class="category-link">Name &lt;fiscal&gt;</a>"#
            )
        );
        assert!(html.contains(r#"<p class="count">2 article(s)</p>"#));
        assert!(
            !html.contains("/kb/c/empty"),
            "a category without articles is not shown"
        );
        assert!(html.contains(r#"<h2 id="kb-popular-copy">Most viewed</h2>"#));
        assert!(html.contains(r#"<a href="/kb/error-539" class="article-link">Error 539</a>"#));
        assert!(html.contains(r#"action="/" method="get""#) && html.contains(r#"name="q""#));
        let pt = home_page("pt-BR", &[], &[], "https://help.example");
        assert!(pt.main_html.contains("<h1>Como podemos ajudar?</h1>"));
        assert_eq!(pt.title, "Portal de Suporte");
    }

    #[test]
    fn a_page_of_another_shape_is_left_alone() {
        assert_eq!(inject("<html><body></body></html>", &prerendered()), None);
    }

    #[test]
    fn a_search_on_the_home_page_is_no_copy() {
        assert!(is_search("/", Some("q=sangria")));
        assert!(is_search("/", Some("utm=x&q=nf")));
        assert!(!is_search("/", Some("q=")));
        assert!(!is_search("/", None));
        assert!(!is_search("/kb/x", Some("q=a")));
    }

    #[test]
    fn only_plain_slugs_are_looked_up() {
        assert!(valid_slug("nfc-e-rejeicao-539"));
        for bad in ["", "a/b", "a b", "<x>", "..", &"a".repeat(201)] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }
}
