//! The SFU as a state machine without I/O: datagrams, signaling commands and
//! time go in; datagrams to send, signals for participants and timeouts come
//! out. A driver (see [`crate::driver`]) owns the socket and the clock.
//!
//! Demultiplexing is O(1): a datagram from a known address goes to its peer
//! through one hash lookup; a STUN binding request from a new address is
//! routed by the ICE username (our ufrag, unique per peer), and its address is
//! remembered. Anything else is dropped.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use str0m::bwe::BweKind;
use str0m::media::{MediaKind, Rid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, IceCreds, Input, Output, Rtc};

use crate::layers::LayerSwitch;
use crate::peer::{OutState, Peer, TrackIn, TrackOut};
use crate::speakers::SpeakerDetector;
use crate::types::{ParticipantId, ParticipantInfo, Permissions, RoomKey, SfuError, Source, TrackId, Usage};

/// Settings of one engine.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// The address peers send media to (the advertised host candidate).
    pub public_addr: SocketAddr,
    /// Most participants in one room.
    pub max_participants: usize,
    /// A peer that has not completed ICE after this long is removed.
    pub connect_timeout: Duration,
    /// A connected peer not heard from for this long is removed.
    pub idle_timeout: Duration,
    /// Appended to every local ICE ufrag (ICE characters only), so a front
    /// demultiplexer can tell which engine a STUN request is for.
    pub ufrag_suffix: String,
}

impl SfuConfig {
    /// Defaults for `public_addr`.
    pub fn new(public_addr: SocketAddr) -> SfuConfig {
        SfuConfig {
            public_addr,
            max_participants: 50,
            connect_timeout: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(10),
            ufrag_suffix: String::new(),
        }
    }
}

/// Something for the driver to do.
#[derive(Debug)]
pub enum SfuOutput {
    /// Send a datagram.
    Transmit {
        /// From this local address.
        from: SocketAddr,
        /// To this peer address.
        to: SocketAddr,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Push an event to a participant's signaling connection.
    Signal {
        /// The participant.
        to: ParticipantId,
        /// Event name, e.g. `call.participant_joined`.
        event: &'static str,
        /// Event data.
        data: Value,
    },
    /// A participant is gone (left, reaped or failed); its metering.
    Left {
        /// The participant.
        participant: ParticipantId,
        /// Its room.
        room: RoomKey,
        /// Its user.
        user: String,
        /// Time spent.
        usage: Usage,
        /// Why: `left`, `ice_timeout` (never connected, or went silent) or
        /// `disconnected` (the connection failed after it was up).
        reason: &'static str,
        /// It was the room's last participant (the call ended).
        last: bool,
    },
}

pub(crate) struct Room {
    /// Shared so the per-frame fan-out can walk it without copying (changed only on join and leave).
    pub(crate) participants: std::sync::Arc<Vec<ParticipantId>>,
    pub(crate) speakers: SpeakerDetector<ParticipantId>,
}

/// Unconfirmed source addresses remembered per peer.
const MAX_ADDRS_PER_PEER: usize = 4;

/// Housekeeping period: reaping, bitrate measurement, speakers, renegotiation.
const TICK: Duration = Duration::from_millis(100);

/// The SFU engine for a set of rooms.
pub struct Sfu {
    pub(crate) config: SfuConfig,
    pub(crate) rooms: HashMap<RoomKey, Room>,
    pub(crate) peers: HashMap<ParticipantId, Peer>,
    pub(crate) by_ufrag: HashMap<String, ParticipantId>,
    pub(crate) by_addr: HashMap<SocketAddr, ParticipantId>,
    pub(crate) out: VecDeque<SfuOutput>,
    pub(crate) dirty: Vec<ParticipantId>,
    pub(crate) next_offer: u64,
    pub(crate) next_tick: Option<Instant>,
    pub(crate) counters: SfuCounters,
}

/// Running totals of the media the engine handled, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SfuCounters {
    /// Media packets received from publishers.
    pub packets_in: u64,
    /// Their payload bytes.
    pub bytes_in: u64,
    /// Packets written to subscribers.
    pub packets_forwarded: u64,
    /// Their payload bytes.
    pub bytes_forwarded: u64,
    /// Video packets that arrived after a gap retransmissions did not fill (loss seen by the SFU).
    pub video_gaps: u64,
}

