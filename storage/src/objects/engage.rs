//! Engagement with objects — likes, threaded comments, views, shares — and
//! close-friends lists. Each takes the object through the visibility check
//! first: what one cannot see, one cannot like, comment on or view.

use serde::Serialize;

use super::{Object, time_cursor};
use crate::{AppScope, BeginWrite, CommentId, ObjectId, Result, StoreError, UserId, now_ms, on_pool, ts};

/// Characters of a comment.
pub const MAX_COMMENT: usize = 2000;
/// Users on a close-friends list.
pub const MAX_CLOSE_FRIENDS: usize = 1000;

/// A comment on an object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    /// Id.
    pub id: CommentId,
    /// The object.
    pub object_id: ObjectId,
    /// The comment this one answers (threads are one level deep per parent).
    pub parent_id: Option<CommentId>,
    /// Author.
    pub author_id: UserId,
    /// Text (empty once deleted).
    pub text: String,
    /// Direct replies.
    pub reply_count: i64,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub created_at: i64,
    /// Deleted (kept so its replies stay in place).
    pub deleted: bool,
}

/// A page of comments, oldest first.
pub type CommentPage = crate::Page<Comment>;

impl crate::Listed for Comment {
    const ITEMS: &'static str = "comments";
    fn cursor(&self) -> String {
        crate::time_cursor_of(self.created_at, self.id)
    }
}

/// Who viewed a story or reel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Viewer {
    /// The user.
    pub user_id: UserId,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub viewed_at: i64,
}

type CommentRow = (String, String, Option<String>, String, String, i64, i64, Option<i64>);

fn comment(row: CommentRow) -> Result<Comment> {
    Ok(Comment {
        id: super::parse("object_comments.id", &row.0)?,
        object_id: super::parse("object_comments.object_id", &row.1)?,
        parent_id: row.2.as_deref().map(|p| super::parse("object_comments.parent_id", p)).transpose()?,
        author_id: super::parse("object_comments.author_id", &row.3)?,
        text: if row.7.is_some() { String::new() } else { row.4 },
        reply_count: row.5,
        created_at: row.6,
        deleted: row.7.is_some(),
    })
}

