//! A body ready to send in each encoding a client may accept (identity, brotli, gzip), each with its own
//! `ETag`, answering `304 Not Modified` to a matching `If-None-Match`. The app's files (see `assets`) and
//! the cached JSON answers (see `cache`) are sent this way: compressed once when they are loaded or
//! cached, never again per request.

use std::io::Write;

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

/// Below this size a body is sent as it is (tower-http's compression layer leaves such bodies alone too, so
/// that no answer is compressed twice nor its `ETag` sent on another encoding).
const COMPRESS_FROM: usize = 32;
/// Brotli quality for answers compressed at run time: near the best ratio, well under a millisecond for a
/// typical article (11 takes several).
const BROTLI_QUALITY: u32 = 9;

#[derive(Debug)]
struct Variant {
    encoding: Option<&'static str>,
    bytes: Bytes,
    etag: HeaderValue,
}

/// One body in every encoding it exists in, identity first.
#[derive(Debug)]
pub struct Representation {
    content_type: HeaderValue,
    variants: Vec<Variant>,
}

impl Representation {
    /// A body whose compressed copies were made beforehand (Trunk's `.br` and `.gz` files).
    pub fn precompressed(
        content_type: HeaderValue,
        identity: Bytes,
        br: Option<Bytes>,
        gzip: Option<Bytes>,
    ) -> Self {
        let tag = hex16(&identity);
        let mut variants = vec![Variant {
            encoding: None,
            bytes: identity,
            etag: etag(&tag, ""),
        }];
        for (encoding, copy) in [("br", br), ("gzip", gzip)] {
            if let Some(bytes) = copy {
                variants.push(Variant {
                    encoding: Some(encoding),
                    bytes,
                    etag: etag(&tag, encoding),
                });
            }
        }
        Self {
            content_type,
            variants,
        }
    }

    /// `value` as JSON, compressed now in brotli and gzip (when it is large enough to gain from it).
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Self {
        let json = serde_json::to_vec(value).unwrap_or_else(|e| {
            tracing::error!(error = %e, "an answer could not be serialised");
            b"null".to_vec()
        });
        let (br, gzip) = Self::compress(&json);
        Self::precompressed(
            HeaderValue::from_static("application/json"),
            Bytes::from(json),
            br,
            gzip,
        )
    }

    /// The answer to a GET (or, with `head`, a HEAD) with these request headers: the best encoding the
    /// client accepts, or `304` when it already holds that encoding's `ETag`.
    pub fn respond(&self, headers: &HeaderMap, head: bool) -> Response {
        let variant = choose(&self.variants, headers);
        let mut response = if none_match(headers, &variant.etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else if head {
            let mut r = Response::new(Body::empty());
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, variant.bytes.len().into());
            r
        } else {
            Response::new(Body::from(variant.bytes.clone()))
        };
        let ok = response.status() == StatusCode::OK;
        let h = response.headers_mut();
        h.insert(header::ETAG, variant.etag.clone());
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if ok {
            h.insert(header::CONTENT_TYPE, self.content_type.clone());
            if let Some(encoding) = variant.encoding {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
        }
        response
    }

    /// Brotli and gzip copies of `data`, each kept only when it is smaller than `data`.
    pub fn compress(data: &[u8]) -> (Option<Bytes>, Option<Bytes>) {
        if data.len() < COMPRESS_FROM {
            return (None, None);
        }
        let smaller = |c: Vec<u8>| (c.len() < data.len()).then(|| Bytes::from(c));
        (smaller(brotli_of(data)), gzip_of(data).and_then(smaller))
    }

    /// The bytes as they are, uncompressed.
    pub fn identity(&self) -> &Bytes {
        &self.variants[0].bytes
    }
}

fn brotli_of(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, 22);
        // Writing to a Vec cannot fail.
        let _ = w.write_all(data);
    }
    out
}

fn gzip_of(data: &[u8]) -> Option<Vec<u8>> {
    let mut w = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::best(),
    );
    w.write_all(data).ok()?;
    w.finish().ok()
}

/// The best encoding the client accepts: brotli, then gzip, then the body as it is.
fn choose<'a>(variants: &'a [Variant], headers: &HeaderMap) -> &'a Variant {
    let accepted = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';');
            let name = parts.next()?.trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            (!refused).then_some(name)
        })
        .collect::<Vec<_>>();
    for wanted in ["br", "gzip"] {
        if accepted.iter().any(|a| a == wanted)
            && let Some(v) = variants.iter().find(|v| v.encoding == Some(wanted))
        {
            return v;
        }
    }
    &variants[0]
}

/// True when `If-None-Match` names this `ETag` (or `*`); weak comparison, as RFC 9110 asks for GET.
pub fn none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or_default();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == ours)
}

/// The first 8 bytes of the SHA-256 of `data`, in hex.
pub fn hex16(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn etag(hash: &str, encoding: &str) -> HeaderValue {
    let value = if encoding.is_empty() {
        format!("\"{hash}\"")
    } else {
        format!("\"{hash}-{encoding}\"")
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    async fn body(r: Response) -> Vec<u8> {
        use http_body_util::BodyExt;
        r.into_body().collect().await.unwrap().to_bytes().to_vec()
    }

    #[tokio::test]
    async fn json_is_compressed_once_and_every_copy_decodes_to_it() {
        let value: Vec<String> = (0..200).map(|i| format!("artigo número {i}")).collect();
        let r = Representation::json(&value);
        let plain = serde_json::to_vec(&value).unwrap();
        assert_eq!(r.identity().as_ref(), plain.as_slice());

        let br = r.respond(&accept("gzip, br"), false);
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(br.headers()[header::CONTENT_TYPE], "application/json");
        let tag = br.headers()[header::ETAG].clone();
        let packed = body(br).await;
        assert!(packed.len() < plain.len() / 3, "{} bytes", packed.len());
        let mut unpacked = Vec::new();
        brotli::Decompressor::new(packed.as_slice(), 4096)
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, plain);

        let gz = r.respond(&accept("gzip"), false);
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        assert_ne!(gz.headers()[header::ETAG], tag);
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(body(gz).await.as_slice())
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, plain);

        let mut again = accept("br");
        again.insert(header::IF_NONE_MATCH, tag);
        let not_modified = r.respond(&again, false);
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
        assert!(body(not_modified).await.is_empty());
    }

    #[tokio::test]
    async fn a_small_answer_is_sent_as_it_is() {
        let r = Representation::json(&[1, 2]);
        let plain = r.respond(&accept("br, gzip"), false);
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body(plain).await, b"[1,2]");
    }
}
