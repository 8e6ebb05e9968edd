//! `GET /v1/collab/{doc_id}`: the y-websocket endpoint, and the task per open
//! document that drives a [`caas_collab::Room`].
//!
//! One task owns each loaded document: connections send it frames, it applies
//! them through the sans-IO room, stores each new update before relaying it
//! (so whatever another client has seen is in the database), and compacts the
//! update log into a snapshot every [`COMPACT_EVERY`] updates and when the last
//! connection leaves — then the document leaves memory.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use caas_collab::{ConnId, Limits, Output, Role, Room};
use caas_storage::{AppId, DocId, DocRole, StoreError, UserId};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::ws::WsQuery;

/// Updates between two compactions of a document's log.
pub const COMPACT_EVERY: usize = 200;
/// Largest WebSocket message (an update may be up to 1 MiB, plus framing).
pub const MAX_MESSAGE_BYTES: usize = 2 * 1024 * 1024;
/// Commands handled together, their updates stored in one transaction.
const BATCH_COMMANDS: usize = 256;
/// A document with no traffic for this long keeps only its encoded state.
pub const HIBERNATE_AFTER: std::time::Duration = std::time::Duration::from_secs(30);
/// Frames queued for one connection before it counts as too slow.
const QUEUE_FRAMES: usize = 1024;

/// What a room task sends a connection.
#[derive(Debug)]
pub enum Outbound {
    /// A binary y-protocols frame.
    Frame(Vec<u8>),
    /// Close, with a WebSocket close code and a reason.
    Close(u16, String),
}

enum Cmd {
    Open {
        conn: ConnId,
        user: UserId,
        role: Role,
        tx: mpsc::Sender<Outbound>,
    },
    Frame {
        conn: ConnId,
        data: Vec<u8>,
    },
    Close {
        conn: ConnId,
    },
    Snapshot {
        reply: oneshot::Sender<Vec<u8>>,
    },
    Apply {
        update: Vec<u8>,
        reply: oneshot::Sender<bool>,
    },
    Shutdown {
        reason: String,
    },
    Relayed {
        frame: Vec<u8>,
    },
    /// Roles or memberships changed: look up every connected user's role again.
    Recheck,
}

/// A connection as its document task knows it.
struct Peer {
    user: UserId,
    tx: mpsc::Sender<Outbound>,
}

/// Control messages between nodes.
#[derive(Debug, Clone, Copy)]
enum Control {
    Recheck,
    Shutdown,
}

impl Control {
    fn as_str(self) -> &'static str {
        match self {
            Control::Recheck => "recheck",
            Control::Shutdown => "shutdown",
        }
    }
}

/// Redis channel of document frames between nodes.
pub const RELAY_CHANNEL: &str = "caas:collab";

/// Publishes this node's document frames to the others.
struct Relay {
    conn: redis::aio::MultiplexedConnection,
    node: u64,
}

type Key = (AppId, DocId);

/// The documents loaded on this node.
#[derive(Default)]
pub struct Collab {
    rooms: std::sync::Mutex<HashMap<Key, mpsc::UnboundedSender<Cmd>>>,
    relay: std::sync::OnceLock<Relay>,
    next_conn: AtomicU64,
    /// Size limits of every document.
    pub limits: Limits,
}

fn to_role(r: DocRole) -> Role {
    match r {
        DocRole::Viewer => Role::Viewer,
        DocRole::Editor => Role::Editor,
        DocRole::Owner => Role::Owner,
    }
}

impl Collab {
    fn room(self: &Arc<Self>, state: &AppState, key: Key) -> mpsc::UnboundedSender<Cmd> {
        // A poisoned lock only means a panic elsewhere mid-insert; the map is intact.
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = rooms.get(&key).filter(|tx| !tx.is_closed()) {
            return tx.clone();
        }
        let (tx, rx) = mpsc::unbounded_channel();
        rooms.insert(key, tx.clone());
        tokio::spawn(run_room(self.clone(), state.clone(), key, rx));
        tx
    }

    /// Sends `make(..)` to the document's task, loading it if needed (and again
    /// if it was just unloading).
    fn send(self: &Arc<Self>, state: &AppState, key: Key, cmd: impl Fn() -> Cmd) {
        for _ in 0..3 {
            if self.room(state, key).send(cmd()).is_ok() {
                return;
            }
        }
        tracing::warn!(app_id = %key.0, doc_id = %key.1, "document task did not take a command");
    }

