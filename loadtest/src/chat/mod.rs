//! The `chat` scenario: N WebSocket clients in groups of G, sending R messages per
//! second in total, each client timing every message it receives.
//!
//! Phases: (CAAS only) one session token per user through `POST /v1/admin/sessions`;
//! connect every client and wait for its session (`session.ready`, or socket.io's
//! namespace connect); form the groups (CAAS: one member creates the group with
//! `conversation.create` and every member waits for `conversation.created`;
//! socket.io: every member joins the room `g<k>` and waits for the ack); send for
//! `--duration` seconds on a shared schedule; wait for the last deliveries; close.
//!
//! Latency is measured end to end — from just before a client writes the message
//! to when a member's client has read the frame — and every delivery counts, the
//! sender's own copy included: CAAS sends `message.new` to all members, sender
//! included, and the socket.io server broadcasts with `io.to(room)`, which also
//! includes the sender. A message to a group of G is therefore G deliveries on
//! both targets.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::error::{ApiError, ConfigError, Error, WsError};
use crate::proto::{self, Inbound};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// CAAS: `GET /v1/ws?token=`, JSON envelope.
    Caas,
    /// socket.io v4 (loadtest/socketio/server.js): engine.io v4 over a WebSocket.
    Socketio,
}

#[derive(Args)]
pub struct ChatArgs {
    /// Server base URL (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub(crate) base: String,
    /// Which server speaks at `--base`.
    #[arg(long, value_enum, default_value_t = Target::Caas)]
    target: Target,
    /// The app's API key (CAAS).
    #[arg(long, env = "CAAS_API_KEY")]
    pub(crate) api_key: Option<String>,
    /// The app's API secret (CAAS).
    #[arg(long, env = "CAAS_API_SECRET")]
    pub(crate) api_secret: Option<String>,
    /// WebSocket clients, one user each.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Members per group (the last group takes the remainder).
    #[arg(long, default_value_t = 10)]
    group_size: usize,
    /// Messages per second, in total across all clients, spread evenly.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Seconds of sending (with `--idle`: seconds the connections stay open).
    #[arg(long, default_value_t = 10)]
    pub(crate) duration: u64,
    /// Loopback addresses to bind clients' sockets to, round-robin (more than ~28k
    /// connections need more than one: each address has its own ephemeral ports).
    #[arg(long, default_value = "")]
    source_ips: String,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// Seconds to wait for late deliveries after sending stops (with `--resume`:
    /// also for clients still reconnecting and sends still unanswered).
    #[arg(long, default_value_t = 10)]
    pub(crate) drain: u64,
    /// Only connect and stay idle (no groups, no messages): for memory per connection.
    #[arg(long)]
    idle: bool,
    /// The server's process id, to report its memory before and after connecting (read from /proc).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Prefix of the user ids (CAAS).
    #[arg(long, default_value = "lt")]
    user_prefix: String,
    /// Label put in the report.
    #[arg(long, default_value = "")]
    label: String,
    /// Survive the loss of a node (CAAS only, see `resume.rs`): a client whose socket
    /// drops reconnects to `--base` with its last cursor; sends carry a
    /// `client_msg_id` and are retried until answered; the report checks that every
    /// acknowledged message reached every member once.
    #[arg(long)]
    pub(crate) resume: bool,
    /// With `--resume`: a delivery later than this after its send counts as delayed.
    #[arg(long, default_value_t = 1000)]
    delayed_ms: u64,
}

/// The send window of a run, told to whoever asked (`chat_with`) when sending starts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SendWindow {
    pub(crate) start: Instant,
    pub(crate) end: Instant,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Phase {
    Connect,
    Group,
    Send { start: Instant, end: Instant },
    Stop,
}

