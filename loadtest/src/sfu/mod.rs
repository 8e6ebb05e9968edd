//! The `sfu` scenario: R rooms, each with P publishers and S subscribers, every
//! participant a signaling session plus a str0m peer (full ICE, its own UDP
//! socket on 127.0.0.1), one tokio task each. Publishers send synthetic Opus
//! (20 ms) and VP8 (`--fps`, frames sized for `--video-kbps`) whose payloads
//! carry a sequence number and the send time; subscribers time every frame
//! (one process, one clock), count RTP packets, frames and bytes, and record
//! sequence numbers for loss.
//!
//! The same load runs against CAAS (`call.*` over `/v1/ws`; publishers' tokens
//! grant no subscribing and subscribers' no publishing, so media flows only
//! publisher → subscribers, as in a VideoRoom) or against Janus' VideoRoom over
//! its HTTP API (`--target janus`).
//!
//! Phases: set up the publishers (join, offer/answer, ICE), then the
//! subscribers, and wait until every subscriber receives every track; then a
//! measurement window of `--duration` seconds in which forwarded packets,
//! frames and bytes, latency (of frames sent inside the window), loss and the
//! server's CPU time (`/proc/<--server-pid>/stat`) are taken; then publishers
//! stop, late frames drain, and everyone leaves.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::json;
use tokio::sync::{Semaphore, watch};

mod caas;
mod janus;
mod media;
mod peer;
pub(crate) mod report;

use crate::error::{ConfigError, Error, SetupError, WsError};
use media::Kind;
use peer::{Peer, PeerResult};
pub use report::SfuReport;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// CAAS: `call.*` ops over `GET /v1/ws?token=`.
    Caas,
    /// Janus' VideoRoom plugin over the Janus HTTP transport (`--base http://127.0.0.1:8088/janus`).
    Janus,
}

#[derive(Args)]
pub struct SfuArgs {
    /// Server base URL (loopback only); for Janus the HTTP transport's URL, e.g. http://127.0.0.1:8088/janus.
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
    /// Rooms.
    #[arg(long, default_value_t = 4)]
    rooms: usize,
    /// Publishers per room (audio and video each).
    #[arg(long, default_value_t = 1)]
    publishers: usize,
    /// Subscribers per room (receiving every publisher of the room).
    #[arg(long, default_value_t = 4)]
    subscribers: usize,
    /// Seconds of measurement (after every subscriber receives every track).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Video bitrate per publisher in kbit/s (0: no video).
    #[arg(long, default_value_t = 500)]
    video_kbps: u32,
    /// Video frames per second.
    #[arg(long, default_value_t = 30)]
    fps: u32,
    /// Seconds between periodic keyframes (besides those asked for by PLI/FIR).
    #[arg(long, default_value_t = 2.0)]
    keyframe_interval: f64,
    /// Opus bitrate in kbit/s (20 ms packets).
    #[arg(long, default_value_t = 32)]
    audio_kbps: u32,
    /// Publish no audio.
    #[arg(long)]
    no_audio: bool,
    /// The server's process id: CPU time and memory from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Seconds allowed for setting up every participant and for media to reach every subscriber.
    #[arg(long, default_value_t = 90)]
    setup_timeout: u64,
    /// Seconds to wait for late frames after publishers stop.
    #[arg(long, default_value_t = 2)]
    drain: u64,
    /// Participants being set up at once.
    #[arg(long, default_value_t = 16)]
    setup_concurrency: usize,
    /// Address the peers' UDP sockets bind to: loopback, or for Janus (which cannot
    /// use loopback) an address of the private network namespace janus.sh makes,
    /// in the benchmarking range 198.18.0.0/15.
    #[arg(long, default_value = "127.0.0.1")]
    local_ip: std::net::IpAddr,
    /// Label put in the report.
    #[arg(long, default_value = "")]
    label: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Publishers send, subscribers receive.
    Run,
    /// Publishers stop; subscribers still receive.
    Drain,
    /// Everyone leaves.
    Stop,
}

