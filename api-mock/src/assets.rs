//! The built app (Trunk's `dist/`), served from memory: every file with its precompressed brotli and gzip
//! copies, an `ETag` per encoding and `304 Not Modified` for a matching `If-None-Match`. A path that is no
//! file gets `index.html` (the app routes it). The copy in memory is replaced when `dist/` changes (it is
//! polled every second) or on `SIGHUP`, so that a new build is served without a restart; the CSP follows
//! the new `index.html`'s inline script.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::{Duration, SystemTime},
};

use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{error::Error, representation::Representation};

/// The whole of `dist/` as read at one moment.
struct Snapshot {
    /// Each file of the app, ready to send in every encoding it exists in.
    files: HashMap<String, Representation>,
    csp: HeaderValue,
    signature: u64,
}

impl Snapshot {
    /// The app's page for `staff` (the staff build's when there is one) or for anyone else.
    fn page(&self, staff: bool) -> Option<&Representation> {
        staff
            .then(|| self.files.get(STAFF_INDEX))
            .flatten()
            .or_else(|| self.files.get("index.html"))
    }
}

/// The app in memory, and where it came from.
pub struct Assets {
    dist: PathBuf,
    current: RwLock<Arc<Snapshot>>,
}

impl Assets {
    /// Reads every file below `dist`.
    pub fn load(dist: &Path) -> std::io::Result<Self> {
        let snapshot = read_snapshot(dist)?;
        tracing::info!(files = snapshot.files.len(), dist = %dist.display(), "the app is in memory");
        Ok(Self {
            dist: dist.to_path_buf(),
            current: RwLock::new(Arc::new(snapshot)),
        })
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The Content-Security-Policy for the `index.html` being served.
    pub fn csp(&self) -> HeaderValue {
        self.snapshot().csp.clone()
    }

    /// Files in memory.
    pub fn len(&self) -> usize {
        self.snapshot().files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads `dist/` again when it changed since the copy in memory (or always, with `force`); answers
    /// whether the copy was replaced. A build still being written is read again at the next call.
    pub fn reload(&self, force: bool) -> bool {
        let before = self.snapshot().signature;
        match signature(&self.dist) {
            Ok(now) if now == before && !force => return false,
            Err(e) => {
                tracing::warn!(error = %e, "reading dist/ to look for a new build");
                return false;
            }
            Ok(_) => {}
        }
        match read_snapshot(&self.dist) {
            Ok(snapshot) if snapshot.files.contains_key("index.html") => {
                let files = snapshot.files.len();
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snapshot);
                tracing::info!(files, "the app in memory was reloaded from dist/");
                true
            }
            Ok(_) => {
                tracing::warn!(
                    "dist/ has no index.html (a build in progress?): keeping the app in memory"
                );
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "reloading dist/");
                false
            }
        }
    }

    /// Polls `dist/` every second, and reloads on `SIGHUP`, for as long as the server runs.
    pub fn spawn_watch(self: Arc<Self>) {
        let polled = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let assets = polled.clone();
                let _ = tokio::task::spawn_blocking(move || assets.reload(false)).await;
            }
        });
        #[cfg(unix)]
        tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let Ok(mut hup) = signal(SignalKind::hangup()) else {
                return;
            };
            while hup.recv().await.is_some() {
                tracing::info!("SIGHUP: reloading the app from dist/");
                let assets = self.clone();
                let _ = tokio::task::spawn_blocking(move || assets.reload(true)).await;
            }
        });
    }

    /// The page of the build for `staff` (see `respond`), as it is on disk.
    pub fn page_html(&self, staff: bool) -> Option<Bytes> {
        Some(self.snapshot().page(staff)?.identity().clone())
    }

    /// Which build is being served (it changes with every new build in `dist/`).
    pub fn build(&self) -> u64 {
        self.snapshot().signature
    }

    /// Whether `path` names a file of the app (anything else is one of the app's pages).
    pub fn is_file(&self, path: &str) -> bool {
        let name = path.trim_start_matches('/');
        !name.is_empty() && self.snapshot().files.contains_key(name)
    }

    /// The answer for `path` (a GET or HEAD that no API route took). A page (any path that is no file)
    /// is the app: for `staff`, the staff build (`staff-app/index.html`) when the build has one, else
    /// the client build, which leaves the staff pages out.
    pub fn respond(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        staff: bool,
    ) -> Response {
        if method != Method::GET && method != Method::HEAD {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, HeaderValue::from_static("GET, HEAD"))],
            )
                .into_response();
        }
        let snapshot = self.snapshot();
        let name = path.trim_start_matches('/');
        let head = method == Method::HEAD;
        if let Some(asset) = snapshot.files.get(name).filter(|_| !name.is_empty()) {
            return asset.respond(headers, head);
        }
        // Not a file: the app's own route, in the build for the reader's role.
        match snapshot.page(staff) {
            Some(index) => respond_page(index, headers, head),
            None => Error::NotFound.into_response(),
        }
    }
}

