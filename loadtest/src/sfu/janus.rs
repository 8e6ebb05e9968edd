//! A small client of Janus' HTTP API and its VideoRoom plugin, to drive the
//! same load through Janus: `POST /janus` (create a session),
//! `POST /janus/{session}` (attach a plugin handle, keepalives),
//! `POST /janus/{session}/{handle}` (plugin messages with JSEP, trickle) and
//! `GET /janus/{session}?maxev=…` (long-poll for asynchronous events).
//!
//! Publishers `join` a room as `publisher` and `configure` with the str0m
//! offer (Janus answers); subscribers `join` as `subscriber` with the room's
//! feeds in `streams`, answer Janus' offer and `start`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::peer::Peer;
use crate::error::JanusError;

pub(super) const VIDEOROOM: &str = "janus.plugin.videoroom";
/// How long one request or one awaited event may take.
const WAIT: Duration = Duration::from_secs(30);

pub(super) struct Janus {
    http: reqwest::Client,
    base: String,
    next_tx: AtomicU64,
}

impl Janus {
    /// `base` is the HTTP transport's URL, e.g. `http://127.0.0.1:8088/janus`.
    pub fn new(base: &str) -> Result<Arc<Janus>, JanusError> {
        let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
        Ok(Arc::new(Janus { http, base: base.trim_end_matches('/').to_owned(), next_tx: AtomicU64::new(1) }))
    }