/// Counters every participant adds to while running.
#[derive(Default)]
pub(super) struct Live {
    pub setup_done: AtomicU64,
    pub setup_errors: AtomicU64,
    pub peers_connected: AtomicU64,
    pub peers_dead: AtomicU64,
    pub ice_disconnects: AtomicU64,
    pub subscribers_ready: AtomicU64,
    pub packets: AtomicU64,
    pub bytes: AtomicU64,
    pub audio_frames: AtomicU64,
    pub video_frames: AtomicU64,
    pub bad_payloads: AtomicU64,
    pub duplicates: AtomicU64,
    pub keyframe_requests: AtomicU64,
    pub keyframes_sent: AtomicU64,
    pub late_writes: AtomicU64,
    pub send_drops: AtomicU64,
    pub datagrams_in: AtomicU64,
    pub wire_bytes_in: AtomicU64,
    pub datagrams_out: AtomicU64,
    /// Times a peer woke up to read its socket.
    pub read_batches: AtomicU64,
    pub signaling_errors: AtomicU64,
    pub printed_errors: AtomicU64,
}

#[derive(Clone, Copy, Default, Debug)]
struct Snapshot {
    read_batches: u64,
    datagrams_in: u64,
    wire_bytes_in: u64,
    datagrams_out: u64,
    packets: u64,
    bytes: u64,
    audio_frames: u64,
    video_frames: u64,
}

impl Live {
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            read_batches: self.read_batches.load(Ordering::Relaxed),
            datagrams_in: self.datagrams_in.load(Ordering::Relaxed),
            wire_bytes_in: self.wire_bytes_in.load(Ordering::Relaxed),
            datagrams_out: self.datagrams_out.load(Ordering::Relaxed),
            packets: self.packets.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            audio_frames: self.audio_frames.load(Ordering::Relaxed),
            video_frames: self.video_frames.load(Ordering::Relaxed),
        }
    }
}

/// One publisher's sequence numbers at the edges of the measurement window, per kind.
pub(super) struct PubState {
    /// First sequence number sent inside the window (u64::MAX: not yet).
    lo: [AtomicU64; 2],
    /// First sequence number sent after the window (u64::MAX: not yet).
    hi: [AtomicU64; 2],
    /// Frames sent so far.
    count: [AtomicU64; 2],
}

impl PubState {
    fn new() -> PubState {
        let max = || [AtomicU64::new(u64::MAX), AtomicU64::new(u64::MAX)];
        PubState { lo: max(), hi: max(), count: [AtomicU64::new(0), AtomicU64::new(0)] }
    }

    /// Frame `seq` of `kind` was written at `sent_ns`.
    pub fn sent(&self, kind: Kind, seq: u64, sent_ns: u64, sh: &Shared) {
        let k = kind as usize;
        self.count[k].store(seq + 1, Ordering::Relaxed);
        if sent_ns >= sh.window_start.load(Ordering::Relaxed) && self.lo[k].load(Ordering::Relaxed) == u64::MAX {
            self.lo[k].store(seq, Ordering::Relaxed);
        }
        if sent_ns >= sh.window_end.load(Ordering::Relaxed) && self.hi[k].load(Ordering::Relaxed) == u64::MAX {
            self.hi[k].store(seq, Ordering::Relaxed);
        }
    }

    /// The window's sequence numbers of `kind`: `lo..hi`.
    fn window(&self, kind: Kind) -> (u64, u64) {
        let k = kind as usize;
        let count = self.count[k].load(Ordering::Relaxed);
        let lo = self.lo[k].load(Ordering::Relaxed).min(count);
        let hi = self.hi[k].load(Ordering::Relaxed).min(count);
        (lo, hi.max(lo))
    }
}

pub(super) struct Shared {
    pub base: Instant,
    pub video_bytes: usize,
    pub audio_bytes: usize,
    pub fps: u32,
    pub video_period: Duration,
    pub keyframe_interval: Duration,
    /// Window edges in ns since `base` (u64::MAX: not yet).
    pub window_start: AtomicU64,
    pub window_end: AtomicU64,
    pub live: Live,
    pub publishers: Vec<PubState>,
    /// Janus feed ids per room.
    feeds: Mutex<Vec<Vec<u64>>>,
}

impl Shared {
    pub fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    /// Whether a frame sent at `sent_ns` belongs to the measurement window.
    pub fn in_window(&self, sent_ns: u64) -> bool {
        sent_ns >= self.window_start.load(Ordering::Relaxed) && sent_ns < self.window_end.load(Ordering::Relaxed)
    }

