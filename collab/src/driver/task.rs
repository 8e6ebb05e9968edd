//! The task of one loaded document: it takes the commands of its connections
//! in batches, applies them to the [`Room`], stores new updates in one
//! transaction before anything is sent or relayed, compacts, hibernates when
//! idle, rechecks roles, and unloads when the last connection leaves.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::*;

pub(super) async fn run_room<S: DocStore>(
    collab: Arc<Collab<S>>,
    key: Key<S>,
    mut rx: mpsc::UnboundedReceiver<Cmd<S::User>>,
) {
    let (app, doc) = key;
    let store = &collab.store;
    let stored = match store.load(app, doc).await {
        Ok(stored) => Some(stored),
        Err(e) => {
            tracing::warn!(app_id = %app, doc_id = %doc, error = %e, "cannot load document");
            None
        }
    };
    let loaded = stored.and_then(|s| match Room::load(collab.limits, s.snapshot.as_deref(), &s.updates) {
        Ok(room) => Some(room),
        Err(e) => {
            tracing::warn!(app_id = %app, doc_id = %doc, error = %e, "cannot load document");
            None
        }
    });
    let Some(mut room) = loaded else {
        collab.rooms().remove(&key);
        while let Ok(cmd) = rx.try_recv() {
            if let Cmd::Open { tx, .. } = cmd {
                let _ = tx.try_send(Outbound::Close(close::UNAVAILABLE, "document cannot be loaded".into()));
            }
        }
        return;
    };
    metrics::gauge!("caas_collab_documents_loaded").increment(1.0);
    let mut conns: HashMap<ConnId, Peer<S::User>> = HashMap::new();
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
                Cmd::Recheck => recheck(store, key, &mut conns, &mut room).await,
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
                Cmd::Status { reply } => {
                    let _ = reply.send(DocStatus {
                        connections: conns.len(),
                        hibernating: room.is_hibernating(),
                        updates_since_snapshot: room.updates_since_snapshot,
                    });
                }
                Cmd::Shutdown { reason } => {
                    for peer in conns.values() {
                        let _ = peer.tx.try_send(Outbound::Close(close::GONE, reason.clone()));
                    }
                    conns.clear();
                    collab.rooms().remove(&key);
                    metrics::gauge!("caas_collab_documents_loaded").decrement(1.0);
                    return;
                }
            }
        }
        // Store first: nothing is sent or relayed that is not committed.
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
            if let Err(e) = store.append(app, doc, &updates).await {
                // Not stored: not sent or relayed either; the clients resend on reconnect.
                tracing::error!(app_id = %app, doc_id = %doc, error = %e, "cannot store document updates");
                for peer in conns.values() {
                    let _ =
                        peer.tx.try_send(Outbound::Close(close::UNAVAILABLE, "storage unavailable; reconnect".into()));
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
                        let _ = peer.tx.try_send(Outbound::Close(close::REFUSED, reason));
                    }
                    room.close(conn);
                }
            }
        }
        if room.updates_since_snapshot >= COMPACT_EVERY {
            compact(store, key, &mut room).await;
        }
        if conns.is_empty() {
            // Unload unless a command arrived meanwhile (checked under the map lock,
            // so no sender can slip in between).
            let gone = {
                let mut rooms = collab.rooms();
                if rx.is_empty() {
                    rooms.remove(&key);
                    true
                } else {
                    false
                }
            };
            if gone {
                if room.updates_since_snapshot > 0 {
                    compact(store, key, &mut room).await;
                }
                metrics::gauge!("caas_collab_documents_loaded").decrement(1.0);
                return;
            }
        }
    }
}

/// Queues `frame` for `conn`. A connection whose queue is full (too slow) or
/// gone is dropped: y-websocket reconnects and resyncs. The last place of a
/// queue is kept for the close, so a slow consumer does hear why.
fn deliver<U>(conns: &mut HashMap<ConnId, Peer<U>>, room: &mut Room, conn: ConnId, frame: Vec<u8>) {
    let Some(peer) = conns.get(&conn) else { return };
    if peer.tx.capacity() > 1 && peer.tx.try_send(Outbound::Frame(frame)).is_ok() {
        return;
    }
    let _ = peer.tx.try_send(Outbound::Close(close::SLOW_CONSUMER, "slow consumer".into()));
    conns.remove(&conn);
    room.close(conn);
}

/// Looks up the role of every connected user again: connections get their
/// current role, or are closed with [`close::REVOKED`] when their user lost access.
async fn recheck<S: DocStore>(
    store: &S,
    (app, doc): Key<S>,
    conns: &mut HashMap<ConnId, Peer<S::User>>,
    room: &mut Room,
) {
    let mut users: Vec<S::User> = conns.values().map(|p| p.user.clone()).collect();
    users.sort();
    users.dedup();
    for user in users {
        let role = match store.role(app, doc, &user).await {
            Ok(role) => role,
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
                        let _ = peer
                            .tx
                            .try_send(Outbound::Close(close::REVOKED, "access to the document was revoked".into()));
                    }
                    room.close(conn);
                }
            }
        }
    }
}

/// Compacts the stored log; on success the room counts from zero again.
async fn compact<S: DocStore>(store: &S, (app, doc): Key<S>, room: &mut Room) {
    match compact_stored(store, app, doc).await {
        Ok(()) => room.updates_since_snapshot = 0,
        Err(e) => tracing::warn!(app_id = %app, doc_id = %doc, error = %e, "compaction failed; will retry"),
    }
}

/// Compacts from the store itself — snapshot plus every stored update up to
/// the newest — so it never depends on what this node has in memory (another
/// node may have stored updates this one has not heard yet).
async fn compact_stored<S: DocStore>(store: &S, app: S::App, doc: S::Doc) -> Result<(), CompactError<S::Error>> {
    let stored = store.load(app, doc).await.map_err(CompactError::Load)?;
    if stored.updates.is_empty() {
        return Ok(());
    }
    let merged = {
        let parts: Vec<&[u8]> =
            stored.snapshot.iter().map(Vec::as_slice).chain(stored.updates.iter().map(Vec::as_slice)).collect();
        // yrs may panic on bad stored data: that must not take the task down.
        std::panic::catch_unwind(|| yrs::merge_updates_v1(parts.iter().copied()))
            .map_err(|_| CompactError::MergePanicked)?
            .map_err(CompactError::Merge)?
    };
    store.compact(app, doc, &merged, stored.last_seq).await.map_err(CompactError::Store)
}
