//! Group membership: add, remove, leave, roles and ownership transfer, with the
//! right permissions and events; removed members stop receiving the group.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::unreachable)]

mod common;

use common::{Backend, TestServer, WsClient, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let mut clients = Vec::new();
    for user in ["ann", "bob", "cy", "dee"] {
        let token = h.session(&app, json!({"user_id": user})).await;
        let mut c = WsClient::connect(&h, &token, None).await;
        c.frame().await;
        clients.push((token, c));
    }
    let [(_, a), (bob_token, b), (_, c), (_, d)] = &mut clients[..] else { unreachable!() };
    let conv = a.ok("conversation.create", json!({"kind": "group", "members": ["bob"], "name": "g"})).await;
    let cid = conv["conversation"]["id"].as_str().unwrap().to_owned();

    // Bob (member) may not add; Ann (owner) may; the newcomer hears of it.
    assert_eq!(
        b.request("member.add", json!({"conversation_id": cid, "user_ids": ["cy"]})).await["error"]["code"],
        "forbidden"
    );
    let added = a.ok("member.add", json!({"conversation_id": cid, "user_ids": ["cy", "dee"]})).await;
    assert_eq!(added["conversation"]["members"].as_array().unwrap().len(), 4);
    let ev = c.event("member.added").await;
    assert_eq!(ev["data"]["user_ids"], json!(["cy", "dee"]));
    assert_eq!(ev["data"]["conversation"]["name"], "g");
    assert_eq!(
        a.request("member.add", json!({"conversation_id": cid, "user_ids": ["ghost"]})).await["error"]["code"],
        "not_found"
    );

    // Roles: only the owner; an admin may remove plain members but not admins.
    assert_eq!(
        b.request("member.role", json!({"conversation_id": cid, "user_id": "cy", "role": "admin"})).await["error"]["code"],
        "forbidden"
    );
    a.ok("member.role", json!({"conversation_id": cid, "user_id": "bob", "role": "admin"})).await;
    assert_eq!(d.event("member.updated").await["data"]["role"], "admin");
    a.ok("member.role", json!({"conversation_id": cid, "user_id": "cy", "role": "admin"})).await;
    assert_eq!(
        b.request("member.remove", json!({"conversation_id": cid, "user_id": "cy"})).await["error"]["code"],
        "forbidden"
    );
    b.ok("member.remove", json!({"conversation_id": cid, "user_id": "dee"})).await;
    let removed = d.event("member.removed").await;
    assert_eq!((removed["data"]["user_id"].clone(), removed["data"]["left"].clone()), (json!("dee"), json!(false)));
    // Dee is out: no more messages, no access.
    a.ok("message.send", json!({"conversation_id": cid, "text": "after dee"})).await;
    assert_eq!(d.request("conversation.history", json!({"conversation_id": cid})).await["error"]["code"], "forbidden");
    assert_eq!(c.event("message.new").await["data"]["message"]["text"], "after dee");

    // The owner cannot just leave; after a transfer they can.
    assert_eq!(
        a.request("conversation.leave", json!({"conversation_id": cid})).await["error"]["code"],
        "owner_must_transfer"
    );
    let t = a.ok("conversation.transfer", json!({"conversation_id": cid, "user_id": "bob"})).await;
    let roles: Vec<(String, String)> = t["conversation"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user_id"].as_str().unwrap().into(), m["role"].as_str().unwrap().into()))
        .collect();
    assert!(roles.contains(&("bob".into(), "owner".into())) && roles.contains(&("ann".into(), "admin".into())));
    a.ok("conversation.leave", json!({"conversation_id": cid})).await;
    let mut left = b.event("member.removed").await;
    while left["data"]["user_id"] == "dee" {
        left = b.event("member.removed").await;
    }
    assert_eq!((left["data"]["user_id"].clone(), left["data"]["left"].clone()), (json!("ann"), json!(true)));

    // Over REST too.
    let (s, body) = read(
        h.client
            .post(h.url(&format!("/v1/conversations/{cid}/members")))
            .bearer_auth(bob_token.as_str())
            .json(&json!({"action": "add", "user_ids": ["dee"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = read(
        h.client
            .post(h.url(&format!("/v1/conversations/{cid}/members")))
            .bearer_auth(bob_token.as_str())
            .json(&json!({"action": "dance"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, body["error"]["code"].clone()), (422, json!("invalid_action")));

    // Direct conversations have fixed members.
    let direct = b.ok("conversation.create", json!({"kind": "direct", "members": ["cy"]})).await;
    let r =
        b.request("member.add", json!({"conversation_id": direct["conversation"]["id"], "user_ids": ["dee"]})).await;
    assert_eq!(r["error"]["code"], "not_a_group");
    for (_, c) in clients {
        c.close().await;
    }
    h.stop().await;
}

on_both_backends!(scenario);
