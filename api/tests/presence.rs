//! Presence: online with the first device, offline after the last, visible only
//! to co-members and contacts (never across a block), invisible mode, away, and
//! `presence.subscribe` snapshots.

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
    a.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    let mut e = WsClient::connect(&h, &eve, None).await;
    e.frame().await;

    // Bob connects: Ann (co-member) sees him online; Eve (stranger) does not.
    let mut b1 = WsClient::connect(&h, &bob, None).await;
    b1.frame().await;
    let p = a.event("presence").await;
    assert_eq!((p["data"]["user_id"].clone(), p["data"]["status"].clone()), (json!("bob"), json!("online")));
    assert!(p.get("cursor").is_none());
    let snap = a.ok("presence.subscribe", json!({"user_ids": ["bob", "eve"]})).await;
    assert_eq!(snap["presence"], json!([{"user_id": "bob", "status": "online", "last_seen": null}]));
    assert_eq!(e.ok("presence.subscribe", json!({"user_ids": ["bob"]})).await["presence"], json!([]));

    // A second device, then closing the first: still online, no announcement.
    let mut b2 = WsClient::connect(&h, &bob, None).await;
    b2.frame().await;
    b1.close().await;
    b2.ok("presence.set", json!({"status": "away"})).await;
    // The next presence event Ann sees is "away", not "offline".
    assert_eq!(a.event("presence").await["data"]["status"], "away");
    b2.ok("presence.set", json!({"status": "invisible"})).await;
    assert_eq!(a.event("presence").await["data"]["status"], "offline");
    let snap = a.ok("presence.subscribe", json!({"user_ids": ["bob"]})).await;
    assert_eq!(snap["presence"][0]["status"], "offline");
    b2.ok("presence.set", json!({"status": "online"})).await;
    assert_eq!(a.event("presence").await["data"]["status"], "online");
    assert_eq!(b2.request("presence.set", json!({"status": "busy"})).await["error"]["code"], "invalid_status");

    // Last device gone: offline with last seen.
    b2.close().await;
    let p = a.event("presence").await;
    assert_eq!(p["data"]["status"], "offline");
    assert!(p["data"]["last_seen"].is_string());
    let snap = a.ok("presence.subscribe", json!({"user_ids": ["bob"]})).await;
    assert!(snap["presence"][0]["last_seen"].is_string());

    // A block hides presence both ways.
    a.ok("user.block", json!({"user_id": "bob"})).await;
    let mut b3 = WsClient::connect(&h, &bob, None).await;
    b3.frame().await;
    assert_eq!(a.ok("presence.subscribe", json!({"user_ids": ["bob"]})).await["presence"], json!([]));
    // Eve becomes Ann's contact: Ann's next presence event is about Eve, not Bob.
    e.ok("contact.request", json!({"user_id": "ann"})).await;
    a.ok("contact.accept", json!({"user_id": "eve"})).await;
    e.close().await;
    let p = a.event("presence").await;
    assert_eq!((p["data"]["user_id"].clone(), p["data"]["status"].clone()), (json!("eve"), json!("offline")));
    a.close().await;
    b3.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
