//! One document and the connections editing it.
//!
//! Every binary frame from a client holds one or more y-protocols messages. A
//! frame is decoded completely before anything is applied, so a truncated or
//! garbage frame changes nothing: the connection is closed with a reason.
//! Viewers may sync and share awareness, but their updates are refused with the
//! y-protocols auth message (permission denied) and never applied.

use std::collections::{HashMap, HashSet};

use yrs::block::ClientID;
use yrs::encoding::read::Cursor;
use yrs::encoding::write::Write;
use yrs::sync::protocol::{MSG_SYNC, MSG_SYNC_UPDATE, MessageReader};
use yrs::sync::{Awareness, AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::{Doc, Options, ReadTxn, StateVector, Transact, Update};

/// A connection, unique within the node.
pub type ConnId = u64;

/// What a connection may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read and share presence.
    Viewer,
    /// Also change the document.
    Editor,
    /// Also manage roles.
    Owner,
}

impl Role {
    /// Whether updates from this role are applied.
    pub fn can_edit(self) -> bool {
        self >= Role::Editor
    }
}

/// Size limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single update, in bytes.
    pub max_update_bytes: usize,
    /// Largest document (its encoded state), in bytes.
    pub max_doc_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_update_bytes: 1024 * 1024, max_doc_bytes: 16 * 1024 * 1024 }
    }
}

/// Why a room refused something.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    /// Stored state that does not decode.
    #[error("stored document state is corrupt: {0}")]
    Corrupt(String),
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send a binary frame to one connection.
    Send {
        /// The connection.
        conn: ConnId,
        /// The frame.
        frame: Vec<u8>,
    },
    /// Send a binary frame to every connection but `except`.
    Broadcast {
        /// The origin, which does not get its own change back.
        except: Option<ConnId>,
        /// The frame.
        frame: Vec<u8>,
    },
    /// Store this update (v1 encoding) durably.
    Persist {
        /// The update.
        update: Vec<u8>,
    },
    /// Give this frame to the other nodes serving the document.
    Relay {
        /// A y-protocols frame (an update or an awareness message).
        frame: Vec<u8>,
    },
    /// Close a connection, saying why.
    Close {
        /// The connection.
        conn: ConnId,
        /// The reason (also logged).
        reason: String,
    },
}

struct Conn {
    role: Role,
    /// Awareness client ids this connection announced (cleared when it closes).
    clients: HashSet<ClientID>,
}

/// A loaded document with its connections.
pub struct Room {
    awareness: Awareness,
    /// While idle: the whole state and the awareness states, encoded; the
    /// live document is then an empty placeholder (see [`Room::hibernate`]).
    hibernated: Option<(Vec<u8>, Vec<u8>)>,
    conns: HashMap<ConnId, Conn>,
    limits: Limits,
    out: Vec<Output>,
    /// Updates applied since the state was last compacted.
    pub updates_since_snapshot: usize,
}

/// Why bytes did not decode.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// yrs refused them.
    #[error(transparent)]
    Yrs(#[from] yrs::encoding::read::Error),
    /// yrs panicked on them (it asserts on some invalid input in debug builds).
    #[error("input rejected by the decoder")]
    Panicked,
}

/// Runs a yrs decode, turning a panic inside it into an error: bad input must
/// never take a task down.
fn guarded<T>(f: impl FnOnce() -> Result<T, DecodeError>) -> Result<T, DecodeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(Err(DecodeError::Panicked))
}

fn decode_update(bytes: &[u8]) -> Result<Update, DecodeError> {
    guarded(|| Ok(Update::decode_v1(bytes)?))
}

fn frame_of(message: &Message) -> Vec<u8> {
    message.encode_v1()
}

/// The frame of a sync update carrying `update` (v1).
pub fn update_frame(update: &[u8]) -> Vec<u8> {
    let mut enc = EncoderV1::new();
    enc.write_var(MSG_SYNC);
    enc.write_var(MSG_SYNC_UPDATE);
    enc.write_buf(update);
    enc.to_vec()
}

