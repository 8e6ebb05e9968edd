//! CAAS public gateway: the axum router, REST handlers, authentication (API
//! secrets, IP and origin allowlists, session JWTs), tenancy, OpenAPI and metrics.
//! The `caas` binary (`src/main.rs`) serves it and manages apps from the command line.

pub mod auth;
pub mod billing;
pub mod calls;
pub mod chat;
pub mod collab;
pub mod config;
pub mod console;
pub mod demo;
pub mod directory;
pub mod error;
pub mod files;
pub mod ics;
pub mod live;
pub mod metering;
pub mod netacl;
pub mod notify;
pub mod observe;
pub mod ops;
pub mod origin;
pub mod otlp;
pub mod presence;
pub mod push;
pub mod ratelimit;
pub mod routes;
pub mod secrets;
pub mod server;
pub mod social;
pub mod state;
pub mod tokens;
pub mod webhooks;
pub mod ws;

pub use config::{DbArgs, LogFormat, ServeArgs};
pub use server::{Server, shutdown_signal};
