//! Attachments (issue 15): what an upload is (decided from its bytes), the limits, and where the bytes are
//! kept — a [`BlobStore`], content-addressed by SHA-256, on disk under `--data-dir` today.
//!
//! The rules that keep a file from doing harm:
//! - the type comes from the bytes (`infer`'s magic numbers), never from the name or the browser's claim,
//!   and only the [`ALLOWED`] kinds are kept. Text (XML, plain text, CSV) has no magic number: it is taken
//!   only when the bytes are UTF-8 without NUL *and* the name's extension says so, and HTML never;
//! - no archive or container is opened (`infer` is built without its OLE parser; a zip's first bytes are
//!   read, nothing inside it);
//! - the client's name is metadata: a path is made from the SHA-256 alone;
//! - a blob is on disk for good (temp file, fsync, rename, fsync of the directory) before the upload's 201.

use std::{
    future::Future,
    io::{self, Write},
    path::{Path, PathBuf},
    pin::Pin,
    sync::Arc,
};

use axum::body::Bytes;
use sha2::{Digest, Sha256};

use crate::error::{Error, Invalid};

/// 20 MB a file, by default (`serve --attachment-max-mb`).
pub const DEFAULT_MAX_BYTES: u64 = 20 * 1024 * 1024;
/// 10 files a message, by default (`serve --attachment-max-files`).
pub const DEFAULT_MAX_FILES: usize = 10;
/// A file name, as metadata: at most this many characters (longer names are refused, 422).
pub const NAME_MAX: usize = 255;
/// An upload never attached to a message is removed after this long.
pub const UNATTACHED_TTL_MS: i64 = 24 * 3600 * 1000;

/// What a kept file is, as far as serving it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub mime: &'static str,
    /// Shown in the page (raster images only); everything else is a download.
    pub inline: bool,
}

/// The kinds an upload may be, by the MIME type `infer` gives its bytes (text kinds are decided apart,
/// see [`classify`]).
pub const ALLOWED: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/msword",
];

const RASTER: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The allowlist as people know it, for the refusal's message.
const ALLOWED_NAMES: &str =
    "PNG, JPEG, GIF, WebP, PDF, XML, TXT, CSV, DOC, DOCX, XLS, XLSX, PPT, PPTX, ODT, ODS, ODP, ZIP";

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not of an allowed kind (`what` is what the bytes are, when known).
    Type { what: Option<String> },
    /// Over the size limit (in bytes).
    TooLarge { limit: u64 },
    /// Nothing in it.
    Empty,
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::TooLarge { limit } => Error::FileTooLarge { limit_bytes: limit },
            Refusal::Type { what } => Error::FileType { detected: what },
            Refusal::Empty => Error::invalid(
                "file",
                Invalid::Custom {
                    pt: "O arquivo está vazio.".into(),
                    en: "The file is empty.".into(),
                },
            ),
        }
    }
}

/// The allowed kinds, said in the request's language (for a refusal's detail).
pub fn allowed_list() -> &'static str {
    ALLOWED_NAMES
}

/// The extension of a file name, lower case (`None` without one).
fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// What `bytes` named `name` are, or why they are refused. The name only ever narrows: it makes text
/// acceptable (a `.csv` of UTF-8) or names the flavour of an OLE file, never turns bytes of one kind into
/// another kind's type.
pub fn classify(name: &str, bytes: &[u8]) -> Result<Kind, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    let detected = infer::get(bytes).map(|k| k.mime_type());
    let ext = extension(name);
    match detected {
        // An old Office file (OLE compound file): its flavour is inside the container, which is not
        // opened; the name says which of the three it is.
        Some("application/msword") => Ok(Kind {
            mime: match ext.as_deref() {
                Some("xls") => "application/vnd.ms-excel",
                Some("ppt") => "application/vnd.ms-powerpoint",
                _ => "application/msword",
            },
            inline: false,
        }),
        Some(mime) if ALLOWED.contains(&mime) => Ok(Kind {
            mime: ALLOWED
                .iter()
                .copied()
                .find(|m| *m == mime)
                .unwrap_or("application/octet-stream"),
            inline: RASTER.contains(&mime),
        }),
        // HTML is refused whatever its name: served from our origin it would be a page of its own.
        Some("text/html") => Err(Refusal::Type {
            what: Some("text/html".into()),
        }),
        Some("text/xml") | None => text_kind(ext.as_deref(), bytes).ok_or(Refusal::Type {
            what: detected.map(str::to_string),
        }),
        Some(other) => Err(Refusal::Type {
            what: Some(other.to_string()),
        }),
    }
}

