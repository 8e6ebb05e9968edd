//! In-app notifications, per-user preferences per category and channel, web
//! push subscriptions, and the queries behind the email digest.

use serde::Serialize;
use serde_json::Value;

use crate::{AppId, AppScope, BeginWrite, NotificationId, Result, Store, StoreError, UserId, now_ms, on_pool, ts};

/// Why a user is notified.
pub const CATEGORIES: &[&str] =
    &["mention", "reply", "direct_message", "contact_request", "follow", "like", "comment", "reminder", "system"];
/// How a user is notified.
pub const CHANNELS: &[&str] = &["in_app", "email", "push"];

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// Id.
    pub id: NotificationId,
    /// Whose.
    pub user_id: UserId,
    /// One of [`CATEGORIES`].
    pub category: String,
    /// Who caused it.
    pub actor_id: Option<UserId>,
    /// What it is about (conversation, message, object, text…).
    pub data: Value,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub created_at: i64,
    /// Read.
    pub read: bool,
}

/// A page of notifications, newest first.
pub type NotificationPage = crate::Page<Notification>;

impl crate::Listed for Notification {
    const ITEMS: &'static str = "notifications";
    fn cursor(&self) -> String {
        crate::time_cursor_of(self.created_at, self.id)
    }
}

/// A browser's web-push subscription (from `PushManager.subscribe`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PushSubscription {
    /// The push service URL.
    pub endpoint: String,
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The 16-byte auth secret, base64url.
    pub auth: String,
}

/// Unread notifications of one user waiting for the email digest.
#[derive(Debug, Clone)]
pub struct DigestDue {
    /// The app.
    pub app_id: AppId,
    /// The user.
    pub user_id: UserId,
    /// The user's display name.
    pub name: Option<String>,
    /// The user's metadata (the digest goes to its `email`).
    pub metadata: Value,
}

type Row = (String, String, String, Option<String>, String, i64, Option<i64>);

use crate::parse_column as parse;

fn notification(row: Row) -> Result<Notification> {
    Ok(Notification {
        id: parse("notifications.id", &row.0)?,
        user_id: parse("notifications.user_id", &row.1)?,
        category: row.2,
        actor_id: row.3.as_deref().map(|a| parse("notifications.actor_id", a)).transpose()?,
        data: serde_json::from_str(&row.4)
            .map_err(|e| StoreError::Corrupt { column: "notifications.data", reason: e.to_string() })?,
        created_at: row.5,
        read: row.6.is_some(),
    })
}

fn check_category(category: &str) -> Result<()> {
    if CATEGORIES.contains(&category) {
        Ok(())
    } else {
        Err(StoreError::Invalid { code: "invalid_category", message: format!("unknown category `{category}`") })
    }
}

