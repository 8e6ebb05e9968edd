//! Connection quotas hold across the cluster: with at most 2 real-time
//! connections per user and 3 per app, a user with 2 connections on node 1 is
//! refused on node 2 (429 `too_many_connections`), as is a third user once the
//! app has 3; closing a connection gives its place back on every node.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{Cluster, WsClient, assert_error};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_quotas_hold_on_every_node() {
    let c = Cluster::start_with(&[("CAAS_MAX_CONNECTIONS_PER_USER", "2"), ("CAAS_MAX_CONNECTIONS_PER_APP", "3")]).await;
    let ann = c.token(0, "ann").await;
    let first = c.connect_with(0, &ann).await;
    let _second = c.connect_with(0, &ann).await;

    // Ann's third connection, on the other node: over her limit.
    let (status, body) = WsClient::try_connect_addr(c.nodes[1].addr, &ann, None, None).await.err().expect("refused");
    assert_error(status, &body, 429, "too_many_connections");

    // Bob takes the app's third place on node 2; Carol is over the app's limit on either node.
    let bob = c.token(1, "bob").await;
    let _bob = c.connect_with(1, &bob).await;
    let carol = c.token(1, "carol").await;
    for n in 0..2 {
        let (status, body) =
            WsClient::try_connect_addr(c.nodes[n].addr, &carol, None, None).await.err().expect("refused");
        assert_error(status, &body, 429, "too_many_connections");
        assert!(body["error"]["message"].as_str().unwrap().contains("app"), "{body}");
    }

    // Ann closes one on node 1: node 2 lets her in again.
    first.close().await;
    let end = Instant::now() + Duration::from_secs(10);
    let mut again = loop {
        match WsClient::try_connect_addr(c.nodes[1].addr, &ann, None, None).await {
            Ok(ws) => break ws,
            Err((429, _)) if Instant::now() < end => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(other) => panic!("not let in again: {other:?}"),
        }
    };
    assert_eq!(again.frame().await["event"], "session.ready");
    c.stop().await;
}