    /// The current state of a document (loaded or from the database).
    pub async fn snapshot(self: &Arc<Self>, state: &AppState, app: AppId, doc: DocId) -> Result<Vec<u8>, ApiError> {
        let (tx, rx) = oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        self.send(state, (app, doc), || Cmd::Snapshot {
            reply: tx.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_else(|| oneshot::channel().0),
        });
        rx.await.map_err(|_| ApiError::internal("document task ended without a snapshot"))
    }

    /// Applies a server-made update (stored and sent to every client).
    pub async fn apply(
        self: &Arc<Self>,
        state: &AppState,
        app: AppId,
        doc: DocId,
        update: Vec<u8>,
    ) -> Result<(), ApiError> {
        let (tx, rx) = oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        self.send(state, (app, doc), || Cmd::Apply {
            update: update.clone(),
            reply: tx.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_else(|| oneshot::channel().0),
        });
        match rx.await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ApiError::internal("a server update did not apply")),
            Err(_) => Err(ApiError::internal("document task ended before applying")),
        }
    }

    /// Closes every connection of a document (it was deleted), on every node.
    pub async fn shutdown(&self, app: AppId, doc: DocId, reason: &str) {
        self.shutdown_here(app, doc, reason);
        self.publish_control(app, &doc.to_string(), Control::Shutdown, reason).await;
    }

    fn shutdown_here(&self, app: AppId, doc: DocId, reason: &str) {
        let rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = rooms.get(&(app, doc)) {
            let _ = tx.send(Cmd::Shutdown { reason: reason.to_owned() });
        }
    }

    /// A document's roles changed: its open connections get their new role
    /// (a demoted editor's next update is refused; a user who lost access is
    /// disconnected with 4403), on every node.
    pub async fn roles_changed(&self, app: AppId, doc: DocId) {
        self.recheck_here(app, Some(doc));
        self.publish_control(app, &doc.to_string(), Control::Recheck, "").await;
    }

    /// Conversation memberships of `app` changed: documents tied to a
    /// conversation may have lost (or gained) editors. Every loaded document of
    /// the app rechecks its connections, on every node.
    pub async fn memberships_changed(&self, app: AppId) {
        self.recheck_here(app, None);
        self.publish_control(app, "*", Control::Recheck, "").await;
    }

    fn recheck_here(&self, app: AppId, doc: Option<DocId>) {
        let rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        for ((a, d), tx) in rooms.iter() {
            if *a == app && doc.is_none_or(|doc| doc == *d) {
                let _ = tx.send(Cmd::Recheck);
            }
        }
    }

    /// `<node> <app> <doc or *> <control>\n<reason>` to the other nodes.
    async fn publish_control(&self, app: AppId, doc: &str, control: Control, reason: &str) {
        let Some(relay) = self.relay.get() else { return };
        let payload = format!("{} {app} {doc} {}\n{reason}", relay.node, control.as_str()).into_bytes();
        let mut conn = relay.conn.clone();
        let sent: Result<i64, _> = redis::cmd("PUBLISH").arg(RELAY_CHANNEL).arg(payload).query_async(&mut conn).await;
        if let Err(e) = sent {
            tracing::warn!(app_id = %app, doc_id = %doc, error = %e, "collab relay control publish failed");
        }
    }

    /// Relays frames with the other nodes through Redis (`CAAS_REDIS_URL`):
    /// updates and awareness of a document loaded here reach its editors on
    /// every node.
    pub async fn start_relay(self: &Arc<Self>, client: &redis::Client) -> Result<(), redis::RedisError> {
        let conn = client.get_multiplexed_async_connection().await?;
        let node: u64 = rand::random();
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(RELAY_CHANNEL).await?;
        let _ = self.relay.set(Relay { conn, node });
        let collab = Arc::downgrade(self);
        let client = client.clone();
        tokio::spawn(async move {
            loop {
                {
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Some(collab) = collab.upgrade() else { return };
                        let payload: Vec<u8> = msg.get_payload_bytes().to_vec();
                        collab.on_relayed(node, &payload);
                    }
                }
                tracing::warn!("collab relay subscription lost; reconnecting");
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    if let Ok(mut p) = client.get_async_pubsub().await {
                        if p.subscribe(RELAY_CHANNEL).await.is_ok() {
                            pubsub = p;
                            break;
                        }
                    }
                }
            }
        });
        Ok(())
    }

    /// A frame from another node: `<node> <app> <doc>\n<frame>`, or a control
    /// message `<node> <app> <doc or *> <control>\n<reason>`.
    fn on_relayed(&self, own: u64, payload: &[u8]) {
        let Some(split) = payload.iter().position(|b| *b == b'\n') else { return };
        let Ok(head) = std::str::from_utf8(&payload[..split]) else { return };
        let mut parts = head.split(' ');
        let (Some(node), Some(app), Some(doc)) = (parts.next(), parts.next(), parts.next()) else { return };
        if node.parse::<u64>().ok() == Some(own) {
            return;
        }
        let Ok(app) = app.parse::<AppId>() else { return };
        if let Some(control) = parts.next() {
            let doc = doc.parse::<DocId>().ok();
            match control {
                "recheck" => self.recheck_here(app, doc),
                "shutdown" => {
                    if let Some(doc) = doc {
                        let reason = String::from_utf8_lossy(&payload[split + 1..]);
                        self.shutdown_here(app, doc, &reason);
                    }
                }
                _ => {}
            }
            return;
        }
        let Ok(doc) = doc.parse::<DocId>() else { return };
        // Only documents loaded here care; others load from the database when opened.
        let rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = rooms.get(&(app, doc)) {
            let _ = tx.send(Cmd::Relayed { frame: payload[split + 1..].to_vec() });
        }
    }

    async fn publish(&self, (app, doc): Key, frame: &[u8]) {
        let Some(relay) = self.relay.get() else { return };
        let mut payload = format!("{} {app} {doc}\n", relay.node).into_bytes();
        payload.extend_from_slice(frame);
        let mut conn = relay.conn.clone();
        let sent: Result<i64, _> = redis::cmd("PUBLISH").arg(RELAY_CHANNEL).arg(payload).query_async(&mut conn).await;
        if let Err(e) = sent {
            // The update is stored; other nodes' editors get it when they resync.
            tracing::warn!(app_id = %app, doc_id = %doc, error = %e, "collab relay publish failed");
        }
    }

    /// Documents in memory.
    pub fn loaded(&self) -> usize {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

async fn run_room(collab: Arc<Collab>, state: AppState, key: Key, mut rx: mpsc::UnboundedReceiver<Cmd>) {
    let (app, doc) = key;
    let scope = state.store.app(app);
    let loaded = match scope.doc_state(doc).await {
        Ok(s) => Room::load(collab.limits, s.snapshot.as_deref(), &s.updates).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let mut room = match loaded {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(app_id = %app, doc_id = %doc, error = %e, "cannot load document");
            collab.rooms.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
            while let Ok(cmd) = rx.try_recv() {
                if let Cmd::Open { tx, .. } = cmd {
                    let _ = tx.try_send(Outbound::Close(1011, "document cannot be loaded".into()));
                }
            }
            return;
        }
    };
    metrics::gauge!("caas_collab_documents_loaded").increment(1.0);
    let mut conns: HashMap<ConnId, Peer> = HashMap::new();
    loop {
        let cmd = if room.is_hibernating() {
            rx.recv().await
        } else {
            match tokio::time::timeout(HIBERNATE_AFTER, rx.recv()).await {
                Ok(cmd) => cmd,
                Err(_) => {
                    // Idle: keep only the encoded state until the next frame.
                    room.hibernate();
                    continue;
                }
            }
        };
        let Some(cmd) = cmd else { break };
        // Take what else is queued (up to a bound) so its updates are stored in
        // one transaction: one commit for a burst instead of one per update.
        let mut batch = vec![cmd];
        while batch.len() < BATCH_COMMANDS {
            match rx.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        for cmd in batch {
            match cmd {
                Cmd::Open { conn, user, role, tx } => {
                    conns.insert(conn, Peer { user, tx });
                    room.open(conn, role);
                }
                Cmd::Recheck => recheck(&state, key, &mut conns, &mut room).await,
                Cmd::Frame { conn, data } => room.receive(conn, &data),
                Cmd::Close { conn } => {
                    conns.remove(&conn);
                    room.close(conn);
                }
                Cmd::Snapshot { reply } => {
                    let _ = reply.send(room.snapshot());
                }
                Cmd::Apply { update, reply } => {
                    let _ = reply.send(room.apply_server(&update));
                }
                Cmd::Relayed { frame } => room.relayed(&frame),
                Cmd::Shutdown { reason } => {
                    for peer in conns.values() {
                        let _ = peer.tx.try_send(Outbound::Close(4404, reason.clone()));
                    }
                    conns.clear();
                    collab.rooms.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
                    metrics::gauge!("caas_collab_documents_loaded").decrement(1.0);
                    return;
                }
            }
        }
        // Store first: nothing is relayed that is not committed.
        let (updates, outputs): (Vec<Output>, Vec<Output>) =
            room.drain().into_iter().partition(|o| matches!(o, Output::Persist { .. }));
        let updates: Vec<Vec<u8>> = updates
            .into_iter()
            .filter_map(|o| match o {
                Output::Persist { update } => Some(update),
                _ => None,
            })
            .collect();
        if !updates.is_empty() {
            if let Err(e) = scope.append_doc_updates(doc, &updates).await {
                // Not stored: not relayed either; the clients resend on reconnect.
                tracing::error!(app_id = %app, doc_id = %doc, error = %e, "cannot store document updates");
                for peer in conns.values() {
                    let _ = peer.tx.try_send(Outbound::Close(1011, "storage unavailable; reconnect".into()));
                }
                for conn in conns.keys().copied().collect::<Vec<_>>() {
                    room.close(conn);
                }
                conns.clear();
                room.drain();
                continue;
            }
            metrics::counter!("caas_collab_updates_total").increment(updates.len() as u64);
        }
        for out in outputs {
            match out {
                Output::Send { conn, frame } => deliver(&mut conns, &mut room, conn, frame),
                Output::Broadcast { except, frame } => {
                    let targets: Vec<ConnId> = conns.keys().copied().filter(|c| Some(*c) != except).collect();
                    for conn in targets {
                        deliver(&mut conns, &mut room, conn, frame.clone());
                    }
                }
                Output::Persist { .. } => {} // stored above
                Output::Relay { frame } => collab.publish(key, &frame).await,
                Output::Close { conn, reason } => {
                    tracing::info!(app_id = %app, doc_id = %doc, conn_id = conn, reason = %reason, "collab connection refused a frame");
                    if let Some(peer) = conns.remove(&conn) {
                        let _ = peer.tx.try_send(Outbound::Close(1007, reason));
                    }
                    room.close(conn);
                }
            }
        }
        if room.updates_since_snapshot >= COMPACT_EVERY {
            compact(&state, key, &mut room).await;
        }
        if conns.is_empty() {
            // Unload unless a command arrived meanwhile (checked under the map lock,
            // so no sender can slip in between).
            let gone = {
                let mut rooms = collab.rooms.lock().unwrap_or_else(|e| e.into_inner());
                if rx.is_empty() {
                    rooms.remove(&key);
                    true
                } else {
                    false
                }
            };
            if gone {
                if room.updates_since_snapshot > 0 {
                    compact(&state, key, &mut room).await;
                }
                metrics::gauge!("caas_collab_documents_loaded").decrement(1.0);
                return;
            }
        }
    }
}

fn deliver(conns: &mut HashMap<ConnId, Peer>, room: &mut Room, conn: ConnId, frame: Vec<u8>) {
    let Some(peer) = conns.get(&conn) else { return };
    if peer.tx.try_send(Outbound::Frame(frame)).is_err() {
        // Too slow (or gone): drop it; y-websocket reconnects and resyncs.
        let _ = peer.tx.try_send(Outbound::Close(4008, "slow consumer".into()));
        conns.remove(&conn);
        room.close(conn);
    }
}

/// Looks up the role of every connected user again: connections get their
/// current role, or are closed with 4403 when their user lost access.
async fn recheck(state: &AppState, (app, doc): Key, conns: &mut HashMap<ConnId, Peer>, room: &mut Room) {
    let scope = state.store.app(app);
    let mut users: Vec<UserId> = conns.values().map(|p| p.user.clone()).collect();
    users.sort();
    users.dedup();
    for user in users {
        let role = match scope.doc_role(doc, &user).await {
            Ok((_, role)) => Some(to_role(role)),
            Err(StoreError::NotFound { .. } | StoreError::Forbidden(_)) => None,
            Err(e) => {
                // Unknown: keep the current role rather than drop a user on a database hiccup.
                tracing::warn!(app_id = %app, doc_id = %doc, error = %e, "cannot recheck a collab role");
                continue;
            }
        };
        let theirs: Vec<ConnId> = conns.iter().filter(|(_, p)| p.user == user).map(|(c, _)| *c).collect();
        for conn in theirs {
            match role {
                Some(role) => room.set_role(conn, role),
                None => {
                    if let Some(peer) = conns.remove(&conn) {
                        let _ = peer.tx.try_send(Outbound::Close(4403, "access to the document was revoked".into()));
                    }
                    room.close(conn);
                }
            }
        }
    }
}

/// Compacts from the database itself — snapshot plus every stored update up to
/// the newest — so it never depends on what this node has in memory (another
/// node may have stored updates this one has not heard yet).
async fn compact(state: &AppState, (app, doc): Key, room: &mut Room) {
    let scope = state.store.app(app);
    let result = async {
        let stored = scope.doc_state(doc).await.map_err(|e| e.to_string())?;
        if stored.updates.is_empty() {
            return Ok(());
        }
        let parts: Vec<&[u8]> =
            stored.snapshot.iter().map(Vec::as_slice).chain(stored.updates.iter().map(Vec::as_slice)).collect();
        let merged = std::panic::catch_unwind(|| yrs::merge_updates_v1(parts.iter().copied()))
            .map_err(|_| "stored updates do not merge".to_owned())?
            .map_err(|e| e.to_string())?;
        scope.compact_doc(doc, &merged, stored.last_seq).await.map_err(|e| e.to_string())
    }
    .await;
    match result {
        Ok(()) => room.updates_since_snapshot = 0,
        Err(e) => tracing::warn!(app_id = %app, doc_id = %doc, error = %e, "compaction failed; will retry"),
    }
}

/// Opens a document over the y-websocket protocol (binary frames).
#[utoipa::path(
    get,
    path = "/v1/collab/{doc_id}",
    tag = "collab",
    params(("doc_id" = String, Path, description = "The document"), WsQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol (y-websocket)"),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`origin_not_allowed`", body = ErrorBody),
        (status = 404, description = "No such document, or not yours to open", body = ErrorBody),
    )
)]
pub async fn collab_ws(
    State(state): State<AppState>,
    Path(doc_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let user = crate::ws::upgrade_user(&state, &headers, q.token.as_deref()).await?;
    let doc: DocId = doc_id.parse().map_err(|_| ApiError::not_found("not_found", "document not found"))?;
    let (_, role) = state.store.app(user.app_id).doc_role(doc, &user.user_id).await?;
    let role = to_role(role);
    Ok(upgrade
        .read_buffer_size(16 * 1024)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| session(state, user.app_id, user.user_id, doc, role, socket)))
}

