//! Request metrics and logs: a counter and a latency histogram per method, route
//! template and status (low cardinality: never a user or app id in a label), and a
//! structured log line per request without its query string (tokens travel there).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            // Setting buckets fails only for an empty list; BUCKETS is not empty.
            let builder = builder.set_buckets(&BUCKETS).unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            handle
        })
        .clone()
}

/// The request id header: taken from the caller when it looks sane, else made up; echoed in the response.
pub const REQUEST_ID: &str = "x-request-id";

fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string())
}

/// Middleware: gives the request an id and a span (`request_id`, and `app_id`,
/// `user_id` once authentication knows them, for every log line inside it),
/// records metrics and logs one line per request.
pub async fn observe(req: Request, next: Next) -> Response {
    use tracing::Instrument;
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let id = request_id(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = %route,
        app_id = tracing::field::Empty,
        user_id = tracing::field::Empty,
    );
    let mut res = next.run(req).instrument(span.clone()).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    let _entered = span.enter();
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    let labels = [("method", method.clone()), ("route", route.clone()), ("status", status.to_string())];
    metrics::counter!("caas_http_requests_total", &labels).increment(1);
    metrics::histogram!("caas_http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(%method, %route, status, latency_ms, "request failed");
    } else if route.starts_with("/healthz") || route.starts_with("/readyz") || route.starts_with("/metrics") {
        tracing::trace!(%method, %route, status, latency_ms, "request");
    } else {
        tracing::info!(%method, %route, status, latency_ms, "request");
    }
    drop(_entered);
    res
}

/// Records who is calling in the current request's span (and so in its log lines).
pub fn record_caller(app_id: &dyn std::fmt::Display, user_id: Option<&dyn std::fmt::Display>) {
    let span = tracing::Span::current();
    span.record("app_id", tracing::field::display(app_id));
    if let Some(user) = user_id {
        span.record("user_id", tracing::field::display(user));
    }
}
