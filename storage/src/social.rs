//! The social graph of an app: follows, contact requests and contacts, blocks,
//! user mutes, and user search by name.

use serde::Serialize;

use crate::{AppScope, BeginWrite, Event, Result, StoreError, User, UserId, now_ms, on_pool, ts};

/// A change to the caller's relation with another user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Follow (one-way, no consent needed).
    Follow,
    /// Stop following.
    Unfollow,
    /// Ask to become contacts.
    Request,
    /// Accept their request.
    Accept,
    /// Decline their request.
    Decline,
    /// Withdraw my request.
    Cancel,
    /// Stop being contacts (both sides).
    Remove,
    /// Block: no DMs, no group adds, no presence, in either direction's favour.
    Block,
    /// Unblock.
    Unblock,
    /// Mute (hide their activity from my notifications).
    Mute,
    /// Unmute.
    Unmute,
}

/// The caller's social graph.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Graph {
    /// Mutual contacts.
    pub contacts: Vec<UserId>,
    /// Requests others sent me, waiting for my answer.
    pub incoming: Vec<UserId>,
    /// Requests I sent, waiting for theirs.
    pub outgoing: Vec<UserId>,
    /// Whom I follow.
    pub following: Vec<UserId>,
    /// Who follows me.
    pub followers: Vec<UserId>,
    /// Whom I blocked.
    pub blocked: Vec<UserId>,
    /// Whom I muted.
    pub muted: Vec<UserId>,
}

/// A user found by search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundUser {
    /// Id.
    pub id: UserId,
    /// Display name.
    pub name: Option<String>,
    /// Avatar.
    pub avatar_url: Option<String>,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub created_at: i64,
}