/// Simulcast rids sorted lowest layer first when they use the usual names.
pub(crate) fn order_rids(mut rids: Vec<Rid>) -> Vec<Rid> {
    let rank = |r: &Rid| match &**r {
        "q" | "l" | "low" | "0" => Some(0),
        "h" | "m" | "mid" | "1" => Some(1),
        "f" | "hi" | "high" | "2" => Some(2),
        _ => None,
    };
    if rids.iter().all(|r| rank(r).is_some()) {
        rids.sort_by_key(|r| rank(r));
    }
    rids.truncate(3);
    rids
}

impl Sfu {
    /// An engine with no rooms.
    pub fn new(config: SfuConfig) -> Sfu {
        Sfu {
            counters: SfuCounters::default(),
            config,
            rooms: HashMap::new(),
            peers: HashMap::new(),
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
            out: VecDeque::new(),
            dirty: Vec::new(),
            next_offer: 1,
            next_tick: None,
        }
    }

    /// The advertised media address.
    pub fn public_addr(&self) -> Option<SocketAddr> {
        Some(self.config.public_addr)
    }

    /// Number of participants.
    pub fn participant_count(&self) -> usize {
        self.peers.len()
    }

    /// Totals of the media handled so far.
    pub fn counters(&self) -> SfuCounters {
        self.counters
    }

    /// Tracks published in all rooms.
    pub fn track_count(&self) -> usize {
        self.peers.values().map(|p| p.tracks_in.len()).sum()
    }

    /// Number of rooms.
    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    /// The rooms with participants, and how many each has.
    pub fn rooms(&self) -> Vec<(RoomKey, usize)> {
        self.rooms.iter().map(|(k, r)| (k.clone(), r.participants.len())).collect()
    }

    /// The ICE ufrag of a participant (for the driver's demultiplexer).
    pub fn ufrag(&self, p: ParticipantId) -> Option<&str> {
        self.peers.get(&p).map(|peer| peer.ufrag.as_str())
    }

    /// Adds `p` (user `user`) to `room`; returns the others already there.
    pub fn join(
        &mut self,
        now: Instant,
        p: ParticipantId,
        room: RoomKey,
        user: String,
        perms: Permissions,
    ) -> Result<Vec<ParticipantInfo>, SfuError> {
        let count = self.rooms.get(&room).map_or(0, |r| r.participants.len());
        if count >= self.config.max_participants {
            return Err(SfuError::RoomFull(self.config.max_participants));
        }
        let mut creds = IceCreds::new();
        creds.ufrag.push_str(&self.config.ufrag_suffix);
        let mut rtc = Rtc::builder()
            .set_ice_lite(true)
            .set_local_ice_credentials(creds.clone())
            .enable_bwe(Some(str0m::bwe::Bitrate::kbps(1_500)))
            .build(now);
        let candidate = Candidate::host(self.config.public_addr, "udp")
            .map_err(|e| SfuError::InvalidCandidate(format!("server address: {e}")))?;
        rtc.add_local_candidate(candidate);
        let others: Vec<ParticipantInfo> = self
            .rooms
            .get(&room)
            .map(|r| r.participants.iter().filter_map(|o| self.peers.get(o)).map(info_of).collect())
            .unwrap_or_default();
        let mut peer = Peer {
            id: p,
            room: std::sync::Arc::new(room.clone()),
            user: user.clone(),
            perms,
            rtc,
            ufrag: creds.ufrag.clone(),
            addrs: Vec::new(),
            negotiated: false,
            pending: None,
            sources: HashMap::new(),
            tracks_in: HashMap::new(),
            unpublished: Default::default(),
            next_track: 0,
            tracks_out: HashMap::new(),
            bwe_bps: None,
            channel: None,
            timeout: now,
            joined_at: now,
            connected: false,
            last_heard: now,
            usage_mark: now,
            video_now: false,
            audio_ms: 0,
            video_ms: 0,
            bytes_out: 0,
        };
        // The newcomer receives what the others publish.
        if peer.perms.can_subscribe {
            for other in others.iter().flat_map(|o| o.tracks.iter()) {
                if let Ok(id) = other.track_id.parse::<TrackId>() {
                    let kind = if other.kind == "audio" { MediaKind::Audio } else { MediaKind::Video };
                    peer.tracks_out.insert(id, new_out(kind));
                }
            }
        }
        let joined = json!({
            "room_id": room.room,
            "participant": {"participant_id": p.to_string(), "user_id": user, "tracks": []},
        });
        let room_entry = self
            .rooms
            .entry(room.clone())
            .or_insert_with(|| Room { participants: Default::default(), speakers: Default::default() });
        for other in room_entry.participants.iter() {
            self.out.push_back(SfuOutput::Signal {
                to: *other,
                event: "call.participant_joined",
                data: joined.clone(),
            });
        }
        std::sync::Arc::make_mut(&mut room_entry.participants).push(p);
        self.by_ufrag.insert(peer.ufrag.clone(), p);
        self.peers.insert(p, peer);
        Ok(others)
    }