impl AppScope<'_> {
    /// Stores a notification for `user`.
    pub async fn add_notification(
        &self,
        user: &UserId,
        category: &str,
        actor: Option<&UserId>,
        data: &Value,
    ) -> Result<Notification> {
        check_category(category)?;
        let id = NotificationId::generate();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO notifications (app_id, id, user_id, category, actor_id, data, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(self.id())
            .bind(id.to_string())
            .bind(user.as_str())
            .bind(category)
            .bind(actor.map(UserId::as_str))
            .bind(data.to_string())
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(Notification {
            id,
            user_id: user.clone(),
            category: category.to_owned(),
            actor_id: actor.cloned(),
            data: data.clone(),
            created_at: now,
            read: false,
        })
    }

    /// `user`'s notifications, newest first.
    pub async fn notifications(
        &self,
        user: &UserId,
        unread_only: bool,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<NotificationPage> {
        let (before_at, before_id) = crate::time_cursor(cursor)?;
        let rows: Vec<Row> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT id, user_id, category, actor_id, data, created_at, read_at FROM notifications \
                 WHERE app_id = $1 AND user_id = $2 AND (NOT $3 OR read_at IS NULL) \
                 AND (created_at < $4 OR (created_at = $4 AND id < $5)) \
                 ORDER BY created_at DESC, id DESC LIMIT $6",
            )
            .bind(self.id())
            .bind(user.as_str())
            .bind(unread_only)
            .bind(before_at)
            .bind(before_id)
            .bind(limit + 1)
            .fetch_all(pool)
            .await?
        });
        let (rows, more) = crate::cut(rows, limit);
        let notifications = rows.into_iter().map(notification).collect::<Result<Vec<_>>>()?;
        Ok(NotificationPage::after(notifications, more))
    }

    /// How many of `user`'s notifications are unread.
    pub async fn unread_notifications(&self, user: &UserId) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE app_id = $1 AND user_id = $2 AND read_at IS NULL")
                .bind(self.id())
                .bind(user.as_str())
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    /// Marks some (or, with `None`, all) of `user`'s notifications read; returns how many changed.
    pub async fn mark_notifications_read(&self, user: &UserId, ids: Option<&[NotificationId]>) -> Result<u64> {
        let now = now_ms();
        let app = self.id();
        let n = on_pool!(self.db(), |pool| {
            match ids {
                None => sqlx::query(
                    "UPDATE notifications SET read_at = $3 WHERE app_id = $1 AND user_id = $2 AND read_at IS NULL",
                )
                .bind(&app)
                .bind(user.as_str())
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected(),
                Some(ids) => {
                    let mut tx = pool.begin_write().await?;
                    let mut n = 0;
                    for id in ids {
                        n += sqlx::query(
                            "UPDATE notifications SET read_at = $4 \
                             WHERE app_id = $1 AND user_id = $2 AND id = $3 AND read_at IS NULL",
                        )
                        .bind(&app)
                        .bind(user.as_str())
                        .bind(id.to_string())
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    }
                    tx.commit().await?;
                    n
                }
            }
        });
        Ok(n)
    }

    /// `user`'s preferences that differ from the default (every channel on):
    /// `(category, channel, enabled)`.
    pub async fn notification_prefs(&self, user: &UserId) -> Result<Vec<(String, String, bool)>> {
        let rows: Vec<(String, String, bool)> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT category, channel, enabled FROM notification_prefs WHERE app_id = $1 AND user_id = $2 \
                 ORDER BY category, channel",
            )
            .bind(self.id())
            .bind(user.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Sets preferences `(category, channel, enabled)` for `user`, all or nothing.
    pub async fn set_notification_prefs(&self, user: &UserId, prefs: &[(String, String, bool)]) -> Result<()> {
        for (category, channel, _) in prefs {
            check_category(category)?;
            if !CHANNELS.contains(&channel.as_str()) {
                return Err(StoreError::Invalid {
                    code: "invalid_channel",
                    message: format!("unknown channel `{channel}`: in_app, email or push"),
                });
            }
        }
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            for (category, channel, enabled) in prefs {
                sqlx::query(
                    "INSERT INTO notification_prefs (app_id, user_id, category, channel, enabled) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (app_id, user_id, category, channel) DO UPDATE SET enabled = excluded.enabled",
                )
                .bind(&app)
                .bind(user.as_str())
                .bind(category)
                .bind(channel)
                .bind(*enabled)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Whether `user` wants `category` on `channel` (default: yes).
    pub async fn wants(&self, user: &UserId, category: &str, channel: &str) -> Result<bool> {
        let row: Option<(bool,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT enabled FROM notification_prefs WHERE app_id = $1 AND user_id = $2 AND category = $3 AND channel = $4",
            )
            .bind(self.id())
            .bind(user.as_str())
            .bind(category)
            .bind(channel)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.is_none_or(|(e,)| e))
    }

    /// Registers a push subscription of `user` (a known endpoint moves to them).
    pub async fn add_push_subscription(&self, user: &UserId, sub: &PushSubscription) -> Result<()> {
        on_pool!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO push_subscriptions (app_id, endpoint, user_id, p256dh, auth, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, endpoint) DO UPDATE SET \
                 user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth",
            )
            .bind(self.id())
            .bind(&sub.endpoint)
            .bind(user.as_str())
            .bind(&sub.p256dh)
            .bind(&sub.auth)
            .bind(now_ms())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Removes a push subscription (of `user`, or any with `None`: gone at the push service).
    pub async fn remove_push_subscription(&self, user: Option<&UserId>, endpoint: &str) -> Result<bool> {
        let n = on_pool!(self.db(), |pool| {
            sqlx::query(
                "DELETE FROM push_subscriptions WHERE app_id = $1 AND endpoint = $2 AND ($3 = '' OR user_id = $3)",
            )
            .bind(self.id())
            .bind(endpoint)
            .bind(user.map(UserId::as_str).unwrap_or(""))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n > 0)
    }

    /// `user`'s push subscriptions.
    pub async fn push_subscriptions(&self, user: &UserId) -> Result<Vec<PushSubscription>> {
        let rows: Vec<(String, String, String)> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE app_id = $1 AND user_id = $2 ORDER BY created_at",
            )
            .bind(self.id())
            .bind(user.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(endpoint, p256dh, auth)| PushSubscription { endpoint, p256dh, auth }).collect())
    }

    /// `user`'s unread notifications not yet emailed, oldest first.
    pub async fn unemailed_notifications(&self, user: &UserId, limit: i64) -> Result<Vec<Notification>> {
        let rows: Vec<Row> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT id, user_id, category, actor_id, data, created_at, read_at FROM notifications \
                 WHERE app_id = $1 AND user_id = $2 AND read_at IS NULL AND emailed_at IS NULL \
                 ORDER BY created_at ASC, id ASC LIMIT $3",
            )
            .bind(self.id())
            .bind(user.as_str())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(notification).collect()
    }

    /// Marks notifications as sent in a digest.
    pub async fn mark_emailed(&self, ids: &[NotificationId]) -> Result<()> {
        let app = self.id();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            for id in ids {
                sqlx::query("UPDATE notifications SET emailed_at = $3 WHERE app_id = $1 AND id = $2")
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

impl Store {
    /// Users of every app with unread, un-emailed notifications older than
    /// `before_ms` who were last seen before `before_ms` (the digest's candidates).
    pub async fn digest_due(&self, before_ms: i64, limit: i64) -> Result<Vec<DigestDue>> {
        let rows: Vec<(String, String, Option<String>, String)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT DISTINCT n.app_id, n.user_id, u.name, u.metadata FROM notifications n \
                 JOIN users u ON u.app_id = n.app_id AND u.id = n.user_id \
                 WHERE n.emailed_at IS NULL AND n.read_at IS NULL AND n.created_at < $1 \
                 AND (u.last_seen_at IS NULL OR u.last_seen_at < $1) LIMIT $2",
            )
            .bind(before_ms)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(app, user, name, metadata)| {
                Ok(DigestDue {
                    app_id: parse("notifications.app_id", &app)?,
                    user_id: parse("notifications.user_id", &user)?,
                    name,
                    metadata: serde_json::from_str(&metadata).unwrap_or(Value::Null),
                })
            })
            .collect()
    }
}

