//! A frame lost whole on the publisher's uplink and repaired by retransmission
//! completes after the frame behind it: the subscriber still receives both, in
//! order (str0m sends what is written by wall-clock time, and the repaired
//! frame's arrival time is later than its successor's).

mod sim;

use std::time::Duration;

use sim::{World, tag};

#[test]
fn a_frame_repaired_by_retransmission_is_forwarded_in_order() {
    let mut w = World::new();
    let mid = w.join(1, true).expect("publisher");
    w.join(2, false);
    w.until(Duration::from_secs(10), "connected", |w| {
        w.peers.iter().all(|p| p.connected) && w.peers[1].open_tracks == 1
    });
    w.send(mid, 0, [true; 3]);
    w.until(Duration::from_secs(2), "the keyframe", |w| !w.peers[1].received.is_empty());

    // Frame 1 is lost whole on every layer; frames 2.. arrive; NACKs bring frame 1 back.
    w.lose_rtp_from = Some(w.peers[0].addr);
    w.send(mid, 1, [false; 3]);
    w.advance(Duration::from_millis(33));
    w.lose_rtp_from = None;
    for n in 2..10 {
        w.send(mid, n, [false; 3]);
        w.advance(Duration::from_millis(33));
    }
    w.until(Duration::from_secs(3), "frame 9", |w| w.peers[1].received.iter().any(|d| tag(d).1 == 9));

    // (Frame 0 comes once per layer as the subscriber climbs to the top one.)
    let got: Vec<(u8, u32)> = w.peers[1].received.iter().map(tag).collect();
    let after_key: Vec<(u8, u32)> = got.iter().copied().filter(|&(_, n)| n > 0).collect();
    assert_eq!(after_key, (1..10).map(|n| (2, n)).collect::<Vec<_>>(), "every frame, in order: {got:?}");
}
