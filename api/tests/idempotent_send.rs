//! Retrying `message.send` with the same `client_msg_id` never creates a duplicate,
//! also when the retries race; and a conversation's seq has no gaps or repeats
//! under concurrent senders.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    h.session(&app, json!({"user_id": "bob"})).await;
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let conv = a.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    let cid = conv["conversation"]["id"].as_str().unwrap().to_owned();

    let first = a.ok("message.send", json!({"conversation_id": cid, "text": "once", "client_msg_id": "k-1"})).await;
    let retry = a.ok("message.send", json!({"conversation_id": cid, "text": "once", "client_msg_id": "k-1"})).await;
    assert_eq!(first["message"], retry["message"], "the retry returns the original");

    // Eight concurrent retries of one new message, over REST.
    let url = h.url(&format!("/v1/conversations/{cid}/messages"));
    let sends = (0..8).map(|_| {
        let req = h.client.post(&url).bearer_auth(&ann).json(&json!({"text": "race", "client_msg_id": "k-2"}));
        async move { read(req.send().await.unwrap()).await }
    });
    let results = futures_util::future::join_all(sends).await;
    let ids: std::collections::BTreeSet<String> = results
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, 200, "{b}");
            b["message"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one message for one client_msg_id");

    // Concurrent distinct sends: seqs are exactly 3..=22.
    let sends = (0..20).map(|i| {
        let req = h.client.post(&url).bearer_auth(&ann).json(&json!({"text": format!("n{i}")}));
        async move { read(req.send().await.unwrap()).await }
    });
    let mut seqs: Vec<i64> = futures_util::future::join_all(sends)
        .await
        .iter()
        .map(|(_, b)| b["message"]["seq"].as_i64().unwrap())
        .collect();
    seqs.sort();
    assert_eq!(seqs, (3..=22).collect::<Vec<_>>());
    let hist = a.ok("conversation.history", json!({"conversation_id": cid, "limit": 200})).await;
    assert_eq!(hist["messages"].as_array().unwrap().len(), 22);
    a.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
