//! ICE servers for clients (STUN, and TURN with coturn-style time-limited
//! credentials) and call metering: time in a call is recorded per app and day,
//! readable by that app's backend only.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use common::{Backend, TestServer, WsClient, read};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ice_servers_and_usage() {
    let h = TestServer::start_with(Backend::Sqlite, |c| {
        c.stun_urls = vec!["stun:stun.example.test:3478".into()];
        c.turn_urls = vec!["turn:turn.example.test:3478?transport=udp".into()];
        c.turn_secret = Some("s3cret".into());
    })
    .await;
    let a = h.create_app("A", &["127.0.0.1"], &[]).await;
    let b = h.create_app("B", &["127.0.0.1"], &[]).await;
    let token = h.session(&a, json!({"user_id": "ann"})).await;

    let (s, body) =
        read(h.client.get(h.url("/v1/calls/ice-servers")).bearer_auth(&token).send().await.expect("get")).await;
    assert_eq!(s, 200, "{body}");
    let servers = body["ice_servers"].as_array().expect("servers");
    assert_eq!(servers[0], json!({"urls": ["stun:stun.example.test:3478"]}));
    let turn = &servers[1];
    let username = turn["username"].as_str().expect("username");
    let (expiry, rest) = username.split_once(':').expect("expiry:app:user");
    assert_eq!(rest, format!("{}:ann", a.id));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("time").as_secs();
    let expiry: u64 = expiry.parse().expect("expiry");
    assert!(expiry > now + 23 * 3600 && expiry <= now + 24 * 3600 + 5, "valid for 24 h");
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"s3cret").expect("key");
    mac.update(username.as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(turn["credential"], want.as_str(), "coturn's use-auth-secret scheme");
    let (s, _) = read(h.client.get(h.url("/v1/calls/ice-servers")).send().await.expect("get")).await;
    assert_eq!(s, 401);

    // A stay in a call is metered when it ends.
    let mut ws = WsClient::connect(&h, &token, None).await;
    ws.frame().await;
    let joined = ws.ok("call.join", json!({"room_id": "standup"})).await;
    assert_eq!(joined["ice_servers"].as_array().expect("servers").len(), 2);
    tokio::time::sleep(Duration::from_millis(200)).await; // time spent in the call, to be metered
    ws.ok("call.leave", json!({"room_id": "standup"})).await;
    let end = Instant::now() + Duration::from_secs(10);
    let day = loop {
        let (s, body) = read(h.admin(&a, Method::GET, "/v1/admin/usage/calls").send().await.expect("usage")).await;
        assert_eq!(s, 200, "{body}");
        if let Some(day) = body["days"].as_array().and_then(|d| d.first()).cloned() {
            break day;
        }
        assert!(Instant::now() < end, "usage was not recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(day["participants"], 1);
    assert!(day["audio_ms"].as_i64().expect("ms") >= 200, "{day}");
    assert_eq!(day["video_ms"], 0, "no video flowed");
    assert_eq!(day["audio_minutes"], 1, "minutes round up");
    // Another app sees none of it; bad days are refused.
    let (_, body) = read(h.admin(&b, Method::GET, "/v1/admin/usage/calls").send().await.expect("usage")).await;
    assert_eq!(body["days"], json!([]));
    let (s, body) =
        read(h.admin(&a, Method::GET, "/v1/admin/usage/calls?from=yesterday").send().await.expect("usage")).await;
    assert_eq!((s, body["error"]["code"].as_str()), (422, Some("invalid_day")));
    ws.close().await;
    h.stop().await;
}
