//! `GET /v1/ws`: the real-time WebSocket of end users.
//!
//! The token (query `token`) and the `Origin` are checked before the upgrade.
//! The first frame is `session.ready`; with `cursor`, every persistent event the
//! user missed since then follows in order, then live events. Ops are answered in
//! the contract's envelope; bad frames get an error reply and the connection
//! stays open. Quiet peers are pinged, dead ones closed; a connection whose
//! outbound queue fills is closed with code 4008 and resumes by cursor.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use caas_signaling::heartbeat::{Beat, Heartbeat};
use caas_signaling::presence::Status;
use caas_signaling::protocol::{Inbound, parse_frame, reply_err, reply_ok};
use caas_signaling::typing::{Start, Typing};
use caas_storage::{ConversationId, UserId};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::auth::{EndUser, authenticate, bearer_token};
use crate::error::{ApiError, ErrorBody};
use crate::live::{event_frame, publish_ephemeral};
use crate::origin::request_origin;
use crate::routes::UserBody;
use crate::state::AppState;
use crate::{chat, social};

/// Largest frame a client may send.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Read buffer per connection (tungstenite's default is 128 KiB).
pub const READ_BUFFER_BYTES: usize = 8 * 1024;
/// Frames queued for a connection before it counts as too slow.
pub const QUEUE_FRAMES: usize = 1024;
/// Ping after this much silence.
pub const PING_AFTER: Duration = Duration::from_secs(20);
/// Close after this much silence.
pub const DEAD_AFTER: Duration = Duration::from_secs(60);
/// Events replayed per database page.
const REPLAY_PAGE: i64 = 500;

/// The open sessions of this node. On shutdown every session is told to close
/// (code 1001, going away: the client reconnects, to another node if there is
/// one, and resumes by cursor) and the node waits for them before closing the
/// database.
#[derive(Clone)]
pub struct Sessions {
    stop: tokio::sync::watch::Sender<bool>,
    open: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    gone: std::sync::Arc<tokio::sync::Notify>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions { stop: tokio::sync::watch::channel(false).0, open: Default::default(), gone: Default::default() }
    }
}

/// Held by a running session; its drop counts the session out.
pub(crate) struct SessionGuard(Sessions);

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
        self.0.gone.notify_waiters();
    }
}

impl Sessions {
    pub(crate) fn enter(&self) -> (SessionGuard, tokio::sync::watch::Receiver<bool>) {
        self.open.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        (SessionGuard(self.clone()), self.stop.subscribe())
    }

    /// How many sessions are open.
    pub fn open(&self) -> usize {
        self.open.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Tells every session to close, and waits up to `limit` for them to finish.
    pub async fn close_all(&self, limit: Duration) {
        self.stop.send_replace(true);
        let wait = async {
            loop {
                let gone = self.gone.notified();
                if self.open() == 0 {
                    return;
                }
                gone.await;
            }
        };
        if tokio::time::timeout(limit, wait).await.is_err() {
            tracing::warn!(open = self.open(), "sessions still open at shutdown");
        }
    }
}

/// Query of the upgrade request.
#[derive(Debug, Deserialize, IntoParams)]
pub struct WsQuery {
    /// Session token (or send `Authorization: Bearer`).
    pub token: Option<String>,
    /// The last cursor seen: missed persistent events are replayed first.
    pub cursor: Option<String>,
}

/// The end user of a WebSocket upgrade: the token from the `token` query
/// parameter (or `Authorization: Bearer`), checked with the `Origin`.
pub(crate) async fn upgrade_user(
    state: &AppState,
    headers: &HeaderMap,
    token: Option<&str>,
) -> Result<EndUser, ApiError> {
    let token = token
        .or_else(|| bearer_token(headers))
        .ok_or_else(|| ApiError::invalid_token("pass the session token as the `token` query parameter"))?;
    authenticate(state, token, request_origin(headers)).await
}

/// Opens the real-time WebSocket (JSON text frames; see docs/protocol.md).
#[utoipa::path(
    get,
    path = "/v1/ws",
    tag = "real-time",
    params(WsQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not an upgrade, or a bad cursor (`invalid_cursor`)", body = ErrorBody),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`origin_not_allowed`", body = ErrorBody),
    )
)]
pub async fn ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let user = upgrade_user(&state, &headers, q.token.as_deref()).await?;
    let cursor = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            c.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::bad_request("invalid_cursor", "cursor must be a cursor this server gave"))?,
        ),
    };
    Ok(upgrade
        // A small read buffer keeps idle connections cheap; frames are still up to MAX_FRAME_BYTES.
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| session(state, user, cursor, socket)))
}