impl Room {
    /// An empty document with garbage collection on.
    pub fn new(limits: Limits) -> Room {
        let doc = Doc::with_options(Options { skip_gc: false, ..Options::default() });
        Room {
            awareness: Awareness::new(doc),
            hibernated: None,
            conns: HashMap::new(),
            limits,
            out: Vec::new(),
            updates_since_snapshot: 0,
        }
    }

    /// A document loaded from a snapshot and the updates stored after it.
    pub fn load(limits: Limits, snapshot: Option<&[u8]>, updates: &[Vec<u8>]) -> Result<Room, RoomError> {
        let room = Room::new(limits);
        {
            let mut txn = room.awareness.doc().transact_mut();
            for bytes in snapshot.into_iter().chain(updates.iter().map(Vec::as_slice)) {
                let update = decode_update(bytes).map_err(|e| RoomError::Corrupt(e.to_string()))?;
                txn.apply_update(update).map_err(|e| RoomError::Corrupt(e.to_string()))?;
            }
        }
        let mut room = room;
        room.updates_since_snapshot = updates.len();
        Ok(room)
    }

    /// The whole state as one update (v1): the snapshot to store.
    pub fn snapshot(&self) -> Vec<u8> {
        match &self.hibernated {
            Some((state, _)) => state.clone(),
            None => self.awareness.doc().transact().encode_state_as_update_v1(&StateVector::default()),
        }
    }

    /// The document, for reading (e.g. exporting JSON).
    pub fn doc(&mut self) -> &Doc {
        self.wake();
        self.awareness.doc()
    }

    /// Keeps an idle document as its encoded state only (about its encoded size
    /// in memory instead of several times that); the next use rebuilds it.
    pub fn hibernate(&mut self) {
        if self.hibernated.is_some() {
            return;
        }
        let state = self.snapshot();
        let awareness = self.awareness.update().map(|u| u.encode_v1()).unwrap_or_default();
        self.awareness = Awareness::new(Doc::with_options(Options { skip_gc: false, ..Options::default() }));
        self.hibernated = Some((state, awareness));
    }

    /// Whether the document is hibernating.
    pub fn is_hibernating(&self) -> bool {
        self.hibernated.is_some()
    }

    fn wake(&mut self) {
        let Some((state, awareness)) = self.hibernated.take() else {
            return;
        };
        // The state was encoded by this room, so it decodes; if it somehow did
        // not, the document would come back empty rather than take the task down.
        if let Ok(update) = decode_update(&state)
            && let Err(e) = self.awareness.doc().transact_mut().apply_update(update)
        {
            tracing::error!(error = %e, "a hibernated document did not apply");
        }
        if let Ok(update) = guarded(|| Ok(AwarenessUpdate::decode_v1(&awareness)?)) {
            let _ = self.awareness.apply_update(update);
        }
    }

