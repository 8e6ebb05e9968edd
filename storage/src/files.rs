//! Files users upload: metadata here, bytes in the blob store. A file is
//! visible to its uploader, to members of conversations it was shared in, and,
//! if public, to every user of the app.

use serde::Serialize;
use sqlx::FromRow;

use crate::{AppScope, FileId, Result, StoreError, UserId, on_pool, ts};

/// A stored file's metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileMeta {
    /// Id.
    pub id: FileId,
    /// Who uploaded it.
    pub uploader_id: UserId,
    /// File name given at upload.
    pub name: String,
    /// Content type, sniffed from the bytes.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Image width in pixels.
    pub width: Option<i64>,
    /// Image height in pixels.
    pub height: Option<i64>,
    /// A thumbnail exists.
    pub has_thumbnail: bool,
    /// Visible to every user of the app.
    pub public: bool,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub created_at: i64,
}

/// What a message carries of an attached file.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Attachment {
    /// File id (download from `/v1/files/{id}`).
    pub id: FileId,
    /// File name.
    pub name: String,
    /// Content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Image width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    /// Image height.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
}

impl FileMeta {
    /// The attachment summary of this file.
    pub fn attachment(&self) -> Attachment {
        Attachment {
            id: self.id,
            name: self.name.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
            width: self.width,
            height: self.height,
        }
    }
}

#[derive(FromRow)]
pub(crate) struct FileRow {
    id: String,
    uploader_id: String,
    name: String,
    content_type: String,
    size: i64,
    sha256: String,
    width: Option<i64>,
    height: Option<i64>,
    has_thumbnail: i64,
    public: i64,
    created_at: i64,
}

impl TryFrom<FileRow> for FileMeta {
    type Error = StoreError;
    fn try_from(r: FileRow) -> Result<FileMeta> {
        let corrupt =
            |column: &'static str| move |e: crate::IdError| StoreError::Corrupt { column, reason: e.to_string() };
        Ok(FileMeta {
            id: r.id.parse().map_err(corrupt("files.id"))?,
            uploader_id: r.uploader_id.parse().map_err(corrupt("files.uploader_id"))?,
            name: r.name,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            width: r.width,
            height: r.height,
            has_thumbnail: r.has_thumbnail != 0,
            public: r.public != 0,
            created_at: r.created_at,
        })
    }
}

/// The file `$2` of app `$1` if user `$3` may see it.
/// A file `$3` may read: uploaded by them, public, shared into a conversation
/// they are in, or media of an object they may see (bound `$4`: now).
pub(crate) const VISIBLE_FILE: &str = concat!(
    "SELECT f.id, f.uploader_id, f.name, f.content_type, f.size, f.sha256, f.width, f.height, \
    f.has_thumbnail, f.public, f.created_at FROM files f WHERE f.app_id = $1 AND f.id = $2 AND (f.uploader_id = $3 OR f.public = 1 \
    OR EXISTS (SELECT 1 FROM file_shares s JOIN members m ON m.app_id = s.app_id AND m.conversation_id = s.conversation_id \
    WHERE s.app_id = f.app_id AND s.file_id = f.id AND m.user_id = $3) \
    OR EXISTS (SELECT 1 FROM object_files x JOIN objects o ON o.app_id = x.app_id AND o.id = x.object_id \
    WHERE x.app_id = f.app_id AND x.file_id = f.id AND ",
    crate::objects::visible!(3, 4),
    "))"
);

impl AppScope<'_> {
    /// Stores a file's metadata (after its bytes are in the blob store).
    pub async fn insert_file(&self, f: &FileMeta) -> Result<()> {
        on_pool!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO files (app_id, id, uploader_id, name, content_type, size, sha256, width, height, has_thumbnail, \
                 public, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(self.id())
            .bind(f.id.to_string())
            .bind(f.uploader_id.as_str())
            .bind(&f.name)
            .bind(&f.content_type)
            .bind(f.size)
            .bind(&f.sha256)
            .bind(f.width)
            .bind(f.height)
            .bind(i64::from(f.has_thumbnail))
            .bind(i64::from(f.public))
            .bind(f.created_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The file, if `user` may see it; otherwise `NotFound` (existence is not revealed).
    pub async fn file_for(&self, id: FileId, user: &UserId) -> Result<FileMeta> {
        let row: Option<FileRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(VISIBLE_FILE)
                .bind(self.id())
                .bind(id.to_string())
                .bind(user.as_str())
                .bind(crate::now_ms())
                .fetch_optional(pool)
                .await?
        });
        row.map(FileMeta::try_from).transpose()?.ok_or(StoreError::NotFound { what: "file" })
    }
}
