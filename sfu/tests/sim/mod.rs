//! A simulated network for the engine: str0m client peers and the [`Sfu`]
//! exchange datagrams in memory while the test moves time; no sockets, no sleeps.

#![allow(dead_code)]
// Tests and benches fail loudly: these helpers unwrap, expect and panic like the tests using them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use caas_sfu::{ParticipantId, Permissions, RoomKey, Sfu, SfuConfig, SfuOutput, Source};
use serde_json::Value;
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::channel::{ChannelData, ChannelId};
use str0m::media::{Direction, MediaData, MediaKind, MediaTime, Mid, Rid, Simulcast, SimulcastLayer};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

pub const SFU: &str = "127.0.0.1:7000";

pub struct Peer {
    pub rtc: Rtc,
    pub addr: SocketAddr,
    pub id: ParticipantId,
    pub received: Vec<MediaData>,
    pub keyframe_requests: Vec<Option<Rid>>,
    pub connected: bool,
    pub open_tracks: usize,
    pub channel: Option<ChannelId>,
    pub channel_data: Vec<ChannelData>,
    pub signals: Vec<(&'static str, Value)>,
    /// A silent peer sends and receives nothing (a vanished client).
    pub silent: bool,
}

pub struct World {
    pub now: Instant,
    pub sfu: Sfu,
    pub peers: Vec<Peer>,
    /// Datagrams the peers sent to the SFU (the latest 2000), for mutation tests.
    pub captured: Vec<(SocketAddr, Vec<u8>)>,
    /// Participants the engine let go, with the reason.
    pub departures: Vec<(ParticipantId, &'static str)>,
    /// Their metered usage.
    pub usages: Vec<(ParticipantId, caas_sfu::Usage)>,
    /// While set, RTP datagrams (not RTCP, STUN or DTLS) from this address are lost.
    pub lose_rtp_from: Option<SocketAddr>,
}

/// Whether a datagram is RTP (RFC 7983 demultiplexing; RTCP payload types 192–223).
pub fn is_rtp(d: &[u8]) -> bool {
    d.len() > 1 && (128..192).contains(&d[0]) && !(192..=223).contains(&d[1])
}

pub fn frame(key: bool, layer: u8, n: u32) -> Vec<u8> {
    let mut f =
        if key { vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01] } else { vec![0x11, 0x02, 0x00] };
    f.push(layer);
    f.extend_from_slice(&n.to_be_bytes());
    f.extend(std::iter::repeat_n(layer, 300 * (usize::from(layer) + 1)));
    f
}

/// (layer, frame number) of a received frame.
pub fn tag(d: &MediaData) -> (u8, u32) {
    let head = if d.is_keyframe() { 10 } else { 3 };
    (d.data[head], u32::from_be_bytes(d.data[head + 1..head + 5].try_into().expect("4 bytes")))
}

impl World {
    pub fn new() -> World {
        let now = Instant::now();
        World {
            now,
            sfu: Sfu::new(SfuConfig::new(SFU.parse().expect("addr"))),
            peers: Vec::new(),
            captured: Vec::new(),
            departures: Vec::new(),
            usages: Vec::new(),
            lose_rtp_from: None,
        }
    }

    /// Joins participant `n` (address 127.0.0.1:10000+n); a publisher offers simulcast video.
    pub fn join(&mut self, n: u16, publish: bool) -> Option<Mid> {
        self.join_with(n, publish, false).0
    }

    /// Like [`World::join`], also publishing a microphone if `audio`; returns (video mid, audio mid).
    pub fn join_with(&mut self, n: u16, publish: bool, audio: bool) -> (Option<Mid>, Option<Mid>) {
        self.join_custom(n, publish, audio, Rtc::builder())
    }

    /// Like [`World::join_with`] with the client built from `builder` (e.g. other codecs).
    pub fn join_custom(
        &mut self,
        n: u16,
        publish: bool,
        audio: bool,
        builder: str0m::RtcConfig,
    ) -> (Option<Mid>, Option<Mid>) {
        let addr: SocketAddr = format!("127.0.0.1:{}", 10_000 + n).parse().expect("addr");
        let id = ParticipantId(u64::from(n));
        let room = RoomKey { app: "a".into(), room: "r".into() };
        self.sfu.join(self.now, id, room, format!("user{n}"), Permissions::default()).expect("join");
        let mut rtc = builder.build(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").expect("candidate"));
        let mut change = rtc.sdp_api();
        let mut mid = None;
        if publish {
            let mut sim = Simulcast::new();
            for rid in ["q", "h", "f"] {
                sim.add_send_layer(SimulcastLayer::new(rid));
            }
            mid = Some(change.add_media(MediaKind::Video, Direction::SendOnly, None, None, Some(sim)));
        }
        let audio_mid = audio.then(|| change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None));
        change.add_channel("c".into());
        let (offer, pending) = change.apply().expect("offer");
        let mut sources = mid.map(|m| (m.to_string(), Source::Camera)).into_iter().collect::<HashMap<_, _>>();
        if let Some(a) = audio_mid {
            sources.insert(a.to_string(), Source::Microphone);
        }
        let answer = self.sfu.offer(self.now, id, &offer.to_sdp_string(), sources).expect("answer");
        rtc.sdp_api().accept_answer(pending, SdpAnswer::from_sdp_string(&answer).expect("sdp")).expect("accepted");
        self.peers.push(Peer {
            rtc,
            addr,
            id,
            received: Vec::new(),
            keyframe_requests: Vec::new(),
            connected: false,
            open_tracks: 0,
            channel: None,
            channel_data: Vec::new(),
            signals: Vec::new(),
            silent: false,
        });
        (mid, audio_mid)
    }