/// Text has no magic number: UTF-8 without NUL, with an extension that says which text it is.
fn text_kind(ext: Option<&str>, bytes: &[u8]) -> Option<Kind> {
    let mime = match ext? {
        "xml" => "application/xml",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        _ => return None,
    };
    let text = std::str::from_utf8(bytes).ok()?;
    if text.contains('\0') {
        return None;
    }
    Some(Kind {
        mime,
        inline: false,
    })
}

/// Whether a stored content type is shown inline (raster images only; SVG, HTML, PDF and text never).
pub fn is_inline(content_type: &str) -> bool {
    RASTER.contains(&content_type)
}

/// The `Content-Type` a stored type is served with (text says its charset).
pub fn served_type(content_type: &str) -> String {
    match content_type {
        "text/plain" | "text/csv" | "application/xml" => format!("{content_type}; charset=utf-8"),
        other => other.to_string(),
    }
}

/// The lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A client's file name, kept as metadata: control characters and path separators are kept out of what
/// is shown (a `../../etc/passwd` stays a name, and is never a path anyway), surrounding spaces trimmed.
pub fn clean_name(raw: &str) -> Result<String, Error> {
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_control() || c == '/' || c == '\\' {
                '_'
            } else {
                c
            }
        })
        .collect();
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        return Err(Error::invalid("X-File-Name", Invalid::Required));
    }
    if name.chars().count() > NAME_MAX {
        return Err(Error::invalid("X-File-Name", Invalid::TooLong(NAME_MAX)));
    }
    Ok(name)
}

/// `Content-Disposition` for a download or an inline image, with the UTF-8 name (RFC 6266 and 5987):
/// an ASCII `filename` for old clients and `filename*` with the exact name.
pub fn content_disposition(name: &str, inline: bool) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let disposition = if inline { "inline" } else { "attachment" };
    format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Decodes a percent-encoded UTF-8 header value (`X-File-Name: Rejei%C3%A7%C3%A3o.png`).
pub fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where attachments' bytes are kept, by their SHA-256 (lower-case hex). `put` is durable when it
/// answers. The disk store is the one there is; an S3-compatible store for several instances would be
/// another implementation of these. A variant (a thumbnail) is made from a blob and kept beside it, a
/// cache that can always be made again: `delete` removes a blob's variants with it, and backups leave
/// them out.
pub trait BlobStore: Send + Sync {
    fn put<'a>(&'a self, sha256: &'a str, bytes: Bytes) -> BoxFuture<'a, io::Result<()>>;
    fn get<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, io::Result<Option<Bytes>>>;
    fn delete<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, io::Result<()>>;
    fn exists<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, io::Result<bool>>;
    fn put_variant<'a>(
        &'a self,
        sha256: &'a str,
        variant: Variant,
        bytes: Bytes,
    ) -> BoxFuture<'a, io::Result<()>>;
    fn get_variant<'a>(
        &'a self,
        sha256: &'a str,
        variant: Variant,
    ) -> BoxFuture<'a, io::Result<Option<Bytes>>>;
}

/// What is made from a blob and kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// A PNG of at most [`THUMBNAIL_SIDE`] pixels a side.
    Thumbnail,
}

impl Variant {
    pub const ALL: &[Variant] = &[Variant::Thumbnail];

    fn dir(self) -> &'static str {
        match self {
            Variant::Thumbnail => "thumbnails",
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Thumbnails

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
/// The largest image decoded for a thumbnail: a side of at most this many pixels...
pub const DECODE_MAX_SIDE: u32 = 12_000;
/// ...and at most this much memory for the decoded pixels. A "decompression bomb" (a small file that says
/// it is a huge image) is refused before its pixels are allocated.
pub const DECODE_MAX_BYTES: u64 = 192 * 1024 * 1024;

/// Why no thumbnail could be made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    #[error("the image is larger than a thumbnail may be made of ({0})")]
    TooLarge(String),
    #[error("the image cannot be read: {0}")]
    Unreadable(String),
}

/// A PNG thumbnail of a raster image (the first frame of an animation), decoded under the limits above.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, ThumbnailError> {
    use image::{ImageError, ImageReader, Limits, error::LimitErrorKind};
    let unreadable = |e: ImageError| match e {
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory => {
                ThumbnailError::TooLarge(l.to_string())
            }
            _ => ThumbnailError::Unreadable(l.to_string()),
        },
        e => ThumbnailError::Unreadable(e.to_string()),
    };
    let mut reader = ImageReader::new(io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ThumbnailError::Unreadable(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(DECODE_MAX_SIDE);
    limits.max_image_height = Some(DECODE_MAX_SIDE);
    limits.max_alloc = Some(DECODE_MAX_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(unreadable)?;
    let small = if image.width() > THUMBNAIL_SIDE || image.height() > THUMBNAIL_SIDE {
        image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    } else {
        image
    };
    let mut out = Vec::new();
    small
        .write_to(&mut io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(unreadable)?;
    Ok(out)
}

/// Blobs as files: `ROOT/sha256/ab/abcdef...` (the first two hex digits as a directory, so that no
/// directory holds millions of files).
pub struct DiskStore {
    root: PathBuf,
}

fn valid_key(sha256: &str) -> io::Result<()> {
    if sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a blob key is 64 lower-case hex digits",
        ))
    }
}

