//! Who may join and publish in a call, and what bad call input gets: a
//! conversation's room is for its members; another app's same room id is
//! another room; token grants limit publishing; malformed SDP, candidates and
//! ids get error replies in the contract's shape and the connection stays usable.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Instant;

use common::{Backend, TestServer, WsClient};
use serde_json::{Value, json};
use str0m::Rtc;
use str0m::media::{Direction, MediaKind};

/// A client offer sending `kinds` (plus a data channel).
fn offer(kinds: &[MediaKind]) -> String {
    let mut rtc = Rtc::builder().build(Instant::now());
    let mut change = rtc.sdp_api();
    for k in kinds {
        change.add_media(*k, Direction::SendOnly, None, None, None);
    }
    change.add_channel("c".into());
    change.apply().expect("offer").0.to_sdp_string()
}

async fn ws(h: &TestServer, app: &common::TestApp, body: Value) -> WsClient {
    let token = h.session(app, body).await;
    let mut ws = WsClient::connect(h, &token, None).await;
    ws.frame().await;
    ws
}

fn code(reply: &Value) -> &str {
    assert_eq!(reply["ok"], false, "{reply}");
    reply["error"]["code"].as_str().expect("code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_access_and_bad_input() {
    let h = TestServer::start(Backend::Sqlite).await;
    let a = h.create_app("A", &["127.0.0.1"], &[]).await;
    let b = h.create_app("B", &["127.0.0.1"], &[]).await;
    let mut ann = ws(&h, &a, json!({"user_id": "ann"})).await;
    let mut eve = ws(&h, &a, json!({"user_id": "eve"})).await;
    let mut zed = ws(&h, &b, json!({"user_id": "zed"})).await;
    let mut vic = ws(&h, &a, json!({"user_id": "vic", "grants": {"call": {"can_publish": false}}})).await;
    let mut mo = ws(&h, &a, json!({"user_id": "mo", "grants": {"call": {"sources": ["microphone"]}}})).await;
    let conv = ann.ok("conversation.create", json!({"kind": "group", "name": "G", "members": ["vic", "mo"]})).await;
    let room = conv["conversation"]["id"].as_str().expect("id").to_owned();

    // Members only, for a conversation's room.
    let joined = ann.ok("call.join", json!({"room_id": room})).await;
    assert_eq!(code(&eve.request("call.join", json!({"room_id": room})).await), "forbidden");
    // Another app: the same id is another (empty) room; nobody of app A is seen.
    let other = zed.ok("call.join", json!({"room_id": room})).await;
    assert_eq!(other["participants"], json!([]));
    assert_ne!(other["participant_id"], joined["participant_id"]);
    assert!(ann.try_event("call.participant_joined", std::time::Duration::from_millis(300)).await.is_none());

    // Grants: Vic may not publish at all; Mo only with a microphone.
    vic.ok("call.join", json!({"room_id": room})).await;
    let r = vic.request("call.offer", json!({"room_id": room, "sdp": offer(&[MediaKind::Audio])})).await;
    assert_eq!(code(&r), "forbidden");
    let r = vic.ok("call.offer", json!({"room_id": room, "sdp": offer(&[])})).await;
    assert!(r["sdp"].as_str().expect("answer").starts_with("v=0"), "receiving only is allowed");
    mo.ok("call.join", json!({"room_id": room})).await;
    let r =
        mo.request("call.offer", json!({"room_id": room, "sdp": offer(&[MediaKind::Audio, MediaKind::Video])})).await;
    assert_eq!(code(&r), "forbidden");
    assert!(r["error"]["message"].as_str().expect("message").contains("camera"));
    mo.ok("call.offer", json!({"room_id": room, "sdp": offer(&[MediaKind::Audio])})).await;
    // A source that does not match its section's kind.
    let sdp = offer(&[MediaKind::Video]);
    let mid = caas_sfu::sdp::sections(&sdp)[0].mid.clone().expect("mid");
    let r = ann.request("call.offer", json!({"room_id": room, "sdp": sdp, "sources": {mid: "microphone"}})).await;
    assert_eq!(code(&r), "invalid_sdp");

    // Bad input: each gets its code; nothing breaks.
    let bad: Vec<(&str, Value, &str)> = vec![
        ("call.join", json!({"room_id": ""}), "invalid_room_id"),
        ("call.join", json!({"room_id": "has space"}), "invalid_room_id"),
        ("call.join", json!({"room_id": room}), "already_joined"),
        ("call.join", json!({}), "invalid_body"),
        ("call.offer", json!({"room_id": room, "sdp": "not sdp at all"}), "invalid_sdp"),
        ("call.offer", json!({"room_id": room, "sdp": "x".repeat(61_000)}), "invalid_sdp"),
        ("call.offer", json!({"room_id": "elsewhere", "sdp": "v=0"}), "not_joined"),
        ("call.offer", json!({"room_id": room, "sdp": "v=0", "sources": {"0": "hologram"}}), "invalid_body"),
        ("call.answer", json!({"room_id": room, "offer_id": "o-999", "sdp": "v=0"}), "stale_offer"),
        (
            "call.candidate",
            json!({"room_id": room, "candidate": {"candidate": "candidate:garbage"}}),
            "invalid_candidate",
        ),
        ("call.candidate", json!({"room_id": room, "candidate": 42}), "invalid_candidate"),
        ("call.mute", json!({"room_id": room, "track_id": "t-1-9", "muted": true}), "not_found"),
        ("call.mute", json!({"room_id": room, "track_id": "nonsense", "muted": true}), "not_found"),
        ("call.subscribe", json!({"room_id": room, "track_id": "t-1-9"}), "not_found"),
        ("call.leave", json!({"room_id": "elsewhere"}), "not_joined"),
        ("call.teleport", json!({}), "unknown_op"),
    ];
    for (op, data, want) in bad {
        let r = ann.request(op, data.clone()).await;
        assert_eq!(code(&r), want, "{op} {data}");
    }
    // End of candidates is fine; so is a plain host candidate.
    ann.ok("call.candidate", json!({"room_id": room, "candidate": {"candidate": ""}})).await;
    ann.ok(
        "call.candidate",
        json!({"room_id": room, "candidate": {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "sdpMid": "0"}}),
    )
    .await;
    // The connection still chats, and the call still works.
    ann.ok("message.send", json!({"conversation_id": room, "text": "still here"})).await;
    ann.ok("call.offer", json!({"room_id": room, "sdp": offer(&[MediaKind::Audio, MediaKind::Video])})).await;
    ann.ok("call.leave", json!({"room_id": room})).await;
    for c in [ann, eve, zed, vic, mo] {
        c.close().await;
    }
    h.stop().await;
}