impl AppScope<'_> {
    /// `viewer` likes the object (idempotent). Returns the object as they now see it.
    pub async fn like_object(&self, id: ObjectId, viewer: &UserId, like: bool) -> Result<(Object, bool)> {
        self.object_for(id, viewer).await?;
        let app = self.id();
        let changed = on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let n = if like {
                sqlx::query(
                    "INSERT INTO object_likes (app_id, object_id, user_id, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(&app)
                .bind(id.to_string())
                .bind(viewer.as_str())
                .bind(now_ms())
                .execute(&mut *tx)
                .await?
                .rows_affected()
            } else {
                sqlx::query("DELETE FROM object_likes WHERE app_id = $1 AND object_id = $2 AND user_id = $3")
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(viewer.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            };
            if n > 0 {
                sqlx::query("UPDATE objects SET like_count = like_count + $3 WHERE app_id = $1 AND id = $2")
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(if like { 1i64 } else { -1i64 })
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            n > 0
        });
        Ok((self.object_for(id, viewer).await?, changed))
    }

    /// Adds a comment (or a reply to `parent`) by `author`.
    pub async fn add_comment(
        &self,
        id: ObjectId,
        author: &UserId,
        parent: Option<CommentId>,
        text: &str,
    ) -> Result<(Object, Comment)> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_COMMENT {
            return Err(StoreError::Invalid {
                code: "invalid_text",
                message: format!("a comment is 1 to {MAX_COMMENT} characters"),
            });
        }
        let object = self.object_for(id, author).await?;
        let app = self.id();
        let cid = CommentId::generate();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(parent) = parent {
                let n = sqlx::query(
                    "UPDATE object_comments SET reply_count = reply_count + 1 \
                     WHERE app_id = $1 AND id = $2 AND object_id = $3",
                )
                .bind(&app)
                .bind(parent.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound { what: "comment" });
                }
            }
            sqlx::query(
                "INSERT INTO object_comments (app_id, id, object_id, parent_id, author_id, text, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&app)
            .bind(cid.to_string())
            .bind(id.to_string())
            .bind(parent.map(|p| p.to_string()))
            .bind(author.as_str())
            .bind(text)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE objects SET comment_count = comment_count + 1 WHERE app_id = $1 AND id = $2")
                .bind(&app)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        let c = Comment {
            id: cid,
            object_id: id,
            parent_id: parent,
            author_id: author.clone(),
            text: text.to_owned(),
            reply_count: 0,
            created_at: now,
            deleted: false,
        };
        Ok((object, c))
    }

    /// The author of a comment, if it belongs to the object.
    pub async fn comment_author(&self, object: ObjectId, comment: CommentId) -> Result<UserId> {
        let row: Option<(String,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT author_id FROM object_comments WHERE app_id = $1 AND id = $2 AND object_id = $3")
                .bind(self.id())
                .bind(comment.to_string())
                .bind(object.to_string())
                .fetch_optional(pool)
                .await?
        });
        let (author,) = row.ok_or(StoreError::NotFound { what: "comment" })?;
        super::parse("object_comments.author_id", &author)
    }

    /// Top-level comments (or replies to `parent`), oldest first.
    pub async fn comments(
        &self,
        id: ObjectId,
        viewer: &UserId,
        parent: Option<CommentId>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<CommentPage> {
        self.object_for(id, viewer).await?;
        let (after_at, after_id) = match cursor {
            None => (i64::MIN, String::new()),
            Some(c) => time_cursor(Some(c))?,
        };
        let rows: Vec<CommentRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT c.id, c.object_id, c.parent_id, c.author_id, c.text, c.reply_count, c.created_at, c.deleted_at \
                 FROM object_comments c WHERE c.app_id = $1 AND c.object_id = $2 \
                 AND (($3 = '' AND c.parent_id IS NULL) OR c.parent_id = $3) \
                 AND (c.created_at > $4 OR (c.created_at = $4 AND c.id > $5)) \
                 AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.app_id = c.app_id AND \
                     ((b.blocker = c.author_id AND b.blocked = $6) OR (b.blocker = $6 AND b.blocked = c.author_id))) \
                 ORDER BY c.created_at ASC, c.id ASC LIMIT $7",
            )
            .bind(self.id())
            .bind(id.to_string())
            .bind(parent.map(|p| p.to_string()).unwrap_or_default())
            .bind(after_at)
            .bind(after_id)
            .bind(viewer.as_str())
            .bind(limit + 1)
            .fetch_all(pool)
            .await?
        });
        let (rows, more) = crate::cut(rows, limit);
        let comments = rows.into_iter().map(comment).collect::<Result<Vec<_>>>()?;
        Ok(CommentPage::after(comments, more))
    }

    /// Deletes a comment: its author or the object's owner may.
    pub async fn delete_comment(&self, id: ObjectId, comment: CommentId, by: &UserId) -> Result<()> {
        let object = self.object_for(id, by).await?;
        let author = self.comment_author(id, comment).await?;
        if author != *by && object.owner_id != *by {
            return Err(StoreError::Forbidden("only its author or the object's owner may delete a comment".into()));
        }
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "UPDATE object_comments SET deleted_at = $3, text = '' \
                 WHERE app_id = $1 AND id = $2 AND deleted_at IS NULL",
            )
            .bind(&app)
            .bind(comment.to_string())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                sqlx::query("UPDATE objects SET comment_count = comment_count - 1 WHERE app_id = $1 AND id = $2")
                    .bind(&app)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records that `viewer` saw the object (counted once per user); true if new.
    pub async fn view_object(&self, id: ObjectId, viewer: &UserId) -> Result<bool> {
        let object = self.object_for(id, viewer).await?;
        if object.owner_id == *viewer {
            return Ok(false);
        }
        let app = self.id();
        let new = on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "INSERT INTO object_views (app_id, object_id, user_id, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(viewer.as_str())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                sqlx::query("UPDATE objects SET view_count = view_count + 1 WHERE app_id = $1 AND id = $2")
                    .bind(&app)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            n > 0
        });
        Ok(new)
    }

    /// Who viewed an object, newest first (its owner only).
    pub async fn object_viewers(&self, id: ObjectId, owner: &UserId) -> Result<Vec<Viewer>> {
        let object = self.object_for(id, owner).await?;
        if object.owner_id != *owner {
            return Err(StoreError::Forbidden("only the owner sees who viewed it".into()));
        }
        let rows: Vec<(String, i64)> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT user_id, created_at FROM object_views WHERE app_id = $1 AND object_id = $2 \
                 ORDER BY created_at DESC LIMIT 1000",
            )
            .bind(self.id())
            .bind(id.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(u, at)| Ok(Viewer { user_id: super::parse("object_views.user_id", &u)?, viewed_at: at }))
            .collect()
    }

    /// Counts a share of the object into a chat (after the message is sent).
    pub async fn count_share(&self, id: ObjectId) -> Result<()> {
        on_pool!(self.db(), |pool| {
            sqlx::query("UPDATE objects SET share_count = share_count + 1 WHERE app_id = $1 AND id = $2")
                .bind(self.id())
                .bind(id.to_string())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Replaces `user`'s close-friends list.
    pub async fn set_close_friends(&self, user: &UserId, friends: &[UserId]) -> Result<()> {
        if friends.len() > MAX_CLOSE_FRIENDS {
            return Err(StoreError::Invalid {
                code: "too_many_users",
                message: format!("a close-friends list holds at most {MAX_CLOSE_FRIENDS} users"),
            });
        }
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM close_friends WHERE app_id = $1 AND user_id = $2")
                .bind(&app)
                .bind(user.as_str())
                .execute(&mut *tx)
                .await?;
            for f in friends.iter().filter(|f| *f != user) {
                sqlx::query(
                    "INSERT INTO close_friends (app_id, user_id, friend_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(&app)
                .bind(user.as_str())
                .bind(f.as_str())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// `user`'s close-friends list, sorted.
    pub async fn close_friends(&self, user: &UserId) -> Result<Vec<UserId>> {
        let rows: Vec<(String,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT friend_id FROM close_friends WHERE app_id = $1 AND user_id = $2 ORDER BY friend_id")
                .bind(self.id())
                .bind(user.as_str())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(|(f,)| super::parse("close_friends.friend_id", &f)).collect()
    }
}
