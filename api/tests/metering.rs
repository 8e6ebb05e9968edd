//! Usage metering and invoices: messages, sessions, daily and monthly active
//! users, peak connections, egress and the busiest conversations are counted per
//! app and day and read back through the admin API; per end-user insights; a
//! month's invoice is issued once from the meters and announced to the client
//! backend with the `billing.invoice_ready` webhook. Another app sees none of it.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use common::{Backend, TestServer, WsClient, read};
use reqwest::Method;
use serde_json::{Value, json};

async fn receiver() -> (std::net::SocketAddr, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: Bytes| {
            let seen = seen.clone();
            async move {
                seen.lock().expect("lock").push(serde_json::from_slice::<Value>(&body).expect("json"));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (addr, got)
}

async fn run(backend: Backend) {
    let h = TestServer::start_with(backend, |c| {
        c.meter_flush_ms = 100;
        c.webhook_retry_ms = 100;
    })
    .await;
    let a = h.create_app("A", &["127.0.0.1"], &[]).await;
    let b = h.create_app("B", &["127.0.0.1"], &[]).await;
    let (hook_addr, hooks) = receiver().await;
    let (s, body) = read(
        h.admin(&a, Method::POST, "/v1/admin/webhooks")
            .json(&json!({"url": format!("http://{hook_addr}/hook"), "events": ["billing.invoice_ready"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");

    let ann = h.session(&a, json!({"user_id": "ann"})).await;
    let bob = h.session(&a, json!({"user_id": "bob"})).await;
    let mut bob_ws = WsClient::connect(&h, &bob, None).await;
    let (s, conv) = read(
        h.client
            .post(h.url("/v1/conversations"))
            .bearer_auth(&ann)
            .json(&json!({"kind": "group", "members": ["bob"], "name": "General"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{conv}");
    let conv = conv["conversation"]["id"].as_str().unwrap().to_owned();
    for i in 0..4 {
        let body = json!({"text": format!("hello {i}"), "client_msg_id": format!("m{i}")});
        let res = h.client.post(h.url(&format!("/v1/conversations/{conv}/messages"))).bearer_auth(&ann).json(&body);
        assert_eq!(res.send().await.unwrap().status(), 200);
    }
    // A retried send is one message, metered once.
    let retry = json!({"text": "hello 3", "client_msg_id": "m3"});
    let res = h.client.post(h.url(&format!("/v1/conversations/{conv}/messages"))).bearer_auth(&ann).json(&retry);
    assert_eq!(res.send().await.unwrap().status(), 200);
    for _ in 0..4 {
        bob_ws.event("message.new").await;
    }
    // A stored file (sampled as storage) that is downloaded once (egress).
    let res = h.client.post(h.url("/v1/files?name=notes.txt")).bearer_auth(&ann).body(vec![b'x'; 1000]).send();
    let (s, file) = read(res.await.unwrap()).await;
    assert_eq!(s, 200, "{file}");
    let file_id = file["file"]["id"].as_str().expect("file id").to_owned();
    let got = h.client.get(h.url(&format!("/v1/files/{file_id}"))).bearer_auth(&ann).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap().len(), 1000);

    // The meters reach the database within a few flushes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let usage = loop {
        let (s, usage) = read(h.admin(&a, Method::GET, "/v1/admin/usage").send().await.unwrap()).await;
        assert_eq!(s, 200, "{usage}");
        let t = &usage["totals"];
        if t["messages"] == 4 && t["egress_bytes"].as_i64() > Some(0) && t["peak_connections"] == 1 {
            break usage;
        }
        assert!(tokio::time::Instant::now() < deadline, "usage never showed: {usage}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let t = &usage["totals"];
    assert!(t["egress_bytes"].as_i64() >= Some(1000), "the download counts: {usage}");
    assert_eq!((t["mau"].as_i64(), t["sessions"].as_i64()), (Some(2), Some(2)), "{usage}");
    let today = usage["to"].as_str().unwrap();
    let day = usage["days"].as_array().unwrap().iter().find(|d| d["day"] == today).expect("today").clone();
    assert_eq!((day["messages"].as_i64(), day["dau"].as_i64()), (Some(4), Some(2)), "{day}");
    assert_eq!(usage["top_conversations"][0], json!({"conversation_id": conv, "name": "General", "messages": 4}));
    h.store().sample_storage(today).await.expect("storage sample");
    let (_, usage) = read(h.admin(&a, Method::GET, "/v1/admin/usage").send().await.unwrap()).await;
    assert_eq!(usage["totals"]["storage_bytes"], 1000, "{usage}");
    let (s, bad) = read(h.admin(&a, Method::GET, "/v1/admin/usage?from=yesterday").send().await.unwrap()).await;
    assert_eq!((s, bad["error"]["code"].as_str()), (422, Some("invalid_day")));

    // Insights per end user.
    let (s, i) = read(h.admin(&a, Method::GET, "/v1/admin/users/ann/insights").send().await.unwrap()).await;
    assert_eq!(s, 200, "{i}");
    assert_eq!((i["messages_sent"].as_i64(), i["active_days_30"].as_i64()), (Some(4), Some(1)), "{i}");
    assert!(i["last_active_at"].is_string(), "{i}");
    let (_, i) = read(h.admin(&a, Method::GET, "/v1/admin/users/bob/insights").send().await.unwrap()).await;
    assert_eq!(i["messages_sent"], 0);
    let (s, _) = read(h.admin(&a, Method::GET, "/v1/admin/users/nobody/insights").send().await.unwrap()).await;
    assert_eq!(s, 404);

    // Another app: nothing of A's.
    let (_, other) = read(h.admin(&b, Method::GET, "/v1/admin/usage").send().await.unwrap()).await;
    assert_eq!((other["totals"]["messages"].as_i64(), other["totals"]["mau"].as_i64()), (Some(0), Some(0)), "{other}");
    assert_eq!(other["top_conversations"], json!([]));
    let (s, _) = read(h.admin(&b, Method::GET, "/v1/admin/users/ann/insights").send().await.unwrap()).await;
    assert_eq!(s, 404);

    // This month's invoice, issued from the meters (the loop issues last month's; the function takes any month).
    let month = &today[..7];
    assert_eq!(caas_api::billing::issue_invoices(&h.state.billing, month).await.expect("issue"), 1, "only A had usage");
    assert_eq!(caas_api::billing::issue_invoices(&h.state.billing, month).await.expect("issue"), 0, "once per month");
    let (_, list) = read(h.admin(&a, Method::GET, "/v1/admin/invoices").send().await.unwrap()).await;
    assert_eq!(list["invoices"][0]["month"], month, "{list}");
    let (s, inv) = read(h.admin(&a, Method::GET, &format!("/v1/admin/invoices/{month}")).send().await.unwrap()).await;
    assert_eq!(s, 200, "{inv}");
    assert_eq!(inv["plan_id"], "unmetered", "apps made by the operator are unmetered");
    assert_eq!(inv["total_cents"], 0);
    let (s, none) = read(h.admin(&b, Method::GET, &format!("/v1/admin/invoices/{month}")).send().await.unwrap()).await;
    assert_eq!((s, none["error"]["code"].as_str()), (404, Some("invoice_not_found")));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let hook = loop {
        if let Some(v) = hooks.lock().unwrap().first().cloned() {
            break v;
        }
        assert!(tokio::time::Instant::now() < deadline, "no billing.invoice_ready webhook");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(hook["type"], "billing.invoice_ready", "{hook}");
    assert_eq!(hook["data"]["month"], month);
    assert_eq!(hook["data"]["invoice"]["lines"][0]["description"].as_str().map(|d| !d.is_empty()), Some(true));
    bob_ws.close().await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_insights_and_invoices_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_insights_and_invoices_postgres() {
    run(Backend::Postgres).await;
}
