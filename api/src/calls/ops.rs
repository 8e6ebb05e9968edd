//! The `call.*` WebSocket ops of one connection. A room's media lives on one
//! node ([`super::placement`]); a connection on that node talks to its SFU
//! directly, one on another node through the relay ([`super::relay`]), with
//! the same ops and replies either way.

use std::collections::HashMap;

use caas_sfu::{ParticipantId, Permissions, RoomKey, SfuError, Source};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Calls;
use super::ice::unix_now;
use super::relay::{CallPush, ParticipantOp, PushTx, RelayError};
use crate::gate::auth::EndUser;
use crate::http::error::ApiError;
use crate::http::input::op_data as input;
use crate::live::nodes::NodeId;

/// Longest room id.
pub const MAX_ROOM_ID: usize = 128;

/// Where a joined participant's room lives.
#[derive(Debug, Clone, Copy)]
enum At {
    /// This node's SFU.
    Here,
    /// Another node's, reached through the relay.
    There {
        /// The owner.
        node: NodeId,
        /// The participant's route in the relay.
        route: u64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Joined {
    p: ParticipantId,
    at: At,
}

/// The calls of one WebSocket connection.
pub struct CallConn {
    rooms: HashMap<String, Joined>,
    tx: PushTx,
    /// Pushes for this connection, tagged with their room.
    pub rx: mpsc::UnboundedReceiver<(String, CallPush)>,
}

impl Default for CallConn {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        CallConn { rooms: HashMap::new(), tx, rx }
    }
}

impl CallConn {
    /// Turns a push into a frame; a participant the SFU dropped is forgotten
    /// and told so, with the reason (`node_lost`: join again).
    pub fn frame(&mut self, room: String, push: CallPush) -> Option<String> {
        let (event, data) = match push {
            CallPush::Signal { event, data } => (event, data),
            CallPush::Gone { p, reason } => {
                // A late word about an earlier participant of a room joined again is old news.
                if self.rooms.get(&room).is_none_or(|j| j.p != p) {
                    return None;
                }
                let j = self.rooms.remove(&room)?;
                (
                    "call.participant_left".to_owned(),
                    json!({"room_id": room, "participant_id": j.p.to_string(), "reason": reason}),
                )
            }
        };
        Some(caas_signaling::protocol::push(&event, &data, None))
    }

