//! The pure parts of the `sfu` scenario: synthetic VP8 frames and Opus packets
//! that carry a stamp (publisher, kind, sequence number, send time), frame
//! sizes for a bitrate, latency in microseconds, and the per-track record of
//! what a subscriber received, for loss.
//!
//! A stamp sits right after the codec's own header, so both servers see a
//! plausible stream: VP8 frames start with the 3-byte frame tag (10 bytes with
//! the keyframe start code and size), Opus packets with a TOC byte. The SFU
//! repacketizes (CAAS) or relays (Janus) the payload untouched, and the
//! subscriber's str0m hands back whole frames, so the stamp survives.

/// Marks a stamped payload.
pub const MAGIC: [u8; 4] = *b"LTSF";
/// Bytes of a stamp: magic, publisher (u32), kind (u8), sequence (u64), send time (u64 ns).
pub const STAMP_LEN: usize = 4 + 4 + 1 + 8 + 8;
/// An Opus TOC byte: SILK/CELT hybrid, fullband, 20 ms, mono, one frame.
pub const OPUS_TOC: u8 = 0x78;
/// VP8 keyframe header: frame tag (key, version 0, shown), start code, 640x480.
const VP8_KEY: [u8; 10] = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01];
/// VP8 interframe header: frame tag (not key, shown).
const VP8_DELTA: [u8; 3] = [0x11, 0x02, 0x00];

/// Audio or video: the two tracks of every publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Audio = 0,
    Video = 1,
}

/// What a publisher writes into every payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Global publisher index (0-based over the whole run).
    pub publisher: u32,
    pub kind: Kind,
    /// Per track, from 0.
    pub seq: u64,
    /// Nanoseconds since the run's base `Instant`, taken just before the write.
    pub sent_ns: u64,
}

fn put_stamp(out: &mut Vec<u8>, s: &Stamp) {
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&s.publisher.to_be_bytes());
    out.push(s.kind as u8);
    out.extend_from_slice(&s.seq.to_be_bytes());
    out.extend_from_slice(&s.sent_ns.to_be_bytes());
}

/// Fills `out` up to `size` bytes with a cheap pattern.
fn pad(out: &mut Vec<u8>, size: usize) {
    let mut i = out.len();
    while out.len() < size {
        out.push((i % 251) as u8);
        i += 1;
    }
}

/// A VP8 frame of `size` bytes (at least header and stamp) carrying `s`.
pub fn video_frame(key: bool, s: &Stamp, size: usize) -> Vec<u8> {
    let header: &[u8] = if key { &VP8_KEY } else { &VP8_DELTA };
    let mut out = Vec::with_capacity(size.max(header.len() + STAMP_LEN));
    out.extend_from_slice(header);
    put_stamp(&mut out, s);
    pad(&mut out, size);
    out
}

/// An Opus packet of `size` bytes (at least TOC and stamp) carrying `s`.
pub fn audio_packet(s: &Stamp, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size.max(1 + STAMP_LEN));
    out.push(OPUS_TOC);
    put_stamp(&mut out, s);
    pad(&mut out, size);
    out
}

/// Whether a VP8 frame is a keyframe (frame tag bit 0 clear).
pub fn vp8_is_key(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| b & 1 == 0)
}

/// The stamp in a received frame (`audio`: an Opus packet, else a VP8 frame).
pub fn decode(audio: bool, data: &[u8]) -> Option<Stamp> {
    let at = if audio {
        1
    } else if vp8_is_key(data) {
        VP8_KEY.len()
    } else {
        VP8_DELTA.len()
    };
    let b = data.get(at..at + STAMP_LEN)?;
    if b[..4] != MAGIC {
        return None;
    }
    let kind = match b[8] {
        0 => Kind::Audio,
        1 => Kind::Video,
        _ => return None,
    };
    Some(Stamp {
        publisher: u32::from_be_bytes(b[4..8].try_into().ok()?),
        kind,
        seq: u64::from_be_bytes(b[9..17].try_into().ok()?),
        sent_ns: u64::from_be_bytes(b[17..25].try_into().ok()?),
    })
}

/// Bytes per video frame for `kbps` at `fps` (never less than header and stamp).
pub fn video_frame_bytes(kbps: u32, fps: u32) -> usize {
    let per_frame = u64::from(kbps) * 1000 / 8 / u64::from(fps.max(1));
    (per_frame as usize).max(VP8_KEY.len() + STAMP_LEN)
}

/// Bytes per 20 ms Opus packet for `kbps` (never less than TOC and stamp).
pub fn audio_packet_bytes(kbps: u32) -> usize {
    let per_packet = u64::from(kbps) * 1000 / 8 / 50;
    (per_packet as usize).max(1 + STAMP_LEN)
}

/// Latency in whole microseconds (at least 1, for the histogram) from send to receive.
pub fn latency_us(sent_ns: u64, recv_ns: u64) -> u64 {
    (recv_ns.saturating_sub(sent_ns) / 1000).max(1)
}

/// The sequence numbers a subscriber received on one remote track.
#[derive(Debug, Default, Clone)]
pub struct SeqSet {
    bits: Vec<u64>,
    /// Distinct sequence numbers seen.
    pub count: u64,
    /// Times a sequence number arrived that was not one more than the highest before.
    pub gaps: u64,
    highest: Option<u64>,
}

