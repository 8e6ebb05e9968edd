//! The driver on simulated time, over an in-memory store and without sockets:
//! what each connection hears, what the store holds, and when.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::{
    COMPACT_EVERY, Collab, Connection, DocStore, DriverError, HIBERNATE_AFTER, Outbound, QUEUE_FRAMES, StoredDoc, close,
};
use crate::relay::{Publisher, RelayError};
use crate::room::{Limits, Role, Room, update_frame};
use futures_util::future::BoxFuture;
use tokio::sync::mpsc::error::TryRecvError;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, Text, Transact};

const APP: u32 = 1;
const DOC: u32 = 10;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct MemError(&'static str);

#[derive(Default)]
struct MemDoc {
    snapshot: Option<Vec<u8>>,
    /// `(seq, update)`, oldest first.
    updates: Vec<(i64, Vec<u8>)>,
    last_seq: i64,
}

/// A store in memory that can fail on demand.
#[derive(Default)]
struct Inner {
    docs: Mutex<HashMap<(u32, u32), MemDoc>>,
    roles: Mutex<HashMap<String, Option<Role>>>,
    fail_append: AtomicBool,
    fail_role: AtomicBool,
    compactions: AtomicUsize,
}

#[derive(Clone, Default)]
struct Mem(Arc<Inner>);

impl Mem {
    fn with_doc() -> Mem {
        let mem = Mem::default();
        mem.0.docs.lock().unwrap().insert((APP, DOC), MemDoc::default());
        mem
    }
    fn stored_updates(&self) -> usize {
        self.0.docs.lock().unwrap()[&(APP, DOC)].updates.len()
    }
    fn snapshot(&self) -> Option<Vec<u8>> {
        self.0.docs.lock().unwrap()[&(APP, DOC)].snapshot.clone()
    }
    fn compactions(&self) -> usize {
        self.0.compactions.load(Ordering::SeqCst)
    }
    fn set_role(&self, user: &str, role: Option<Role>) {
        self.0.roles.lock().unwrap().insert(user.to_owned(), role);
    }
    /// The stored text, snapshot and updates together.
    fn text(&self) -> String {
        let docs = self.0.docs.lock().unwrap();
        let d = &docs[&(APP, DOC)];
        let updates: Vec<Vec<u8>> = d.updates.iter().map(|(_, u)| u.clone()).collect();
        let mut room = Room::load(Limits::default(), d.snapshot.as_deref(), &updates).unwrap();
        let t = room.doc().get_or_insert_text("t");
        t.get_string(&room.doc().transact())
    }
}

impl DocStore for Mem {
    type App = u32;
    type Doc = u32;
    type User = String;
    type Error = MemError;

    async fn load(&self, app: u32, doc: u32) -> Result<StoredDoc, MemError> {
        let docs = self.0.docs.lock().unwrap();
        let d = docs.get(&(app, doc)).ok_or(MemError("no such document"))?;
        Ok(StoredDoc {
            snapshot: d.snapshot.clone(),
            updates: d.updates.iter().map(|(_, u)| u.clone()).collect(),
            last_seq: d.last_seq,
        })
    }

    async fn append(&self, app: u32, doc: u32, updates: &[Vec<u8>]) -> Result<(), MemError> {
        if self.0.fail_append.load(Ordering::SeqCst) {
            return Err(MemError("disk full"));
        }
        let mut docs = self.0.docs.lock().unwrap();
        let d = docs.get_mut(&(app, doc)).ok_or(MemError("no such document"))?;
        for u in updates {
            d.last_seq += 1;
            d.updates.push((d.last_seq, u.clone()));
        }
        Ok(())
    }

    async fn compact(&self, app: u32, doc: u32, merged: &[u8], upto_seq: i64) -> Result<(), MemError> {
        let mut docs = self.0.docs.lock().unwrap();
        let d = docs.get_mut(&(app, doc)).ok_or(MemError("no such document"))?;
        d.snapshot = Some(merged.to_vec());
        d.updates.retain(|(seq, _)| *seq > upto_seq);
        self.0.compactions.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn role(&self, _app: u32, _doc: u32, user: &String) -> Result<Option<Role>, MemError> {
        if self.0.fail_role.load(Ordering::SeqCst) {
            return Err(MemError("database unreachable"));
        }
        Ok(self.0.roles.lock().unwrap().get(user).copied().unwrap_or(Some(Role::Editor)))
    }
}

/// A client's document: each edit is a frame to send.
struct Client {
    doc: Doc,
}

impl Client {
    fn new() -> Client {
        Client { doc: Doc::new() }
    }
    fn type_text(&self, text: &str) -> Vec<u8> {
        let t = self.doc.get_or_insert_text("t");
        let mut txn = self.doc.transact_mut();
        let len = t.get_string(&txn).len() as u32;
        t.insert(&mut txn, len, text);
        update_frame(&txn.encode_update_v1())
    }
}

/// Lets every task run until all wait (simulated time only moves when they do).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// The next message for a connection (within a simulated second).
async fn next(c: &mut Connection) -> Outbound {
    tokio::time::timeout(Duration::from_secs(1), c.outbound.recv())
        .await
        .expect("a message within a second")
        .expect("the connection is open")
}

/// Opens a connection and takes its greeting (the server's sync step 1).
async fn open(collab: &Arc<Collab<Mem>>, user: &str, role: Role) -> Connection {
    let mut c = collab.open(APP, DOC, user.to_owned(), role);
    let Outbound::Frame(hello) = next(&mut c).await else { panic!("no greeting") };
    assert!(matches!(Message::decode_v1(&hello), Ok(Message::Sync(SyncMessage::SyncStep1(_)))));
    c
}

fn quiet(c: &mut Connection) -> bool {
    matches!(c.outbound.try_recv(), Err(TryRecvError::Empty))
}

fn closed_with(out: Outbound, code: u16) {
    assert!(matches!(&out, Outbound::Close(c, _) if *c == code), "expected a close {code}: {out:?}");
}

#[tokio::test(start_paused = true)]
async fn two_connections_see_each_others_updates() {
    let mem = Mem::with_doc();
    let collab = Collab::new(mem.clone(), Limits::default());
    let mut ann = open(&collab, "ann", Role::Editor).await;
    let mut bob = open(&collab, "bob", Role::Editor).await;
    assert_eq!(collab.loaded(), 1);
    let (a, b) = (Client::new(), Client::new());
    let hello = a.type_text("hello");
    collab.frame(APP, DOC, ann.conn, hello.clone());
    assert_eq!(next(&mut bob).await, Outbound::Frame(hello));
    let world = b.type_text(" world");
    collab.frame(APP, DOC, bob.conn, world.clone());
    assert_eq!(next(&mut ann).await, Outbound::Frame(world));
    settle().await;
    assert!(quiet(&mut ann) && quiet(&mut bob), "nobody hears their own update");
    assert_eq!(mem.stored_updates(), 2);
    // The snapshot has both; a server update reaches both and is stored.
    let snap = collab.snapshot(APP, DOC).await.unwrap();
    let mut room = Room::load(Limits::default(), Some(&snap), &[]).unwrap();
    let t = room.doc().get_or_insert_text("t");
    let text = t.get_string(&room.doc().transact());
    assert!(text.contains("hello") && text.contains("world"), "{text}");
    let server = Client::new().type_text("!");
    let Ok(Message::Sync(SyncMessage::Update(update))) = Message::decode_v1(&server) else { panic!() };
    collab.apply(APP, DOC, update).await.unwrap();
    assert_eq!(next(&mut ann).await, Outbound::Frame(server.clone()));
    assert_eq!(next(&mut bob).await, Outbound::Frame(server));
    assert_eq!(mem.stored_updates(), 3);
    assert_eq!(collab.apply(APP, DOC, vec![1, 2, 3]).await, Err(DriverError::NotApplied));
    // A document that does not exist: the task ends without an answer.
    assert_eq!(collab.snapshot(APP, 99).await, Err(DriverError::TaskEnded));
    let mut lost = collab.open(APP, 99, "ann".into(), Role::Editor);
    closed_with(next(&mut lost).await, close::UNAVAILABLE);
}

/// A published payload, and how many updates the store held when it was published.
type Published = Arc<Mutex<Vec<(Vec<u8>, usize)>>>;

/// Records what is published.
struct Capture {
    mem: Mem,
    seen: Published,
}

impl Publisher for Capture {
    fn publish(&self, payload: Vec<u8>) -> BoxFuture<'_, Result<(), RelayError>> {
        let stored = self.mem.stored_updates();
        self.seen.lock().unwrap().push((payload, stored));
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test(start_paused = true)]
async fn an_update_is_stored_before_it_is_sent_or_relayed() {
    let mem = Mem::with_doc();
    let collab = Collab::new(mem.clone(), Limits::default());
    let seen = Published::default();
    assert!(collab.attach_relay(7, Capture { mem: mem.clone(), seen: seen.clone() }));
    let mut ann = open(&collab, "ann", Role::Editor).await;
    let mut bob = open(&collab, "bob", Role::Editor).await;
    let client = Client::new();
    let first = client.type_text("kept");
    collab.frame(APP, DOC, ann.conn, first.clone());
    assert_eq!(next(&mut bob).await, Outbound::Frame(first.clone()));
    settle().await;
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0, crate::relay::encode_frame(7, APP, DOC, &first));
        assert_eq!(seen[0].1, 1, "relayed once stored");
    }
    // The store fails: nobody hears the update, both are closed, nothing is relayed.
    mem.0.fail_append.store(true, Ordering::SeqCst);
    collab.frame(APP, DOC, ann.conn, client.type_text(" lost"));
    closed_with(next(&mut ann).await, close::UNAVAILABLE);
    closed_with(next(&mut bob).await, close::UNAVAILABLE);
    assert!(ann.outbound.recv().await.is_none() && bob.outbound.recv().await.is_none());
    settle().await;
    assert_eq!(seen.lock().unwrap().len(), 1, "not relayed");
    assert_eq!(mem.stored_updates() + mem.snapshot().map_or(0, |_| 1), 1);
    assert_eq!(mem.text(), "kept");
}

