//! One simulated participant's media side: a str0m `Rtc` (full ICE, like a
//! browser) with its own UDP socket on 127.0.0.1, driven from the
//! participant's tokio task. Publishers write synthetic Opus packets every
//! 20 ms and VP8 frames at the frame rate (a keyframe first, on every PLI/FIR
//! and every `--keyframe-interval`); subscribers decode the stamp of every
//! frame str0m hands them and record latency, packets, bytes and sequence
//! numbers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaData, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;

use super::Shared;
use super::media::{self, Kind, SeqSet, Stamp};
use crate::error::PeerError;

/// Audio packets are 20 ms apart.
const AUDIO_PERIOD: Duration = Duration::from_millis(20);
/// A sender this far behind its schedule skips ahead instead of bursting.
const MAX_BEHIND: Duration = Duration::from_millis(200);

/// What a finished participant hands back.
pub(super) struct PeerResult {
    pub hist: Histogram<u64>,
    /// (publisher, kind) → sequence numbers received (subscribers).
    pub tracks: HashMap<(u32, Kind), SeqSet>,
}

/// An offer's SDP, what to apply the answer to, and each sending mid's source.
pub(super) type Offer = (String, SdpPendingOffer, Vec<(String, &'static str)>);

/// A publisher's outgoing schedule.
struct Sending {
    publisher: u32,
    audio: Option<(Mid, Option<Pt>)>,
    video: Option<(Mid, Option<Pt>)>,
    audio_seq: u64,
    video_seq: u64,
    next_audio: Instant,
    next_video: Instant,
    next_key: Instant,
    key_wanted: bool,
    started: bool,
}

pub(super) struct Peer {
    pub rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    pub connected: bool,
    pub dead: bool,
    rtc_timeout: Instant,
    sending: Option<Sending>,
    /// Subscribers: how many (publisher, kind) tracks make them "ready".
    expect_tracks: usize,
    ready: bool,
    tracks: HashMap<(u32, Kind), SeqSet>,
    hist: Histogram<u64>,
    buf: Vec<u8>,
}

impl Peer {
    /// A peer with a socket on `ip` (127.0.0.1 unless Janus) and its host candidate.
    pub async fn new(ip: std::net::IpAddr, expect_tracks: usize) -> Result<Peer, PeerError> {
        let now = Instant::now();
        let mut rtc = Rtc::builder().clear_codecs().enable_opus(true, false).enable_vp8(true).build(now);
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await.map_err(PeerError::Bind)?;
        let local = socket.local_addr().map_err(PeerError::Socket)?;
        let candidate = Candidate::host(local, "udp").map_err(PeerError::Candidate)?;
        rtc.add_local_candidate(candidate);
        let hist = Histogram::new_with_bounds(1, 60_000_000, 3)?;
        Ok(Peer {
            rtc,
            socket,
            local,
            connected: false,
            dead: false,
            rtc_timeout: now,
            sending: None,
            expect_tracks,
            ready: false,
            tracks: HashMap::new(),
            hist,
            buf: vec![0; 2048],
        })
    }

    /// An offer publishing audio (if `audio`) and video (if `video`), send-only,
    /// plus a data channel if `channel` (a subscriber's first offer on CAAS).
    /// Returns the SDP and what to apply the answer to; remembers the mids.
    pub fn offer(
        &mut self,
        publisher: Option<u32>,
        audio: bool,
        video: bool,
        channel: bool,
    ) -> Result<Offer, PeerError> {
        let mut change = self.rtc.sdp_api();
        let mut sources = Vec::new();
        let mut a = None;
        let mut v = None;
        if publisher.is_some() {
            if audio {
                let mid = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
                sources.push((mid.to_string(), "microphone"));
                a = Some((mid, None));
            }
            if video {
                let mid = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
                sources.push((mid.to_string(), "camera"));
                v = Some((mid, None));
            }
        }
        if channel {
            change.add_channel("lt".into());
        }
        let (offer, pending) = change.apply().ok_or(PeerError::NothingToOffer)?;
        if let Some(publisher) = publisher {
            let now = Instant::now();
            self.sending = Some(Sending {
                publisher,
                audio: a,
                video: v,
                audio_seq: 0,
                video_seq: 0,
                next_audio: now,
                next_video: now,
                next_key: now,
                key_wanted: true,
                started: false,
            });
        }
        Ok((offer.to_sdp_string(), pending, sources))
    }

    pub fn accept_answer(&mut self, pending: SdpPendingOffer, sdp: &str) -> Result<(), PeerError> {
        let answer = SdpAnswer::from_sdp_string(sdp).map_err(PeerError::AnswerSdp)?;
        self.rtc.sdp_api().accept_answer(pending, answer).map_err(PeerError::AcceptAnswer)
    }

    /// Answers a remote offer; returns the answer's SDP.
    pub fn accept_offer(&mut self, sdp: &str) -> Result<String, PeerError> {
        let offer = SdpOffer::from_sdp_string(sdp).map_err(PeerError::OfferSdp)?;
        let answer = self.rtc.sdp_api().accept_offer(offer).map_err(PeerError::AcceptOffer)?;
        Ok(answer.to_sdp_string())
    }

    /// When the peer next needs attention: str0m's timeout or the next write.
    pub fn next_wake(&self, sending: bool) -> Instant {
        let mut at = self.rtc_timeout;
        if let Some(s) = self.sending.as_ref().filter(|_| sending && self.connected) {
            if s.audio.is_some() {
                at = at.min(s.next_audio);
            }
            if s.video.is_some() {
                at = at.min(s.next_video);
            }
        }
        at
    }

    /// Reads every datagram waiting on the socket into str0m (after `readable`).
    pub fn drain_socket(&mut self, sh: &Shared) {
        sh.live.read_batches.fetch_add(1, Ordering::Relaxed);
        loop {
            match self.socket.try_recv_from(&mut self.buf) {
                Ok((n, source)) => {
                    let now = Instant::now();
                    sh.live.datagrams_in.fetch_add(1, Ordering::Relaxed);
                    sh.live.wire_bytes_in.fetch_add(n as u64, Ordering::Relaxed);
                    let Ok(contents) = self.buf[..n].try_into() else { continue };
                    let input = Input::Receive(
                        now,
                        Receive { proto: Protocol::Udp, source, destination: self.local, contents },
                    );
                    if self.rtc.accepts(&input) {
                        if let Err(e) = self.rtc.handle_input(input) {
                            sh.note(&format!("rtc input: {e}"));
                        }
                        self.poll(sh);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                // ICMP port unreachable from a peer that went away surfaces here.
                Err(_) => break,
            }
        }
    }

    pub async fn readable(&self) -> std::io::Result<()> {
        self.socket.readable().await
    }

    /// Writes what is due (publishers), advances str0m's clock and carries out its output.
    pub fn pump(&mut self, sh: &Shared, sending: bool) {
        let now = Instant::now();
        let mut wrote = false;
        if sending && self.connected {
            wrote = self.write_due(sh, now);
        }
        // str0m's clock only needs to move when it asked to be woken (a received
        // datagram is polled right after it is handled).
        if now >= self.rtc_timeout {
            if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
                sh.note(&format!("rtc timeout: {e}"));
            }
            self.poll(sh);
        } else if wrote {
            self.poll(sh);
        }
    }

    fn poll(&mut self, sh: &Shared) {
        loop {
            if !self.rtc.is_alive() {
                if !self.dead {
                    self.dead = true;
                    sh.live.peers_dead.fetch_add(1, Ordering::Relaxed);
                }
                self.rtc_timeout = Instant::now() + Duration::from_secs(3600);
                return;
            }
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.rtc_timeout = t;
                    return;
                }
                Ok(Output::Transmit(t)) => {
                    sh.live.datagrams_out.fetch_add(1, Ordering::Relaxed);
                    if self.socket.try_send_to(&t.contents, t.destination).is_err() {
                        sh.live.send_drops.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(Output::Event(e)) => self.on_event(sh, e),
                Err(e) => {
                    sh.note(&format!("rtc: {e}"));
                    self.rtc.disconnect();
                }
            }
        }
    }

    fn on_event(&mut self, sh: &Shared, e: Event) {
        match e {
            Event::Connected if !self.connected => {
                self.connected = true;
                sh.live.peers_connected.fetch_add(1, Ordering::Relaxed);
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                sh.live.ice_disconnects.fetch_add(1, Ordering::Relaxed);
            }
            Event::KeyframeRequest(_) => {
                sh.live.keyframe_requests.fetch_add(1, Ordering::Relaxed);
                if let Some(s) = &mut self.sending {
                    s.key_wanted = true;
                }
            }
            Event::MediaData(d) => self.on_media(sh, d),
            _ => {}
        }
    }

    fn on_media(&mut self, sh: &Shared, d: MediaData) {
        let now_ns = sh.now_ns();
        let audio = d.params.spec().codec.is_audio();
        let packets = d.seq_range.end().saturating_sub(**d.seq_range.start()) + 1;
        let l = &sh.live;
        l.packets.fetch_add(packets, Ordering::Relaxed);
        l.bytes.fetch_add(d.data.len() as u64, Ordering::Relaxed);
        if audio {
            l.audio_frames.fetch_add(1, Ordering::Relaxed);
        } else {
            l.video_frames.fetch_add(1, Ordering::Relaxed);
        }
        let Some(stamp) = media::decode(audio, &d.data) else {
            l.bad_payloads.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let set = self.tracks.entry((stamp.publisher, stamp.kind)).or_default();
        if !set.insert(stamp.seq) {
            l.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if !self.ready && self.tracks.len() >= self.expect_tracks {
            self.ready = true;
            l.subscribers_ready.fetch_add(1, Ordering::Relaxed);
        }
        if sh.in_window(stamp.sent_ns) {
            self.hist.saturating_record(media::latency_us(stamp.sent_ns, now_ns));
        }
    }

    /// Writes the frames that are due; whether it wrote any.
    fn write_due(&mut self, sh: &Shared, now: Instant) -> bool {
        let Some(s) = &mut self.sending else { return false };
        let mut wrote = false;
        if !s.started {
            // Stagger publishers over a frame so that they do not all write at once.
            let offset = Duration::from_micros((u64::from(s.publisher) * 7_919) % sh.video_period.as_micros() as u64);
            s.next_audio = now + offset;
            s.next_video = now + offset;
            s.next_key = now + offset;
            s.started = true;
            return false;
        }
        let p = &sh.publishers[s.publisher as usize];
        if let Some((mid, pt)) = &mut s.audio {
            if now.saturating_duration_since(s.next_audio) > MAX_BEHIND {
                sh.live.late_writes.fetch_add(1, Ordering::Relaxed);
                s.next_audio = now;
            }
            while s.next_audio <= now {
                let Some(writer) = self.rtc.writer(*mid) else { break };
                if pt.is_none() {
                    *pt = writer.payload_params().find(|p| p.spec().codec == Codec::Opus).map(|p| p.pt());
                }
                let Some(ptv) = *pt else { break };
                let sent_ns = sh.now_ns();
                let stamp = Stamp { publisher: s.publisher, kind: Kind::Audio, seq: s.audio_seq, sent_ns };
                let data = media::audio_packet(&stamp, sh.audio_bytes);
                let time = MediaTime::new(s.audio_seq * 960, Frequency::FORTY_EIGHT_KHZ);
                writer.write(ptv, now, time, data).ok();
                p.sent(Kind::Audio, s.audio_seq, sent_ns, sh);
                wrote = true;
                s.audio_seq += 1;
                s.next_audio += AUDIO_PERIOD;
            }
        }
        if let Some((mid, pt)) = &mut s.video {
            if now.saturating_duration_since(s.next_video) > MAX_BEHIND {
                sh.live.late_writes.fetch_add(1, Ordering::Relaxed);
                s.next_video = now;
            }
            while s.next_video <= now {
                let Some(writer) = self.rtc.writer(*mid) else { break };
                if pt.is_none() {
                    *pt = writer.payload_params().find(|p| p.spec().codec == Codec::Vp8).map(|p| p.pt());
                }
                let Some(ptv) = *pt else { break };
                let key = s.key_wanted || now >= s.next_key;
                if key {
                    s.key_wanted = false;
                    s.next_key = now + sh.keyframe_interval;
                    sh.live.keyframes_sent.fetch_add(1, Ordering::Relaxed);
                }
                let sent_ns = sh.now_ns();
                let stamp = Stamp { publisher: s.publisher, kind: Kind::Video, seq: s.video_seq, sent_ns };
                let data = media::video_frame(key, &stamp, sh.video_bytes);
                let time = MediaTime::new(s.video_seq * 90_000 / u64::from(sh.fps.max(1)), Frequency::NINETY_KHZ);
                writer.write(ptv, now, time, data).ok();
                p.sent(Kind::Video, s.video_seq, sent_ns, sh);
                wrote = true;
                s.video_seq += 1;
                s.next_video += sh.video_period;
            }
        }
        wrote
    }

    pub fn finish(self) -> PeerResult {
        PeerResult { hist: self.hist, tracks: self.tracks }
    }
}