impl AppScope<'_> {
    /// Whether `user` silenced `actor` (a user mute or a block either way) or,
    /// with a conversation, muted that conversation now.
    pub async fn silenced(
        &self,
        user: &UserId,
        actor: Option<&UserId>,
        conversation: Option<crate::ConversationId>,
    ) -> Result<bool> {
        let (n,): (i64,) = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM user_mutes WHERE app_id = $1 AND user_id = $2 AND muted_id = $3) \
                 + (SELECT COUNT(*) FROM blocks WHERE app_id = $1 AND ((blocker = $2 AND blocked = $3) OR (blocker = $3 AND blocked = $2))) \
                 + (SELECT COUNT(*) FROM members WHERE app_id = $1 AND user_id = $2 AND conversation_id = $4 \
                    AND muted_until IS NOT NULL AND muted_until > $5)",
            )
            .bind(self.id())
            .bind(user.as_str())
            .bind(actor.map(UserId::as_str).unwrap_or(""))
            .bind(conversation.map(|c| c.to_string()).unwrap_or_default())
            .bind(now_ms())
            .fetch_one(pool)
            .await?
        });
        Ok(n > 0)
    }

    /// The sender of a message of a conversation.
    pub async fn message_sender(&self, conversation: crate::ConversationId, id: crate::MessageId) -> Result<UserId> {
        let row: Option<(String,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT sender_id FROM messages WHERE app_id = $1 AND conversation_id = $2 AND id = $3")
                .bind(self.id())
                .bind(conversation.to_string())
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
        });
        let (sender,) = row.ok_or(StoreError::NotFound { what: "message" })?;
        parse("messages.sender_id", &sender)
    }
}

impl Store {
    /// Takes the window `[from, now)` of the periodic job `name` (the first
    /// call starts it at `now`): `None` if another node took it, or it is empty.
    pub async fn claim_job_window(&self, name: &str, now: i64) -> Result<Option<(i64, i64)>> {
        on_pool!(&self.db, |pool| {
            sqlx::query("INSERT INTO job_marks (name, upto) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(now)
                .execute(pool)
                .await?;
            let (from,): (i64,) =
                sqlx::query_as("SELECT upto FROM job_marks WHERE name = $1").bind(name).fetch_one(pool).await?;
            if from >= now {
                return Ok(None);
            }
            let taken = sqlx::query("UPDATE job_marks SET upto = $2 WHERE name = $1 AND upto = $3")
                .bind(name)
                .bind(now)
                .bind(from)
                .execute(pool)
                .await?
                .rows_affected();
            Ok((taken == 1).then_some((from, now)))
        })
    }
}
