//! Collaborative documents: metadata, who may open them, the stored state
//! (a compacted snapshot plus the updates appended since) and named versions.
//!
//! Access: the owner; users with an explicit role; and, for a document tied
//! to a conversation, that conversation's members (as editors). Everyone else
//! — and every other app — gets `NotFound`.

use std::str::FromStr;

use serde::Serialize;

use crate::{AppScope, BeginWrite, ConversationId, DocId, Result, StoreError, UserId, VersionId, now_ms, on_pool, ts};

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    /// A whiteboard.
    Whiteboard,
    /// A rich-text document.
    Doc,
}

impl FromStr for DocKind {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "whiteboard" => Ok(DocKind::Whiteboard),
            "doc" => Ok(DocKind::Doc),
            _ => {
                Err(StoreError::Invalid { code: "invalid_kind", message: "kind must be `whiteboard` or `doc`".into() })
            }
        }
    }
}

impl DocKind {
    fn as_str(self) -> &'static str {
        match self {
            DocKind::Whiteboard => "whiteboard",
            DocKind::Doc => "doc",
        }
    }
}

/// A user's role on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocRole {
    /// Reads.
    Viewer,
    /// Reads and writes.
    Editor,
    /// Also manages roles, versions and deletion.
    Owner,
}

impl FromStr for DocRole {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "viewer" => Ok(DocRole::Viewer),
            "editor" => Ok(DocRole::Editor),
            "owner" => Ok(DocRole::Owner),
            _ => Err(StoreError::Invalid {
                code: "invalid_role",
                message: "role must be viewer, editor or owner".into(),
            }),
        }
    }
}

impl DocRole {
    fn as_str(self) -> &'static str {
        match self {
            DocRole::Viewer => "viewer",
            DocRole::Editor => "editor",
            DocRole::Owner => "owner",
        }
    }
}

/// A document's metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocMeta {
    /// Id.
    pub id: DocId,
    /// Whiteboard or doc.
    pub kind: DocKind,
    /// Title.
    pub title: String,
    /// Creator.
    pub owner_id: UserId,
    /// The conversation whose members may edit it.
    pub conversation_id: Option<ConversationId>,
    /// Explicit roles (besides the owner).
    pub roles: Vec<(UserId, DocRole)>,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub created_at: i64,
    /// RFC 3339: last stored change.
    #[serde(with = "ts")]
    pub updated_at: i64,
}

/// Input of [`AppScope::create_doc`].
#[derive(Debug, Clone)]
pub struct NewDoc {
    /// Whiteboard or doc.
    pub kind: DocKind,
    /// Title (1–200 characters).
    pub title: String,
    /// Tie it to a conversation (the owner must be a member).
    pub conversation_id: Option<ConversationId>,
    /// Initial roles.
    pub roles: Vec<(UserId, DocRole)>,
}

/// A page of documents.
pub type DocPage = crate::Page<DocMeta>;

impl crate::Listed for DocMeta {
    const ITEMS: &'static str = "docs";
    fn cursor(&self) -> String {
        crate::time_cursor_of(self.created_at, self.id)
    }
}

/// The stored state: snapshot and the updates after it.
#[derive(Debug, Clone, Default)]
pub struct DocState {
    /// Compacted state (a v1 update), if any.
    pub snapshot: Option<Vec<u8>>,
    /// Updates after the snapshot, oldest first.
    pub updates: Vec<Vec<u8>>,
    /// Sequence number of the last update.
    pub last_seq: i64,
}

/// A named version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocVersion {
    /// Id.
    pub id: VersionId,
    /// Name.
    pub name: String,
    /// Who made it.
    pub created_by: UserId,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub created_at: i64,
}

type DocRow = (String, String, String, String, Option<String>, i64, i64);

macro_rules! doc_columns {
    () => {
        "d.id, d.kind, d.title, d.owner_id, d.conversation_id, d.created_at, d.updated_at"
    };
}

use crate::parse_column as parse;

