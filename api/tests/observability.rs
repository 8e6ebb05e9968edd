//! What an operator watches, from the real binary: JSON log lines of a request
//! carry its `request_id` (the caller's `X-Request-Id`, echoed back) and, once
//! authenticated, the `app_id` and `user_id`; `/metrics` exposes the request,
//! database and SFU series.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::CaasProcess;
use serde_json::{Value, json};

/// Waits until a log line satisfies `want`; returns it.
async fn log_line(p: &CaasProcess, what: &str, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let found =
            p.logs.lock().unwrap().iter().filter_map(|l| serde_json::from_str::<Value>(l).ok()).find(|v| want(v));
        if let Some(v) = found {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "no log line {what}: {:?}", p.logs.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_ids_and_metrics_cover_subsystems() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().to_str().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_caas"))
        .args(["app", "create", "--name", "Logs"])
        .env("CAAS_DATA_DIR", data)
        .output()
        .expect("caas app create");
    let app: Value = serde_json::from_slice(&out.stdout).expect("json");
    let (id, key, secret) =
        (app["app_id"].as_str().unwrap(), app["api_key"].as_str().unwrap(), app["api_secret"].as_str().unwrap());
    let p = CaasProcess::start(&[("CAAS_DATA_DIR", data), ("CAAS_METER_FLUSH_MS", "100")]);
    let client = reqwest::Client::new();

    let res = client
        .post(p.url("/v1/admin/sessions"))
        .basic_auth(key, Some(secret))
        .header("x-request-id", "req-admin-1")
        .json(&json!({"user_id": "ann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-request-id"], "req-admin-1", "echoed");
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let line = log_line(&p, "for req-admin-1", |v| {
        v["span"]["request_id"] == "req-admin-1" && v["fields"]["message"] == "request"
    })
    .await;
    assert_eq!(line["span"]["app_id"], id, "{line}");
    assert_eq!(line["span"]["route"], "/v1/admin/sessions");

    let res = client.get(p.url("/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 32, "a made-up id when the caller sends none");
    let line = log_line(&p, "for /v1/me", |v| v["span"]["request_id"] == generated.as_str()).await;
    assert_eq!((line["span"]["app_id"].as_str(), line["span"]["user_id"].as_str()), (Some(id), Some("ann")), "{line}");
    // A hostile id is replaced, not logged.
    let res = client.get(p.url("/healthz")).header("x-request-id", "bad id\"{}").send().await.unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id\"{}");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let text = client.get(p.url("/metrics")).send().await.unwrap().text().await.unwrap();
        let all = [
            "caas_http_requests_total",
            "caas_db_query_seconds_bucket",
            "caas_sfu_tracks",
            "caas_sfu_packets_forwarded_total",
        ];
        if all.iter().all(|m| text.contains(m)) {
            assert!(text.contains(r#"route="/v1/admin/sessions""#));
            assert!(!text.contains(id), "no app ids in metric labels");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "metrics missing: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
