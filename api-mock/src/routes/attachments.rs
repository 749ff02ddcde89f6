//! Attachments over HTTP: `POST /attachments` (the file as the raw body, its name in `X-File-Name`, so a
//! browser can send it with XHR and show the upload's progress), `GET /attachments/{id}` for whoever may
//! see its message (the ticket's rules in `policy::visible`, and a note's file for staff only; 404 to
//! anyone else), and `DELETE /attachments/{id}` of one's own upload before it is sent.
//!
//! An upload is its uploader's alone until a new ticket, a message or a note names it in `attachments`;
//! one never attached is removed after a day (`purge_unattached`, from the server's periodic task).

use api_types::{Attachment, Problem, User};
use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    attachments::{
        self, classify, clean_name, content_disposition, percent_decode, served_type, sha256_hex,
    },
    auth::CurrentUser,
    db::now_ms,
    error::{Error, Invalid, Result},
    extract::{Json, Path},
    repo::attachments::{AttachmentRow, NewUpload},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(download, remove))
        .routes(routes!(thumbnail))
}

/// The header that names the uploaded file: its UTF-8 name, percent-encoded (`encodeURIComponent`).
pub const NAME_HEADER: &str = "x-file-name";
/// The one body type an upload takes; a cross-site form cannot send it without the server's consent.
pub const UPLOAD_TYPE: &str = "application/octet-stream";
/// Every file is served with this policy: nothing in it runs, even opened directly.
pub const FILE_CSP: &str = "default-src 'none'; sandbox";

fn custom(pt: &str, en: &str) -> Invalid {
    Invalid::Custom {
        pt: pt.into(),
        en: en.into(),
    }
}

/// An upload named in `attachments` that is not (or no longer) the caller's to attach.
/// Keeps a file as an upload of `uploader_id`'s, not attached yet, once its bytes are of an allowed
/// type (`classify`); answers its id. The portal's uploads and the files of incoming mail come here.
pub async fn store_upload(
    state: &AppState,
    uploader_id: i64,
    name: &str,
    bytes: axum::body::Bytes,
) -> Result<i64> {
    if bytes.len() as u64 > state.attachments.max_bytes {
        return Err(Error::FileTooLarge {
            limit_bytes: state.attachments.max_bytes,
        });
    }
    let kind = classify(name, &bytes)?;
    let sha = sha256_hex(&bytes);
    let size = bytes.len() as i64;
    // Held until the row is in: the purge cannot take the blob away between the two.
    let _gc = state.attachments.gc.read().await;
    state
        .attachments
        .store
        .put(&sha, bytes)
        .await
        .map_err(|e| Error::Internal(format!("storing an upload: {e}")))?;
    Ok(state
        .repo
        .insert_upload(&NewUpload {
            sha256: &sha,
            name,
            content_type: kind.mime,
            size,
            uploader_id,
            now: now_ms(),
        })
        .await?)
}

pub fn uploads_gone() -> Error {
    Error::invalid(
        "attachments",
        custom(
            "Um dos arquivos não está mais disponível (já foi enviado em outra mensagem ou expirou). Anexe-o de novo.",
            "One of the files is no longer available (sent with another message already, or expired). Attach it again.",
        ),
    )
}

/// The uploads a new ticket or message names, checked before its transaction: at most the configured
/// number, each an upload of the caller's. Duplicates count once. Whether they are still unattached is
/// decided inside the write (a retry of the same request replays instead of attaching again).
pub(crate) async fn check_uploads(state: &AppState, user: &User, ids: &[i64]) -> Result<Vec<i64>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let max = state.attachments.max_files;
    if ids.len() > max {
        return Err(Error::invalid(
            "attachments",
            custom(
                &format!("Anexe no máximo {max} arquivos por mensagem."),
                &format!("Attach at most {max} files to a message."),
            ),
        ));
    }
    let found = state.repo.attachments_by_id(&ids).await?;
    let mine = found.iter().filter(|a| a.uploader_id == user.id).count();
    if mine != ids.len() {
        return Err(uploads_gone());
    }
    Ok(ids)
}

/// Reads the upload's name from `X-File-Name` (percent-encoded UTF-8).
fn file_name(headers: &HeaderMap) -> Result<String> {
    let raw = headers
        .get(NAME_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::invalid("X-File-Name", Invalid::Required))?;
    let decoded = percent_decode(raw).ok_or_else(|| {
        Error::invalid(
            "X-File-Name",
            custom(
                "Envie o nome do arquivo em UTF-8 codificado para URL (encodeURIComponent).",
                "Send the file name as URL-encoded UTF-8 (encodeURIComponent).",
            ),
        )
    })?;
    clean_name(&decoded)
}

