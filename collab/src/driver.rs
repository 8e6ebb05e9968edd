//! Runs [`Room`]s on tokio: one task per loaded document, fed by the
//! connections' frames, reading and writing the database through a
//! [`DocStore`], and talking to the other nodes through the [`relay`].
//!
//! One task owns each loaded document: connections send it frames, it applies
//! them through the sans-IO room, stores each new update before sending or
//! relaying it (so whatever another client has seen is in the database), and
//! compacts the update log into a snapshot every [`COMPACT_EVERY`] updates and
//! when the last connection leaves — then the document leaves memory. A
//! document without traffic for [`HIBERNATE_AFTER`] keeps only its encoded
//! state until the next command.
//!
//! The server's WebSocket layer calls [`Collab::open`] and then, for the life of
//! the socket, [`Collab::frame`] with each binary message and sends what arrives
//! on [`Connection::outbound`]; [`Collab::close`] when the socket ends.

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::hash::Hash;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::relay::{self, Control, Publisher, Relayed};
use crate::room::{ConnId, Limits, Output, Role, Room};

/// Updates between two compactions of a document's log.
pub const COMPACT_EVERY: usize = 200;
/// Commands handled together, their updates stored in one [`DocStore::append`].
pub const BATCH_COMMANDS: usize = 256;
/// A document with no traffic for this long keeps only its encoded state.
pub const HIBERNATE_AFTER: Duration = Duration::from_secs(30);
/// Frames queued for one connection before it counts as too slow (its queue
/// holds one more place, kept for the close).
pub const QUEUE_FRAMES: usize = 1024;

/// The WebSocket close codes the driver sends on [`Outbound::Close`].
pub mod close {
    /// A frame was refused (malformed, too large): the connection is closed.
    pub const REFUSED: u16 = 1007;
    /// The document cannot be loaded, or its updates cannot be stored.
    pub const UNAVAILABLE: u16 = 1011;
    /// The connection's queue is full: it does not keep up.
    pub const SLOW_CONSUMER: u16 = 4008;
    /// The user lost access to the document.
    pub const REVOKED: u16 = 4403;
    /// The document was deleted.
    pub const GONE: u16 = 4404;
}

/// A document as stored: the compacted state and the updates after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredDoc {
    /// Compacted state (a v1 update), if any.
    pub snapshot: Option<Vec<u8>>,
    /// Updates (v1) stored after the snapshot, oldest first.
    pub updates: Vec<Vec<u8>>,
    /// Sequence number of the last stored update (what [`DocStore::compact`]
    /// is given as `upto_seq`).
    pub last_seq: i64,
}

/// Where documents are stored and who may edit them (the database, in the
/// server). The driver names apps, documents and users only through the
/// associated types, so the server keeps its own id types.
pub trait DocStore: Send + Sync + 'static {
    /// An app (tenant) id; `Display` and `FromStr` are its form on the relay.
    type App: Copy + Eq + Hash + Display + FromStr + Send + Sync + 'static;
    /// A document id, unique within its app; `Display` and `FromStr` as for `App`.
    type Doc: Copy + Eq + Hash + Display + FromStr + Send + Sync + 'static;
    /// A user id.
    type User: Clone + Eq + Ord + Send + Sync + 'static;
    /// A failure of the store (logged, never shown to clients).
    type Error: std::error::Error + Send + Sync + 'static;

    /// The stored state of a document. An error if it does not exist.
    fn load(&self, app: Self::App, doc: Self::Doc) -> impl Future<Output = Result<StoredDoc, Self::Error>> + Send;

    /// Appends updates in one transaction, committed when this returns.
    fn append(
        &self,
        app: Self::App,
        doc: Self::Doc,
        updates: &[Vec<u8>],
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Replaces the stored updates up to `upto_seq` by `merged`, the snapshot
    /// that contains them and the previous snapshot.
    fn compact(
        &self,
        app: Self::App,
        doc: Self::Doc,
        merged: &[u8],
        upto_seq: i64,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// `user`'s current role on the document: `Ok(None)` if they have no access
    /// any more (or the document is gone), `Err` if that cannot be told now —
    /// then the connection keeps its role rather than be dropped on a hiccup.
    fn role(
        &self,
        app: Self::App,
        doc: Self::Doc,
        user: &Self::User,
    ) -> impl Future<Output = Result<Option<Role>, Self::Error>> + Send;
}

/// What a document task sends a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    /// A binary y-protocols frame.
    Frame(Vec<u8>),
    /// Close, with a WebSocket close code (see [`close`]) and a reason. Nothing
    /// follows it.
    Close(u16, String),
}

