//! Calls across nodes: a room lives on one node's SFU (its *owner*, see
//! [`super::placement`]); a participant whose WebSocket is on another node
//! reaches it through this relay over Redis pub/sub. Each node listens on its
//! own channel, `caas:{cluster}:calls:{node}`:
//!
//! - the node holding the WebSocket sends the call ops as [`Wire::Request`]s
//!   and gets [`Wire::Reply`]s;
//! - the owner sends the participant's signals back as [`Wire::Signal`]s, and
//!   [`Wire::Gone`] when its SFU dropped the participant.
//!
//! The media itself never crosses: the owner's SFU answers with its own
//! address, so the client sends its media straight to the owner. Relaying the
//! signaling (rather than redirecting the client) keeps one WebSocket per
//! client whatever the rooms it is in, keeps the owner's address out of any
//! client-visible redirect, and lets the owner change (node loss) without the
//! client changing its connection.
//!
//! When a node dies ([`Nodes::watch`]): every participant relayed to it is
//! told it left with reason `node_lost` (the SDK joins again, and the room is
//! placed on a live node); every participant it hosted for a dead node's
//! WebSocket is removed from the SFU.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use caas_sfu::driver::SfuHandle;
use caas_sfu::{ParticipantId, Permissions, RoomKey, SfuError, Source};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::live::nodes::{DEAD_AFTER, Live, NodeId, Nodes};

/// How long a relayed op waits for the owner's reply.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What a connection's calls receive, tagged with the room.
#[derive(Debug, Clone, PartialEq)]
pub enum CallPush {
    /// An event for the participant (e.g. `call.offer`).
    Signal {
        /// Event name.
        event: String,
        /// Its data.
        data: Value,
    },
    /// The SFU dropped the participant: `disconnected` (its media failed or
    /// went silent) or `node_lost` (the node holding the room died).
    Gone {
        /// The participant (a later join of the same room is another one).
        p: ParticipantId,
        /// Why.
        reason: &'static str,
    },
}

/// Where a connection's call pushes go.
pub type PushTx = mpsc::UnboundedSender<(String, CallPush)>;

/// Why a relayed op failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The owner's SFU refused it.
    #[error(transparent)]
    Sfu(#[from] SfuError),
    /// The owner did not answer in time, or is dead.
    #[error("the node holding this call cannot be reached")]
    Unreachable,
    /// Redis refused the op or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// A message between nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Wire {
    /// An op for a room this node owns.
    Request {
        /// The node holding the participant's WebSocket.
        from: NodeId,
        /// Names the reply.
        id: u64,
        /// The op.
        op: RemoteOp,
    },
    /// The owner's answer to [`Wire::Request`].
    Reply {
        /// The request's id.
        id: u64,
        /// Its outcome.
        result: Result<Value, SfuError>,
    },
    /// A participant leaves (no reply).
    Leave {
        /// The node holding the participant's WebSocket.
        from: NodeId,
        /// The participant.
        p: u64,
    },
    /// A signal for a relayed participant.
    Signal {
        /// The participant's route on the requesting node.
        route: u64,
        /// Event name.
        event: String,
        /// Its data.
        data: Value,
    },
    /// The owner's SFU dropped a relayed participant.
    Gone {
        /// The participant's route on the requesting node.
        route: u64,
        /// `disconnected`, or `node_lost` when the owner is stopping.
        #[serde(default)]
        stopping: bool,
    },
}

/// A call op on another node's SFU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RemoteOp {
    /// `call.join`; signals come back tagged with `route`.
    Join {
        /// Chosen by the requesting node before it asks.
        route: u64,
        /// The app.
        app: String,
        /// The room within the app.
        room: String,
        /// The end user.
        user: String,
        /// From the session token.
        perms: Permissions,
    },
    /// An op of a joined participant.
    Participant {
        /// The participant.
        p: u64,
        /// The op.
        op: ParticipantOp,
    },
}

/// An op of a joined participant, wherever its room lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParticipantOp {
    /// `call.offer`: replies `{"sdp"}`.
    Offer {
        /// The client's SDP.
        sdp: String,
        /// What each of its media ids carries.
        sources: HashMap<String, Source>,
    },
    /// `call.answer`.
    Answer {
        /// The server offer answered.
        offer_id: String,
        /// The client's SDP.
        sdp: String,
    },
    /// `call.candidate`.
    Candidate {
        /// The candidate line.
        candidate: String,
    },
    /// `call.mute`.
    Mute {
        /// Its track.
        track: String,
        /// Muted or not.
        muted: bool,
    },
    /// `call.subscribe`.
    Subscribe {
        /// The track.
        track: String,
        /// Receive it or not.
        enabled: Option<bool>,
        /// Highest layer wanted.
        max_height: Option<u32>,
    },
}