/// Whether an error reading the body was its size limit.
fn over_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// Uploads one file, to attach to a new ticket, a message or a note. The type is decided from the
/// bytes; the file is on disk (fsync'd) before the 201.
#[utoipa::path(post, path = "/attachments", tag = "attachments",
    params(("X-File-Name" = String, Header, min_length = 1, max_length = 2000, pattern = "^[!-~]+$",
        description = "The file's name, UTF-8 percent-encoded (encodeURIComponent); kept as metadata only")),
    request_body(content = String, content_type = "application/octet-stream",
        description = "The file's bytes (at most 20 MB by default, `serve --attachment-max-mb`)"),
    responses((status = 201, body = Attachment, description = "Uploaded, not attached yet: name its id in `attachments`"),
        (status = 401, body = Problem),
        (status = 413, body = Problem, description = "Over the size limit (`code: file_too_large`)"),
        (status = 415, body = Problem, description = "Not `Content-Type: application/octet-stream`, or bytes of a type not accepted (`code: file_type_not_allowed`)"),
        (status = 422, body = Problem, description = "No or bad `X-File-Name`, or an empty file")))]
async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let max = state.attachments.max_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(Error::FileTooLarge { limit_bytes: max });
    }
    let name = file_name(&headers)?;
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        if over_limit(&e) {
            Error::FileTooLarge { limit_bytes: max }
        } else {
            Error::BadRequest(e.to_string())
        }
    })?;
    let id = store_upload(&state, user.user.id, &name, bytes).await?;
    let row = state.repo.attachment(id).await?.ok_or(Error::NotFound)?;
    let body = row.to_api();
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/attachments/{id}")) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// The attachment if `user` may see it: an article's image, anyone once the article is published (staff
/// before); otherwise only the signed-in: the uploader while it is not attached; once attached, whoever may
/// see the ticket, and for a note's file, staff only. `NotFound` otherwise.
async fn readable(state: &AppState, user: Option<&CurrentUser>, id: i64) -> Result<AttachmentRow> {
    let row = state.repo.attachment(id).await?;
    if let Some(row) = &row
        && row.article_id.is_some()
        && row.article_published
    {
        return Ok(row.clone());
    }
    let Some(user) = user else {
        return Err(Error::Unauthorized);
    };
    let row = row.ok_or(Error::NotFound)?;
    match (row.ticket_id, row.article_id) {
        (None, Some(_)) if user.is_staff() => Ok(row),
        (None, Some(_)) => Err(Error::NotFound),
        (None, None) if row.uploader_id == user.user.id => Ok(row),
        (None, None) => Err(Error::NotFound),
        (Some(ticket), _) => {
            crate::policy::visible(state, &user.user, ticket).await?;
            if !crate::policy::may_see_message(
                &user.user,
                row.event_kind.as_deref() == Some("note"),
            ) {
                return Err(Error::NotFound);
            }
            Ok(row)
        }
    }
}

/// Downloads a file: raster images inline, everything else as an attachment with its UTF-8 name; never
/// sniffed, never run (`X-Content-Type-Options: nosniff`, `Content-Security-Policy: default-src 'none';
/// sandbox`).
#[utoipa::path(get, path = "/attachments/{id}", tag = "attachments",
    params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 200, content_type = "*/*", body = String,
            description = "The file, with `Content-Disposition` (inline for png, jpeg, gif and webp; attachment otherwise), `ETag`, `X-Content-Type-Options: nosniff` and `Content-Security-Policy: default-src 'none'; sandbox`"),
        (status = 304, description = "Unchanged (the ETag sent in If-None-Match)"),
        (status = 401, body = Problem), (status = 404, body = Problem, description = "Absent, or not yours to see")))]
async fn download(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    let row = readable(&state, user.as_ref(), id).await?;
    let tag = format!("\"{}\"", row.sha256);
    let fresh = HeaderValue::from_str(&tag)
        .is_ok_and(|etag| crate::representation::none_match(&headers, &etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let bytes = state
            .attachments
            .store
            .get(&row.sha256)
            .await
            .map_err(|e| Error::Internal(format!("reading attachment {id}: {e}")))?
            .ok_or_else(|| {
                tracing::error!(id, sha256 = %row.sha256, "an attachment's file is missing from the store");
                Error::NotFound
            })?;
        bytes.into_response()
    };
    let inline = attachments::is_inline(&row.content_type);
    file_headers(
        response.headers_mut(),
        &served_type(&row.content_type),
        &content_disposition(&row.name, inline),
        &tag,
    );
    Ok(response)
}

/// The headers of every file served: its type and disposition, the ETag, and the guards that keep a file
/// from being sniffed or run.
fn file_headers(h: &mut HeaderMap, content_type: &str, disposition: &str, tag: &str) {
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set(h, header::CONTENT_TYPE, content_type);
    set(h, header::CONTENT_DISPOSITION, disposition);
    set(h, header::ETAG, tag);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_CSP),
    );
}