async fn session(state: AppState, user: EndUser, cursor: Option<i64>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let app = user.app_id.to_string();
    let Some(mut sub) = state.hub.register(&app, user.user_id.as_str(), QUEUE_FRAMES).await else {
        let _ = sink.send(close(1011, "hub unavailable")).await;
        return;
    };
    let conn = sub.conn;
    tracing::debug!(app_id = %app, user_id = %user.user_id, conn_id = conn, "websocket open");
    if let Some(status) = state.presence.connect(user.app_id, &user.user_id).await {
        announce_presence(&state, &user, status).await;
    }
    let mut conn_state = ConnState { typing: Typing::new(TYPING_EVERY, TYPING_TTL), calls: None };
    let (_counted, mut stopping) = state.sessions.enter();
    let _metered = state.meter.connect(user.app_id);
    // Bytes sent, handed to the meter once a second rather than per frame.
    let mut egress: u64 = 0;
    let outcome = async {
        let me = state.store.app(user.app_id).get_user(&user.user_id).await.map_err(|e| e.to_string())?;
        let Some(me) = me else {
            return Err("the user of this token no longer exists".to_owned());
        };
        let start = cursor.unwrap_or(sub.below - 1);
        let ready = json!({"event": "session.ready", "data": {"user": UserBody::from(me), "cursor": start.to_string()}});
        sink.send(Message::Text(ready.to_string().into())).await.map_err(|e| e.to_string())?;
        // Replay what was missed, up to where the hub's live delivery starts.
        if let Some(mut after) = cursor {
            loop {
                let page = state
                    .store
                    .app(user.app_id)
                    .events_for_user(&user.user_id, after, sub.below, REPLAY_PAGE)
                    .await
                    .map_err(|e| e.to_string())?;
                for ev in &page {
                    sink.send(Message::Text(event_frame(ev).into())).await.map_err(|e| e.to_string())?;
                    after = ev.id;
                }
                if (page.len() as i64) < REPLAY_PAGE {
                    break;
                }
            }
        }
        let mut hb = Heartbeat::new(Instant::now(), PING_AFTER, DEAD_AFTER);
        let mut sweep = tokio::time::interval(Duration::from_secs(1));
        loop {
            let deadline = tokio::time::Instant::from_std(hb.deadline());
            tokio::select! {
                msg = stream.next() => {
                    let msg = match msg {
                        Some(Ok(msg)) => msg,
                        None => return Ok(()),
                        Some(Err(e)) => {
                            // The peer broke the protocol; say why before closing.
                            let text = e.to_string();
                            let (code, reason) = if text.contains("too long") || text.contains("limit") {
                                (1009, format!("frame larger than {MAX_FRAME_BYTES} bytes"))
                            } else {
                                (1002, format!("protocol error: {text}"))
                            };
                            let _ = sink.send(close(code, &reason)).await;
                            return Ok(());
                        }
                    };
                    hb.heard(Instant::now());
                    match msg {
                        Message::Text(text) => {
                            // Boxed: an op's future is large and short-lived; kept inline it would
                            // make every idle connection's session future carry its size.
                            let reply = Box::pin(handle_frame(&state, &user, &mut conn_state, &text)).await;
                            egress += reply.len() as u64;
                            sink.send(Message::Text(reply.into())).await.map_err(|e| e.to_string())?;
                        }
                        Message::Binary(_) => {
                            let reply = reply_err(&Value::Null, "bad_request", "binary frames are not supported; send JSON text");
                            sink.send(Message::Text(reply.into())).await.map_err(|e| e.to_string())?;
                        }
                        Message::Close(_) => return Ok(()),
                        Message::Ping(_) | Message::Pong(_) => {}
                    }
                }
                frame = sub.frames.recv() => match frame {
                    Some(frame) => {
                        egress += frame.len() as u64;
                        sink.send(Message::Text(Utf8Bytes::from(&*frame))).await.map_err(|e| e.to_string())?
                    }
                    None => {
                        let _ = sink.send(close(4008, "slow_consumer: reconnect with your last cursor")).await;
                        return Ok(());
                    }
                },
                Some((room, signal)) = crate::calls::next_signal(&mut conn_state.calls) => {
                    if let Some(frame) = conn_state.calls.as_mut().and_then(|c| c.frame(room, signal)) {
                        sink.send(Message::Text(frame.into())).await.map_err(|e| e.to_string())?;
                    }
                }
                _ = stopping.changed() => {
                    let _ = sink.send(close(1001, "server shutting down: reconnect with your last cursor")).await;
                    return Ok(());
                }
                _ = sweep.tick() => {
                    if egress > 0 {
                        state.meter.egress(user.app_id, std::mem::take(&mut egress));
                    }
                    for conv in conn_state.typing.expire(Instant::now()) {
                        typing_changed(&state, &user, conv, false).await;
                    }
                }
                _ = tokio::time::sleep_until(deadline) => match hb.poll(Instant::now()) {
                    Beat::Ping => sink.send(Message::Ping(Default::default())).await.map_err(|e| e.to_string())?,
                    Beat::Close => {
                        let _ = sink.send(close(4000, "heartbeat timeout")).await;
                        return Ok(());
                    }
                    Beat::Idle => {}
                },
            }
        }
    }
    .await;
    if let Some(calls) = conn_state.calls.as_mut() {
        calls.leave_all(&state.sfu);
    }
    for conv in conn_state.typing.drain() {
        typing_changed(&state, &user, conv, false).await;
    }
    let scope = state.store.app(user.app_id);
    if let Err(e) = scope.touch_last_seen(&user.user_id, caas_storage::now_ms()).await {
        tracing::warn!(conn_id = conn, error = %e, "cannot record last seen");
    }
    if let Some(status) = state.presence.disconnect(user.app_id, &user.user_id).await {
        announce_presence(&state, &user, status).await;
    }
    if let Err(e) = outcome {
        tracing::debug!(conn_id = conn, error = %e, "websocket ended");
        let _ = sink.send(close(1011, &e)).await;
    }
    state.hub.unregister(conn);
}