    /// Mutes or unmutes one of `p`'s own tracks.
    pub fn mute(&mut self, now: Instant, p: ParticipantId, track: &str, muted: bool) -> Result<(), SfuError> {
        let id: TrackId = track.parse().map_err(|_| SfuError::UnknownTrack)?;
        let peer = self.peers.get_mut(&p).ok_or(SfuError::NotJoined)?;
        let t = peer.tracks_in.values_mut().find(|t| t.id == id).ok_or(SfuError::UnknownTrack)?;
        if t.muted == muted {
            return Ok(());
        }
        t.muted = muted;
        let (room, kind) = (peer.room.clone(), t.kind);
        if !muted && kind == MediaKind::Video {
            // Subscribers restart on a keyframe.
            for &s in self.room_members(&room).iter() {
                if let Some(out) = self.peers.get_mut(&s).and_then(|sp| sp.tracks_out.get_mut(&id)) {
                    out.layers = LayerSwitch::default();
                }
                self.request_keyframe_for(now, s, id);
            }
        }
        self.broadcast(
            &room,
            Some(p),
            "call.track_muted",
            json!({
                "room_id": room.room, "participant_id": p.to_string(), "track_id": track, "muted": muted,
            }),
        );
        Ok(())
    }

    /// Turns a remote track on or off for `p`, or asks for a smaller layer.
    pub fn subscribe(
        &mut self,
        now: Instant,
        p: ParticipantId,
        track: &str,
        enabled: Option<bool>,
        max_height: Option<u32>,
    ) -> Result<(), SfuError> {
        let id: TrackId = track.parse().map_err(|_| SfuError::UnknownTrack)?;
        let peer = self.peers.get_mut(&p).ok_or(SfuError::NotJoined)?;
        let out = peer.tracks_out.get_mut(&id).ok_or(SfuError::UnknownTrack)?;
        if let Some(e) = enabled {
            if e && !out.enabled {
                out.layers = LayerSwitch::default();
            }
            out.enabled = e;
        }
        if max_height.is_some() {
            out.max_height = max_height;
        }
        self.retarget(now, p);
        Ok(())
    }

    /// Removes `p` from its room.
    pub fn leave(&mut self, now: Instant, p: ParticipantId) {
        self.remove(now, p, "left");
    }

    /// A datagram arrived on the socket.
    pub fn handle_receive(&mut self, now: Instant, source: SocketAddr, destination: SocketAddr, data: &[u8]) {
        let Some(p) = self.route(source, data) else {
            return;
        };
        let Ok(contents) = data.try_into() else {
            return;
        };
        let input = Input::Receive(now, Receive { proto: Protocol::Udp, source, destination, contents });
        let Some(peer) = self.peers.get_mut(&p) else {
            return;
        };
        if !peer.rtc.accepts(&input) {
            return;
        }
        if let Err(e) = peer.rtc.handle_input(input) {
            // A bad datagram (corrupt, forged from the peer's address) is
            // dropped; it never ends the peer's call.
            tracing::debug!(participant = %p, error = %e, "datagram refused");
            return;
        }
        peer.last_heard = now;
        self.dirty.push(p);
        self.process(now);
    }

