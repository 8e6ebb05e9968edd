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

/// One session token per (user, grants), from 16 workers.
pub(super) async fn sessions(
    base: &str,
    key: &str,
    secret: &str,
    users: Vec<(String, Value)>,
) -> Result<Vec<String>, String> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(16).build().map_err(|e| e.to_string())?;
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
                        let v: Value = r.json().await.map_err(|e| e.to_string())?;
                        v.get("token").and_then(Value::as_str).map(str::to_owned).ok_or("no token in the reply")?
                    }
                    Ok(r) => {
                        return Err(format!(
                            "session for {user}: {} {}",
                            r.status(),
                            r.text().await.unwrap_or_default()
                        ));
                    }
                    Err(e) => return Err(format!("session for {user}: {e}")),
                };
                out.push((i, token));
            }
            Ok::<_, String>(out)
        }));
    }
    let mut tokens = vec![String::new(); users.len()];
    for w in workers {
        for (i, t) in w.await.map_err(|e| e.to_string())?? {
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

fn parse(msg: Message) -> Result<Option<Value>, String> {
    match msg {
        Message::Text(t) => serde_json::from_str(t.as_str()).map(Some).map_err(|e| format!("bad frame: {e}")),
        Message::Close(f) => Err(format!("closed by server: {f:?}")),
        _ => Ok(None),
    }
}

impl Conn {
    /// Connects to `ws://{hostport}/v1/ws?token=…` and waits for `session.ready`.
    pub async fn connect(hostport: &str, token: &str) -> Result<Conn, String> {
        let url = format!("ws://{hostport}/v1/ws?token={token}");
        let stream = TcpStream::connect(hostport).await.map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (ws, _) =
            tokio_tungstenite::client_async(url.as_str(), stream).await.map_err(|e| format!("upgrade: {e}"))?;
        let mut conn = Conn { ws, next_id: 1, backlog: VecDeque::new() };
        loop {
            let v = conn.read().await?;
            if v.get("event").and_then(Value::as_str) == Some("session.ready") {
                return Ok(conn);
            }
        }
    }

    async fn read(&mut self) -> Result<Value, String> {
        loop {
            let msg = match self.ws.next().await {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(format!("read: {e}")),
                None => return Err("closed by server".into()),
            };
            if let Some(v) = parse(msg)? {
                return Ok(v);
            }
        }
    }

    async fn send(&mut self, op: &str, data: Value) -> Result<u64, String> {
        let id = self.next_id;
        self.next_id += 1;
        let frame = json!({"id": id, "op": op, "data": data}).to_string();
        self.ws.send(Message::Text(frame.into())).await.map_err(|e| format!("send: {e}"))?;
        Ok(id)
    }

    /// Sends a request and waits for its reply (other frames are kept for later).
    pub async fn request(&mut self, op: &str, data: Value) -> Result<Value, String> {
        let id = self.send(op, data).await?;
        loop {
            let v = self.read().await?;
            if v.get("id").and_then(Value::as_u64) == Some(id) {
                if v.get("ok").and_then(Value::as_bool) == Some(true) {
                    return Ok(v.get("data").cloned().unwrap_or(Value::Null));
                }
                return Err(format!("{op} refused: {}", v.get("error").cloned().unwrap_or(Value::Null)));
            }
            self.backlog.push_back(v);
        }
    }

    /// Sends a request without waiting: its reply comes through [`Conn::next`].
    pub async fn send_only(&mut self, op: &str, data: Value) -> Result<(), String> {
        self.send(op, data).await.map(|_| ())
    }

    /// The next frame (kept ones first). Cancel-safe: nothing is awaited after a frame is taken.
    pub async fn next(&mut self) -> Result<Value, String> {
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
