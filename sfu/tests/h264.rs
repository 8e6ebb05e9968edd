//! H.264: a publisher that only speaks H.264 (baseline, packetization mode 1)
//! reaches a subscriber through the SFU; NAL units arrive intact and the
//! keyframe (IDR) is recognised.

mod sim;

use std::time::Duration;

use sim::World;
use str0m::Rtc;
use str0m::media::MediaTime;

/// An Annex B access unit: SPS and PPS and an IDR slice for keyframes, else a
/// non-IDR slice; the slice carries `n`.
fn access_unit(key: bool, n: u32) -> Vec<u8> {
    let mut au = Vec::new();
    if key {
        au.extend([0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8]);
        au.extend([0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80]);
        au.extend([0, 0, 0, 1, 0x65]);
    } else {
        au.extend([0, 0, 0, 1, 0x41]);
    }
    // No zero bytes in the payload (Annex B would read 00 00 01 as a new NAL unit).
    au.extend([0x80 | ((n >> 7) & 0x7f) as u8, 0x80 | (n & 0x7f) as u8]);
    au.extend(std::iter::repeat_n(0x5a, 2500));
    au
}

#[test]
fn h264_is_forwarded() {
    let mut w = World::new();
    let (video, _) = w.join_custom(1, true, false, Rtc::builder().clear_codecs().enable_h264(true));
    let video = video.expect("video mid");
    w.join(2, false);
    w.until(Duration::from_secs(10), "connected", |w| {
        w.peers.iter().all(|p| p.connected) && w.peers[1].open_tracks == 1
    });
    let mut keys = true;
    for n in 0..60u32 {
        let now = w.now;
        let writer = w.peers[0].rtc.writer(video).expect("writer").rid("f".into());
        let pt = writer.payload_params().next().expect("h264").pt();
        writer.write(pt, now, MediaTime::from_90khz(u64::from(n) * 3000), access_unit(keys, n)).expect("write");
        keys = !w.peers[0].keyframe_requests.is_empty();
        w.peers[0].keyframe_requests.clear();
        w.advance(Duration::from_millis(33));
    }
    let got = &w.peers[1].received;
    assert!(got.len() > 20, "H.264 frames arrive ({})", got.len());
    assert!(got.iter().all(|d| d.params.spec().codec == str0m::format::Codec::H264));
    assert!(got[0].is_keyframe(), "the first forwarded frame is an IDR");
    let mut last = None;
    for d in got {
        // The slice ends the access unit: its NAL header, its number, then the body.
        let len = d.data.len();
        assert!(
            len > 2503 && d.data[len - 2500..].iter().all(|b| *b == 0x5a),
            "slice body intact: {} bytes, head {:02x?}",
            len,
            &d.data[..len.min(40)]
        );
        let header = d.data[len - 2503];
        assert_eq!(header, if d.is_keyframe() { 0x65 } else { 0x41 }, "NAL header intact");
        let n = (u32::from(d.data[len - 2502] & 0x7f) << 7) | u32::from(d.data[len - 2501] & 0x7f);
        if let Some(prev) = last {
            assert_eq!(n, prev + 1, "in order, none missing");
        }
        last = Some(n);
    }
}
