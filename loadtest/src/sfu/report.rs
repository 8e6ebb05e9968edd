//! The `sfu` report: JSON fields, the table, and what is read from /proc.

use hdrhistogram::Histogram;
use serde::Serialize;

use super::Target;

#[derive(Serialize, Debug)]
pub struct SfuReport {
    pub scenario: &'static str,
    pub target: Target,
    pub label: String,
    pub rooms: usize,
    pub publishers_per_room: usize,
    pub subscribers_per_room: usize,
    pub participants: usize,
    pub video_kbps: u32,
    pub fps: u32,
    pub video_frame_bytes: usize,
    pub audio: bool,
    pub audio_packet_bytes: usize,
    pub keyframe_interval_s: f64,
    pub setup_seconds: f64,
    /// Participants whose signaling and offer/answer succeeded.
    pub set_up: u64,
    pub setup_errors: u64,
    pub ice_connected: u64,
    /// Subscribers that received every track of their room.
    pub subscribers_ready: u64,
    pub window_seconds: f64,
    /// Frames (audio + video) publishers wrote inside the window.
    pub sent_frames: u64,
    /// RTP packets subscribers received in the window (each frame's sequence-number range).
    pub forwarded_packets: u64,
    pub forwarded_packets_per_sec: f64,
    pub forwarded_frames: u64,
    pub forwarded_frames_per_sec: f64,
    pub video_frames_per_sec: f64,
    pub audio_frames_per_sec: f64,
    /// Media payload (frames as str0m hands them over), not wire bytes.
    pub forwarded_mbit_per_sec: f64,
    /// Every UDP datagram the peers received (media, retransmissions, padding, RTCP, STUN, DTLS, SCTP).
    pub client_datagrams_in_per_sec: f64,
    pub client_wire_mbit_in_per_sec: f64,
    /// Datagrams a peer found each time it woke up to read (the cost of a wake-up is shared by these).
    pub client_datagrams_per_wakeup: f64,
    /// Every UDP datagram the peers sent (publishers' media, feedback, STUN…).
    pub client_datagrams_out_per_sec: f64,
    /// Frames sent inside the window times the subscribers that should receive them.
    pub expected_frames: u64,
    pub received_frames: u64,
    pub loss_pct: f64,
    /// Jumps in a track's sequence numbers seen by subscribers (whole run).
    pub gaps: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub latency_samples: u64,
    pub keyframe_requests: u64,
    pub keyframes_sent: u64,
    pub bad_payloads: u64,
    pub duplicates: u64,
    pub late_writes: u64,
    pub send_drops: u64,
    pub ice_disconnects: u64,
    pub peers_dead: u64,
    pub signaling_errors: u64,
    pub server_pid: Option<u32>,
    pub server_cpu_seconds: Option<f64>,
    pub server_cpu_pct_of_core: Option<f64>,
    pub cpu_us_per_forwarded_packet: Option<f64>,
    /// Forwarded packets per second of server CPU time: throughput per core.
    pub forwarded_packets_per_core_sec: Option<f64>,
    pub server_rss_kib: Option<u64>,
    pub server_peak_rss_kib: Option<u64>,
    pub client_cpu_seconds: Option<f64>,
}

