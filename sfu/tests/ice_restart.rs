//! ICE restart: a subscriber moves to a new address (a network change) and
//! restarts ICE with a new offer; the SFU answers with fresh credentials it can
//! still route by, and media resumes at the new address.

mod sim;

use std::collections::HashMap;
use std::time::Duration;

use sim::World;
use str0m::Candidate;
use str0m::change::SdpAnswer;

#[test]
fn media_resumes_after_an_ice_restart_from_a_new_address() {
    let mut w = World::new();
    let mid = w.join(1, true).expect("publisher");
    w.join(2, false);
    w.until(Duration::from_secs(10), "connected", |w| {
        w.peers.iter().all(|p| p.connected) && w.peers[1].open_tracks == 1
    });
    let mut n = 0;
    for _ in 0..10 {
        w.send(mid, n, [n == 0; 3]);
        n += 1;
        w.advance(Duration::from_millis(33));
    }
    assert!(!w.peers[1].received.is_empty());
    let old_ufrag = w.sfu.ufrag(w.peers[1].id).expect("ufrag").to_owned();

    // The subscriber's network changes: new address, ICE restart.
    let new_addr = "127.0.0.1:30002".parse().expect("addr");
    let now = w.now;
    let peer = &mut w.peers[1];
    peer.addr = new_addr;
    let mut change = peer.rtc.sdp_api();
    change.ice_restart(false);
    let (offer, pending) = change.apply().expect("restart offer");
    let answer = w.sfu.offer(now, w.peers[1].id, &offer.to_sdp_string(), HashMap::new()).expect("answer");
    let new_ufrag = w.sfu.ufrag(w.peers[1].id).expect("ufrag").to_owned();
    assert_ne!(new_ufrag, old_ufrag, "fresh credentials");
    assert!(answer.contains(&format!("a=ice-ufrag:{new_ufrag}")), "the answer carries them");
    w.peers[1]
        .rtc
        .sdp_api()
        .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).expect("sdp"))
        .expect("accepted");
    // Restarting without keeping candidates: the new address is the only one.
    w.peers[1].rtc.add_local_candidate(Candidate::host(new_addr, "udp").expect("candidate"));

    // Media flows to the new address.
    w.peers[1].received.clear();
    for _ in 0..60 {
        let key = !w.peers[0].keyframe_requests.is_empty();
        w.peers[0].keyframe_requests.clear();
        w.send(mid, n, [key || n % 30 == 0; 3]);
        n += 1;
        w.advance(Duration::from_millis(33));
    }
    assert!(w.peers[1].received.len() > 10, "media at the new address ({} frames)", w.peers[1].received.len());
}
