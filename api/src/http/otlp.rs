//! OpenTelemetry traces over OTLP/HTTP (JSON), when `CAAS_OTLP_ENDPOINT` is set:
//! every `tracing` span (each request's `request` span with its `request_id`,
//! route, `app_id` and `user_id`) becomes an OTLP span, batched and sent from a
//! background thread so that requests never wait on the collector.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

/// Why the exporter could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up OTLP traces: {0}")]
pub struct OtlpError(String);

/// The provider (to flush and stop at exit) and the tracer for the `tracing` layer.
pub struct Otlp {
    /// Batches and exports spans; [`Otlp::shutdown`] flushes it.
    pub provider: SdkTracerProvider,
    /// The tracer the `tracing-opentelemetry` layer records into.
    pub tracer: opentelemetry_sdk::trace::Tracer,
}

impl Otlp {
    /// An exporter to `endpoint` (the full URL, e.g. `http://127.0.0.1:4318/v1/traces`).
    /// Batching follows the standard `OTEL_BSP_*` environment variables.
    pub fn new(endpoint: &str) -> Result<Otlp, OtlpError> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpJson)
            .with_endpoint(endpoint)
            .build()
            .map_err(|e| OtlpError(e.to_string()))?;
        let resource = Resource::builder_empty()
            .with_service_name("caas")
            .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        let tracer = provider.tracer("caas");
        Ok(Otlp { provider, tracer })
    }

    /// Sends what is still batched and stops the exporter. It blocks, so it runs on
    /// its own thread (the blocking HTTP client may not be used inside the runtime).
    pub fn shutdown(self) {
        let provider = self.provider;
        let done = std::thread::spawn(move || provider.shutdown());
        match done.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("OTLP exporter did not shut down cleanly: {e}"),
            Err(_) => eprintln!("OTLP exporter panicked while shutting down"),
        }
    }
}
