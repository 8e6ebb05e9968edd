//! Who is calling, and may they: API secrets and IP allowlists for client
//! backends, session tokens and origins for end users, rate limits, the check
//! of WebSocket upgrades, and the in-memory directory of every app's keys. It
//! imports no feature: features take [`Gate`] through axum's `FromRef`.

pub mod auth;
pub mod directory;
pub mod netacl;
pub mod origin;
pub mod ratelimit;
pub mod secrets;
pub mod shared;
pub mod tokens;
pub mod upgrade;

use std::sync::Arc;

use caas_storage::{AppId, Store, UserId};
use ipnet::IpNet;

use self::directory::Directory;
use self::ratelimit::RateLimiter;

/// Told of every authenticated end-user request (the usage meters count
/// active users through it).
pub trait Activity: Send + Sync + 'static {
    /// `user` of `app` made a request.
    fn active(&self, app: AppId, user: &UserId);
}

crate::handle! {
    /// What the gate checks callers against. Cheap to clone.
    Gate => GateParts
}

/// The parts of a [`Gate`].
pub struct GateParts {
    /// The database (apps by API key).
    pub store: Store,
    /// Keys and origins of every app, in memory.
    pub directory: Arc<Directory>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Requests per app.
    pub app_limiter: RateLimiter<AppId>,
    /// Requests per end user.
    pub user_limiter: RateLimiter<(AppId, UserId)>,
    /// Wrong admin credentials per client address ([`auth::ADMIN_FAILURES`]).
    pub admin_failures: RateLimiter<std::net::IpAddr>,
    /// Told of each authenticated end user.
    pub activity: Arc<dyn Activity>,
}