#[tokio::test(start_paused = true)]
async fn the_log_is_compacted_every_so_often_and_when_the_last_leaves() {
    let mem = Mem::with_doc();
    let collab = Collab::new(mem.clone(), Limits::default());
    let ann = open(&collab, "ann", Role::Editor).await;
    let mut bob = open(&collab, "bob", Role::Viewer).await;
    let client = Client::new();
    for i in 0..COMPACT_EVERY {
        collab.frame(APP, DOC, ann.conn, client.type_text(&format!("{i} ")));
    }
    for _ in 0..COMPACT_EVERY {
        assert!(matches!(next(&mut bob).await, Outbound::Frame(_)));
    }
    settle().await;
    assert_eq!(mem.compactions(), 1, "one snapshot after {COMPACT_EVERY} updates");
    assert_eq!(mem.stored_updates(), 0, "the log is cleared");
    assert!(mem.text().starts_with("0 1 2 ") && mem.text().ends_with(&format!("{} ", COMPACT_EVERY - 1)));
    let status = collab.status(APP, DOC).await.unwrap();
    assert_eq!((status.connections, status.updates_since_snapshot), (2, 0));
    // One more update, then both leave: compacted again, and unloaded.
    collab.frame(APP, DOC, ann.conn, client.type_text("last"));
    next(&mut bob).await;
    settle().await;
    assert_eq!(mem.stored_updates(), 1);
    collab.close(APP, DOC, ann.conn);
    collab.close(APP, DOC, bob.conn);
    settle().await;
    assert_eq!(collab.loaded(), 0);
    assert_eq!(collab.status(APP, DOC).await, None);
    assert_eq!(mem.compactions(), 2);
    assert_eq!(mem.stored_updates(), 0);
    assert!(mem.text().ends_with("last"));
    // Leaving without changes does not compact again.
    let ann = open(&collab, "ann", Role::Editor).await;
    collab.close(APP, DOC, ann.conn);
    settle().await;
    assert_eq!((collab.loaded(), mem.compactions()), (0, 2));
}

