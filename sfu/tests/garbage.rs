//! Garbage on the media port: random bytes, STUN-, RTP- and RTCP-looking
//! datagrams and bit-flipped copies of real traffic, from unknown addresses and
//! from a connected peer's own address. The engine must not panic, must not
//! adopt unknown addresses, and the call must carry on.

mod sim;

use std::net::SocketAddr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sim::{SFU, World};

#[test]
fn garbage_datagrams_are_dropped_and_the_call_carries_on() {
    let mut w = World::new();
    let mid = w.join(1, true).expect("publisher");
    w.join(2, false);
    w.until(Duration::from_secs(10), "connected", |w| {
        w.peers.iter().all(|p| p.connected) && w.peers[1].open_tracks == 1
    });
    for n in 0..10 {
        w.send(mid, n, [n == 0; 3]);
        w.advance(Duration::from_millis(33));
    }
    assert!(!w.peers[1].received.is_empty(), "media flows before the garbage");
    let real: Vec<Vec<u8>> = w.captured.iter().map(|(_, d)| d.clone()).collect();
    assert!(real.len() > 20);

    let mut rng = StdRng::seed_from_u64(0xCAA5);
    let sfu: SocketAddr = SFU.parse().expect("addr");
    let known = w.peers[0].addr;
    let ufrag = w.sfu.ufrag(w.peers[0].id).expect("ufrag").to_owned();
    for i in 0..20_000u32 {
        let kind = rng.random_range(0..6);
        let mut data: Vec<u8> = match kind {
            // Pure noise of any length, including empty.
            0 => (0..rng.random_range(0..1500)).map(|_| rng.random()).collect(),
            // STUN-looking: type, length, magic cookie, then noise.
            1 => {
                let mut d = vec![0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42];
                d.extend((0..rng.random_range(0..64)).map(|_| rng.random::<u8>()));
                d
            }
            // A STUN binding request with a real ufrag in USERNAME but no valid integrity.
            2 => {
                let user = format!("{ufrag}:evil");
                let mut attr = vec![0x00, 0x06, 0x00, user.len() as u8];
                attr.extend(user.as_bytes());
                while attr.len() % 4 != 0 {
                    attr.push(0);
                }
                let mut d = vec![0x00, 0x01, 0x00, attr.len() as u8, 0x21, 0x12, 0xa4, 0x42];
                d.extend((0..12).map(|_| rng.random::<u8>()));
                d.extend(attr);
                d
            }
            // RTP- and RTCP-looking headers with noise.
            3 => {
                let mut d = vec![0x80, rng.random_range(0..=255)];
                d.extend((0..rng.random_range(0..1200)).map(|_| rng.random::<u8>()));
                d
            }
            // A real datagram with a few bits flipped, or cut short.
            _ => {
                let mut d = real[rng.random_range(0..real.len())].clone();
                if d.is_empty() {
                    d.push(0);
                }
                if rng.random_bool(0.3) {
                    let len = rng.random_range(0..d.len());
                    d.truncate(len);
                } else {
                    for _ in 0..rng.random_range(1..4) {
                        let at = rng.random_range(0..d.len());
                        d[at] ^= 1 << rng.random_range(0..8);
                    }
                }
                d
            }
        };
        if data.len() > 2000 {
            data.truncate(2000);
        }
        let from: SocketAddr =
            if i % 2 == 0 { known } else { format!("127.0.0.9:{}", 20_000 + (i % 5000)).parse().expect("addr") };
        w.sfu.handle_receive(w.now, from, sfu, &data);
        if i % 1000 == 0 {
            w.advance(Duration::from_millis(5));
        }
    }
    assert_eq!(w.sfu.participant_count(), 2, "garbage adds or removes no one");

    // The call still works: new frames reach the subscriber.
    w.peers[1].received.clear();
    for n in 10..40 {
        w.send(mid, n, [n == 10; 3]);
        w.advance(Duration::from_millis(33));
        w.peers[0].keyframe_requests.clear();
    }
    assert!(w.peers.iter().all(|p| p.connected));
    assert!(w.peers[1].received.len() >= 20, "media still flows ({} frames)", w.peers[1].received.len());
}
