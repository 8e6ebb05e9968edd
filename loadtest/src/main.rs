//! `caas-loadtest`: load scenarios against a running CAAS server, with a report.
//!
//! Scenarios:
//! - `sessions`: client backends calling `POST /v1/admin/sessions` (user upsert and
//!   token signing) as fast as the server answers, from `--concurrency` workers.
//! - `chat`: WebSocket clients in groups sending messages at a fixed total rate and
//!   timing every delivery end to end, against CAAS or, for comparison, the
//!   socket.io server in `loadtest/socketio/` (see `chat.rs`).
//! - `sfu`: calls through the SFU — rooms of publishers (synthetic Opus + VP8
//!   over str0m peers) and subscribers, timing every forwarded frame — against
//!   CAAS or, for comparison, Janus' VideoRoom (see `sfu/`).
//! - `collab`: documents edited by y-websocket clients sending small Yjs updates,
//!   timing every fan-out to the other editors — against CAAS or a plain
//!   y-websocket server such as `@y/websocket-server` (see `collab/`).
//! - `nodeloss`: chat clients that resume by cursor and editors of a shared
//!   document, through a gateway in front of several nodes while one is killed;
//!   checks that nothing acknowledged is lost or duplicated and that the
//!   document converges (see `nodeloss/`, run by `loadtest/node-loss.sh`).
//!
//! Every run is bounded by `--duration` and aimed only at the `--base` URL, which
//! must be on this machine (loopback) — the harness refuses anything else.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::error::{ConfigError, Error};

mod chat;
mod collab;
mod error;
mod nodeloss;
mod proto;
mod sfu;

#[derive(Parser)]
#[command(name = "caas-loadtest", about = "Load scenarios against a CAAS server on this machine")]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// POST /v1/admin/sessions in a loop.
    Sessions(SessionsArgs),
    /// Group chat over WebSockets: fan-out throughput and end-to-end latency.
    Chat(chat::ChatArgs),
    /// Calls through the SFU: forwarded packets per second, latency, loss, server CPU per packet.
    Sfu(sfu::SfuArgs),
    /// Shared documents over y-websocket: update fan-out throughput and latency, server CPU and memory per document.
    Collab(collab::CollabArgs),
    /// Node loss behind a gateway: chat resume by cursor (no loss, no duplicates), reconnect times, collab convergence.
    Nodeloss(nodeloss::NodeLossArgs),
}

#[derive(Args)]
struct Common {
    /// Server base URL (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// Concurrent workers.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Label put in the report (e.g. the database).
    #[arg(long, default_value = "")]
    label: String,
}

#[derive(Args)]
struct SessionsArgs {
    #[command(flatten)]
    common: Common,
    /// The app's API key.
    #[arg(long, env = "CAAS_API_KEY")]
    api_key: String,
    /// The app's API secret.
    #[arg(long, env = "CAAS_API_SECRET")]
    api_secret: String,
    /// Distinct user ids cycled through (first sessions insert, later ones update).
    #[arg(long, default_value_t = 10_000)]
    users: u64,
}

#[derive(Serialize)]
struct Report {
    scenario: &'static str,
    label: String,
    concurrency: usize,
    seconds: f64,
    ok: u64,
    errors: u64,
    per_sec: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

fn loopback_only(base: &str) -> Result<(), ConfigError> {
    let rest = base.strip_prefix("http://").ok_or(ConfigError::NotHttp)?;
    let host = rest.split('/').next().unwrap_or_default();
    let host = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    let ok = host == "localhost" || host == "[::1]" || host.starts_with("127.");
    if ok { Ok(()) } else { Err(ConfigError::NotLoopback(host.to_owned())) }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    // RUST_LOG=str0m=debug (for example) shows what the str0m peers do; off by default.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    let result: Result<serde_json::Value, Error> = match cli.scenario {
        Scenario::Sessions(args) => sessions(args).await.and_then(|r| serde_json::to_value(r).map_err(Error::from)),
        Scenario::Chat(args) => chat::chat(args).await.and_then(|r| serde_json::to_value(r).map_err(Error::from)),
        Scenario::Sfu(args) => sfu::sfu(args).await.and_then(|r| serde_json::to_value(r).map_err(Error::from)),
        Scenario::Collab(args) => collab::collab(args).await.and_then(|r| serde_json::to_value(r).map_err(Error::from)),
        Scenario::Nodeloss(args) => {
            nodeloss::nodeloss(args).await.and_then(|r| serde_json::to_value(r).map_err(Error::from))
        }
    };
    match result {
        Ok(report) => println!("{report}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

async fn sessions(args: SessionsArgs) -> Result<Report, Error> {
    let c = &args.common;
    loopback_only(&c.base)?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(c.concurrency).build()?;
    let url = format!("{}/v1/admin/sessions", c.base.trim_end_matches('/'));
    let next_user = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(c.duration);
    // One empty histogram, cloned for each worker and the total.
    let empty = Histogram::<u64>::new(3)?;
    let mut workers = Vec::new();
    for _ in 0..c.concurrency.max(1) {
        let (client, url, next_user, errors) = (client.clone(), url.clone(), next_user.clone(), errors.clone());
        let (key, secret, users) = (args.api_key.clone(), args.api_secret.clone(), args.users.max(1));
        let mut hist = empty.clone();
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let n = next_user.fetch_add(1, Ordering::Relaxed) % users;
                let body = serde_json::json!({"user_id": format!("load-{n}"), "name": format!("Load {n}")});
                let t = Instant::now();
                let res = client.post(&url).basic_auth(&key, Some(&secret)).json(&body).send().await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        let _ = hist.record(t.elapsed().as_micros() as u64);
                    }
                    Ok(r) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("first error: {} {}", r.status(), r.text().await.unwrap_or_default());
                        }
                    }
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("first error: {e}");
                        }
                    }
                }
            }
            hist
        }));
    }
    let mut hist = empty;
    for w in workers {
        let h = w.await?;
        hist.add(&h)?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    Ok(Report {
        scenario: "sessions",
        label: c.label.clone(),
        concurrency: c.concurrency,
        seconds,
        ok: hist.len(),
        errors: errors.load(Ordering::Relaxed),
        per_sec: hist.len() as f64 / seconds,
        p50_ms: ms(0.5),
        p90_ms: ms(0.9),
        p99_ms: ms(0.99),
        max_ms: hist.max() as f64 / 1000.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        assert!(loopback_only("http://127.0.0.1:8080").is_ok());
        assert!(loopback_only("http://localhost:1/x").is_ok());
        assert!(loopback_only("http://[::1]:8080").is_ok());
        assert!(loopback_only("http://10.0.0.1:8080").is_err());
        assert!(loopback_only("http://example.com").is_err());
        assert!(loopback_only("https://127.0.0.1").is_err());
    }
}