#[tokio::test(start_paused = true)]
async fn an_idle_document_hibernates_and_wakes_on_the_next_frame() {
    let mem = Mem::with_doc();
    let collab = Collab::new(mem.clone(), Limits::default());
    let ann = open(&collab, "ann", Role::Editor).await;
    let client = Client::new();
    collab.frame(APP, DOC, ann.conn, client.type_text("before"));
    settle().await;
    assert!(!collab.status(APP, DOC).await.unwrap().hibernating);
    tokio::time::sleep(HIBERNATE_AFTER - Duration::from_secs(1)).await;
    assert!(!collab.status(APP, DOC).await.unwrap().hibernating, "not yet");
    // Asking for the status was traffic: the idle time counts from there.
    tokio::time::sleep(HIBERNATE_AFTER + Duration::from_secs(1)).await;
    assert!(collab.status(APP, DOC).await.unwrap().hibernating);
    assert!(collab.status(APP, DOC).await.unwrap().hibernating, "a status does not wake it");
    // A newcomer and a new frame work as before.
    let mut bob = open(&collab, "bob", Role::Editor).await;
    let after = client.type_text(" after");
    collab.frame(APP, DOC, ann.conn, after.clone());
    assert_eq!(next(&mut bob).await, Outbound::Frame(after));
    let status = collab.status(APP, DOC).await.unwrap();
    assert!(!status.hibernating);
    assert_eq!(status.connections, 2);
    assert_eq!(mem.text(), "before after");
}

