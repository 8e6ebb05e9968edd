//! Contacts and the social graph: requests (accept, decline, cancel), removal,
//! follows, blocks (no DMs, no group adds, hidden from search), mutes, search.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann", "name": "Ann Lee"})).await;
    let bob = h.session(&app, json!({"user_id": "bob", "name": "Bob Stone"})).await;
    let cy = h.session(&app, json!({"user_id": "cy", "name": "Cy Lee"})).await;
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let mut b = WsClient::connect(&h, &bob, None).await;
    b.frame().await;
    let mut c = WsClient::connect(&h, &cy, None).await;
    c.frame().await;

    // Request and accept.
    let g = a.ok("contact.request", json!({"user_id": "bob"})).await;
    assert_eq!(g["outgoing"], json!(["bob"]));
    let req = b.event("contact.requested").await;
    assert_eq!(req["data"]["from"], "ann");
    assert!(req["cursor"].is_string(), "contact events are persistent");
    assert_eq!(b.ok("contact.list", json!({})).await["incoming"], json!(["ann"]));
    let g = b.ok("contact.accept", json!({"user_id": "ann"})).await;
    assert_eq!(g["contacts"], json!(["ann"]));
    assert_eq!(a.event("contact.accepted").await["data"]["user_id"], "bob");
    assert_eq!(a.request("contact.request", json!({"user_id": "bob"})).await["error"]["code"], "already_contacts");

    // Decline and cancel.
    c.ok("contact.request", json!({"user_id": "ann"})).await;
    a.ok("contact.decline", json!({"user_id": "cy"})).await;
    assert_eq!(c.event("contact.declined").await["data"]["user_id"], "ann");
    c.ok("contact.request", json!({"user_id": "bob"})).await;
    let g = c.ok("contact.cancel", json!({"user_id": "bob"})).await;
    assert_eq!(g["outgoing"], json!([]));
    assert_eq!(c.request("contact.accept", json!({"user_id": "bob"})).await["error"]["code"], "not_found");

    // Follow.
    let g = c.ok("user.follow", json!({"user_id": "ann"})).await;
    assert_eq!(g["following"], json!(["ann"]));
    assert_eq!(a.ok("contact.list", json!({})).await["followers"], json!(["cy"]));

    // Search by name.
    let found = b.ok("user.search", json!({"q": "lee"})).await;
    let ids: Vec<&str> = found["users"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ann", "cy"]);

    // Block: ends the contact and the follow, forbids DMs and group adds, hides from search.
    let g = a.ok("user.block", json!({"user_id": "cy"})).await;
    assert_eq!(g["blocked"], json!(["cy"]));
    assert_eq!(a.ok("contact.list", json!({})).await["followers"], json!([]));
    assert_eq!(
        c.request("conversation.create", json!({"kind": "direct", "members": ["ann"]})).await["error"]["code"],
        "blocked"
    );
    assert_eq!(
        c.request("conversation.create", json!({"kind": "group", "members": ["ann", "bob"]})).await["error"]["code"],
        "blocked"
    );
    let group = b.ok("conversation.create", json!({"kind": "group", "members": ["cy"], "name": "g"})).await;
    b.ok("member.role", json!({"conversation_id": group["conversation"]["id"], "user_id": "cy", "role": "admin"}))
        .await;
    let add =
        c.request("member.add", json!({"conversation_id": group["conversation"]["id"], "user_ids": ["ann"]})).await;
    assert_eq!(add["error"]["code"], "blocked");
    assert_eq!(c.request("user.follow", json!({"user_id": "ann"})).await["error"]["code"], "blocked");
    let found = c.ok("user.search", json!({"q": "lee"})).await;
    assert_eq!(found["users"], json!([]), "who blocked you is not found");
    a.ok("user.unblock", json!({"user_id": "cy"})).await;
    c.ok("conversation.create", json!({"kind": "direct", "members": ["ann"]})).await;

    // Remove a contact; mutes.
    b.ok("contact.remove", json!({"user_id": "ann"})).await;
    assert_eq!(a.event("contact.removed").await["data"]["user_id"], "bob");
    assert_eq!(a.ok("contact.list", json!({})).await["contacts"], json!([]));
    assert_eq!(a.ok("user.mute", json!({"user_id": "bob"})).await["muted"], json!(["bob"]));
    assert_eq!(a.request("user.follow", json!({"user_id": "ann"})).await["error"]["code"], "invalid_user");
    assert_eq!(a.request("user.follow", json!({"user_id": "ghost"})).await["error"]["code"], "not_found");

    // REST twins.
    let (s, body) = read(h.client.post(h.url("/v1/users/bob/follow")).bearer_auth(&ann).send().await.unwrap()).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["following"], json!(["bob"]));
    let (s, body) = read(h.client.get(h.url("/v1/users?q=stone")).bearer_auth(&ann).send().await.unwrap()).await;
    assert_eq!((s, body["users"][0]["id"].clone()), (200, json!("bob")));
    let (s, body) = read(h.client.get(h.url("/v1/contacts")).bearer_auth(&ann).send().await.unwrap()).await;
    assert_eq!((s, body["muted"].clone()), (200, json!(["bob"])));

    // Another app's user of the same id is a stranger.
    let other = h.create_app("B", &["127.0.0.1"], &[]).await;
    let zed = h.session(&other, json!({"user_id": "zed"})).await;
    let (s, body) = read(h.client.post(h.url("/v1/users/ann/request")).bearer_auth(&zed).send().await.unwrap()).await;
    assert_eq!((s, body["error"]["code"].clone()), (404, json!("not_found")));
    let (s, body) = read(h.client.get(h.url("/v1/users?q=lee")).bearer_auth(&zed).send().await.unwrap()).await;
    assert_eq!((s, body["users"].clone()), (200, json!([])));
    a.close().await;
    b.close().await;
    c.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
