//! CAAS media: a selective forwarding unit on [str0m].
//!
//! - [`engine::Sfu`] — rooms, peers and forwarding as a state machine without
//!   I/O (datagrams, commands and time in; datagrams, signals and timeouts out).
//! - [`layers`], [`speakers`] — simulcast layer choice and active-speaker
//!   detection, pure and tested on simulated time.
//! - [`driver`] — the tokio side: one UDP socket, a worker per core, each
//!   owning whole rooms.

pub mod driver;
pub mod engine;
mod forward;
pub mod layers;
mod negotiate;
mod peer;
pub mod sdp;
pub mod speakers;
pub mod types;
mod upkeep;

pub use engine::{Sfu, SfuConfig, SfuOutput};
pub use types::{ParticipantId, ParticipantInfo, Permissions, RoomKey, SfuError, Source, TrackId, TrackInfo, Usage};
