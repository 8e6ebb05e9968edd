//! Replies, threads, mentions, edits (history kept), deletes (tombstones),
//! reactions (counts and mine), pins, and history forward and around a message.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, read};
use serde_json::{Value, json};

fn seqs(page: &Value) -> Vec<i64> {
    page["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect()
}

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

    let root = a.ok("message.send", json!({"conversation_id": cid, "text": "root @bob", "mentions": ["bob"]})).await;
    let root_id = root["message"]["id"].as_str().unwrap().to_owned();
    assert_eq!(root["message"]["mentions"], json!(["bob"]));
    let bad = a.request("message.send", json!({"conversation_id": cid, "text": "hi @eve", "mentions": ["eve"]})).await;
    assert_eq!(bad["error"]["code"], "invalid_mentions");

    // A quote reply and two thread replies.
    let quote = b.ok("message.send", json!({"conversation_id": cid, "text": "quoting", "reply_to": root_id})).await;
    assert_eq!(quote["message"]["reply_to"], root_id.as_str());
    let t1 = b.ok("message.send", json!({"conversation_id": cid, "text": "in thread 1", "parent_id": root_id})).await;
    b.ok("message.send", json!({"conversation_id": cid, "text": "in thread 2", "parent_id": root_id})).await;
    let nested =
        b.request("message.send", json!({"conversation_id": cid, "text": "x", "parent_id": t1["message"]["id"]})).await;
    assert_eq!(nested["error"]["code"], "invalid_reference");
    let thread = a.ok("conversation.history", json!({"conversation_id": cid, "parent_id": root_id})).await;
    assert_eq!(seqs(&thread), [3, 4]);
    let all = a.ok("conversation.history", json!({"conversation_id": cid})).await;
    assert_eq!(all["messages"][0]["reply_count"], 2);

    // Edit: only the sender; the earlier text is kept; members hear of it.
    let edited = a.ok("message.edit", json!({"message_id": root_id, "text": "root, edited"})).await;
    assert_eq!(edited["message"]["text"], "root, edited");
    assert!(edited["message"]["edited_at"].is_string());
    let ev = b.event("message.updated").await;
    assert_eq!(ev["data"]["message"]["text"], "root, edited");
    assert_eq!(
        b.request("message.edit", json!({"message_id": root_id, "text": "hijack"})).await["error"]["code"],
        "forbidden"
    );
    let edits = h.store().app(app.id).edit_history(root_id.parse().unwrap(), &"bob".parse().unwrap()).await.unwrap();
    assert_eq!(edits.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["root @bob"]);

    // Reactions: counts and mine; adding twice changes nothing.
    let r = b.ok("reaction.add", json!({"message_id": root_id, "kind": "👍"})).await;
    assert_eq!(r["message"]["reactions"], json!({"counts": {"👍": 1}, "mine": ["👍"]}));
    assert_eq!(a.event("reaction.added").await["data"]["counts"], json!({"👍": 1}));
    a.ok("reaction.add", json!({"message_id": root_id, "kind": "👍"})).await;
    let again = a.ok("reaction.add", json!({"message_id": root_id, "kind": "👍"})).await;
    assert_eq!(again["message"]["reactions"], json!({"counts": {"👍": 2}, "mine": ["👍"]}));
    let (s, body) = read(
        h.client
            .delete(h.url(&format!("/v1/messages/{root_id}/reactions/%F0%9F%91%8D")))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["message"]["reactions"], json!({"counts": {"👍": 1}, "mine": []}));
    let page = b.ok("conversation.history", json!({"conversation_id": cid, "limit": 1, "around_seq": 1})).await;
    assert_eq!(page["messages"][0]["reactions"], json!({"counts": {"👍": 1}, "mine": []}));
    assert_eq!(
        a.request("reaction.add", json!({"message_id": root_id, "kind": "two words"})).await["error"]["code"],
        "invalid_reaction"
    );

    // Pin.
    let pinned = b.ok("message.pin", json!({"message_id": root_id, "pinned": true})).await;
    assert!(pinned["message"]["pinned_at"].is_string());

    // Delete: Bob may not delete Ann's message; Ann (owner) may delete Bob's; tombstones stay in history.
    let quote_id = quote["message"]["id"].as_str().unwrap().to_owned();
    assert_eq!(b.request("message.delete", json!({"message_id": root_id})).await["error"]["code"], "forbidden");
    let gone = a.ok("message.delete", json!({"message_id": quote_id})).await;
    assert_eq!(gone["message"]["text"], "");
    assert!(gone["message"]["deleted_at"].is_string());
    assert_eq!(b.event("message.deleted").await["data"]["message"]["id"], quote_id.as_str());
    let all = a.ok("conversation.history", json!({"conversation_id": cid})).await;
    assert_eq!(all["messages"][1]["deleted_at"], gone["message"]["deleted_at"]);
    assert_eq!(
        a.request("message.edit", json!({"message_id": quote_id, "text": "back"})).await["error"]["code"],
        "forbidden"
    );

    // Forward and around.
    for i in 5..=10 {
        a.ok("message.send", json!({"conversation_id": cid, "text": format!("m{i}")})).await;
    }
    assert_eq!(
        seqs(&a.ok("conversation.history", json!({"conversation_id": cid, "after_seq": 6, "limit": 3})).await),
        [7, 8, 9]
    );
    assert_eq!(
        seqs(&a.ok("conversation.history", json!({"conversation_id": cid, "around_seq": 6, "limit": 4})).await),
        [5, 6, 7, 8]
    );
    assert_eq!(
        seqs(&a.ok("conversation.history", json!({"conversation_id": cid, "before_seq": 3, "limit": 5})).await),
        [1, 2]
    );

    // Someone else's app cannot touch the message.
    let other = h.create_app("B", &["127.0.0.1"], &[]).await;
    let intruder = h.session(&other, json!({"user_id": "ann"})).await;
    let (s, _) =
        read(h.client.delete(h.url(&format!("/v1/messages/{root_id}"))).bearer_auth(&intruder).send().await.unwrap())
            .await;
    assert_eq!(s, 404);
    a.close().await;
    b.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
