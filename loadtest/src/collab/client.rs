//! One collab client: connect, the handshake of its wire protocol, then send
//! stamped updates on the shared schedule and time the others' updates.

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
use yrs::{Doc, ReadTxn, Text, Transact};

use super::{Phase, Shared, hocuspocus, stamp};
use crate::error::{FrameError, WsError};
use crate::proto;

/// How a client frames its messages.
pub enum Wire {
    /// y-websocket (CAAS, `@y/websocket-server`): bare y-protocols messages.
    YWebsocket,
    /// Hocuspocus: every frame behind the document's address, an Auth message first.
    Hocuspocus { address: Vec<u8>, token: String },
}

impl Wire {
    pub fn hocuspocus(doc: &str, token: String) -> Self {
        Wire::Hocuspocus { address: hocuspocus::address(doc), token }
    }

    /// The frames that open the document, given our sync step 1.
    fn opening(&self, step1: Vec<u8>) -> Vec<Vec<u8>> {
        match self {
            Wire::YWebsocket => vec![step1],
            Wire::Hocuspocus { address, token } => {
                vec![hocuspocus::auth(address, token), hocuspocus::wrap(address, &step1)]
            }
        }
    }

    /// A y-websocket frame (`0` sync, sync type, payload) as this protocol sends it.
    fn frame(&self, msg: Vec<u8>) -> Vec<u8> {
        match self {
            Wire::YWebsocket => msg,
            Wire::Hocuspocus { address, .. } => hocuspocus::wrap(address, &msg),
        }
    }