macro_rules! accept {
    ($tx:expr, $app:expr, $a:expr, $b:expr, $now:expr) => {
        for (x, y) in [($a, $b), ($b, $a)] {
            sqlx::query("INSERT INTO contacts (app_id, user_id, contact_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind($app)
                .bind(x.as_str())
                .bind(y.as_str())
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Deletes the request `$3` (the other user) sent to `$2` (me).
const THEIR_REQUEST: &str = "DELETE FROM contact_requests WHERE app_id = $1 AND from_user = $3 AND to_user = $2";

fn invalid(code: &'static str, message: &str) -> StoreError {
    StoreError::Invalid { code, message: message.to_owned() }
}

/// Whether either user blocked the other, in the open transaction or pool `$ex`.
macro_rules! blocked_between {
    ($ex:expr, $app:expr, $a:expr, $b:expr) => {{
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT blocker FROM blocks WHERE app_id = $1 AND ((blocker = $2 AND blocked = $3) OR (blocker = $3 AND blocked = $2))",
        )
        .bind($app)
        .bind($a.as_str())
        .bind($b.as_str())
        .fetch_optional($ex)
        .await?;
        row.is_some()
    }};
}
pub(crate) use blocked_between;

impl AppScope<'_> {
    /// Changes `me`'s relation with `other`. Returns the events to publish, each
    /// addressed to one user.
    pub async fn relate(&self, me: &UserId, other: &UserId, relation: Relation) -> Result<Vec<Event>> {
        if me == other {
            return Err(invalid("invalid_user", "that is you"));
        }
        let app = self.id();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE app_id = $1 AND id = $2")
                .bind(&app)
                .bind(other.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound { what: "user" });
            }
            let pair = |sql: &'static str| {
                sqlx::query(sql).bind(app.clone()).bind(me.as_str().to_owned()).bind(other.as_str().to_owned())
            };
            let mut events: Vec<(&'static str, &UserId, serde_json::Value)> = Vec::new();
            if matches!(relation, Relation::Follow | Relation::Request) && blocked_between!(&mut *tx, &app, me, other) {
                return Err(StoreError::Blocked);
            }
            match relation {
                Relation::Follow => {
                    let n = pair("INSERT INTO follows (app_id, follower, followee, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING").bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n == 1 {
                        events.push(("user.followed", other, serde_json::json!({"follower": me, "followee": other})));
                    }
                }
                Relation::Unfollow => {
                    pair("DELETE FROM follows WHERE app_id = $1 AND follower = $2 AND followee = $3")
                        .execute(&mut *tx)
                        .await?;
                }
                Relation::Request => {
                    let already: Option<(String,)> = sqlx::query_as(
                        "SELECT contact_id FROM contacts WHERE app_id = $1 AND user_id = $2 AND contact_id = $3",
                    )
                    .bind(&app)
                    .bind(me.as_str())
                    .bind(other.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if already.is_some() {
                        return Err(invalid("already_contacts", "you are contacts already"));
                    }
                    // A request to someone who already asked me is an acceptance.
                    let theirs = pair(THEIR_REQUEST).execute(&mut *tx).await?.rows_affected();
                    if theirs == 1 {
                        accept!(tx, &app, me, other, now);
                        events.push(("contact.accepted", other, serde_json::json!({"user_id": me})));
                        events.push(("contact.accepted", me, serde_json::json!({"user_id": other})));
                    } else {
                        let n = pair("INSERT INTO contact_requests (app_id, from_user, to_user, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING").bind(now)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        if n == 1 {
                            events.push(("contact.requested", other, serde_json::json!({"from": me, "to": other})));
                            events.push(("contact.requested", me, serde_json::json!({"from": me, "to": other})));
                        }
                    }
                }
                Relation::Accept | Relation::Decline => {
                    let n = pair(THEIR_REQUEST).execute(&mut *tx).await?.rows_affected();
                    if n == 0 {
                        return Err(StoreError::NotFound { what: "contact request" });
                    }
                    if relation == Relation::Accept {
                        accept!(tx, &app, me, other, now);
                        events.push(("contact.accepted", other, serde_json::json!({"user_id": me})));
                        events.push(("contact.accepted", me, serde_json::json!({"user_id": other})));
                    } else {
                        events.push(("contact.declined", other, serde_json::json!({"user_id": me})));
                    }
                }
                Relation::Cancel => {
                    let n = pair("DELETE FROM contact_requests WHERE app_id = $1 AND from_user = $2 AND to_user = $3")
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n == 0 {
                        return Err(StoreError::NotFound { what: "contact request" });
                    }
                    events.push(("contact.cancelled", other, serde_json::json!({"user_id": me})));
                }
                Relation::Remove => {
                    let n = pair(
                        "DELETE FROM contacts WHERE app_id = $1 AND ((user_id = $2 AND contact_id = $3) OR (user_id = $3 AND contact_id = $2))",
                    )
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n > 0 {
                        events.push(("contact.removed", other, serde_json::json!({"user_id": me})));
                        events.push(("contact.removed", me, serde_json::json!({"user_id": other})));
                    }
                }
                Relation::Block => {
                    pair("INSERT INTO blocks (app_id, blocker, blocked, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING").bind(now)
                        .execute(&mut *tx)
                        .await?;
                    // A block ends contact, requests and follows both ways.
                    for sql in [
                        "DELETE FROM contacts WHERE app_id = $1 AND ((user_id = $2 AND contact_id = $3) OR (user_id = $3 AND contact_id = $2))",
                        "DELETE FROM contact_requests WHERE app_id = $1 AND ((from_user = $2 AND to_user = $3) OR (from_user = $3 AND to_user = $2))",
                        "DELETE FROM follows WHERE app_id = $1 AND ((follower = $2 AND followee = $3) OR (follower = $3 AND followee = $2))",
                    ] {
                        pair(sql).execute(&mut *tx).await?;
                    }
                }
                Relation::Unblock => {
                    pair("DELETE FROM blocks WHERE app_id = $1 AND blocker = $2 AND blocked = $3")
                        .execute(&mut *tx)
                        .await?;
                }
                Relation::Mute => {
                    pair("INSERT INTO user_mutes (app_id, user_id, muted_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING").bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                Relation::Unmute => {
                    pair("DELETE FROM user_mutes WHERE app_id = $1 AND user_id = $2 AND muted_id = $3")
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let mut out = Vec::new();
            for (kind, to, data) in events {
                out.push(crate::chat::append_event!(
                    tx,
                    &app,
                    None::<crate::ConversationId>,
                    Some(to),
                    kind,
                    data,
                    now
                ));
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    /// `me`'s social graph.
    pub async fn graph(&self, me: &UserId) -> Result<Graph> {
        let app = self.id();
        let lists: Vec<Vec<(String,)>> = on_pool!(self.db(), |pool| {
            let mut lists = Vec::new();
            for sql in [
                "SELECT contact_id FROM contacts WHERE app_id = $1 AND user_id = $2 ORDER BY contact_id",
                "SELECT from_user FROM contact_requests WHERE app_id = $1 AND to_user = $2 ORDER BY created_at",
                "SELECT to_user FROM contact_requests WHERE app_id = $1 AND from_user = $2 ORDER BY created_at",
                "SELECT followee FROM follows WHERE app_id = $1 AND follower = $2 ORDER BY followee",
                "SELECT follower FROM follows WHERE app_id = $1 AND followee = $2 ORDER BY follower",
                "SELECT blocked FROM blocks WHERE app_id = $1 AND blocker = $2 ORDER BY blocked",
                "SELECT muted_id FROM user_mutes WHERE app_id = $1 AND user_id = $2 ORDER BY muted_id",
            ] {
                lists.push(sqlx::query_as(sql).bind(&app).bind(me.as_str()).fetch_all(pool).await?);
            }
            lists
        });
        let mut parsed = lists.into_iter().map(|l| {
            l.into_iter()
                .map(|(u,)| {
                    u.parse()
                        .map_err(|e: crate::IdError| StoreError::Corrupt { column: "social", reason: e.to_string() })
                })
                .collect::<Result<Vec<UserId>>>()
        });
        let mut next = || parsed.next().unwrap_or(Ok(Vec::new()));
        Ok(Graph {
            contacts: next()?,
            incoming: next()?,
            outgoing: next()?,
            following: next()?,
            followers: next()?,
            blocked: next()?,
            muted: next()?,
        })
    }

    /// Whether either user blocked the other.
    pub async fn blocked_between(&self, a: &UserId, b: &UserId) -> Result<bool> {
        let app = self.id();
        Ok(on_pool!(self.db(), |pool| blocked_between!(pool, &app, a, b)))
    }

    /// Users of the app whose id or name contains `query` (case-insensitive),
    /// without those who blocked `me`.
    pub async fn search_users(&self, me: &UserId, query: &str, limit: i64) -> Result<Vec<FoundUser>> {
        let app = self.id();
        let needle: String = query.to_lowercase().chars().filter(|c| !matches!(c, '%' | '_' | '\\')).collect();
        let pattern = format!("%{needle}%");
        let rows: Vec<(String, Option<String>, Option<String>, i64)> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT u.id, u.name, u.avatar_url, u.created_at FROM users u WHERE u.app_id = $1 AND u.id <> $2 \
                 AND (LOWER(u.id) LIKE $3 OR LOWER(COALESCE(u.name, '')) LIKE $3) \
                 AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.app_id = u.app_id AND b.blocker = u.id AND b.blocked = $2) \
                 ORDER BY u.name, u.id LIMIT $4",
            )
            .bind(&app)
            .bind(me.as_str())
            .bind(&pattern)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, name, avatar_url, created_at)| {
                Ok(FoundUser {
                    id: id.parse().map_err(|e: crate::IdError| StoreError::Corrupt {
                        column: "users.id",
                        reason: e.to_string(),
                    })?,
                    name,
                    avatar_url,
                    created_at,
                })
            })
            .collect()
    }

    /// The users who share a conversation with `me` or are `me`'s contacts,
    /// minus anyone either side blocked: those who may see `me`'s presence.
    pub async fn presence_audience(&self, me: &UserId) -> Result<Vec<UserId>> {
        let app = self.id();
        let rows: Vec<(String,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT DISTINCT other FROM ( \
                   SELECT o.user_id AS other FROM members m JOIN members o ON o.app_id = m.app_id AND o.conversation_id = m.conversation_id \
                     WHERE m.app_id = $1 AND m.user_id = $2 AND o.user_id <> $2 \
                   UNION SELECT contact_id AS other FROM contacts WHERE app_id = $1 AND user_id = $2 \
                 ) t WHERE NOT EXISTS (SELECT 1 FROM blocks b WHERE b.app_id = $1 AND \
                   ((b.blocker = $2 AND b.blocked = t.other) OR (b.blocker = t.other AND b.blocked = $2)))",
            )
            .bind(&app)
            .bind(me.as_str())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(u,)| {
                u.parse().map_err(|e: crate::IdError| StoreError::Corrupt {
                    column: "members.user_id",
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// A user of this app (for presence and search results).
    pub async fn user_exists(&self, id: &UserId) -> Result<Option<User>> {
        self.get_user(id).await
    }
}
