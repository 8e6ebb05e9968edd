//! Reconnecting with `cursor` delivers every persistent event missed since then,
//! exactly once and in order, before live events; without it nothing is replayed.

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
    h.session(&app, json!({"user_id": "eve"})).await;

    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let mut b = WsClient::connect(&h, &bob, None).await;
    b.frame().await;
    let conv = a.ok("conversation.create", json!({"kind": "group", "members": ["bob"], "name": "g"})).await;
    let cid = conv["conversation"]["id"].as_str().unwrap().to_owned();
    // Eve's conversation with Ann: its events must never reach Bob.
    let other = a.ok("conversation.create", json!({"kind": "direct", "members": ["eve"]})).await;
    let oid = other["conversation"]["id"].as_str().unwrap().to_owned();

    a.ok("message.send", json!({"conversation_id": cid, "text": "m1"})).await;
    let seen = b.event("message.new").await;
    assert_eq!(seen["data"]["message"]["text"], "m1");
    let cursor = seen["cursor"].as_str().unwrap().to_owned();
    b.close().await;

    // While Bob is away: messages in his group, and in a conversation he is not in.
    for i in 2..=6 {
        a.ok("message.send", json!({"conversation_id": cid, "text": format!("m{i}")})).await;
        a.ok("message.send", json!({"conversation_id": oid, "text": format!("secret{i}")})).await;
    }

    let mut b = WsClient::connect(&h, &bob, Some(&cursor)).await;
    let ready = b.frame().await;
    assert_eq!(ready["event"], "session.ready");
    assert_eq!(ready["data"]["cursor"], cursor.as_str());
    let mut last = cursor.parse::<i64>().unwrap();
    for i in 2..=6 {
        let f = b.frame().await;
        assert_eq!(f["event"], "message.new", "{f}");
        assert_eq!(f["data"]["message"]["text"], format!("m{i}"));
        let c = f["cursor"].as_str().unwrap().parse::<i64>().unwrap();
        assert!(c > last, "cursors increase");
        last = c;
    }
    // Then live, with nothing replayed twice in between.
    a.ok("message.send", json!({"conversation_id": cid, "text": "live"})).await;
    let f = b.frame().await;
    assert_eq!(f["data"]["message"]["text"], "live", "{f}");
    b.close().await;

    // Resuming from the newest cursor replays nothing; the next frame is live.
    let newest = f["cursor"].as_str().unwrap().to_owned();
    let mut b = WsClient::connect(&h, &bob, Some(&newest)).await;
    assert_eq!(b.frame().await["event"], "session.ready");
    a.ok("message.send", json!({"conversation_id": cid, "text": "after"})).await;
    assert_eq!(b.frame().await["data"]["message"]["text"], "after");
    b.close().await;

    // Without a cursor nothing is replayed.
    let mut b = WsClient::connect(&h, &bob, None).await;
    assert_eq!(b.frame().await["event"], "session.ready");
    a.ok("message.send", json!({"conversation_id": cid, "text": "fresh"})).await;
    assert_eq!(b.frame().await["data"]["message"]["text"], "fresh");
    b.close().await;
    a.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