#[derive(Default)]
struct Counters {
    connected: AtomicU64,
    connect_errors: AtomicU64,
    grouped: AtomicU64,
    sent: AtomicU64,
    late_sends: AtomicU64,
    acks: AtomicU64,
    expected: AtomicU64,
    deliveries: AtomicU64,
    bad_deliveries: AtomicU64,
    last_delivery_ns: AtomicU64,
    send_failures: AtomicU64,
    error_replies: AtomicU64,
    disconnects: AtomicU64,
    printed_errors: AtomicU64,
    // `--resume` only.
    /// Lost connections.
    drops: AtomicU64,
    /// Lost connections resumed.
    resumed: AtomicU64,
    /// Clients reconnecting now.
    down: AtomicU64,
    reconnect_failures: AtomicU64,
    /// First connections tried again.
    connect_retries: AtomicU64,
    /// Sends without a reply now.
    pending: AtomicU64,
    /// Sends again after a drop, with the same `client_msg_id`.
    resent: AtomicU64,
    unique_deliveries: AtomicU64,
    duplicates: AtomicU64,
    delayed: AtomicU64,
    /// Acknowledged messages times their group's size.
    acked_expected: AtomicU64,
}

struct Shared {
    target: Target,
    addr: SocketAddr,
    hostport: String,
    base: Instant,
    clients: usize,
    rate: f64,
    /// `--delayed-ms`, in µs.
    delayed_us: u64,
    counters: Counters,
    hists: Vec<Mutex<Histogram<u64>>>,
    close_codes: Mutex<BTreeMap<String, u64>>,
    error_codes: Mutex<BTreeMap<String, u64>>,
    connect_gate: Semaphore,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    /// Prints the first few errors of a run; the report counts all of them.
    fn note(&self, what: &str) {
        if self.counters.printed_errors.fetch_add(1, Ordering::Relaxed) < 5 {
            eprintln!("error: {what}");
        }
    }

    fn count(map: &Mutex<BTreeMap<String, u64>>, key: String) {
        if let Ok(mut m) = map.lock() {
            *m.entry(key).or_default() += 1;
        }
    }
}

/// One client: its user, its group, and where it connects from.
struct Spec {
    index: usize,
    url: String,
    source: Option<IpAddr>,
    group: usize,
    group_len: u64,
    /// CAAS: the other members, for the one client that creates the group.
    create_with: Option<Vec<String>>,
}

/// Runs the `chat` scenario and returns its report.
pub async fn chat(args: ChatArgs) -> Result<ChatReport, Error> {
    chat_with(args, None).await
}