/// Where a disk store under `root` keeps the blob `sha256`: `root/sha256/ab/abcd...` (the backups keep
/// their copies in the same layout).
pub fn blob_path(root: &Path, sha256: &str) -> io::Result<PathBuf> {
    valid_key(sha256)?;
    Ok(root.join("sha256").join(&sha256[..2]).join(sha256))
}

/// fsync of a directory, so that a rename or a new entry in it survives a crash of the machine.
fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// A half-written upload older than this is a crash's, removed when a server starts.
const TMP_STALE: std::time::Duration = std::time::Duration::from_secs(3600);

impl DiskStore {
    /// A store under `root` (created if missing, with its `tmp/` for uploads being written).
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(root.join("sha256"))?;
        std::fs::create_dir_all(root.join("tmp"))?;
        // What a crash left half-written: never renamed into place, so nothing refers to it. Servers on
        // one PostgreSQL database share the directory: a file written in the last hour may be another
        // server's upload under way, and is left to it.
        let now = std::time::SystemTime::now();
        for entry in std::fs::read_dir(root.join("tmp"))?.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| now.duration_since(at).unwrap_or_default() > TMP_STALE);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of a blob (whether or not it is there).
    pub fn path_of(&self, sha256: &str) -> io::Result<PathBuf> {
        blob_path(&self.root, sha256)
    }

    /// The file of a blob's variant: `ROOT/thumbnails/ab/abcdef...`.
    pub fn variant_path(&self, sha256: &str, variant: Variant) -> io::Result<PathBuf> {
        valid_key(sha256)?;
        Ok(self
            .root
            .join(variant.dir())
            .join(&sha256[..2])
            .join(sha256))
    }

    /// Writes `bytes` at `path` through a temporary file, fsynced and renamed (never half a file).
    fn write_blocking(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir)?;
        }
        let tmp = self
            .root
            .join("tmp")
            .join(format!("variant.{:016x}", rand::random::<u64>()));
        let written = (|| {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    fn put_blocking(&self, sha256: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path_of(sha256)?;
        if path.is_file() {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir)?;
            sync_dir(&self.root.join("sha256"))?;
        }
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{sha256}.{:016x}", rand::random::<u64>()));
        let written = (|| {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            sync_dir(&dir)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

impl BlobStore for DiskStore {
    fn put<'a>(&'a self, sha256: &'a str, bytes: Bytes) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let this = DiskStore {
                root: self.root.clone(),
            };
            let key = sha256.to_string();
            tokio::task::spawn_blocking(move || this.put_blocking(&key, &bytes))
                .await
                .map_err(io::Error::other)?
        })
    }

    fn get<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, io::Result<Option<Bytes>>> {
        Box::pin(async move {
            match tokio::fs::read(self.path_of(sha256)?).await {
                Ok(bytes) => Ok(Some(Bytes::from(bytes))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn delete<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            for variant in Variant::ALL {
                match tokio::fs::remove_file(self.variant_path(sha256, *variant)?).await {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            match tokio::fs::remove_file(self.path_of(sha256)?).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn put_variant<'a>(
        &'a self,
        sha256: &'a str,
        variant: Variant,
        bytes: Bytes,
    ) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let path = self.variant_path(sha256, variant)?;
            let this = DiskStore {
                root: self.root.clone(),
            };
            tokio::task::spawn_blocking(move || this.write_blocking(&path, &bytes))
                .await
                .map_err(io::Error::other)?
        })
    }

    fn get_variant<'a>(
        &'a self,
        sha256: &'a str,
        variant: Variant,
    ) -> BoxFuture<'a, io::Result<Option<Bytes>>> {
        Box::pin(async move {
            match tokio::fs::read(self.variant_path(sha256, variant)?).await {
                Ok(bytes) => Ok(Some(Bytes::from(bytes))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn exists<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, io::Result<bool>> {
        Box::pin(async move { tokio::fs::try_exists(self.path_of(sha256)?).await })
    }
}

/// The attachments of a server: the store, the limits, and the lock that keeps the purge of unattached
/// uploads from deleting a blob that an upload of the same bytes is recording at that moment.
pub struct Attachments {
    pub store: Arc<dyn BlobStore>,
    pub max_bytes: u64,
    pub max_files: usize,
    /// Uploads take it shared from before their blob is written until their row is in; the purge
    /// takes it alone.
    pub gc: tokio::sync::RwLock<()>,
    /// The data directory the disk store is in (`serve --data-dir`).
    pub data_dir: PathBuf,
    /// Thumbnails decoded at once: each may hold up to `DECODE_MAX_BYTES`, so they are few.
    pub decoding: tokio::sync::Semaphore,
    /// A data directory made for this server alone (no `--data-dir`: tests), removed with it.
    _temporary: Option<TemporaryDir>,
}

/// A directory removed when dropped.
struct TemporaryDir(PathBuf);

impl Drop for TemporaryDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Attachments {
    /// The disk store under `data_dir/attachments`; without a data directory, a new one under the
    /// system's temporary directory that lives as long as this value.
    pub fn on_disk(data_dir: Option<&Path>, max_bytes: u64, max_files: usize) -> io::Result<Self> {
        let (dir, temporary) = match data_dir {
            Some(dir) => (dir.to_path_buf(), None),
            None => {
                let dir = std::env::temp_dir().join(format!(
                    "portal-data-{}-{:016x}",
                    std::process::id(),
                    rand::random::<u64>()
                ));
                (dir.clone(), Some(TemporaryDir(dir)))
            }
        };
        let store = DiskStore::open(dir.join("attachments"))?;
        Ok(Self {
            store: Arc::new(store),
            max_bytes,
            max_files,
            gc: tokio::sync::RwLock::new(()),
            decoding: tokio::sync::Semaphore::new(2),
            data_dir: dir,
            _temporary: temporary,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
    ];

    #[test]
    fn a_start_removes_a_crashs_half_written_upload_and_leaves_one_under_way() {
        let dir = tempfile::tempdir().unwrap();
        DiskStore::open(dir.path()).unwrap();
        let (old, fresh) = (dir.path().join("tmp/old"), dir.path().join("tmp/fresh"));
        std::fs::write(&old, b"cut off").unwrap();
        std::fs::write(&fresh, b"being written").unwrap();
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        DiskStore::open(dir.path()).unwrap();
        assert!(!old.exists(), "a crash's leftover stays");
        assert!(
            fresh.exists(),
            "another server's upload under way was removed"
        );
    }

    #[test]
    fn decides_the_type_from_the_bytes() {
        let png = classify("print.jpg", PNG).unwrap();
        assert_eq!(png.mime, "image/png");
        assert!(png.inline);
        assert_eq!(
            classify("nota.pdf", b"%PDF-1.7\n...").unwrap().mime,
            "application/pdf"
        );
        // HTML named .png is refused, and so is an executable named .pdf.
        assert!(matches!(
            classify("erro.png", b"<html><script>alert(1)</script></html>"),
            Err(Refusal::Type { .. })
        ));
        assert!(matches!(
            classify("nota.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
            Err(Refusal::Type { .. })
        ));
    }

    #[test]
    fn takes_text_only_with_its_extension_and_valid_utf8() {
        let xml = classify("NFe3526.xml", b"<?xml version=\"1.0\"?><nfeProc/>").unwrap();
        assert_eq!(xml.mime, "application/xml");
        assert!(!xml.inline);
        assert_eq!(
            classify("vendas.csv", "produto;preço\narroz;10".as_bytes())
                .unwrap()
                .mime,
            "text/csv"
        );
        assert!(classify("vendas", b"a;b").is_err());
        assert!(classify("imagem.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>").is_err());
        assert!(classify("log.txt", b"ok\0binary").is_err());
        assert!(classify("log.txt", &[0xff, 0xfe, 0x41]).is_err());
    }

    #[test]
    fn names_are_metadata_and_dispositions_carry_them_in_utf8() {
        assert_eq!(clean_name("../../etc/passwd").unwrap(), ".._.._etc_passwd");
        assert!(clean_name("  ").is_err());
        assert!(clean_name("..").is_err());
        assert_eq!(
            content_disposition("Rejeição 539.png", true),
            "inline; filename=\"Rejei__o 539.png\"; filename*=UTF-8''Rejei%C3%A7%C3%A3o%20539.png"
        );
        assert_eq!(
            percent_decode("Rejei%C3%A7%C3%A3o.png").as_deref(),
            Some("Rejeição.png")
        );
        assert_eq!(percent_decode("%FF"), None);
    }
}
