//! The ops of the real-time WebSocket: typing and presence are this module's
//! own; `call.*` go to the connection's calls; every other op goes to the
//! feature that owns it ([`crate::chat::ops`], [`crate::users::ops`]).

use std::time::{Duration, Instant};

use caas_signaling::presence::Status;
use caas_signaling::protocol::{Inbound, parse_frame, reply_err, reply_ok};
use caas_signaling::typing::{Start, Typing};
use caas_storage::{ConversationId, UserId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Realtime;
use crate::gate::auth::EndUser;
use crate::http::error::ApiError;
use crate::http::input::op_data as input;
use crate::live::publish_ephemeral;

/// Per-connection state the ops use.
pub(super) struct ConnState {
    pub(super) typing: Typing<ConversationId>,
    /// Created on the first `call.*` op (most connections never make a call).
    pub(super) calls: Option<Box<crate::calls::CallConn>>,
    /// Ops refused for the rate limit in the current window, and when it began.
    limited: (u32, Instant),
}

/// A connection refused this many ops within [`ABUSE_WINDOW`] is closed (1008).
pub(super) const ABUSE_LIMIT: u32 = 100;
/// The window of [`ABUSE_LIMIT`].
const ABUSE_WINDOW: Duration = Duration::from_secs(10);

impl ConnState {
    /// A new connection's: no typing, no calls.
    pub(super) fn new() -> Self {
        ConnState { typing: Typing::new(TYPING_EVERY, TYPING_TTL), calls: None, limited: (0, Instant::now()) }
    }

    /// Counts an op refused for the rate limit; true once the connection keeps
    /// sending regardless ([`ABUSE_LIMIT`] within [`ABUSE_WINDOW`]).
    fn refused(&mut self, now: Instant) -> bool {
        if now.duration_since(self.limited.1) > ABUSE_WINDOW {
            self.limited = (0, now);
        }
        self.limited.0 += 1;
        self.limited.0 >= ABUSE_LIMIT
    }

    /// Whether the connection should be closed for ignoring the rate limit.
    pub(super) fn abusive(&self) -> bool {
        self.limited.0 >= ABUSE_LIMIT
    }
}

/// Broadcast a typing start at most this often per conversation.
const TYPING_EVERY: Duration = Duration::from_secs(2);
/// A typing indicator not refreshed for this long stops.
const TYPING_TTL: Duration = Duration::from_secs(6);

pub(super) async fn handle_frame(state: &Realtime, user: &EndUser, conn: &mut ConnState, text: &str) -> String {
    match parse_frame(text) {
        Inbound::Invalid { id, message } => reply_err(&id, "bad_request", &message),
        Inbound::Request { id, op, data } => {
            // Ops take from the same buckets as REST requests (the app's and the
            // user's, shared across the cluster); ICE candidates come in bursts
            // the browser makes, and leaving a call must always work.
            if !matches!(op.as_str(), "call.candidate" | "call.leave")
                && let Err(wait) = crate::gate::auth::take_token(&state.gate, user.app_id, &user.user_id)
            {
                conn.refused(Instant::now());
                metrics::counter!("caas_ws_ops_rate_limited_total").increment(1);
                let message = format!("too many requests; retry in {} ms", wait.as_millis().max(1));
                return reply_err(&id, "rate_limited", &message);
            }
            match dispatch(state, user, conn, &op, data).await {
                Ok(value) => reply_ok(&id, &value),
                Err(e) => reply_err(&id, e.code, &e.message),
            }
        }
    }
}

async fn dispatch(
    state: &Realtime,
    user: &EndUser,
    conn: &mut ConnState,
    op: &str,
    data: Value,
) -> Result<Value, ApiError> {
    if op.starts_with("call.") {
        return conn.calls.get_or_insert_with(Default::default).dispatch(&state.calls, user, op, data).await;
    }
    match op {
        "typing.start" | "typing.stop" => typing(state, user, conn, op == "typing.start", data).await,
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
        _ => {
            if op == "message.send" {
                let sent = crate::chat::ops::send(&state.chat, user, data).await?;
                // Sending ends the sender's typing indicator in that conversation.
                if conn.typing.stop(&sent.message.conversation_id) {
                    typing_changed(state, user, sent.message.conversation_id, false).await;
                }
                return crate::http::input::op_reply(sent);
            }
            if crate::chat::ops::OPS.contains(&op) {
                return crate::chat::ops::handle(&state.chat, user, op, data).await;
            }
            if let Some(answer) = crate::users::ops::handle(&state.users, user, op, data).await {
                return answer;
            }
            Err(ApiError::bad_request("unknown_op", format!("unknown op `{op}`")))
        }
    }
}

/// `typing.start` and `typing.stop`: broadcast to the other members when the
/// indicator changes (a start at most every few seconds).
async fn typing(
    state: &Realtime,
    user: &EndUser,
    conn: &mut ConnState,
    start: bool,
    data: Value,
) -> Result<Value, ApiError> {
    let r: crate::chat::ConversationRef = input(data)?;
    // Only members may type; this also tells unknown from forbidden.
    state.store.app(user.app_id).conversation(r.conversation_id, &user.user_id).await?;
    let changed = if start {
        conn.typing.start(r.conversation_id, Instant::now()) == Start::Broadcast
    } else {
        conn.typing.stop(&r.conversation_id)
    };
    if changed {
        typing_changed(state, user, r.conversation_id, start).await;
    }
    Ok(json!({}))
}

/// Tells the other members that `user` started or stopped typing.
pub(super) async fn typing_changed(state: &Realtime, user: &EndUser, conv: ConversationId, typing: bool) {
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
    crate::http::wire::rfc3339_ms(ms)
}

/// Tells everyone who may see `user` (co-members and contacts, not blocked) their status.
pub(super) async fn announce_presence(state: &Realtime, user: &EndUser, status: Status) {
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
