//! A call whose participants are balanced to different nodes: Ann's
//! WebSocket is on node 1, Bob's on node 2. The room lives on one node's SFU;
//! Bob's call ops are relayed to it over Redis and its signals relayed back,
//! and both send their media straight to the room's node (its address is in
//! the SDP). They see and hear each other; Bob's leaving reaches Ann.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::Cluster;
use common::rtc::{Peer, vp8_frame};
use serde_json::json;
use str0m::media::{Frequency, MediaTime};

/// Whether `peer` got both kinds of media ending in `tag`.
fn got_media(peer: &Peer, tag: &[u8]) -> bool {
    let video = peer.received.iter().any(|d| d.params.spec().codec.is_video() && d.data.ends_with(tag));
    let audio = peer.received.iter().any(|d| d.params.spec().codec.is_audio() && d.data[..] == *tag);
    video && audio
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_on_different_nodes_see_and_hear_each_other() {
    let c = Cluster::start().await;
    let mut ann = c.connect(0, "ann").await;
    let mut bob = c.connect(1, "bob").await;

    let (mut ann_peer, ann_joined) = Peer::join(&mut ann, "standup", true).await;
    let (mut bob_peer, bob_joined) = Peer::join(&mut bob, "standup", true).await;
    let node = ann_joined["node"].as_str().expect("node").to_owned();
    assert_eq!(bob_joined["node"], node.as_str(), "one room, on one node: {ann_joined} {bob_joined}");
    assert_eq!(bob_joined["participants"][0]["user_id"], "ann", "Bob sees Ann in the room");
    let joined = ann.event("call.participant_joined").await;
    assert_eq!(joined["data"]["participant"]["user_id"], "bob");
    let bob_id = bob_joined["participant_id"].as_str().expect("participant id").to_owned();

    // Both connect and each is offered the other's two tracks; then both send.
    let end = Instant::now() + Duration::from_secs(20);
    let mut n = 0u64;
    loop {
        if got_media(&ann_peer, b"from-bob") && got_media(&bob_peer, b"from-ann") {
            break;
        }
        assert!(
            Instant::now() < end,
            "media did not cross: ann {:?}, bob {:?}",
            ann_peer.connected,
            bob_peer.connected
        );
        for (peer, tag) in [(&mut ann_peer, &b"from-ann"[..]), (&mut bob_peer, &b"from-bob"[..])] {
            if !peer.connected {
                continue;
            }
            let key = n.is_multiple_of(30) || peer.keyframe_requests > 0;
            peer.keyframe_requests = 0;
            let (audio, video) = (peer.mids[0], peer.mids[1]);
            peer.write(video, MediaTime::from_90khz(n * 3000), vp8_frame(key, tag));
            peer.write(audio, MediaTime::new(n * 960, Frequency::FORTY_EIGHT_KHZ), tag.to_vec());
        }
        n += 1;
        for _ in 0..5 {
            ann_peer.step(&mut ann).await;
            bob_peer.step(&mut bob).await;
        }
    }
    assert!(bob_peer.remote_tracks.values().all(|(p, _)| p.as_str() == ann_joined["participant_id"]));

    // A relayed op the owner refuses comes back with the owner's error.
    let bad = bob.request("call.mute", json!({"room_id": "standup", "track_id": "t-0-9", "muted": true})).await;
    assert_eq!(bad["error"]["code"], "not_found", "{bad}");

    bob.ok("call.leave", json!({"room_id": "standup"})).await;
    let left = ann.event("call.participant_left").await;
    assert_eq!(left["data"]["participant_id"], bob_id.as_str());
    let again = bob.request("call.offer", json!({"room_id": "standup", "sdp": "v=0"})).await;
    assert_eq!(again["error"]["code"], "not_joined");
    ann.close().await;
    bob.close().await;
    c.stop().await;
}
