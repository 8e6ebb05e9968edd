//! Erasing a user removes their calendar and task data: events they organize,
//! their attendance, assignments, comments, log entries, and their tasks
//! outside conversations — while conversation tasks stay with the conversation.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

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

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("Erase", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let (_, conv) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/conversations",
        Some(json!({"kind": "group", "members": ["bob"], "name": "T"})),
    )
    .await;
    let conv = conv["conversation"]["id"].as_str().expect("id").to_owned();
    let (_, ann_ev) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/calendar/events",
        Some(json!({"title": "Ann's", "start": "2030-01-01T10:00", "attendees": ["bob"]})),
    )
    .await;
    let ann_ev = ann_ev["event"]["id"].as_str().expect("id").to_owned();
    let (_, bob_ev) = call(
        &h,
        &bob,
        Method::POST,
        "/v1/calendar/events",
        Some(json!({"title": "Bob's", "start": "2030-01-01T12:00", "attendees": ["ann"]})),
    )
    .await;
    let bob_ev = bob_ev["event"]["id"].as_str().expect("id").to_owned();
    let (_, shared) = call(
        &h,
        &bob,
        Method::POST,
        "/v1/tasks",
        Some(json!({"title": "Shared", "conversation_id": conv, "assignees": ["ann", "bob"]})),
    )
    .await;
    let shared = shared["task"]["id"].as_str().expect("id").to_owned();
    call(&h, &bob, Method::POST, &format!("/v1/tasks/{shared}/comments"), Some(json!({"text": "mine"}))).await;
    let (_, private) = call(&h, &bob, Method::POST, "/v1/tasks", Some(json!({"title": "Bob only"}))).await;
    let private = private["task"]["id"].as_str().expect("id").to_owned();

    let (s, _) = read(h.admin(&app, Method::DELETE, "/v1/admin/users/bob").send().await.expect("erase")).await;
    assert!(s == 200 || s == 204, "erase: {s}");

    let (_, e) = call(&h, &ann, Method::GET, &format!("/v1/calendar/events/{ann_ev}"), None).await;
    assert_eq!(e["event"]["payload"]["attendees"], json!([]), "Bob no longer attends");
    assert_eq!(
        call(&h, &ann, Method::GET, &format!("/v1/calendar/events/{bob_ev}"), None).await.0,
        404,
        "his events are gone"
    );
    let (s, t) = call(&h, &ann, Method::GET, &format!("/v1/tasks/{shared}"), None).await;
    assert_eq!((s, &t["task"]["payload"]["assignees"]), (200, &json!(["ann"])), "the conversation's task stays");
    let (_, c) = call(&h, &ann, Method::GET, &format!("/v1/tasks/{shared}/comments"), None).await;
    assert_eq!(c["comments"], json!([]));
    let (_, log) = call(&h, &ann, Method::GET, &format!("/v1/tasks/{shared}/activity"), None).await;
    assert_eq!(log["activity"], json!([]), "his log entries are gone");
    let id = private.parse().expect("task id");
    assert!(h.store().app(app.id).load_task(id).await.expect("load").is_none(), "his private task is gone");
    h.stop().await;
}

on_both_backends!(scenario);
