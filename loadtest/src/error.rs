//! The harness' errors, one type per concern. A run that fails prints its
//! [`Error`] as `error: …` and exits with 1; the errors of single clients are
//! counted and printed as notes while the run goes on.

use std::net::IpAddr;

use reqwest::StatusCode;
use serde_json::Value;
use thiserror::Error;
use tokio_tungstenite::tungstenite;

/// Why a run stopped.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Janus(#[from] JanusError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    Histogram(#[from] hdrhistogram::CreationError),
    #[error(transparent)]
    HistogramAdd(#[from] hdrhistogram::AdditionError),
    /// A worker task panicked or was cancelled.
    #[error(transparent)]
    Worker(#[from] tokio::task::JoinError),
    /// A task panicked while holding a latency histogram.
    #[error("poisoned lock: another task failed inside")]
    Poisoned,
    /// The report could not be serialized.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Not every connection or client got through a setup step in time.
    #[error("only {done} of {total} {what} in {secs}s")]
    Stalled { done: u64, total: u64, what: &'static str, secs: u64 },
    #[error("{failed} of {total} publishers could not be set up")]
    PublishersFailed { failed: u64, total: usize },
    /// A setup step (`what`, e.g. "participants not set up") did not finish in time.
    #[error("{what} in {secs} s")]
    Timeout { what: &'static str, secs: u64 },
}

/// Command-line arguments that are out of range, contradict each other or
/// point away from this machine.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("--base must be an http:// URL")]
    NotHttp,
    #[error("refusing to load `{0}`: only loopback targets are allowed")]
    NotLoopback(String),
    #[error("--base needs a port, e.g. http://127.0.0.1:8080")]
    NoPort,
    #[error("bad port in --base: `{0}`")]
    BadPort(String),
    #[error("bad host in --base: `{0}`")]
    BadHost(String),
    #[error("bad address in --source-ips: `{0}`")]
    BadSourceIp(String),
    #[error("refusing source address `{0}`: only loopback addresses are allowed")]
    SourceNotLoopback(IpAddr),
    #[error("--source-ips must be of the same address family as --base")]
    SourceFamily,
    #[error("refusing --local-ip {0}: loopback or 198.18.0.0/15 only")]
    MediaAddress(IpAddr),
    #[error("--api-key and --api-secret are needed for --target caas")]
    NoCredentials,
    /// `n` clients (`what`) need more descriptors than `ulimit -n` allows.
    #[error("{n} {what} need more open files than the limit of {limit}: raise `ulimit -n`")]
    OpenFiles { n: usize, what: &'static str, limit: u64 },
    /// A count or rate out of range (the message names the flag).
    #[error("{0}")]
    OutOfRange(&'static str),
}

/// Setting up users and documents through the CAAS HTTP API.
#[derive(Debug, Error)]
pub enum ApiError {
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error("session for {user}: {source}")]
    Session { user: String, source: reqwest::Error },
    #[error("session for {user}: {status} {body}")]
    SessionRefused { user: String, status: StatusCode, body: String },
    #[error("session for {user}: no token in the reply")]
    NoToken { user: String },
    #[error("POST /v1/docs: {status} {body}")]
    DocRefused { status: StatusCode, body: String },
    #[error("no doc.id in the reply")]
    NoDocId,
    /// A worker task panicked or was cancelled.
    #[error(transparent)]
    Worker(#[from] tokio::task::JoinError),
}

/// One client's WebSocket: connecting, the handshake and the frames after it.
#[derive(Debug, Error)]
pub enum WsError {
    /// The connection gate was closed.
    #[error(transparent)]
    Gate(#[from] tokio::sync::AcquireError),
    #[error("socket: {0}")]
    Socket(#[from] std::io::Error),
    #[error("bind {addr}: {source}")]
    Bind { addr: IpAddr, source: std::io::Error },
    #[error("connect: {0}")]
    Connect(std::io::Error),
    #[error("upgrade: {0}")]
    Upgrade(tungstenite::Error),
    #[error("upgrade timed out")]
    UpgradeTimeout,
    #[error("send: {0}")]
    Send(tungstenite::Error),
    #[error("read: {0}")]
    Read(tungstenite::Error),
    /// The server closed the connection; with its close code and reason, or `eof`.
    #[error("closed by server: {0}")]
    Closed(String),
    /// The engine.io/socket.io close packet.
    #[error("closed by server (engine.io/socket.io close)")]
    EngineClosed,
    /// The server closed the connection before the session was ready (with its close frame, if any).
    #[error("closed before ready{}", .0.as_ref().map(|f| format!(": {f}")).unwrap_or_default())]
    ClosedBeforeReady(Option<String>),
    /// The server refused the session, with its error code.
    #[error("refused: {0}")]
    Refused(String),
    #[error("bad frame: {0}")]
    BadFrame(serde_json::Error),
    /// The server answered a request (`op`) with an error.
    #[error("{op} refused: {error}")]
    RequestRefused { op: String, error: Value },
}

impl WsError {
    /// How a lost connection is counted in the report's close codes.
    pub fn close_code(&self) -> String {
        match self {
            WsError::Closed(code) => code.clone(),
            e => e.to_string(),
        }
    }
}

/// A y-websocket or Hocuspocus frame the collab client cannot read.
#[derive(Debug, Error)]
pub enum FrameError {
    #[error(transparent)]
    Decode(#[from] yrs::encoding::read::Error),
    #[error("bad string: {0}")]
    BadString(yrs::encoding::read::Error),
    /// A Hocuspocus frame addressed to another document.
    #[error("frame for document `{0}`")]
    OtherDocument(String),
    /// A Hocuspocus frame of an unexpected type (its first bytes after the address).
    #[error("unexpected frame {0:?}")]
    Unexpected(Vec<u8>),
}

/// A str0m peer of the sfu scenario: its socket and offer/answer.
#[derive(Debug, Error)]
pub enum PeerError {
    #[error("udp bind: {0}")]
    Bind(std::io::Error),
    #[error("udp socket: {0}")]
    Socket(std::io::Error),
    #[error("candidate: {0}")]
    Candidate(str0m::error::IceError),
    #[error(transparent)]
    Histogram(#[from] hdrhistogram::CreationError),
    #[error("nothing to offer")]
    NothingToOffer,
    #[error("answer sdp: {0}")]
    AnswerSdp(str0m::error::SdpError),
    #[error("accept answer: {0}")]
    AcceptAnswer(str0m::RtcError),
    #[error("offer sdp: {0}")]
    OfferSdp(str0m::error::SdpError),
    #[error("accept offer: {0}")]
    AcceptOffer(str0m::RtcError),
}

/// Janus' HTTP API and its VideoRoom plugin.
#[derive(Debug, Error)]
pub enum JanusError {
    /// The HTTP client could not be built.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error("POST {url}: {source}")]
    Post { url: String, source: reqwest::Error },
    /// Janus answered `{"janus": "error"}`.
    #[error("janus error: {0}")]
    Janus(Value),
    /// A reply without the id (`what`: "session id", "handle id", "feed id") it should carry.
    #[error("no {what} in {reply}")]
    NoId { what: &'static str, reply: Value },
    #[error("unexpected reply {0}")]
    UnexpectedReply(Value),
    #[error("no answer to transaction {transaction} in {secs} s")]
    NoAnswer { transaction: String, secs: u64 },
    #[error("the session's event stream ended")]
    EventsEnded,
    /// The VideoRoom plugin answered with an error.
    #[error("videoroom error {code}: {error}")]
    Plugin { code: Value, error: Value },
    #[error("room {room} not created: {data}")]
    RoomNotCreated { room: u64, data: Value },
    /// A VideoRoom request (`request`: "join as publisher", "start", …) did not do what it should.
    #[error("{request}: {data}")]
    Rejected { request: &'static str, data: Value },
    /// A reply without the JSEP (`kind`: "offer" or "answer") it should carry.
    #[error("no JSEP {kind}: {data}")]
    NoJsep { kind: &'static str, data: Value },
    #[error(transparent)]
    Peer(#[from] PeerError),
}

/// Setting up one participant of the sfu scenario.
#[derive(Debug, Error)]
pub enum SetupError {
    #[error(transparent)]
    Peer(#[from] PeerError),
    #[error(transparent)]
    Signaling(#[from] WsError),
    #[error(transparent)]
    Janus(#[from] JanusError),
    #[error("no sdp in the call.offer reply")]
    NoSdp,
    #[error("no Janus client")]
    NoJanus,
    #[error("no publisher in room {0} to subscribe to")]
    NoPublisher(u64),
}
