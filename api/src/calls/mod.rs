//! Calls: the `call.*` WebSocket ops in front of the SFU, ICE server
//! configuration (STUN, TURN with coturn's time-limited credentials) and
//! call metering. See docs/calls.md.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use base64::Engine;
use caas_sfu::driver::{Departure, SfuHandle, Signal};
use caas_sfu::{ParticipantId, Permissions, RoomKey, SfuError, Source};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::gate::auth::EndUser;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::input::op_data as input;

/// How long TURN credentials stay valid.
pub const TURN_TTL_SECS: u64 = 24 * 3600;
/// Longest room id.
pub const MAX_ROOM_ID: usize = 128;

crate::handle! {
    /// What calls need.
    Calls => CallsParts
}

/// The parts of a [`Calls`].
pub struct CallsParts {
    /// The database (room membership, call usage).
    pub store: caas_storage::Store,
    /// The media server.
    pub sfu: caas_sfu::driver::SfuHandle,
    /// STUN/TURN servers for clients.
    pub ice: IceConfig,
    /// Media egress is metered.
    pub meter: std::sync::Arc<crate::billing::meters::Meter>,
    /// `call.started` and `call.ended` webhooks.
    pub notifier: crate::notify::Notifier,
}

/// STUN/TURN servers handed to clients.
#[derive(Debug, Clone, Default)]
pub struct IceConfig {
    /// `stun:` URLs.
    pub stun_urls: Vec<String>,
    /// `turn:`/`turns:` URLs.
    pub turn_urls: Vec<String>,
    /// coturn's `static-auth-secret`.
    pub turn_secret: Option<String>,
}

/// One entry of `ice_servers` (the shape of `RTCIceServer`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IceServer {
    /// Server URLs.
    pub urls: Vec<String>,
    /// TURN username: `<expiry>:<app_id>:<user_id>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN credential: base64 HMAC-SHA1 of the username with the shared secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// `{"ice_servers": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IceServersBody {
    /// For `RTCPeerConnection({iceServers})`.
    pub ice_servers: Vec<IceServer>,
}

impl IceConfig {
    /// The servers for `user` at unix time `now`.
    pub fn servers(&self, user: &EndUser, now: u64) -> Vec<IceServer> {
        let mut out = Vec::new();
        if !self.stun_urls.is_empty() {
            out.push(IceServer { urls: self.stun_urls.clone(), username: None, credential: None });
        }
        if !self.turn_urls.is_empty() {
            let username = format!("{}:{}:{}", now + TURN_TTL_SECS, user.app_id, user.user_id);
            let credential = self.turn_secret.as_deref().map(|secret| turn_credential(secret, &username));
            out.push(IceServer { urls: self.turn_urls.clone(), username: Some(username), credential });
        }
        out
    }
}

/// coturn's REST-API credential: base64(HMAC-SHA1(secret, username)).
pub fn turn_credential(secret: &str, username: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = match Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// STUN and TURN servers for `RTCPeerConnection`, TURN with credentials valid for 24 h.
#[utoipa::path(
    get, path = "/v1/calls/ice-servers", tag = "calls", security(("session_token" = [])),
    responses(
        (status = 200, body = IceServersBody),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
    )
)]
pub async fn ice_servers(State(state): State<Calls>, user: EndUser) -> Json<IceServersBody> {
    Json(IceServersBody { ice_servers: state.ice.servers(&user, unix_now()) })
}

/// The calls of one WebSocket connection.
pub struct CallConn {
    rooms: HashMap<String, ParticipantId>,
    tx: mpsc::UnboundedSender<(String, Option<Signal>)>,
    /// Signals for this connection, tagged with their room; `None` when the
    /// SFU dropped the participant.
    pub rx: mpsc::UnboundedReceiver<(String, Option<Signal>)>,
}

impl Default for CallConn {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        CallConn { rooms: HashMap::new(), tx, rx }
    }
}

