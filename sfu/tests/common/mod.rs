//! A WebRTC client built on str0m (independent of the SFU's own use of it: a
//! full-ICE, non-lite peer that offers like a browser), talking to a running
//! [`SfuHandle`] over real UDP sockets on 127.0.0.1.

#![allow(dead_code)]
// Tests and benches fail loudly: these helpers unwrap, expect and panic like the tests using them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use caas_sfu::driver::{SfuHandle, Signal};
use caas_sfu::{ParticipantId, Permissions, RoomKey, Source};
use rand::Rng;
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::Frequency;
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::sync::mpsc;

/// A VP8 frame: the 3-byte frame tag (keyframe or not), for keyframes the start
/// code and a 640x480 size, then `body`.
pub fn vp8_frame(key: bool, body: &[u8]) -> Vec<u8> {
    let mut f =
        if key { vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01] } else { vec![0x11, 0x02, 0x00] };
    f.extend_from_slice(body);
    f
}

/// The body of frame `n`: its number, then filler derived from it (`len` bytes in all).
pub fn body(n: u32, len: usize) -> Vec<u8> {
    let mut b = n.to_be_bytes().to_vec();
    b.extend((0..len.saturating_sub(4)).map(|i| (i as u32).wrapping_mul(31).wrapping_add(n) as u8));
    b
}

/// One client peer.
pub struct Client {
    pub name: &'static str,
    pub rtc: Rtc,
    pub socket: UdpSocket,
    pub local: SocketAddr,
    pub participant: ParticipantId,
    pub signals: mpsc::UnboundedReceiver<Signal>,
    pub sfu: SfuHandle,
    pub timeout: Instant,
    /// Fraction of incoming RTP datagrams thrown away (induced loss).
    pub drop_in: f64,
    /// Fraction of outgoing RTP datagrams thrown away.
    pub drop_out: f64,
    pub received: Vec<MediaData>,
    /// RTP datagrams thrown away by the induced loss.
    pub dropped: u32,
    pub keyframe_requests: u32,
    pub connected: bool,
    pub events: Vec<Signal>,
    /// Mid -> (participant_id, track_id), from server offers.
    pub remote_tracks: HashMap<String, (String, String)>,
}

