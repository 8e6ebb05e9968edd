//! Building the router and running the server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use caas_storage::Store;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::config::ServeArgs;
use crate::gate::directory::Directory;
use crate::gate::origin::cors;
use crate::http::error::ensure_error_shape;
use crate::http::observe::{metrics_handle, observe};
use crate::state::AppState;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] caas_storage::StoreError),
    /// `CAAS_REDIS_URL` is not a Redis URL.
    #[error("invalid CAAS_REDIS_URL: {0}")]
    RedisUrl(String),
    /// Redis did not answer when the bus connected.
    #[error("cannot connect the event bus to Redis: {0}")]
    Bus(#[from] caas_signaling::bus::BusError),
    /// The blob store could not be opened.
    #[error(transparent)]
    Blobs(#[from] caas_storage::blobs::BlobError),
    /// The SFU could not start.
    #[error(transparent)]
    Sfu(#[from] caas_sfu::driver::StartError),
    /// Dev mode could not set up its demo app.
    #[error("cannot set up the demo app: {0}")]
    Demo(String),
    /// `CAAS_PLANS_FILE` could not be read or is not a valid plans file.
    #[error("cannot load plans from {path}: {reason}")]
    Plans {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// The collab relay could not start.
    #[error("cannot start the collab relay: {0}")]
    Relay(caas_collab::RelayError),
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CAAS",
        description = "Chat-As-A-Service: the REST API. Admin routes take HTTP Basic auth with the app's \
                       API key and secret from an allowed IP; end-user routes take a session token.",
    ),
    modifiers(&SecuritySchemes),
    components(schemas(crate::http::error::ErrorBody))
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_secret",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "session_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::system::routes())
        .merge(crate::users::routes())
        .merge(crate::admin::routes())
        .merge(crate::chat::routes())
        .merge(crate::realtime::routes())
        .merge(crate::calls::routes())
        .merge(crate::collab::routes())
        .merge(crate::billing::routes())
        .merge(crate::files::routes())
        .merge(crate::feeds::routes())
        .merge(crate::notify::routes())
        .merge(crate::calendar::routes())
        .merge(crate::tasks::routes())
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().into_openapi()
}

/// The full router with its middleware, for `state`.
pub fn router(config: &ServeArgs, state: AppState) -> Router {
    let (mut routes, _) = api_routes().split_for_parts();
    if config.demo {
        routes = routes.merge(crate::demo::routes(config));
    }
    routes = routes.merge(crate::console::routes());
    routes
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout()))
        .layer(from_fn_with_state(state.gate.clone(), cors))
        .layer(from_fn(ensure_error_shape))
        .layer(from_fn(observe))
        .with_state(state)
}

/// A server that has opened its database and bound its listener.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
    state: AppState,
    background: Vec<tokio::task::JoinHandle<()>>,
    limits: crate::http::serve::ConnLimits,
}