    /// Number of open connections.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// Outputs collected so far.
    pub fn drain(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    /// A connection opened: it gets the server's sync step 1 and the current awareness.
    pub fn open(&mut self, conn: ConnId, role: Role) {
        self.wake();
        self.conns.insert(conn, Conn { role, clients: HashSet::new() });
        let sv = self.awareness.doc().transact().state_vector();
        let mut frames = vec![frame_of(&Message::Sync(SyncMessage::SyncStep1(sv)))];
        if let Ok(update) = self.awareness.update()
            && !update.clients.is_empty()
        {
            frames.push(frame_of(&Message::Awareness(update)));
        }
        for frame in frames {
            self.out.push(Output::Send { conn, frame });
        }
    }

    /// A connection's role changed (e.g. demoted to viewer).
    pub fn set_role(&mut self, conn: ConnId, role: Role) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.role = role;
        }
    }

    /// A connection closed: its awareness states are removed for everyone.
    pub fn close(&mut self, conn: ConnId) {
        self.wake();
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        let ids: Vec<ClientID> = c.clients.into_iter().collect();
        if ids.is_empty() {
            return;
        }
        for id in &ids {
            self.awareness.remove_state(*id);
        }
        if let Ok(update) = self.awareness.update_with_clients(ids) {
            let frame = frame_of(&Message::Awareness(update));
            self.out.push(Output::Broadcast { except: None, frame: frame.clone() });
            self.out.push(Output::Relay { frame });
        }
    }

    /// Refuses `conn`: tells the driver to close it and forgets it at once, so
    /// that frames of it still queued change nothing.
    fn refuse(&mut self, conn: ConnId, reason: String) {
        self.out.push(Output::Close { conn, reason });
        self.close(conn);
    }

    /// A binary frame from `conn`.
    pub fn receive(&mut self, conn: ConnId, data: &[u8]) {
        self.wake();
        let Some(role) = self.conns.get(&conn).map(|c| c.role) else {
            return;
        };
        // Decode everything first: a bad frame changes nothing.
        let decoded = guarded(|| {
            let mut messages = Vec::new();
            let mut decoder = DecoderV1::new(Cursor::new(data));
            let mut reader = MessageReader::new(&mut decoder);
            for m in reader.by_ref() {
                messages.push(m?);
            }
            Ok(messages)
        });
        let messages = match decoded {
            Ok(m) => m,
            Err(e) => {
                self.refuse(conn, format!("malformed message: {e}"));
                return;
            }
        };
        // The reader stops quietly at a truncated message: every byte must
        // belong to a whole message (re-encoding is canonical in length).
        let whole: usize = messages.iter().map(|m| m.encode_v1().len()).sum();
        if messages.is_empty() || whole != data.len() {
            self.refuse(conn, "malformed message: truncated".into());
            return;
        }
        let mut updates = Vec::new();
        for m in &messages {
            if let Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) = m {
                if u.len() > self.limits.max_update_bytes {
                    self.refuse(conn, format!("update larger than {} bytes", self.limits.max_update_bytes));
                    return;
                }
                match decode_update(u) {
                    Ok(decoded) => updates.push((u.clone(), decoded)),
                    Err(e) => {
                        self.refuse(conn, format!("malformed update: {e}"));
                        return;
                    }
                }
            }
        }
        let mut updates = updates.into_iter();
        for m in messages {
            match m {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let diff = self.awareness.doc().transact().encode_state_as_update_v1(&sv);
                    self.out.push(Output::Send { conn, frame: frame_of(&Message::Sync(SyncMessage::SyncStep2(diff))) });
                }
                Message::Sync(SyncMessage::SyncStep2(_) | SyncMessage::Update(_)) => {
                    let Some((bytes, update)) = updates.next() else { continue };
                    if !role.can_edit() {
                        // y-websocket always answers our sync step 1, often with
                        // nothing new: only a real change is refused.
                        if self.brings_nothing(&update) {
                            continue;
                        }
                        let denied = Message::Auth(Some("permission denied: you may only view this document".into()));
                        self.out.push(Output::Send { conn, frame: frame_of(&denied) });
                        continue;
                    }
                    self.apply(Some(conn), bytes, update);
                }
                Message::Awareness(update) => self.awareness_from(conn, update),
                Message::AwarenessQuery => {
                    if let Ok(update) = self.awareness.update() {
                        self.out.push(Output::Send { conn, frame: frame_of(&Message::Awareness(update)) });
                    }
                }
                // Clients do not send auth messages; custom ones are ignored.
                Message::Auth(_) | Message::Custom(..) => {}
            }
        }
    }

    /// Applies an update made by the server (e.g. a version restore): stored
    /// and sent to every connection. False if it does not decode or apply.
    pub fn apply_server(&mut self, bytes: &[u8]) -> bool {
        self.wake();
        let Ok(update) = decode_update(bytes) else {
            return false;
        };
        self.apply(None, bytes.to_vec(), update)
    }

    fn apply(&mut self, origin: Option<ConnId>, bytes: Vec<u8>, update: Update) -> bool {
        let changed = match self.integrate(update) {
            Ok(changed) => changed,
            Err(e) => {
                if let Some(conn) = origin {
                    self.refuse(conn, format!("update cannot be applied: {e}"));
                }
                return false;
            }
        };
        if !changed {
            // Nothing new (e.g. a sync step 2 the server already had).
            return true;
        }
        if let Some(conn) = origin.filter(|_| self.snapshot_len_over_limit()) {
            // Too big now: a CRDT cannot take it back, so stop the writer.
            self.refuse(conn, format!("document larger than {} bytes", self.limits.max_doc_bytes));
        }
        self.updates_since_snapshot += 1;
        let frame = update_frame(&bytes);
        self.out.push(Output::Persist { update: bytes });
        self.out.push(Output::Broadcast { except: origin, frame: frame.clone() });
        self.out.push(Output::Relay { frame });
        true
    }

    /// Whether `update` holds nothing this document lacks (no new blocks, no deletes).
    /// Whether `update` holds nothing at all (what y-websocket sends in answer
    /// to our sync step 1 when it has nothing we lack).
    fn brings_nothing(&self, update: &Update) -> bool {
        update.is_empty()
    }

    /// Applies `update`; true if it changed the document — it inserted or
    /// deleted something (a delete-only update changes no state vector), or it
    /// is waiting for missing updates (then it must be kept and passed on too).
    fn integrate(&mut self, update: Update) -> Result<bool, yrs::error::UpdateError> {
        let mut txn = self.awareness.doc().transact_mut();
        txn.apply_update(update)?;
        Ok(!txn.insert_set().is_empty() || !txn.delete_set().is_empty() || txn.has_missing_updates())
    }

    fn snapshot_len_over_limit(&self) -> bool {
        // Cheap check first: the update log alone cannot exceed the limit often.
        self.updates_since_snapshot % 64 == 63 && self.snapshot().len() > self.limits.max_doc_bytes
    }

    fn awareness_from(&mut self, conn: ConnId, update: AwarenessUpdate) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.clients.extend(update.clients.keys().copied());
        }
        let frame = frame_of(&Message::Awareness(update.clone()));
        if self.awareness.apply_update(update).is_ok() {
            self.out.push(Output::Broadcast { except: Some(conn), frame: frame.clone() });
            self.out.push(Output::Relay { frame });
        }
    }

    /// A frame relayed from another node (an update or awareness message):
    /// applied and sent to this node's connections, not stored again.
    pub fn relayed(&mut self, data: &[u8]) {
        self.wake();
        let first = guarded(|| {
            let mut decoder = DecoderV1::new(Cursor::new(data));
            let mut reader = MessageReader::new(&mut decoder);
            Ok(reader.next().transpose()?)
        });
        let Ok(Some(message)) = first else {
            return;
        };
        match message {
            Message::Sync(SyncMessage::Update(u)) => {
                let Ok(update) = decode_update(&u) else { return };
                if self.integrate(update).unwrap_or(false) {
                    self.updates_since_snapshot += 1;
                    self.out.push(Output::Broadcast { except: None, frame: data.to_vec() });
                }
            }
            Message::Awareness(update) => {
                let applied = self.awareness.apply_update(update).is_ok();
                if applied {
                    self.out.push(Output::Broadcast { except: None, frame: data.to_vec() });
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{GetString, Text};

    /// A client document and a frame carrying one text insert.
    fn client_edit(text: &str) -> (Doc, Vec<u8>) {
        let doc = Doc::new();
        let t = doc.get_or_insert_text("t");
        let update = {
            let mut txn = doc.transact_mut();
            t.insert(&mut txn, 0, text);
            txn.encode_update_v1()
        };
        (doc, update_frame(&update))
    }

    fn text_of(room: &mut Room) -> String {
        let t = room.doc().get_or_insert_text("t");
        t.get_string(&room.doc().transact())
    }

    #[test]
    fn editors_change_the_document_and_others_hear_it() {
        let mut room = Room::new(Limits::default());
        room.open(1, Role::Editor);
        room.open(2, Role::Viewer);
        let first = room.drain();
        assert!(matches!(&first[0], Output::Send { conn: 1, .. }), "sync step 1 on open");
        let (_, frame) = client_edit("hello");
        room.receive(1, &frame);
        let out = room.drain();
        assert!(out.iter().any(|o| matches!(o, Output::Persist { .. })));
        assert!(out.iter().any(|o| matches!(o, Output::Broadcast { except: Some(1), frame: f } if *f == frame)));
        assert_eq!(text_of(&mut room), "hello");
        // The same update again changes nothing and is not stored twice.
        room.receive(1, &frame);
        assert!(room.drain().is_empty());
    }

    #[test]
    fn viewers_are_refused_with_an_auth_message() {
        let mut room = Room::new(Limits::default());
        room.open(2, Role::Viewer);
        room.drain();
        // An empty sync step 2 (what y-websocket sends after syncing) is no change: no refusal.
        let empty = Doc::new().transact().encode_state_as_update_v1(&StateVector::default());
        room.receive(2, &Message::Sync(SyncMessage::SyncStep2(empty)).encode_v1());
        assert!(room.drain().is_empty(), "nothing to refuse");
        let (_, frame) = client_edit("nope");
        room.receive(2, &frame);
        let out = room.drain();
        assert_eq!(out.len(), 1);
        let Output::Send { conn: 2, frame } = &out[0] else { panic!("{out:?}") };
        let msg = Message::decode_v1(frame).expect("decodes");
        assert!(matches!(msg, Message::Auth(Some(r)) if r.contains("permission denied")));
        assert_eq!(text_of(&mut room), "", "not applied");
    }

    #[test]
    fn garbage_closes_the_connection_and_changes_nothing() {
        let mut room = Room::new(Limits { max_update_bytes: 64, ..Limits::default() });
        room.open(1, Role::Editor);
        room.drain();
        let (_, good) = client_edit("ok");
        // A good update followed by a truncated message in the same frame: nothing applies.
        let mut frame = good.clone();
        frame.extend_from_slice(&good[..good.len() / 2]);
        for bad in [vec![], vec![0xff, 0xff, 0xff], vec![0, 2, 200, 1], frame] {
            room.receive(1, &bad);
            let out = room.drain();
            assert!(matches!(out.as_slice(), [Output::Close { conn: 1, .. }]), "{bad:?}: {out:?}");
            // The refused connection is forgotten: what it still sends changes nothing.
            room.receive(1, &good);
            assert!(room.drain().is_empty());
            room.open(1, Role::Editor);
            room.drain();
        }
        let (_, big) = client_edit(&"x".repeat(200));
        room.receive(1, &big);
        assert!(matches!(room.drain().as_slice(), [Output::Close { reason, .. }] if reason.contains("larger")));
        assert_eq!(text_of(&mut room), "");
    }

    #[test]
    fn awareness_of_a_closed_connection_is_removed_for_everyone() {
        let mut room = Room::new(Limits::default());
        room.open(1, Role::Editor);
        room.open(2, Role::Viewer);
        room.drain();
        let client = Doc::new();
        let mut aw = Awareness::new(client);
        aw.set_local_state_raw(r#"{"user":{"name":"Ann"}}"#);
        let update = aw.update().expect("update");
        let id = *update.clients.keys().next().expect("client id");
        room.receive(1, &Message::Awareness(update).encode_v1());
        assert!(room.drain().iter().any(|o| matches!(o, Output::Broadcast { except: Some(1), .. })));
        room.close(1);
        let out = room.drain();
        let Some(Output::Broadcast { frame, .. }) = out.first() else { panic!("{out:?}") };
        let Message::Awareness(gone) = Message::decode_v1(frame).expect("decodes") else { panic!() };
        assert_eq!(&*gone.clients[&id].json, "null", "the state is cleared");
    }

    #[test]
    fn snapshot_and_updates_load_back() {
        let mut room = Room::new(Limits::default());
        room.open(1, Role::Owner);
        let (_, frame) = client_edit("persisted");
        room.receive(1, &frame);
        let stored: Vec<Vec<u8>> = room
            .drain()
            .into_iter()
            .filter_map(|o| match o {
                Output::Persist { update } => Some(update),
                _ => None,
            })
            .collect();
        let mut again = Room::load(Limits::default(), None, &stored).expect("loads");
        assert_eq!(text_of(&mut again), "persisted");
        let snap = again.snapshot();
        let mut third = Room::load(Limits::default(), Some(&snap), &[]).expect("loads");
        assert_eq!(text_of(&mut third), "persisted");
        assert!(Room::load(Limits::default(), Some(&[1, 2, 3]), &[]).is_err());
    }

    #[test]
    fn random_and_mutated_frames_never_panic() {
        // A small deterministic generator: no extra dependency for the tests.
        let mut seed: u64 = 0x5eed_caa5;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut room = Room::new(Limits::default());
        room.open(1, Role::Editor);
        let (_, good) = client_edit("base");
        room.receive(1, &good);
        room.drain();
        for i in 0..5000u32 {
            let mut frame: Vec<u8> = if i % 2 == 0 {
                (0..(next() % 64)).map(|_| next() as u8).collect()
            } else {
                let mut f = good.clone();
                let at = (next() as usize) % f.len();
                f[at] ^= 1 << (next() % 8);
                if next() % 3 == 0 {
                    f.truncate((next() as usize) % f.len());
                }
                f
            };
            if frame.len() > 4096 {
                frame.truncate(4096);
            }
            // A connection that was closed is reopened, as a client would reconnect.
            if !room.conns.contains_key(&1) {
                room.open(1, Role::Editor);
            }
            room.receive(1, &frame);
            for out in room.drain() {
                if let Output::Close { conn, .. } = out {
                    room.close(conn);
                }
            }
        }
        // Mutations may be valid updates of other content, but the base text is intact.
        assert!(text_of(&mut room).contains("base"), "the base text survives: {:?}", text_of(&mut room));
    }

    #[test]
    fn a_hibernating_document_keeps_content_and_awareness() {
        let mut room = Room::new(Limits::default());
        room.open(1, Role::Editor);
        let (_, frame) = client_edit("kept");
        room.receive(1, &frame);
        let mut aw = Awareness::new(Doc::new());
        aw.set_local_state_raw(r#"{"user":"Ann"}"#);
        room.receive(1, &Message::Awareness(aw.update().expect("update")).encode_v1());
        room.drain();
        let before = room.snapshot();
        room.hibernate();
        assert!(room.is_hibernating());
        assert_eq!(room.snapshot(), before, "the stored state is the state");
        // A newcomer wakes it and gets the content and the awareness.
        room.open(2, Role::Viewer);
        assert!(!room.is_hibernating());
        let out = room.drain();
        assert_eq!(out.len(), 2, "sync step 1 and awareness: {out:?}");
        assert_eq!(text_of(&mut room), "kept");
    }

    #[test]
    fn a_delete_only_update_is_stored_and_relayed() {
        let mut room = Room::new(Limits::default());
        room.open(1, Role::Editor);
        room.open(2, Role::Editor);
        let client = Doc::new();
        let t = client.get_or_insert_text("t");
        let add = {
            let mut txn = client.transact_mut();
            t.insert(&mut txn, 0, "abc");
            txn.encode_update_v1()
        };
        room.receive(1, &update_frame(&add));
        room.drain();
        let del = {
            let mut txn = client.transact_mut();
            t.remove_range(&mut txn, 0, 1);
            txn.encode_update_v1()
        };
        room.receive(1, &update_frame(&del));
        let out = room.drain();
        assert!(out.iter().any(|o| matches!(o, Output::Persist { .. })), "stored: {out:?}");
        assert!(out.iter().any(|o| matches!(o, Output::Broadcast { except: Some(1), .. })), "relayed");
        assert_eq!(text_of(&mut room), "bc");
        // The same delete again is nothing new.
        room.receive(1, &update_frame(&del));
        assert!(room.drain().is_empty());
    }
}