    /// Prints the first few errors of a run; the report counts all of them.
    pub fn note(&self, what: &str) {
        if self.live.printed_errors.fetch_add(1, Ordering::Relaxed) < 8 {
            eprintln!("error: {what}");
        }
    }
}

/// One participant.
#[derive(Clone)]
struct Spec {
    room: usize,
    /// Global publisher index, for publishers.
    publisher: Option<u32>,
    /// CAAS session token.
    token: String,
}

/// Signaling kept open while the media flows.
enum Signaling {
    Caas(Box<caas::Conn>),
    Janus(janus::Session),
}

struct Ctx {
    target: Target,
    hostport: String,
    room_prefix: String,
    janus: Option<Arc<janus::Janus>>,
    audio: bool,
    video: bool,
    publishers_per_room: usize,
    setup_gate: Semaphore,
    setup_timeout: Duration,
    local_ip: std::net::IpAddr,
}

impl Ctx {
    fn kinds(&self) -> usize {
        usize::from(self.audio) + usize::from(self.video)
    }

    fn janus_room(room: usize) -> u64 {
        1000 + room as u64
    }
}

/// Sets one participant up: signaling, offer/answer, its peer.
async fn setup(sh: &Shared, ctx: &Ctx, spec: &Spec) -> Result<(Peer, Signaling), SetupError> {
    let expect = if spec.publisher.is_some() { 0 } else { ctx.publishers_per_room * ctx.kinds() };
    let mut peer = Peer::new(ctx.local_ip, expect).await?;
    match ctx.target {
        Target::Caas => {
            let room = format!("{}{}", ctx.room_prefix, spec.room);
            let mut conn = caas::Conn::connect(&ctx.hostport, &spec.token).await?;
            conn.request("call.join", json!({"room_id": room})).await?;
            let (sdp, pending, sources) = peer.offer(spec.publisher, ctx.audio, ctx.video, spec.publisher.is_none())?;
            let sources: serde_json::Map<String, serde_json::Value> =
                sources.into_iter().map(|(mid, s)| (mid, json!(s))).collect();
            let answer = conn.request("call.offer", json!({"room_id": room, "sdp": sdp, "sources": sources})).await?;
            let answer = answer["sdp"].as_str().ok_or(SetupError::NoSdp)?;
            peer.accept_answer(pending, answer)?;
            Ok((peer, Signaling::Caas(Box::new(conn))))
        }
        Target::Janus => {
            let janus = ctx.janus.as_ref().ok_or(SetupError::NoJanus)?;
            let room = Ctx::janus_room(spec.room);
            match spec.publisher {
                Some(p) => {
                    let (session, feed) =
                        janus::publish(janus, room, &format!("p{p}"), &mut peer, p, ctx.audio, ctx.video).await?;
                    if let Ok(mut f) = sh.feeds.lock() {
                        f[spec.room].push(feed);
                    }
                    Ok((peer, Signaling::Janus(session)))
                }
                None => {
                    let feeds = sh.feeds.lock().map(|f| f[spec.room].clone()).unwrap_or_default();
                    if feeds.is_empty() {
                        return Err(SetupError::NoPublisher(room));
                    }
                    let session = janus::subscribe(janus, room, &feeds, &mut peer).await?;
                    Ok((peer, Signaling::Janus(session)))
                }
            }
        }
    }
}

