//! Connection quotas: at most so many real-time connections per end user and
//! per app (`CAAS_MAX_CONNECTIONS_PER_USER`, `CAAS_MAX_CONNECTIONS_PER_APP`;
//! 0 is no limit), across the cluster.
//!
//! Each node counts its own connections; a connection over a limit on this
//! node alone is refused without asking anyone (the fast path). With Redis,
//! each node also keeps its counts in the hash `caas:{cluster}:conns:{node}`,
//! and a new connection is admitted by one script that sums the counts of
//! the live nodes (their heartbeat, [`super::nodes`]) and takes a place in
//! this node's hash only if both sums are under their limits. A dead node's
//! counts stop counting once it is dead and expire with its heartbeat. If
//! Redis cannot be reached the node admits by its own counts (fail open) and
//! says so in its log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use caas_storage::{AppId, UserId};

use super::nodes::{DEAD_AFTER, Nodes};
use crate::http::error::ApiError;

/// The limits (0: none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections per end user.
    pub per_user: u32,
    /// Open connections per app.
    pub per_app: u32,
}

/// Which limit refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// The user's.
    User,
    /// The app's.
    App,
}

impl Over {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Over::User => "user",
            Over::App => "app",
        }
    }

    /// The error the upgrade answers with (429 `too_many_connections`).
    pub fn error(self, limits: ConnectionLimits) -> ApiError {
        let message = match self {
            Over::User => format!("this user already has {} open connections; close one first", limits.per_user),
            Over::App => format!("this app already has {} open connections", limits.per_app),
        };
        ApiError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "too_many_connections", message)
    }
}

/// Counts of open connections.
#[derive(Debug, Default)]
struct Counts {
    users: HashMap<(AppId, UserId), u32>,
    apps: HashMap<AppId, u32>,
}

impl Counts {
    /// Whether one more fits the limits, counting only these counts.
    fn check(&self, limits: ConnectionLimits, app: AppId, user: &UserId) -> Result<(), Over> {
        let users = self.users.get(&(app, user.clone())).copied().unwrap_or(0);
        let apps = self.apps.get(&app).copied().unwrap_or(0);
        if limits.per_user > 0 && users >= limits.per_user {
            return Err(Over::User);
        }
        if limits.per_app > 0 && apps >= limits.per_app {
            return Err(Over::App);
        }
        Ok(())
    }

    fn add(&mut self, app: AppId, user: &UserId) {
        *self.users.entry((app, user.clone())).or_insert(0) += 1;
        *self.apps.entry(app).or_insert(0) += 1;
    }

    fn remove(&mut self, app: AppId, user: &UserId) {
        let key = (app, user.clone());
        if let Some(n) = self.users.get_mut(&key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.users.remove(&key);
            }
        }
        if let Some(n) = self.apps.get_mut(&app) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.apps.remove(&app);
            }
        }
    }
}

/// Sums the live nodes' counts and, if under both limits, counts one more on
/// this node. KEYS[1] the set of nodes, KEYS[2] this node's counts; ARGV:
/// user field, app field, user limit, app limit (0: none), dead time (ms),
/// prefix of the nodes' count keys, this node's id, TTL of the counts (ms).
/// Returns 0 (admitted), 1 (over the user's limit) or 2 (over the app's).
const ADMIT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local users = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local apps = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[5]), '+inf')) do
  if id ~= ARGV[7] then
    users = users + tonumber(redis.call('HGET', ARGV[6] .. id, ARGV[1]) or '0')
    apps = apps + tonumber(redis.call('HGET', ARGV[6] .. id, ARGV[2]) or '0')
  end
end
if tonumber(ARGV[3]) > 0 and users >= tonumber(ARGV[3]) then return 1 end
if tonumber(ARGV[4]) > 0 and apps >= tonumber(ARGV[4]) then return 2 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[8])
return 0
";
static ADMIT_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(ADMIT));

/// Counts one connection out of this node's hash: KEYS[1] the hash; ARGV the
/// user field and the app field.
const RELEASE: &str = r"
for i = 1, 2 do
  if redis.call('HINCRBY', KEYS[1], ARGV[i], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return 0
";
static RELEASE_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(RELEASE));

/// This node's connection quota.
pub struct ConnectionQuota {
    limits: ConnectionLimits,
    local: Mutex<Counts>,
    nodes: Arc<Nodes>,
    redis: Option<redis::Client>,
    conn: Mutex<Option<redis::aio::MultiplexedConnection>>,
}

/// A place taken by an open connection; dropping it gives the place back.
pub struct Permit {
    quota: Arc<ConnectionQuota>,
    app: AppId,
    user: UserId,
    /// Counted in Redis too.
    shared: bool,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.quota.counts().remove(self.app, &self.user);
        if self.shared {
            let (quota, app, user) = (Arc::clone(&self.quota), self.app, self.user.clone());
            tokio::spawn(async move { quota.release_shared(app, &user).await });
        }
    }
}

