//! The HTTP floor every feature stands on: the error type and its JSON shape,
//! configuration, request observation (logs, metrics, traces), input helpers and
//! the wire types shared by several features. It imports no feature.

pub mod error;
pub mod handle;
pub mod input;
pub mod observe;
pub mod otlp;
pub mod wire;
