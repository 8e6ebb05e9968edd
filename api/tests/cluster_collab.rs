//! Two `caas serve` processes sharing PostgreSQL and Redis serve one document:
//! editors connected to different nodes converge, both ways, live; a role
//! change made on one node disconnects the user's connection on the other.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::ydoc::Client;
use common::{Cluster, read};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_on_two_nodes_converge() {
    let c = Cluster::start().await;
    let ann = c.token(0, "ann").await;
    let bob = c.token(1, "bob").await;
    let http = reqwest::Client::new();
    let (s, b) = read(
        http.post(c.nodes[0].url("/v1/docs"))
            .bearer_auth(&ann)
            .json(&json!({"kind": "doc", "title": "Shared", "roles": {"bob": "editor"}}))
            .send()
            .await
            .expect("create"),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let id = b["doc"]["id"].as_str().expect("id").to_owned();

    let mut a = Client::connect_addr(c.nodes[0].addr, &id, &ann).await;
    let mut b = Client::connect_addr(c.nodes[1].addr, &id, &bob).await;
    a.until("Ann synced", |_| true).await;
    a.insert(0, "from node 1").await;
    b.until("node 1's edit on node 2", |c| c.text() == "from node 1").await;
    b.insert(11, ", and node 2").await;
    a.until("node 2's edit on node 1", |c| c.text() == "from node 1, and node 2").await;

    // Ann (on node 1) takes Bob's access away: his connection on node 2 closes.
    let (s, body) = read(
        http.put(c.nodes[0].url(&format!("/v1/docs/{id}/roles/bob")))
            .bearer_auth(&ann)
            .json(&json!({"role": null}))
            .send()
            .await
            .expect("set role"),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    b.until("Bob's disconnection on node 2", |c| c.closed.is_some()).await;
    assert_eq!(b.closed, Some(4403));
    drop(a);
    drop(b);
    c.stop().await;
}