    /// Leaves every room (the connection closed).
    pub fn leave_all(&mut self, calls: &Calls) {
        for (_, j) in self.rooms.drain() {
            calls.leave(j);
        }
    }
}

/// The next call push of a connection; never ready for one without calls.
pub async fn next_push(calls: &mut Option<Box<CallConn>>) -> Option<(String, CallPush)> {
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

fn relay_error(e: RelayError) -> ApiError {
    match e {
        RelayError::Sfu(e) => sfu_error(e),
        other => {
            tracing::warn!(error = %other, "call op not relayed");
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "call_unavailable",
                "the node holding this call cannot be reached; join again",
            )
        }
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

impl Calls {
    /// Joins `room` on its owner: the participant, where it lives, the others
    /// in the room and the owner's node id.
    async fn join(
        &self,
        room: RoomKey,
        user: String,
        perms: Permissions,
        tx: PushTx,
    ) -> Result<(Joined, Value, NodeId), ApiError> {
        let me = self.nodes.id();
        let owner = match &self.relay {
            Some(relay) => relay.owner(&room, &self.nodes.live(), me).await.map_err(relay_error)?,
            None => me,
        };
        if let Some(relay) = self.relay.as_ref().filter(|_| owner != me) {
            let (p, others, route) = relay.join(owner, room, user, perms, tx).await.map_err(relay_error)?;
            return Ok((Joined { p, at: At::There { node: owner, route } }, others, owner));
        }
        let room_id = room.room.clone();
        let (p, others, mut signals) = self.sfu.join(room, user, perms).await.map_err(sfu_error)?;
        let gone = p;
        tokio::spawn(async move {
            while let Some(s) = signals.recv().await {
                let push = CallPush::Signal { event: s.event.to_owned(), data: s.data };
                if tx.send((room_id.clone(), push)).is_err() {
                    return;
                }
            }
            let _ = tx.send((room_id, CallPush::Gone { p: gone, reason: "disconnected" }));
        });
        Ok((Joined { p, at: At::Here }, serde_json::to_value(others).unwrap_or_default(), me))
    }

    /// Runs an op of a joined participant where its room lives.
    async fn apply(&self, j: Joined, op: ParticipantOp) -> Result<Value, ApiError> {
        match (j.at, &self.relay) {
            (At::There { node, .. }, Some(relay)) => {
                let op = super::relay::RemoteOp::Participant { p: j.p.0, op };
                relay.request(node, op).await.map_err(relay_error)
            }
            _ => op.apply(&self.sfu, j.p).await.map_err(sfu_error),
        }
    }

    /// Leaves (no reply awaited).
    fn leave(&self, j: Joined) {
        match (j.at, &self.relay) {
            (At::There { node, route }, Some(relay)) => relay.leave(node, j.p, route),
            _ => self.sfu.leave(j.p),
        }
    }
}

impl CallConn {
    fn participant(&self, room: &str) -> Result<Joined, ApiError> {
        self.rooms.get(room).copied().ok_or_else(|| ApiError::invalid("not_joined", "join the call first"))
    }

    /// Runs one `call.*` op.
    pub async fn dispatch(&mut self, state: &Calls, user: &EndUser, op: &str, data: Value) -> Result<Value, ApiError> {
        match op {
            "call.join" => self.join(state, user, input(data)?).await,
            "call.offer" => {
                let i: OfferInput = input(data)?;
                let j = self.participant(&i.room_id)?;
                state.apply(j, ParticipantOp::Offer { sdp: i.sdp, sources: i.sources }).await
            }
            "call.answer" => {
                let i: AnswerInput = input(data)?;
                let j = self.participant(&i.room_id)?;
                state.apply(j, ParticipantOp::Answer { offer_id: i.offer_id, sdp: i.sdp }).await
            }
            "call.candidate" => {
                let i: CandidateInput = input(data)?;
                let j = self.participant(&i.room_id)?;
                let candidate = match &i.candidate {
                    Value::String(s) => s.clone(),
                    Value::Object(o) => o.get("candidate").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    Value::Null => String::new(),
                    _ => {
                        return Err(ApiError::invalid("invalid_candidate", "candidate must be an RTCIceCandidateInit"));
                    }
                };
                state.apply(j, ParticipantOp::Candidate { candidate }).await
            }
            "call.mute" => {
                let i: MuteInput = input(data)?;
                let j = self.participant(&i.room_id)?;
                state.apply(j, ParticipantOp::Mute { track: i.track_id, muted: i.muted }).await
            }
            "call.subscribe" => {
                let i: SubscribeInput = input(data)?;
                let j = self.participant(&i.room_id)?;
                let op = ParticipantOp::Subscribe { track: i.track_id, enabled: i.enabled, max_height: i.max_height };
                state.apply(j, op).await
            }
            "call.leave" => {
                let i: JoinInput = input(data)?;
                let j =
                    self.rooms.remove(&i.room_id).ok_or_else(|| ApiError::invalid("not_joined", "not in this call"))?;
                state.leave(j);
                Ok(json!({}))
            }
            other => Err(ApiError::invalid("unknown_op", format!("unknown op `{other}`"))),
        }
    }

    async fn join(&mut self, state: &Calls, user: &EndUser, i: JoinInput) -> Result<Value, ApiError> {
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
        let (j, others, node) = state.join(key, user.user_id.as_str().to_owned(), perms, self.tx.clone()).await?;
        self.rooms.insert(i.room_id.clone(), j);
        tracing::info!(app_id = %user.app_id, user_id = %user.user_id, participant = %j.p, node = %node, "call joined");
        // The first in the room (the owner's SFU orders the joins): the call started.
        if others.as_array().is_some_and(|a| a.is_empty()) {
            crate::notify::webhooks::emit(
                &state.notifier,
                user.app_id,
                "call.started",
                json!({"room_id": i.room_id, "started_by": user.user_id}),
            );
        }
        Ok(json!({
            "participant_id": j.p.to_string(),
            "ice_servers": state.ice.servers(user, unix_now()),
            "participants": others,
            "node": node.to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_gone_of_an_earlier_participant_is_ignored() {
        let mut conn = CallConn::default();
        conn.rooms.insert("r".into(), Joined { p: ParticipantId(2), at: At::Here });
        let old = CallPush::Gone { p: ParticipantId(1), reason: "disconnected" };
        assert_eq!(conn.frame("r".into(), old), None, "the room was left and joined again");
        assert!(conn.rooms.contains_key("r"));
        let now = CallPush::Gone { p: ParticipantId(2), reason: "node_lost" };
        let frame = conn.frame("r".into(), now).unwrap();
        assert!(frame.contains("node_lost") && frame.contains("p-2"), "{frame}");
        assert!(conn.rooms.is_empty());
    }

    #[test]
    fn room_ids_are_checked() {
        assert!(valid_room_id("standup:2026-11-26_a.b"));
        for bad in ["", "has space", "ü", &"x".repeat(129)] {
            assert!(!valid_room_id(bad), "{bad}");
        }
    }
}