impl ParticipantOp {
    /// Runs the op of `p` on `sfu` (this node's); the op's reply.
    pub async fn apply(self, sfu: &SfuHandle, p: ParticipantId) -> Result<Value, SfuError> {
        match self {
            ParticipantOp::Offer { sdp, sources } => Ok(json!({"sdp": sfu.offer(p, sdp, sources).await?})),
            ParticipantOp::Answer { offer_id, sdp } => sfu.answer(p, offer_id, sdp).await.map(|()| json!({})),
            ParticipantOp::Candidate { candidate } => sfu.candidate(p, candidate).await.map(|()| json!({})),
            ParticipantOp::Mute { track, muted } => sfu.mute(p, track, muted).await.map(|()| json!({})),
            ParticipantOp::Subscribe { track, enabled, max_height } => {
                sfu.subscribe(p, track, enabled, max_height).await.map(|()| json!({}))
            }
        }
    }
}

/// A participant relayed to another node, as the requesting node knows it.
struct Route {
    owner: NodeId,
    room: String,
    tx: PushTx,
    /// The participant, once the owner's reply named it.
    p: Option<ParticipantId>,
}

/// A participant this node's SFU holds for another node's WebSocket.
struct Hosted {
    origin: NodeId,
    since: Instant,
}

/// This node's end of the relay.
pub struct Relay {
    node: NodeId,
    /// `caas:{cluster}:`, the prefix of this cluster's keys and channels.
    prefix: String,
    client: redis::Client,
    conn: Mutex<Option<redis::aio::MultiplexedConnection>>,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, oneshot::Sender<Result<Value, SfuError>>>>,
    routes: Mutex<HashMap<u64, Route>>,
    hosted: Mutex<HashMap<ParticipantId, Hosted>>,
    /// Set when this node stops: the participants it drops join again elsewhere.
    stopping: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps stay consistent even if a holder panicked mid-update.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Relay {
    /// The relay of this node over `client`; connects on first use.
    pub fn new(nodes: &Nodes, client: redis::Client) -> Relay {
        Relay {
            node: nodes.id(),
            prefix: nodes.key(""),
            client,
            conn: Mutex::new(None),
            next_id: AtomicU64::new(1),
            pending: Mutex::default(),
            routes: Mutex::default(),
            hosted: Mutex::default(),
            stopping: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A connection for commands (made again after a failure).
    pub(super) async fn connection(&self) -> Result<redis::aio::MultiplexedConnection, RelayError> {
        if let Some(c) = lock(&self.conn).clone() {
            return Ok(c);
        }
        let c = self.client.get_multiplexed_async_connection().await?;
        *lock(&self.conn) = Some(c.clone());
        Ok(c)
    }

    /// The channel `node` listens on.
    fn channel(&self, node: NodeId) -> String {
        format!("{}calls:{node}", self.prefix)
    }

    /// A key of this cluster.
    pub(super) fn key(&self, rest: impl std::fmt::Display) -> String {
        format!("{}{rest}", self.prefix)
    }

    pub(super) fn forget_connection(&self) {
        *lock(&self.conn) = None;
    }

    async fn send(&self, to: NodeId, wire: &Wire) -> Result<(), RelayError> {
        let payload = serde_json::to_vec(wire).map_err(|_| RelayError::Unreachable)?;
        let mut c = self.connection().await?;
        let sent: Result<i64, _> = redis::cmd("PUBLISH").arg(self.channel(to)).arg(payload).query_async(&mut c).await;
        match sent {
            Ok(0) => Err(RelayError::Unreachable),
            Ok(_) => Ok(()),
            Err(e) => {
                self.forget_connection();
                Err(e.into())
            }
        }
    }

    /// Runs `op` on `owner`'s SFU and waits for its reply.
    pub async fn request(&self, owner: NodeId, op: RemoteOp) -> Result<Value, RelayError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        let sent = self.send(owner, &Wire::Request { from: self.node, id, op }).await;
        let outcome = match sent {
            Ok(()) => match tokio::time::timeout(REQUEST_TIMEOUT, rx).await {
                Ok(Ok(result)) => result.map_err(RelayError::Sfu),
                Ok(Err(_)) | Err(_) => Err(RelayError::Unreachable),
            },
            Err(e) => Err(e),
        };
        lock(&self.pending).remove(&id);
        outcome
    }

    /// Joins `room` on `owner`: the participant's id there, the others in
    /// the room and the participant's route. Its signals go to `tx`, tagged
    /// with the room id.
    pub async fn join(
        &self,
        owner: NodeId,
        room: RoomKey,
        user: String,
        perms: Permissions,
        tx: PushTx,
    ) -> Result<(ParticipantId, Value, u64), RelayError> {
        let route: u64 = rand::random();
        lock(&self.routes).insert(route, Route { owner, room: room.room.clone(), tx, p: None });
        let op = RemoteOp::Join { route, app: room.app, room: room.room, user, perms };
        let joined = self.request(owner, op).await.and_then(|v| {
            let p = v.get("p").and_then(Value::as_u64).ok_or(RelayError::Unreachable)?;
            Ok((ParticipantId(p), v.get("participants").cloned().unwrap_or_else(|| json!([])), route))
        });
        match &joined {
            Ok((p, ..)) => {
                if let Some(r) = lock(&self.routes).get_mut(&route) {
                    r.p = Some(*p);
                }
            }
            Err(_) => {
                lock(&self.routes).remove(&route);
            }
        }
        joined
    }

    /// This node is stopping: the participants it holds for other nodes are
    /// told `node_lost` as they are dropped, so that they join again elsewhere.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Leaves a relayed participant (no reply awaited).
    pub fn leave(self: &Arc<Self>, owner: NodeId, p: ParticipantId, route: u64) {
        lock(&self.routes).remove(&route);
        let relay = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(e) = relay.send(owner, &Wire::Leave { from: relay.node, p: p.0 }).await {
                tracing::debug!(owner = %owner, error = %e, "cannot relay a call leave");
            }
        });
    }

