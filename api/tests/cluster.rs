//! Two `caas serve` processes sharing one PostgreSQL database and Redis: a member
//! connected to node 1 receives live what a member on node 2 sends, in order.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Cluster, WsClient};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_share_events_through_redis() {
    let c = Cluster::start().await;
    let ann = c.token(0, "ann").await;
    let bob = c.token(1, "bob").await;

    let mut a = WsClient::try_connect_addr(c.nodes[0].addr, &ann, None, None).await.expect("node 1");
    assert_eq!(a.frame().await["event"], "session.ready");
    let mut b = WsClient::try_connect_addr(c.nodes[1].addr, &bob, None, None).await.expect("node 2");
    assert_eq!(b.frame().await["event"], "session.ready");

    // Watch the bus itself, to see that events travel through Redis (the hubs'
    // once-a-second database check would also deliver them, only later).
    let redis = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut watch = redis.get_async_pubsub().await.unwrap();
    watch.subscribe(caas_signaling::bus::CHANNEL).await.unwrap();

    let conv = a.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    let cid = conv["conversation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(b.event("conversation.created").await["data"]["conversation"]["id"], cid.as_str());

    for i in 0..20 {
        b.ok("message.send", json!({"conversation_id": cid, "text": format!("from node 2 #{i}")})).await;
    }
    let mut last = 0;
    for i in 0..20 {
        let ev: Value = a.event("message.new").await;
        assert_eq!(ev["data"]["message"]["text"], format!("from node 2 #{i}"));
        let c: i64 = ev["cursor"].as_str().unwrap().parse().unwrap();
        assert!(c > last);
        last = c;
    }
    let app_id = c.app.app.id.to_string();
    let mut seen = 0;
    let mut messages = watch.on_message();
    while seen < 21 {
        let msg =
            tokio::time::timeout(common::WS_WAIT, futures_util::StreamExt::next(&mut messages)).await.unwrap().unwrap();
        let ev: Value = serde_json::from_str(&msg.get_payload::<String>().unwrap()).unwrap();
        if ev["app"] == app_id.as_str() {
            seen += 1;
        }
    }
    drop(messages);
    // And the other way round.
    a.ok("message.send", json!({"conversation_id": cid, "text": "from node 1"})).await;
    let mut got = b.event("message.new").await;
    while got["data"]["message"]["sender_id"] == "bob" {
        got = b.event("message.new").await;
    }
    assert_eq!(got["data"]["message"]["text"], "from node 1");
    // Presence across nodes: Bob is connected to node 2 only; node 1 knows it.
    let snap = a.ok("presence.subscribe", json!({"user_ids": ["bob"]})).await;
    assert_eq!(snap["presence"][0]["status"], "online", "{snap}");
    let mut b2 = WsClient::try_connect_addr(c.nodes[0].addr, &bob, None, None).await.expect("node 1");
    b2.frame().await;
    b.close().await;
    // Still online through the device on node 1; then offline when it goes.
    assert_eq!(a.ok("presence.subscribe", json!({"user_ids": ["bob"]})).await["presence"][0]["status"], "online");
    b2.close().await;
    let mut p = a.event("presence").await;
    while p["data"]["status"] != "offline" {
        p = a.event("presence").await;
    }
    assert_eq!(p["data"]["user_id"], "bob");
    assert_eq!(a.ok("presence.subscribe", json!({"user_ids": ["bob"]})).await["presence"][0]["status"], "offline");
    a.close().await;
    c.stop().await;
}
