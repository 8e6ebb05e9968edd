//! CAAS collaboration: documents on [yrs], spoken to with the y-websocket
//! protocol (y-protocols sync and awareness), so unmodified `yjs` +
//! `y-websocket` clients work.
//!
//! - [`room::Room`] is one loaded document and its connections, as a state
//!   machine without I/O: frames in, frames to send, updates to store and
//!   messages for other nodes out.
//! - [`driver::Collab`] runs rooms on tokio, one task per loaded document:
//!   it stores updates through a [`driver::DocStore`] (the server implements it
//!   over its database) before sending them, batches, compacts, hibernates idle
//!   documents, and rechecks roles.
//! - [`relay`] carries frames and control messages between the nodes of a
//!   cluster (Redis pub/sub), in a wire format of its own.
//!
//! The server's WebSocket layer stays thin: it checks who may open a document,
//! then moves bytes between the socket and a [`driver::Connection`].

#![deny(missing_docs)]

pub mod content;
pub mod driver;
pub mod relay;
pub mod room;

pub use driver::{Collab, Connection, DocStatus, DocStore, DriverError, Outbound, StoredDoc};
pub use relay::{Publisher, RelayError};
pub use room::{ConnId, Limits, Output, Role, Room, RoomError};
