//! CAAS signaling for the `sfu` scenario: session tokens (with call grants)
//! from `POST /v1/admin/sessions`, then `call.join` / `call.offer` /
//! `call.answer` over the real-time WebSocket (docs/calls.md).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::error::{ApiError, WsError};

/// One session token per (user, grants), from 16 workers.
pub(super) async fn sessions(
    base: &str,
    key: &str,
    secret: &str,
    users: Vec<(String, Value)>,
) -> Result<Vec<String>, ApiError> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(16).build()?;
    let url = format!("{}/v1/admin/sessions", base.trim_end_matches('/'));
    let next = Arc::new(AtomicU64::new(0));
    let users = Arc::new(users);
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (client, url, next, users) = (client.clone(), url.clone(), next.clone(), users.clone());
        let (key, secret) = (key.to_owned(), secret.to_owned());
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some((user, grants)) = users.get(i) else { break };
                let body = json!({"user_id": user, "name": user, "grants": grants});
                let res = client.post(&url).basic_auth(&key, Some(&secret)).json(&body).send().await;
                let token = match res {
                    Ok(r) if r.status().is_success() => {
                        let v: Value = r.json().await?;
                        v.get("token")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                            .ok_or_else(|| ApiError::NoToken { user: user.clone() })?
                    }
                    Ok(r) => {
                        return Err(ApiError::SessionRefused {
                            user: user.clone(),
                            status: r.status(),
                            body: r.text().await.unwrap_or_default(),
                        });
                    }
                    Err(source) => return Err(ApiError::Session { user: user.clone(), source }),
                };
                out.push((i, token));
            }
            Ok::<_, ApiError>(out)
        }));
    }
    let mut tokens = vec![String::new(); users.len()];
    for w in workers {
        for (i, t) in w.await?? {
            tokens[i] = t;
        }
    }
    Ok(tokens)
}

/// A participant's WebSocket.
pub(super) struct Conn {
    ws: WebSocketStream<TcpStream>,
    next_id: u64,
    /// Frames that arrived while waiting for a reply.
    backlog: VecDeque<Value>,
}

fn parse(msg: Message) -> Result<Option<Value>, WsError> {
    match msg {
        Message::Text(t) => serde_json::from_str(t.as_str()).map(Some).map_err(WsError::BadFrame),
        Message::Close(f) => Err(WsError::Closed(format!("{f:?}"))),
        _ => Ok(None),
    }
}

impl Conn {
    /// Connects to `ws://{hostport}/v1/ws?token=…` and waits for `session.ready`.
    pub async fn connect(hostport: &str, token: &str) -> Result<Conn, WsError> {
        let url = format!("ws://{hostport}/v1/ws?token={token}");
        let stream = TcpStream::connect(hostport).await.map_err(WsError::Connect)?;
        stream.set_nodelay(true)?;
        let (ws, _) = tokio_tungstenite::client_async(url.as_str(), stream).await.map_err(WsError::Upgrade)?;
        let mut conn = Conn { ws, next_id: 1, backlog: VecDeque::new() };
        loop {
            let v = conn.read().await?;
            if v.get("event").and_then(Value::as_str) == Some("session.ready") {
                return Ok(conn);
            }
        }
    }

    async fn read(&mut self) -> Result<Value, WsError> {
        loop {
            let msg = match self.ws.next().await {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(WsError::Read(e)),
                None => return Err(WsError::Closed("eof".into())),
            };
            if let Some(v) = parse(msg)? {
                return Ok(v);
            }
        }
    }

    async fn send(&mut self, op: &str, data: Value) -> Result<u64, WsError> {
        let id = self.next_id;
        self.next_id += 1;
        let frame = json!({"id": id, "op": op, "data": data}).to_string();
        self.ws.send(Message::Text(frame.into())).await.map_err(WsError::Send)?;
        Ok(id)
    }

    /// Sends a request and waits for its reply (other frames are kept for later).
    pub async fn request(&mut self, op: &str, data: Value) -> Result<Value, WsError> {
        let id = self.send(op, data).await?;
        loop {
            let v = self.read().await?;
            if v.get("id").and_then(Value::as_u64) == Some(id) {
                if v.get("ok").and_then(Value::as_bool) == Some(true) {
                    return Ok(v.get("data").cloned().unwrap_or(Value::Null));
                }
                let error = v.get("error").cloned().unwrap_or(Value::Null);
                return Err(WsError::RequestRefused { op: op.to_owned(), error });
            }
            self.backlog.push_back(v);
        }
    }

    /// Sends a request without waiting: its reply comes through [`Conn::next`].
    pub async fn send_only(&mut self, op: &str, data: Value) -> Result<(), WsError> {
        self.send(op, data).await.map(|_| ())
    }

    /// The next frame (kept ones first). Cancel-safe: nothing is awaited after a frame is taken.
    pub async fn next(&mut self) -> Result<Value, WsError> {
        if let Some(v) = self.backlog.pop_front() {
            return Ok(v);
        }
        self.read().await
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(None)).await;
    }
}

/// What a frame received during the call means to the participant.
#[derive(Debug, PartialEq)]
pub(super) enum Frame {
    /// The server renegotiates: answer `sdp` for `offer_id`.
    Offer {
        offer_id: String,
        sdp: String,
    },
    /// A refused request.
    Error(String),
    Other,
}

pub(super) fn classify(v: &Value) -> Frame {
    if v.get("event").and_then(Value::as_str) == Some("call.offer") {
        let d = &v["data"];
        if let (Some(offer_id), Some(sdp)) = (d["offer_id"].as_str(), d["sdp"].as_str()) {
            return Frame::Offer { offer_id: offer_id.to_owned(), sdp: sdp.to_owned() };
        }
    }
    if v.get("ok").and_then(Value::as_bool) == Some(false) {
        let code = v.pointer("/error/code").and_then(Value::as_str).unwrap_or("unknown");
        // A crossed renegotiation is harmless: the server sends a fresh offer.
        if code != "stale_offer" {
            return Frame::Error(code.to_owned());
        }
    }
    Frame::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_during_a_call() {
        let offer =
            json!({"event": "call.offer", "data": {"room_id": "r", "offer_id": "o-3", "sdp": "v=0", "tracks": {}}});
        assert_eq!(classify(&offer), Frame::Offer { offer_id: "o-3".into(), sdp: "v=0".into() });
        let refused = json!({"id": 4, "ok": false, "error": {"code": "invalid_sdp", "message": "x"}});
        assert_eq!(classify(&refused), Frame::Error("invalid_sdp".into()));
        let stale = json!({"id": 5, "ok": false, "error": {"code": "stale_offer", "message": "x"}});
        assert_eq!(classify(&stale), Frame::Other);
        assert_eq!(classify(&json!({"id": 6, "ok": true, "data": {}})), Frame::Other);
        assert_eq!(classify(&json!({"event": "call.speakers", "data": {}})), Frame::Other);
    }
}
