//! The HTTP service around the API: security headers, the JSON-only rule, body cap, compression,
//! `/healthz`, the OpenAPI document, and the built portal (from memory, see `assets`) with fallback to
//! `index.html`.

use std::sync::Arc;

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::{
    CompressionLevel, compression::CompressionLayer, timeout::RequestBodyTimeoutLayer,
    trace::TraceLayer,
};

use crate::{AppState, error::Error, extract, representation::Representation};

pub const BODY_LIMIT: usize = 1024 * 1024;
pub const BODY_PAUSE_MAX: std::time::Duration = std::time::Duration::from_secs(10);
pub const REQUEST_TIME_MAX: std::time::Duration = std::time::Duration::from_secs(30);
pub const UPLOAD_TIME_MAX: std::time::Duration = std::time::Duration::from_secs(600);

pub fn router(state: AppState) -> Router {
    let (api, openapi) = crate::openapi::split();
    let openapi = Arc::new(openapi);
    let api = api
        .route(
            "/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(|| async { Error::NotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(middleware::from_fn(extract::require_json))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));

    let assets = state.assets.clone();
    let no_app_csp = content_security_policy_for("");
    let mut app = Router::new()
        .nest("/api/v1", api)
        // Anything else under /api is an API 404, never the app's HTML.
        .route("/api", get(api_not_found).fallback(api_not_found))
        .route("/api/{*rest}", get(api_not_found).fallback(api_not_found))
        .route("/healthz", get(crate::routes::health::healthz))
        .route("/metrics", get(crate::metrics::scrape))
        .route("/sitemap.xml", get(crate::sitemap::sitemap))
        .route("/robots.txt", get(crate::sitemap::robots));

    if assets.is_some() {
        app = app
            .fallback(app_file_or_page)
            .layer(middleware::from_fn(cache_headers));
    }

    app.layer(middleware::from_fn_with_state(
        state.clone(),
        crate::metrics::track,
    ))
    .layer(middleware::from_fn(crate::lang::middleware))
    .layer(middleware::from_fn(move |req: Request, next: Next| {
        // The policy names the inline script of the index.html being served now.
        let csp = assets
            .as_ref()
            .map_or_else(|| no_app_csp.clone(), |a| a.csp());
        async move { security_headers(req, next, &csp).await }
    }))
    // Answers made per request are compressed at the fastest level: at brotli's default level the
    // compression of one article took more CPU than the rest of its request. Cached answers and the app's
    // files come compressed at a high level already (see `representation`) and pass through.
    .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
    // A body must keep coming (no pause over 10 s between its pieces), and a whole request ends within
    // 30 s: slow clients cannot hold a connection and its memory for minutes.
    .layer(RequestBodyTimeoutLayer::new(BODY_PAUSE_MAX))
    .layer(middleware::from_fn(time_limit))
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}

/// A whole request ends within `REQUEST_TIME_MAX` (408 past it), but a file upload within
/// `UPLOAD_TIME_MAX`: 20 MB take minutes on a slow link. Its body still may not pause over 10 s.
/// A file of the built app, or one of its pages: the staff build for a staff session, the client build
/// (without the staff pages) for anyone else. Only a page looks the session up.
async fn app_file_or_page(State(state): State<AppState>, request: Request) -> Response {
    let Some(files) = state.assets.clone() else {
        return Error::NotFound.into_response();
    };
    let (mut parts, _) = request.into_parts();
    let path = parts.uri.path().to_string();
    let staff = !files.is_file(&path)
        && crate::auth::cookie_token(&parts.headers).is_some()
        && crate::auth::current_user(&mut parts, &state)
            .await
            .ok()
            .flatten()
            .is_some_and(|u| u.is_staff());
    if parts.method == Method::GET
        && (path.starts_with("/kb/") || path == "/")
        && let Some(page) = prerendered(&state, &files, &parts.uri, &parts.headers, staff).await
    {
        return page;
    }
    files.respond(&parts.method, &path, &parts.headers, staff)
}

/// The home page, a published article or a category with its content in it (see `prerender`), made once
/// and compressed once, then kept until the knowledge base changes (or a minute passes: the most viewed
/// articles move without a write to them) or a new build of the app is served.
async fn prerendered(
    state: &AppState,
    files: &crate::assets::Assets,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    staff: bool,
) -> Option<Response> {
    if crate::prerender::is_search(uri.path(), uri.query()) {
        return None;
    }
    let base = crate::sitemap::base_url(state, headers);
    let lang = crate::lang::Lang::current().tag();
    let cache = &state.repo.cache.pages;
    let key = (uri.path().to_string(), lang, staff, base, files.build());
    let page = match cache.get(&key) {
        Ok(page) => page,
        Err(generation) => {
            let content = crate::prerender::page(state, uri.path(), lang, &key.3).await?;
            let index = files.page_html(staff)?;
            let html = crate::prerender::inject(std::str::from_utf8(&index).ok()?, &content)?;
            let (br, gzip) = Representation::compress(html.as_bytes());
            let page = Arc::new(Representation::precompressed(
                HeaderValue::from_static("text/html; charset=utf-8"),
                html.into(),
                br,
                gzip,
            ));
            cache.put(generation, key, page.clone(), crate::cache::TTL);
            page
        }
    };
    Some(crate::assets::respond_page(&page, headers, false))
}

async fn time_limit(request: Request, next: Next) -> Response {
    let upload = request.method() == Method::POST && request.uri().path() == "/api/v1/attachments";
    let budget = if upload {
        UPLOAD_TIME_MAX
    } else {
        REQUEST_TIME_MAX
    };
    match tokio::time::timeout(budget, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

async fn api_not_found() -> Error {
    Error::NotFound
}

/// Trunk's hashed files never change: cache them for a year. `index.html` must always be revalidated.
async fn cache_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    if path.starts_with("/api/")
        || path == "/healthz"
        || path == "/metrics"
        || path == "/sitemap.xml"
        || path == "/robots.txt"
    {
        return response;
    }
    let value = if response.status() == StatusCode::OK && is_hashed_asset(&path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// `portal-0123456789abcdef_bg.wasm`, `style-0123456789abcdef.css`: a 16-hex-digit hash after a dash.
pub fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn security_headers(request: Request, next: Next, csp: &HeaderValue) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // An attachment brings its own, stricter policy (`default-src 'none'; sandbox`).
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A CSP with no `unsafe-inline` for a page whose HTML is `html`: Trunk's inline loader script is allowed
/// by its SHA-256 (computed from the `index.html` being served, see `assets`); WebAssembly needs
/// `wasm-unsafe-eval`.
pub fn content_security_policy_for(html: &str) -> HeaderValue {
    let hashes: String = inline_scripts(html)
        .iter()
        .map(|s| {
            let digest = Sha256::digest(s.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// The text of every `<script>` without a `src`, exactly as the browser hashes it.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            found.push(&body[..close]);
        }
        rest = &body[close..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_trunk_hashed_files() {
        assert!(is_hashed_asset("/portal-0123456789abcdef_bg.wasm"));
        assert!(is_hashed_asset("/portal-0123456789abcdef.js"));
        assert!(is_hashed_asset("/style-a1b2c3d4e5f60718.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/manifest.json"));
        assert!(!is_hashed_asset("/tickets/12"));
    }

    #[test]
    fn hashes_inline_scripts_only() {
        let html = r#"<script src="/a.js"></script><script type="module">init()</script>"#;
        assert_eq!(inline_scripts(html), vec!["init()"]);
    }
}