/// A raster image's thumbnail: a PNG of at most 320 pixels a side, made on the server the first time it is
/// asked for (under decoding limits: a small file that claims a huge image is refused, never allocated)
/// and kept beside the file.
#[utoipa::path(get, path = "/attachments/{id}/thumbnail", tag = "attachments",
    params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 200, content_type = "image/png", body = String,
            description = "The thumbnail, with `ETag`, `X-Content-Type-Options: nosniff` and `Content-Security-Policy: default-src 'none'; sandbox`"),
        (status = 304, description = "Unchanged (the ETag sent in If-None-Match)"),
        (status = 401, body = Problem),
        (status = 404, body = Problem, description = "Absent, not yours to see, or not a raster image"),
        (status = 422, body = Problem, description = "The image is too large to decode, or cannot be read")))]
async fn thumbnail(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    let row = readable(&state, user.as_ref(), id).await?;
    if !attachments::is_inline(&row.content_type) {
        return Err(Error::NotFound);
    }
    let tag = format!("\"thumbnail-{}\"", row.sha256);
    let fresh = HeaderValue::from_str(&tag)
        .is_ok_and(|etag| crate::representation::none_match(&headers, &etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        thumbnail_bytes(&state, &row).await?.into_response()
    };
    let stem = row
        .name
        .rsplit_once('.')
        .map_or(row.name.as_str(), |(s, _)| s);
    file_headers(
        response.headers_mut(),
        "image/png",
        &content_disposition(&format!("{stem}.png"), true),
        &tag,
    );
    Ok(response)
}

/// The kept thumbnail, or a new one made (a few at a time, off the async workers) and kept.
async fn thumbnail_bytes(state: &AppState, row: &AttachmentRow) -> Result<axum::body::Bytes> {
    let store = &state.attachments.store;
    let failed =
        |e: std::io::Error| Error::Internal(format!("thumbnail of attachment {}: {e}", row.id));
    if let Some(bytes) = store
        .get_variant(&row.sha256, attachments::Variant::Thumbnail)
        .await
        .map_err(failed)?
    {
        return Ok(bytes);
    }
    let _permit = state
        .attachments
        .decoding
        .acquire()
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let original = store
        .get(&row.sha256)
        .await
        .map_err(failed)?
        .ok_or(Error::NotFound)?;
    let made = tokio::task::spawn_blocking(move || attachments::thumbnail(&original))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let png = match made {
        Ok(png) => axum::body::Bytes::from(png),
        Err(e) => {
            tracing::info!(id = row.id, error = %e, "no thumbnail");
            let (pt, en) = match e {
                attachments::ThumbnailError::TooLarge(_) => (
                    "A imagem é grande demais para a miniatura; baixe o arquivo para vê-la.",
                    "The image is too large for a thumbnail; download the file to see it.",
                ),
                attachments::ThumbnailError::Unreadable(_) => (
                    "Não foi possível ler esta imagem para a miniatura; baixe o arquivo.",
                    "This image could not be read for a thumbnail; download the file.",
                ),
            };
            return Err(Error::invalid("attachment", custom(pt, en)));
        }
    };
    store
        .put_variant(&row.sha256, attachments::Variant::Thumbnail, png.clone())
        .await
        .map_err(failed)?;
    Ok(png)
}

/// Removes one's own upload that was not sent (attached) yet.
#[utoipa::path(delete, path = "/attachments/{id}", tag = "attachments",
    params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem),
        (status = 404, body = Problem, description = "Absent, attached already, or not your upload")))]
async fn remove(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    let _gc = state.attachments.gc.write().await;
    let sha = state
        .repo
        .delete_upload(id, user.user.id)
        .await?
        .ok_or(Error::NotFound)?;
    if !state.repo.blob_in_use(&sha).await? {
        state
            .attachments
            .store
            .delete(&sha)
            .await
            .map_err(|e| Error::Internal(format!("deleting a blob: {e}")))?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Removes the uploads never attached that were made before `before` (Unix ms), and their files when
/// nothing else refers to them; answers how many files were deleted.
pub async fn purge_unattached(state: &AppState, before: i64) -> Result<usize> {
    let _gc = state.attachments.gc.write().await;
    let orphans = state.repo.purge_unattached(before).await?;
    for sha in &orphans {
        state
            .attachments
            .store
            .delete(sha)
            .await
            .map_err(|e| Error::Internal(format!("deleting a blob: {e}")))?;
    }
    Ok(orphans.len())
}
