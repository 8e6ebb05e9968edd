//! The client backend creates conversations and posts (system) messages on
//! behalf of its users through the admin API; members receive them live.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, assert_error, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    h.session(&app, json!({"user_id": "eve"})).await;
    let mut b = WsClient::connect(&h, &bob, None).await;
    b.frame().await;
    let admin = |m: reqwest::Method, path: &str| h.admin(&app, m, path);

    let (s, body) = read(
        admin(reqwest::Method::POST, "/v1/admin/conversations")
            .json(&json!({"created_by": "ann", "kind": "group", "members": ["bob"], "name": "Support"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let cid = body["conversation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["conversation"]["created_by"], "ann");
    assert_eq!(b.event("conversation.created").await["data"]["conversation"]["name"], "Support");

    let path = format!("/v1/admin/conversations/{cid}/messages");
    let (s, body) = read(
        admin(reqwest::Method::POST, &path)
            .json(&json!({"user_id": "ann", "text": "Your order shipped", "system": true, "payload": {"order": 7}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let got = b.event("message.new").await;
    assert_eq!(got["data"]["message"]["payload"], json!({"order": 7, "system": true}));
    assert_eq!(got["data"]["message"]["sender_id"], "ann");

    // Only members can be posted as; bad bodies are refused; other apps see nothing.
    let (s, body) =
        read(admin(reqwest::Method::POST, &path).json(&json!({"user_id": "eve", "text": "hi"})).send().await.unwrap())
            .await;
    assert_error(s, &body, 403, "forbidden");
    let (s, body) =
        read(admin(reqwest::Method::POST, &path).json(&json!({"text": "who?"})).send().await.unwrap()).await;
    assert_eq!(s, 422, "{body}");
    let other = h.create_app("B", &["127.0.0.1"], &[]).await;
    let (s, body) = read(
        h.admin(&other, reqwest::Method::POST, &path)
            .json(&json!({"user_id": "ann", "text": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &body, 404, "not_found");
    // End-user tokens are no admin credentials.
    let (s, body) = read(
        h.client
            .post(h.url(&path))
            .bearer_auth(&bob)
            .json(&json!({"user_id": "ann", "text": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &body, 401, "unauthorized");
    b.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
