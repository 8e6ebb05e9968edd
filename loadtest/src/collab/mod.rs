//! The `collab` scenario: D documents × C clients each, every client sending
//! small Yjs updates (an insert of a timestamp stamp into the Y.Text `t`) at R
//! per second over the y-websocket protocol, every other client of the document
//! timing the update's arrival (fan-out latency).
//!
//! Targets: CAAS (`/v1/collab/{doc_id}?token=`, one user per client, documents
//! created with `POST /v1/docs` giving every user of the document the editor
//! role), a plain y-websocket server such as `@y/websocket-server`
//! (`/{docname}`), or Hocuspocus 4 (`/`, the document named inside every frame
//! after an Auth message: `hocuspocus.rs`). The client loop is in `client.rs`.
//!
//! Each client keeps its own yrs `Doc` to produce its updates (inserts at the end
//! of its own view of the text) and answers the server's sync step 1; it does not
//! integrate the others' updates (that would only cost the load generator): it
//! scans update frames for the stamps (`stamp.rs`). The sender's own copy is
//! never counted — `@y/websocket-server` and Hocuspocus echo every update to its
//! sender, CAAS does not; echoes are reported separately.
//!
//! Phases: (CAAS) sessions and documents; connect every client and wait for the
//! server's sync step 2; send for `--duration` seconds on a shared schedule;
//! wait for the last deliveries; close. The server's CPU time covers the send
//! window and the drain; its RSS is read before connecting, once connected and
//! synced (empty documents loaded) and after sending.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};

use crate::error::{ApiError, ConfigError, Error};
use crate::proto;
use crate::sfu::report::{cpu_seconds, round1, round3, status_kib};

mod client;
use client::{Wire, client};
mod hocuspocus;
pub mod stamp;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// CAAS: `GET /v1/collab/{doc_id}?token=`.
    Caas,
    /// A plain y-websocket server (e.g. `@y/websocket-server`): `GET /{docname}`.
    Yws,
    /// Hocuspocus 4 (`@hocuspocus/server`): `GET /`, its own framing and an Auth message (see `hocuspocus.rs`).
    Hocuspocus,
}

#[derive(Args)]
pub struct CollabArgs {
    /// Server base URL (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// Which server speaks at `--base`.
    #[arg(long, value_enum, default_value_t = Target::Caas)]
    target: Target,
    /// The app's API key (CAAS).
    #[arg(long, env = "CAAS_API_KEY")]
    api_key: Option<String>,
    /// The app's API secret (CAAS).
    #[arg(long, env = "CAAS_API_SECRET")]
    api_secret: Option<String>,
    /// Documents.
    #[arg(long, default_value_t = 50)]
    docs: usize,
    /// Clients (editors) per document.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Updates per second sent by each client.
    #[arg(long, default_value_t = 5.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Seconds to wait for late deliveries after sending stops.
    #[arg(long, default_value_t = 10)]
    drain: u64,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 32)]
    connect_concurrency: usize,
    /// The server's process id: CPU time and memory from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Prefix of user ids (CAAS) and document names (y-websocket).
    #[arg(long, default_value = "lt")]
    prefix: String,
    /// Label put in the report.
    #[arg(long, default_value = "")]
    label: String,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Phase {
    Connect,
    Send { start: Instant, end: Instant },
    Stop,
}

#[derive(Default)]
struct Counters {
    synced: AtomicU64,
    connect_errors: AtomicU64,
    sent: AtomicU64,
    late_sends: AtomicU64,
    deliveries: AtomicU64,
    echoes: AtomicU64,
    last_delivery_ns: AtomicU64,
    send_failures: AtomicU64,
    bad_frames: AtomicU64,
    denied: AtomicU64,
    disconnects: AtomicU64,
    printed_errors: AtomicU64,
}

struct Shared {
    base: Instant,
    addr: std::net::SocketAddr,
    clients_total: usize,
    per_doc: usize,
    total_rate: f64,
    counters: Counters,
    hists: Vec<Mutex<Histogram<u64>>>,
    close_codes: Mutex<std::collections::BTreeMap<String, u64>>,
    gate: Semaphore,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    fn note(&self, what: &str) {
        if self.counters.printed_errors.fetch_add(1, Ordering::Relaxed) < 5 {
            eprintln!("error: {what}");
        }
    }
}