impl Client {
    /// Joins `room` and negotiates: sends audio and video if `publish`, and a
    /// data channel in any case (so a subscriber has something to offer).
    pub async fn join(name: &'static str, sfu: &SfuHandle, room: &str, publish: bool) -> (Client, Vec<Mid>) {
        let now = Instant::now();
        let mut rtc = Rtc::builder().build(now);
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket.set_nonblocking(true).expect("nonblocking");
        let local = socket.local_addr().expect("addr");
        rtc.add_local_candidate(Candidate::host(local, "udp").expect("candidate"));
        let key = RoomKey { app: "app-1".into(), room: room.into() };
        let (participant, _others, signals) =
            sfu.join(key, name.to_owned(), Permissions::default()).await.expect("join");
        let mut change = rtc.sdp_api();
        let mut mids = Vec::new();
        if publish {
            mids.push(change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None));
            mids.push(change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None));
        }
        change.add_channel("caas".into());
        let (offer, pending) = change.apply().expect("an offer");
        let mut sources = HashMap::new();
        if publish {
            sources.insert(mids[0].to_string(), Source::Microphone);
            sources.insert(mids[1].to_string(), Source::Camera);
        }
        let answer = sfu.offer(participant, offer.to_sdp_string(), sources).await.expect("answer");
        rtc.sdp_api().accept_answer(pending, SdpAnswer::from_sdp_string(&answer).expect("sdp")).expect("accepted");
        let client = Client {
            name,
            rtc,
            socket,
            local,
            participant,
            signals,
            sfu: sfu.clone(),
            timeout: now,
            drop_in: 0.0,
            drop_out: 0.0,
            received: Vec::new(),
            dropped: 0,
            keyframe_requests: 0,
            connected: false,
            events: Vec::new(),
            remote_tracks: HashMap::new(),
        };
        (client, mids)
    }

    /// Does everything that is due: signals, datagrams in, timers, datagrams out.
    pub async fn step(&mut self) {
        while let Ok(sig) = self.signals.try_recv() {
            if sig.event == "call.offer" {
                let sdp = sig.data["sdp"].as_str().expect("sdp").to_owned();
                let offer_id = sig.data["offer_id"].as_str().expect("offer id").to_owned();
                for (mid, t) in sig.data["tracks"].as_object().expect("tracks") {
                    self.remote_tracks.insert(
                        mid.clone(),
                        (
                            t["participant_id"].as_str().unwrap_or_default().into(),
                            t["track_id"].as_str().unwrap_or_default().into(),
                        ),
                    );
                }
                let answer =
                    self.rtc.sdp_api().accept_offer(SdpOffer::from_sdp_string(&sdp).expect("offer")).expect("accept");
                self.sfu.answer(self.participant, offer_id, answer.to_sdp_string()).await.expect("answer taken");
            }
            self.events.push(sig);
        }
        let mut buf = [0u8; 2048];
        let mut rng = rand::rng();
        loop {
            match self.socket.recv_from(&mut buf) {
                Ok((n, source)) => {
                    let is_rtp = n > 0 && (128..192).contains(&buf[0]) && !(192..=223).contains(&buf[1]);
                    if is_rtp && self.connected && rng.random::<f64>() < self.drop_in {
                        self.dropped += 1;
                        continue;
                    }
                    let Ok(contents) = buf[..n].try_into() else { continue };
                    let input = Input::Receive(
                        Instant::now(),
                        Receive { proto: Protocol::Udp, source, destination: self.local, contents },
                    );
                    self.rtc.handle_input(input).expect("client input");
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("{}: recv failed: {e}", self.name),
            }
        }
        self.rtc.handle_input(Input::Timeout(Instant::now())).expect("client timeout");
        loop {
            match self.rtc.poll_output().expect("client output") {
                Output::Timeout(t) => {
                    self.timeout = t;
                    break;
                }
                Output::Transmit(t) => {
                    let is_rtp = !t.contents.is_empty()
                        && (128..192).contains(&t.contents[0])
                        && !(192..=223).contains(&t.contents[1]);
                    if is_rtp && self.connected && rng.random::<f64>() < self.drop_out {
                        self.dropped += 1;
                        continue;
                    }
                    let _ = self.socket.send_to(&t.contents, t.destination);
                }
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::MediaData(d)) => {
                    // Like a browser's decoder: a video frame that cannot be decoded (a gap
                    // before it, or no keyframe yet) makes the receiver ask for a keyframe.
                    let video = d.params.spec().codec.is_video();
                    let decodable = d.is_keyframe()
                        || d.contiguous && self.received.iter().any(|r| r.mid == d.mid && r.is_keyframe());
                    if video
                        && !decodable
                        && let Some(mut w) = self.rtc.writer(d.mid)
                    {
                        let _ = w.request_keyframe(d.rid, KeyframeRequestKind::Pli);
                    }
                    self.received.push(d);
                }
                Output::Event(Event::KeyframeRequest(_)) => self.keyframe_requests += 1,
                Output::Event(_) => {}
            }
        }
    }

    /// Writes one frame on `mid`.
    pub fn write(&mut self, mid: Mid, time: MediaTime, data: Vec<u8>) {
        let Some(writer) = self.rtc.writer(mid) else { return };
        let Some(pt) = writer.payload_params().next().map(|p| p.pt()) else { return };
        writer.write(pt, Instant::now(), time, data).expect("write");
    }

    /// The payload type family of `mid` (for tests that care).
    pub fn kind_of(&self, mid: Mid) -> Option<MediaKind> {
        self.rtc.media(mid).map(|m| m.kind())
    }
}