/// A page's `Vary`: the same address is another build for another session, so no shared cache may mix them.
pub const PAGE_VARY: &str = "accept-encoding, cookie";

/// The answer with one of the app's pages (`index.html`, or one the server filled in): the page's own
/// encoding and `ETag`, with the page's `Vary`.
pub fn respond_page(page: &Representation, headers: &HeaderMap, head: bool) -> Response {
    let mut response = page.respond(headers, head);
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static(PAGE_VARY));
    response
}

/// The staff build's page, beside the client build's `index.html` (`cargo xtask build` makes both).
pub const STAFF_INDEX: &str = "staff-app/index.html";

/// Every file below `dist`, by its path relative to it with `/` separators.
fn walk(dist: &Path) -> std::io::Result<Vec<(String, PathBuf, std::fs::Metadata)>> {
    let mut found = Vec::new();
    let mut stack = vec![dist.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file()
                && let Ok(rel) = path.strip_prefix(dist)
            {
                let name = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                found.push((name, path, meta));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// Names, sizes and modification times of `dist/`, hashed: it changes when a build writes anything.
fn signature(dist: &Path) -> std::io::Result<u64> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for (name, _, meta) in walk(dist)? {
        name.hash(&mut hasher);
        meta.len().hash(&mut hasher);
        meta.modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .hash(&mut hasher);
    }
    Ok(hasher.finish())
}

fn read_snapshot(dist: &Path) -> std::io::Result<Snapshot> {
    let signature = signature(dist)?;
    let listing = walk(dist)?;
    let mut bytes: HashMap<String, Bytes> = HashMap::new();
    for (name, path, _) in &listing {
        bytes.insert(name.clone(), Bytes::from(std::fs::read(path)?));
    }
    let mut files = HashMap::new();
    for (name, data) in &bytes {
        let is_copy = [".br", ".gz"].iter().any(|ext| {
            name.strip_suffix(ext)
                .is_some_and(|orig| bytes.contains_key(orig))
        });
        if is_copy || name == ".built" {
            continue;
        }
        let mime = mime_guess::from_path(name).first_or_octet_stream();
        let content_type = if mime.type_() == mime_guess::mime::TEXT
            || mime.subtype() == mime_guess::mime::JAVASCRIPT
            || mime.subtype() == mime_guess::mime::JSON
        {
            format!("{mime}; charset=utf-8")
        } else {
            mime.to_string()
        };
        let copy = |ext: &str| bytes.get(&format!("{name}{ext}")).cloned();
        // Trunk's build leaves index.html (and the small files) without copies: they are compressed here,
        // once, rather than by the compression layer on every request.
        let compressible = content_type.contains("charset") || content_type.contains("+xml");
        let (br, gzip) = match (copy(".br"), copy(".gz")) {
            (None, None) if compressible => Representation::compress(data),
            found => found,
        };
        files.insert(
            name.clone(),
            Representation::precompressed(
                HeaderValue::from_str(&content_type)
                    .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
                data.clone(),
                br,
                gzip,
            ),
        );
    }
    // One policy names the inline scripts of both builds' pages.
    let pages: String = ["index.html", STAFF_INDEX]
        .iter()
        .filter_map(|name| bytes.get(*name))
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    let csp = crate::web::content_security_policy_for(&pages);
    Ok(Snapshot {
        files,
        csp,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>app</html>").unwrap();
        std::fs::write(dir.path().join("app-0123456789abcdef.js"), "let a = 1;").unwrap();
        std::fs::write(dir.path().join("app-0123456789abcdef.js.br"), "BR").unwrap();
        std::fs::write(dir.path().join("app-0123456789abcdef.js.gz"), "GZ").unwrap();
        dir
    }

    async fn body(r: Response) -> Vec<u8> {
        use http_body_util::BodyExt;
        r.into_body().collect().await.unwrap().to_bytes().to_vec()
    }

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[tokio::test]
    async fn serves_the_best_encoding_with_its_own_etag_and_304() {
        let d = dist();
        let assets = Assets::load(d.path()).unwrap();
        let js = "/app-0123456789abcdef.js";
        let br = assets.respond(&Method::GET, js, &accept("gzip, deflate, br"), false);
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        let tag = br.headers()[header::ETAG].clone();
        assert_eq!(body(br).await, b"BR");
        let gz = assets.respond(&Method::GET, js, &accept("gzip, br;q=0"), false);
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        assert_ne!(gz.headers()[header::ETAG], tag);
        let plain = assets.respond(&Method::GET, js, &HeaderMap::new(), false);
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(
            plain.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(body(plain).await, b"let a = 1;");
        let mut again = accept("br");
        again.insert(header::IF_NONE_MATCH, tag);
        let not_modified = assets.respond(&Method::GET, js, &again, false);
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
        assert!(body(not_modified).await.is_empty());
    }

    #[tokio::test]
    async fn any_other_path_is_the_app_and_a_new_build_is_picked_up() {
        let d = dist();
        let assets = Assets::load(d.path()).unwrap();
        let page = assets.respond(&Method::GET, "/tickets/12", &HeaderMap::new(), false);
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(body(page).await, b"<html>app</html>");
        assert!(!assets.reload(false), "nothing changed");
        std::fs::write(d.path().join("index.html"), "<html>new build</html>").unwrap();
        assert!(assets.reload(false));
        let page = assets.respond(&Method::GET, "/", &HeaderMap::new(), false);
        assert_eq!(body(page).await, b"<html>new build</html>");
        let post = assets.respond(&Method::POST, "/", &HeaderMap::new(), false);
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    #[tokio::test]
    async fn a_page_without_copies_is_compressed_once_at_load() {
        let d = dist();
        let html = format!("<html><body>{}</body></html>", "<p>Olá</p>".repeat(200));
        std::fs::write(d.path().join("index.html"), &html).unwrap();
        let assets = Assets::load(d.path()).unwrap();
        let br = assets.respond(&Method::GET, "/kb/x", &accept("gzip, br"), false);
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        let packed = body(br).await;
        assert!(packed.len() < html.len() / 4, "{} bytes", packed.len());
        let mut unpacked = Vec::new();
        brotli::BrotliDecompress(&mut packed.as_slice(), &mut unpacked).unwrap();
        assert_eq!(unpacked, html.as_bytes());
        let gz = assets.respond(&Method::GET, "/", &accept("gzip"), false);
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        // A file too small to gain keeps its one form.
        std::fs::write(d.path().join("tiny.txt"), "ok").unwrap();
        assets.reload(true);
        let tiny = assets.respond(&Method::GET, "/tiny.txt", &accept("br"), false);
        assert!(tiny.headers().get(header::CONTENT_ENCODING).is_none());
    }

    #[tokio::test]
    async fn a_page_for_staff_is_the_staff_build_and_a_file_is_the_same_for_everyone() {
        let d = dist();
        let assets = Assets::load(d.path()).unwrap();
        // Before a staff build exists, staff get the client build.
        let page = assets.respond(&Method::GET, "/staff/kb", &HeaderMap::new(), true);
        assert_eq!(body(page).await, b"<html>app</html>");
        std::fs::create_dir(d.path().join("staff-app")).unwrap();
        std::fs::write(
            d.path().join(STAFF_INDEX),
            "<html><script>staff()</script></html>",
        )
        .unwrap();
        assert!(assets.reload(false));
        let page = assets.respond(&Method::GET, "/staff/kb", &HeaderMap::new(), true);
        assert_eq!(page.headers()[header::VARY], "accept-encoding, cookie");
        assert_eq!(body(page).await, b"<html><script>staff()</script></html>");
        let page = assets.respond(&Method::GET, "/staff/kb", &HeaderMap::new(), false);
        assert_eq!(body(page).await, b"<html>app</html>");
        let js = assets.respond(
            &Method::GET,
            "/app-0123456789abcdef.js",
            &HeaderMap::new(),
            true,
        );
        assert_eq!(body(js).await, b"let a = 1;");
        assert!(assets.is_file("/staff-app/index.html") && !assets.is_file("/staff/kb"));
        // The policy allows the staff page's inline script too.
        let csp = assets.csp();
        let hash = crate::web::content_security_policy_for("<script>staff()</script>");
        let wanted = hash
            .to_str()
            .unwrap()
            .split(';')
            .find(|d| d.contains("sha256"))
            .unwrap();
        assert!(
            csp.to_str()
                .unwrap()
                .contains(wanted.trim().trim_start_matches("script-src "))
        );
    }
}