#[derive(Serialize, Debug)]
pub struct CollabReport {
    scenario: &'static str,
    target: Target,
    label: String,
    docs: usize,
    clients_per_doc: usize,
    clients: usize,
    rate_per_client: f64,
    duration: u64,
    synced: u64,
    setup_seconds: f64,
    connect_seconds: f64,
    send_seconds: f64,
    sent: u64,
    sent_per_sec: f64,
    late_sends: u64,
    /// Sent updates times the other clients of their document.
    expected_deliveries: u64,
    deliveries: u64,
    delivery_ratio: f64,
    delivered_per_sec: f64,
    /// The sender's own copy, sent back by the server (not counted as deliveries).
    echoes: u64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    max_ms: f64,
    mean_ms: f64,
    errors: u64,
    connect_errors: u64,
    send_failures: u64,
    bad_frames: u64,
    denied: u64,
    disconnects: u64,
    close_codes: std::collections::BTreeMap<String, u64>,
    server_pid: Option<u32>,
    /// Server CPU time over the send window and the drain.
    server_cpu_seconds: Option<f64>,
    server_cpu_pct: Option<f64>,
    server_cpu_us_per_delivery: Option<f64>,
    server_rss_before_kib: Option<u64>,
    server_rss_synced_kib: Option<u64>,
    server_rss_after_kib: Option<u64>,
    server_hwm_kib: Option<u64>,
    /// (synced − before) / docs: empty documents loaded with their C connections.
    server_kib_per_doc_synced: Option<f64>,
    /// (after − before) / docs: with the content written in the run.
    server_kib_per_doc_after: Option<f64>,
    client_cpu_seconds: Option<f64>,
}

/// Creates one document per group of users (the first is the owner, the others editors).
async fn create_docs(base: &str, owners: &[(String, Vec<String>)]) -> Result<Vec<String>, ApiError> {
    let client = reqwest::Client::new();
    let url = format!("{}/v1/docs", base.trim_end_matches('/'));
    let mut ids = Vec::with_capacity(owners.len());
    for (d, (token, editors)) in owners.iter().enumerate() {
        let roles: serde_json::Map<String, Value> = editors.iter().map(|u| (u.clone(), json!("editor"))).collect();
        let body = json!({"kind": "doc", "title": format!("load {d}"), "roles": roles});
        let r = client.post(&url).bearer_auth(token).json(&body).send().await?;
        if !r.status().is_success() {
            return Err(ApiError::DocRefused { status: r.status(), body: r.text().await.unwrap_or_default() });
        }
        let v: Value = r.json().await?;
        let id = v.pointer("/doc/id").and_then(Value::as_str).ok_or(ApiError::NoDocId)?;
        ids.push(id.to_owned());
    }
    Ok(ids)
}

