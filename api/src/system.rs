//! Liveness, readiness, metrics and the OpenAPI document.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::{ApiError, ApiJson, ErrorBody};

crate::handle! {
    /// What health, readiness, metrics and the OpenAPI document need.
    System => SystemParts
}

/// The parts of a [`System`].
pub struct SystemParts {
    /// The database (readiness).
    pub store: caas_storage::Store,
    /// Redis, when configured (readiness).
    pub redis: Option<redis::Client>,
    /// Renders `/metrics`.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The OpenAPI document, rendered once.
    pub openapi_json: String,
}

/// Status of a health probe.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// 200 while the process lives.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health)))]
pub async fn healthz() -> ApiJson<Health> {
    ApiJson(Health { status: "ok" })
}

/// 200 when the database (and Redis, if configured) answer, else 503 `not_ready`.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "system",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody))
)]
pub async fn readyz(State(state): State<System>) -> Result<ApiJson<Health>, ApiError> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "database not ready");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "the database does not answer")
    })?;
    if let Some(client) = &state.redis {
        redis_ping(client).await.map_err(|e| {
            tracing::warn!(error = %e, "redis not ready");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "redis does not answer")
        })?;
    }
    Ok(ApiJson(Health { status: "ok" }))
}

/// Prometheus metrics: request counts and latency histograms per route and status.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<System>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

/// This document: OpenAPI 3.1 of every REST route.
#[utoipa::path(get, path = "/openapi.json", tag = "system", responses((status = 200, content_type = "application/json", body = Object)))]
pub async fn openapi(State(state): State<System>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], state.openapi_json.clone()).into_response()
}

/// Why Redis is not ready.
#[derive(Debug, thiserror::Error)]
enum RedisDown {
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    #[error("unexpected reply {0}")]
    Reply(String),
    #[error("timed out")]
    Timeout,
}

async fn redis_ping(client: &redis::Client) -> Result<(), RedisDown> {
    let probe = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(std::time::Duration::from_secs(2), probe).await {
        Ok(Ok(pong)) if pong == "PONG" => Ok(()),
        Ok(Ok(other)) => Err(RedisDown::Reply(other)),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(RedisDown::Timeout),
    }
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    System: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
}