fn fields(app: AppId, user: &UserId) -> (String, String) {
    (format!("u:{app}:{user}"), format!("a:{app}"))
}

impl ConnectionQuota {
    /// The quota of this node, shared through `redis` when given.
    pub fn new(limits: ConnectionLimits, nodes: Arc<Nodes>, redis: Option<redis::Client>) -> ConnectionQuota {
        ConnectionQuota { limits, local: Mutex::default(), nodes, redis, conn: Mutex::new(None) }
    }

    /// The limits.
    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // The counts stay consistent even if a holder panicked mid-update.
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn connection(&self) -> Result<redis::aio::MultiplexedConnection, redis::RedisError> {
        let cached = self.conn.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(c) = cached {
            return Ok(c);
        }
        let client = self.redis.as_ref().ok_or_else(|| redis::RedisError::from((redis::ErrorKind::Io, "no redis")))?;
        let c = client.get_multiplexed_async_connection().await?;
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = Some(c.clone());
        Ok(c)
    }

    fn forget_connection(&self) {
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Takes a place for a new connection of `user` of `app`, or says which
    /// limit it is over.
    pub async fn admit(self: &Arc<Self>, app: AppId, user: &UserId) -> Result<Permit, Over> {
        let unlimited = self.limits.per_user == 0 && self.limits.per_app == 0;
        // The fast path: over the limit on this node alone.
        self.counts().check(self.limits, app, user)?;
        let shared = match (&self.redis, unlimited) {
            (Some(_), false) => match self.admit_shared(app, user).await {
                Ok(0) => true,
                Ok(1) => return Err(Over::User),
                Ok(_) => return Err(Over::App),
                Err(e) => {
                    tracing::warn!(app_id = %app, error = %e, "cannot check the cluster's connection quota; counting this node only");
                    self.forget_connection();
                    false
                }
            },
            _ => false,
        };
        let mut counts = self.counts();
        // Another connection may have taken the last place while Redis answered.
        if let Err(over) = counts.check(self.limits, app, user) {
            drop(counts);
            if shared {
                let quota = Arc::clone(self);
                let user = user.clone();
                tokio::spawn(async move { quota.release_shared(app, &user).await });
            }
            return Err(over);
        }
        counts.add(app, user);
        Ok(Permit { quota: Arc::clone(self), app, user: user.clone(), shared })
    }

    async fn admit_shared(&self, app: AppId, user: &UserId) -> Result<i64, redis::RedisError> {
        let (user_field, app_field) = fields(app, user);
        let me = self.nodes.id();
        let script = &*ADMIT_SCRIPT;
        let mut admit = script.key(self.nodes.key("nodes"));
        admit.key(self.nodes.conns_key(me));
        admit
            .arg(user_field)
            .arg(app_field)
            .arg(self.limits.per_user)
            .arg(self.limits.per_app)
            .arg(DEAD_AFTER.as_millis() as u64)
            .arg(self.nodes.key("conns:"))
            .arg(me.to_string())
            .arg(super::nodes::COUNTS_TTL.as_millis() as u64);
        let mut c = self.connection().await?;
        admit.invoke_async(&mut c).await
    }

    async fn release_shared(&self, app: AppId, user: &UserId) {
        let (user_field, app_field) = fields(app, user);
        let script = &*RELEASE_SCRIPT;
        let mut release = script.key(self.nodes.conns_key(self.nodes.id()));
        release.arg(user_field).arg(app_field);
        let done = match self.connection().await {
            Ok(mut c) => release.invoke_async::<i64>(&mut c).await,
            Err(e) => Err(e),
        };
        if let Err(e) = done {
            tracing::warn!(app_id = %app, error = %e, "cannot count a connection out of the cluster's quota");
            self.forget_connection();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_counts_hold_each_limit_and_give_places_back() {
        let limits = ConnectionLimits { per_user: 2, per_app: 3 };
        let (app, other) = (AppId::generate(), AppId::generate());
        let (ann, bob): (UserId, UserId) = ("ann".parse().unwrap(), "bob".parse().unwrap());
        let mut c = Counts::default();
        c.add(app, &ann);
        c.add(app, &ann);
        assert_eq!(c.check(limits, app, &ann), Err(Over::User));
        assert_eq!(c.check(limits, app, &bob), Ok(()));
        c.add(app, &bob);
        assert_eq!(c.check(limits, app, &bob), Err(Over::App), "the app's third place is taken");
        assert_eq!(c.check(limits, other, &ann), Ok(()), "another app's user is another user");
        c.remove(app, &ann);
        assert_eq!(c.check(limits, app, &bob), Ok(()));
        c.remove(app, &ann);
        c.remove(app, &bob);
        c.remove(app, &bob);
        assert!(c.users.is_empty() && c.apps.is_empty(), "nothing left behind: {c:?}");
        assert_eq!(Counts::default().check(ConnectionLimits::default(), app, &ann), Ok(()), "0 is no limit");
    }
}