fn meta(row: DocRow, roles: Vec<(UserId, DocRole)>) -> Result<DocMeta> {
    Ok(DocMeta {
        id: parse("docs.id", &row.0)?,
        kind: row.1.parse()?,
        title: row.2,
        owner_id: parse("docs.owner_id", &row.3)?,
        conversation_id: row.4.as_deref().map(|c| parse("docs.conversation_id", c)).transpose()?,
        roles,
        created_at: row.5,
        updated_at: row.6,
    })
}

impl AppScope<'_> {
    /// Creates a document owned by `owner`.
    pub async fn create_doc(&self, owner: &UserId, new: &NewDoc) -> Result<DocMeta> {
        let title = new.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(StoreError::Invalid {
                code: "invalid_title",
                message: "title must be 1 to 200 characters".into(),
            });
        }
        let app = self.id();
        let id = DocId::generate();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(conv) = new.conversation_id {
                crate::require_conversation!(&mut *tx, &app, conv, owner);
            }
            sqlx::query(
                "INSERT INTO docs (app_id, id, kind, title, owner_id, conversation_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(new.kind.as_str())
            .bind(title)
            .bind(owner.as_str())
            .bind(new.conversation_id.map(|c| c.to_string()))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (user, role) in &new.roles {
                if user == owner {
                    continue;
                }
                sqlx::query("INSERT INTO doc_roles (app_id, doc_id, user_id, role) VALUES ($1, $2, $3, $4)")
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(user.as_str())
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        let roles = new.roles.iter().filter(|(u, _)| u != owner).cloned().collect();
        Ok(DocMeta {
            id,
            kind: new.kind,
            title: title.to_owned(),
            owner_id: owner.clone(),
            conversation_id: new.conversation_id,
            roles,
            created_at: now,
            updated_at: now,
        })
    }

    /// The document, whoever asks (server-side use); `NotFound` if it does not exist.
    pub async fn doc(&self, id: DocId) -> Result<DocMeta> {
        let app = self.id();
        let (row, roles): (Option<DocRow>, Vec<(String, String)>) = on_pool!(self.db(), |pool| {
            let row =
                sqlx::query_as(concat!("SELECT ", doc_columns!(), " FROM docs d WHERE d.app_id = $1 AND d.id = $2"))
                    .bind(&app)
                    .bind(id.to_string())
                    .fetch_optional(pool)
                    .await?;
            let roles = sqlx::query_as(
                "SELECT user_id, role FROM doc_roles WHERE app_id = $1 AND doc_id = $2 ORDER BY user_id",
            )
            .bind(&app)
            .bind(id.to_string())
            .fetch_all(pool)
            .await?;
            (row, roles)
        });
        let row = row.ok_or(StoreError::NotFound { what: "document" })?;
        let roles = roles
            .into_iter()
            .map(|(u, r)| Ok((parse("doc_roles.user_id", &u)?, r.parse()?)))
            .collect::<Result<Vec<_>>>()?;
        meta(row, roles)
    }

    /// `user`'s role on the document; `NotFound` if they have none (or it does not exist).
    pub async fn doc_role(&self, id: DocId, user: &UserId) -> Result<(DocMeta, DocRole)> {
        let doc = self.doc(id).await?;
        if doc.owner_id == *user {
            return Ok((doc, DocRole::Owner));
        }
        if let Some((_, role)) = doc.roles.iter().find(|(u, _)| u == user) {
            let role = *role;
            return Ok((doc, role));
        }
        if let Some(conv) = doc.conversation_id {
            let members = self.recipients(conv).await;
            if members.is_ok_and(|m| m.binary_search(user).is_ok()) {
                return Ok((doc, DocRole::Editor));
            }
        }
        Err(StoreError::NotFound { what: "document" })
    }

    /// Documents `user` may open, newest first, optionally of one kind or conversation.
    pub async fn list_docs(
        &self,
        user: &UserId,
        kind: Option<DocKind>,
        conversation: Option<ConversationId>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<DocPage> {
        let (before_at, before_id) = match cursor {
            None => (i64::MAX, String::new()),
            Some(c) => {
                let bad = || StoreError::Invalid {
                    code: "invalid_cursor",
                    message: "cursor is not one this server gave".into(),
                };
                let (at, id) = c.split_once('_').ok_or_else(bad)?;
                (at.parse().map_err(|_| bad())?, id.to_owned())
            }
        };
        let app = self.id();
        let rows: Vec<DocRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                doc_columns!(),
                " FROM docs d WHERE d.app_id = $1 \
                 AND (d.owner_id = $2 \
                      OR EXISTS (SELECT 1 FROM doc_roles r WHERE r.app_id = d.app_id AND r.doc_id = d.id AND r.user_id = $2) \
                      OR (d.conversation_id IS NOT NULL AND EXISTS (SELECT 1 FROM members m \
                          WHERE m.app_id = d.app_id AND m.conversation_id = d.conversation_id AND m.user_id = $2))) \
                 AND ($3 = '' OR d.kind = $3) AND ($4 = '' OR d.conversation_id = $4) \
                 AND (d.created_at < $5 OR (d.created_at = $5 AND d.id < $6)) \
                 ORDER BY d.created_at DESC, d.id DESC LIMIT $7"
            ))
            .bind(&app)
            .bind(user.as_str())
            .bind(kind.map(DocKind::as_str).unwrap_or(""))
            .bind(conversation.map(|c| c.to_string()).unwrap_or_default())
            .bind(before_at)
            .bind(if cursor.is_none() { "\u{10ffff}".to_owned() } else { before_id })
            .bind(limit + 1)
            .fetch_all(pool)
            .await?
        });
        let (rows, more) = crate::cut(rows, limit);
        let docs = rows.into_iter().map(|row| meta(row, Vec::new())).collect::<Result<Vec<_>>>()?;
        Ok(DocPage::after(docs, more))
    }

    /// Sets (or with `None` removes) a user's role.
    pub async fn set_doc_role(&self, id: DocId, user: &UserId, role: Option<DocRole>) -> Result<()> {
        let app = self.id();
        on_pool!(self.db(), |pool| {
            match role {
                Some(role) => {
                    sqlx::query(
                        "INSERT INTO doc_roles (app_id, doc_id, user_id, role) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (app_id, doc_id, user_id) DO UPDATE SET role = excluded.role",
                    )
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(user.as_str())
                    .bind(role.as_str())
                    .execute(pool)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM doc_roles WHERE app_id = $1 AND doc_id = $2 AND user_id = $3")
                        .bind(&app)
                        .bind(id.to_string())
                        .bind(user.as_str())
                        .execute(pool)
                        .await?;
                }
            }
        });
        Ok(())
    }

    /// Deletes a document with its state, roles and versions.
    pub async fn delete_doc(&self, id: DocId) -> Result<()> {
        let app = self.id();
        let n = on_pool!(self.db(), |pool| {
            sqlx::query("DELETE FROM docs WHERE app_id = $1 AND id = $2")
                .bind(&app)
                .bind(id.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound { what: "document" });
        }
        Ok(())
    }

    /// The stored state.
    pub async fn doc_state(&self, id: DocId) -> Result<DocState> {
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let head: Option<(Option<Vec<u8>>, i64, i64)> =
                sqlx::query_as("SELECT snapshot, snapshot_seq, update_seq FROM docs WHERE app_id = $1 AND id = $2")
                    .bind(&app)
                    .bind(id.to_string())
                    .fetch_optional(pool)
                    .await?;
            let (snapshot, snapshot_seq, last_seq) = head.ok_or(StoreError::NotFound { what: "document" })?;
            let updates: Vec<(Vec<u8>,)> = sqlx::query_as(
                "SELECT data FROM doc_updates WHERE app_id = $1 AND doc_id = $2 AND seq > $3 ORDER BY seq",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(snapshot_seq)
            .fetch_all(pool)
            .await?;
            Ok(DocState { snapshot, updates: updates.into_iter().map(|(u,)| u).collect(), last_seq })
        })
    }

    /// Appends updates in one transaction (committed when this returns);
    /// returns the sequence number of the last.
    pub async fn append_doc_updates(&self, id: DocId, updates: &[Vec<u8>]) -> Result<i64> {
        let app = self.id();
        let n = updates.len() as i64;
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let seq: Option<(i64,)> = sqlx::query_as(
                "UPDATE docs SET update_seq = update_seq + $3, updated_at = $4 WHERE app_id = $1 AND id = $2 RETURNING update_seq",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(n)
            .bind(now_ms())
            .fetch_optional(&mut *tx)
            .await?;
            let (last,) = seq.ok_or(StoreError::NotFound { what: "document" })?;
            for (i, update) in updates.iter().enumerate() {
                sqlx::query("INSERT INTO doc_updates (app_id, doc_id, seq, data) VALUES ($1, $2, $3, $4)")
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(last - n + 1 + i as i64)
                    .bind(update)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(last)
        })
    }

    /// Appends an update (committed when this returns); returns its sequence number.
    pub async fn append_doc_update(&self, id: DocId, update: &[u8]) -> Result<i64> {
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let seq: Option<(i64,)> = sqlx::query_as(
                "UPDATE docs SET update_seq = update_seq + 1, updated_at = $3 WHERE app_id = $1 AND id = $2 RETURNING update_seq",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(now_ms())
            .fetch_optional(&mut *tx)
            .await?;
            let (seq,) = seq.ok_or(StoreError::NotFound { what: "document" })?;
            sqlx::query("INSERT INTO doc_updates (app_id, doc_id, seq, data) VALUES ($1, $2, $3, $4)")
                .bind(&app)
                .bind(id.to_string())
                .bind(seq)
                .bind(update)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(seq)
        })
    }

    /// Replaces updates up to `upto_seq` by `snapshot` (which contains them).
    pub async fn compact_doc(&self, id: DocId, snapshot: &[u8], upto_seq: i64) -> Result<()> {
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE docs SET snapshot = $3, snapshot_seq = $4 WHERE app_id = $1 AND id = $2 AND snapshot_seq < $4",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(snapshot)
            .bind(upto_seq)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM doc_updates WHERE app_id = $1 AND doc_id = $2 AND seq <= $3")
                .bind(&app)
                .bind(id.to_string())
                .bind(upto_seq)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores a named version holding `state`.
    pub async fn create_doc_version(&self, id: DocId, name: &str, state: &[u8], by: &UserId) -> Result<DocVersion> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StoreError::Invalid {
                code: "invalid_name",
                message: "name must be 1 to 200 characters".into(),
            });
        }
        let v = DocVersion {
            id: VersionId::generate(),
            name: name.to_owned(),
            created_by: by.clone(),
            created_at: now_ms(),
        };
        on_pool!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO doc_versions (app_id, doc_id, id, name, state, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(self.id())
            .bind(id.to_string())
            .bind(v.id.to_string())
            .bind(&v.name)
            .bind(state)
            .bind(by.as_str())
            .bind(v.created_at)
            .execute(pool)
            .await?;
        });
        Ok(v)
    }

    /// The named versions, newest first.
    pub async fn doc_versions(&self, id: DocId) -> Result<Vec<DocVersion>> {
        let rows: Vec<(String, String, String, i64)> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT id, name, created_by, created_at FROM doc_versions WHERE app_id = $1 AND doc_id = $2 \
                 ORDER BY created_at DESC, id DESC",
            )
            .bind(self.id())
            .bind(id.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(vid, name, by, at)| {
                Ok(DocVersion {
                    id: parse("doc_versions.id", &vid)?,
                    name,
                    created_by: parse("doc_versions.created_by", &by)?,
                    created_at: at,
                })
            })
            .collect()
    }

    /// The state stored with a version.
    pub async fn doc_version_state(&self, id: DocId, version: VersionId) -> Result<Vec<u8>> {
        let row: Option<(Vec<u8>,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT state FROM doc_versions WHERE app_id = $1 AND doc_id = $2 AND id = $3")
                .bind(self.id())
                .bind(id.to_string())
                .bind(version.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.map(|(s,)| s).ok_or(StoreError::NotFound { what: "version" })
    }
}
