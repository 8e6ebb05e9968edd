//! One participant's str0m peer connection and what flows through it: the
//! tracks it publishes and the others' tracks it receives.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::Rtc;
use str0m::change::SdpPendingOffer;
use str0m::media::{MediaKind, Mid, Rid};

use crate::layers::LayerSwitch;
use crate::types::{ParticipantId, Permissions, RoomKey, Source, TrackId, TrackInfo};

/// A simulcast layer without packets for this long counts as stopped (the
/// publisher's encoder drops layers when its bandwidth or CPU runs short).
pub const LAYER_STALE: Duration = Duration::from_millis(1500);

/// Shortest interval between two keyframe requests for one published layer.
pub const KEYFRAME_REQUEST_EVERY: Duration = Duration::from_millis(500);

/// A track this participant publishes.
pub(crate) struct TrackIn {
    pub id: TrackId,
    pub mid: Mid,
    pub kind: MediaKind,
    pub source: Source,
    pub muted: bool,
    /// Simulcast rids, lowest layer first (empty without simulcast).
    pub rids: Vec<Rid>,
    /// Bytes seen per layer since `rate_since`, and the last measured bitrates.
    pub layer_bytes: [u64; 3],
    pub layer_bps: [u64; 3],
    pub rate_since: Instant,
    /// When a packet of each layer last arrived.
    pub layer_seen: [Option<Instant>; 3],
    /// Last keyframe request per layer.
    pub last_keyframe_request: [Option<Instant>; 3],
}

impl TrackIn {
    pub fn info(&self) -> TrackInfo {
        TrackInfo {
            track_id: self.id.to_string(),
            kind: if self.kind == MediaKind::Audio { "audio" } else { "video" },
            source: self.source,
            muted: self.muted,
            simulcast: self.rids.len().max(1) as u8,
        }
    }

    /// The layer index of `rid` (0 without simulcast).
    pub fn layer_of(&self, rid: Option<Rid>) -> Option<usize> {
        match rid {
            None => Some(0),
            Some(r) if self.rids.is_empty() => Some(0).filter(|_| r.is_empty()),
            Some(r) => self.rids.iter().position(|x| *x == r),
        }
    }

    /// Which layers flow now (a packet within [`LAYER_STALE`]).
    pub fn available(&self, now: Instant) -> Vec<bool> {
        (0..self.rids.len().clamp(1, 3))
            .map(|l| self.layer_seen[l].is_some_and(|t| now.saturating_duration_since(t) <= LAYER_STALE))
            .collect()
    }

    /// The measured bitrates of the layers, lowest first.
    pub fn bitrates(&self) -> &[u64] {
        &self.layer_bps[..self.rids.len().clamp(1, 3)]
    }

    /// Whether a keyframe request for `layer` may go out now (and records it).
    pub fn keyframe_allowed(&mut self, layer: usize, now: Instant) -> bool {
        let slot = &mut self.last_keyframe_request[layer.min(2)];
        if slot.is_some_and(|t| now.saturating_duration_since(t) < KEYFRAME_REQUEST_EVERY) {
            return false;
        }
        *slot = Some(now);
        true
    }
}

/// Negotiation state of a track sent to this participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutState {
    /// Waiting for the next server offer.
    ToOpen,
    /// In a server offer not yet answered.
    Negotiating(Mid),
    /// Flowing.
    Open(Mid),
    /// To be removed in the next server offer.
    ToStop(Mid),
    /// Removal offered, not yet answered.
    NegotiatingStop(Mid),
}

impl OutState {
    pub fn mid(self) -> Option<Mid> {
        match self {
            OutState::ToOpen => None,
            OutState::Negotiating(m) | OutState::Open(m) | OutState::ToStop(m) | OutState::NegotiatingStop(m) => {
                Some(m)
            }
        }
    }
}

/// Another participant's track as sent to this one.
pub(crate) struct TrackOut {
    pub kind: MediaKind,
    pub state: OutState,
    /// Turned off with `call.subscribe`.
    pub enabled: bool,
    /// Asked-for size.
    pub max_height: Option<u32>,
    pub layers: LayerSwitch,
    /// Added to incoming RTP times so a layer switch keeps the timeline going.
    pub time_offset: u64,
    /// Last RTP time written, in the track's clock.
    pub last_time: Option<u64>,
    /// Wall-clock time given with the last frame written. str0m queues frames to
    /// packetize by this time, so it must never go back or frames would leave out
    /// of the order they were written in.
    pub last_wallclock: Option<std::time::Instant>,
}

/// One participant.
pub(crate) struct Peer {
    pub id: ParticipantId,
    /// Shared: the per-frame path clones it (a reference count, not two strings).
    pub room: std::sync::Arc<RoomKey>,
    pub user: String,
    pub perms: Permissions,
    pub rtc: Rtc,
    pub ufrag: String,
    /// Source addresses learned from STUN requests naming our ufrag, oldest
    /// first, each with whether str0m has sent to it (a check that passed).
    pub addrs: Vec<(SocketAddr, bool)>,
    /// The client's first offer has been answered (the server may offer now).
    pub negotiated: bool,
    /// A server offer waiting for its answer.
    pub pending: Option<(String, SdpPendingOffer)>,
    /// Sources the client named for its sending mids.
    pub sources: HashMap<String, Source>,
    pub tracks_in: HashMap<Mid, TrackIn>,
    /// Sending sections whose track was unpublished (they may send again).
    pub unpublished: std::collections::HashSet<Mid>,
    pub next_track: u32,
    pub tracks_out: HashMap<TrackId, TrackOut>,
    /// The receiving side's bandwidth estimate (TWCC), bits per second.
    pub bwe_bps: Option<u64>,
    /// The client's first data channel: in-call messages are relayed over it.
    pub channel: Option<str0m::channel::ChannelId>,
    pub timeout: Instant,
    pub joined_at: Instant,
    pub connected: bool,
    /// Last time media or an ICE check arrived.
    pub last_heard: Instant,
    /// Usage accounting: when the current stretch began, and whether video flowed in it.
    pub usage_mark: Instant,
    pub video_now: bool,
    pub audio_ms: u64,
    pub video_ms: u64,
    /// Media payload bytes forwarded to this participant.
    pub bytes_out: u64,
}

impl Peer {
    /// Adds the time since the last mark to audio or video usage.
    pub fn account(&mut self, now: Instant) {
        let ms = now.saturating_duration_since(self.usage_mark).as_millis() as u64;
        if self.video_now {
            self.video_ms += ms;
        } else {
            self.audio_ms += ms;
        }
        self.usage_mark = now;
    }

    /// Whether video flows to or from this participant now.
    pub fn has_video(&self) -> bool {
        self.tracks_in.values().any(|t| t.kind == MediaKind::Video && !t.muted)
            || self.tracks_out.values().any(|t| t.kind == MediaKind::Video && matches!(t.state, OutState::Open(_)))
    }

    /// Whether a server offer is due.
    pub fn needs_negotiation(&self) -> bool {
        self.negotiated
            && self.pending.is_none()
            && self.tracks_out.values().any(|t| matches!(t.state, OutState::ToOpen | OutState::ToStop(_)))
    }

    /// The track sent on `mid`.
    pub fn out_by_mid(&self, mid: Mid) -> Option<TrackId> {
        self.tracks_out.iter().find(|(_, t)| t.state.mid() == Some(mid)).map(|(id, _)| *id)
    }
}
