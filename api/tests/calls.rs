//! A call in a conversation's room, signaled over the real-time WebSocket:
//! the members see each other join, Ann's audio and video tracks are announced
//! and reach Bob through the SFU intact, and leaving is announced.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::rtc::{Peer, vp8_frame};
use common::{Backend, TestServer, WsClient};
use serde_json::json;
use str0m::media::{Frequency, MediaTime};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_call_each_other_through_the_sfu() {
    let h = TestServer::start(Backend::Sqlite).await;
    let app = h.create_app("Calls", &["127.0.0.1"], &[]).await;
    let ann_token = h.session(&app, json!({"user_id": "ann"})).await;
    let bob_token = h.session(&app, json!({"user_id": "bob"})).await;
    let mut ann = WsClient::connect(&h, &ann_token, None).await;
    let mut bob = WsClient::connect(&h, &bob_token, None).await;
    ann.frame().await;
    bob.frame().await;
    let conv = ann.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    let room = conv["conversation"]["id"].as_str().expect("id").to_owned();

    let (mut ann_peer, joined) = Peer::join(&mut ann, &room, true).await;
    assert_eq!(joined["participants"], json!([]), "Ann is first");
    let ann_id = joined["participant_id"].as_str().expect("participant id").to_owned();
    let (mut bob_peer, joined) = Peer::join(&mut bob, &room, false).await;
    let bob_id = joined["participant_id"].as_str().expect("participant id").to_owned();
    let others = joined["participants"].as_array().expect("participants");
    assert_eq!(others.len(), 1);
    assert_eq!(others[0]["user_id"], "ann");
    let arrived = ann.event("call.participant_joined").await;
    assert_eq!(arrived["data"]["participant"]["user_id"], "bob");
    assert!(arrived.get("cursor").is_none(), "call events are ephemeral");

    // Both connect; Bob is offered Ann's two tracks.
    let end = Instant::now() + Duration::from_secs(15);
    while !(ann_peer.connected && bob_peer.connected && bob_peer.remote_tracks.len() == 2) {
        assert!(Instant::now() < end, "call did not connect");
        ann_peer.step(&mut ann).await;
        bob_peer.step(&mut bob).await;
    }
    assert!(bob_peer.remote_tracks.values().all(|(p, _)| *p == ann_id));
    let mut sources = Vec::new();
    for _ in 0..2 {
        let ev = bob.event("call.track_published").await;
        assert_eq!(ev["data"]["participant_id"], ann_id.as_str());
        sources.push(ev["data"]["track"]["source"].as_str().expect("source").to_owned());
    }
    sources.sort();
    assert_eq!(sources, ["camera", "microphone"]);

    // Ann sends; Bob receives both kinds, intact.
    let (audio, video) = (ann_peer.mids[0], ann_peer.mids[1]);
    let mut n = 0u64;
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        let got_video =
            bob_peer.received.iter().any(|d| d.params.spec().codec.is_video() && d.data.ends_with(b"frame-payload"));
        let got_audio =
            bob_peer.received.iter().any(|d| d.params.spec().codec.is_audio() && d.data[..] == b"opus-packet"[..]);
        if got_video && got_audio {
            break;
        }
        assert!(Instant::now() < end, "media did not arrive");
        let key = n == 0 || ann_peer.keyframe_requests > 0;
        ann_peer.keyframe_requests = 0;
        ann_peer.write(video, MediaTime::from_90khz(n * 3000), vp8_frame(key, b"frame-payload"));
        ann_peer.write(audio, MediaTime::new(n * 960, Frequency::FORTY_EIGHT_KHZ), b"opus-packet".to_vec());
        n += 1;
        for _ in 0..10 {
            ann_peer.step(&mut ann).await;
            bob_peer.step(&mut bob).await;
        }
    }

    // Muting is announced; leaving too.
    let ann_video =
        bob_peer.remote_tracks.values().map(|(_, t)| t.clone()).find(|t| t.ends_with("-1")).expect("video track");
    ann.ok("call.mute", json!({"room_id": room, "track_id": ann_video, "muted": true})).await;
    let muted = bob.event("call.track_muted").await;
    assert_eq!(muted["data"]["muted"], true);
    assert_eq!(muted["data"]["track_id"], ann_video.as_str());
    bob.ok("call.leave", json!({"room_id": room})).await;
    let left = ann.event("call.participant_left").await;
    assert_eq!(left["data"]["participant_id"], bob_id.as_str());
    let again = bob.request("call.offer", json!({"room_id": room, "sdp": "v=0"})).await;
    assert_eq!(again["error"]["code"], "not_joined");
    ann.close().await;
    bob.close().await;
    h.stop().await;
}