impl Server {
    /// Opens the database (applying migrations), loads the app directory and binds.
    pub async fn bind(config: &ServeArgs) -> Result<Server, BootError> {
        let redis = config
            .redis_url
            .as_deref()
            .map(redis::Client::open)
            .transpose()
            .map_err(|e| BootError::RedisUrl(e.to_string()))?;
        let bus = match &redis {
            Some(client) => caas_signaling::bus::Bus::redis(client.clone()).await?,
            None => caas_signaling::bus::Bus::local(),
        };
        let presence = crate::live::presence::Presence::new(redis.as_ref())
            .await
            .map_err(|e| BootError::Bus(caas_signaling::bus::BusError::Redis(e)))?;
        let store = Store::connect(&config.db.url()).await?;
        let demo_app = match config.demo {
            true => Some(crate::demo::ensure_demo_app(&store).await.map_err(|e| BootError::Demo(e.message))?),
            false => None,
        };
        let blobs = caas_storage::blobs::open(config.blob_url.as_deref(), &config.db.data_dir)?;
        let directory = Arc::new(Directory::load(&store).await?);
        let (departures_tx, departures) = tokio::sync::mpsc::unbounded_channel();
        let workers =
            config.rtc_workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        let sfu = caas_sfu::driver::SfuHandle::start(config.rtc_udp_addr, config.rtc_public_ip, workers, departures_tx)
            .await?;
        let plans = load_plans(config)?;
        let openapi_json = serde_json::to_string(&openapi()).unwrap_or_else(|_| "{}".to_owned());
        let state = AppState::build(
            config,
            crate::state::Parts {
                store: store.clone(),
                directory: Arc::clone(&directory),
                metrics: metrics_handle(),
                openapi_json,
                redis,
                bus,
                presence,
                demo_app,
                blobs,
                sfu,
                plans,
            },
        );
        let mut background =
            vec![directory.spawn_refresher(store, Duration::from_secs(config.directory_refresh_secs.max(1)))];
        background.push(tokio::spawn(crate::calls::meter(state.calls.clone(), departures)));
        background.push(tokio::spawn(crate::notify::webhooks::sender(state.notifier.clone())));
        background.push(tokio::spawn(crate::billing::meters::flush_loop(
            state.billing.clone(),
            Duration::from_millis(config.meter_flush_ms.max(10)),
        )));
        background.push(tokio::spawn(crate::billing::invoice_loop(state.billing.clone())));
        background.push(tokio::spawn(crate::notify::reminders(state.notifier.clone())));
        background.push(tokio::spawn(crate::notify::digests(
            state.notifier.clone(),
            Duration::from_secs(config.digest_every_secs.max(1)),
            Duration::from_secs(config.digest_after_secs),
        )));
        background.push(tokio::spawn(crate::calls::placement::upkeep(
            state.calls.sfu.clone(),
            state.nodes.clone(),
            state.calls.relay.clone(),
        )));
        if let Some(client) = &state.redis {
            background.push(tokio::spawn(state.nodes.clone().heartbeat(client.clone())));
            if let Some(relay) = &state.calls.relay {
                background.push(tokio::spawn(crate::calls::relay::run(
                    relay.clone(),
                    state.calls.sfu.clone(),
                    state.nodes.clone(),
                )));
            }
            background.push(tokio::spawn(crate::gate::shared::share(state.gate.clone(), client.clone())));
            state.collab.collab.start_relay(client).await.map_err(|e| match e {
                caas_collab::RelayError::Redis(e) => BootError::Bus(caas_signaling::bus::BusError::Redis(e)),
                other => BootError::Relay(other),
            })?;
        }
        let refresher = state.clone();
        background.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(crate::live::presence::REFRESH_EVERY);
            loop {
                tick.tick().await;
                refresher.presence.refresh().await;
            }
        }));
        let sweeper = state.clone();
        background.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                sweeper.gate.app_limiter.sweep(Instant::now());
                sweeper.gate.user_limiter.sweep(Instant::now());
                sweeper.gate.admin_failures.sweep(Instant::now());
            }
        }));
        let listener = tokio::net::TcpListener::bind(config.http_addr)
            .await
            .map_err(|source| BootError::Bind { addr: config.http_addr, source })?;
        let router = router(config, state.clone());
        let limits = crate::http::serve::ConnLimits {
            header_read: Duration::from_secs(config.header_read_timeout_secs.max(1)),
            max_total: config.max_connections.unwrap_or_else(crate::http::serve::fd_budget),
            max_per_ip: config.max_connections_per_ip,
            trusted: config.trusted_proxies.clone(),
        };
        Ok(Server { listener, router, state, background, limits })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The server's state (the tests reach the store through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Server { listener, router, state, background, limits } = self;
        let result = crate::http::serve::serve(listener, router, limits, shutdown).await;
        // No new call rooms here while the node drains; the calls it holds move.
        if let Some(client) = &state.redis {
            state.nodes.leave(client).await;
        }
        if let Some(relay) = &state.calls.relay {
            relay.stop();
        }
        // Upgraded WebSocket connections outlive the HTTP server: close them and
        // let their clean-up (presence, last seen) finish before the pool closes.
        state.sessions.close_all(Duration::from_secs(10)).await;
        for task in background {
            task.abort();
        }
        crate::billing::meters::flush(&state.billing).await;
        state.store.close().await;
        result
    }
}

fn load_plans(config: &ServeArgs) -> Result<caas_billing::Plans, BootError> {
    let Some(path) = &config.plans_file else {
        return Ok(caas_billing::Plans::builtin());
    };
    let fail = |reason: String| BootError::Plans { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    caas_billing::Plans::from_json(&text).map_err(|e| fail(e.to_string()))
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