/// [`chat`], telling `started` the send window when sending starts.
pub(crate) async fn chat_with(
    args: ChatArgs,
    started: Option<tokio::sync::oneshot::Sender<SendWindow>>,
) -> Result<ChatReport, Error> {
    crate::loopback_only(&args.base)?;
    let addr = proto::target_addr(&args.base)?;
    let sources = proto::source_ips(&args.source_ips)?;
    if sources.iter().any(|s| s.is_ipv4() != addr.is_ipv4()) {
        return Err(ConfigError::SourceFamily.into());
    }
    let n = args.clients;
    if n == 0 {
        return Err(ConfigError::OutOfRange("--clients must be at least 1").into());
    }
    let g = if args.idle { 1 } else { args.group_size.clamp(1, n) };
    if args.resume && (args.target != Target::Caas || args.idle) {
        return Err(ConfigError::OutOfRange("--resume needs --target caas and no --idle").into());
    }
    if !args.idle && (!args.rate.is_finite() || args.rate <= 0.0) {
        return Err(ConfigError::OutOfRange("--rate must be positive").into());
    }
    if let Some(limit) = std::fs::read_to_string("/proc/self/limits").ok().as_deref().and_then(proto::max_open_files)
        && n as u64 + 64 > limit
    {
        return Err(ConfigError::OpenFiles { n, what: "clients", limit }.into());
    }
    let hostport = args.base.trim_start_matches("http://").split('/').next().unwrap_or_default().to_owned();
    let shards = 16;
    let hists = (0..shards)
        .map(|_| Histogram::new_with_bounds(1, 120_000_000, 3).map(Mutex::new))
        .collect::<Result<Vec<_>, _>>()?;
    let shared = Arc::new(Shared {
        target: args.target,
        addr,
        hostport,
        base: Instant::now(),
        clients: n,
        rate: args.rate,
        delayed_us: args.delayed_ms.saturating_mul(1000),
        counters: Counters::default(),
        hists,
        close_codes: Mutex::new(BTreeMap::new()),
        error_codes: Mutex::new(BTreeMap::new()),
        connect_gate: Semaphore::new(args.connect_concurrency.max(1)),
    });
    let tag = match args.target {
        Target::Caas => "caas",
        Target::Socketio => "socketio",
    };
    let setup_start = Instant::now();

    // Users and their tokens (CAAS).
    let user_ids: Vec<String> = (0..n).map(|i| format!("{}{i}", args.user_prefix)).collect();
    let urls: Vec<String> = match args.target {
        Target::Caas => {
            let (Some(key), Some(secret)) = (args.api_key.clone(), args.api_secret.clone()) else {
                return Err(ConfigError::NoCredentials.into());
            };
            let tokens = sessions(&args.base, &key, &secret, &user_ids).await?;
            tokens.iter().map(|t| format!("ws://{}/v1/ws?token={t}", shared.hostport)).collect()
        }
        Target::Socketio => {
            vec![format!("ws://{}/socket.io/?EIO=4&transport=websocket", shared.hostport); n]
        }
    };
    let sessions_seconds = setup_start.elapsed().as_secs_f64();
    if matches!(args.target, Target::Caas) {
        eprintln!("[chat {tag}] {n} sessions in {sessions_seconds:.1}s");
    }

    let rss_before = read_rss(args.server_pid);
    let (phase_tx, phase_rx) = watch::channel(Phase::Connect);
    let mut tasks = Vec::with_capacity(n);
    let connect_start = Instant::now();
    for (i, url) in urls.into_iter().enumerate() {
        let group = i / g;
        let first = group * g;
        let last = (first + g).min(n);
        let create_with =
            (args.target == Target::Caas && !args.idle && i == first).then(|| user_ids[first + 1..last].to_vec());
        let spec = Spec {
            index: i,
            url,
            source: (!sources.is_empty()).then(|| sources[i % sources.len()]),
            group,
            group_len: (last - first) as u64,
            create_with,
        };
        if args.resume {
            tasks.push(tokio::spawn(resume::client(shared.clone(), spec, phase_rx.clone())));
        } else {
            let (sh, rx) = (shared.clone(), phase_rx.clone());
            tasks.push(tokio::spawn(async move {
                client(sh, spec, rx).await;
                None
            }));
        }
    }
    drop(phase_rx);

    let c = &shared.counters;
    let progress = |phase: &str| {
        eprintln!(
            "[chat {tag}] {:>6.1}s {phase:<8} connected={} grouped={} sent={} delivered={} errors={}",
            setup_start.elapsed().as_secs_f64(),
            c.connected.load(Ordering::Relaxed),
            c.grouped.load(Ordering::Relaxed),
            c.sent.load(Ordering::Relaxed),
            c.deliveries.load(Ordering::Relaxed),
            c.connect_errors.load(Ordering::Relaxed)
                + c.send_failures.load(Ordering::Relaxed)
                + c.error_replies.load(Ordering::Relaxed)
                + c.disconnects.load(Ordering::Relaxed),
        );
        if args.resume {
            eprintln!(
                "[chat {tag}]          drops={} resumed={} reconnecting={} unanswered={} duplicates={}",
                c.drops.load(Ordering::Relaxed),
                c.resumed.load(Ordering::Relaxed),
                c.down.load(Ordering::Relaxed),
                c.pending.load(Ordering::Relaxed),
                c.duplicates.load(Ordering::Relaxed),
            );
        }
    };

    // Wait for every connection to be up (or to have failed).
    let setup_limit = Duration::from_secs(300);
    let mut last_print = Instant::now();
    loop {
        let done = c.connected.load(Ordering::Relaxed) + c.connect_errors.load(Ordering::Relaxed);
        if done >= n as u64 {
            break;
        }
        if connect_start.elapsed() > setup_limit {
            let _ = phase_tx.send(Phase::Stop);
            return Err(Error::Stalled {
                done,
                total: n as u64,
                what: "connections settled",
                secs: setup_limit.as_secs(),
            });
        }
        if last_print.elapsed() >= Duration::from_secs(2) {
            progress("connect");
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_seconds = connect_start.elapsed().as_secs_f64();
    let connected = c.connected.load(Ordering::Relaxed);
    eprintln!(
        "[chat {tag}] {connected} connected in {connect_seconds:.1}s ({:.0}/s)",
        connected as f64 / connect_seconds
    );

    let rss_connected;
    let mut group_seconds = 0.0;
    let mut send_seconds = 0.0;
    let mut send_start_ns = 0;
    if args.idle {
        tokio::time::sleep(Duration::from_secs(2)).await; // let the server settle
        rss_connected = read_rss(args.server_pid);
        let until = Instant::now() + Duration::from_secs(args.duration);
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if last_print.elapsed() >= Duration::from_secs(5) {
                progress("idle");
                last_print = Instant::now();
            }
        }
    } else {
        // Groups.
        let group_start = Instant::now();
        let _ = phase_tx.send(Phase::Group);
        loop {
            let grouped = c.grouped.load(Ordering::Relaxed);
            let alive = c.connected.load(Ordering::Relaxed).saturating_sub(c.disconnects.load(Ordering::Relaxed));
            if grouped >= alive {
                break;
            }
            if group_start.elapsed() > setup_limit {
                let _ = phase_tx.send(Phase::Stop);
                return Err(Error::Stalled {
                    done: grouped,
                    total: alive,
                    what: "clients joined their group",
                    secs: setup_limit.as_secs(),
                });
            }
            if last_print.elapsed() >= Duration::from_secs(2) {
                progress("group");
                last_print = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        group_seconds = group_start.elapsed().as_secs_f64();
        rss_connected = read_rss(args.server_pid);
        eprintln!("[chat {tag}] {} groups formed in {group_seconds:.1}s", n.div_ceil(g));

        // Send.
        let start = Instant::now() + Duration::from_millis(200);
        let end = start + Duration::from_secs(args.duration);
        send_start_ns = (start - shared.base).as_nanos() as u64;
        let _ = phase_tx.send(Phase::Send { start, end });
        if let Some(started) = started {
            let _ = started.send(SendWindow { start, end });
        }
        tokio::time::sleep_until(start.into()).await;
        let mut last = (Instant::now(), 0u64);
        while Instant::now() < end {
            tokio::time::sleep(Duration::from_secs(1).min(end.saturating_duration_since(Instant::now()))).await;
            if last_print.elapsed() >= Duration::from_secs(2) {
                let d = c.deliveries.load(Ordering::Relaxed);
                let rate = (d - last.1) as f64 / last.0.elapsed().as_secs_f64();
                progress("send");
                eprintln!("[chat {tag}]          delivering {rate:.0}/s");
                last = (Instant::now(), d);
                last_print = Instant::now();
            }
        }
        send_seconds = start.elapsed().as_secs_f64();

        // Drain: until every expected delivery arrived, nothing arrives for 2 s, or --drain.
        // With --resume: until every client is back, every send answered and every
        // acknowledged message delivered to every member; 5 s without progress
        // only counts while nobody is reconnecting or waiting for a reply.
        let drain_end = Instant::now() + Duration::from_secs(args.drain);
        let mut seen = (c.deliveries.load(Ordering::Relaxed), Instant::now());
        let quiet = Duration::from_secs(if args.resume { 5 } else { 2 });
        while Instant::now() < drain_end {
            let d = c.deliveries.load(Ordering::Relaxed);
            let waiting = c.down.load(Ordering::Relaxed) > 0 || c.pending.load(Ordering::Relaxed) > 0;
            let done = if args.resume {
                !waiting && c.unique_deliveries.load(Ordering::Relaxed) >= c.acked_expected.load(Ordering::Relaxed)
            } else {
                d >= c.expected.load(Ordering::Relaxed)
            };
            if done {
                break;
            }
            if d != seen.0 {
                seen = (d, Instant::now());
            } else if seen.1.elapsed() > quiet && !(args.resume && waiting) {
                break;
            }
            if last_print.elapsed() >= Duration::from_secs(2) {
                progress("drain");
                last_print = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let setup_seconds = sessions_seconds + connect_seconds + group_seconds;

    let _ = phase_tx.send(Phase::Stop);
    let stop_by = Instant::now() + Duration::from_secs(15);
    let mut outcomes = Vec::new();
    for t in tasks {
        let left = stop_by.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, t).await {
            Ok(Ok(Some(outcome))) => outcomes.push(outcome),
            Ok(_) => {}
            // The rest are cut off with the runtime when the report is printed.
            Err(_) => break,
        }
    }
    let resume = args.resume.then(|| {
        let mut r = verify::verify(
            &outcomes,
            n,
            c.duplicates.load(Ordering::Relaxed),
            c.delayed.load(Ordering::Relaxed),
            args.delayed_ms,
        );
        r.reconnect_failures = c.reconnect_failures.load(Ordering::Relaxed);
        r.first_connect_retries = c.connect_retries.load(Ordering::Relaxed);
        r.resent = c.resent.load(Ordering::Relaxed);
        r
    });

    let mut hist = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    for h in &shared.hists {
        let h = h.lock().map_err(|_| Error::Poisoned)?;
        hist.add(&*h)?;
    }
    let ms = |q: f64| if hist.is_empty() { 0.0 } else { hist.value_at_quantile(q) as f64 / 1000.0 };
    let sent = c.sent.load(Ordering::Relaxed);
    let deliveries = c.deliveries.load(Ordering::Relaxed);
    let expected = c.expected.load(Ordering::Relaxed);
    let last_ns = c.last_delivery_ns.load(Ordering::Relaxed);
    let delivery_window = (last_ns.saturating_sub(send_start_ns) as f64 / 1e9).max(send_seconds.min(1.0)).max(1e-9);
    let (connect_errors, send_failures, error_replies, disconnects) = (
        c.connect_errors.load(Ordering::Relaxed),
        c.send_failures.load(Ordering::Relaxed),
        c.error_replies.load(Ordering::Relaxed),
        c.disconnects.load(Ordering::Relaxed),
    );
    let rss_per_conn = match (rss_before, rss_connected) {
        (Some(b), Some(a)) if connected > 0 => Some(((a as f64 - b as f64) / connected as f64 * 100.0).round() / 100.0),
        _ => None,
    };
    let report = ChatReport {
        scenario: "chat",
        target: args.target,
        label: args.label.clone(),
        clients: n,
        group_size: g,
        groups: n.div_ceil(g),
        rate: args.rate,
        duration: args.duration,
        idle: args.idle,
        counts_own_echo: true,
        source_ips: sources.len().max(1),
        connected,
        sessions_seconds: round3(sessions_seconds),
        connect_seconds: round3(connect_seconds),
        connect_per_sec: round1(connected as f64 / connect_seconds.max(1e-9)),
        group_seconds: round3(group_seconds),
        setup_seconds: round3(setup_seconds),
        send_seconds: round3(send_seconds),
        sent,
        sent_per_sec: round1(if send_seconds > 0.0 { sent as f64 / send_seconds } else { 0.0 }),
        late_sends: c.late_sends.load(Ordering::Relaxed),
        acks: c.acks.load(Ordering::Relaxed),
        expected_deliveries: expected,
        deliveries,
        delivery_ratio: if expected > 0 { round3(deliveries as f64 / expected as f64) } else { 0.0 },
        delivered_per_sec: if deliveries > 0 { round1(deliveries as f64 / delivery_window) } else { 0.0 },
        p50_ms: ms(0.5),
        p90_ms: ms(0.9),
        p99_ms: ms(0.99),
        p999_ms: ms(0.999),
        max_ms: hist.max() as f64 / 1000.0,
        mean_ms: round3(hist.mean() / 1000.0),
        errors: connect_errors + send_failures + error_replies + disconnects,
        connect_errors,
        send_failures,
        error_replies,
        disconnects,
        bad_deliveries: c.bad_deliveries.load(Ordering::Relaxed),
        close_codes: shared.close_codes.lock().map(|m| m.clone()).unwrap_or_default(),
        error_codes: shared.error_codes.lock().map(|m| m.clone()).unwrap_or_default(),
        client_cpu_seconds: own_cpu_seconds(),
        server_rss_before_kib: rss_before,
        server_rss_connected_kib: rss_connected,
        server_rss_per_conn_kib: rss_per_conn,
        resume,
    };
    print_table(&report);
    if let Some(r) = &report.resume {
        verify::print(r);
    }
    Ok(report)
}

mod client;
pub(crate) use client::{NODE_HEADER, sessions};
mod report;
mod resume;
pub(crate) mod verify;

use client::client;
pub use report::ChatReport;
use report::{own_cpu_seconds, print_table, read_rss, round1, round3};
