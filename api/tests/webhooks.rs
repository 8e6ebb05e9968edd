//! Webhooks to the client backend: a local HTTP receiver gets signed
//! deliveries (HMAC-SHA256 over timestamp and body), a failed delivery is
//! retried with the same delivery id, and the delivery log shows it all;
//! filters, bad input and another app's admin are covered.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use common::{Backend, TestServer, read};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(HeaderMap, String)>>>);

/// Answers 500 to the first attempt of each delivery and 200 after.
async fn receiver() -> (std::net::SocketAddr, Received) {
    let got = Received::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let id = headers.get("caas-webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let mut all = seen.0.lock().expect("lock");
                let first =
                    !all.iter().any(|(h, _)| h.get("caas-webhook-id").and_then(|v| v.to_str().ok()) == Some(&id));
                all.push((headers, String::from_utf8_lossy(&body).into_owned()));
                if first { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (addr, got)
}

fn verify(secret: &str, headers: &HeaderMap, body: &str) {
    let sig = headers.get("caas-signature").and_then(|v| v.to_str().ok()).expect("signature header");
    let (t, v1) = sig.split_once(",v1=").expect("t=…,v1=…");
    let t = t.strip_prefix("t=").expect("t=");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    let want: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(v1, want, "signature over `{t}.body` with the secret");
    let age = caas_storage::now_ms() / 1000 - t.parse::<i64>().expect("unix time");
    assert!((0..120).contains(&age), "a fresh timestamp");
}

async fn until(got: &Received, what: &str, done: impl Fn(&[(HeaderMap, String)]) -> bool) -> Vec<(HeaderMap, String)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        {
            let all = got.0.lock().expect("lock");
            if done(&all) {
                return all.clone();
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn events_of(all: &[(HeaderMap, String)]) -> Vec<String> {
    all.iter().map(|(h, _)| h.get("caas-event").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_are_retried_and_logged() {
    let (addr, got) = receiver().await;
    let h = TestServer::start_with(Backend::Sqlite, |c| c.webhook_retry_ms = 50).await;
    let app = h.create_app("Hooks", &["127.0.0.1"], &[]).await;
    let admin = |m: Method, p: &str| h.admin(&app, m, p);

    // Bad input first: nothing is created.
    for (body, code) in [
        (json!({"url": "not a url", "events": ["message.new"]}), "invalid_url"),
        (json!({"url": "ftp://127.0.0.1/x", "events": ["message.new"]}), "invalid_url"),
        (json!({"url": format!("http://{addr}/hook"), "events": ["message.sent"]}), "invalid_events"),
        (json!({"url": format!("http://{addr}/hook"), "events": []}), "invalid_events"),
    ] {
        let (s, b) = read(admin(Method::POST, "/v1/admin/webhooks").json(&body).send().await.expect("post")).await;
        assert_eq!((s, b["error"]["code"].as_str()), (422, Some(code)), "{b}");
    }
    let (_, list) = read(admin(Method::GET, "/v1/admin/webhooks").send().await.expect("get")).await;
    assert_eq!(list["webhooks"], json!([]));

    let (s, created) = read(
        admin(Method::POST, "/v1/admin/webhooks")
            .json(&json!({"url": format!("http://{addr}/hook"), "events": ["message.new", "user.blocked", "post.created"]}))
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(s, 200, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    let hook = created["webhook"]["id"].as_str().expect("id").to_owned();
    let (_, list) = read(admin(Method::GET, "/v1/admin/webhooks").send().await.expect("get")).await;
    assert!(list["webhooks"][0].get("secret").is_none(), "the secret is shown once");

    // A message: `conversation.created` is filtered out, `message.new` comes,
    // fails once and is retried with the same delivery id.
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let _bob = h.session(&app, json!({"user_id": "bob"})).await;
    let (s, conv) = read(
        h.client
            .post(h.url("/v1/conversations"))
            .bearer_auth(&ann)
            .json(&json!({"kind": "direct", "members": ["bob"]}))
            .send()
            .await
            .expect("create"),
    )
    .await;
    assert_eq!(s, 200, "{conv}");
    let conv = conv["conversation"]["id"].as_str().expect("id").to_owned();
    let (s, m) = read(
        h.client
            .post(h.url(&format!("/v1/conversations/{conv}/messages")))
            .bearer_auth(&ann)
            .json(&json!({"text": "hello hooks"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(s, 200, "{m}");
    let all = until(&got, "two attempts of message.new", |a| a.len() >= 2).await;
    assert_eq!(events_of(&all)[..2], ["message.new", "message.new"]);
    let id0 = all[0].0.get("caas-webhook-id").cloned();
    assert_eq!(id0, all[1].0.get("caas-webhook-id").cloned(), "a retry keeps the delivery id");
    for (headers, body) in &all[..2] {
        verify(&secret, headers, body);
        let v: Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(v["type"], "message.new");
        assert_eq!(v["id"].as_str(), id0.as_ref().and_then(|i| i.to_str().ok()));
        assert_eq!(v["data"]["message"]["text"], "hello hooks");
        assert_eq!(v["data"]["conversation_id"], conv.as_str());
    }

    // The delivery log: delivered after two attempts.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (s, log) =
            read(admin(Method::GET, &format!("/v1/admin/webhooks/{hook}/deliveries")).send().await.expect("log")).await;
        assert_eq!(s, 200, "{log}");
        let d = &log["deliveries"][0];
        if d["status"] == "delivered" {
            assert_eq!((d["attempts"].clone(), d["last_status"].clone()), (json!(2), json!(200)));
            assert_eq!(d["event"], "message.new");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never delivered: {log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A block and a post reach it too.
    let (s, _) = read(h.client.post(h.url("/v1/users/bob/block")).bearer_auth(&ann).send().await.expect("block")).await;
    assert_eq!(s, 200);
    let (s, _) = read(
        h.client
            .post(h.url("/v1/objects"))
            .bearer_auth(&ann)
            .json(&json!({"kind": "post", "text": "news", "visibility": "public"}))
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(s, 200);
    let all = until(&got, "user.blocked and post.created delivered", |a| {
        let e = events_of(a);
        e.iter().filter(|x| *x == "user.blocked").count() == 2 && e.iter().filter(|x| *x == "post.created").count() == 2
    })
    .await;
    let blocked = all.iter().find(|(h, _)| h.get("caas-event").is_some_and(|v| v == "user.blocked")).expect("blocked");
    verify(&secret, &blocked.0, &blocked.1);
    let v: Value = serde_json::from_str(&blocked.1).expect("json");
    assert_eq!(v["data"], json!({"user_id": "ann", "blocked_user_id": "bob"}));

    // Another app's admin cannot see or delete this webhook.
    let other = h.create_app("Other", &["127.0.0.1"], &[]).await;
    let (s, _) =
        read(h.admin(&other, Method::GET, &format!("/v1/admin/webhooks/{hook}/deliveries")).send().await.expect("log"))
            .await;
    assert_eq!(s, 404);
    let (s, _) =
        read(h.admin(&other, Method::DELETE, &format!("/v1/admin/webhooks/{hook}")).send().await.expect("del")).await;
    assert_eq!(s, 404);
    let (s, _) = read(admin(Method::DELETE, &format!("/v1/admin/webhooks/{hook}")).send().await.expect("del")).await;
    assert_eq!(s, 200);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_start_and_end_reach_webhooks() {
    let (addr, got) = receiver().await;
    let h = TestServer::start_with(Backend::Sqlite, |c| c.webhook_retry_ms = 50).await;
    let app = h.create_app("Calls", &["127.0.0.1"], &[]).await;
    let (s, created) = read(
        h.admin(&app, Method::POST, "/v1/admin/webhooks")
            .json(&json!({"url": format!("http://{addr}/hook"), "events": ["call.started", "call.ended"]}))
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(s, 200, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let mut a = common::WsClient::connect(&h, &ann, None).await;
    let mut b = common::WsClient::connect(&h, &bob, None).await;
    a.frame().await;
    b.frame().await;
    a.ok("call.join", json!({"room_id": "standup"})).await;
    b.ok("call.join", json!({"room_id": "standup"})).await;
    a.ok("call.leave", json!({"room_id": "standup"})).await;
    b.ok("call.leave", json!({"room_id": "standup"})).await;
    // Each is delivered on its second attempt: four requests, one start and one end.
    let all = until(&got, "call.started and call.ended", |a| a.len() >= 4).await;
    let mut events = events_of(&all);
    events.sort();
    assert_eq!(events, ["call.ended", "call.ended", "call.started", "call.started"]);
    for (headers, body) in &all {
        verify(&secret, headers, body);
        let v: Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["data"]["room_id"], "standup");
        if v["type"] == "call.started" {
            assert_eq!(v["data"]["started_by"], "ann");
        } else {
            assert_eq!(v["data"]["last_user_id"], "bob");
        }
    }
    a.close().await;
    b.close().await;
    h.stop().await;
}