#[tokio::test(start_paused = true)]
async fn changed_roles_demote_editors_and_drop_users_without_access() {
    let mem = Mem::with_doc();
    let collab = Collab::new(mem.clone(), Limits::default());
    let mut ann = open(&collab, "ann", Role::Owner).await;
    let mut bob = open(&collab, "bob", Role::Editor).await;
    let (a, b) = (Client::new(), Client::new());
    // A role that cannot be looked up is kept.
    mem.0.fail_role.store(true, Ordering::SeqCst);
    collab.roles_changed(APP, DOC).await;
    let ok = b.type_text("still editor");
    collab.frame(APP, DOC, bob.conn, ok.clone());
    assert_eq!(next(&mut ann).await, Outbound::Frame(ok));
    mem.0.fail_role.store(false, Ordering::SeqCst);
    // Demoted: bob's next update is refused with an auth message and not stored.
    mem.set_role("bob", Some(Role::Viewer));
    collab.roles_changed(APP, DOC).await;
    collab.frame(APP, DOC, bob.conn, b.type_text(" refused"));
    let Outbound::Frame(denied) = next(&mut bob).await else { panic!() };
    assert!(matches!(Message::decode_v1(&denied), Ok(Message::Auth(Some(r))) if r.contains("permission denied")));
    settle().await;
    assert!(quiet(&mut ann), "nothing reached the others");
    assert_eq!(mem.stored_updates(), 1);
    assert_eq!(mem.text(), "still editor");
    // No access any more: closed with 4403; ann stays (memberships recheck every document of the app).
    mem.set_role("bob", None);
    collab.memberships_changed(APP).await;
    closed_with(next(&mut bob).await, close::REVOKED);
    assert!(bob.outbound.recv().await.is_none());
    let fine = a.type_text("ann");
    collab.frame(APP, DOC, ann.conn, fine);
    settle().await;
    assert!(quiet(&mut ann));
    assert_eq!(mem.stored_updates(), 2);
}