async fn session(state: AppState, app: AppId, user: UserId, doc: DocId, role: Role, socket: WebSocket) {
    let collab = state.collab.clone();
    let conn = collab.next_conn.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::channel(QUEUE_FRAMES);
    let key = (app, doc);
    collab.send(&state, key, || Cmd::Open { conn, user: user.clone(), role, tx: tx.clone() });
    drop(tx);
    let (mut sink, mut stream) = socket.split();
    let (_counted, mut stopping) = state.sessions.enter();
    let _metered = state.meter.connect(app);
    state.meter.active(app, &user);
    // Like y-websocket's server: ping quiet peers, close dead ones.
    let mut hb = caas_signaling::heartbeat::Heartbeat::new(
        std::time::Instant::now(),
        crate::ws::PING_AFTER,
        crate::ws::DEAD_AFTER,
    );
    loop {
        let deadline = tokio::time::Instant::from_std(hb.deadline());
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => match hb.poll(std::time::Instant::now()) {
                caas_signaling::heartbeat::Beat::Ping => {
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        break;
                    }
                }
                caas_signaling::heartbeat::Beat::Close => {
                    let _ = sink.send(close(4000, "heartbeat timeout")).await;
                    break;
                }
                caas_signaling::heartbeat::Beat::Idle => {}
            },
            msg = stream.next() => match msg {
                Some(Ok(Message::Binary(data))) => {
                    hb.heard(std::time::Instant::now());
                    collab.send(&state, key, || Cmd::Frame { conn, data: data.to_vec() })
                }
                Some(Ok(Message::Text(_))) => {
                    let _ = sink.send(close(1003, "y-websocket speaks binary frames")).await;
                    break;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => hb.heard(std::time::Instant::now()),
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(e)) => {
                    let text = e.to_string();
                    let code = if text.contains("too long") || text.contains("limit") { 1009 } else { 1002 };
                    let _ = sink.send(close(code, &text)).await;
                    break;
                }
            },
            out = rx.recv() => match out {
                Some(Outbound::Frame(f)) => {
                    if sink.send(Message::Binary(f.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Close(code, reason)) => {
                    let _ = sink.send(close(code, &reason)).await;
                    break;
                }
                None => break,
            },
            _ = stopping.changed() => {
                let _ = sink.send(close(1001, "server shutting down")).await;
                break;
            }
        }
    }
    collab.send(&state, key, || Cmd::Close { conn });
}

fn close(code: u16, reason: &str) -> Message {
    let mut reason = reason.to_owned();
    while reason.len() > 123 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}
