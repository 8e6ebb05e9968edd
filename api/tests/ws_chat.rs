//! Chat over the WebSocket: `session.ready` first, conversations, messages with
//! strictly increasing seq delivered live to members, history, REST twins.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann", "name": "Ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    h.session(&app, json!({"user_id": "cy"})).await;

    let mut a = WsClient::connect(&h, &ann, None).await;
    let ready = a.frame().await;
    assert_eq!(ready["event"], "session.ready", "first frame: {ready}");
    assert_eq!(ready["data"]["user"]["id"], "ann");
    assert!(ready["data"]["cursor"].is_string());
    let mut b = WsClient::connect(&h, &bob, None).await;
    assert_eq!(b.frame().await["event"], "session.ready");

    let conv = a.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    let conv_id = conv["conversation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(conv["conversation"]["kind"], "direct");
    // Bob learns of it live.
    let created = b.event("conversation.created").await;
    assert_eq!(created["data"]["conversation"]["id"], conv_id.as_str());
    assert!(created["cursor"].is_string());
    // Creating it again (from either side) returns the same conversation.
    let again = b.ok("conversation.create", json!({"kind": "direct", "members": ["ann"]})).await;
    assert_eq!(again["conversation"]["id"], conv_id.as_str());

    let mut cursors = Vec::new();
    for (i, text) in ["hi bob", "how are you?", "🙂"].iter().enumerate() {
        let sent = a
            .ok("message.send", json!({"conversation_id": conv_id, "text": text, "client_msg_id": format!("c{i}")}))
            .await;
        assert_eq!(sent["message"]["seq"], i as i64 + 1);
        let got = b.event("message.new").await;
        assert_eq!(got["data"]["message"]["text"], *text);
        assert_eq!(got["data"]["message"]["sender_id"], "ann");
        assert_eq!(got["data"]["message"]["seq"], i as i64 + 1);
        cursors.push(got["cursor"].as_str().unwrap().parse::<i64>().unwrap());
    }
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "cursors increase: {cursors:?}");
    // The sender's own device gets the event too.
    for seq in 1..=3 {
        assert_eq!(a.event("message.new").await["data"]["message"]["seq"], seq);
    }

    let hist = b.ok("conversation.history", json!({"conversation_id": conv_id, "limit": 2})).await;
    let seqs: Vec<i64> = hist["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [2, 3]);
    let older = b.ok("conversation.history", json!({"conversation_id": conv_id, "before_seq": 2})).await;
    assert_eq!(older["messages"][0]["text"], "hi bob");

    // A group, and the REST twins.
    let group = a.ok("conversation.create", json!({"kind": "group", "members": ["bob", "cy"], "name": "Trio"})).await;
    let gid = group["conversation"]["id"].as_str().unwrap().to_owned();
    let roles: Vec<(String, String)> = group["conversation"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user_id"].as_str().unwrap().to_owned(), m["role"].as_str().unwrap().to_owned()))
        .collect();
    assert!(roles.contains(&("ann".into(), "owner".into())) && roles.contains(&("cy".into(), "member".into())));
    let (s, body) = read(
        h.client
            .post(h.url(&format!("/v1/conversations/{gid}/messages")))
            .bearer_auth(&bob)
            .json(&json!({"text": "via REST"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["message"]["seq"], 1);
    assert_eq!(a.event("message.new").await["data"]["message"]["text"], "via REST");
    let (s, body) =
        read(h.client.get(h.url(&format!("/v1/conversations/{gid}/messages"))).bearer_auth(&ann).send().await.unwrap())
            .await;
    assert_eq!(s, 200);
    assert_eq!(body["messages"][0]["text"], "via REST");
    let (s, body) =
        read(h.client.get(h.url(&format!("/v1/conversations/{gid}"))).bearer_auth(&ann).send().await.unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(body["conversation"]["name"], "Trio");
    assert_eq!(body["conversation"]["last_seq"], 1);
    a.close().await;
    b.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
