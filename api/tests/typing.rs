//! Typing indicators: ephemeral (no cursor, not replayed), only to the other
//! members, throttled, and stopped when the typist's connection closes.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let eve = h.session(&app, json!({"user_id": "eve"})).await;
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let mut b = WsClient::connect(&h, &bob, None).await;
    let ready = b.frame().await;
    let cursor = ready["data"]["cursor"].as_str().unwrap().to_owned();
    let conv = a.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    let cid = conv["conversation"]["id"].as_str().unwrap().to_owned();

    a.ok("typing.start", json!({"conversation_id": cid})).await;
    let t = b.event("typing").await;
    assert_eq!(t["data"]["user_id"], "ann");
    assert_eq!(t["data"]["typing"], true);
    assert!(t["data"]["expires_in_ms"].as_u64().unwrap() > 0);
    assert!(t.get("cursor").is_none(), "typing is ephemeral: {t}");
    // A second start right away is throttled: the next typing event Bob sees is the stop.
    a.ok("typing.start", json!({"conversation_id": cid})).await;
    a.ok("typing.stop", json!({"conversation_id": cid})).await;
    assert_eq!(b.event("typing").await["data"]["typing"], false);

    // Eve is no member.
    let mut e = WsClient::connect(&h, &eve, None).await;
    e.frame().await;
    assert_eq!(e.request("typing.start", json!({"conversation_id": cid})).await["error"]["code"], "forbidden");

    // Sending a message ends the sender's indicator.
    a.ok("typing.start", json!({"conversation_id": cid})).await;
    assert_eq!(b.event("typing").await["data"]["typing"], true);
    a.ok("message.send", json!({"conversation_id": cid, "text": "sent"})).await;
    assert_eq!(b.event("typing").await["data"]["typing"], false);
    // Wait out the throttle window by stopping explicitly first (already stopped: no event).
    a.ok("typing.stop", json!({"conversation_id": cid})).await;

    // Closing the connection while typing stops the indicator.
    a.ok("typing.start", json!({"conversation_id": cid})).await;
    assert_eq!(b.event("typing").await["data"]["typing"], true);
    a.close().await;
    assert_eq!(b.event("typing").await["data"]["typing"], false);

    // Typing is not replayed: resuming shows only the persistent conversation.created.
    b.close().await;
    let mut b = WsClient::connect(&h, &bob, Some(&cursor)).await;
    b.frame().await;
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    a.ok("message.send", json!({"conversation_id": cid, "text": "done typing"})).await;
    // Everything up to the message: the replayed conversation, perhaps Ann's
    // presence, and no typing.
    let mut seen = Vec::new();
    loop {
        let f = b.frame().await;
        let name = f["event"].as_str().unwrap().to_owned();
        if name == "message.new" {
            break;
        }
        seen.push(name);
    }
    assert_eq!(seen.first().map(String::as_str), Some("conversation.created"), "{seen:?}");
    assert!(!seen.iter().any(|e| e == "typing"), "typing was replayed: {seen:?}");
    a.close().await;
    b.close().await;
    e.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
