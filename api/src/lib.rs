//! CAAS public gateway: the axum router, REST handlers, authentication (API
//! secrets, IP and origin allowlists, session JWTs), tenancy, OpenAPI and metrics.
//! The `caas` binary (`src/main.rs`) serves it and manages apps from the command line.
//!
//! The tree shows the layers: `http` (errors, observation, input and wire
//! types), `gate` (who is calling) and `config` import no feature; `live` is the
//! real-time fan-out the features publish through; each feature folder owns its
//! routes, its WebSocket ops and its handle; `state` and `server` compose them.

pub mod gate;
pub mod http;
pub mod live;

pub mod admin;
pub mod apps;
pub mod billing;
pub mod calendar;
pub mod calls;
pub mod chat;
pub mod collab;
pub mod config;
pub mod console;
pub mod demo;
pub mod feeds;
pub mod files;
pub mod notify;
pub mod realtime;
pub mod system;
pub mod tasks;
pub mod users;

pub mod server;
pub mod state;

pub use config::{DbArgs, LogFormat, ServeArgs};
pub use server::{Server, shutdown_signal};
