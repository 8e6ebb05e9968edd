//! Dead peers leave: one that never completes ICE is removed after the connect
//! timeout, one that goes silent after the idle timeout; the others are told and
//! the departure is metered with its reason and the media bytes it received.

mod sim;

use std::time::Duration;

use caas_sfu::ParticipantId;
use sim::World;

#[test]
fn peers_that_never_connect_or_go_silent_are_reaped() {
    let mut w = World::new();
    let mid = w.join(1, true).expect("publisher");
    w.join(2, false);
    w.join(3, false);
    // Peer 3 never says a word.
    w.peers[2].silent = true;
    w.until(Duration::from_secs(10), "1 and 2 connected", |w| {
        w.peers[0].connected && w.peers[1].connected && w.peers[1].open_tracks == 1
    });
    for n in 0..10 {
        w.send(mid, n, [n == 0; 3]);
        w.advance(Duration::from_millis(33));
    }
    let received: usize = w.peers[1].received.iter().map(|d| d.data.len()).sum();
    assert!(received > 0, "2 receives media");
    w.until(Duration::from_secs(30), "3 reaped", |w| !w.departures.is_empty());
    assert_eq!(w.departures, vec![(ParticipantId(3), "ice_timeout")]);
    assert!(w.peers[0].signals.iter().any(|(e, d)| *e == "call.participant_left" && d["participant_id"] == "p-3"));

    // Peer 2 vanishes mid-call.
    w.peers[1].silent = true;
    w.until(Duration::from_secs(30), "2 reaped", |w| w.departures.len() == 2);
    assert_eq!(w.departures[1].0, ParticipantId(2));
    // Egress is metered per participant: what 2 was sent, nothing for 3.
    assert_eq!(w.usages[0].1.bytes_out, 0);
    assert!(w.usages[1].1.bytes_out >= received as u64, "{:?} vs {received}", w.usages[1].1);
    assert!(["ice_timeout", "disconnected"].contains(&w.departures[1].1), "{:?}", w.departures);
    assert_eq!(w.sfu.participant_count(), 1);
    assert!(w.peers[0].connected, "the one who stayed is still fine");
}