/// A participant from setup to leaving.
async fn participant(
    sh: Arc<Shared>,
    ctx: Arc<Ctx>,
    spec: Spec,
    mut phase: watch::Receiver<Phase>,
) -> Option<(Spec, PeerResult)> {
    let set_up = {
        let _permit = ctx.setup_gate.acquire().await;
        tokio::time::timeout(ctx.setup_timeout, setup(&sh, &ctx, &spec)).await
    };
    let (mut peer, mut sig) = match set_up {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => {
            sh.note(&format!("setup of a participant in room {}: {e}", spec.room));
            sh.live.setup_errors.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Err(_) => {
            sh.note(&format!("setup of a participant in room {} timed out", spec.room));
            sh.live.setup_errors.fetch_add(1, Ordering::Relaxed);
            return None;
        }
    };
    sh.live.setup_done.fetch_add(1, Ordering::Relaxed);

    let sleep = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(sleep);
    let mut sending = *phase.borrow() == Phase::Run;
    let mut sig_alive = true;
    loop {
        peer.pump(&sh, sending);
        sleep.as_mut().reset(peer.next_wake(sending).into());
        tokio::select! {
            r = peer.readable() => {
                if r.is_ok() {
                    peer.drain_socket(&sh);
                }
            }
            () = &mut sleep => {}
            changed = phase.changed() => {
                let now = if changed.is_err() { Phase::Stop } else { *phase.borrow_and_update() };
                match now {
                    Phase::Run => sending = true,
                    Phase::Drain => sending = false,
                    Phase::Stop => break,
                }
            }
            frame = caas_next(&mut sig), if sig_alive => match frame {
                Ok(v) => {
                    if let Signaling::Caas(conn) = &mut sig {
                        match caas::classify(&v) {
                            caas::Frame::Offer { offer_id, sdp } => match peer.accept_offer(&sdp) {
                                Ok(answer) => {
                                    let room = format!("{}{}", ctx.room_prefix, spec.room);
                                    let data = json!({"room_id": room, "offer_id": offer_id, "sdp": answer});
                                    if let Err(e) = conn.send_only("call.answer", data).await {
                                        sh.note(&e.to_string());
                                        sh.live.signaling_errors.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                                Err(e) => {
                                    sh.note(&e.to_string());
                                    sh.live.signaling_errors.fetch_add(1, Ordering::Relaxed);
                                }
                            },
                            caas::Frame::Error(code) => {
                                sh.note(&format!("call request refused: {code}"));
                                sh.live.signaling_errors.fetch_add(1, Ordering::Relaxed);
                            }
                            caas::Frame::Other => {}
                        }
                    }
                }
                Err(e) => {
                    sh.note(&format!("signaling: {e}"));
                    sh.live.signaling_errors.fetch_add(1, Ordering::Relaxed);
                    // Media may go on; stop reading a dead socket.
                    sig_alive = false;
                }
            },
        }
    }
    match sig {
        Signaling::Caas(conn) => conn.close().await,
        Signaling::Janus(session) => session.destroy().await,
    }
    Some((spec, peer.finish()))
}

/// The next CAAS frame; never ready for Janus (its events are not needed while media flows).
async fn caas_next(sig: &mut Signaling) -> Result<serde_json::Value, WsError> {
    match sig {
        Signaling::Caas(conn) => conn.next().await,
        Signaling::Janus(_) => std::future::pending().await,
    }
}

/// Waits until `done()` or `limit`, printing progress every 2 s.
async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool, mut progress: impl FnMut(&str)) -> bool {
    let until = Instant::now() + limit;
    let mut last = Instant::now();
    while !done() {
        if Instant::now() >= until {
            return false;
        }
        if last.elapsed() >= Duration::from_secs(2) {
            progress(what);
            last = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// Media stays on this machine: loopback, or the benchmarking range (198.18.0.0/15)
/// that janus.sh puts on a veth pair inside its own network namespace.
fn media_address_allowed(ip: std::net::IpAddr) -> Result<(), ConfigError> {
    let ok = match ip {
        std::net::IpAddr::V4(v4) => v4.is_loopback() || (v4.octets()[0] == 198 && v4.octets()[1] & 0xfe == 18),
        std::net::IpAddr::V6(v6) => v6.is_loopback(),
    };
    if ok { Ok(()) } else { Err(ConfigError::MediaAddress(ip)) }
}

pub async fn sfu(args: SfuArgs) -> Result<SfuReport, Error> {
    crate::loopback_only(&args.base)?;
    crate::proto::target_addr(&args.base)?;
    media_address_allowed(args.local_ip)?;
    if args.rooms == 0 || args.publishers == 0 || args.subscribers == 0 {
        return Err(ConfigError::OutOfRange("--rooms, --publishers and --subscribers must be at least 1").into());
    }
    if args.publishers + args.subscribers > 50 {
        return Err(ConfigError::OutOfRange("at most 50 participants per room (the CAAS room limit)").into());
    }
    let (audio, video) = (!args.no_audio, args.video_kbps > 0);
    if !audio && !video {
        return Err(ConfigError::OutOfRange("nothing to publish: --no-audio and --video-kbps 0").into());
    }
    let fps = args.fps.clamp(1, 120);
    let total_pubs = args.rooms * args.publishers;
    let total_subs = args.rooms * args.subscribers;
    let n = total_pubs + total_subs;
    let limit = std::fs::read_to_string("/proc/self/limits").ok().as_deref().and_then(crate::proto::max_open_files);
    if let Some(limit) = limit.filter(|l| 2 * n as u64 + 64 > *l) {
        return Err(ConfigError::OpenFiles { n, what: "participants", limit }.into());
    }
    let hostport = args.base.trim_start_matches("http://").split('/').next().unwrap_or_default().to_owned();
    let tag = match args.target {
        Target::Caas => "caas",
        Target::Janus => "janus",
    };
    let sh = Arc::new(Shared {
        base: Instant::now(),
        video_bytes: media::video_frame_bytes(args.video_kbps, fps),
        audio_bytes: media::audio_packet_bytes(args.audio_kbps),
        fps,
        video_period: Duration::from_secs_f64(1.0 / f64::from(fps)),
        keyframe_interval: Duration::from_secs_f64(args.keyframe_interval.max(0.1)),
        window_start: AtomicU64::new(u64::MAX),
        window_end: AtomicU64::new(u64::MAX),
        live: Live::default(),
        publishers: (0..total_pubs).map(|_| PubState::new()).collect(),
        feeds: Mutex::new(vec![Vec::new(); args.rooms]),
    });
    let setup_start = Instant::now();

    // Tokens (CAAS) or rooms (Janus).
    let run_id = std::process::id();
    let mut specs: Vec<Spec> = Vec::with_capacity(n);
    for room in 0..args.rooms {
        for p in 0..args.publishers {
            specs.push(Spec { room, publisher: Some((room * args.publishers + p) as u32), token: String::new() });
        }
    }
    for room in 0..args.rooms {
        for _ in 0..args.subscribers {
            specs.push(Spec { room, publisher: None, token: String::new() });
        }
    }
    let mut control = None;
    let janus_client = match args.target {
        Target::Caas => {
            let (Some(key), Some(secret)) = (args.api_key.clone(), args.api_secret.clone()) else {
                return Err(ConfigError::NoCredentials.into());
            };
            let users = specs
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let grants = if s.publisher.is_some() {
                        json!({"call": {"can_publish": true, "can_subscribe": false}})
                    } else {
                        json!({"call": {"can_publish": false, "can_subscribe": true}})
                    };
                    (format!("sfu{run_id}-{i}"), grants)
                })
                .collect();
            let tokens = caas::sessions(&args.base, &key, &secret, users).await?;
            for (s, t) in specs.iter_mut().zip(tokens) {
                s.token = t;
            }
            None
        }
        Target::Janus => {
            let j = janus::Janus::new(&args.base)?;
            let rooms: Vec<u64> = (0..args.rooms).map(Ctx::janus_room).collect();
            control = Some(janus::create_rooms(&j, &rooms, args.publishers).await?);
            Some(j)
        }
    };
    let ctx = Arc::new(Ctx {
        target: args.target,
        hostport,
        room_prefix: format!("lt-sfu-{run_id}-"),
        janus: janus_client,
        audio,
        video,
        publishers_per_room: args.publishers,
        setup_gate: Semaphore::new(args.setup_concurrency.max(1)),
        setup_timeout: Duration::from_secs(args.setup_timeout),
        local_ip: args.local_ip,
    });
    eprintln!(
        "[sfu {tag}] {} rooms x ({} publishers + {} subscribers) = {n} participants; video {} kbps at {fps} fps ({} B frames), audio {}",
        args.rooms,
        args.publishers,
        args.subscribers,
        args.video_kbps,
        sh.video_bytes,
        if audio { format!("{} kbps ({} B packets)", args.audio_kbps, sh.audio_bytes) } else { "off".into() },
    );

    let l = &sh.live;
    let progress = |what: &str| {
        eprintln!(
            "[sfu {tag}] {:>6.1}s {what:<10} set up {}/{n} (errors {}), ICE connected {}, subscribers receiving all tracks {}/{total_subs}",
            setup_start.elapsed().as_secs_f64(),
            l.setup_done.load(Ordering::Relaxed),
            l.setup_errors.load(Ordering::Relaxed),
            l.peers_connected.load(Ordering::Relaxed),
            l.subscribers_ready.load(Ordering::Relaxed),
        )
    };

    // Publishers first (Janus subscribers need their feeds), then subscribers.
    let (phase_tx, phase_rx) = watch::channel(Phase::Run);
    let limit = Duration::from_secs(args.setup_timeout);
    let mut tasks = Vec::with_capacity(n);
    for spec in specs.iter().filter(|s| s.publisher.is_some()) {
        tasks.push(tokio::spawn(participant(sh.clone(), ctx.clone(), spec.clone(), phase_rx.clone())));
    }
    let settled = |k: u64| move || l.setup_done.load(Ordering::Relaxed) + l.setup_errors.load(Ordering::Relaxed) >= k;
    let pubs_ok = wait_for("publishers", limit, settled(total_pubs as u64), progress).await
        && wait_for(
            "pub ICE",
            limit,
            || l.peers_connected.load(Ordering::Relaxed) >= l.setup_done.load(Ordering::Relaxed),
            progress,
        )
        .await;
    let failed = l.setup_errors.load(Ordering::Relaxed);
    if !pubs_ok || failed > 0 {
        let _ = phase_tx.send(Phase::Stop);
        return Err(if failed > 0 {
            Error::PublishersFailed { failed, total: total_pubs }
        } else {
            Error::Timeout { what: "publishers not connected", secs: limit.as_secs() }
        });
    }
    for spec in specs.iter().filter(|s| s.publisher.is_none()) {
        tasks.push(tokio::spawn(participant(sh.clone(), ctx.clone(), spec.clone(), phase_rx.clone())));
    }
    drop(phase_rx);
    if !wait_for("subscribers", limit, settled(n as u64), progress).await {
        let _ = phase_tx.send(Phase::Stop);
        return Err(Error::Timeout { what: "participants not set up", secs: limit.as_secs() });
    }
    let all_ready = wait_for(
        "media",
        limit,
        || {
            let failed = l.setup_errors.load(Ordering::Relaxed) + l.peers_dead.load(Ordering::Relaxed);
            l.subscribers_ready.load(Ordering::Relaxed) + failed >= total_subs as u64
        },
        progress,
    )
    .await;
    if !all_ready {
        eprintln!("[sfu {tag}] not every subscriber receives every track; measuring anyway");
    }
    let setup_seconds = setup_start.elapsed().as_secs_f64();
    progress("ready");
    // Let the first keyframes and renegotiations settle.
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Measurement window.
    let cpu0 = report::cpu_seconds(args.server_pid);
    let own0 = report::cpu_seconds(Some(std::process::id()));
    let snap0 = l.snapshot();
    let t0 = Instant::now();
    sh.window_start.store(sh.now_ns(), Ordering::Relaxed);
    let end = t0 + Duration::from_secs(args.duration);
    let mut last = (Instant::now(), snap0, cpu0);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(2).min(end.saturating_duration_since(Instant::now()))).await;
        let (snap, cpu) = (l.snapshot(), report::cpu_seconds(args.server_pid));
        let dt = last.0.elapsed().as_secs_f64().max(1e-9);
        let done = t0.elapsed().as_secs_f64().min(args.duration as f64);
        let cpu_pct = match (cpu, last.2) {
            (Some(b), Some(a)) => format!("{:.0}%", (b - a) / dt * 100.0),
            _ => "-".into(),
        };
        eprintln!(
            "[sfu {tag}] {} {done:>5.1}/{} s  {:>8.0} pkt/s  {:>6.0} frames/s  {:>6.2} Mbit/s  server CPU {cpu_pct}",
            report::bar(done / args.duration.max(1) as f64, 20),
            args.duration,
            (snap.packets - last.1.packets) as f64 / dt,
            ((snap.audio_frames + snap.video_frames) - (last.1.audio_frames + last.1.video_frames)) as f64 / dt,
            (snap.bytes - last.1.bytes) as f64 * 8.0 / dt / 1e6,
        );
        last = (Instant::now(), snap, cpu);
    }
    sh.window_end.store(sh.now_ns(), Ordering::Relaxed);
    let window = t0.elapsed().as_secs_f64();
    let snap1 = l.snapshot();
    let cpu1 = report::cpu_seconds(args.server_pid);
    let own1 = report::cpu_seconds(Some(std::process::id()));
    let rss = report::status_kib(args.server_pid, "VmRSS");
    let hwm = report::status_kib(args.server_pid, "VmHWM");

    // Publishers stop; late frames drain; everyone leaves.
    let _ = phase_tx.send(Phase::Drain);
    tokio::time::sleep(Duration::from_secs(args.drain)).await;
    let _ = phase_tx.send(Phase::Stop);
    let stop_by = Instant::now() + Duration::from_secs(15);
    let mut results = Vec::new();
    for t in tasks {
        let left = stop_by.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, t).await {
            Ok(Ok(Some(r))) => results.push(r),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    if let Some(c) = control {
        c.destroy().await;
    }

    // Latency and loss over frames sent inside the window.
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut expected, mut received, mut gaps) = (0u64, 0u64, 0u64);
    let kinds: Vec<Kind> =
        [(audio, Kind::Audio), (video, Kind::Video)].into_iter().filter(|k| k.0).map(|k| k.1).collect();
    for (spec, r) in &results {
        hist.add(&r.hist)?;
        if spec.publisher.is_some() {
            continue;
        }
        for p in spec.room * args.publishers..(spec.room + 1) * args.publishers {
            for kind in &kinds {
                let (lo, hi) = sh.publishers[p].window(*kind);
                expected += hi - lo;
                if let Some(set) = r.tracks.get(&(p as u32, *kind)) {
                    received += set.count_in(lo, hi);
                    gaps += set.gaps;
                }
            }
        }
    }
    let sent_frames: u64 =
        sh.publishers.iter().flat_map(|p| kinds.iter().map(move |k| p.window(*k))).map(|(lo, hi)| hi - lo).sum();

    let d = |a: u64, b: u64| b.saturating_sub(a);
    let packets = d(snap0.packets, snap1.packets);
    let frames = d(snap0.audio_frames + snap0.video_frames, snap1.audio_frames + snap1.video_frames);
    let server_cpu = match (cpu0, cpu1) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let r = SfuReport {
        scenario: "sfu",
        target: args.target,
        label: args.label.clone(),
        rooms: args.rooms,
        publishers_per_room: args.publishers,
        subscribers_per_room: args.subscribers,
        participants: n,
        video_kbps: if video { args.video_kbps } else { 0 },
        fps,
        video_frame_bytes: if video { sh.video_bytes } else { 0 },
        audio,
        audio_packet_bytes: if audio { sh.audio_bytes } else { 0 },
        keyframe_interval_s: args.keyframe_interval,
        setup_seconds: report::round3(setup_seconds),
        set_up: l.setup_done.load(Ordering::Relaxed),
        setup_errors: l.setup_errors.load(Ordering::Relaxed),
        ice_connected: l.peers_connected.load(Ordering::Relaxed),
        subscribers_ready: l.subscribers_ready.load(Ordering::Relaxed),
        window_seconds: report::round3(window),
        sent_frames,
        forwarded_packets: packets,
        forwarded_packets_per_sec: report::round1(packets as f64 / window),
        forwarded_frames: frames,
        forwarded_frames_per_sec: report::round1(frames as f64 / window),
        video_frames_per_sec: report::round1(d(snap0.video_frames, snap1.video_frames) as f64 / window),
        audio_frames_per_sec: report::round1(d(snap0.audio_frames, snap1.audio_frames) as f64 / window),
        forwarded_mbit_per_sec: report::round3(d(snap0.bytes, snap1.bytes) as f64 * 8.0 / window / 1e6),
        client_datagrams_in_per_sec: report::round1(d(snap0.datagrams_in, snap1.datagrams_in) as f64 / window),
        client_wire_mbit_in_per_sec: report::round3(
            d(snap0.wire_bytes_in, snap1.wire_bytes_in) as f64 * 8.0 / window / 1e6,
        ),
        client_datagrams_per_wakeup: report::round3(
            d(snap0.datagrams_in, snap1.datagrams_in) as f64 / d(snap0.read_batches, snap1.read_batches).max(1) as f64,
        ),
        client_datagrams_out_per_sec: report::round1(d(snap0.datagrams_out, snap1.datagrams_out) as f64 / window),
        expected_frames: expected,
        received_frames: received,
        loss_pct: report::round3(media::loss_pct(expected, received)),
        gaps,
        p50_ms: report::ms(&hist, 0.5),
        p90_ms: report::ms(&hist, 0.9),
        p99_ms: report::ms(&hist, 0.99),
        p999_ms: report::ms(&hist, 0.999),
        max_ms: if hist.is_empty() { 0.0 } else { hist.max() as f64 / 1000.0 },
        mean_ms: report::round3(hist.mean() / 1000.0),
        latency_samples: hist.len(),
        keyframe_requests: l.keyframe_requests.load(Ordering::Relaxed),
        keyframes_sent: l.keyframes_sent.load(Ordering::Relaxed),
        bad_payloads: l.bad_payloads.load(Ordering::Relaxed),
        duplicates: l.duplicates.load(Ordering::Relaxed),
        late_writes: l.late_writes.load(Ordering::Relaxed),
        send_drops: l.send_drops.load(Ordering::Relaxed),
        ice_disconnects: l.ice_disconnects.load(Ordering::Relaxed),
        peers_dead: l.peers_dead.load(Ordering::Relaxed),
        signaling_errors: l.signaling_errors.load(Ordering::Relaxed),
        server_pid: args.server_pid,
        server_cpu_seconds: server_cpu.map(report::round3),
        server_cpu_pct_of_core: server_cpu.map(|c| report::round1(c / window * 100.0)),
        cpu_us_per_forwarded_packet: server_cpu
            .filter(|_| packets > 0)
            .map(|c| report::round3(c * 1e6 / packets as f64)),
        forwarded_packets_per_core_sec: server_cpu.filter(|c| *c > 0.0).map(|c| report::round1(packets as f64 / c)),
        server_rss_kib: rss,
        server_peak_rss_kib: hwm,
        client_cpu_seconds: match (own0, own1) {
            (Some(a), Some(b)) => Some(report::round3(b - a)),
            _ => None,
        },
    };
    report::print_table(&r);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_stays_on_this_machine() {
        for ok in ["127.0.0.1", "127.0.0.2", "::1", "198.18.0.2", "198.19.255.1"] {
            assert!(media_address_allowed(ok.parse().unwrap()).is_ok(), "{ok}");
        }
        for bad in ["10.0.0.1", "192.168.1.2", "198.20.0.1", "198.17.0.1", "8.8.8.8", "fd00::2"] {
            assert!(media_address_allowed(bad.parse().unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn publisher_windows() {
        let sh = Shared {
            base: Instant::now(),
            video_bytes: 0,
            audio_bytes: 0,
            fps: 30,
            video_period: Duration::from_millis(33),
            keyframe_interval: Duration::from_secs(2),
            window_start: AtomicU64::new(u64::MAX),
            window_end: AtomicU64::new(u64::MAX),
            live: Live::default(),
            publishers: vec![PubState::new()],
            feeds: Mutex::new(Vec::new()),
        };
        let p = &sh.publishers[0];
        // Before the window: nothing counts.
        p.sent(Kind::Video, 0, 100, &sh);
        p.sent(Kind::Video, 1, 200, &sh);
        assert_eq!(p.window(Kind::Video), (2, 2));
        sh.window_start.store(250, Ordering::Relaxed);
        assert!(!sh.in_window(200) && sh.in_window(250));
        p.sent(Kind::Video, 2, 300, &sh);
        p.sent(Kind::Video, 3, 400, &sh);
        assert_eq!(p.window(Kind::Video), (2, 4), "open window: up to what was sent");
        sh.window_end.store(450, Ordering::Relaxed);
        p.sent(Kind::Video, 4, 500, &sh);
        p.sent(Kind::Video, 5, 600, &sh);
        assert_eq!(p.window(Kind::Video), (2, 4));
        assert!(sh.in_window(400) && !sh.in_window(450));
        assert_eq!(p.window(Kind::Audio), (0, 0), "no audio sent");
    }
}
