//! The composition root: builds every part once and hands each feature the
//! handle it needs (axum `FromRef`). Features never import this module; they
//! name what they need in their own handle (`chat::Chat`, `files::Files`, …).

use std::sync::Arc;

use axum::extract::FromRef;
use caas_storage::{AppId, Store};

use crate::admin::{Admin, AdminParts};
use crate::billing::meters::Meter;
use crate::billing::{Billing, BillingParts, PlanCache};
use crate::calendar::{Calendar, CalendarParts};
use crate::calls::relay::Relay;
use crate::calls::{Calls, CallsParts, IceConfig};
use crate::chat::{Chat, ChatParts};
use crate::collab::{Collab, Collaboration, CollaborationParts, Docs};
use crate::config::ServeArgs;
use crate::console::{ConsoleState, ConsoleStateParts};
use crate::demo::{Demo, DemoParts};
use crate::feeds::{Feeds, FeedsParts};
use crate::files::{Files, FilesParts};
use crate::gate::directory::Directory;
use crate::gate::ratelimit::RateLimiter;
use crate::gate::{Gate, GateParts};
use crate::live::nodes::Nodes;
use crate::live::presence::Presence;
use crate::live::quota::{ConnectionLimits, ConnectionQuota};
use crate::live::sessions::Sessions;
use crate::notify::webhooks::Hooks;
use crate::notify::{Mailer, Notifier, NotifierParts};
use crate::realtime::{Realtime, RealtimeParts};
use crate::system::{System, SystemParts};
use crate::tasks::{Tasks, TasksParts};
use crate::users::{Users, UsersParts};

/// What the server runs on, made before the state: connections and services.
pub struct Parts {
    /// The database.
    pub store: Store,
    /// Keys and origins of every app, in memory.
    pub directory: Arc<Directory>,
    /// Renders `/metrics`.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The OpenAPI document, rendered once.
    pub openapi_json: String,
    /// Redis, when configured (`CAAS_REDIS_URL`).
    pub redis: Option<redis::Client>,
    /// The event bus between nodes.
    pub bus: caas_signaling::bus::Bus,
    /// Who is online, here and on the other nodes.
    pub presence: Presence,
    /// The demo app, in dev mode only.
    pub demo_app: Option<AppId>,
    /// Where file bytes live.
    pub blobs: Arc<dyn object_store::ObjectStore>,
    /// The media server.
    pub sfu: caas_sfu::driver::SfuHandle,
    /// Plans, quotas and prices.
    pub plans: caas_billing::Plans,
}

crate::handle! {
    /// Every feature's handle, and the few parts the server itself drives
    /// (background loops, shutdown). Cheap to clone: axum clones it per request.
    AppState => AppParts
}

/// What [`AppState`] holds.
pub struct AppParts {
    /// The database.
    pub store: Store,
    /// Keys and origins of every app, in memory.
    pub directory: Arc<Directory>,
    /// Redis, when configured.
    pub redis: Option<redis::Client>,
    /// Open WebSocket sessions, and the signal that tells them the node is stopping.
    pub sessions: Sessions,
    /// Who is online (refreshed in the background).
    pub presence: Arc<Presence>,
    /// The cluster's nodes, this one's heartbeat.
    pub nodes: Arc<Nodes>,
    /// Who is calling.
    pub gate: Gate,
    /// Health, metrics, the OpenAPI document.
    pub system: System,
    /// Users and the social graph.
    pub users: Users,
    /// The admin API.
    pub admin: Admin,
    /// Chat.
    pub chat: Chat,
    /// The real-time WebSocket.
    pub realtime: Realtime,
    /// Calls.
    pub calls: Calls,
    /// Shared documents.
    pub collab: Collaboration,
    /// Plans, meters, invoices.
    pub billing: Billing,
    /// Files.
    pub files: Files,
    /// Posts, stories, reels.
    pub feeds: Feeds,
    /// Notifications and webhooks.
    pub notifier: Notifier,
    /// Calendars.
    pub calendar: Calendar,
    /// Tasks.
    pub tasks: Tasks,
    /// The client console.
    pub console: ConsoleState,
    /// Dev mode.
    pub demo: Demo,
}

