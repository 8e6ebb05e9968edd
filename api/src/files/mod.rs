//! Files: streaming upload into the blob store (size limit, SHA-256, content
//! type sniffed from the bytes, image dimensions and a thumbnail), and download
//! for those allowed to see a file.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use caas_storage::{FileId, FileMeta, UserId};
use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path as BlobPath;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::gate::auth::{EndUser, authenticate, bearer_token};
use crate::gate::origin::request_origin;
use crate::http::error::{ApiError, ApiJson, ErrorBody};

/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIZE: u32 = 256;
/// Pictures larger than this (width × height) are stored without a thumbnail,
/// never decoded.
pub const MAX_DECODE_PIXELS: u64 = 40_000_000;
/// Most memory one decode may take.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// Pictures decoded at once, across all uploads.
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A picture's size from its header and, if it is small enough to decode, its
/// thumbnail as PNG. `None` if the bytes are not a readable picture.
fn picture(bytes: &[u8]) -> Option<(u32, u32, Option<Vec<u8>>)> {
    let reader = || image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().ok();
    let (w, h) = reader()?.into_dimensions().ok()?;
    if u64::from(w) * u64::from(h) > MAX_DECODE_PIXELS {
        return Some((w, h, None));
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut decoder = reader()?;
    decoder.limits(limits);
    let Ok(img) = decoder.decode() else {
        return Some((w, h, None));
    };
    let thumb = img.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE);
    let mut out = std::io::Cursor::new(Vec::new());
    thumb.write_to(&mut out, image::ImageFormat::Png).ok()?;
    Some((w, h, Some(out.into_inner())))
}

crate::handle! {
    /// What files need.
    Files => FilesParts
}

/// The parts of a [`Files`].
pub struct FilesParts {
    /// The database (file metadata).
    pub store: caas_storage::Store,
    /// Where file bytes live.
    pub blobs: std::sync::Arc<dyn object_store::ObjectStore>,
    /// Largest upload, in bytes.
    pub max_file_bytes: usize,
    /// Downloads count as egress.
    pub meter: std::sync::Arc<crate::billing::meters::Meter>,
    /// Downloads by `?token=` are authenticated here.
    pub gate: crate::gate::Gate,
}

fn blob_path(app: caas_storage::AppId, id: FileId, thumb: bool) -> BlobPath {
    BlobPath::from(format!("{app}/{id}{}", if thumb { ".thumb.png" } else { "" }))
}

/// Query of `POST /v1/files`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// File name to keep (default `file`).
    pub name: Option<String>,
    /// Visible to every user of the app (default false).
    #[serde(default)]
    pub public: bool,
}

/// `{"file": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileBody {
    /// The file's metadata.
    #[schema(value_type = Object)]
    pub file: FileMeta,
}

/// Uploads a file: the request body is the file's bytes.
#[utoipa::path(
    post,
    path = "/v1/files",
    tag = "files",
    security(("session_token" = [])),
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 200, body = FileBody),
        (status = 413, description = "Larger than CAAS_MAX_FILE_BYTES (`payload_too_large`)", body = ErrorBody),
        (status = 422, description = "Empty file or bad name", body = ErrorBody),
    )
)]
pub async fn upload(
    State(state): State<Files>,
    user: EndUser,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> Result<ApiJson<FileBody>, ApiError> {
    let name = q.name.unwrap_or_else(|| "file".to_owned());
    if name.is_empty() || name.chars().count() > 255 || name.contains(['/', '\\', '\0']) {
        return Err(ApiError::invalid("invalid_name", "name must be 1 to 255 characters without slashes"));
    }
    let id = FileId::generate();
    let path = blob_path(user.app_id, id, false);
    let upload = state.blobs.put_multipart(&path).await.map_err(ApiError::internal)?;
    let mut writer = object_store::WriteMultipart::new(upload);
    let mut hasher = Sha256::new();
    let mut size: usize = 0;
    let mut head: Vec<u8> = Vec::new();
    // Images are decoded for a thumbnail, so their bytes are kept (within the limit).
    let mut whole: Vec<u8> = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                let _ = writer.abort().await;
                return Err(ApiError::bad_request("upload_failed", format!("upload interrupted: {e}")));
            }
        };
        size += chunk.len();
        if size > state.max_file_bytes {
            let _ = writer.abort().await;
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("files are limited to {} bytes", state.max_file_bytes),
            ));
        }
        hasher.update(&chunk);
        if head.len() < 8192 {
            head.extend_from_slice(&chunk[..chunk.len().min(8192 - head.len())]);
        }
        whole.extend_from_slice(&chunk);
        if !infer::is_image(&head) && whole.len() > 8192 {
            whole.clear();
            whole.shrink_to_fit();
        }
        writer.write(&chunk);
    }
    if size == 0 {
        let _ = writer.abort().await;
        return Err(ApiError::invalid("empty_file", "the request body is empty"));
    }
    writer.finish().await.map_err(ApiError::internal)?;
    let content_type = infer::get(&head).map(|t| t.mime_type().to_owned()).unwrap_or_else(|| {
        if std::str::from_utf8(&head).is_ok() { "text/plain".to_owned() } else { "application/octet-stream".to_owned() }
    });
    let (mut width, mut height, mut has_thumbnail) = (None, None, false);
    if content_type == "image/png" || content_type == "image/jpeg" {
        let bytes = std::mem::take(&mut whole);
        // Decoding is bounded: a few at a time, and none past MAX_DECODE_PIXELS
        // (a small file may declare a huge picture).
        // The permit goes with the decode: it is held until the decode ends, even
        // if this request is dropped meanwhile.
        let permit = DECODES.acquire().await.map_err(ApiError::internal)?;
        let made = tokio::task::spawn_blocking(move || {
            let _held = permit;
            picture(&bytes)
        })
        .await
        .ok()
        .flatten();
        if let Some((w, h, thumb)) = made {
            width = Some(i64::from(w));
            height = Some(i64::from(h));
            if let Some(thumb) = thumb {
                state.blobs.put(&blob_path(user.app_id, id, true), thumb.into()).await.map_err(ApiError::internal)?;
                has_thumbnail = true;
            }
        }
    }
    let sha256: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let meta = FileMeta {
        id,
        uploader_id: user.user_id.clone(),
        name,
        content_type,
        size: size as i64,
        sha256,
        width,
        height,
        has_thumbnail,
        public: q.public,
        created_at: caas_storage::now_ms(),
    };
    state.store.app(user.app_id).insert_file(&meta).await?;
    tracing::debug!(app_id = %user.app_id, user_id = %user.user_id, size, "file uploaded");
    Ok(ApiJson(FileBody { file: meta }))
}