/// Why a request to a document task failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    /// The document task ended before answering: the document could not be
    /// loaded (it does not exist, the store failed, or its state is corrupt;
    /// the cause is logged), or it was shut down meanwhile.
    #[error("the document task ended before answering")]
    TaskEnded,
    /// A server-made update did not decode or apply.
    #[error("the update does not apply to the document")]
    NotApplied,
}

/// Why compacting a document's stored log failed (logged; retried later).
#[derive(Debug, thiserror::Error)]
pub enum CompactError<E: std::error::Error + 'static> {
    /// Reading the stored state failed.
    #[error("cannot read the stored document: {0}")]
    Load(#[source] E),
    /// The stored snapshot and updates do not merge.
    #[error("stored updates do not merge: {0}")]
    Merge(#[source] yrs::encoding::read::Error),
    /// The merge panicked inside yrs (bad stored data).
    #[error("stored updates do not merge (the decoder gave up)")]
    MergePanicked,
    /// Storing the snapshot failed.
    #[error("cannot store the snapshot: {0}")]
    Store(#[source] E),
}

/// A connection opened by [`Collab::open`].
#[derive(Debug)]
pub struct Connection {
    /// Its id, to pass to [`Collab::frame`] and [`Collab::close`].
    pub conn: ConnId,
    /// What to send on the socket, in order. It ends (`None`) after a
    /// [`Outbound::Close`], or when the document task drops the connection.
    pub outbound: mpsc::Receiver<Outbound>,
}

/// What a loaded document task reports about itself (see [`Collab::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocStatus {
    /// Open connections.
    pub connections: usize,
    /// Whether the document is kept as its encoded state only.
    pub hibernating: bool,
    /// Updates applied since the stored log was last compacted.
    pub updates_since_snapshot: usize,
}

enum Cmd<U> {
    Open {
        conn: ConnId,
        user: U,
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
    Status {
        reply: oneshot::Sender<DocStatus>,
    },
}

/// A connection as its document task knows it.
struct Peer<U> {
    user: U,
    tx: mpsc::Sender<Outbound>,
}

/// The link to the other nodes.
struct Link {
    node: u64,
    publisher: Box<dyn Publisher>,
}

type Key<S> = (<S as DocStore>::App, <S as DocStore>::Doc);
type Rooms<S> = HashMap<Key<S>, mpsc::UnboundedSender<Cmd<<S as DocStore>::User>>>;

/// The documents loaded on this node. Share it in an [`Arc`].
pub struct Collab<S: DocStore> {
    store: S,
    limits: Limits,
    rooms: Mutex<Rooms<S>>,
    relay: OnceLock<Link>,
    next_conn: AtomicU64,
}

impl<S: DocStore> Collab<S> {
    /// No document loaded yet; documents are read from and written to `store`,
    /// each within `limits`. No relay until [`Collab::start_relay`] or
    /// [`Collab::attach_relay`].
    pub fn new(store: S, limits: Limits) -> Arc<Self> {
        Arc::new(Collab {
            store,
            limits,
            rooms: Mutex::new(HashMap::new()),
            relay: OnceLock::new(),
            next_conn: AtomicU64::new(1),
        })
    }

    /// The store documents live in.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Size limits of every document.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn rooms(&self) -> MutexGuard<'_, Rooms<S>> {
        // A poisoned lock only means a panic elsewhere mid-insert; the map is intact.
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The document's task, started (and the document loaded) if needed.
    fn room(self: &Arc<Self>, key: Key<S>) -> mpsc::UnboundedSender<Cmd<S::User>> {
        let mut rooms = self.rooms();
        if let Some(tx) = rooms.get(&key).filter(|tx| !tx.is_closed()) {
            return tx.clone();
        }
        let (tx, rx) = mpsc::unbounded_channel();
        rooms.insert(key, tx.clone());
        tokio::spawn(task::run_room(self.clone(), key, rx));
        tx
    }

    /// Sends `cmd` to the document's task, loading it if needed (and again if
    /// it was just unloading). False if no task took it.
    fn send(self: &Arc<Self>, key: Key<S>, mut cmd: Cmd<S::User>) -> bool {
        for _ in 0..3 {
            match self.room(key).send(cmd) {
                Ok(()) => return true,
                Err(mpsc::error::SendError(back)) => cmd = back,
            }
        }
        tracing::warn!(app_id = %key.0, doc_id = %key.1, "document task did not take a command");
        false
    }

    /// Sends `cmd` to the document's task if it is loaded (a connection's
    /// frames and close: a document that is not loaded has no connection).
    fn send_loaded(&self, key: Key<S>, cmd: Cmd<S::User>) {
        if let Some(tx) = self.rooms().get(&key) {
            let _ = tx.send(cmd);
        }
    }

    /// Opens a connection of `user` with `role` (checked by the caller) on a
    /// document, loading it if needed. It first gets the server's sync step 1
    /// and the current awareness on [`Connection::outbound`]; if the document
    /// cannot be loaded, a close with [`close::UNAVAILABLE`].
    pub fn open(self: &Arc<Self>, app: S::App, doc: S::Doc, user: S::User, role: Role) -> Connection {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (tx, outbound) = mpsc::channel(QUEUE_FRAMES + 1);
        self.send((app, doc), Cmd::Open { conn, user, role, tx });
        Connection { conn, outbound }
    }

    /// A binary message from connection `conn` of a document.
    pub fn frame(&self, app: S::App, doc: S::Doc, conn: ConnId, data: Vec<u8>) {
        self.send_loaded((app, doc), Cmd::Frame { conn, data });
    }

    /// Connection `conn` of a document ended (its socket closed). The last
    /// connection to leave compacts and unloads the document.
    pub fn close(&self, app: S::App, doc: S::Doc, conn: ConnId) {
        self.send_loaded((app, doc), Cmd::Close { conn });
    }

    /// The current state of a document as one v1 update (loaded, or read from
    /// the store).
    pub async fn snapshot(self: &Arc<Self>, app: S::App, doc: S::Doc) -> Result<Vec<u8>, DriverError> {
        let (reply, rx) = oneshot::channel();
        self.send((app, doc), Cmd::Snapshot { reply });
        rx.await.map_err(|_| DriverError::TaskEnded)
    }

    /// Applies a server-made update (v1): stored, then sent to every connection
    /// and relayed.
    pub async fn apply(self: &Arc<Self>, app: S::App, doc: S::Doc, update: Vec<u8>) -> Result<(), DriverError> {
        let (reply, rx) = oneshot::channel();
        self.send((app, doc), Cmd::Apply { update, reply });
        match rx.await {
            Ok(true) => Ok(()),
            Ok(false) => Err(DriverError::NotApplied),
            Err(_) => Err(DriverError::TaskEnded),
        }
    }

    /// Closes every connection of a document with [`close::GONE`] and `reason`
    /// (it was deleted), on every node, and unloads it without storing anything.
    pub async fn shutdown(&self, app: S::App, doc: S::Doc, reason: &str) {
        self.shutdown_here(app, doc, reason);
        self.publish_control(app, Some(doc), Control::Shutdown, reason).await;
    }

    fn shutdown_here(&self, app: S::App, doc: S::Doc, reason: &str) {
        self.send_loaded((app, doc), Cmd::Shutdown { reason: reason.to_owned() });
    }

    /// A document's roles changed: its open connections get their new role
    /// (a demoted editor's next update is refused; a user who lost access is
    /// disconnected with [`close::REVOKED`]), on every node.
    pub async fn roles_changed(&self, app: S::App, doc: S::Doc) {
        self.recheck_here(app, Some(doc));
        self.publish_control(app, Some(doc), Control::Recheck, "").await;
    }

    /// Memberships of `app` changed: documents tied to a conversation may have
    /// lost (or gained) editors. Every loaded document of the app rechecks its
    /// connections, on every node.
    pub async fn memberships_changed(&self, app: S::App) {
        self.recheck_here(app, None);
        self.publish_control(app, None, Control::Recheck, "").await;
    }

    fn recheck_here(&self, app: S::App, doc: Option<S::Doc>) {
        for ((a, d), tx) in self.rooms().iter() {
            if *a == app && doc.is_none_or(|doc| doc == *d) {
                let _ = tx.send(Cmd::Recheck);
            }
        }
    }

    /// Documents in memory.
    pub fn loaded(&self) -> usize {
        self.rooms().len()
    }

    /// How a loaded document is doing; `None` if it is not loaded (this does
    /// not load it).
    pub async fn status(&self, app: S::App, doc: S::Doc) -> Option<DocStatus> {
        let (reply, rx) = oneshot::channel();
        self.send_loaded((app, doc), Cmd::Status { reply });
        rx.await.ok()
    }

    /// Relays with the other nodes through `publisher`, as node `node` (a
    /// number unique in the cluster; messages carrying it are this node's own
    /// and ignored by [`Collab::on_relayed`]). What the other nodes publish is
    /// given to [`Collab::on_relayed`]. False, and nothing changes, if a relay
    /// is already attached.
    pub fn attach_relay(&self, node: u64, publisher: impl Publisher) -> bool {
        self.relay.set(Link { node, publisher: Box::new(publisher) }).is_ok()
    }

    /// A message from the relay (see [`relay`] for the format):
    /// a frame for a document loaded here, or a control. Ignored if it is this
    /// node's own, does not parse, or no relay is attached.
    pub fn on_relayed(&self, payload: &[u8]) {
        let Some(link) = self.relay.get() else { return };
        match relay::parse::<S::App, S::Doc>(link.node, payload) {
            // Only documents loaded here care; others load from the store when opened.
            Some(Relayed::Frame { app, doc, frame }) => self.send_loaded((app, doc), Cmd::Relayed { frame }),
            Some(Relayed::Control { app, doc, control: Control::Recheck, .. }) => self.recheck_here(app, doc),
            Some(Relayed::Control { app, doc: Some(doc), control: Control::Shutdown, reason }) => {
                self.shutdown_here(app, doc, &reason)
            }
            Some(Relayed::Control { doc: None, control: Control::Shutdown, .. }) | None => {}
        }
    }

    /// `<node> <app> <doc or *> <control>\n<reason>` to the other nodes.
    async fn publish_control(&self, app: S::App, doc: Option<S::Doc>, control: Control, reason: &str) {
        let Some(link) = self.relay.get() else { return };
        let payload = relay::encode_control(link.node, app, doc, control, reason);
        if let Err(e) = link.publisher.publish(payload).await {
            let doc = doc.map_or_else(|| "*".to_owned(), |d| d.to_string());
            tracing::warn!(app_id = %app, doc_id = %doc, error = %e, "collab relay control publish failed");
        }
    }

    /// `<node> <app> <doc>\n<frame>` to the other nodes.
    async fn publish(&self, (app, doc): Key<S>, frame: &[u8]) {
        let Some(link) = self.relay.get() else { return };
        let payload = relay::encode_frame(link.node, app, doc, frame);
        if let Err(e) = link.publisher.publish(payload).await {
            // The update is stored; other nodes' editors get it when they resync.
            tracing::warn!(app_id = %app, doc_id = %doc, error = %e, "collab relay publish failed");
        }
    }
}

mod task;

#[cfg(test)]
mod tests;
