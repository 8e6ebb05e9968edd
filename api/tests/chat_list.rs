//! The chat list: most recent activity first, unread counts, previews, members
//! summary, cursor pages, filters and search; read receipts; per-member settings.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, read};
use serde_json::{Value, json};

fn ids(page: &Value) -> Vec<String> {
    page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversation"]["name"].as_str().unwrap_or("direct").to_owned())
        .collect()
}

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann", "name": "Ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob", "name": "Bob Builder"})).await;
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let mut b = WsClient::connect(&h, &bob, None).await;
    b.frame().await;

    let mut convs = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        let c = a.ok("conversation.create", json!({"kind": "group", "members": ["bob"], "name": name})).await;
        convs.push(c["conversation"]["id"].as_str().unwrap().to_owned());
    }
    let direct = a.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    let direct_id = direct["conversation"]["id"].as_str().unwrap().to_owned();
    // Activity: beta gets two messages, then alpha one.
    a.ok("message.send", json!({"conversation_id": convs[1], "text": "b1"})).await;
    a.ok("message.send", json!({"conversation_id": convs[1], "text": "b2"})).await;
    a.ok("message.send", json!({"conversation_id": convs[0], "text": "a1"})).await;

    let page = b.ok("conversation.list", json!({})).await;
    assert_eq!(ids(&page), ["alpha", "beta", "direct", "gamma"]);
    let first = &page["conversations"][0];
    assert_eq!(first["unread_count"], 1);
    assert_eq!(first["last_message"]["text"], "a1");
    assert_eq!(first["member_count"], 2);
    let names: Vec<&str> =
        first["conversation"]["members"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Ann", "Bob Builder"], "members carry display names");
    assert!(first["last_message"]["deleted_at"].is_null());
    assert_eq!(page["conversations"][1]["unread_count"], 2);
    assert!(page["next_cursor"].is_null());
    // The sender has read their own messages.
    let mine = a.ok("conversation.list", json!({"filter": "unread"})).await;
    assert_eq!(ids(&mine), Vec::<String>::new());

    // Pages of two.
    let p1 = b.ok("conversation.list", json!({"limit": 2})).await;
    assert_eq!(ids(&p1), ["alpha", "beta"]);
    let p2 = b.ok("conversation.list", json!({"limit": 2, "cursor": p1["next_cursor"]})).await;
    assert_eq!(ids(&p2), ["direct", "gamma"]);
    assert!(p2["next_cursor"].is_null());

    // Filters and search.
    assert_eq!(ids(&b.ok("conversation.list", json!({"filter": "unread"})).await), ["alpha", "beta"]);
    assert_eq!(ids(&b.ok("conversation.list", json!({"filter": "direct"})).await), ["direct"]);
    assert_eq!(ids(&b.ok("conversation.list", json!({"filter": "group"})).await).len(), 3);
    assert_eq!(ids(&b.ok("conversation.list", json!({"q": "GAM"})).await), ["gamma"]);
    // A direct conversation is found by the other member's name.
    assert_eq!(ids(&a.ok("conversation.list", json!({"q": "builder", "filter": "direct"})).await), ["direct"]);
    let bad = b.request("conversation.list", json!({"filter": "nope"})).await;
    assert_eq!(bad["error"]["code"], "invalid_filter");

    // Read receipts: Bob reads beta; Ann hears of it; unread drops.
    let r = b.ok("message.read", json!({"conversation_id": convs[1], "seq": 2})).await;
    assert_eq!(r["last_read_seq"], 2);
    let receipt = a.event("receipt.read").await;
    assert_eq!(receipt["data"]["user_id"], "bob");
    assert_eq!(receipt["data"]["last_read_seq"], 2);
    assert!(receipt["cursor"].is_string());
    // Reading backwards or past the end never moves the position wrongly.
    assert_eq!(b.ok("message.read", json!({"conversation_id": convs[1], "seq": 1})).await["last_read_seq"], 2);
    assert_eq!(b.ok("message.read", json!({"conversation_id": convs[0], "seq": 99})).await["last_read_seq"], 1);
    assert_eq!(ids(&b.ok("conversation.list", json!({"filter": "unread"})).await), Vec::<String>::new());

    // Settings: pin, archive, mute; over REST, echoed to the user's other devices.
    let mut b2 = WsClient::connect(&h, &bob, None).await;
    b2.frame().await;
    let (s, body) = read(
        h.client
            .patch(h.url(&format!("/v1/conversations/{}/settings", convs[2])))
            .bearer_auth(&bob)
            .json(&json!({"pinned": true, "muted_until": "2030-01-01T00:00:00Z"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let ev = b2.event("conversation.settings").await;
    assert_eq!(ev["data"]["pinned"], true);
    assert_eq!(ev["data"]["muted_until"], "2030-01-01T00:00:00Z");
    assert_eq!(ids(&b.ok("conversation.list", json!({"filter": "pinned"})).await), ["gamma"]);
    b.ok("conversation.settings", json!({"conversation_id": direct_id, "archived": true})).await;
    assert_eq!(ids(&b.ok("conversation.list", json!({"filter": "archived"})).await), ["direct"]);
    assert_eq!(ids(&b.ok("conversation.list", json!({})).await), ["alpha", "beta", "gamma"]);
    let (s, body) =
        read(h.client.get(h.url("/v1/conversations?filter=pinned")).bearer_auth(&bob).send().await.unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(body["conversations"][0]["muted_until"], "2030-01-01T00:00:00Z");
    let bad =
        b.request("conversation.settings", json!({"conversation_id": direct_id, "muted_until": "tomorrow"})).await;
    assert_eq!(bad["error"]["code"], "invalid_time");
    a.close().await;
    b.close().await;
    b2.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
