//! The HTTP floor every feature stands on: the error type and its JSON shape,
//! request observation (logs, metrics, traces), input helpers for REST and
//! WebSocket ops, the wire types shared by several features, and the macro of
//! features' state handles. It imports nothing else of the crate.

pub mod error;
pub mod handle;
pub mod input;
pub mod observe;
pub mod otlp;
pub mod serve;
pub mod wire;
