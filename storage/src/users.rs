//! End users of an app.

use sqlx::FromRow;

use crate::{AppScope, BeginWrite, Result, StoreError, UserId, now_ms, on_pool};

/// An end user as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The id the client app gave this user.
    pub id: UserId,
    /// Display name.
    pub name: Option<String>,
    /// Avatar picture URL.
    pub avatar_url: Option<String>,
    /// Free-form JSON object the client app chose to share.
    pub metadata: serde_json::Value,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last change, ms since the epoch.
    pub updated_at: i64,
}

/// Creates a user or updates the given fields of an existing one;
/// `None` fields keep their stored value.
#[derive(Debug, Clone)]
pub struct UserUpsert {
    /// The user's id.
    pub id: UserId,
    /// Display name.
    pub name: Option<String>,
    /// Avatar picture URL.
    pub avatar_url: Option<String>,
    /// JSON object (replaces the stored one when given).
    pub metadata: Option<serde_json::Value>,
}

#[derive(FromRow)]
struct UserRow {
    id: String,
    name: Option<String>,
    avatar_url: Option<String>,
    metadata: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<User> {
        let corrupt = |column: &'static str| {
            move |e: &dyn std::fmt::Display| StoreError::Corrupt { column, reason: e.to_string() }
        };
        Ok(User {
            id: r.id.parse().map_err(|e| corrupt("users.id")(&e))?,
            name: r.name,
            avatar_url: r.avatar_url,
            metadata: serde_json::from_str(&r.metadata).map_err(|e| corrupt("users.metadata")(&e))?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! user_columns {
    () => {
        "id, name, avatar_url, metadata, created_at, updated_at"
    };
}

impl AppScope<'_> {
    /// Creates the user or updates the fields given; returns the stored user.
    pub async fn upsert_user(&self, u: &UserUpsert) -> Result<User> {
        let sql = concat!(
            "INSERT INTO users (app_id, id, name, avatar_url, metadata, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, COALESCE($5, '{}'), $6, $6) \
             ON CONFLICT (app_id, id) DO UPDATE SET \
               name = COALESCE($3, users.name), \
               avatar_url = COALESCE($4, users.avatar_url), \
               metadata = COALESCE($5, users.metadata), \
               updated_at = $6 \
             RETURNING ",
            user_columns!(),
            ""
        );
        let metadata = u.metadata.as_ref().map(|m| m.to_string());
        let row: UserRow = on_pool!(self.db(), |pool| {
            sqlx::query_as(sql)
                .bind(self.id())
                .bind(u.id.as_str())
                .bind(u.name.as_deref())
                .bind(u.avatar_url.as_deref())
                .bind(metadata.as_deref())
                .bind(now_ms())
                .fetch_one(pool)
                .await?
        });
        row.try_into()
    }

    /// The user with this id in this app, if any.
    pub async fn get_user(&self, id: &UserId) -> Result<Option<User>> {
        let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE app_id = $1 AND id = $2");
        let row: Option<UserRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(sql).bind(self.id()).bind(id.as_str()).fetch_optional(pool).await?
        });
        row.map(User::try_from).transpose()
    }

    /// Erases the user and everything of theirs in this app, in one transaction
    /// that also records when (`user_erasures`: their older tokens are refused):
    /// their messages become tombstones (text, payload, attachments and edit
    /// history gone; the conversation's order stays intact), and their reactions,
    /// memberships, social graph, files and personal events are deleted.
    /// Returns the ids of the deleted files (their bytes are the caller's to
    /// remove from the blob store), or `None` if there was no such user.
    pub async fn delete_user(&self, id: &UserId) -> Result<Option<Vec<crate::FileId>>> {
        const ERASE: [&str; 13] = [
            "DELETE FROM message_edits WHERE app_id = $1 AND message_id IN (SELECT id FROM messages WHERE app_id = $1 AND sender_id = $2)",
            "UPDATE messages SET text = '', payload = NULL, attachments = '[]', mentions = '[]', deleted_at = COALESCE(deleted_at, $3) \
             WHERE app_id = $1 AND sender_id = $2",
            "DELETE FROM reactions WHERE app_id = $1 AND user_id = $2",
            "DELETE FROM members WHERE app_id = $1 AND user_id = $2",
            "DELETE FROM follows WHERE app_id = $1 AND (follower = $2 OR followee = $2)",
            "DELETE FROM contacts WHERE app_id = $1 AND (user_id = $2 OR contact_id = $2)",
            "DELETE FROM contact_requests WHERE app_id = $1 AND (from_user = $2 OR to_user = $2)",
            "DELETE FROM blocks WHERE app_id = $1 AND (blocker = $2 OR blocked = $2)",
            "DELETE FROM user_mutes WHERE app_id = $1 AND (user_id = $2 OR muted_id = $2)",
            "DELETE FROM file_shares WHERE app_id = $1 AND file_id IN (SELECT id FROM files WHERE app_id = $1 AND uploader_id = $2)",
            "DELETE FROM files WHERE app_id = $1 AND uploader_id = $2",
            "DELETE FROM events WHERE app_id = $1 AND target_user = $2",
            "DELETE FROM user_stats WHERE app_id = $1 AND user_id = $2",
        ];
        let now = now_ms();
        let outcome: Option<Vec<String>> = on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("DELETE FROM users WHERE app_id = $1 AND id = $2")
                .bind(self.id())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                tx.commit().await?;
                None
            } else {
                let files: Vec<(String,)> =
                    sqlx::query_as("SELECT id FROM files WHERE app_id = $1 AND uploader_id = $2")
                        .bind(self.id())
                        .bind(id.as_str())
                        .fetch_all(&mut *tx)
                        .await?;
                for sql in ERASE.into_iter().chain(crate::calendar::ERASE_USER).chain(crate::tasks::ERASE_USER) {
                    let q = sqlx::query(sql).bind(self.id()).bind(id.as_str());
                    // Only the tombstone statement uses the time.
                    let q = if sql.contains("$3") { q.bind(now) } else { q };
                    q.execute(&mut *tx).await?;
                }
                sqlx::query(
                    "INSERT INTO user_erasures (app_id, user_id, erased_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (app_id, user_id) DO UPDATE SET erased_at = excluded.erased_at",
                )
                .bind(self.id())
                .bind(id.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Some(files.into_iter().map(|(f,)| f).collect())
            }
        });
        outcome
            .map(|files| {
                files
                    .iter()
                    .map(|f| {
                        f.parse().map_err(|e: crate::IdError| StoreError::Corrupt {
                            column: "files.id",
                            reason: e.to_string(),
                        })
                    })
                    .collect()
            })
            .transpose()
    }

    /// Records when the user was last connected.
    pub async fn touch_last_seen(&self, id: &UserId, at: i64) -> Result<()> {
        on_pool!(self.db(), |pool| {
            sqlx::query("UPDATE users SET last_seen_at = $3 WHERE app_id = $1 AND id = $2")
                .bind(self.id())
                .bind(id.as_str())
                .bind(at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// When the user was last connected (ms), if ever.
    pub async fn last_seen(&self, id: &UserId) -> Result<Option<i64>> {
        let row: Option<(Option<i64>,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT last_seen_at FROM users WHERE app_id = $1 AND id = $2")
                .bind(self.id())
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.and_then(|(t,)| t))
    }
}
