//! Presence across nodes: each node counts its own connections per user
//! ([`LocalPresence`]); with Redis, every node also writes its users' status into
//! a hash per user (`caas:presence:{app}:{user}`, one field per node, each with an
//! expiry it refreshes), so a user online on any node is online everywhere.

use std::sync::Mutex;
use std::time::Duration;

use caas_signaling::presence::{LocalPresence, Status};
use caas_storage::{AppId, UserId, now_ms};

/// A node's entry is trusted this long without a refresh.
const ENTRY_TTL_MS: i64 = 60_000;
/// How often a node refreshes its entries.
pub const REFRESH_EVERY: Duration = Duration::from_secs(20);

/// Presence of users, on this node and (with Redis) on the others.
pub struct Presence {
    node: String,
    local: Mutex<LocalPresence<(AppId, UserId)>>,
    redis: Option<redis::aio::MultiplexedConnection>,
}

fn key(app: AppId, user: &UserId) -> String {
    format!("caas:presence:{app}:{user}")
}

fn encode(status: Status, until: i64) -> String {
    let s = match status {
        Status::Online => "online",
        Status::Away => "away",
        Status::Invisible => "invisible",
        Status::Offline => "offline",
    };
    format!("{s}:{until}")
}

fn decode(v: &str) -> Option<(Status, i64)> {
    let (s, until) = v.split_once(':')?;
    let status = match s {
        "online" => Status::Online,
        "away" => Status::Away,
        "invisible" => Status::Invisible,
        _ => Status::Offline,
    };
    Some((status, until.parse().ok()?))
}

impl Presence {
    /// Presence for this node, shared through `redis` when given.
    pub async fn new(redis: Option<&redis::Client>) -> Result<Presence, redis::RedisError> {
        let conn = match redis {
            Some(c) => Some(c.get_multiplexed_async_connection().await?),
            None => None,
        };
        Ok(Presence {
            node: uuid::Uuid::now_v7().to_string(),
            local: Mutex::new(LocalPresence::default()),
            redis: conn,
        })
    }

    fn local(&self) -> std::sync::MutexGuard<'_, LocalPresence<(AppId, UserId)>> {
        // Counters stay consistent even if a holder panicked mid-update.
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn write_node(&self, app: AppId, user: &UserId, status: Option<Status>) {
        let Some(conn) = &self.redis else { return };
        let mut conn = conn.clone();
        let k = key(app, user);
        let result: Result<(), redis::RedisError> = match status {
            Some(s) => {
                redis::pipe()
                    .hset(&k, &self.node, encode(s, now_ms() + ENTRY_TTL_MS))
                    .ignore()
                    .pexpire(&k, ENTRY_TTL_MS)
                    .ignore()
                    .query_async(&mut conn)
                    .await
            }
            None => redis::cmd("HDEL").arg(&k).arg(&self.node).query_async(&mut conn).await,
        };
        if let Err(e) = result {
            tracing::warn!(app_id = %app, error = %e, "presence write to redis failed");
        }
    }

    /// The user's status on the other nodes.
    async fn remote(&self, app: AppId, user: &UserId) -> Status {
        let Some(conn) = &self.redis else { return Status::Offline };
        let mut conn = conn.clone();
        let entries: Vec<(String, String)> =
            redis::cmd("HGETALL").arg(key(app, user)).query_async(&mut conn).await.unwrap_or_default();
        let now = now_ms();
        entries
            .iter()
            .filter(|(node, _)| *node != self.node)
            .filter_map(|(_, v)| decode(v))
            .filter(|(_, until)| *until > now)
            .fold(Status::Offline, |acc, (s, _)| acc.max(s))
    }

    /// What others see of the user now.
    pub async fn status(&self, app: AppId, user: &UserId) -> Status {
        let mine = self.local().status(&(app, user.clone()));
        self.remote(app, user).await.max(mine).visible()
    }

    /// A connection opened; returns the status to announce if what others see changed.
    pub async fn connect(&self, app: AppId, user: &UserId) -> Option<Status> {
        let chosen = self.local().connect(&(app, user.clone()))?;
        let before = self.remote(app, user).await;
        self.write_node(app, user, Some(chosen)).await;
        let after = before.max(chosen);
        (after.visible() != before.visible()).then_some(after.visible())
    }

    /// A connection closed; returns the status to announce if what others see changed.
    pub async fn disconnect(&self, app: AppId, user: &UserId) -> Option<Status> {
        let k = (app, user.clone());
        let mine = self.local().status(&k);
        if !self.local().disconnect(&k) {
            return None;
        }
        self.write_node(app, user, None).await;
        let after = self.remote(app, user).await;
        (after.max(mine).visible() != after.visible()).then_some(after.visible())
    }

    /// The user chose a status; returns the status to announce if what others see changed.
    pub async fn choose(&self, app: AppId, user: &UserId, status: Status) -> Option<Status> {
        let old = self.local().choose(&(app, user.clone()), status)?;
        let remote = self.remote(app, user).await;
        self.write_node(app, user, Some(status)).await;
        let (before, after) = (remote.max(old).visible(), remote.max(status).visible());
        (before != after).then_some(after)
    }

    /// Refreshes this node's entries so they do not expire while users stay connected.
    pub async fn refresh(&self) {
        let all = self.local().all();
        for ((app, user), status) in all {
            self.write_node(app, &user, Some(status)).await;
        }
    }
}
