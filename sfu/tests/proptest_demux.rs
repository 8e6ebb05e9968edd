//! Property: whatever datagram arrives — any bytes, from a connected peer's
//! address or from a stranger, shaped like STUN, RTP/RTCP or DTLS or not — the
//! engine does not panic, adopts no one, and the call keeps carrying media.

mod sim;

use std::net::SocketAddr;
use std::time::Duration;

use proptest::prelude::*;
use sim::{SFU, World};

/// A first byte from each RFC 7983 range (STUN, DTLS, RTP/RTCP) or anything.
fn datagram() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just(0u8), Just(1u8), 20u8..=63, 128u8..=191, any::<u8>()],
        proptest::collection::vec(any::<u8>(), 0..1400),
    )
        .prop_map(|(first, mut rest)| {
            rest.insert(0, first);
            rest
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_datagrams_leave_the_call_working(
        batch in proptest::collection::vec((datagram(), any::<bool>(), 1u16..2000), 1..40)
    ) {
        let mut w = World::new();
        let mid = w.join(1, true).expect("publisher");
        w.join(2, false);
        w.until(Duration::from_secs(10), "connected", |w| w.peers.iter().all(|p| p.connected) && w.peers[1].open_tracks == 1);
        let sfu: SocketAddr = SFU.parse().expect("addr");
        let known = w.peers[0].addr;
        for (data, from_peer, port) in &batch {
            let from = if *from_peer { known } else { SocketAddr::from(([127, 0, 0, 9], 30_000 + port)) };
            w.sfu.handle_receive(w.now, from, sfu, data);
        }
        prop_assert_eq!(w.sfu.participant_count(), 2);
        for n in 0..10 {
            w.send(mid, n, [n == 0; 3]);
            w.advance(Duration::from_millis(33));
            w.peers[0].keyframe_requests.clear();
        }
        prop_assert!(!w.peers[1].received.is_empty(), "media still flows");
    }
}
