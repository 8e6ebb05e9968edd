//! A new call room is placed on the least-loaded node of the cluster, whatever
//! node the joining WebSocket is on; a room that exists stays where it is;
//! another app's room of the same id is another room.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::Cluster;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_room_goes_to_the_least_loaded_node() {
    let c = Cluster::start().await;
    let mut ann = c.connect(0, "ann").await;
    let mut bob = c.connect(0, "bob").await;
    let busy = ann.ok("call.join", json!({"room_id": "busy"})).await;
    let node0 = busy["node"].as_str().expect("node").to_owned();
    bob.ok("call.join", json!({"room_id": "busy"})).await;

    // Node 1 has published its load: two participants.
    let redis = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let load_key = format!("caas:{}:node:{node0}", c.name);
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let load: Option<String> =
            redis::cmd("HGET").arg(&load_key).arg("participants").query_async(&mut conn).await.unwrap();
        if load.as_deref() == Some("2") {
            break;
        }
        assert!(Instant::now() < end, "node load not published: {load:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A new room asked for on the busy node goes to the idle one…
    let mut carol = c.connect(0, "carol").await;
    let quiet = carol.ok("call.join", json!({"room_id": "quiet"})).await;
    let node1 = quiet["node"].as_str().expect("node").to_owned();
    assert_ne!(node1, node0, "placed on the idle node");
    // …and a room that exists stays on its node, asked for from anywhere.
    let mut dave = c.connect(1, "dave").await;
    let joined = dave.ok("call.join", json!({"room_id": "busy"})).await;
    assert_eq!(joined["node"], node0.as_str());
    assert_eq!(joined["participants"].as_array().map(Vec::len), Some(2), "{joined}");
    // Another app's room of the same id is another room.
    let other = c.other_app("Other").await;
    let token = c.token_of(&other, 1, "eve").await;
    let mut eve = c.connect_with(1, &token).await;
    let theirs = eve.ok("call.join", json!({"room_id": "busy"})).await;
    assert_eq!(theirs["participants"], json!([]), "no one of the other app: {theirs}");
    for ws in [ann, bob, carol, dave, eve] {
        ws.close().await;
    }
    c.stop().await;
}