    /// Takes one message from this node's channel.
    async fn receive(self: &Arc<Self>, sfu: &SfuHandle, wire: Wire) {
        match wire {
            Wire::Reply { id, result } => {
                if let Some(tx) = lock(&self.pending).remove(&id) {
                    let _ = tx.send(result);
                }
            }
            Wire::Signal { route, event, data } => {
                let routes = lock(&self.routes);
                if let Some(r) = routes.get(&route) {
                    let _ = r.tx.send((r.room.clone(), CallPush::Signal { event, data }));
                }
            }
            Wire::Gone { route, stopping } => {
                if let Some(r) = lock(&self.routes).remove(&route)
                    && let Some(p) = r.p
                {
                    let reason = if stopping { "node_lost" } else { "disconnected" };
                    let _ = r.tx.send((r.room, CallPush::Gone { p, reason }));
                }
            }
            Wire::Leave { from, p } => {
                if self.hosted_for(ParticipantId(p), from) {
                    sfu.leave(ParticipantId(p));
                }
            }
            Wire::Request { from, id, op } => {
                // Concurrently: one slow op must not hold up the others (or this
                // node's own replies). A connection sends its next op only after
                // this one's reply, so each participant's ops stay in order.
                let (relay, sfu) = (Arc::clone(self), sfu.clone());
                tokio::spawn(async move {
                    let result = relay.execute(&sfu, from, op).await;
                    let joined = result.as_ref().ok().and_then(|v| v.get("p")).and_then(Value::as_u64);
                    if let Err(e) = relay.send(from, &Wire::Reply { id, result }).await {
                        tracing::debug!(to = %from, error = %e, "cannot relay a call reply");
                        // A join nobody hears of would stay in the room as a ghost.
                        if let Some(p) = joined {
                            lock(&relay.hosted).remove(&ParticipantId(p));
                            sfu.leave(ParticipantId(p));
                        }
                    }
                });
            }
        }
    }

    fn hosted_for(&self, p: ParticipantId, origin: NodeId) -> bool {
        lock(&self.hosted).get(&p).is_some_and(|h| h.origin == origin)
    }

    /// Runs a relayed op on this node's SFU.
    async fn execute(self: &Arc<Self>, sfu: &SfuHandle, from: NodeId, op: RemoteOp) -> Result<Value, SfuError> {
        match op {
            RemoteOp::Join { route, app, room, user, perms } => {
                let (p, others, signals) = sfu.join(RoomKey { app, room }, user, perms).await?;
                lock(&self.hosted).insert(p, Hosted { origin: from, since: Instant::now() });
                tokio::spawn(forward(Arc::clone(self), from, route, p, signals));
                Ok(json!({"p": p.0, "participants": others}))
            }
            // Only the node that joined a participant may act for it.
            RemoteOp::Participant { p, op } => match self.hosted_for(ParticipantId(p), from) {
                true => op.apply(sfu, ParticipantId(p)).await,
                false => Err(SfuError::NotJoined),
            },
        }
    }