/// Steps every client until `done` holds or `limit` passes (then panics with `what`).
pub async fn run_until(
    clients: &mut [&mut Client],
    limit: Duration,
    what: &str,
    mut done: impl FnMut(&[&mut Client]) -> bool,
) {
    let end = Instant::now() + limit;
    loop {
        for c in clients.iter_mut() {
            c.step().await;
        }
        if done(clients) {
            return;
        }
        assert!(Instant::now() < end, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Whether frame data is a keyframe request kind (silences an unused import on some paths).
pub fn _kinds() -> [KeyframeRequestKind; 2] {
    [KeyframeRequestKind::Pli, KeyframeRequestKind::Fir]
}

/// The received video frames as `number[key] pt seqs time contiguous`, for a failure message.
fn trace(video: &[&MediaData]) -> String {
    video
        .iter()
        .take(10)
        .map(|d| {
            let head = if d.is_keyframe() { 10 } else { 3 };
            let n = d.data.get(head..head + 4).map_or(u32::MAX, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            let key = if d.is_keyframe() { "k" } else { "" };
            format!("{n}{key} pt{} {:?} t{} c{}", d.pt, d.seq_range, d.time.numer(), d.contiguous)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Alice publishes 150 VP8 frames (3000 bytes each, 30 fps) and Opus packets
/// to Bob and Carol, with `loss` of RTP thrown away on Alice's uplink and on
/// the subscribers' downlinks. Checks every received frame is intact and in
/// order; returns (worst number of frames missing at a subscriber, frames
/// received, frames sent, datagrams dropped).
pub async fn publish_to_two(loss: f64) -> (usize, usize, usize, u32) {
    let (dep_tx, _dep_rx) = tokio::sync::mpsc::unbounded_channel();
    let sfu = SfuHandle::start("127.0.0.1:0".parse().expect("addr"), None, 2, dep_tx).await.expect("sfu");
    let (mut alice, mids) = Client::join("alice", &sfu, "room-1", true).await;
    let (mut bob, _) = Client::join("bob", &sfu, "room-1", false).await;
    let (mut carol, _) = Client::join("carol", &sfu, "room-1", false).await;
    alice.drop_out = loss;
    bob.drop_in = loss;
    carol.drop_in = loss;
    let (audio, video) = (mids[0], mids[1]);

    // Everyone connects; the subscribers get a server offer with Alice's two tracks.
    run_until(&mut [&mut alice, &mut bob, &mut carol], Duration::from_secs(15), "connected and negotiated", |c| {
        c.iter().all(|c| c.connected) && c[1].remote_tracks.len() == 2 && c[2].remote_tracks.len() == 2
    })
    .await;
    let alice_id = alice.participant.to_string();
    for c in [&bob, &carol] {
        assert!(c.remote_tracks.values().all(|(p, _)| *p == alice_id), "{:?}", c.remote_tracks);
        assert!(c.events.iter().any(|e| e.event == "call.track_published" || e.event == "call.offer"));
    }

    // 150 video frames (30 fps, several packets each) and 250 audio frames (20 ms).
    let start = Instant::now();
    let (mut sent_video, mut sent_audio) = (0u32, 0u32);
    let mut key_requests_seen = 0;
    let frames = 150u32;
    // A few frames more than are waited for: a loss in the last frames is only
    // seen (and NACKed) when later packets arrive, so the stream must go on.
    const TAIL: u32 = 15;
    while sent_video < frames + TAIL {
        let elapsed = start.elapsed();
        while sent_audio < frames * 5 / 3 && elapsed >= Duration::from_millis(20) * sent_audio {
            let mut opus = vec![0xfc];
            opus.extend(body(sent_audio, 80));
            alice.write(audio, MediaTime::new(u64::from(sent_audio) * 960, Frequency::FORTY_EIGHT_KHZ), opus);
            sent_audio += 1;
        }
        if elapsed >= Duration::from_micros(33_333) * sent_video {
            // A keyframe first, then whenever the SFU asks for one.
            let key = sent_video == 0 || alice.keyframe_requests > key_requests_seen;
            key_requests_seen = alice.keyframe_requests;
            alice.write(
                video,
                MediaTime::from_90khz(u64::from(sent_video) * 3000),
                vp8_frame(key, &body(sent_video, 3000)),
            );
            sent_video += 1;
        }
        for c in [&mut alice, &mut bob, &mut carol] {
            c.step().await;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Let the tail (and retransmissions) arrive.
    let last = frames - 1;
    let got_last = |c: &Client| {
        c.received.iter().any(|d| {
            d.data.len() > 10 && d.data[3..7] == last.to_be_bytes()
                || d.data.len() > 10 && d.data[10..14] == last.to_be_bytes()
        })
    };
    run_until(&mut [&mut alice, &mut bob, &mut carol], Duration::from_secs(15), "the last frame", |c| {
        got_last(c[1]) && got_last(c[2])
    })
    .await;

    let mut worst_missing = 0;
    let mut total_video = 0;
    for c in [&bob, &carol] {
        // Video: from the first keyframe on, frames are whole, in order, and few (none without loss) are missing.
        let video: Vec<_> = c.received.iter().filter(|d| d.params.spec().codec.is_video()).collect();
        let first_key = video.iter().position(|d| d.is_keyframe()).expect("a keyframe arrived");
        let mut expected: Option<u32> = None;
        let mut missing = 0;
        for (i, d) in video[first_key..].iter().enumerate() {
            let key = d.is_keyframe();
            let head = if key { 10 } else { 3 };
            assert_eq!(d.data[..head], vp8_frame(key, &[])[..], "{}: frame header intact", c.name);
            let n = u32::from_be_bytes(d.data[head..head + 4].try_into().expect("4 bytes"));
            assert_eq!(&d.data[head..], &body(n, 3000)[..], "{}: frame {n} intact", c.name);
            if let Some(e) = expected {
                assert!(
                    n >= e,
                    "{}: frame {n} after {e}: out of order; received: {}",
                    c.name,
                    trace(&video[(first_key + i).saturating_sub(6)..])
                );
                missing += (n - e) as usize;
            }
            expected = Some(n + 1);
        }
        total_video += video.len() - first_key;
        worst_missing = worst_missing.max(missing);
        // Audio: every packet intact; without loss none missing.
        let audio: Vec<_> = c.received.iter().filter(|d| d.params.spec().codec.is_audio()).collect();
        assert!(!audio.is_empty(), "{}: audio arrived", c.name);
        for d in &audio {
            let n = u32::from_be_bytes(d.data[1..5].try_into().expect("4 bytes"));
            assert_eq!(&d.data[1..], &body(n, 80)[..], "{}: audio {n} intact", c.name);
        }
        assert!(c.received.iter().all(|d| d.params.spec().codec.is_audio() || d.params.spec().codec.is_video()));
        let _ = MediaKind::Audio;
    }
    (worst_missing, total_video, frames as usize, alice.dropped + bob.dropped + carol.dropped)
}