    /// Which peer a datagram from `source` is for: by address, else (STUN only) by ufrag.
    fn route(&mut self, source: SocketAddr, data: &[u8]) -> Option<ParticipantId> {
        if let Some(p) = self.by_addr.get(&source) {
            return Some(*p);
        }
        // RFC 7983: STUN starts with 0 or 1.
        if data.first().is_none_or(|b| *b > 3) {
            return None;
        }
        let msg = str0m::ice::StunMessage::parse(data).ok()?;
        let (local, _remote) = msg.split_username()?;
        let p = *self.by_ufrag.get(local)?;
        // Learn the address as tentative, without forgetting the others: a
        // forged request (str0m rejects it, failing integrity) must not unroute
        // the real one. An address becomes confirmed when str0m sends to it
        // (it answers only checks that pass); only tentative ones are evicted.
        let peer = self.peers.get_mut(&p)?;
        if peer.addrs.iter().filter(|(_, confirmed)| !confirmed).count() >= MAX_ADDRS_PER_PEER
            && let Some(i) = peer.addrs.iter().position(|(_, confirmed)| !confirmed)
        {
            let (old, _) = peer.addrs.remove(i);
            self.by_addr.remove(&old);
        }
        if peer.addrs.len() >= 4 * MAX_ADDRS_PER_PEER {
            // Many confirmed moves (a roaming client): forget the oldest.
            let (old, _) = peer.addrs.remove(0);
            self.by_addr.remove(&old);
        }
        peer.addrs.push((source, false));
        self.by_addr.insert(source, p);
        Some(p)
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<ParticipantId> = self.peers.iter().filter(|(_, p)| p.timeout <= now).map(|(id, _)| *id).collect();
        self.dirty.extend(due);
        if self.next_tick.is_none_or(|t| t <= now) {
            self.next_tick = Some(now + TICK);
            self.tick(now);
        }
        self.process(now);
    }

    /// The next output to carry out.
    pub fn poll_output(&mut self) -> Option<SfuOutput> {
        self.out.pop_front()
    }

    /// When to call [`Sfu::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let peers = self.peers.values().map(|p| p.timeout).min();
        match (peers, self.next_tick) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(crate) fn room_members(&self, room: &RoomKey) -> std::sync::Arc<Vec<ParticipantId>> {
        self.rooms.get(room).map(|r| r.participants.clone()).unwrap_or_default()
    }

    pub(crate) fn broadcast(
        &mut self,
        room: &RoomKey,
        except: Option<ParticipantId>,
        event: &'static str,
        data: Value,
    ) {
        for &p in self.room_members(room).iter() {
            if Some(p) != except {
                self.out.push_back(SfuOutput::Signal { to: p, event, data: data.clone() });
            }
        }
    }

    pub(crate) fn remove(&mut self, now: Instant, p: ParticipantId, reason: &'static str) {
        let Some(mut peer) = self.peers.remove(&p) else {
            return;
        };
        peer.rtc.disconnect();
        self.by_ufrag.remove(&peer.ufrag);
        for (addr, _) in &peer.addrs {
            if self.by_addr.get(addr) == Some(&p) {
                self.by_addr.remove(addr);
            }
        }
        peer.account(now);
        let room_key = peer.room.clone();
        let empty = match self.rooms.get_mut(&room_key) {
            Some(room) => {
                std::sync::Arc::make_mut(&mut room.participants).retain(|x| *x != p);
                room.speakers.remove(p);
                room.participants.is_empty()
            }
            None => true,
        };
        if empty {
            self.rooms.remove(&room_key);
        }
        // Others stop receiving its tracks.
        for &other in self.room_members(&room_key).iter() {
            if let Some(op) = self.peers.get_mut(&other) {
                op.tracks_out.retain(|id, t| {
                    if id.participant != p {
                        return true;
                    }
                    match t.state {
                        OutState::ToOpen => false,
                        OutState::Negotiating(m) | OutState::Open(m) | OutState::ToStop(m) => {
                            t.state = OutState::ToStop(m);
                            true
                        }
                        OutState::NegotiatingStop(_) => true,
                    }
                });
            }
        }
        self.broadcast(
            &room_key,
            None,
            "call.participant_left",
            json!({
                "room_id": room_key.room, "participant_id": p.to_string(),
            }),
        );
        self.out.push_back(SfuOutput::Left {
            participant: p,
            room: (*room_key).clone(),
            user: peer.user,
            usage: Usage { audio_ms: peer.audio_ms, video_ms: peer.video_ms, bytes_out: peer.bytes_out },
            reason,
            last: empty,
        });
    }