    fn classify(&self, b: &[u8]) -> Result<Frame, FrameError> {
        match self {
            Wire::YWebsocket => classify(b),
            Wire::Hocuspocus { address, token } => hocuspocus::classify(address, token, b),
        }
    }
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn connect(sh: &Shared, url: &str) -> Result<Ws, WsError> {
    let _permit = sh.gate.acquire().await?;
    let stream = TcpStream::connect(sh.addr).await.map_err(WsError::Connect)?;
    stream.set_nodelay(true)?;
    let (ws, _) = tokio::time::timeout(Duration::from_secs(30), tokio_tungstenite::client_async(url, stream))
        .await
        .map_err(|_| WsError::UpgradeTimeout)?
        .map_err(WsError::Upgrade)?;
    Ok(ws)
}

/// What a frame from the server asks of the client.
#[derive(Debug)]
pub enum Frame {
    /// Sync step 1: answer with our state.
    Step1(yrs::StateVector),
    Step2,
    /// An update; its sync message (type byte, then the update) starts at byte `at`.
    Update {
        at: usize,
    },
    Denied(String),
    /// Send these bytes back (a Pong, or the token when the server asks for it).
    Reply(Vec<u8>),
    /// The server dropped the document (Hocuspocus CLOSE), with its reason.
    Closed(String),
    Other,
}

/// A y-protocols sync message (`0` step 1, `1` step 2, `2` update, then the payload).
pub fn classify_sync(m: &[u8]) -> Result<Frame, FrameError> {
    // Updates are by far the most frequent: only the leading byte is read.
    match m {
        [2, ..] => Ok(Frame::Update { at: 0 }),
        [1, ..] => Ok(Frame::Step2),
        _ => match SyncMessage::decode_v1(m)? {
            SyncMessage::SyncStep1(sv) => Ok(Frame::Step1(sv)),
            _ => Ok(Frame::Other),
        },
    }
}

/// A y-websocket frame.
fn classify(b: &[u8]) -> Result<Frame, FrameError> {
    match b {
        [0, m @ ..] => Ok(match classify_sync(m)? {
            Frame::Update { at } => Frame::Update { at: at + 1 },
            f => f,
        }),
        _ => match Message::decode_v1(b)? {
            Message::Auth(Some(reason)) => Ok(Frame::Denied(reason)),
            _ => Ok(Frame::Other),
        },
    }
}

pub async fn client(sh: Arc<Shared>, i: usize, url: String, wire: Wire, mut phase: watch::Receiver<Phase>) {
    let k = &sh.counters;
    let mut ws = match connect(&sh, &url).await {
        Ok(ws) => ws,
        Err(e) => {
            k.connect_errors.fetch_add(1, Ordering::Relaxed);
            sh.note(&format!("client {i}: {e}"));
            return;
        }
    };
    let doc = Doc::with_client_id(1_000_000 + i as u64);
    let text = doc.get_or_insert_text("t");
    let me = i as u32;
    let hist = &sh.hists[i % sh.hists.len()];
    let step1 = Message::Sync(SyncMessage::SyncStep1(doc.transact().state_vector())).encode_v1();
    for frame in wire.opening(step1) {
        if ws.send(WsMessage::Binary(frame.into())).await.is_err() {
            k.connect_errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
    let mut synced = false;
    let mut sending: Option<(Instant, Instant)> = None;
    let mut seq = 0u64;
    let far = tokio::time::Instant::now() + Duration::from_secs(86_400);
    loop {
        let next_send = match sending {
            Some((start, end)) => {
                let at = start + proto::send_offset(i, seq, sh.clients_total, sh.total_rate);
                if at >= end { None } else { Some(at) }
            }
            None => None,
        };
        tokio::select! {
            changed = phase.changed() => {
                if changed.is_err() { break; }
                match *phase.borrow_and_update() {
                    Phase::Send { start, end } => sending = Some((start, end)),
                    Phase::Stop => break,
                    Phase::Connect => {}
                }
            }
            _ = tokio::time::sleep_until(next_send.map(Into::into).unwrap_or(far)) => {
                if Instant::now() > next_send.unwrap_or_else(Instant::now) + Duration::from_millis(50) {
                    k.late_sends.fetch_add(1, Ordering::Relaxed);
                }
                let update = {
                    let mut txn = doc.transact_mut();
                    let len = text.len(&txn);
                    text.insert(&mut txn, len, &stamp::encode(me, sh.now_ns()));
                    txn.encode_update_v1()
                };
                seq += 1;
                let frame = wire.frame(Message::Sync(SyncMessage::Update(update)).encode_v1());
                if let Err(e) = ws.send(WsMessage::Binary(frame.into())).await {
                    k.send_failures.fetch_add(1, Ordering::Relaxed);
                    sh.note(&format!("client {i}: send: {e}"));
                    break;
                }
                k.sent.fetch_add(1, Ordering::Relaxed);
            }
            msg = ws.next() => {
                let b = match msg {
                    Some(Ok(WsMessage::Binary(b))) => b,
                    Some(Ok(WsMessage::Close(f))) => {
                        let code = f.map(|f| u16::from(f.code).to_string()).unwrap_or_else(|| "none".into());
                        sh.note(&format!("client {i}: closed by the server ({code})"));
                        if let Ok(mut m) = sh.close_codes.lock() { *m.entry(code).or_default() += 1; }
                        k.disconnects.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        sh.note(&format!("client {i}: {e}"));
                        k.disconnects.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    None => {
                        k.disconnects.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                };
                let now = sh.now_ns();
                match wire.classify(&b) {
                    Ok(Frame::Update { at }) => {
                        let mut own = 0;
                        let mut n = 0;
                        if let Ok(mut h) = hist.lock() {
                            for (from, sent_ns) in stamp::scan(b.get(at..).unwrap_or_default()) {
                                // Only the other clients of this document can send here.
                                if from == me {
                                    own += 1;
                                } else if (from as usize) / sh.per_doc == i / sh.per_doc {
                                    n += 1;
                                    let _ = h.record((now.saturating_sub(sent_ns) / 1000).max(1));
                                }
                            }
                        }
                        if own > 0 { k.echoes.fetch_add(own, Ordering::Relaxed); }
                        if n > 0 {
                            k.deliveries.fetch_add(n, Ordering::Relaxed);
                            k.last_delivery_ns.fetch_max(now, Ordering::Relaxed);
                        }
                    }
                    Ok(Frame::Step1(sv)) => {
                        let diff = doc.transact().encode_state_as_update_v1(&sv);
                        let reply = wire.frame(Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1());
                        if ws.send(WsMessage::Binary(reply.into())).await.is_err() {
                            k.send_failures.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                    Ok(Frame::Step2) => {
                        if !synced {
                            synced = true;
                            k.synced.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Ok(Frame::Denied(reason)) => {
                        k.denied.fetch_add(1, Ordering::Relaxed);
                        sh.note(&format!("client {i}: permission denied ({reason})"));
                        if !synced {
                            break; // the document was never opened: nothing more will come
                        }
                    }
                    Ok(Frame::Reply(reply)) => {
                        if ws.send(WsMessage::Binary(reply.into())).await.is_err() {
                            k.send_failures.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                    Ok(Frame::Closed(reason)) => {
                        sh.note(&format!("client {i}: document closed by the server ({reason})"));
                        if let Ok(mut m) = sh.close_codes.lock() { *m.entry(format!("document: {reason}")).or_default() += 1; }
                        k.disconnects.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    Ok(Frame::Other) => {}
                    Err(e) => {
                        k.bad_frames.fetch_add(1, Ordering::Relaxed);
                        sh.note(&format!("client {i}: bad frame: {e}"));
                    }
                }
            }
        }
    }
    if !synced {
        k.connect_errors.fetch_add(1, Ordering::Relaxed);
    }
    let _ = ws.close(None).await;
}
