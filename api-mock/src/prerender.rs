//! The answer on screen before the WebAssembly: the page the server gives for a published article
//! (`/kb/<slug>`) or a category (`/kb/c/<slug>`) carries its title, meta description, canonical link (with
//! the translation as an `hreflang` alternate) and content, so that a phone shows the answer while the app
//! loads and a search engine indexes it. The app mounts hidden beside it and swaps itself in when its own
//! view of the page is ready (`src/main.rs`), in one step, so nothing on screen moves.
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

/// The page for `path`, when it is a published article or a category with published articles.
pub async fn page(state: &AppState, path: &str, base: &str) -> Option<Prerendered> {
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
        iso = a.updated_at.to_rfc3339(),
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

pub fn category_page(cat: &Category, articles: &[ArticleSummary], base: &str) -> Prerendered {
    let c = chrome(&cat.locale);
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
    let main_html = format!(
        r#"{crumbs}<section class="page"><h1>{name}</h1><p class="lead">{description}</p><ul class="plain-list article-list">{items}</ul></section>"#,
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

    const INDEX: &str = "<!doctype html><html lang=\"pt-BR\"><head><meta name=\"description\" content=\"Portal\"><title>Portal de Suporte</title></head><body><noscript>x</noscript></body></html>";

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
    }

    #[test]
    fn a_page_of_another_shape_is_left_alone() {
        assert_eq!(inject("<html><body></body></html>", &prerendered()), None);
    }

    #[test]
    fn only_plain_slugs_are_looked_up() {
        assert!(valid_slug("nfc-e-rejeicao-539"));
        for bad in ["", "a/b", "a b", "<x>", "..", &"a".repeat(201)] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }
}
