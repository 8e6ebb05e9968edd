//! WebSocket ops take from the same rate-limit buckets as REST requests (issue
//! 15 D7): a user flooding `message.send` on one socket gets `rate_limited`
//! errors and stores no more than the limit allows (the upgrade and the ops
//! share one bucket per user); a connection that keeps flooding is closed with
//! 1008.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient};
use serde_json::json;

async fn scenario(backend: Backend) {
    // One request per second per user, a burst of 2: the upgrade and
    // conversation.create take both; a token refills each second after.
    let h = TestServer::start_with(backend, |c| c.rate_limit_user = 1.0).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let conv = a.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    let cid = conv["conversation"]["id"].as_str().unwrap().to_owned();

    let (mut sent, mut limited) = (0, 0);
    for i in 0..10 {
        let reply = a.request("message.send", json!({"conversation_id": cid, "text": format!("m{i}")})).await;
        match reply["error"]["code"].as_str() {
            None => sent += 1,
            Some("rate_limited") => limited += 1,
            Some(other) => panic!("unexpected error {other}: {reply}"),
        }
    }
    // Ten sends take well under a few seconds: at most a refilled token or two got through.
    assert!(sent <= 2 && limited >= 8, "sent {sent}, limited {limited}");
    // Another user's bucket is untouched.
    let me = h.client.get(h.url("/v1/me")).bearer_auth(&bob).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let page =
        caas_storage::HistoryPage { before_seq: None, after_seq: None, around_seq: None, parent_id: None, limit: 50 };
    let stored = h.store().app(app.id).history(cid.parse().unwrap(), &"bob".parse().unwrap(), &page).await.unwrap();
    assert_eq!(stored.len(), sent, "only what was accepted is stored");

    // Flooding on regardless closes the connection (policy violation).
    let flood = |i: u64| json!({"id": 100 + i, "op": "message.send", "data": {"conversation_id": cid, "text": "x"}});
    assert_eq!(a.send_until_closed(200, |i| flood(i).to_string()).await, Some(1008));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    scenario(Backend::Postgres).await;
}
