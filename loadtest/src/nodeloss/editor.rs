//! One editor of the shared document: a y-websocket client on yrs that applies
//! what it receives (unlike the fan-out client of `collab/`), so that replicas
//! can be compared. It appends a stamp (`@<editor>.<k>#`) to the Y.Text `t` on a
//! schedule and, when its socket drops, reconnects through the gateway and
//! resyncs (sync step 1 both ways: the server sends what the editor missed, the
//! editor what the server missed — edits a dead node never stored included).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, Text, TextRef, Transact, Update};

use super::{EditPhase, Editors};
use crate::collab::stamp;
use crate::error::WsError;

pub(super) type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_millis(1000);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `url` through the gateway at `addr`; with the node it picked (its header), if named.
pub(super) async fn connect(addr: std::net::SocketAddr, url: &str) -> Result<(Ws, Option<String>), WsError> {
    let stream = TcpStream::connect(addr).await.map_err(WsError::Connect)?;
    stream.set_nodelay(true)?;
    let (ws, response) = tokio::time::timeout(ATTEMPT_TIMEOUT, tokio_tungstenite::client_async(url, stream))
        .await
        .map_err(|_| WsError::UpgradeTimeout)?
        .map_err(WsError::Upgrade)?;
    let node = response.headers().get(crate::chat::NODE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    Ok((ws, node))
}

/// What the editor's replica holds now, for the convergence check.
#[derive(Clone, Default, Debug)]
pub(super) struct Replica {
    /// The node of the current connection.
    pub(super) node: Option<String>,
    /// Connected and synced (the server's sync step 2 arrived on this connection).
    pub(super) synced: bool,
    pub(super) text: String,
    /// The state vector, encoded (v1).
    pub(super) state_vector: Vec<u8>,
    /// Edits made by this editor.
    pub(super) edits: u64,
    /// From each drop to the next sync, in ms (`None`: not back when the run stopped).
    pub(super) reconnects: Vec<Option<f64>>,
}

struct Editor {
    i: usize,
    doc: Doc,
    text: TextRef,
    k: u64,
    synced: bool,
}

impl Editor {
    fn publish(&self, sh: &Editors) {
        let txn = self.doc.transact();
        let text = self.text.get_string(&txn);
        let sv = txn.state_vector().encode_v1();
        if let Ok(mut all) = sh.replicas.lock()
            && let Some(r) = all.get_mut(self.i)
        {
            r.text = text;
            r.state_vector = sv;
            r.edits = self.k;
            r.synced = self.synced;
        }
    }

    fn set(&self, sh: &Editors, f: impl FnOnce(&mut Replica)) {
        if let Ok(mut all) = sh.replicas.lock()
            && let Some(r) = all.get_mut(self.i)
        {
            f(r);
        }
    }
}

enum End {
    Stop,
    Dropped(String),
}

/// Runs editor `i` on its first connection `ws`, until the `Stop` phase.
pub(super) async fn run(sh: Arc<Editors>, i: usize, url: String, mut ws: Ws, mut phase: watch::Receiver<EditPhase>) {
    let doc = Doc::with_client_id(2_000_000 + i as u64);
    let text = doc.get_or_insert_text("t");
    let mut ed = Editor { i, doc, text, k: 0, synced: false };
    let mut dropped_at: Option<Instant> = None;
    loop {
        match session(&sh, &mut ed, &mut ws, &mut phase, &mut dropped_at).await {
            End::Stop => break,
            End::Dropped(why) => {
                sh.note(&format!("editor {i}: {why}"));
                sh.counters.drops.fetch_add(1, Ordering::Relaxed);
                ed.synced = false;
                ed.set(&sh, |r| r.synced = false);
                dropped_at = Some(Instant::now());
                let mut backoff = BACKOFF_MIN;
                let next = loop {
                    tokio::select! {
                        r = connect(sh.addr, &url) => match r {
                            Ok(next) => break Some(next),
                            Err(e) => sh.note(&format!("editor {i}: reconnect: {e}")),
                        },
                        _ = stopped(&mut phase) => break None,
                    }
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = stopped(&mut phase) => break None,
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                };
                match next {
                    Some((next, node)) => {
                        ws = next;
                        ed.set(&sh, |r| r.node = node);
                    }
                    None => {
                        ed.set(&sh, |r| r.reconnects.push(None));
                        return;
                    }
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
}

/// Resolves when the phase becomes `Stop` (or its sender is gone).
async fn stopped(phase: &mut watch::Receiver<EditPhase>) {
    loop {
        if *phase.borrow_and_update() == EditPhase::Stop || phase.changed().await.is_err() {
            return;
        }
    }
}

/// The next edit's due time: editor `i` of `n`, each at `rate` edits/s, spread evenly.
fn due(phase: EditPhase, i: usize, k: u64, n: usize, rate: f64) -> Option<Instant> {
    let EditPhase::Edit { start, end } = phase else { return None };
    let at = start + Duration::from_secs_f64((k as f64 + i as f64 / n as f64) / rate);
    (at < end).then_some(at)
}

async fn session(
    sh: &Editors,
    ed: &mut Editor,
    ws: &mut Ws,
    phase: &mut watch::Receiver<EditPhase>,
    dropped_at: &mut Option<Instant>,
) -> End {
    let step1 = Message::Sync(SyncMessage::SyncStep1(ed.doc.transact().state_vector())).encode_v1();
    if let Err(e) = ws.send(WsMessage::Binary(step1.into())).await {
        return End::Dropped(format!("send: {e}"));
    }
    let far = Instant::now() + Duration::from_secs(86_400);
    loop {
        let now_phase = *phase.borrow();
        let next = due(now_phase, ed.i, ed.k, sh.n, sh.rate);
        tokio::select! {
            changed = phase.changed() => {
                if changed.is_err() || *phase.borrow_and_update() == EditPhase::Stop {
                    return End::Stop;
                }
            }
            () = tokio::time::sleep_until(next.unwrap_or(far).into()), if next.is_some() => {
                let update = {
                    let mut txn = ed.doc.transact_mut();
                    let len = ed.text.len(&txn);
                    ed.text.insert(&mut txn, len, &stamp::encode(ed.i as u32, ed.k));
                    txn.encode_update_v1()
                };
                ed.k += 1;
                sh.counters.edits.fetch_add(1, Ordering::Relaxed);
                ed.publish(sh);
                let frame = Message::Sync(SyncMessage::Update(update)).encode_v1();
                // Unsent edits are not lost: the next connection's sync carries them.
                if let Err(e) = ws.send(WsMessage::Binary(frame.into())).await {
                    return End::Dropped(format!("send: {e}"));
                }
            }
            msg = ws.next() => {
                let b = match msg {
                    Some(Ok(WsMessage::Binary(b))) => b,
                    Some(Ok(WsMessage::Close(f))) => {
                        return End::Dropped(format!("closed: {}", f.map(|f| u16::from(f.code).to_string()).unwrap_or_else(|| "none".into())));
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return End::Dropped(format!("read: {e}")),
                    None => return End::Dropped("eof".into()),
                };
                match Message::decode_v1(&b) {
                    Ok(Message::Sync(SyncMessage::SyncStep1(sv))) => {
                        let diff = ed.doc.transact().encode_state_as_update_v1(&sv);
                        let reply = Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1();
                        if let Err(e) = ws.send(WsMessage::Binary(reply.into())).await {
                            return End::Dropped(format!("send: {e}"));
                        }
                    }
                    Ok(Message::Sync(SyncMessage::SyncStep2(u))) => {
                        apply(sh, ed, &u);
                        if !ed.synced {
                            ed.synced = true;
                            if let Some(at) = dropped_at.take() {
                                let ms = at.elapsed().as_secs_f64() * 1000.0;
                                sh.counters.resumed.fetch_add(1, Ordering::Relaxed);
                                ed.set(sh, |r| r.reconnects.push(Some(ms)));
                            }
                        }
                        ed.publish(sh);
                    }
                    Ok(Message::Sync(SyncMessage::Update(u))) => {
                        apply(sh, ed, &u);
                        ed.publish(sh);
                    }
                    Ok(Message::Auth(Some(reason))) => {
                        sh.counters.denied.fetch_add(1, Ordering::Relaxed);
                        sh.note(&format!("editor {}: permission denied ({reason})", ed.i));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        sh.counters.bad_frames.fetch_add(1, Ordering::Relaxed);
                        sh.note(&format!("editor {}: bad frame: {e}", ed.i));
                    }
                }
            }
        }
    }
}

fn apply(sh: &Editors, ed: &Editor, update: &[u8]) {
    let applied = Update::decode_v1(update).map_err(|e| e.to_string()).and_then(|u| {
        let mut txn = ed.doc.transact_mut();
        txn.apply_update(u).map_err(|e| e.to_string())
    });
    if let Err(e) = applied {
        sh.counters.bad_frames.fetch_add(1, Ordering::Relaxed);
        sh.note(&format!("editor {}: update not applied: {e}", ed.i));
    }
}

/// The text and state vector of a whole-document update (`GET /v1/docs/{id}/state`).
pub(super) fn read_state(bytes: &[u8]) -> Option<(String, Vec<u8>)> {
    let doc = Doc::new();
    let text = doc.get_or_insert_text("t");
    let update = Update::decode_v1(bytes).ok()?;
    doc.transact_mut().apply_update(update).ok()?;
    let txn = doc.transact();
    Some((text.get_string(&txn), txn.state_vector().encode_v1()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_spread_over_the_editors() {
        let start = Instant::now();
        let end = start + Duration::from_secs(2);
        let p = EditPhase::Edit { start, end };
        // Three editors at 2 edits/s each: editor 1's first edit a sixth of a second in.
        let d = due(p, 1, 0, 3, 2.0).map(|t| t - start);
        assert_eq!(d.map(|d| d.as_millis()), Some(166));
        assert_eq!(due(p, 0, 3, 3, 2.0).map(|t| (t - start).as_millis()), Some(1500));
        assert_eq!(due(p, 0, 4, 3, 2.0), None);
        assert_eq!(due(EditPhase::Connect, 0, 0, 3, 2.0), None);
    }

    #[test]
    fn a_whole_state_reads_back() {
        let doc = Doc::with_client_id(7);
        let t = doc.get_or_insert_text("t");
        t.insert(&mut doc.transact_mut(), 0, &stamp::encode(7, 1));
        let bytes = doc.transact().encode_state_as_update_v1(&Default::default());
        let (text, sv) = read_state(&bytes).unwrap();
        assert_eq!(text, "@7.1#");
        assert_eq!(sv, doc.transact().state_vector().encode_v1());
        assert!(read_state(&[1, 2, 3]).is_none());
    }
}
