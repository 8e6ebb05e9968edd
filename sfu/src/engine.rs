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
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid, Rid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, IceCreds, Input, Output, Rtc};

use crate::layers::{LayerSwitch, target_layer};
use crate::peer::{OutState, Peer, TrackIn, TrackOut};
use crate::sdp;
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
        /// Why: `left`, `ice_timeout`, `failed`.
        reason: &'static str,
    },
}

struct Room {
    participants: Vec<ParticipantId>,
    speakers: SpeakerDetector<ParticipantId>,
}

/// Housekeeping period: reaping, bitrate measurement, speakers, renegotiation.
const TICK: Duration = Duration::from_millis(100);

/// The SFU engine for a set of rooms.
pub struct Sfu {
    config: SfuConfig,
    rooms: HashMap<RoomKey, Room>,
    peers: HashMap<ParticipantId, Peer>,
    by_ufrag: HashMap<String, ParticipantId>,
    by_addr: HashMap<SocketAddr, ParticipantId>,
    out: VecDeque<SfuOutput>,
    dirty: Vec<ParticipantId>,
    next_offer: u64,
    next_tick: Option<Instant>,
}

/// Simulcast rids sorted lowest layer first when they use the usual names.
fn order_rids(mut rids: Vec<Rid>) -> Vec<Rid> {
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

    /// Number of rooms.
    pub fn room_count(&self) -> usize {
        self.rooms.len()
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
            room: room.clone(),
            user: user.clone(),
            perms,
            rtc,
            ufrag: creds.ufrag.clone(),
            addr: None,
            negotiated: false,
            pending: None,
            sources: HashMap::new(),
            tracks_in: HashMap::new(),
            next_track: 0,
            tracks_out: HashMap::new(),
            bwe_bps: None,
            timeout: now,
            joined_at: now,
            connected: false,
            last_heard: now,
            usage_mark: now,
            video_now: false,
            audio_ms: 0,
            video_ms: 0,
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
            .or_insert_with(|| Room { participants: Vec::new(), speakers: Default::default() });
        for other in &room_entry.participants {
            self.out.push_back(SfuOutput::Signal {
                to: *other,
                event: "call.participant_joined",
                data: joined.clone(),
            });
        }
        room_entry.participants.push(p);
        self.by_ufrag.insert(peer.ufrag.clone(), p);
        self.peers.insert(p, peer);
        Ok(others)
    }

    /// Applies the client's offer; returns the server's answer.
    pub fn offer(
        &mut self,
        now: Instant,
        p: ParticipantId,
        offer_sdp: &str,
        sources: HashMap<String, Source>,
    ) -> Result<String, SfuError> {
        if offer_sdp.len() > sdp::MAX_SDP_BYTES {
            return Err(SfuError::InvalidSdp(format!("longer than {} bytes", sdp::MAX_SDP_BYTES)));
        }
        let peer = self.peers.get_mut(&p).ok_or(SfuError::NotJoined)?;
        // Check what is published against the grants before touching the connection.
        let mut resolved = HashMap::new();
        for section in sdp::sections(offer_sdp) {
            if !section.sends || section.rejected || section.kind == "application" {
                continue;
            }
            let mid = section.mid.clone().unwrap_or_default();
            let source = match sources.get(&mid) {
                Some(s) => *s,
                None if section.kind == "audio" => Source::Microphone,
                None => Source::Camera,
            };
            if source.is_audio() != (section.kind == "audio") {
                return Err(SfuError::InvalidSdp(format!(
                    "mid {mid}: a {} section cannot carry {source:?}",
                    section.kind
                )));
            }
            // A sending section the client already had stays allowed only if it still may publish.
            if !peer.perms.may_publish(source) {
                return Err(SfuError::Forbidden(format!("you may not publish {}", source_name(source))));
            }
            resolved.insert(mid, source);
        }
        let offer = SdpOffer::from_sdp_string(offer_sdp).map_err(|e| SfuError::InvalidSdp(e.to_string()))?;
        // A client offer wins over a pending server offer (glare): it is redone later.
        if peer.pending.take().is_some() {
            for t in peer.tracks_out.values_mut() {
                t.state = match t.state {
                    OutState::Negotiating(_) => OutState::ToOpen,
                    OutState::NegotiatingStop(m) => OutState::ToStop(m),
                    s => s,
                };
            }
        }
        peer.sources = resolved;
        let answer = peer.rtc.sdp_api().accept_offer(offer).map_err(|e| SfuError::InvalidSdp(e.to_string()))?;
        peer.negotiated = true;
        self.dirty.push(p);
        self.process(now);
        Ok(answer.to_sdp_string())
    }

    /// Applies the client's answer to server offer `offer_id`.
    pub fn answer(&mut self, now: Instant, p: ParticipantId, offer_id: &str, answer_sdp: &str) -> Result<(), SfuError> {
        let peer = self.peers.get_mut(&p).ok_or(SfuError::NotJoined)?;
        if peer.pending.as_ref().is_none_or(|(id, _)| id != offer_id) {
            return Err(SfuError::StaleOffer);
        }
        let answer = SdpAnswer::from_sdp_string(answer_sdp).map_err(|e| SfuError::InvalidSdp(e.to_string()))?;
        let Some((_, pending)) = peer.pending.take() else {
            return Err(SfuError::StaleOffer);
        };
        if let Err(e) = peer.rtc.sdp_api().accept_answer(pending, answer) {
            // The offer is gone either way; put its tracks back to be offered again.
            for t in peer.tracks_out.values_mut() {
                t.state = match t.state {
                    OutState::Negotiating(_) => OutState::ToOpen,
                    OutState::NegotiatingStop(m) => OutState::ToStop(m),
                    s => s,
                };
            }
            return Err(SfuError::InvalidSdp(e.to_string()));
        }
        let mut opened = Vec::new();
        peer.tracks_out.retain(|id, t| match t.state {
            OutState::Negotiating(m) => {
                t.state = OutState::Open(m);
                opened.push(*id);
                true
            }
            OutState::NegotiatingStop(_) => false,
            _ => true,
        });
        // New subscribers need a keyframe to start.
        for id in opened {
            self.request_keyframe_for(now, p, id);
        }
        self.dirty.push(p);
        self.process(now);
        Ok(())
    }

    /// Adds a trickled remote candidate (`candidate:…`, with or without `a=`).
    pub fn candidate(&mut self, p: ParticipantId, candidate: &str) -> Result<(), SfuError> {
        let peer = self.peers.get_mut(&p).ok_or(SfuError::NotJoined)?;
        let c = candidate.trim().trim_start_matches("a=");
        if c.is_empty() {
            return Ok(());
        }
        let parsed = Candidate::from_sdp_string(c).map_err(|e| SfuError::InvalidCandidate(e.to_string()))?;
        peer.rtc.add_remote_candidate(parsed);
        Ok(())
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
            for s in self.room_members(&room) {
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
            tracing::debug!(participant = %p, error = %e, "peer input failed");
            peer.rtc.disconnect();
        }
        peer.last_heard = now;
        if peer.addr != Some(source) && peer.connected {
            peer.addr = Some(source);
        }
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
        self.by_addr.insert(source, p);
        if let Some(peer) = self.peers.get_mut(&p) {
            if let Some(old) = peer.addr.replace(source) {
                if old != source {
                    self.by_addr.remove(&old);
                }
            }
        }
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

    fn room_members(&self, room: &RoomKey) -> Vec<ParticipantId> {
        self.rooms.get(room).map(|r| r.participants.clone()).unwrap_or_default()
    }

    fn broadcast(&mut self, room: &RoomKey, except: Option<ParticipantId>, event: &'static str, data: Value) {
        for p in self.room_members(room) {
            if Some(p) != except {
                self.out.push_back(SfuOutput::Signal { to: p, event, data: data.clone() });
            }
        }
    }

    fn tick(&mut self, now: Instant) {
        // Reap peers that never connected or went silent.
        let dead: Vec<(ParticipantId, &'static str)> = self
            .peers
            .values()
            .filter_map(|p| {
                if !p.rtc.is_alive() {
                    Some((p.id, "failed"))
                } else if !p.connected && now.saturating_duration_since(p.joined_at) > self.config.connect_timeout {
                    Some((p.id, "ice_timeout"))
                } else if p.connected && now.saturating_duration_since(p.last_heard) > self.config.idle_timeout {
                    Some((p.id, "ice_timeout"))
                } else {
                    None
                }
            })
            .collect();
        for (p, reason) in dead {
            self.remove(now, p, reason);
        }
        // Layer bitrates, once a second.
        let mut retarget = Vec::new();
        for peer in self.peers.values_mut() {
            for t in peer.tracks_in.values_mut() {
                let elapsed = now.saturating_duration_since(t.rate_since);
                if elapsed >= Duration::from_secs(1) {
                    for l in 0..3 {
                        t.layer_bps[l] = t.layer_bytes[l] * 8 * 1000 / elapsed.as_millis().max(1) as u64;
                        t.layer_bytes[l] = 0;
                    }
                    t.rate_since = now;
                    if t.rids.len() > 1 {
                        retarget.push(peer.room.clone());
                    }
                }
            }
            let video = peer.has_video();
            if video != peer.video_now {
                peer.account(now);
                peer.video_now = video;
            }
        }
        retarget.sort();
        retarget.dedup();
        for room in retarget {
            for p in self.room_members(&room) {
                self.retarget(now, p);
            }
        }
        // Active speakers.
        let mut reports = Vec::new();
        for (key, room) in &mut self.rooms {
            if let Some(speakers) = room.speakers.poll(now) {
                let list: Vec<Value> = speakers
                    .iter()
                    .map(|(p, level)| json!({"participant_id": p.to_string(), "level": level}))
                    .collect();
                reports.push((key.clone(), list));
            }
        }
        for (room, list) in reports {
            self.broadcast(&room, None, "call.speakers", json!({"room_id": room.room, "speakers": list}));
        }
        // Offers for tracks that came or went.
        let due: Vec<ParticipantId> = self.peers.values().filter(|p| p.needs_negotiation()).map(|p| p.id).collect();
        for p in due {
            self.renegotiate(p);
        }
    }

    fn renegotiate(&mut self, p: ParticipantId) {
        let offer_id = format!("o-{}", self.next_offer);
        self.next_offer += 1;
        let Some(peer) = self.peers.get_mut(&p) else {
            return;
        };
        let mut change = peer.rtc.sdp_api();
        let mut planned = Vec::new();
        for (id, t) in &peer.tracks_out {
            match t.state {
                OutState::ToOpen => {
                    let mid = change.add_media(
                        t.kind,
                        Direction::SendOnly,
                        Some(id.participant.to_string()),
                        Some(id.to_string()),
                        None,
                    );
                    planned.push((*id, OutState::Negotiating(mid)));
                }
                OutState::ToStop(mid) => {
                    change.stop_media(mid);
                    planned.push((*id, OutState::NegotiatingStop(mid)));
                }
                _ => {}
            }
        }
        let Some((offer, pending)) = change.apply() else {
            return;
        };
        for (id, state) in planned {
            if let Some(t) = peer.tracks_out.get_mut(&id) {
                t.state = state;
            }
        }
        peer.pending = Some((offer_id.clone(), pending));
        let tracks: serde_json::Map<String, Value> = peer
            .tracks_out
            .iter()
            .filter_map(|(id, t)| match t.state {
                OutState::Negotiating(m) | OutState::Open(m) => Some((
                    m.to_string(),
                    json!({"participant_id": id.participant.to_string(), "track_id": id.to_string()}),
                )),
                _ => None,
            })
            .collect();
        let data = json!({
            "room_id": peer.room.room, "offer_id": offer_id, "sdp": offer.to_sdp_string(), "tracks": tracks,
        });
        self.out.push_back(SfuOutput::Signal { to: p, event: "call.offer", data });
    }

    fn remove(&mut self, now: Instant, p: ParticipantId, reason: &'static str) {
        let Some(mut peer) = self.peers.remove(&p) else {
            return;
        };
        peer.rtc.disconnect();
        self.by_ufrag.remove(&peer.ufrag);
        if let Some(addr) = peer.addr {
            if self.by_addr.get(&addr) == Some(&p) {
                self.by_addr.remove(&addr);
            }
        }
        self.by_addr.retain(|_, v| *v != p);
        peer.account(now);
        let room_key = peer.room.clone();
        let empty = match self.rooms.get_mut(&room_key) {
            Some(room) => {
                room.participants.retain(|x| *x != p);
                room.speakers.remove(p);
                room.participants.is_empty()
            }
            None => true,
        };
        if empty {
            self.rooms.remove(&room_key);
        }
        // Others stop receiving its tracks.
        for other in self.room_members(&room_key) {
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
            room: room_key,
            user: peer.user,
            usage: Usage { audio_ms: peer.audio_ms, video_ms: peer.video_ms },
            reason,
        });
    }

    /// Polls every dirty peer until it has nothing more to say, handling what it says.
    fn process(&mut self, now: Instant) {
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
                        Ok(Output::Transmit(t)) => self.out.push_back(SfuOutput::Transmit {
                            from: t.source,
                            to: t.destination,
                            data: t.contents.to_vec(),
                        }),
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
            Event::MediaAdded(added) => {
                if added.direction.is_receiving() {
                    self.on_published(p, added.mid, added.kind, added.simulcast.map(|s| s.recv).unwrap_or_default());
                }
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
            _ => {}
        }
    }

    fn on_published(&mut self, p: ParticipantId, mid: Mid, kind: MediaKind, layers: Vec<str0m::media::SimulcastLayer>) {
        let Some(peer) = self.peers.get_mut(&p) else {
            return;
        };
        if peer.tracks_in.contains_key(&mid) {
            return;
        }
        let source = peer.sources.get(&mid.to_string()).copied().unwrap_or(if kind == MediaKind::Audio {
            Source::Microphone
        } else {
            Source::Camera
        });
        let id = TrackId { participant: p, n: peer.next_track };
        peer.next_track += 1;
        let now = peer.last_heard;
        let track = TrackIn {
            id,
            mid,
            kind,
            source,
            muted: false,
            rids: order_rids(layers.into_iter().map(|l| l.rid).collect()),
            layer_bytes: [0; 3],
            layer_bps: [0; 3],
            rate_since: now,
            last_keyframe_request: [None; 3],
        };
        let info = track.info();
        peer.tracks_in.insert(mid, track);
        let room = peer.room.clone();
        for other in self.room_members(&room) {
            if other == p {
                continue;
            }
            if let Some(op) = self.peers.get_mut(&other) {
                if op.perms.can_subscribe {
                    op.tracks_out.insert(id, new_out(kind));
                }
            }
        }
        self.broadcast(
            &room,
            Some(p),
            "call.track_published",
            json!({
                "room_id": room.room, "participant_id": p.to_string(), "track": info,
            }),
        );
    }

    fn forward(&mut self, now: Instant, p: ParticipantId, data: MediaData) {
        let Some(peer) = self.peers.get_mut(&p) else {
            return;
        };
        peer.last_heard = now;
        let room = peer.room.clone();
        let Some(track) = peer.tracks_in.get_mut(&data.mid) else {
            return;
        };
        let Some(layer) = track.layer_of(data.rid) else {
            return;
        };
        track.layer_bytes[layer.min(2)] += data.data.len() as u64;
        if track.muted {
            return;
        }
        let (id, kind) = (track.id, track.kind);
        let keyframe = data.is_keyframe();
        if kind == MediaKind::Audio {
            if let (Some(level), Some(r)) = (data.ext_vals.audio_level, self.rooms.get_mut(&room)) {
                r.speakers.record(now, p, level);
            }
        }
        if !data.contiguous && kind == MediaKind::Video {
            // A gap the publisher's retransmissions did not fill: ask for a fresh start.
            let rid = data.rid;
            if let Some(track) = self.peers.get_mut(&p).and_then(|peer| peer.tracks_in.get_mut(&data.mid)) {
                if track.keyframe_allowed(layer, now) {
                    if let Some(mut w) = self.peers.get_mut(&p).and_then(|peer| peer.rtc.writer(data.mid)) {
                        let _ = w.request_keyframe(rid, KeyframeRequestKind::Pli);
                    }
                }
            }
        }
        let clock = data.time.frequency();
        for s in self.room_members(&room) {
            if s == p {
                continue;
            }
            let Some(sp) = self.peers.get_mut(&s) else {
                continue;
            };
            let Some(out) = sp.tracks_out.get_mut(&id) else {
                continue;
            };
            let OutState::Open(mid) = out.state else {
                continue;
            };
            if !out.enabled {
                continue;
            }
            let mut switched = false;
            if kind == MediaKind::Video {
                let d = out.layers.on_frame(layer, keyframe);
                if !d.forward {
                    continue;
                }
                switched = d.switched;
            }
            let incoming = data.time.numer();
            if switched {
                // Continue the subscriber's timeline one frame (at 30 fps) after the last written.
                out.time_offset = match out.last_time {
                    Some(last) => last.wrapping_add(u64::from(clock.get()) / 30).wrapping_sub(incoming),
                    None => 0,
                };
            }
            let time = incoming.wrapping_add(out.time_offset);
            out.last_time = Some(time);
            let Some(writer) = sp.rtc.writer(mid) else {
                continue;
            };
            let Some(pt) = writer.match_params(data.params) else {
                continue;
            };
            let media_time = str0m::media::MediaTime::new(time, clock);
            if let Err(e) = writer.write(pt, data.network_time, media_time, data.data.clone()) {
                tracing::debug!(participant = %s, error = %e, "forwarding failed");
                continue;
            }
            self.dirty.push(s);
        }
    }

    /// Asks the publisher of `track` for a keyframe of the layer `subscriber` waits for.
    fn request_keyframe_for(&mut self, now: Instant, subscriber: ParticipantId, track: TrackId) {
        let layer = self
            .peers
            .get(&subscriber)
            .and_then(|sp| sp.tracks_out.get(&track))
            .map(|o| o.layers.target())
            .unwrap_or(0);
        let Some(publisher) = self.peers.get_mut(&track.participant) else {
            return;
        };
        let Some(t) = publisher.tracks_in.values_mut().find(|t| t.id == track) else {
            return;
        };
        if t.kind != MediaKind::Video || !t.keyframe_allowed(layer, now) {
            return;
        }
        let rid = t.rids.get(layer).copied();
        let mid = t.mid;
        if let Some(mut w) = publisher.rtc.writer(mid) {
            let _ = w.request_keyframe(rid, KeyframeRequestKind::Pli);
        }
        self.dirty.push(track.participant);
    }

    /// Recomputes the target layers of `p`'s video subscriptions.
    fn retarget(&mut self, now: Instant, p: ParticipantId) {
        let Some(peer) = self.peers.get(&p) else {
            return;
        };
        let videos = peer.tracks_out.values().filter(|t| t.kind == MediaKind::Video && t.enabled).count().max(1);
        let budget = peer.bwe_bps.map(|b| b * 9 / 10 / videos as u64);
        let plans: Vec<(TrackId, usize)> = peer
            .tracks_out
            .iter()
            .filter(|(_, t)| t.kind == MediaKind::Video)
            .map(|(id, t)| {
                let rates = self
                    .peers
                    .get(&id.participant)
                    .and_then(|pp| pp.tracks_in.values().find(|ti| ti.id == *id))
                    .map(|ti| ti.bitrates().to_vec())
                    .unwrap_or_else(|| vec![0]);
                (*id, target_layer(&rates, t.max_height, budget))
            })
            .collect();
        let mut need = Vec::new();
        if let Some(peer) = self.peers.get_mut(&p) {
            for (id, target) in plans {
                if let Some(t) = peer.tracks_out.get_mut(&id) {
                    if t.layers.set_target(target) && matches!(t.state, OutState::Open(_)) && t.enabled {
                        need.push(id);
                    }
                }
            }
        }
        for id in need {
            self.request_keyframe_for(now, p, id);
        }
    }
}

fn new_out(kind: MediaKind) -> TrackOut {
    TrackOut {
        kind,
        state: OutState::ToOpen,
        enabled: true,
        max_height: None,
        layers: LayerSwitch::default(),
        time_offset: 0,
        last_time: None,
    }
}

fn info_of(peer: &Peer) -> ParticipantInfo {
    let mut tracks: Vec<_> = peer.tracks_in.values().map(TrackIn::info).collect();
    tracks.sort_by(|a, b| a.track_id.cmp(&b.track_id));
    ParticipantInfo { participant_id: peer.id.to_string(), user_id: peer.user.clone(), tracks }
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::Microphone => "microphone",
        Source::Camera => "camera",
        Source::Screen => "screen",
        Source::ScreenAudio => "screen_audio",
    }
}