/// Sequence numbers beyond this are ignored (a garbled stamp must not allocate much).
const MAX_SEQ: u64 = 1 << 26;

impl SeqSet {
    /// Records `seq`; false if it was already there (or absurd).
    pub fn insert(&mut self, seq: u64) -> bool {
        if seq >= MAX_SEQ {
            return false;
        }
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        if self.bits[word] & (1 << bit) != 0 {
            return false;
        }
        self.bits[word] |= 1 << bit;
        self.count += 1;
        match self.highest {
            Some(h) if seq > h + 1 => self.gaps += 1,
            _ => {}
        }
        if self.highest.is_none_or(|h| seq > h) {
            self.highest = Some(seq);
        }
        true
    }

    /// Whether `seq` was received.
    pub fn contains(&self, seq: u64) -> bool {
        self.bits.get((seq / 64) as usize).is_some_and(|w| w & (1 << (seq % 64)) != 0)
    }

    /// How many of `lo..hi` were received.
    pub fn count_in(&self, lo: u64, hi: u64) -> u64 {
        (lo..hi.min(MAX_SEQ)).filter(|s| self.contains(*s)).count() as u64
    }
}

/// Loss in percent of `expected` (0 when nothing was expected).
pub fn loss_pct(expected: u64, received: u64) -> f64 {
    if expected == 0 {
        return 0.0;
    }
    expected.saturating_sub(received) as f64 * 100.0 / expected as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_through_both_codecs() {
        let s = Stamp { publisher: 7, kind: Kind::Video, seq: 123_456, sent_ns: 9_876_543_210 };
        let key = video_frame(true, &s, 2083);
        assert_eq!(key.len(), 2083);
        assert!(vp8_is_key(&key));
        assert_eq!(&key[3..6], &[0x9d, 0x01, 0x2a], "keyframe start code");
        assert_eq!(decode(false, &key), Some(s));
        let delta = video_frame(false, &s, 2083);
        assert!(!vp8_is_key(&delta));
        assert_eq!(decode(false, &delta), Some(s));
        let a = Stamp { kind: Kind::Audio, ..s };
        let p = audio_packet(&a, 80);
        assert_eq!(p.len(), 80);
        assert_eq!(p[0], OPUS_TOC);
        assert_eq!(decode(true, &p), Some(a));
        // Too small a size still carries the whole stamp.
        assert_eq!(video_frame(false, &s, 0).len(), 3 + STAMP_LEN);
        assert_eq!(decode(true, &audio_packet(&a, 1)), Some(a));
    }

    #[test]
    fn foreign_payloads_are_not_stamps() {
        assert_eq!(decode(true, b""), None);
        assert_eq!(decode(true, b"opus-packet-without-a-stamp"), None);
        assert_eq!(decode(false, &[0x11, 0x02, 0x00, 1, 2, 3]), None);
        let s = Stamp { publisher: 1, kind: Kind::Audio, seq: 1, sent_ns: 1 };
        let mut p = audio_packet(&s, 40);
        p[1 + 8] = 9; // bad kind
        assert_eq!(decode(true, &p), None);
        // A video frame read as audio misses the magic.
        assert_eq!(decode(true, &video_frame(false, &Stamp { kind: Kind::Video, ..s }, 100)), None);
    }

    #[test]
    fn sizes_for_bitrates() {
        // 500 kbps at 30 fps: 2083 bytes a frame (two RTP packets at str0m's MTU).
        assert_eq!(video_frame_bytes(500, 30), 2083);
        assert_eq!(video_frame_bytes(1000, 25), 5000);
        assert_eq!(video_frame_bytes(1, 30), 10 + STAMP_LEN);
        assert_eq!(video_frame_bytes(500, 0), 62_500, "fps 0 counts as 1");
        // 32 kbps Opus in 20 ms packets: 80 bytes.
        assert_eq!(audio_packet_bytes(32), 80);
        assert_eq!(audio_packet_bytes(0), 1 + STAMP_LEN);
    }

    #[test]
    fn latency_math() {
        assert_eq!(latency_us(1_000_000, 3_500_000), 2500);
        assert_eq!(latency_us(5_000, 5_999), 1, "below a microsecond counts as one");
        assert_eq!(latency_us(10, 5), 1, "a clock step backwards is not negative");
        assert_eq!(latency_us(0, 60_000_000_000), 60_000_000);
    }

    #[test]
    fn seq_sets_count_loss_and_gaps() {
        let mut s = SeqSet::default();
        for seq in [0, 1, 2, 4, 5, 9] {
            assert!(s.insert(seq));
        }
        assert!(!s.insert(4), "duplicate");
        assert_eq!(s.count, 6);
        assert_eq!(s.gaps, 2, "3 and 6..=8 missing");
        assert!(s.insert(3), "late arrival fills in");
        assert_eq!(s.gaps, 2);
        assert_eq!(s.count_in(0, 10), 7);
        assert_eq!(s.count_in(2, 6), 4);
        assert_eq!(s.count_in(6, 9), 0);
        assert_eq!(s.count_in(100, 200), 0);
        assert!(!s.insert(MAX_SEQ));
        assert!(s.contains(9) && !s.contains(8) && !s.contains(10_000));
        assert_eq!(loss_pct(10, 7), 30.0);
        assert_eq!(loss_pct(0, 0), 0.0);
        assert_eq!(loss_pct(10, 12), 0.0, "more than expected is no loss");
    }
}