pub async fn collab(args: CollabArgs) -> Result<CollabReport, Error> {
    crate::loopback_only(&args.base)?;
    let addr = proto::target_addr(&args.base)?;
    let (nd, c) = (args.docs, args.clients);
    if nd == 0 || c < 2 {
        return Err(ConfigError::OutOfRange("--docs must be at least 1 and --clients at least 2").into());
    }
    if !args.rate.is_finite() || args.rate <= 0.0 {
        return Err(ConfigError::OutOfRange("--rate must be positive").into());
    }
    let n = nd * c;
    if let Some(limit) = std::fs::read_to_string("/proc/self/limits").ok().as_deref().and_then(proto::max_open_files)
        && n as u64 + 64 > limit
    {
        return Err(ConfigError::OpenFiles { n, what: "clients", limit }.into());
    }
    let hostport = args.base.trim_start_matches("http://").split('/').next().unwrap_or_default().to_owned();
    let tag = match args.target {
        Target::Caas => "caas",
        Target::Yws => "yws",
        Target::Hocuspocus => "hocuspocus",
    };
    let setup_start = Instant::now();
    let run = std::process::id();

    // Client i belongs to document i / c.
    let urls: Vec<(String, Wire)> = match args.target {
        Target::Caas => {
            let (Some(key), Some(secret)) = (args.api_key.as_deref(), args.api_secret.as_deref()) else {
                return Err(ConfigError::NoCredentials.into());
            };
            let users: Vec<String> = (0..n).map(|i| format!("{}{run}-{i}", args.prefix)).collect();
            let tokens = crate::chat::sessions(&args.base, key, secret, &users).await?;
            let owners: Vec<(String, Vec<String>)> =
                (0..nd).map(|d| (tokens[d * c].clone(), users[d * c + 1..(d + 1) * c].to_vec())).collect();
            let ids = create_docs(&args.base, &owners).await?;
            eprintln!("[collab {tag}] {n} sessions and {nd} documents in {:.1}s", setup_start.elapsed().as_secs_f64());
            (0..n)
                .map(|i| (format!("ws://{hostport}/v1/collab/{}?token={}", ids[i / c], tokens[i]), Wire::YWebsocket))
                .collect()
        }
        Target::Yws => {
            (0..n).map(|i| (format!("ws://{hostport}/{}{run}-doc{}", args.prefix, i / c), Wire::YWebsocket)).collect()
        }
        // One WebSocket per client, each opening one document (as a HocuspocusProvider
        // with its own socket); the server accepts any token (loadtest/hocuspocus/server.mjs).
        Target::Hocuspocus => (0..n)
            .map(|i| {
                let doc = format!("{}{run}-doc{}", args.prefix, i / c);
                (format!("ws://{hostport}/"), Wire::hocuspocus(&doc, format!("{}{run}-{i}", args.prefix)))
            })
            .collect(),
    };

    let hists = (0..16)
        .map(|_| Histogram::new_with_bounds(1, 120_000_000, 3).map(Mutex::new))
        .collect::<Result<Vec<_>, _>>()?;
    let shared = Arc::new(Shared {
        base: Instant::now(),
        addr,
        clients_total: n,
        per_doc: c,
        total_rate: args.rate * n as f64,
        counters: Counters::default(),
        hists,
        close_codes: Mutex::new(Default::default()),
        gate: Semaphore::new(args.connect_concurrency.max(1)),
    });
    let rss_before = status_kib(args.server_pid, "VmRSS");
    let (phase_tx, phase_rx) = watch::channel(Phase::Connect);
    let connect_start = Instant::now();
    let tasks: Vec<_> = urls
        .into_iter()
        .enumerate()
        .map(|(i, (url, wire))| tokio::spawn(client(shared.clone(), i, url, wire, phase_rx.clone())))
        .collect();
    drop(phase_rx);

    let k = &shared.counters;
    let progress = |phase: &str| {
        eprintln!(
            "[collab {tag}] {:>6.1}s {phase:<8} synced={} sent={} delivered={} errors={}",
            setup_start.elapsed().as_secs_f64(),
            k.synced.load(Ordering::Relaxed),
            k.sent.load(Ordering::Relaxed),
            k.deliveries.load(Ordering::Relaxed),
            errors(k),
        )
    };
    let limit = Duration::from_secs(300);
    let mut last_print = Instant::now();
    loop {
        let done = k.synced.load(Ordering::Relaxed) + k.connect_errors.load(Ordering::Relaxed);
        if done >= n as u64 {
            break;
        }
        if connect_start.elapsed() > limit {
            let _ = phase_tx.send(Phase::Stop);
            return Err(Error::Stalled { done, total: n as u64, what: "connections settled", secs: limit.as_secs() });
        }
        if last_print.elapsed() >= Duration::from_secs(2) {
            progress("connect");
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_seconds = connect_start.elapsed().as_secs_f64();
    let synced = k.synced.load(Ordering::Relaxed);
    eprintln!("[collab {tag}] {synced} of {n} clients connected and synced in {connect_seconds:.1}s");
    tokio::time::sleep(Duration::from_secs(1)).await; // let the server settle
    let rss_synced = status_kib(args.server_pid, "VmRSS");

    let start = Instant::now() + Duration::from_millis(200);
    let end = start + Duration::from_secs(args.duration);
    let start_ns = (start - shared.base).as_nanos() as u64;
    let cpu0 = cpu_seconds(args.server_pid);
    let _ = phase_tx.send(Phase::Send { start, end });
    tokio::time::sleep_until(start.into()).await;
    let mut last = (Instant::now(), 0u64);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(1).min(end.saturating_duration_since(Instant::now()))).await;
        if last_print.elapsed() >= Duration::from_secs(2) {
            let d = k.deliveries.load(Ordering::Relaxed);
            progress("send");
            eprintln!(
                "[collab {tag}]          delivering {:.0}/s",
                (d - last.1) as f64 / last.0.elapsed().as_secs_f64()
            );
            last = (Instant::now(), d);
            last_print = Instant::now();
        }
    }
    let send_seconds = start.elapsed().as_secs_f64();
    // Drain: until every expected delivery arrived, nothing arrives for 2 s, or --drain.
    let expected = || k.sent.load(Ordering::Relaxed) * (c as u64 - 1);
    let drain_end = Instant::now() + Duration::from_secs(args.drain);
    let mut seen = (k.deliveries.load(Ordering::Relaxed), Instant::now());
    while Instant::now() < drain_end {
        let d = k.deliveries.load(Ordering::Relaxed);
        if d >= expected() {
            break;
        }
        if d != seen.0 {
            seen = (d, Instant::now());
        } else if seen.1.elapsed() > Duration::from_secs(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu1 = cpu_seconds(args.server_pid);
    let cpu_window = start.elapsed().as_secs_f64();
    let rss_after = status_kib(args.server_pid, "VmRSS");
    let hwm = status_kib(args.server_pid, "VmHWM");
    let _ = phase_tx.send(Phase::Stop);
    let stop_by = Instant::now() + Duration::from_secs(10);
    for t in tasks {
        if tokio::time::timeout(stop_by.saturating_duration_since(Instant::now()), t).await.is_err() {
            break;
        }
    }

    let mut hist = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    for h in &shared.hists {
        hist.add(&*h.lock().map_err(|_| Error::Poisoned)?)?;
    }
    let ms = |q: f64| if hist.is_empty() { 0.0 } else { hist.value_at_quantile(q) as f64 / 1000.0 };
    let sent = k.sent.load(Ordering::Relaxed);
    let deliveries = k.deliveries.load(Ordering::Relaxed);
    let expected = expected();
    let last_ns = k.last_delivery_ns.load(Ordering::Relaxed);
    let delivery_window = (last_ns.saturating_sub(start_ns) as f64 / 1e9).max(send_seconds).max(1e-9);
    let server_cpu = match (cpu0, cpu1) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let per_doc = |x: Option<u64>| match (rss_before, x) {
        (Some(b), Some(a)) => Some(round1((a as f64 - b as f64) / nd as f64)),
        _ => None,
    };
    let report = CollabReport {
        scenario: "collab",
        target: args.target,
        label: args.label.clone(),
        docs: nd,
        clients_per_doc: c,
        clients: n,
        rate_per_client: args.rate,
        duration: args.duration,
        synced,
        setup_seconds: round3(connect_start.duration_since(setup_start).as_secs_f64() + connect_seconds),
        connect_seconds: round3(connect_seconds),
        send_seconds: round3(send_seconds),
        sent,
        sent_per_sec: round1(sent as f64 / send_seconds.max(1e-9)),
        late_sends: k.late_sends.load(Ordering::Relaxed),
        expected_deliveries: expected,
        deliveries,
        delivery_ratio: if expected > 0 { round3(deliveries as f64 / expected as f64) } else { 0.0 },
        delivered_per_sec: round1(deliveries as f64 / delivery_window),
        echoes: k.echoes.load(Ordering::Relaxed),
        p50_ms: ms(0.5),
        p90_ms: ms(0.9),
        p99_ms: ms(0.99),
        p999_ms: ms(0.999),
        max_ms: hist.max() as f64 / 1000.0,
        mean_ms: round3(hist.mean() / 1000.0),
        errors: errors(k),
        connect_errors: k.connect_errors.load(Ordering::Relaxed),
        send_failures: k.send_failures.load(Ordering::Relaxed),
        bad_frames: k.bad_frames.load(Ordering::Relaxed),
        denied: k.denied.load(Ordering::Relaxed),
        disconnects: k.disconnects.load(Ordering::Relaxed),
        close_codes: shared.close_codes.lock().map(|m| m.clone()).unwrap_or_default(),
        server_pid: args.server_pid,
        server_cpu_seconds: server_cpu.map(round3),
        server_cpu_pct: server_cpu.map(|s| round1(s / cpu_window * 100.0)),
        server_cpu_us_per_delivery: server_cpu.filter(|_| deliveries > 0).map(|s| round3(s * 1e6 / deliveries as f64)),
        server_rss_before_kib: rss_before,
        server_rss_synced_kib: rss_synced,
        server_rss_after_kib: rss_after,
        server_hwm_kib: hwm,
        server_kib_per_doc_synced: per_doc(rss_synced),
        server_kib_per_doc_after: per_doc(rss_after),
        client_cpu_seconds: cpu_seconds(Some(std::process::id())),
    };
    print_table(&report);
    Ok(report)
}

fn errors(k: &Counters) -> u64 {
    k.connect_errors.load(Ordering::Relaxed)
        + k.send_failures.load(Ordering::Relaxed)
        + k.bad_frames.load(Ordering::Relaxed)
        + k.denied.load(Ordering::Relaxed)
        + k.disconnects.load(Ordering::Relaxed)
}

fn print_table(r: &CollabReport) {
    let mut rows: Vec<(&str, String)> = vec![
        ("target", format!("{:?} {}", r.target, r.label)),
        (
            "docs × clients, rate",
            format!("{} × {} ({} clients), {}/s each", r.docs, r.clients_per_doc, r.clients, r.rate_per_client),
        ),
        ("synced", format!("{} in {:.2} s (setup {:.2} s)", r.synced, r.connect_seconds, r.setup_seconds)),
        ("sent", format!("{} ({:.1}/s for {:.1} s; late {})", r.sent, r.sent_per_sec, r.send_seconds, r.late_sends)),
        (
            "delivered (others only)",
            format!(
                "{} of {} ({:.1}%), {:.1}/s; echoes {}",
                r.deliveries,
                r.expected_deliveries,
                r.delivery_ratio * 100.0,
                r.delivered_per_sec,
                r.echoes
            ),
        ),
        (
            "fan-out p50 / p99 / p99.9 / max",
            format!("{:.2} / {:.2} / {:.2} / {:.2} ms", r.p50_ms, r.p99_ms, r.p999_ms, r.max_ms),
        ),
        (
            "errors (connect / send / frame / denied / disconnect)",
            format!("{} / {} / {} / {} / {}", r.connect_errors, r.send_failures, r.bad_frames, r.denied, r.disconnects),
        ),
    ];
    if !r.close_codes.is_empty() {
        rows.push(("close codes", format!("{:?}", r.close_codes)));
    }
    if let (Some(s), Some(p)) = (r.server_cpu_seconds, r.server_cpu_pct) {
        let per = r.server_cpu_us_per_delivery.map(|u| format!(", {u:.1} µs per delivery")).unwrap_or_default();
        rows.push(("server CPU", format!("{s:.2} s ({p:.1}% of a core){per}")));
    }
    if let (Some(b), Some(s), Some(a)) = (r.server_rss_before_kib, r.server_rss_synced_kib, r.server_rss_after_kib) {
        rows.push((
            "server RSS before → synced → after",
            format!("{b} → {s} → {a} KiB (peak {})", r.server_hwm_kib.unwrap_or(0)),
        ));
        rows.push((
            "server KiB per document (synced / after)",
            format!(
                "{:.1} / {:.1}",
                r.server_kib_per_doc_synced.unwrap_or(0.0),
                r.server_kib_per_doc_after.unwrap_or(0.0)
            ),
        ));
    }
    if let Some(cpu) = r.client_cpu_seconds {
        rows.push(("load generator CPU", format!("{cpu:.1} s")));
    }
    let w = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    for (k, v) in rows {
        eprintln!("  {k:<w$}  {v}");
    }
}
