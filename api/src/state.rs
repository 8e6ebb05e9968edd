//! Shared state of the server, handed to every handler.

use std::ops::Deref;
use std::sync::Arc;

use caas_storage::{AppId, Store, UserId};
use ipnet::IpNet;

use crate::config::ServeArgs;
use crate::directory::Directory;
use crate::ratelimit::RateLimiter;

/// Cheap-to-clone handle to the server's state.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What the handle points to.
pub struct Inner {
    /// The database.
    pub store: Store,
    /// Keys and origins of every app, in memory.
    pub directory: Arc<Directory>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Requests per app.
    pub app_limiter: RateLimiter<AppId>,
    /// Requests per end user.
    pub user_limiter: RateLimiter<(AppId, UserId)>,
    /// Renders `/metrics`.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The OpenAPI document, rendered once.
    pub openapi_json: String,
    /// Redis, when configured (`CAAS_REDIS_URL`); `/readyz` checks it.
    pub redis: Option<redis::Client>,
    /// The event bus between nodes.
    pub bus: caas_signaling::bus::Bus,
    /// This node's live fan-out.
    pub hub: caas_signaling::driver::HubHandle,
    /// Who is online, here and on the other nodes.
    pub presence: crate::presence::Presence,
    /// Where file bytes live.
    pub blobs: std::sync::Arc<dyn object_store::ObjectStore>,
    /// Largest upload, in bytes.
    pub max_file_bytes: usize,
    /// Open WebSocket sessions, and the signal that tells them the node is stopping.
    pub sessions: crate::ws::Sessions,
    /// The demo app, in dev mode only.
    pub demo_app: Option<caas_storage::AppId>,
    /// The media server.
    pub sfu: caas_sfu::driver::SfuHandle,
    /// STUN/TURN servers for clients.
    pub ice: crate::calls::IceConfig,
    /// Collaborative documents loaded on this node.
    pub collab: Arc<crate::collab::Collab>,
    /// Webhook sending.
    pub hooks: crate::webhooks::SharedHooks,
    /// Notification email (SMTP), when configured.
    pub mailer: Option<crate::notify::Mailer>,
    /// Web push identity, when configured.
    pub vapid: Option<crate::push::Vapid>,
    /// Usage meters of this node.
    pub meter: Arc<crate::metering::Meter>,
    /// Plans, quotas and prices.
    pub plans: Arc<caas_billing::Plans>,
    /// Apps' plans, remembered for a few seconds.
    pub plan_cache: crate::billing::PlanCache,
    /// Console sign-in attempts per client IP.
    pub login_limiter: RateLimiter<std::net::IpAddr>,
    /// Console cookies carry `Secure`.
    pub secure_cookies: bool,
    /// `CAAS_PUBLIC_URL` without a trailing slash: the base of emailed links.
    pub public_url: Option<String>,
}

impl AppState {
    /// Builds the state.
    pub fn new(
        config: &ServeArgs,
        store: Store,
        directory: Arc<Directory>,
        metrics: metrics_exporter_prometheus::PrometheusHandle,
        openapi_json: String,
        redis: Option<redis::Client>,
        bus: caas_signaling::bus::Bus,
        presence: crate::presence::Presence,
        demo_app: Option<caas_storage::AppId>,
        blobs: std::sync::Arc<dyn object_store::ObjectStore>,
        sfu: caas_sfu::driver::SfuHandle,
        plans: caas_billing::Plans,
    ) -> Self {
        let hub = caas_signaling::driver::HubHandle::spawn(&bus, crate::live::StoreSource(store.clone()));
        AppState(Arc::new(Inner {
            store,
            directory,
            trusted_proxies: config.trusted_proxies.clone(),
            app_limiter: RateLimiter::new(config.app_rate()),
            user_limiter: RateLimiter::new(config.user_rate()),
            metrics,
            openapi_json,
            redis,
            bus,
            hub,
            presence,
            demo_app,
            sessions: crate::ws::Sessions::default(),
            blobs,
            max_file_bytes: config.max_file_bytes,
            sfu,
            ice: crate::calls::IceConfig {
                stun_urls: config.stun_urls.clone(),
                turn_urls: config.turn_urls.clone(),
                turn_secret: config.turn_secret.clone(),
            },
            collab: Arc::new(crate::collab::Collab::default()),
            hooks: Arc::new(crate::webhooks::Hooks::new(std::time::Duration::from_millis(
                config.webhook_retry_ms.max(1),
            ))),
            mailer: crate::notify::Mailer::from_config(config),
            vapid: config.vapid_private_key.as_deref().and_then(|k| {
                crate::push::Vapid::new(k, &config.vapid_subject)
                    .inspect_err(|e| tracing::warn!(error = %e, "web push is off"))
                    .ok()
            }),
            meter: Arc::new(crate::metering::Meter::default()),
            plans: Arc::new(plans),
            plan_cache: crate::billing::PlanCache::default(),
            login_limiter: RateLimiter::new(config.login_rate()),
            secure_cookies: config.console_secure_cookies,
            public_url: config.public_url.as_deref().map(|u| u.trim_end_matches('/').to_owned()),
        }))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
