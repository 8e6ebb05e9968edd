//! Identifiers, permissions and the descriptions of participants and tracks
//! that signaling sends to clients.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A participant: one connection in one room, unique within the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId(pub u64);

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p-{}", self.0)
    }
}

/// A published track: its publisher and a number within the publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackId {
    /// Who publishes it.
    pub participant: ParticipantId,
    /// Its number among the publisher's tracks.
    pub n: u32,
}

impl fmt::Display for TrackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t-{}-{}", self.participant.0, self.n)
    }
}

impl FromStr for TrackId {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let rest = s.strip_prefix("t-").ok_or(())?;
        let (p, n) = rest.split_once('-').ok_or(())?;
        Ok(TrackId { participant: ParticipantId(p.parse().map_err(|_| ())?), n: n.parse().map_err(|_| ())? })
    }
}

/// A room: an app's room id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomKey {
    /// The app.
    pub app: String,
    /// The room id within the app.
    pub room: String,
}

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A microphone.
    Microphone,
    /// A camera.
    Camera,
    /// A shared screen or window.
    Screen,
    /// The sound of a shared screen.
    ScreenAudio,
}

impl Source {
    /// All sources.
    pub const ALL: [Source; 4] = [Source::Microphone, Source::Camera, Source::Screen, Source::ScreenAudio];

    /// Whether the source is audio.
    pub fn is_audio(self) -> bool {
        matches!(self, Source::Microphone | Source::ScreenAudio)
    }
}

/// What a participant may do, from the session token's `grants.call`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// May send media.
    pub can_publish: bool,
    /// May receive media.
    pub can_subscribe: bool,
    /// The sources it may publish.
    pub sources: Vec<Source>,
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions { can_publish: true, can_subscribe: true, sources: Source::ALL.to_vec() }
    }
}

impl Permissions {
    /// Whether the participant may publish `source`.
    pub fn may_publish(&self, source: Source) -> bool {
        self.can_publish && self.sources.contains(&source)
    }
}

/// A track as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackInfo {
    /// `t-…`.
    pub track_id: String,
    /// `audio` or `video`.
    pub kind: &'static str,
    /// What it carries.
    pub source: Source,
    /// Muted by its publisher.
    pub muted: bool,
    /// Simulcast layers (1 without simulcast).
    pub simulcast: u8,
}

/// A participant as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParticipantInfo {
    /// `p-…`.
    pub participant_id: String,
    /// The end user.
    pub user_id: String,
    /// Its published tracks.
    pub tracks: Vec<TrackInfo>,
}

/// Time a participant spent in a call, for metering.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Milliseconds in the call with audio only.
    pub audio_ms: u64,
    /// Milliseconds in the call while video was sent or received.
    pub video_ms: u64,
    /// Media payload bytes forwarded to this participant (egress).
    pub bytes_out: u64,
}

/// Why an operation was refused (serializable: another node's SFU may have refused it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SfuError {
    /// The participant is not in a room (left, reaped, never joined).
    #[error("not in this call")]
    NotJoined,
    /// The room has its maximum number of participants.
    #[error("the room is full ({0} participants)")]
    RoomFull(usize),
    /// The SDP does not parse or is not acceptable.
    #[error("invalid SDP: {0}")]
    InvalidSdp(String),
    /// Publishing something the grants do not allow.
    #[error("{0}")]
    Forbidden(String),
    /// An answer to an offer that is no longer pending.
    #[error("this offer is no longer pending")]
    StaleOffer,
    /// A candidate that does not parse.
    #[error("invalid ICE candidate: {0}")]
    InvalidCandidate(String),
    /// A track id that names no track of the room (or not one's own).
    #[error("no such track")]
    UnknownTrack,
}

impl SfuError {
    /// The contract's error code.
    pub fn code(&self) -> &'static str {
        match self {
            SfuError::NotJoined => "not_joined",
            SfuError::RoomFull(_) => "room_full",
            SfuError::InvalidSdp(_) => "invalid_sdp",
            SfuError::Forbidden(_) => "forbidden",
            SfuError::StaleOffer => "stale_offer",
            SfuError::InvalidCandidate(_) => "invalid_candidate",
            SfuError::UnknownTrack => "not_found",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_ids_round_trip() {
        let t = TrackId { participant: ParticipantId(42), n: 3 };
        assert_eq!(t.to_string(), "t-42-3");
        assert_eq!("t-42-3".parse::<TrackId>(), Ok(t));
        for bad in ["", "t-", "t-1", "x-1-2", "t-a-1", "t-1-b", "t-1-2-3"] {
            assert!(bad.parse::<TrackId>().is_err(), "{bad}");
        }
    }
}
