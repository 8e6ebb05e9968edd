//! CAAS real-time hub: the WebSocket envelope, heartbeats, the ordered live
//! fan-out of persistent events, and the event bus between nodes.
//!
//! Protocol logic is kept free of I/O (input in, output out) so it is tested on
//! simulated time; [`driver`] runs the hub on tokio.

pub mod bus;
pub mod driver;
pub mod heartbeat;
pub mod hub;
pub mod presence;
pub mod protocol;
pub mod typing;
