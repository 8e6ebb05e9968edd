//! In-app notifications: mentions, replies, direct messages while offline,
//! contact requests, likes and comments are stored and pushed live as
//! `notification.new`; the unread count, marking read, per-category
//! preferences and user mutes work; another app sees none of it.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{Backend, TestServer, WsClient, read};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(h: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = h.client.request(method, h.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

/// The user's notifications once `done` holds for them (bounded wait: some
/// are made in the background after the action's reply).
async fn until(h: &TestServer, token: &str, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (s, b) = call(h, token, Method::GET, "/v1/notifications?limit=100", None).await;
        assert_eq!(s, 200, "{b}");
        let list = b["notifications"].as_array().cloned().unwrap_or_default();
        if done(&list) {
            return list;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {list:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn categories(list: &[Value]) -> Vec<&str> {
    list.iter().map(|n| n["category"].as_str().unwrap_or("")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_from_chat_contacts_and_feeds() {
    let h = TestServer::start(Backend::Sqlite).await;
    let app = h.create_app("Notify", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let cat = h.session(&app, json!({"user_id": "cat"})).await;
    let dan = h.session(&app, json!({"user_id": "dan"})).await;

    let mut bob_ws = WsClient::connect(&h, &bob, None).await;
    bob_ws.frame().await; // session.ready
    let (s, conv) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/conversations",
        Some(json!({"kind": "group", "name": "Team", "members": ["bob", "cat", "dan"]})),
    )
    .await;
    assert_eq!(s, 200, "{conv}");
    let conv = conv["conversation"]["id"].as_str().expect("id").to_owned();
    let send = |token: String, body: Value| {
        let h = &h;
        let conv = conv.clone();
        async move {
            let (s, m) = call(h, &token, Method::POST, &format!("/v1/conversations/{conv}/messages"), Some(body)).await;
            assert_eq!(s, 200, "{m}");
            m["message"]["id"].as_str().expect("id").to_owned()
        }
    };

    // A mention arrives live and is stored.
    send(ann.clone(), json!({"text": "@bob look", "mentions": ["bob"]})).await;
    let live = bob_ws.event("notification.new").await;
    let n = &live["data"]["notification"];
    assert_eq!((n["category"].as_str(), n["actor_id"].as_str()), (Some("mention"), Some("ann")));
    assert_eq!(n["data"]["conversation_id"], conv.as_str());
    assert_eq!(n["data"]["text"], "@bob look");
    let (_, c) = call(&h, &bob, Method::GET, "/v1/notifications/unread-count", None).await;
    assert_eq!(c["unread"], 1);

    // A reply to Bob's message.
    let bobs = send(bob.clone(), json!({"text": "question?"})).await;
    send(ann.clone(), json!({"text": "answer", "reply_to": bobs})).await;
    let live = bob_ws.event("notification.new").await;
    assert_eq!(live["data"]["notification"]["category"], "reply");

    // Preferences: with mentions off in-app, a message that mentions Bob and
    // replies to him notifies him once, as a reply.
    let (s, p) = call(
        &h,
        &bob,
        Method::PUT,
        "/v1/notifications/preferences",
        Some(json!({"preferences": [{"category": "mention", "channel": "in_app", "enabled": false}]})),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    let off = p["preferences"]
        .as_array()
        .expect("prefs")
        .iter()
        .find(|x| x["category"] == "mention" && x["channel"] == "in_app");
    assert_eq!(off.map(|x| x["enabled"].clone()), Some(json!(false)));
    send(ann.clone(), json!({"text": "@bob again", "mentions": ["bob"], "reply_to": bobs})).await;
    let live = bob_ws.event("notification.new").await;
    assert_eq!(live["data"]["notification"]["category"], "reply");
    assert_eq!(live["data"]["notification"]["data"]["text"], "@bob again");
    let list = until(&h, &bob, "three notifications", |l| l.len() == 3).await;
    assert_eq!(categories(&list), ["reply", "reply", "mention"]);

    // Bad preferences change nothing.
    let (s, b) = call(
        &h,
        &bob,
        Method::PUT,
        "/v1/notifications/preferences",
        Some(json!({"preferences": [
            {"category": "mention", "channel": "in_app", "enabled": true},
            {"category": "gossip", "channel": "in_app", "enabled": true}
        ]})),
    )
    .await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_category")));
    let (_, p) = call(&h, &bob, Method::GET, "/v1/notifications/preferences", None).await;
    let off = p["preferences"]
        .as_array()
        .expect("prefs")
        .iter()
        .find(|x| x["category"] == "mention" && x["channel"] == "in_app");
    assert_eq!(off.map(|x| x["enabled"].clone()), Some(json!(false)), "all or nothing");

    // A user mute silences that user: Cat mentions Bob (muted) and Dan.
    let (s, _) = call(&h, &bob, Method::POST, "/v1/users/cat/mute", None).await;
    assert_eq!(s, 200);
    send(cat.clone(), json!({"text": "@bob @dan hi", "mentions": ["bob", "dan"], "reply_to": bobs})).await;
    until(&h, &dan, "Dan's mention", |l| categories(l) == ["mention"]).await;
    let list = until(&h, &bob, "no new one for Bob", |_| true).await;
    assert_eq!(list.len(), 3, "Bob muted Cat: {list:?}");

    // Mark read: one, then all.
    let first = list[0]["id"].as_str().expect("id").to_owned();
    let (s, c) = call(&h, &bob, Method::POST, "/v1/notifications/read", Some(json!({"ids": [first]}))).await;
    assert_eq!((s, c["unread"].clone()), (200, json!(2)));
    let (_, unread) = call(&h, &bob, Method::GET, "/v1/notifications?unread=true", None).await;
    assert_eq!(unread["notifications"].as_array().map(Vec::len), Some(2));
    let (s, c) = call(&h, &bob, Method::POST, "/v1/notifications/read", Some(json!({"all": true}))).await;
    assert_eq!((s, c["unread"].clone()), (200, json!(0)));
    let (s, b) = call(&h, &bob, Method::POST, "/v1/notifications/read", Some(json!({}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_body")));

    // A direct message to a user who is offline (Dan has no connection).
    let (s, dm) =
        call(&h, &ann, Method::POST, "/v1/conversations", Some(json!({"kind": "direct", "members": ["dan"]}))).await;
    assert_eq!(s, 200, "{dm}");
    let dm = dm["conversation"]["id"].as_str().expect("id").to_owned();
    let (s, _) =
        call(&h, &ann, Method::POST, &format!("/v1/conversations/{dm}/messages"), Some(json!({"text": "psst"}))).await;
    assert_eq!(s, 200);
    until(&h, &dan, "the offline DM", |l| categories(l).first() == Some(&"direct_message")).await;
    // Bob is online: a DM to him makes no notification; the contact request after it does.
    let (_, dm2) =
        call(&h, &ann, Method::POST, "/v1/conversations", Some(json!({"kind": "direct", "members": ["bob"]}))).await;
    let dm2 = dm2["conversation"]["id"].as_str().expect("id").to_owned();
    call(&h, &ann, Method::POST, &format!("/v1/conversations/{dm2}/messages"), Some(json!({"text": "hi"}))).await;
    let (s, _) = call(&h, &ann, Method::POST, "/v1/users/bob/request", None).await;
    assert_eq!(s, 200);
    let live = bob_ws.event("notification.new").await;
    assert_eq!(live["data"]["notification"]["category"], "contact_request");

    // Follows, likes and comments notify the owner.
    // Each is recorded off the request path, so the test waits for one before the next
    // (their order is then the order of the actions, newest first).
    let (s, _) = call(&h, &bob, Method::POST, "/v1/users/ann/follow", None).await;
    assert_eq!(s, 200);
    until(&h, &ann, "the follow", |l| l.len() == 1).await;
    let (s, o) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/objects",
        Some(json!({"kind": "post", "text": "hi", "visibility": "public"})),
    )
    .await;
    assert_eq!(s, 200, "{o}");
    let post = o["object"]["id"].as_str().expect("id").to_owned();
    call(&h, &bob, Method::PUT, &format!("/v1/objects/{post}/like"), None).await;
    until(&h, &ann, "the like", |l| l.len() == 2).await;
    call(&h, &cat, Method::POST, &format!("/v1/objects/{post}/comments"), Some(json!({"text": "wow"}))).await;
    let list = until(&h, &ann, "follow, like and comment", |l| l.len() == 3).await;
    assert_eq!(categories(&list), ["comment", "like", "follow"]);
    assert_eq!(list[0]["data"]["text"], "wow");

    // Another app's user sees none of it.
    let other = h.create_app("Other", &["127.0.0.1"], &[]).await;
    let zed = h.session(&other, json!({"user_id": "bob"})).await;
    let (_, b) = call(&h, &zed, Method::GET, "/v1/notifications", None).await;
    assert_eq!(b["notifications"], json!([]));
    let (s, _) = call(&h, &zed, Method::POST, "/v1/notifications/read", Some(json!({"ids": [first]}))).await;
    assert_eq!(s, 200);
    let (_, all) = call(&h, &bob, Method::GET, "/v1/notifications?limit=100", None).await;
    assert!(all["notifications"].as_array().expect("list").len() >= 4);

    bob_ws.close().await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_subscriptions_are_validated() {
    let h = TestServer::start(Backend::Postgres).await;
    let app = h.create_app("Push", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let key = format!("BA{}", "A".repeat(85)); // 65 bytes, 0x04 first
    let sub =
        json!({"endpoint": "https://push.example/abc", "keys": {"p256dh": key, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}});
    let (s, b) = call(&h, &ann, Method::POST, "/v1/push/subscriptions", Some(sub)).await;
    assert_eq!(s, 200, "{b}");
    for (body, code) in [
        (json!({"endpoint": "ftp://x", "keys": {"p256dh": key, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}), "invalid_endpoint"),
        (
            json!({"endpoint": "https://push.example/x", "keys": {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}),
            "invalid_keys",
        ),
    ] {
        let (s, b) = call(&h, &ann, Method::POST, "/v1/push/subscriptions", Some(body)).await;
        assert_eq!((s, b["error"]["code"].as_str()), (422, Some(code)), "{b}");
    }
    let gone = json!({"endpoint": "https://push.example/abc"});
    let (s, _) = call(&h, &ann, Method::DELETE, "/v1/push/subscriptions", Some(gone.clone())).await;
    assert_eq!(s, 200);
    let (s, _) = call(&h, &ann, Method::DELETE, "/v1/push/subscriptions", Some(gone)).await;
    assert_eq!(s, 404);
    h.stop().await;
}
