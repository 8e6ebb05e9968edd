//! The report, reading the server and the harness from /proc, and printing it.

use super::*;

/// The JSON report of a `chat` run.
#[derive(Serialize)]
pub struct ChatReport {
    pub(super) scenario: &'static str,
    pub(super) target: Target,
    pub(super) label: String,
    pub(super) clients: usize,
    pub(super) group_size: usize,
    pub(super) groups: usize,
    pub(super) rate: f64,
    pub(super) duration: u64,
    pub(super) idle: bool,
    /// Deliveries include the sender's own copy of each message (both targets).
    pub(super) counts_own_echo: bool,
    pub(super) source_ips: usize,
    pub(super) connected: u64,
    pub(super) sessions_seconds: f64,
    pub(super) connect_seconds: f64,
    pub(super) connect_per_sec: f64,
    pub(super) group_seconds: f64,
    pub(super) setup_seconds: f64,
    pub(super) send_seconds: f64,
    pub(super) sent: u64,
    pub(super) sent_per_sec: f64,
    pub(super) late_sends: u64,
    pub(super) acks: u64,
    pub(super) expected_deliveries: u64,
    pub(super) deliveries: u64,
    pub(super) delivery_ratio: f64,
    pub(super) delivered_per_sec: f64,
    pub(super) p50_ms: f64,
    pub(super) p90_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) p999_ms: f64,
    pub(super) max_ms: f64,
    pub(super) mean_ms: f64,
    pub(super) errors: u64,
    pub(super) connect_errors: u64,
    pub(super) send_failures: u64,
    pub(super) error_replies: u64,
    pub(super) disconnects: u64,
    pub(super) bad_deliveries: u64,
    pub(super) close_codes: BTreeMap<String, u64>,
    pub(super) error_codes: BTreeMap<String, u64>,
    pub(super) client_cpu_seconds: Option<f64>,
    pub(super) server_rss_before_kib: Option<u64>,
    pub(super) server_rss_connected_kib: Option<u64>,
    pub(super) server_rss_per_conn_kib: Option<f64>,
    /// `--resume`: drops, reconnect times and the delivery checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) resume: Option<verify::ResumeReport>,
}

impl ChatReport {
    /// The `--resume` part of the report, if the run had it.
    pub(crate) fn resume(&self) -> Option<&verify::ResumeReport> {
        self.resume.as_ref()
    }
}

pub(super) fn read_rss(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    proto::rss_kib(&status, "VmRSS")
}

pub(super) fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses): utime is the 14th field overall.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux
}

pub(super) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub(super) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub(super) fn print_table(r: &ChatReport) {
    let target = match r.target {
        Target::Caas => "caas",
        Target::Socketio => "socketio",
    };
    let rows: Vec<(&str, String)> = vec![
        ("target", format!("{target} {}", r.label)),
        ("clients / group size / groups", format!("{} / {} / {}", r.clients, r.group_size, r.groups)),
        ("connected", format!("{} in {:.2} s ({:.0}/s)", r.connected, r.connect_seconds, r.connect_per_sec)),
        ("setup (sessions + connect + groups)", format!("{:.2} s", r.setup_seconds)),
        (
            "sent",
            format!(
                "{} ({:.1}/s for {:.1} s; target {}/s; late {})",
                r.sent, r.sent_per_sec, r.send_seconds, r.rate, r.late_sends
            ),
        ),
        (
            "deliveries (own echo included)",
            format!("{} of {} ({:.1}%)", r.deliveries, r.expected_deliveries, r.delivery_ratio * 100.0),
        ),
        ("delivered msg/s", format!("{:.0}", r.delivered_per_sec)),
        (
            "latency p50 / p99 / p99.9 / max",
            format!("{:.2} / {:.2} / {:.2} / {:.2} ms", r.p50_ms, r.p99_ms, r.p999_ms, r.max_ms),
        ),
        (
            "errors (connect / send / reply / disconnect)",
            format!("{} / {} / {} / {}", r.connect_errors, r.send_failures, r.error_replies, r.disconnects),
        ),
    ];
    let mut rows = rows;
    if !r.close_codes.is_empty() {
        rows.push(("close codes", format!("{:?}", r.close_codes)));
    }
    if !r.error_codes.is_empty() {
        rows.push(("error codes", format!("{:?}", r.error_codes)));
    }
    if let (Some(b), Some(a), Some(p)) =
        (r.server_rss_before_kib, r.server_rss_connected_kib, r.server_rss_per_conn_kib)
    {
        rows.push(("server RSS before → connected", format!("{b} → {a} KiB ({p:.2} KiB per connection)")));
    }
    if let Some(cpu) = r.client_cpu_seconds {
        rows.push(("load generator CPU", format!("{cpu:.1} s")));
    }
    let w = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    for (k, v) in rows {
        eprintln!("  {k:<w$}  {v}");
    }
}
