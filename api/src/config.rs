//! Server configuration: every setting is a flag of `caas serve` and an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use ipnet::IpNet;

use crate::gate::netacl::parse_cidr;
use crate::gate::ratelimit::Rate;

/// Where data lives; shared by `caas serve` and the `caas app` commands.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Folder of the embedded database and blobs.
    #[arg(long, env = "CAAS_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite://…` or `postgres://…` [default: sqlite://$CAAS_DATA_DIR/caas.db]
    #[arg(long, env = "CAAS_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DbArgs {
    /// The database URL, defaulting to a SQLite file in the data folder.
    pub fn url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("caas.db").display()))
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Flags of `caas serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// HTTP and WebSocket listener.
    #[arg(long, env = "CAAS_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    /// Redis URL for a cluster's event bus (unset: in-process bus).
    #[arg(long, env = "CAAS_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Seconds a client has to send a request's headers (on a new connection,
    /// or between requests on a kept-alive one) before it is closed.
    #[arg(long, env = "CAAS_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Open TCP connections at once [default: the process' open-file limit less 256].
    #[arg(long, env = "CAAS_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Open TCP connections per client address, trusted proxies excepted (0: no limit).
    #[arg(long, env = "CAAS_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub max_connections_per_ip: usize,
    /// Open real-time connections (`/v1/ws`) per end user, across the cluster (0: no limit).
    #[arg(long, env = "CAAS_MAX_CONNECTIONS_PER_USER", default_value_t = 50)]
    pub max_connections_per_user: u32,
    /// Open real-time connections (`/v1/ws`) per app, across the cluster (0: no limit).
    #[arg(long, env = "CAAS_MAX_CONNECTIONS_PER_APP", default_value_t = 0)]
    pub max_connections_per_app: u32,
    /// The cluster's name: nodes with the same name on one Redis place calls
    /// among themselves (1–64 characters of A-Z a-z 0-9 _ -).
    #[arg(long, env = "CAAS_CLUSTER", default_value = "caas")]
    pub cluster: crate::live::nodes::ClusterName,
    /// Blob store URL: `file://…` or `s3://bucket?endpoint=…&region=…` (credentials from `AWS_*`) [default: file://$CAAS_DATA_DIR/blobs]
    #[arg(long, env = "CAAS_BLOB_URL")]
    pub blob_url: Option<String>,
    /// The SFU's UDP socket.
    #[arg(long, env = "CAAS_RTC_UDP_ADDR", default_value = "127.0.0.1:7882")]
    pub rtc_udp_addr: SocketAddr,
    /// IP the SFU advertises in ICE candidates [default: the UDP address's IP]
    #[arg(long, env = "CAAS_RTC_PUBLIC_IP")]
    pub rtc_public_ip: Option<std::net::IpAddr>,
    /// SFU worker threads, each owning whole rooms [default: one per core]
    #[arg(long, env = "CAAS_RTC_WORKERS")]
    pub rtc_workers: Option<usize>,
    /// Comma-separated STUN URLs handed to clients (e.g. `stun:stun.example.com:3478`).
    #[arg(long, env = "CAAS_STUN_URLS", value_delimiter = ',')]
    pub stun_urls: Vec<String>,
    /// Comma-separated TURN URLs handed to clients with time-limited credentials.
    #[arg(long, env = "CAAS_TURN_URLS", value_delimiter = ',')]
    pub turn_urls: Vec<String>,
    /// The TURN server's shared secret (coturn `static-auth-secret`).
    #[arg(long, env = "CAAS_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,
    /// Log format.
    #[arg(long, env = "CAAS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, in `tracing` env-filter syntax.
    #[arg(long, env = "CAAS_LOG", default_value = "info")]
    pub log: String,
    /// Comma-separated proxies (IPs or CIDRs) whose `X-Forwarded-For` is believed.
    #[arg(long, env = "CAAS_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    pub trusted_proxies: Vec<IpNet>,
    /// Requests per second per app, burst twice that (0: unlimited).
    #[arg(long, env = "CAAS_RATE_LIMIT_APP", default_value_t = 2000.0)]
    pub rate_limit_app: f64,
    /// Requests per second per end user, burst twice that (0: unlimited).
    #[arg(long, env = "CAAS_RATE_LIMIT_USER", default_value_t = 20.0)]
    pub rate_limit_user: f64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "CAAS_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest file upload, in bytes.
    #[arg(long, env = "CAAS_MAX_FILE_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_file_bytes: usize,
    /// Longest a request may take, in seconds.
    #[arg(long, env = "CAAS_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Dev mode: serve the demo page at /demo with a demo app and token minting. Never in production.
    #[arg(long, env = "CAAS_DEMO", default_value_t = false)]
    pub demo: bool,
    /// Folder of the demo page (dev mode).
    #[arg(long, env = "CAAS_DEMO_DIR", default_value = "sdk-js/demo")]
    pub demo_dir: PathBuf,
    /// Folder of the built SDK served at /demo/sdk (dev mode).
    #[arg(long, env = "CAAS_DEMO_SDK_DIR", default_value = "sdk-js/dist")]
    pub demo_sdk_dir: PathBuf,
    /// How often app settings and keys changed elsewhere are picked up, in seconds.
    #[arg(long, env = "CAAS_DIRECTORY_REFRESH_SECS", default_value_t = 5)]
    pub directory_refresh_secs: u64,
    /// SMTP server for notification digests: `smtp://host:port` (plain),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://host:465`, with
    /// `user:password@` if needed (unset: no email).
    #[arg(long, env = "CAAS_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The server's public address as browsers reach it (`https://chat.example.com`),
    /// for links sent by email (console password reset). Never taken from a
    /// request's Host header, which the sender of the request chooses.
    #[arg(long, env = "CAAS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Sender of notification emails.
    #[arg(long, env = "CAAS_EMAIL_FROM", default_value = "CAAS <notifications@localhost>")]
    pub email_from: String,
    /// A user offline this long (seconds) gets their unread notifications by email, as one digest.
    #[arg(long, env = "CAAS_DIGEST_AFTER_SECS", default_value_t = 3600)]
    pub digest_after_secs: u64,
    /// How often the digest looks for users to email, in seconds.
    #[arg(long, env = "CAAS_DIGEST_EVERY_SECS", default_value_t = 60)]
    pub digest_every_secs: u64,
    /// Web push: the VAPID private key (raw 32-byte P-256 key, base64url; unset: no web push).
    #[arg(long, env = "CAAS_VAPID_PRIVATE_KEY", hide_env_values = true)]
    pub vapid_private_key: Option<String>,
    /// Web push: the contact in VAPID tokens (`mailto:…` or `https:…`).
    #[arg(long, env = "CAAS_VAPID_SUBJECT", default_value = "mailto:admin@localhost")]
    pub vapid_subject: String,
    /// First webhook retry delay in milliseconds; each retry doubles it (capped at an hour).
    #[arg(long, env = "CAAS_WEBHOOK_RETRY_MS", default_value_t = 5000)]
    pub webhook_retry_ms: u64,
    /// Plans, included quotas and overage prices (JSON, see `billing/plans.json`);
    /// unset: the built-in free, pro and enterprise plans.
    #[arg(long, env = "CAAS_PLANS_FILE")]
    pub plans_file: Option<PathBuf>,
    /// How often usage meters are written to the database, in milliseconds.
    #[arg(long, env = "CAAS_METER_FLUSH_MS", default_value_t = 5000)]
    pub meter_flush_ms: u64,
    /// Console cookies carry `Secure` (set this when the console is served over HTTPS).
    #[arg(long, env = "CAAS_CONSOLE_SECURE_COOKIES", default_value_t = false)]
    pub console_secure_cookies: bool,
    /// OpenTelemetry traces: the OTLP/HTTP traces URL of a collector (e.g.
    /// `http://127.0.0.1:4318/v1/traces`); unset: no traces are exported.
    #[arg(long, env = "CAAS_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// Console sign-in attempts allowed per minute from one client IP (0: unlimited).
    #[arg(long, env = "CAAS_CONSOLE_LOGIN_PER_MIN", default_value_t = 10.0)]
    pub console_login_per_min: f64,
}

impl ServeArgs {
    /// Defaults for everything, as `caas serve` with no flags and no environment.
    pub fn defaults() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        // Parsing an empty argument list only applies defaults; the environment
        // still counts, as it does for the real binary.
        match Only::try_parse_from(["caas"]) {
            Ok(o) => o.serve,
            Err(e) => e.exit(),
        }
    }

    /// The per-app rate, or `None` when unlimited.
    pub fn app_rate(&self) -> Option<Rate> {
        rate(self.rate_limit_app)
    }

    /// The per-user rate, or `None` when unlimited.
    pub fn user_rate(&self) -> Option<Rate> {
        rate(self.rate_limit_user)
    }

    /// The console's sign-in rate per client IP, or `None` when unlimited.
    pub fn login_rate(&self) -> Option<Rate> {
        let per_min = self.console_login_per_min;
        (per_min > 0.0 && per_min.is_finite()).then_some(Rate { per_sec: per_min / 60.0, burst: per_min.max(1.0) })
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }
}

fn rate(per_sec: f64) -> Option<Rate> {
    (per_sec > 0.0 && per_sec.is_finite()).then_some(Rate { per_sec, burst: (per_sec * 2.0).max(1.0) })
}
