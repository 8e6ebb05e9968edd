//! `GET /v1/ws`: the real-time WebSocket of end users.
//!
//! The token (query `token`) and the `Origin` are checked before the upgrade.
//! The first frame is `session.ready`; with `cursor`, every persistent event the
//! user missed since then follows in order, then live events. Ops are answered in
//! the contract's envelope; bad frames get an error reply and the connection
//! stays open. Quiet peers are pinged, dead ones closed; a connection whose
//! outbound queue fills is closed with code 4008 and resumes by cursor.

mod ops;

use std::time::{Duration, Instant};

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use caas_signaling::heartbeat::{Beat, Heartbeat};
use caas_signaling::protocol::reply_err;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use self::ops::{ConnState, announce_presence, handle_frame, typing_changed};
use crate::gate::auth::EndUser;
use crate::gate::upgrade::{WsQuery, upgrade_user};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::wire::UserBody;
use crate::live::event_frame;
use crate::live::sessions::close;
use crate::live::sessions::{DEAD_AFTER, PING_AFTER};

crate::handle! {
    /// What the real-time WebSocket needs: its own parts, and the features its ops reach.
    Realtime => RealtimeParts
}

/// The parts of a [`Realtime`].
pub struct RealtimeParts {
    /// Upgrades are checked here.
    pub gate: crate::gate::Gate,
    /// The database (replay, presence audience).
    pub store: caas_storage::Store,
    /// The event bus (typing, presence).
    pub bus: caas_signaling::bus::Bus,
    /// This node's live fan-out.
    pub hub: caas_signaling::driver::HubHandle,
    /// Who is online.
    pub presence: std::sync::Arc<crate::live::presence::Presence>,
    /// Open connections, closed when the node stops.
    pub sessions: crate::live::sessions::Sessions,
    /// Connections per user and per app, across the cluster.
    pub quota: std::sync::Arc<crate::live::quota::ConnectionQuota>,
    /// Connections and egress are metered.
    pub meter: std::sync::Arc<crate::billing::meters::Meter>,
    /// Chat ops.
    pub chat: crate::chat::Chat,
    /// Contact and user ops.
    pub users: crate::users::Users,
    /// Call ops.
    pub calls: crate::calls::Calls,
}

/// Largest frame a client may send.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Read buffer per connection (tungstenite's default is 128 KiB).
pub const READ_BUFFER_BYTES: usize = 8 * 1024;
/// Frames queued for a connection before it counts as too slow.
pub const QUEUE_FRAMES: usize = 1024;
/// Events replayed per database page.
const REPLAY_PAGE: i64 = 500;

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
        (status = 429, description = "`too_many_connections`: the user's or the app's connection quota is full", body = ErrorBody),
    )
)]
pub async fn ws(
    State(state): State<Realtime>,
    headers: HeaderMap,
    Query(q): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let user = upgrade_user(&state.gate, &headers, q.token.as_deref()).await?;
    let permit = state.quota.admit(user.app_id, &user.user_id).await.map_err(|over| {
        metrics::counter!("caas_connections_refused_total", "limit" => over.label()).increment(1);
        over.error(state.quota.limits())
    })?;
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
        .on_upgrade(move |socket| session(state, user, cursor, socket, permit)))
}

async fn session(
    state: Realtime,
    user: EndUser,
    cursor: Option<i64>,
    socket: WebSocket,
    _permit: crate::live::quota::Permit,
) {
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
    let mut conn_state = ConnState::new();
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
                            if conn_state.abusive() {
                                tracing::info!(app_id = %user.app_id, user_id = %user.user_id, conn_id = conn, "closing a connection that ignores the rate limit");
                                let _ = sink.send(close(1008, "rate_limited: too many requests")).await;
                                return Ok(());
                            }
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
                Some((room, push)) = crate::calls::next_push(&mut conn_state.calls) => {
                    if let Some(frame) = conn_state.calls.as_mut().and_then(|c| c.frame(room, push)) {
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
        calls.leave_all(&state.calls);
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

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Realtime: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(ws))
}
