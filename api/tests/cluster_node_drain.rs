//! A node that stops (SIGTERM) leaves the cluster at once: it is out of the
//! set of nodes as soon as it has exited, so no new call room is placed on it
//! while it drains, and the calls it held move (node_lost) without waiting for
//! its heartbeat to go stale.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::Cluster;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_node_leaves_the_cluster() {
    let mut c = Cluster::start().await;
    let mut ann = c.connect(0, "ann").await;
    let mut bob = c.connect(1, "bob").await;
    let joined = ann.ok("call.join", json!({"room_id": "standup"})).await;
    let node = joined["node"].as_str().unwrap().to_owned();
    let joined = bob.ok("call.join", json!({"room_id": "standup"})).await;
    assert_eq!(joined["node"], node.as_str());
    let bob_id = joined["participant_id"].clone();

    let redis = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let nodes = format!("caas:{}:nodes", c.name);
    let score = |conn: &mut redis::aio::MultiplexedConnection| {
        let mut conn = conn.clone();
        let (nodes, node) = (nodes.clone(), node.clone());
        async move { redis::cmd("ZSCORE").arg(nodes).arg(node).query_async::<Option<f64>>(&mut conn).await.unwrap() }
    };
    assert!(score(&mut conn).await.is_some(), "the room's node is in the cluster");

    // SIGTERM, and wait for the process to exit.
    std::process::Command::new("kill").args(["-TERM", &c.nodes[0].child.id().to_string()]).status().unwrap();
    c.nodes[0].child.wait().unwrap();
    assert_eq!(score(&mut conn).await, None, "a stopped node is out of the set of nodes");
    // Ann leaves with her node; then Bob is told his room's node is gone.
    loop {
        let left = bob.try_event("call.participant_left", Duration::from_secs(10)).await.expect("Bob told");
        if left["data"]["participant_id"] == bob_id {
            assert_eq!(left["data"]["reason"], "node_lost");
            break;
        }
    }
    drop(ann);
    bob.close().await;
    c.stop().await;
}
