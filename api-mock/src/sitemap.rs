//! `GET /sitemap.xml` and `GET /robots.txt`: search engines index the knowledge base, so that a client who
//! searches the web for an error message finds the answer here. Every published article in both
//! languages (with its translation as an `hreflang` alternate) and every category with articles; the
//! private pages (tickets, staff, the API) are kept out of crawling.

use std::collections::HashMap;

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};

use crate::{AppState, auth, error::Result, markdown::escape};

/// The most URLs one sitemap file may list (sitemaps.org).
pub const MAX_URLS: usize = 50_000;

/// The portal's address as the world reaches it: `--public-url`, else this request's host.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if auth::is_https(state.config.secure_cookies, headers) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

fn text(body: String, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

#[utoipa::path(get, path = "/sitemap.xml", tag = "health",
    description = "Every published article (both languages, each translation as an `hreflang` alternate) and every \
        category with articles, as a sitemaps.org sitemap with absolute URLs (`--public-url`, else the request's \
        host). Served at `/sitemap.xml`, outside `/api/v1`.",
    servers((url = "/")),
    responses((status = 200, content_type = "application/xml", body = String)))]
pub async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    let base = base_url(&state, &headers);
    let (articles, categories) = state.repo.sitemap_entries(MAX_URLS).await?;
    let mut groups: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, a) in articles.iter().enumerate() {
        groups.entry(a.group).or_default().push(i);
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    let loc = |path: &str, slug: &str| escape(&format!("{base}{path}{slug}"));
    for a in &articles {
        xml.push_str(&format!(
            "<url><loc>{}</loc><lastmod>{}</lastmod>",
            loc("/kb/", &a.slug),
            a.updated.format("%Y-%m-%d")
        ));
        let versions = &groups[&a.group];
        if versions.len() > 1 {
            for &v in versions {
                let other = &articles[v];
                xml.push_str(&format!(
                    "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
                    escape(&other.locale),
                    loc("/kb/", &other.slug)
                ));
            }
        }
        xml.push_str("</url>\n");
    }
    for slug in categories
        .iter()
        .take(MAX_URLS.saturating_sub(articles.len()))
    {
        xml.push_str(&format!("<url><loc>{}</loc></url>\n", loc("/kb/c/", slug)));
    }
    xml.push_str("</urlset>\n");
    Ok(text(xml, "application/xml; charset=utf-8"))
}

#[utoipa::path(get, path = "/robots.txt", tag = "health",
    description = "Crawlers may read the knowledge base; tickets, staff pages, sign-in and the API are kept out. \
        Names the sitemap. Served at `/robots.txt`, outside `/api/v1`.",
    servers((url = "/")),
    responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = base_url(&state, &headers);
    text(
        format!(
            "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /tickets\nDisallow: /staff\nDisallow: /login\n\
             Disallow: /account\n\nSitemap: {base}/sitemap.xml\n"
        ),
        "text/plain; charset=utf-8",
    )
}