    fn tx(&self) -> String {
        format!("lt{}", self.next_tx.fetch_add(1, Ordering::Relaxed))
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, JanusError> {
        let url = format!("{}{path}", self.base);
        let r = match self.http.post(&url).timeout(WAIT).json(&body).send().await {
            Ok(r) => r,
            Err(source) => return Err(JanusError::Post { url, source }),
        };
        let v: Value = match r.json().await {
            Ok(v) => v,
            Err(source) => return Err(JanusError::Post { url, source }),
        };
        if v["janus"] == "error" {
            return Err(JanusError::Janus(v["error"].clone()));
        }
        Ok(v)
    }

    /// A new session, with its long-poll running.
    pub async fn session(self: &Arc<Janus>) -> Result<Session, JanusError> {
        let v = self.post("", json!({"janus": "create", "transaction": self.tx()})).await?;
        let Some(id) = v["data"]["id"].as_u64() else {
            return Err(JanusError::NoId { what: "session id", reply: v });
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let poller = tokio::spawn(poll(self.clone(), id, tx));
        Ok(Session { janus: self.clone(), id, events: rx, poller })
    }
}

/// Long-polls the session's events until the session is gone or the task is aborted,
/// sending a keepalive at least every 20 s.
async fn poll(janus: Arc<Janus>, session: u64, tx: mpsc::UnboundedSender<Value>) {
    let url = format!("{}/{session}?maxev=10", janus.base);
    let mut last_keepalive = Instant::now();
    let mut failures = 0;
    loop {
        if last_keepalive.elapsed() > Duration::from_secs(20) {
            let _ = janus.post(&format!("/{session}"), json!({"janus": "keepalive", "transaction": janus.tx()})).await;
            last_keepalive = Instant::now();
        }
        let res = janus.http.get(&url).timeout(Duration::from_secs(45)).send().await;
        let v: Value = match res {
            Ok(r) => match r.json().await {
                Ok(v) => v,
                Err(_) => Value::Null,
            },
            Err(_) => Value::Null,
        };
        if v.is_null() {
            failures += 1;
            if failures > 20 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        failures = 0;
        let events = match v {
            Value::Array(a) => a,
            other => vec![other],
        };
        for e in events {
            if e["janus"] == "error" {
                return; // the session is gone
            }
            if e["janus"] != "keepalive" && tx.send(e).is_err() {
                return;
            }
        }
    }
}

/// One Janus session (one per participant) and its events.
pub(super) struct Session {
    janus: Arc<Janus>,
    pub id: u64,
    events: mpsc::UnboundedReceiver<Value>,
    poller: JoinHandle<()>,
}

/// A plugin's reply to a message: its `plugindata.data` and the JSEP, if any.
#[derive(Debug)]
pub(super) struct Reply {
    pub data: Value,
    pub jsep: Option<Value>,
}

impl Session {
    /// Attaches a handle of `plugin`.
    pub async fn attach(&self, plugin: &str) -> Result<u64, JanusError> {
        let body = json!({"janus": "attach", "plugin": plugin, "transaction": self.janus.tx()});
        let v = self.janus.post(&format!("/{}", self.id), body).await?;
        v["data"]["id"].as_u64().ok_or(JanusError::NoId { what: "handle id", reply: v })
    }

    /// Sends a plugin message (with `jsep`) and returns the plugin's answer:
    /// at once for synchronous requests, else the event with the same transaction.
    pub async fn message(&mut self, handle: u64, body: Value, jsep: Option<Value>) -> Result<Reply, JanusError> {
        let transaction = self.janus.tx();
        let mut msg = json!({"janus": "message", "transaction": transaction, "body": body});
        if let Some(j) = jsep {
            msg["jsep"] = j;
        }
        let v = self.janus.post(&format!("/{}/{handle}", self.id), msg).await?;
        let event = match v["janus"].as_str() {
            Some("success") => v,
            Some("ack") => self.wait_event(&transaction).await?,
            _ => return Err(JanusError::UnexpectedReply(v)),
        };
        reply_of(event)
    }

    async fn wait_event(&mut self, transaction: &str) -> Result<Value, JanusError> {
        let until = tokio::time::Instant::now() + WAIT;
        loop {
            let e = tokio::time::timeout_at(until, self.events.recv())
                .await
                .map_err(|_| JanusError::NoAnswer { transaction: transaction.to_owned(), secs: WAIT.as_secs() })?
                .ok_or(JanusError::EventsEnded)?;
            if e["transaction"].as_str() == Some(transaction) && e["janus"] == "event" {
                return Ok(e);
            }
        }
    }

    /// Tells Janus that all our candidates were in the SDP.
    pub async fn trickle_done(&self, handle: u64) -> Result<(), JanusError> {
        let body = json!({"janus": "trickle", "candidate": {"completed": true}, "transaction": self.janus.tx()});
        self.janus.post(&format!("/{}/{handle}", self.id), body).await.map(|_| ())
    }

    /// Destroys the session (hanging up its handles) and stops polling.
    pub async fn destroy(self) {
        let body = json!({"janus": "destroy", "transaction": self.janus.tx()});
        let _ = tokio::time::timeout(Duration::from_secs(3), self.janus.post(&format!("/{}", self.id), body)).await;
        self.poller.abort();
    }
}

/// A plugin event or synchronous success as data and JSEP; a plugin error is an error.
pub(super) fn reply_of(event: Value) -> Result<Reply, JanusError> {
    let data = event.pointer("/plugindata/data").cloned().unwrap_or(Value::Null);
    if let Some(err) = data.get("error") {
        return Err(JanusError::Plugin { code: data["error_code"].clone(), error: err.clone() });
    }
    let jsep = event.get("jsep").cloned().filter(|j| !j.is_null());
    Ok(Reply { data, jsep })
}

/// The `create` request for a VP8/Opus room with room for `publishers`, no FIR
/// timer (publishers send a keyframe every `--keyframe-interval`, as on CAAS)
/// and no bitrate cap.
pub(super) fn create_room_body(room: u64, publishers: usize) -> Value {
    json!({
        "request": "create", "room": room, "publishers": publishers.max(1),
        "audiocodec": "opus", "videocodec": "vp8", "bitrate": 0, "fir_freq": 0,
        "notify_joining": false, "audiolevel_event": false,
    })
}

/// Creates the rooms on a control session (kept open until the end of the run).
pub(super) async fn create_rooms(janus: &Arc<Janus>, rooms: &[u64], publishers: usize) -> Result<Session, JanusError> {
    let mut s = janus.session().await?;
    let h = s.attach(VIDEOROOM).await?;
    for room in rooms {
        let r = s.message(h, create_room_body(*room, publishers), None).await?;
        if r.data["videoroom"] != "created" {
            return Err(JanusError::RoomNotCreated { room: *room, data: r.data });
        }
    }
    Ok(s)
}

/// Joins `room` as a publisher and publishes `peer`'s offer; returns the session and the feed id.
pub(super) async fn publish(
    janus: &Arc<Janus>,
    room: u64,
    display: &str,
    peer: &mut Peer,
    publisher: u32,
    audio: bool,
    video: bool,
) -> Result<(Session, u64), JanusError> {
    let mut s = janus.session().await?;
    let h = s.attach(VIDEOROOM).await?;
    let joined =
        s.message(h, json!({"request": "join", "ptype": "publisher", "room": room, "display": display}), None).await?;
    if joined.data["videoroom"] != "joined" {
        return Err(JanusError::Rejected { request: "join as publisher", data: joined.data });
    }
    let Some(feed) = joined.data["id"].as_u64() else {
        return Err(JanusError::NoId { what: "feed id", reply: joined.data });
    };
    let (sdp, pending, _) = peer.offer(Some(publisher), audio, video, false)?;
    let body = json!({"request": "configure", "audio": audio, "video": video});
    let r = s.message(h, body, Some(json!({"type": "offer", "sdp": sdp}))).await?;
    let Some(answer) = r.jsep.as_ref().and_then(|j| j["sdp"].as_str()) else {
        return Err(JanusError::NoJsep { kind: "answer", data: r.data });
    };
    peer.accept_answer(pending, answer)?;
    s.trickle_done(h).await?;
    Ok((s, feed))
}

/// Joins `room` as a subscriber of `feeds`, answers Janus' offer and starts.
pub(super) async fn subscribe(
    janus: &Arc<Janus>,
    room: u64,
    feeds: &[u64],
    peer: &mut Peer,
) -> Result<Session, JanusError> {
    let mut s = janus.session().await?;
    let h = s.attach(VIDEOROOM).await?;
    let streams: Vec<Value> = feeds.iter().map(|f| json!({"feed": f})).collect();
    let body = json!({"request": "join", "ptype": "subscriber", "room": room, "streams": streams});
    let r = s.message(h, body, None).await?;
    if r.data["videoroom"] != "attached" {
        return Err(JanusError::Rejected { request: "join as subscriber", data: r.data });
    }
    let Some(offer) = r.jsep.as_ref().and_then(|j| j["sdp"].as_str()) else {
        return Err(JanusError::NoJsep { kind: "offer", data: r.data });
    };
    let answer = peer.accept_offer(offer)?;
    let started = s.message(h, json!({"request": "start"}), Some(json!({"type": "answer", "sdp": answer}))).await?;
    if started.data.get("started").is_none() {
        return Err(JanusError::Rejected { request: "start", data: started.data });
    }
    s.trickle_done(h).await?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_replies() {
        let ev = json!({
            "janus": "event", "session_id": 1, "sender": 2, "transaction": "lt3",
            "plugindata": {"plugin": VIDEOROOM, "data": {"videoroom": "attached", "room": 1000}},
            "jsep": {"type": "offer", "sdp": "v=0"}
        });
        let r = reply_of(ev).unwrap();
        assert_eq!(r.data["videoroom"], "attached");
        assert_eq!(r.jsep.unwrap()["sdp"], "v=0");
        let sync = json!({"janus": "success", "plugindata": {"plugin": VIDEOROOM, "data": {"videoroom": "created", "room": 5}}});
        let r = reply_of(sync).unwrap();
        assert_eq!(r.data["room"], 5);
        assert!(r.jsep.is_none());
        let err = json!({"janus": "event", "plugindata": {"data": {"videoroom": "event", "error_code": 426, "error": "No such room"}}});
        assert!(reply_of(err).unwrap_err().to_string().contains("No such room"));
    }

    #[test]
    fn room_request() {
        let b = create_room_body(1003, 0);
        assert_eq!(b["request"], "create");
        assert_eq!(b["room"], 1003);
        assert_eq!(b["publishers"], 1);
        assert_eq!(b["videocodec"], "vp8");
        assert_eq!(b["audiocodec"], "opus");
        assert_eq!(b["fir_freq"], 0);
    }
}
