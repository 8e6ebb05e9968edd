//! A user of app B can never see or touch app A's conversations or messages,
//! not even with the same user id, and never receives A's events.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let a_app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let b_app = h.create_app("B", &["127.0.0.1"], &[]).await;
    let ann_a = h.session(&a_app, json!({"user_id": "ann"})).await;
    h.session(&a_app, json!({"user_id": "bob"})).await;
    let ann_b = h.session(&b_app, json!({"user_id": "ann"})).await;
    h.session(&b_app, json!({"user_id": "bob"})).await;

    let mut a = WsClient::connect(&h, &ann_a, None).await;
    a.frame().await;
    let mut b = WsClient::connect(&h, &ann_b, None).await;
    b.frame().await;
    let conv = a.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    let cid = conv["conversation"]["id"].as_str().unwrap().to_owned();
    a.ok("message.send", json!({"conversation_id": cid, "text": "for app A only"})).await;

    // B's "ann" cannot reach A's conversation: it does not exist in B.
    for (op, data) in [
        ("conversation.get", json!({"conversation_id": cid})),
        ("conversation.history", json!({"conversation_id": cid})),
        ("message.send", json!({"conversation_id": cid, "text": "intrusion"})),
    ] {
        let f = b.request(op, data).await;
        assert_eq!(f["error"]["code"], "not_found", "{op}: {f}");
    }
    for path in [format!("/v1/conversations/{cid}"), format!("/v1/conversations/{cid}/messages")] {
        let (s, body) = read(h.client.get(h.url(&path)).bearer_auth(&ann_b).send().await.unwrap()).await;
        assert_eq!((s, body["error"]["code"].clone()), (404, json!("not_found")), "{path}");
    }
    // The same pair in B is a different conversation.
    let conv_b = b.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    assert_ne!(conv_b["conversation"]["id"], cid.as_str());
    // B's ann received none of A's events: her next event is her own.
    b.ok("message.send", json!({"conversation_id": conv_b["conversation"]["id"], "text": "in B"})).await;
    let first = b.event("conversation.created").await;
    assert_eq!(first["data"]["conversation"]["id"], conv_b["conversation"]["id"]);
    let msg = b.event("message.new").await;
    assert_eq!(msg["data"]["message"]["text"], "in B");
    // Replaying B's stream from the start shows only B's events.
    let mut replay = WsClient::connect(&h, &ann_b, Some("0")).await;
    replay.frame().await;
    assert_eq!(replay.frame().await["event"], "conversation.created");
    assert_eq!(replay.frame().await["data"]["message"]["text"], "in B");
    a.close().await;
    b.close().await;
    replay.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