impl AppState {
    /// Builds every feature's handle from the parts.
    pub fn build(config: &ServeArgs, parts: Parts) -> Self {
        let Parts { store, directory, metrics, openapi_json, redis, bus, presence, demo_app, blobs, sfu, plans } =
            parts;
        let presence = Arc::new(presence);
        let nodes = Arc::new(Nodes::new(config.cluster.clone()));
        let hub = caas_signaling::driver::HubHandle::spawn(&bus, crate::live::StoreSource(store.clone()));
        let sessions = Sessions::default();
        let meter = Arc::new(Meter::default());
        let gate = Gate::new(GateParts {
            store: store.clone(),
            directory: Arc::clone(&directory),
            trusted_proxies: config.trusted_proxies.clone(),
            app_limiter: RateLimiter::new(config.app_rate()),
            user_limiter: RateLimiter::new(config.user_rate()),
            admin_failures: RateLimiter::new(Some(crate::gate::auth::ADMIN_FAILURES)),
            activity: meter.clone(),
        });
        let mailer = Mailer::from_config(config);
        let notifier = Notifier::new(NotifierParts {
            store: store.clone(),
            bus: bus.clone(),
            presence: presence.clone(),
            hooks: Arc::new(Hooks::new(std::time::Duration::from_millis(config.webhook_retry_ms.max(1)))),
            mailer: mailer.clone(),
            vapid: config.vapid_private_key.as_deref().and_then(|k| {
                crate::notify::push::Vapid::new(k, &config.vapid_subject)
                    .inspect_err(|e| tracing::warn!(error = %e, "web push is off"))
                    .ok()
            }),
        });
        let billing = Billing::new(BillingParts {
            store: store.clone(),
            meter: meter.clone(),
            plans: Arc::new(plans),
            plan_cache: PlanCache::default(),
            sessions: sessions.clone(),
            notifier: notifier.clone(),
        });
        let collab_docs: Arc<Collab> = Collab::new(Docs(store.clone()), caas_collab::Limits::default());
        let chat = Chat::new(ChatParts {
            store: store.clone(),
            bus: bus.clone(),
            meter: meter.clone(),
            collab: collab_docs.clone(),
            notifier: notifier.clone(),
        });
        let users = Users::new(UsersParts { store: store.clone(), bus: bus.clone(), notifier: notifier.clone() });
        let calls = Calls::new(CallsParts {
            store: store.clone(),
            sfu,
            ice: IceConfig {
                stun_urls: config.stun_urls.clone(),
                turn_urls: config.turn_urls.clone(),
                turn_secret: config.turn_secret.clone(),
            },
            meter: meter.clone(),
            notifier: notifier.clone(),
            nodes: nodes.clone(),
            relay: redis.clone().map(|client| Arc::new(Relay::new(&nodes, client))),
        });
        let files = Files::new(FilesParts {
            store: store.clone(),
            blobs,
            max_file_bytes: config.max_file_bytes,
            meter: meter.clone(),
            gate: gate.clone(),
        });
        let admin = Admin::new(AdminParts {
            store: store.clone(),
            directory: Arc::clone(&directory),
            billing: billing.clone(),
            files: files.clone(),
        });
        AppState::new(AppParts {
            system: System::new(SystemParts { store: store.clone(), redis: redis.clone(), metrics, openapi_json }),
            realtime: Realtime::new(RealtimeParts {
                gate: gate.clone(),
                store: store.clone(),
                bus,
                hub,
                presence: presence.clone(),
                sessions: sessions.clone(),
                quota: Arc::new(ConnectionQuota::new(
                    ConnectionLimits {
                        per_user: config.max_connections_per_user,
                        per_app: config.max_connections_per_app,
                    },
                    nodes.clone(),
                    redis.clone(),
                )),
                meter: meter.clone(),
                chat: chat.clone(),
                users: users.clone(),
                calls: calls.clone(),
            }),
            collab: Collaboration::new(CollaborationParts {
                gate: gate.clone(),
                store: store.clone(),
                collab: collab_docs,
                meter: meter.clone(),
                sessions: sessions.clone(),
            }),
            feeds: Feeds::new(FeedsParts { store: store.clone(), notifier: notifier.clone(), chat: chat.clone() }),
            calendar: Calendar::new(CalendarParts {
                store: store.clone(),
                notifier: notifier.clone(),
                gate: gate.clone(),
            }),
            tasks: Tasks::new(TasksParts { store: store.clone(), notifier: notifier.clone() }),
            console: ConsoleState::new(ConsoleStateParts {
                store: store.clone(),
                directory: Arc::clone(&directory),
                billing: billing.clone(),
                notifier: notifier.clone(),
                login_limiter: RateLimiter::new(config.login_rate()),
                trusted_proxies: config.trusted_proxies.clone(),
                secure_cookies: config.console_secure_cookies,
                mailer,
                public_url: config.public_url.as_deref().map(|u| u.trim_end_matches('/').to_owned()),
            }),
            demo: Demo::new(DemoParts { admin: admin.clone(), demo_app }),
            store,
            directory,
            redis,
            sessions,
            presence,
            nodes,
            gate,
            users,
            admin,
            chat,
            calls,
            billing,
            files,
            notifier,
        })
    }
}

/// Hands each feature its handle out of [`AppState`].
macro_rules! hand_out {
    ($($field:ident: $ty:ty),* $(,)?) => {
        $(
            impl FromRef<AppState> for $ty {
                fn from_ref(state: &AppState) -> Self {
                    state.$field.clone()
                }
            }
        )*
    };
}

hand_out! {
    gate: Gate,
    system: System,
    users: Users,
    admin: Admin,
    chat: Chat,
    realtime: Realtime,
    calls: Calls,
    collab: Collaboration,
    billing: Billing,
    files: Files,
    feeds: Feeds,
    notifier: Notifier,
    calendar: Calendar,
    tasks: Tasks,
    console: ConsoleState,
    demo: Demo,
}
