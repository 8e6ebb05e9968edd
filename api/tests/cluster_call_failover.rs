//! The node holding a call dies (`kill -9`): the participants whose WebSockets
//! are on another node are told they left with reason `node_lost` within a few
//! seconds, join again, and the room is made anew on a live node where their
//! media flows again.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::Cluster;
use common::rtc::{Peer, vp8_frame};
use str0m::media::MediaTime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_on_a_dead_node_is_made_again_on_a_live_one() {
    let mut c = Cluster::start().await;
    let mut ann = c.connect(0, "ann").await;
    let mut bob = c.connect(1, "bob").await;
    let mut carol = c.connect(1, "carol").await;
    let first = ann.ok("call.join", serde_json::json!({"room_id": "standup"})).await;
    let dead = first["node"].as_str().expect("node").to_owned();
    let (_, joined) = Peer::join(&mut bob, "standup", true).await;
    assert_eq!(joined["node"], dead.as_str(), "Bob's ops are relayed to the room's node");
    let bob_before = joined["participant_id"].clone();
    let (_, joined) = Peer::join(&mut carol, "standup", false).await;
    assert_eq!(joined["node"], dead.as_str());

    // The room's node dies.
    let killed = Instant::now();
    c.nodes[0].child.kill().unwrap();
    c.nodes[0].child.wait().unwrap();
    let left = bob.try_event("call.participant_left", Duration::from_secs(10)).await.expect("Bob told");
    let told_after = killed.elapsed();
    assert_eq!(left["data"]["participant_id"], bob_before);
    assert_eq!(left["data"]["reason"], "node_lost");
    let left = carol.try_event("call.participant_left", Duration::from_secs(10)).await.expect("Carol told");
    assert_eq!(left["data"]["reason"], "node_lost");

    // They join again: the room is made anew on the live node, and media flows.
    let (mut bob_peer, joined) = Peer::join(&mut bob, "standup", true).await;
    let alive = joined["node"].as_str().expect("node").to_owned();
    assert_ne!(alive, dead, "the room moved to a live node");
    let (mut carol_peer, joined) = Peer::join(&mut carol, "standup", false).await;
    assert_eq!(joined["node"], alive.as_str());
    let end = Instant::now() + Duration::from_secs(20);
    let mut n = 0u64;
    while !carol_peer.received.iter().any(|d| d.data.ends_with(b"again")) {
        assert!(Instant::now() < end, "media did not flow on the new node");
        if bob_peer.connected {
            let key = n.is_multiple_of(30) || bob_peer.keyframe_requests > 0;
            bob_peer.keyframe_requests = 0;
            bob_peer.write(bob_peer.mids[1], MediaTime::from_90khz(n * 3000), vp8_frame(key, b"again"));
            n += 1;
        }
        for _ in 0..5 {
            bob_peer.step(&mut bob).await;
            carol_peer.step(&mut carol).await;
        }
    }
    eprintln!("node_lost told {told_after:?} after kill -9; media back {:?} after it", killed.elapsed());
    bob.close().await;
    carol.close().await;
    drop(ann);
    c.stop().await;
}