    /// Moves time by `dt` and delivers everything in flight (no loss, no delay).
    pub fn advance(&mut self, dt: Duration) {
        self.now += dt;
        let now = self.now;
        for _ in 0..50 {
            let mut moved = false;
            for i in 0..self.peers.len() {
                let peer = &mut self.peers[i];
                if peer.silent {
                    continue;
                }
                peer.rtc.handle_input(Input::Timeout(now)).expect("timeout");
                loop {
                    match peer.rtc.poll_output().expect("output") {
                        Output::Timeout(_) => break,
                        Output::Transmit(t) => {
                            moved = true;
                            if self.captured.len() >= 2000 {
                                self.captured.remove(0);
                            }
                            self.captured.push((peer.addr, t.contents.to_vec()));
                            if self.lose_rtp_from == Some(peer.addr) && is_rtp(&t.contents) {
                                continue;
                            }
                            self.sfu.handle_receive(now, peer.addr, t.destination, &t.contents);
                        }
                        Output::Event(Event::Connected) => peer.connected = true,
                        Output::Event(Event::MediaData(d)) => peer.received.push(d),
                        Output::Event(Event::KeyframeRequest(r)) => peer.keyframe_requests.push(r.rid),
                        Output::Event(Event::ChannelOpen(id, _)) => peer.channel = Some(id),
                        Output::Event(Event::ChannelData(d)) => peer.channel_data.push(d),
                        Output::Event(_) => {}
                    }
                }
            }
            self.sfu.handle_timeout(now);
            while let Some(out) = self.sfu.poll_output() {
                match out {
                    SfuOutput::Transmit { from, to, data } => {
                        moved = true;
                        let Some(peer) = self.peers.iter_mut().find(|p| p.addr == to && !p.silent) else { continue };
                        let input = Input::Receive(
                            now,
                            Receive {
                                proto: Protocol::Udp,
                                source: from,
                                destination: to,
                                contents: data.as_slice().try_into().expect("datagram"),
                            },
                        );
                        peer.rtc.handle_input(input).expect("input");
                    }
                    SfuOutput::Signal { to, event: "call.offer", data } => {
                        moved = true;
                        let peer = self.peers.iter_mut().find(|p| p.id == to).expect("peer");
                        let offer = SdpOffer::from_sdp_string(data["sdp"].as_str().expect("sdp")).expect("offer");
                        let answer = peer.rtc.sdp_api().accept_offer(offer).expect("accept");
                        peer.open_tracks = data["tracks"].as_object().map_or(0, |t| t.len());
                        let offer_id = data["offer_id"].as_str().expect("id").to_owned();
                        self.sfu.answer(now, to, &offer_id, &answer.to_sdp_string()).expect("answer");
                    }
                    SfuOutput::Signal { to, event, data } => {
                        if let Some(peer) = self.peers.iter_mut().find(|p| p.id == to) {
                            peer.signals.push((event, data));
                        }
                    }
                    SfuOutput::Left { participant, reason, usage, .. } => {
                        self.departures.push((participant, reason));
                        self.usages.push((participant, usage));
                    }
                }
            }
            if !moved {
                break;
            }
        }
    }

    /// Advances in 10 ms steps until `done` (at most `limit` of simulated time).
    pub fn until(&mut self, limit: Duration, what: &str, done: impl Fn(&World) -> bool) {
        let end = self.now + limit;
        while !done(self) {
            assert!(self.now < end, "simulated time ran out waiting for: {what}");
            self.advance(Duration::from_millis(10));
        }
    }

    /// The publisher sends frame `n` on every layer; `keys` says which layers get a keyframe.
    pub fn send(&mut self, mid: Mid, n: u32, keys: [bool; 3]) {
        self.send_layers(mid, n, keys, [true; 3]);
    }

    /// Like [`World::send`], on the layers marked in `layers` only.
    pub fn send_layers(&mut self, mid: Mid, n: u32, keys: [bool; 3], layers: [bool; 3]) {
        let now = self.now;
        let peer = &mut self.peers[0];
        for (layer, rid) in ["q", "h", "f"].into_iter().enumerate() {
            if !layers[layer] {
                continue;
            }
            let writer = peer.rtc.writer(mid).expect("writer").rid(Rid::from(rid));
            let pt = writer.payload_params().next().expect("vp8").pt();
            let data = frame(keys[layer], layer as u8, n);
            writer.write(pt, now, MediaTime::from_90khz(u64::from(n) * 3000), data).expect("write");
        }
    }
}
