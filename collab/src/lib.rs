//! CAAS collaboration: documents on [yrs], spoken to with the y-websocket
//! protocol (y-protocols sync and awareness), so unmodified `yjs` +
//! `y-websocket` clients work.
//!
//! [`room::Room`] is one loaded document and its connections, as a state
//! machine without I/O: frames in, frames to send, updates to store and
//! messages for other nodes out. The server's thin tokio layer (in `api`)
//! feeds it sockets and the database.

pub mod content;
pub mod room;

pub use room::{ConnId, Limits, Output, Role, Room, RoomError};