/// Media types served as themselves and `inline` (shown in the browser);
/// every other upload is served as `application/octet-stream` and
/// `attachment` (downloaded), so an uploaded page or SVG never runs on the
/// API's origin.
pub const INLINE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "audio/mpeg",
    "audio/ogg",
    "audio/x-wav",
    "audio/webm",
    "audio/mp4",
    "audio/x-flac",
    "video/mp4",
    "video/webm",
    "video/ogg",
    "video/quicktime",
    "text/plain",
];

/// Query of the download routes: a token for `<img src>` and links, which cannot send headers.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TokenQuery {
    /// Session token (or send `Authorization: Bearer`).
    pub token: Option<String>,
}

async fn reader(state: &Files, headers: &HeaderMap, q: &TokenQuery) -> Result<(caas_storage::AppId, UserId), ApiError> {
    let token = bearer_token(headers)
        .or(q.token.as_deref())
        .ok_or_else(|| ApiError::invalid_token("send `Authorization: Bearer <token>` or `?token=`"))?;
    let user = authenticate(&state.gate, token, request_origin(headers)).await?;
    Ok((user.app_id, user.user_id))
}

async fn serve(
    state: &Files,
    headers: &HeaderMap,
    q: &TokenQuery,
    raw_id: &str,
    thumb: bool,
) -> Result<Response, ApiError> {
    let (app, user) = reader(state, headers, q).await?;
    let id: FileId = raw_id.parse().map_err(|_| ApiError::not_found("not_found", "file not found"))?;
    let meta = state.store.app(app).file_for(id, &user).await?;
    if thumb && !meta.has_thumbnail {
        return Err(ApiError::not_found("not_found", "this file has no thumbnail"));
    }
    let got = state.blobs.get(&blob_path(app, id, thumb)).await.map_err(ApiError::internal)?;
    let len = got.meta.size;
    state.meter.egress(app, len);
    let stream = got.into_stream().map(|r| r.map_err(std::io::Error::other));
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    let ct = if thumb { "image/png" } else { meta.content_type.as_str() };
    // Uploads are untrusted: only media a browser shows without running
    // anything is served as itself and inline; the rest downloads as bytes,
    // and nothing served here may run script on this origin.
    let shown = INLINE_TYPES.contains(&ct);
    let ct = if shown { ct } else { "application/octet-stream" };
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ct).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", meta.sha256)) {
        h.insert(header::ETAG, etag);
    }
    let safe: String = meta.name.chars().filter(|c| c.is_ascii_graphic() && *c != '"' || *c == ' ').collect();
    let disposition = if shown { "inline" } else { "attachment" };
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// Downloads a file (its uploader, members of a conversation it was shared in, or anyone if public).
#[utoipa::path(
    get, path = "/v1/files/{id}", tag = "files", security(("session_token" = [])),
    params(("id" = String, Path), TokenQuery),
    responses((status = 200, description = "The bytes"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn download(
    State(state): State<Files>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    serve(&state, &headers, &q, &id, false).await
}

/// A PNG thumbnail (at most 256x256) of an image file.
#[utoipa::path(
    get, path = "/v1/files/{id}/thumbnail", tag = "files", security(("session_token" = [])),
    params(("id" = String, Path), TokenQuery),
    responses((status = 200, description = "PNG bytes"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn thumbnail(
    State(state): State<Files>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    serve(&state, &headers, &q, &id, true).await
}

/// The metadata of a file.
#[utoipa::path(
    get, path = "/v1/files/{id}/meta", tag = "files", security(("session_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = FileBody), (status = 404, body = ErrorBody))
)]
pub async fn meta(
    State(state): State<Files>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<FileBody>, ApiError> {
    let id: FileId = id.parse().map_err(|_| ApiError::not_found("not_found", "file not found"))?;
    Ok(ApiJson(FileBody { file: state.store.app(user.app_id).file_for(id, &user.user_id).await? }))
}

/// Removes the bytes (and thumbnails) of deleted files; failures are logged, the
/// metadata is already gone so the bytes are unreachable either way.
pub async fn delete_blobs(state: &Files, app: caas_storage::AppId, files: &[FileId]) {
    for id in files {
        for thumb in [false, true] {
            match state.blobs.delete(&blob_path(app, *id, thumb)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => tracing::warn!(app_id = %app, error = %e, "cannot delete a file's bytes"),
            }
        }
    }
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Files: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(download))
        .routes(routes!(thumbnail))
        .routes(routes!(meta))
}