impl CallConn {
    /// Turns a signal into a push frame; a participant the SFU dropped is
    /// forgotten and told so.
    pub fn frame(&mut self, room: String, signal: Option<Signal>) -> Option<String> {
        let (event, data) = match signal {
            Some(s) => (s.event, s.data),
            None => {
                let p = self.rooms.remove(&room)?;
                (
                    "call.participant_left",
                    json!({"room_id": room, "participant_id": p.to_string(), "reason": "disconnected"}),
                )
            }
        };
        Some(caas_signaling::protocol::push(event, &data, None))
    }

    /// Leaves every room (the connection closed).
    pub fn leave_all(&mut self, sfu: &SfuHandle) {
        for (_, p) in self.rooms.drain() {
            sfu.leave(p);
        }
    }
}

/// The next call signal of a connection; never ready for one without calls.
pub async fn next_signal(calls: &mut Option<Box<CallConn>>) -> Option<(String, Option<Signal>)> {
    match calls {
        Some(c) => c.rx.recv().await,
        None => std::future::pending().await,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinInput {
    room_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferInput {
    room_id: String,
    sdp: String,
    #[serde(default)]
    sources: HashMap<String, Source>,
    #[serde(default)]
    #[allow(dead_code)]
    target: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerInput {
    room_id: String,
    offer_id: String,
    sdp: String,
    #[serde(default)]
    #[allow(dead_code)]
    target: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CandidateInput {
    room_id: String,
    candidate: Value,
    #[serde(default)]
    #[allow(dead_code)]
    target: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MuteInput {
    room_id: String,
    track_id: String,
    muted: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscribeInput {
    room_id: String,
    track_id: String,
    enabled: Option<bool>,
    max_height: Option<u32>,
}

fn sfu_error(e: SfuError) -> ApiError {
    match e {
        SfuError::Forbidden(m) => ApiError::new(axum::http::StatusCode::FORBIDDEN, "forbidden", m),
        SfuError::UnknownTrack => ApiError::not_found("not_found", "no such track in this call"),
        other => ApiError::invalid(other.code(), other.to_string()),
    }
}

fn valid_room_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ROOM_ID
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The call permissions in the token's `grants.call`.
fn permissions(user: &EndUser) -> Result<Permissions, ApiError> {
    let mut p = Permissions::default();
    let Some(call) = user.grants.as_ref().and_then(|g| g.get("call")) else {
        return Ok(p);
    };
    let bad = || ApiError::new(axum::http::StatusCode::FORBIDDEN, "forbidden", "the token's grants.call is malformed");
    if let Some(v) = call.get("can_publish") {
        p.can_publish = v.as_bool().ok_or_else(bad)?;
    }
    if let Some(v) = call.get("can_subscribe") {
        p.can_subscribe = v.as_bool().ok_or_else(bad)?;
    }
    if let Some(v) = call.get("sources") {
        p.sources = serde_json::from_value(v.clone()).map_err(|_| bad())?;
    }
    Ok(p)
}

impl CallConn {
    fn participant(&self, room: &str) -> Result<ParticipantId, ApiError> {
        self.rooms.get(room).copied().ok_or_else(|| ApiError::invalid("not_joined", "join the call first"))
    }

    /// Runs one `call.*` op.
    pub async fn dispatch(&mut self, state: &Calls, user: &EndUser, op: &str, data: Value) -> Result<Value, ApiError> {
        let sfu = &state.sfu;
        match op {
            "call.join" => {
                let i: JoinInput = input(data)?;
                if !valid_room_id(&i.room_id) {
                    return Err(ApiError::invalid(
                        "invalid_room_id",
                        format!("room_id must be 1 to {MAX_ROOM_ID} characters of A-Z a-z 0-9 . _ : -"),
                    ));
                }
                if self.rooms.contains_key(&i.room_id) {
                    return Err(ApiError::invalid("already_joined", "this connection is already in the call"));
                }
                // A conversation's room is for its members only.
                if let Ok(conv) = i.room_id.parse::<caas_storage::ConversationId>() {
                    match state.store.app(user.app_id).recipients(conv).await {
                        Ok(members) if members.binary_search(&user.user_id).is_err() => {
                            return Err(ApiError::new(
                                axum::http::StatusCode::FORBIDDEN,
                                "forbidden",
                                "you are not a member of this conversation",
                            ));
                        }
                        Ok(_) | Err(caas_storage::StoreError::NotFound { .. }) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                let perms = permissions(user)?;
                let key = RoomKey { app: user.app_id.to_string(), room: i.room_id.clone() };
                let (p, others, mut signals) =
                    sfu.join(key, user.user_id.as_str().to_owned(), perms).await.map_err(sfu_error)?;
                self.rooms.insert(i.room_id.clone(), p);
                let tx = self.tx.clone();
                let room = i.room_id.clone();
                tokio::spawn(async move {
                    while let Some(s) = signals.recv().await {
                        if tx.send((room.clone(), Some(s))).is_err() {
                            return;
                        }
                    }
                    let _ = tx.send((room, None));
                });
                tracing::info!(app_id = %user.app_id, user_id = %user.user_id, participant = %p, "call joined");
                if state.notifier.hooks.call_joined(user.app_id, &i.room_id) {
                    crate::notify::webhooks::emit(
                        &state.notifier,
                        user.app_id,
                        "call.started",
                        json!({"room_id": i.room_id, "started_by": user.user_id}),
                    );
                }
                Ok(json!({
                    "participant_id": p.to_string(),
                    "ice_servers": state.ice.servers(user, unix_now()),
                    "participants": others,
                }))
            }
            "call.offer" => {
                let i: OfferInput = input(data)?;
                let p = self.participant(&i.room_id)?;
                let sdp = sfu.offer(p, i.sdp, i.sources).await.map_err(sfu_error)?;
                Ok(json!({"sdp": sdp}))
            }
            "call.answer" => {
                let i: AnswerInput = input(data)?;
                let p = self.participant(&i.room_id)?;
                sfu.answer(p, i.offer_id, i.sdp).await.map_err(sfu_error)?;
                Ok(json!({}))
            }
            "call.candidate" => {
                let i: CandidateInput = input(data)?;
                let p = self.participant(&i.room_id)?;
                let text = match &i.candidate {
                    Value::String(s) => s.clone(),
                    Value::Object(o) => o.get("candidate").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    Value::Null => String::new(),
                    _ => {
                        return Err(ApiError::invalid("invalid_candidate", "candidate must be an RTCIceCandidateInit"));
                    }
                };
                sfu.candidate(p, text).await.map_err(sfu_error)?;
                Ok(json!({}))
            }
            "call.mute" => {
                let i: MuteInput = input(data)?;
                let p = self.participant(&i.room_id)?;
                sfu.mute(p, i.track_id, i.muted).await.map_err(sfu_error)?;
                Ok(json!({}))
            }
            "call.subscribe" => {
                let i: SubscribeInput = input(data)?;
                let p = self.participant(&i.room_id)?;
                sfu.subscribe(p, i.track_id, i.enabled, i.max_height).await.map_err(sfu_error)?;
                Ok(json!({}))
            }
            "call.leave" => {
                let i: JoinInput = input(data)?;
                let p =
                    self.rooms.remove(&i.room_id).ok_or_else(|| ApiError::invalid("not_joined", "not in this call"))?;
                sfu.leave(p);
                Ok(json!({}))
            }
            other => Err(ApiError::invalid("unknown_op", format!("unknown op `{other}`"))),
        }
    }
}

/// Query of `GET /v1/admin/usage/calls`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// First day, `YYYY-MM-DD` (UTC) [default: 30 days ago].
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC) [default: today].
    pub to: Option<String>,
}

/// One day of call usage.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDay {
    /// UTC day.
    pub day: String,
    /// Participant minutes with audio only (rounded up).
    pub audio_minutes: i64,
    /// Participant minutes with video sent or received (rounded up).
    pub video_minutes: i64,
    /// Participant milliseconds with audio only.
    pub audio_ms: i64,
    /// Participant milliseconds with video.
    pub video_ms: i64,
    /// Participants who left that day.
    pub participants: i64,
}

/// `{"days": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageBody {
    /// Days with usage, oldest first.
    pub days: Vec<UsageDay>,
}

/// Call metering of the calling app: participant minutes per day, audio and video apart.
#[utoipa::path(
    get, path = "/v1/admin/usage/calls", tag = "admin", security(("api_secret" = [])), params(UsageQuery),
    responses(
        (status = 200, body = UsageBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn usage(
    State(state): State<Calls>,
    auth: crate::gate::auth::AdminAuth,
    axum::extract::Query(q): axum::extract::Query<UsageQuery>,
) -> Result<crate::http::error::ApiJson<UsageBody>, ApiError> {
    let today = time::OffsetDateTime::now_utc().date();
    let from = q.from.unwrap_or_else(|| (today - time::Duration::days(30)).to_string());
    let to = q.to.unwrap_or_else(|| today.to_string());
    let rows = state.store.app(auth.app.id).call_usage(&from, &to).await?;
    let minutes = |ms: i64| (ms + 59_999) / 60_000;
    Ok(crate::http::error::ApiJson(UsageBody {
        days: rows
            .into_iter()
            .map(|r| UsageDay {
                audio_minutes: minutes(r.audio_ms),
                video_minutes: minutes(r.video_ms),
                day: r.day,
                audio_ms: r.audio_ms,
                video_ms: r.video_ms,
                participants: r.participants,
            })
            .collect(),
    }))
}

/// Records departures as call usage (participant time per app and UTC day).
pub async fn meter(state: Calls, mut departures: mpsc::UnboundedReceiver<Departure>) {
    while let Some(d) = departures.recv().await {
        let Ok(app) = d.room.app.parse::<caas_storage::AppId>() else {
            continue;
        };
        let day = time::OffsetDateTime::now_utc().date().to_string();
        let (audio, video) = (d.usage.audio_ms as i64, d.usage.video_ms as i64);
        tracing::info!(app_id = %app, user_id = %d.user, participant = %d.participant, reason = d.reason, audio_ms = audio, video_ms = video, "call left");
        metrics::counter!("caas_call_participant_ms_total", "media" => "audio").increment(audio as u64);
        metrics::counter!("caas_call_participant_ms_total", "media" => "video").increment(video as u64);
        if let Err(e) = state.store.app(app).add_call_usage(&day, audio, video).await {
            tracing::warn!(app_id = %app, error = %e, "cannot record call usage");
        }
        state.meter.egress(app, d.usage.bytes_out);
        if let Ok(user) = d.user.parse::<caas_storage::UserId>()
            && let Err(e) = state.store.app(app).add_user_call(&user, audio + video).await
        {
            tracing::warn!(app_id = %app, error = %e, "cannot record the user's call");
        }
        if state.notifier.hooks.call_left(app, &d.room.room) {
            crate::notify::webhooks::emit(
                &state.notifier,
                app,
                "call.ended",
                json!({"room_id": d.room.room, "last_user_id": d.user}),
            );
        }
    }
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Calls: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(ice_servers)).routes(routes!(usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_credentials_follow_coturn() {
        // HMAC-SHA1 test vector of RFC 2202 (key "Jefe"), base64-encoded.
        assert_eq!(turn_credential("Jefe", "what do ya want for nothing?"), "7/zfauXrL6LSdBbV8YTfnCWafHk=");
    }

    #[test]
    fn room_ids_are_checked() {
        assert!(valid_room_id("standup:2026-11-26_a.b"));
        for bad in ["", "has space", "ü", &"x".repeat(129)] {
            assert!(!valid_room_id(bad), "{bad}");
        }
    }
}
