//! OpenTelemetry traces: with `CAAS_OTLP_ENDPOINT` set, the real binary sends each
//! request's span over OTLP/HTTP (JSON) to a collector — here a local receiver —
//! with the request id, route and caller as attributes.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use common::CaasProcess;
use serde_json::Value;

/// The `request` spans found in the bodies received so far.
fn request_spans(bodies: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for body in bodies {
        for rs in body["resourceSpans"].as_array().into_iter().flatten() {
            let service = rs["resource"]["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["key"] == "service.name")
                .map(|a| a["value"]["stringValue"].clone());
            assert_eq!(service, Some(Value::from("caas")), "resource names the service: {rs}");
            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                for span in ss["spans"].as_array().into_iter().flatten() {
                    if span["name"] == "request" {
                        out.push(span.clone());
                    }
                }
            }
        }
    }
    out
}

fn attribute<'a>(span: &'a Value, key: &str) -> Option<&'a str> {
    span["attributes"].as_array()?.iter().find(|a| a["key"] == key)?["value"]["stringValue"].as_str()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_spans_reach_an_otlp_collector() {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = got.clone();
    let collector = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                assert_eq!(headers["content-type"], "application/json");
                seen.lock().unwrap().push(serde_json::from_slice::<Value>(&body).expect("OTLP JSON"));
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, collector).await.expect("serve") });

    let dir = tempfile::tempdir().expect("tmp");
    let endpoint = format!("http://{addr}/v1/traces");
    let p = CaasProcess::start(&[
        ("CAAS_DATA_DIR", dir.path().to_str().unwrap()),
        ("CAAS_OTLP_ENDPOINT", &endpoint),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ]);
    let res = reqwest::Client::new().get(p.url("/readyz")).header("x-request-id", "trace-me-1").send().await.unwrap();
    assert_eq!(res.status(), 200);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let span = loop {
        let spans = request_spans(&got.lock().unwrap());
        if let Some(s) = spans.into_iter().find(|s| attribute(s, "request_id") == Some("trace-me-1")) {
            break s;
        }
        assert!(tokio::time::Instant::now() < deadline, "no span for the request: {:?}", got.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(attribute(&span, "route"), Some("/readyz"), "{span}");
    assert_eq!(span["traceId"].as_str().map(str::len), Some(32), "{span}");
    assert!(span["endTimeUnixNano"].as_str().or(span["endTimeUnixNano"].as_u64().map(|_| "n")).is_some(), "{span}");
}