fn close(code: u16, reason: &str) -> Message {
    // A close reason is limited to 123 bytes.
    let mut reason = reason.to_owned();
    while reason.len() > 123 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}

fn input<T: DeserializeOwned>(data: Value) -> Result<T, ApiError> {
    serde_json::from_value(if data.is_null() { json!({}) } else { data })
        .map_err(|e| ApiError::invalid("invalid_body", format!("invalid data: {e}")))
}

/// Per-connection state the ops use.
struct ConnState {
    typing: Typing<ConversationId>,
    /// Created on the first `call.*` op (most connections never make a call).
    calls: Option<Box<crate::calls::CallConn>>,
}

/// Broadcast a typing start at most this often per conversation.
const TYPING_EVERY: Duration = Duration::from_secs(2);
/// A typing indicator not refreshed for this long stops.
const TYPING_TTL: Duration = Duration::from_secs(6);

async fn handle_frame(state: &AppState, user: &EndUser, conn: &mut ConnState, text: &str) -> String {
    match parse_frame(text) {
        Inbound::Invalid { id, message } => reply_err(&id, "bad_request", &message),
        Inbound::Request { id, op, data } => match dispatch(state, user, conn, &op, data).await {
            Ok(value) => reply_ok(&id, &value),
            Err(e) => reply_err(&id, e.code, &e.message),
        },
    }
}

