//! The engine on simulated time, without sockets: a str0m publisher sends three
//! simulcast layers (q, h, f) and a subscriber receives exactly one of them. A
//! smaller requested size makes the SFU ask the publisher for a keyframe of the
//! lower layer, keep forwarding the old layer until that keyframe arrives, then
//! switch — with the subscriber's RTP timeline continuing forwards.

mod sim;

use std::time::Duration;

use caas_sfu::ParticipantId;
use sim::{World, tag};

#[test]
fn subscriber_switches_layers_on_keyframes_only() {
    let mut w = World::new();
    let mid = w.join(1, true).expect("publisher mid");
    w.join(2, false);
    w.until(Duration::from_secs(10), "connected and the track negotiated", |w| {
        w.peers.iter().all(|p| p.connected) && w.peers[1].open_tracks == 1
    });

    // Frames on all three layers; keyframes first, then whenever asked for.
    let mut n = 0;
    let mut pending_keys = [true; 3];
    let mut step = |w: &mut World, pending_keys: &mut [bool; 3]| {
        w.send(mid, n, *pending_keys);
        *pending_keys = [false; 3];
        n += 1;
        w.advance(Duration::from_millis(33));
        for rid in w.peers[0].keyframe_requests.drain(..) {
            match rid.as_deref() {
                Some("q") => pending_keys[0] = true,
                Some("h") => pending_keys[1] = true,
                Some("f") => pending_keys[2] = true,
                _ => *pending_keys = [true; 3],
            }
        }
    };
    for _ in 0..60 {
        step(&mut w, &mut pending_keys);
    }
    // Without a size or bandwidth limit the subscriber starts with whatever
    // flows first and then stays on the top layer.
    let got: Vec<(u8, u32)> = w.peers[1].received.iter().map(tag).collect();
    assert!(got.len() > 40, "frames arrive ({})", got.len());
    let top = got.iter().position(|(layer, _)| *layer == 2).expect("layer f arrives");
    assert!(top <= 2, "on layer f from the first frames: {got:?}");
    assert!(got[top..].iter().all(|(layer, _)| *layer == 2), "only layer f from then on: {got:?}");

    // Ask for 180p: the SFU requests a q keyframe, and keeps sending f until it comes.
    w.peers[1].received.clear();
    w.sfu.subscribe(w.now, ParticipantId(2), "t-1-0", None, Some(180)).expect("subscribe");
    w.advance(Duration::from_millis(1));
    assert!(
        w.peers[0].keyframe_requests.iter().any(|r| r.as_deref() == Some("q")),
        "{:?}",
        w.peers[0].keyframe_requests
    );
    w.peers[0].keyframe_requests.clear();
    // Two more frames without a q keyframe: still f.
    for _ in 0..2 {
        step(&mut w, &mut [false; 3]);
    }
    assert!(w.peers[1].received.iter().map(tag).all(|(l, _)| l == 2), "f until q's keyframe");
    // Now the q keyframe, then deltas: only q from here on.
    for i in 0..30 {
        step(&mut w, &mut [i == 0, false, false]);
    }
    let got: Vec<(u8, u32)> = w.peers[1].received.iter().map(tag).collect();
    let switch = got.iter().position(|(l, _)| *l == 0).expect("layer q arrived");
    assert!(got[..switch].iter().all(|(l, _)| *l == 2));
    assert!(got[switch..].iter().all(|(l, _)| *l == 0), "after the switch only q: {got:?}");
    assert!(w.peers[1].received[switch].is_keyframe(), "the switch happens on a keyframe");
    // The subscriber's timeline keeps going forwards across the switch.
    let times: Vec<u64> = w.peers[1].received.iter().map(|d| d.time.numer()).collect();
    assert!(times.windows(2).all(|t| t[1] > t[0]), "RTP time moves forwards: {times:?}");
    // And frame numbers are consecutive across the switch: nothing skipped, nothing repeated.
    let numbers: Vec<u32> = got.iter().map(|(_, n)| *n).collect();
    assert!(numbers.windows(2).all(|p| p[1] == p[0] + 1), "{numbers:?}");
}

#[test]
fn a_layer_that_stops_is_replaced_by_one_that_flows() {
    let mut w = World::new();
    let mid = w.join(1, true).expect("publisher mid");
    w.join(2, false);
    w.until(Duration::from_secs(10), "connected and the track negotiated", |w| {
        w.peers.iter().all(|p| p.connected) && w.peers[1].open_tracks == 1
    });
    let mut n = 0;
    let mut keys = [true; 3];
    let mut layers = [true; 3];
    let mut run = |w: &mut World, frames: u32, layers: [bool; 3], keys: &mut [bool; 3]| {
        for _ in 0..frames {
            w.send_layers(mid, n, *keys, layers);
            *keys = [false; 3];
            n += 1;
            w.advance(Duration::from_millis(33));
            for rid in w.peers[0].keyframe_requests.drain(..) {
                match rid.as_deref() {
                    Some("q") => keys[0] = true,
                    Some("h") => keys[1] = true,
                    Some("f") => keys[2] = true,
                    _ => *keys = [true; 3],
                }
            }
        }
    };
    run(&mut w, 30, layers, &mut keys);
    assert_eq!(w.peers[1].received.last().map(tag).map(|(l, _)| l), Some(2), "on the top layer");
    // The publisher's encoder drops the top layer (bandwidth or CPU).
    layers[2] = false;
    w.peers[1].received.clear();
    run(&mut w, 90, layers, &mut keys);
    let got: Vec<(u8, u32)> = w.peers[1].received.iter().map(tag).collect();
    assert!(got.iter().any(|(l, _)| *l == 1), "switched to h: {got:?}");
    let last = got.last().expect("frames keep coming");
    assert_eq!(last.0, 1, "the subscriber ends on h");
    assert!(last.1 >= n - 3, "and it is current (frame {} of {n})", last.1);
}