    /// Polls every dirty peer until it has nothing more to say, handling what it says.
    pub(crate) fn process(&mut self, now: Instant) {
        let mut guard = 0;
        while let Some(p) = self.dirty.pop() {
            guard += 1;
            if guard > 10_000 {
                // Cannot happen with a finite room; never spin forever.
                tracing::warn!("sfu processing did not settle");
                self.dirty.clear();
                break;
            }
            let mut events = Vec::new();
            {
                let Some(peer) = self.peers.get_mut(&p) else {
                    continue;
                };
                if let Err(e) = peer.rtc.handle_input(Input::Timeout(now)) {
                    tracing::debug!(participant = %p, error = %e, "peer timeout failed");
                    peer.rtc.disconnect();
                }
                loop {
                    if !peer.rtc.is_alive() {
                        peer.timeout = now;
                        break;
                    }
                    match peer.rtc.poll_output() {
                        Ok(Output::Timeout(t)) => {
                            peer.timeout = t;
                            break;
                        }
                        Ok(Output::Transmit(t)) => {
                            if let Some(a) = peer.addrs.iter_mut().find(|(a, _)| *a == t.destination) {
                                a.1 = true;
                            }
                            self.out.push_back(SfuOutput::Transmit {
                                from: t.source,
                                to: t.destination,
                                data: t.contents.to_vec(),
                            })
                        }
                        Ok(Output::Event(e)) => events.push(e),
                        Err(e) => {
                            tracing::debug!(participant = %p, error = %e, "peer failed");
                            peer.rtc.disconnect();
                            peer.timeout = now;
                            break;
                        }
                    }
                }
            }
            for e in events {
                self.on_event(now, p, e);
            }
            self.dirty.sort_unstable();
            self.dirty.dedup();
        }
    }

    fn on_event(&mut self, now: Instant, p: ParticipantId, e: Event) {
        match e {
            Event::IceConnectionStateChange(state) => {
                if let Some(peer) = self.peers.get_mut(&p) {
                    match state {
                        IceConnectionState::Connected | IceConnectionState::Completed => peer.connected = true,
                        IceConnectionState::Disconnected => peer.rtc.disconnect(),
                        _ => {}
                    }
                }
            }
            Event::MediaAdded(added) if added.direction.is_receiving() => {
                self.on_published(p, added.mid, added.kind, added.simulcast.map(|s| s.recv).unwrap_or_default());
            }
            Event::MediaData(data) => self.forward(now, p, data),
            Event::KeyframeRequest(req) => {
                let Some(track) = self.peers.get(&p).and_then(|peer| peer.out_by_mid(req.mid)) else {
                    return;
                };
                self.request_keyframe_for(now, p, track);
            }
            Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. }) => {
                if let Some(peer) = self.peers.get_mut(&p) {
                    peer.bwe_bps = Some(estimate.as_u64());
                }
                self.retarget(now, p);
            }
            Event::ChannelOpen(id, _label) => {
                if let Some(peer) = self.peers.get_mut(&p) {
                    peer.channel.get_or_insert(id);
                }
            }
            Event::ChannelData(d) => self.relay(p, d),
            _ => {}
        }
    }
}

pub(crate) fn new_out(kind: MediaKind) -> TrackOut {
    TrackOut {
        kind,
        state: OutState::ToOpen,
        enabled: true,
        max_height: None,
        layers: LayerSwitch::default(),
        time_offset: 0,
        last_time: None,
        last_wallclock: None,
    }
}

fn info_of(peer: &Peer) -> ParticipantInfo {
    let mut tracks: Vec<_> = peer.tracks_in.values().map(TrackIn::info).collect();
    tracks.sort_by(|a, b| a.track_id.cmp(&b.track_id));
    ParticipantInfo { participant_id: peer.id.to_string(), user_id: peer.user.clone(), tracks }
}

pub(crate) fn source_name(s: Source) -> &'static str {
    match s {
        Source::Microphone => "microphone",
        Source::Camera => "camera",
        Source::Screen => "screen",
        Source::ScreenAudio => "screen_audio",
    }
}