async fn dispatch(
    state: &AppState,
    user: &EndUser,
    conn: &mut ConnState,
    op: &str,
    data: Value,
) -> Result<Value, ApiError> {
    if op.starts_with("call.") {
        return conn.calls.get_or_insert_with(Default::default).dispatch(state, user, op, data).await;
    }
    match op {
        "typing.start" | "typing.stop" => {
            let r: chat::ConversationRef = input(data)?;
            // Only members may type; this also tells unknown from forbidden.
            state.store.app(user.app_id).conversation(r.conversation_id, &user.user_id).await?;
            let now = Instant::now();
            let changed = if op == "typing.start" {
                conn.typing.start(r.conversation_id, now) == Start::Broadcast
            } else {
                conn.typing.stop(&r.conversation_id)
            };
            if changed {
                typing_changed(state, user, r.conversation_id, op == "typing.start").await;
            }
            Ok(json!({}))
        }
        "conversation.create" => json_of(chat::create_conversation(state, user, input(data)?).await?),
        "conversation.get" => {
            let r: chat::ConversationRef = input(data)?;
            json_of(chat::get_conversation(state, user, r.conversation_id).await?)
        }
        "conversation.history" => json_of(chat::history(state, user, None, input(data)?).await?),
        "conversation.list" => json_of(chat::list(state, user, input(data)?).await?),
        "conversation.settings" => chat::update_settings(state, user, None, input(data)?).await,
        "message.send" => {
            let sent = chat::send_message(state, user, None, input(data)?).await?;
            // Sending ends the sender's typing indicator in that conversation.
            if conn.typing.stop(&sent.message.conversation_id) {
                typing_changed(state, user, sent.message.conversation_id, false).await;
            }
            json_of(sent)
        }
        "message.read" => json_of(chat::mark_read(state, user, None, input(data)?).await?),
        "message.search" => json_of(chat::search(state, user, input(data)?).await?),
        "member.add" | "member.remove" | "member.role" | "conversation.leave" | "conversation.transfer" => {
            let change = match op {
                "member.add" => chat::MembersOp::Add,
                "member.remove" => chat::MembersOp::Remove,
                "member.role" => chat::MembersOp::Role,
                "conversation.leave" => chat::MembersOp::Leave,
                _ => chat::MembersOp::Transfer,
            };
            json_of(chat::change_members(state, user, None, change, input(data)?).await?)
        }
        "message.edit" | "message.delete" | "reaction.add" | "reaction.remove" | "message.pin" => {
            let change = match op {
                "message.edit" => chat::ChangeOp::Edit,
                "message.delete" => chat::ChangeOp::Delete,
                "reaction.add" => chat::ChangeOp::React,
                "reaction.remove" => chat::ChangeOp::Unreact,
                _ => chat::ChangeOp::Pin,
            };
            json_of(chat::change_message(state, user, None, change, input(data)?).await?)
        }
        "contact.list" => json_of(social::graph(state, user).await?),
        "presence.set" => {
            let r: PresenceSet = input(data)?;
            let status = match r.status.as_str() {
                "online" => Status::Online,
                "away" => Status::Away,
                "invisible" => Status::Invisible,
                _ => return Err(ApiError::invalid("invalid_status", "status must be online, away or invisible")),
            };
            if let Some(visible) = state.presence.choose(user.app_id, &user.user_id, status).await {
                announce_presence(state, user, visible).await;
            }
            Ok(json!({"status": status}))
        }
        "presence.subscribe" => {
            let r: PresenceSubscribe = input(data)?;
            if r.user_ids.len() > 500 {
                return Err(ApiError::invalid("too_many_users", "subscribe to at most 500 users at once"));
            }
            let scope = state.store.app(user.app_id);
            let audience: std::collections::HashSet<UserId> =
                scope.presence_audience(&user.user_id).await?.into_iter().collect();
            let mut out = Vec::new();
            for other in r.user_ids.iter().filter(|u| audience.contains(*u)) {
                let status = state.presence.status(user.app_id, other).await;
                let last_seen = scope.last_seen(other).await?.map(caas_api_ts);
                out.push(json!({"user_id": other, "status": status, "last_seen": last_seen}));
            }
            Ok(json!({"presence": out}))
        }
        "user.search" => json_of(social::search(state, user, input(data)?).await?),
        other => {
            let rel = other
                .strip_prefix("contact.")
                .or_else(|| other.strip_prefix("user."))
                .and_then(social::relation)
                .ok_or_else(|| ApiError::bad_request("unknown_op", format!("unknown op `{other}`")))?;
            let r: social::UserRef = input(data)?;
            json_of(social::relate(state, user, r.user_id, rel).await?)
        }
    }
}

fn json_of<T: serde::Serialize>(v: T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// Tells the other members that `user` started or stopped typing.
async fn typing_changed(state: &AppState, user: &EndUser, conv: ConversationId, typing: bool) {
    let members = match state.store.app(user.app_id).recipients(conv).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(app_id = %user.app_id, error = %e, "cannot load members for a typing event");
            return;
        }
    };
    let others: Vec<_> = members.iter().filter(|m| **m != user.user_id).cloned().collect();
    let data = json!({
        "conversation_id": conv,
        "user_id": user.user_id,
        "typing": typing,
        "expires_in_ms": TYPING_TTL.as_millis() as u64,
    });
    publish_ephemeral(&state.bus, user.app_id, "typing", &data, &others).await;
}

/// Input of `presence.set`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresenceSet {
    status: String,
}

/// Input of `presence.subscribe`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresenceSubscribe {
    user_ids: Vec<UserId>,
}

fn caas_api_ts(ms: i64) -> String {
    crate::routes::rfc3339_ms(ms)
}

/// Tells everyone who may see `user` (co-members and contacts, not blocked) their status.
async fn announce_presence(state: &AppState, user: &EndUser, status: Status) {
    let audience = match state.store.app(user.app_id).presence_audience(&user.user_id).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(app_id = %user.app_id, error = %e, "cannot load the presence audience");
            return;
        }
    };
    let last_seen = (status == Status::Offline).then(|| caas_api_ts(caas_storage::now_ms()));
    let data = json!({"user_id": user.user_id, "status": status, "last_seen": last_seen});
    publish_ephemeral(&state.bus, user.app_id, "presence", &data, &audience).await;
}