    /// The nodes changed: drops what was relayed to or hosted for a dead node.
    fn nodes_changed(&self, sfu: &SfuHandle, live: &Live) {
        let is_live = |n: NodeId| live.iter().any(|l| l.id == n);
        let lost: Vec<Route> = {
            let mut routes = lock(&self.routes);
            let dead: Vec<u64> = routes.iter().filter(|(_, r)| !is_live(r.owner)).map(|(k, _)| *k).collect();
            dead.into_iter().filter_map(|k| routes.remove(&k)).collect()
        };
        for r in lost {
            tracing::info!(owner = %r.owner, room = %r.room, "call node lost; participant told to rejoin");
            metrics::counter!("caas_call_node_lost_total").increment(1);
            if let Some(p) = r.p {
                let _ = r.tx.send((r.room, CallPush::Gone { p, reason: "node_lost" }));
            }
        }
        // A participant hosted for a node this one has not seen yet is young, not orphaned.
        let orphans: Vec<ParticipantId> = lock(&self.hosted)
            .iter()
            .filter(|(_, h)| !is_live(h.origin) && h.since.elapsed() > DEAD_AFTER)
            .map(|(p, _)| *p)
            .collect();
        for p in orphans {
            lock(&self.hosted).remove(&p);
            sfu.leave(p);
        }
    }
}

/// Sends a hosted participant's signals to the node holding its WebSocket.
async fn forward(
    relay: Arc<Relay>,
    to: NodeId,
    route: u64,
    p: ParticipantId,
    mut signals: mpsc::UnboundedReceiver<caas_sfu::driver::Signal>,
) {
    while let Some(s) = signals.recv().await {
        let wire = Wire::Signal { route, event: s.event.to_owned(), data: s.data };
        if let Err(e) = relay.send(to, &wire).await {
            tracing::debug!(to = %to, error = %e, "cannot relay a call signal");
        }
    }
    lock(&relay.hosted).remove(&p);
    let stopping = relay.stopping.load(Ordering::Acquire);
    let _ = relay.send(to, &Wire::Gone { route, stopping }).await;
}

/// Serves this node's channel and watches the nodes, until the task is aborted.
pub async fn run(relay: Arc<Relay>, sfu: SfuHandle, nodes: Arc<Nodes>) {
    let mut watch = nodes.watch();
    let watcher = async {
        while watch.changed().await.is_ok() {
            let live = watch.borrow_and_update().clone();
            relay.nodes_changed(&sfu, &live);
        }
    };
    let listener = async {
        loop {
            match relay.client.get_async_pubsub().await {
                Ok(mut pubsub) => match pubsub.subscribe(relay.channel(relay.node)).await {
                    Ok(()) => {
                        let mut messages = pubsub.on_message();
                        while let Some(msg) = messages.next().await {
                            match serde_json::from_slice::<Wire>(msg.get_payload_bytes()) {
                                Ok(wire) => relay.receive(&sfu, wire).await,
                                Err(e) => tracing::warn!(error = %e, "ignoring a malformed call relay message"),
                            }
                        }
                        tracing::warn!("call relay subscription lost; reconnecting");
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot subscribe to the call relay"),
                },
                Err(e) => tracing::warn!(error = %e, "cannot reach Redis for the call relay"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    tokio::join!(watcher, listener);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_messages_round_trip() {
        let node = NodeId::random();
        let messages = [
            Wire::Request {
                from: node,
                id: 7,
                op: RemoteOp::Join {
                    route: 9,
                    app: "a".into(),
                    room: "r".into(),
                    user: "ann".into(),
                    perms: Permissions::default(),
                },
            },
            Wire::Reply { id: 7, result: Err(SfuError::RoomFull(50)) },
            Wire::Reply { id: 8, result: Ok(json!({"sdp": "v=0"})) },
            Wire::Request {
                from: node,
                id: 8,
                op: RemoteOp::Participant { p: 3, op: ParticipantOp::Mute { track: "t-3-0".into(), muted: true } },
            },
            Wire::Signal { route: 9, event: "call.offer".into(), data: json!({"sdp": "v=0"}) },
            Wire::Gone { route: 9, stopping: true },
            Wire::Leave { from: node, p: 3 },
        ];
        for m in messages {
            let bytes = serde_json::to_vec(&m).unwrap();
            assert_eq!(serde_json::from_slice::<Wire>(&bytes).unwrap(), m);
        }
    }
}