#[tokio::test(start_paused = true)]
async fn shutdown_closes_every_connection_with_4404() {
    let mem = Mem::with_doc();
    let collab = Collab::new(mem.clone(), Limits::default());
    let mut ann = open(&collab, "ann", Role::Owner).await;
    let mut bob = open(&collab, "bob", Role::Viewer).await;
    collab.shutdown(APP, DOC, "document deleted").await;
    assert_eq!(next(&mut ann).await, Outbound::Close(close::GONE, "document deleted".into()));
    assert_eq!(next(&mut bob).await, Outbound::Close(close::GONE, "document deleted".into()));
    assert!(ann.outbound.recv().await.is_none());
    settle().await;
    assert_eq!(collab.loaded(), 0);
    // Their late frames and closes load nothing.
    collab.frame(APP, DOC, ann.conn, Client::new().type_text("late"));
    collab.close(APP, DOC, ann.conn);
    settle().await;
    assert_eq!((collab.loaded(), mem.stored_updates()), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_slow_consumer_is_closed_with_4008() {
    let mem = Mem::with_doc();
    let collab = Collab::new(mem.clone(), Limits::default());
    let ann = open(&collab, "ann", Role::Editor).await;
    let mut fast = open(&collab, "fast", Role::Viewer).await;
    // Never reads after its greeting.
    let mut slow = open(&collab, "slow", Role::Viewer).await;
    let client = Client::new();
    let n = QUEUE_FRAMES + 10;
    for i in 0..n {
        collab.frame(APP, DOC, ann.conn, client.type_text(&format!("{i} ")));
        if i % 100 == 0 {
            // The fast one keeps up.
            settle().await;
            while let Ok(out) = fast.outbound.try_recv() {
                assert!(matches!(out, Outbound::Frame(_)));
            }
        }
    }
    settle().await;
    let mut frames = 0;
    let last = loop {
        match slow.outbound.recv().await.expect("a close before the end") {
            Outbound::Frame(_) => frames += 1,
            other => break other,
        }
    };
    assert_eq!(frames, QUEUE_FRAMES, "a full queue, then the close");
    closed_with(last, close::SLOW_CONSUMER);
    assert!(slow.outbound.recv().await.is_none());
    while let Ok(out) = fast.outbound.try_recv() {
        assert!(matches!(out, Outbound::Frame(_)));
    }
    assert_eq!(collab.status(APP, DOC).await.unwrap().connections, 2);
    assert!(mem.text().ends_with(&format!("{} ", n - 1)));
}

/// One node's publisher: hands messages to every node, itself included (as Redis does).
struct Loopback(Vec<Weak<Collab<Mem>>>);

impl Publisher for Loopback {
    fn publish(&self, payload: Vec<u8>) -> BoxFuture<'_, Result<(), RelayError>> {
        for node in &self.0 {
            let node = node.upgrade().ok_or(RelayError::Closed);
            match node {
                Ok(node) => node.on_relayed(&payload),
                Err(e) => return Box::pin(async move { Err(e) }),
            }
        }
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test(start_paused = true)]
async fn two_nodes_share_frames_shutdowns_and_role_changes_through_the_relay() {
    let mem = Mem::with_doc();
    let one = Collab::new(mem.clone(), Limits::default());
    let two = Collab::new(mem.clone(), Limits::default());
    let nodes = vec![Arc::downgrade(&one), Arc::downgrade(&two)];
    assert!(one.attach_relay(1, Loopback(nodes.clone())));
    assert!(two.attach_relay(2, Loopback(nodes.clone())));
    assert!(!two.attach_relay(3, Loopback(nodes)), "one relay per node");
    let mut ann = open(&one, "ann", Role::Editor).await;
    let mut bob = open(&two, "bob", Role::Editor).await;
    let hello = Client::new().type_text("hello");
    one.frame(APP, DOC, ann.conn, hello.clone());
    assert_eq!(next(&mut bob).await, Outbound::Frame(hello));
    settle().await;
    assert!(quiet(&mut ann), "a node ignores its own messages");
    assert_eq!(mem.stored_updates(), 1, "stored once, by the node that took it");
    // A role change on one node reaches the connections of the other.
    mem.set_role("bob", None);
    one.roles_changed(APP, DOC).await;
    closed_with(next(&mut bob).await, close::REVOKED);
    let mut bob = open(&two, "bob2", Role::Editor).await;
    two.shutdown(APP, DOC, "document deleted").await;
    closed_with(next(&mut ann).await, close::GONE);
    closed_with(next(&mut bob).await, close::GONE);
    settle().await;
    assert_eq!((one.loaded(), two.loaded()), (0, 0));
}
