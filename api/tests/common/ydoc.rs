//! A y-websocket client for the tests, on yrs: connects to
//! `/v1/collab/{doc_id}`, syncs, edits a shared text `t`, and records the
//! server's auth refusal and close code.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, Text, Transact, Update};

use super::TestServer;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A connected document replica.
pub struct Client {
    pub ws: Ws,
    pub doc: Doc,
    pub denied: bool,
    pub closed: Option<u16>,
}

impl Client {
    pub async fn connect(h: &TestServer, doc_id: &str, token: &str) -> Client {
        Self::connect_addr(h.addr, doc_id, token).await
    }

    /// Connects to a server at `addr` (e.g. a `caas serve` process).
    pub async fn connect_addr(addr: std::net::SocketAddr, doc_id: &str, token: &str) -> Client {
        let url = format!("ws://{addr}/v1/collab/{doc_id}?token={token}");
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("upgrade");
        let doc = Doc::new();
        // Like y-websocket: say what we have.
        let sv = doc.transact().state_vector();
        ws.send(WsMessage::Binary(Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1().into())).await.expect("send");
        Client { ws, doc, denied: false, closed: None }
    }

    pub async fn send(&mut self, bytes: Vec<u8>) {
        self.ws.send(WsMessage::Binary(bytes.into())).await.expect("send");
    }

    /// Inserts into the shared text and sends the update.
    pub async fn insert(&mut self, at: u32, s: &str) {
        let t = self.doc.get_or_insert_text("t");
        let update = {
            let mut txn = self.doc.transact_mut();
            t.insert(&mut txn, at, s);
            txn.encode_update_v1()
        };
        self.send(Message::Sync(SyncMessage::Update(update)).encode_v1()).await;
    }

    pub fn text(&self) -> String {
        let t = self.doc.get_or_insert_text("t");
        t.get_string(&self.doc.transact())
    }

    /// Handles frames until `done` holds (bounded wait).
    pub async fn until(&mut self, what: &str, done: impl Fn(&Client) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(self) {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for: {what}"));
            match msg {
                Some(Ok(WsMessage::Binary(b))) => self.handle(&b).await,
                Some(Ok(WsMessage::Close(frame))) => self.closed = Some(frame.map(|f| u16::from(f.code)).unwrap_or(0)),
                Some(Ok(_)) => {}
                None | Some(Err(_)) => {
                    if self.closed.is_none() {
                        self.closed = Some(0);
                    }
                }
            }
            if self.closed.is_some() && !done(self) {
                panic!("connection closed ({:?}) while waiting for: {what}", self.closed);
            }
        }
    }

    async fn handle(&mut self, frame: &[u8]) {
        match Message::decode_v1(frame).expect("server frames decode") {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                let diff = self.doc.transact().encode_state_as_update_v1(&sv);
                self.send(Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1()).await;
            }
            Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) => {
                self.doc.transact_mut().apply_update(Update::decode_v1(&u).expect("update")).expect("apply");
            }
            Message::Auth(Some(_)) => self.denied = true,
            _ => {}
        }
    }
}