/// User plus system CPU seconds of a process (all its threads), from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    stat_cpu_seconds(&stat)
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` text, in seconds.
pub fn stat_cpu_seconds(stat: &str) -> Option<f64> {
    // The command name (field 2) is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux
}

/// A `/proc/<pid>/status` memory field in KiB.
pub fn status_kib(pid: Option<u32>, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    crate::proto::rss_kib(&status, field)
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A quantile of a microsecond histogram, in milliseconds.
pub fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() { 0.0 } else { h.value_at_quantile(q) as f64 / 1000.0 }
}

/// `[#####.....]` for a fraction done.
pub fn bar(done: f64, width: usize) -> String {
    let filled = ((done.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("[{}{}]", "#".repeat(filled), ".".repeat(width - filled))
}

pub fn print_table(r: &SfuReport) {
    let target = match r.target {
        Target::Caas => "caas",
        Target::Janus => "janus",
    };
    let opt = |v: Option<f64>, unit: &str| v.map(|x| format!("{x}{unit}")).unwrap_or_else(|| "-".into());
    let mut rows: Vec<(&str, String)> = vec![
        ("target", format!("{target} {}", r.label)),
        (
            "rooms x (publishers + subscribers)",
            format!("{} x ({} + {}) = {}", r.rooms, r.publishers_per_room, r.subscribers_per_room, r.participants),
        ),
        (
            "media per publisher",
            format!(
                "video {} kbps, {} fps, {} B frames; audio {}",
                r.video_kbps,
                r.fps,
                r.video_frame_bytes,
                if r.audio { format!("{} B / 20 ms", r.audio_packet_bytes) } else { "off".into() }
            ),
        ),
        (
            "setup",
            format!(
                "{:.2} s; {} set up, {} errors, {} ICE connected, {} subscribers receiving all",
                r.setup_seconds, r.set_up, r.setup_errors, r.ice_connected, r.subscribers_ready
            ),
        ),
        ("window", format!("{:.2} s; {} frames sent", r.window_seconds, r.sent_frames)),
        ("forwarded packets/s", format!("{:.0} ({} packets)", r.forwarded_packets_per_sec, r.forwarded_packets)),
        (
            "forwarded frames/s (video / audio)",
            format!(
                "{:.0} ({:.0} / {:.0})",
                r.forwarded_frames_per_sec, r.video_frames_per_sec, r.audio_frames_per_sec
            ),
        ),
        ("forwarded payload", format!("{:.2} Mbit/s", r.forwarded_mbit_per_sec)),
        (
            "client UDP in (all kinds) / out",
            format!(
                "{:.0} datagrams/s, {:.2} Mbit/s, {:.2} per read wake-up / {:.0} datagrams/s",
                r.client_datagrams_in_per_sec,
                r.client_wire_mbit_in_per_sec,
                r.client_datagrams_per_wakeup,
                r.client_datagrams_out_per_sec
            ),
        ),
        (
            "loss (frames of the window)",
            format!("{:.3}% ({} of {} received; {} gaps)", r.loss_pct, r.received_frames, r.expected_frames, r.gaps),
        ),
        (
            "latency p50 / p90 / p99 / p99.9 / max",
            format!(
                "{:.2} / {:.2} / {:.2} / {:.2} / {:.2} ms ({} frames)",
                r.p50_ms, r.p90_ms, r.p99_ms, r.p999_ms, r.max_ms, r.latency_samples
            ),
        ),
        ("keyframes (requests / sent)", format!("{} / {}", r.keyframe_requests, r.keyframes_sent)),
        (
            "server CPU",
            format!("{} ({} of one core)", opt(r.server_cpu_seconds, " s"), opt(r.server_cpu_pct_of_core, "%")),
        ),
        ("server CPU per forwarded packet", opt(r.cpu_us_per_forwarded_packet, " µs")),
        ("forwarded packets per server core-second", opt(r.forwarded_packets_per_core_sec, "")),
        (
            "server RSS / peak",
            format!(
                "{} / {} KiB",
                r.server_rss_kib.map(|v| v.to_string()).unwrap_or("-".into()),
                r.server_peak_rss_kib.map(|v| v.to_string()).unwrap_or("-".into())
            ),
        ),
        ("load generator CPU in window", opt(r.client_cpu_seconds, " s")),
    ];
    let troubles = r.bad_payloads
        + r.duplicates
        + r.late_writes
        + r.send_drops
        + r.ice_disconnects
        + r.peers_dead
        + r.signaling_errors;
    if troubles > 0 {
        rows.push((
            "bad / dup / late / drops / ice / dead / sig",
            format!(
                "{} / {} / {} / {} / {} / {} / {}",
                r.bad_payloads,
                r.duplicates,
                r.late_writes,
                r.send_drops,
                r.ice_disconnects,
                r.peers_dead,
                r.signaling_errors
            ),
        ));
    }
    let w = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    for (k, v) in rows {
        eprintln!("  {k:<w$}  {v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_cpu() {
        // pid (comm with spaces) state ppid … utime=250 stime=50 …
        let stat = "4242 (caas serve x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 1000 200";
        assert_eq!(stat_cpu_seconds(stat), Some(3.0));
        assert_eq!(stat_cpu_seconds("garbage"), None);
        assert_eq!(cpu_seconds(None), None);
        assert!(cpu_seconds(Some(std::process::id())).is_some());
    }

    #[test]
    fn bars_and_rounding() {
        assert_eq!(bar(0.0, 4), "[....]");
        assert_eq!(bar(0.5, 4), "[##..]");
        assert_eq!(bar(2.0, 4), "[####]");
        assert_eq!(round1(1.26), 1.3);
        assert_eq!(round3(1.23456), 1.235);
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        assert_eq!(ms(&h, 0.99), 0.0);
        for us in 1..=1000 {
            h.record(us).unwrap();
        }
        assert!((ms(&h, 0.5) - 0.5).abs() < 0.01);
    }
}
