//! Reminders become notifications: a task falling due notifies its assignee
//! (once, even though every node's scheduler runs), and creating a calendar
//! event and updating a task reach webhooks as `event.created` and `task.updated`.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{Backend, TestServer, read};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(h: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = h.client.request(method, h.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_tasks_notify_and_calendar_changes_reach_webhooks() {
    // The webhook receiver: records event names and answers 200.
    let got: std::sync::Arc<std::sync::Mutex<Vec<Value>>> = Default::default();
    let seen = got.clone();
    let hook = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                seen.lock().expect("lock").push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, hook).await.expect("serve") });

    let h = TestServer::start(Backend::Postgres).await;
    let app = h.create_app("Remind", &["127.0.0.1"], &[]).await;
    let (s, b) = read(
        h.admin(&app, Method::POST, "/v1/admin/webhooks")
            .json(&json!({"url": format!("http://{addr}/hook"), "events": ["event.created", "task.updated"]}))
            .send()
            .await
            .expect("hook"),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;

    // A task due in two seconds, assigned to Bob.
    let due = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let due =
        due.replace_nanosecond(0).expect("ns").format(&time::format_description::well_known::Rfc3339).expect("fmt");
    let (s, t) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/tasks",
        Some(json!({"title": "Send the report", "assignees": ["bob"], "due_at": due})),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let task = t["task"]["id"].as_str().expect("id").to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let n = loop {
        let (_, b) = call(&h, &bob, Method::GET, "/v1/notifications", None).await;
        if let Some(n) = b["notifications"].as_array().and_then(|l| l.first()).cloned() {
            break n;
        }
        assert!(tokio::time::Instant::now() < deadline, "no reminder came");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(n["category"], "reminder");
    assert_eq!(n["data"]["kind"], "task");
    assert_eq!(n["data"]["object_id"], task.as_str());
    assert_eq!(n["data"]["title"], "Send the report");

    // Webhooks: an event created, a task updated.
    let (s, e) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/calendar/events",
        Some(json!({"title": "Review", "start": "2030-01-07T09:00", "attendees": ["bob"]})),
    )
    .await;
    assert_eq!(s, 200, "{e}");
    let (s, p) = call(&h, &bob, Method::PATCH, &format!("/v1/tasks/{task}"), Some(json!({"status": "done"}))).await;
    assert_eq!(s, 200, "{p}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let all = got.lock().expect("lock").clone();
        let ev = all.iter().find(|v| v["type"] == "event.created");
        let tu = all.iter().find(|v| v["type"] == "task.updated");
        if let (Some(ev), Some(tu)) = (ev, tu) {
            assert_eq!(ev["data"]["event"]["payload"]["title"], "Review", "{ev}");
            assert_eq!(tu["data"]["task"]["id"], task.as_str(), "{tu}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "webhooks: {all:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Only one reminder for Bob.
    let (_, b) = call(&h, &bob, Method::GET, "/v1/notifications", None).await;
    assert_eq!(b["notifications"].as_array().map(Vec::len), Some(1));
    h.stop().await;
}
