//! Two `caas serve` processes sharing PostgreSQL and Redis: a membership change
//! made on node 2 decides who receives the next message sent on node 1, although
//! node 1 has the group's member list cached from an earlier send.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Cluster;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_changed_on_another_node_addresses_the_next_message() {
    let c = Cluster::start().await;
    let mut ann = c.connect(0, "ann").await;
    let mut cy = c.connect(0, "cy").await;
    let mut bob = c.connect(1, "bob").await;

    // Bob owns the group (created on node 2); Ann sends on node 1, which loads
    // and caches the member list {ann, bob}.
    let group = bob.ok("conversation.create", json!({"kind": "group", "name": "G", "members": ["ann"]})).await;
    let gid = group["conversation"]["id"].as_str().expect("id").to_owned();
    ann.event("conversation.created").await;
    ann.ok("message.send", json!({"conversation_id": gid, "text": "before cy"})).await;
    assert_eq!(bob.event("message.new").await["data"]["message"]["text"], "before cy");

    // Bob adds Cy on node 2; Ann's next message on node 1 reaches Cy live.
    bob.ok("member.add", json!({"conversation_id": gid, "user_ids": ["cy"]})).await;
    ann.ok("message.send", json!({"conversation_id": gid, "text": "welcome cy"})).await;
    assert_eq!(cy.event("message.new").await["data"]["message"]["text"], "welcome cy");

    // Bob removes Cy on node 2; Ann's next group message does not reach Cy. The
    // marker sent afterwards in a direct conversation is the next message Cy gets
    // (events arrive in commit order, so the group message would come first).
    bob.ok("member.remove", json!({"conversation_id": gid, "user_id": "cy"})).await;
    ann.ok("message.send", json!({"conversation_id": gid, "text": "cy is gone"})).await;
    let direct = ann.ok("conversation.create", json!({"kind": "direct", "members": ["cy"]})).await;
    let did = direct["conversation"]["id"].as_str().expect("id").to_owned();
    ann.ok("message.send", json!({"conversation_id": did, "text": "marker"})).await;
    assert_eq!(cy.event("message.new").await["data"]["message"]["text"], "marker");

    for ws in [ann, bob, cy] {
        ws.close().await;
    }
    c.stop().await;
}
