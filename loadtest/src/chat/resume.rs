//! `chat --resume`: CAAS clients that survive the loss of their node.
//!
//! A resuming client keeps the cursor of every persistent event it processed.
//! When its socket drops (close 1001 from a node shutting down, a reset or an
//! end of stream from a node that died), it reconnects to the same `--base` (a
//! gateway that sends it to a live node) with `cursor=<last>` and goes on where
//! it stopped: the server replays what it missed, then live events.
//!
//! Every `message.send` carries a `client_msg_id` (`m<k>`, the sender's k-th
//! message): a send whose reply did not come before the drop is sent again on the
//! next connection with the same key, so the server stores it at most once. A
//! message counts as acknowledged when its reply (`ok: true`, with the message
//! id) has arrived. Each client keeps the ids of the messages it received; at the
//! end [`verify`] checks that every acknowledged message reached every member of
//! its conversation (sender included) and that no client received one twice.
//! Reconnect time runs from noticing the drop to the next `session.ready`.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Value, json};

use super::client::{Ws, handshake};
use super::*;

/// Sleep this long between failed reconnect attempts, doubling from [`BACKOFF_MIN`].
const BACKOFF_MAX: Duration = Duration::from_millis(1000);
const BACKOFF_MIN: Duration = Duration::from_millis(50);
/// One reconnect attempt (connect, upgrade, `session.ready`) gives up after this.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The first connection is tried for this long.
const FIRST_CONNECT: Duration = Duration::from_secs(60);

/// What one resuming client saw, handed back when it stops.
pub(super) struct Outcome {
    pub(super) index: usize,
    pub(super) group: usize,
    /// The node of the first connection (from the gateway's header), if named.
    pub(super) first_node: Option<String>,
    /// Ids of the messages received (`message.new`), live or replayed.
    pub(super) delivered: HashSet<u128>,
    /// Ids of this client's messages whose reply arrived.
    pub(super) acked: Vec<u128>,
    /// One entry per lost connection: the node it was on, and the time to resume
    /// (`None`: not resumed before the run stopped).
    pub(super) drops: Vec<(Option<String>, Option<Duration>)>,
    /// Sends still without a reply at the end.
    pub(super) unacked: usize,
    /// Connected when the run stopped.
    pub(super) connected: bool,
    /// Events whose cursor was not above the one before (the protocol says they are increasing).
    pub(super) cursor_regressions: u64,
}

/// A frame of the server, as a resuming client reads it (a full JSON parse).
#[derive(Debug, PartialEq)]
enum Frame {
    /// `session.ready`, with its `data.cursor`.
    Ready {
        cursor: Option<u64>,
    },
    /// `message.new`: the message id, its send time (from the text) and its cursor.
    Message {
        id: u128,
        sent_ns: Option<u64>,
        cursor: Option<u64>,
    },
    /// `conversation.created`.
    Created {
        conversation_id: String,
        cursor: Option<u64>,
    },
    /// Any other push.
    Event {
        cursor: Option<u64>,
    },
    /// A reply: its request id, and the message id of a `message.send`, or the error code.
    Reply {
        id: Option<u64>,
        result: Result<Option<u128>, String>,
    },
    Other,
}

fn parse(text: &str) -> Frame {
    let Ok(v) = serde_json::from_str::<Value>(text) else { return Frame::Other };
    let cursor = v.get("cursor").and_then(Value::as_str).and_then(|c| c.parse().ok());
    if let Some(event) = v.get("event").and_then(Value::as_str) {
        return match event {
            "session.ready" => {
                Frame::Ready { cursor: v.pointer("/data/cursor").and_then(Value::as_str).and_then(|c| c.parse().ok()) }
            }
            "message.new" => match v.pointer("/data/message/id").and_then(Value::as_str).and_then(uuid_bits) {
                Some(id) => {
                    let text = v.pointer("/data/message/text").and_then(Value::as_str).unwrap_or_default();
                    let sent_ns = text.strip_prefix(proto::TEXT_PREFIX).and_then(|n| n.parse().ok());
                    Frame::Message { id, sent_ns, cursor }
                }
                None => Frame::Event { cursor },
            },
            "conversation.created" => match v.pointer("/data/conversation/id").and_then(Value::as_str) {
                Some(id) => Frame::Created { conversation_id: id.to_owned(), cursor },
                None => Frame::Event { cursor },
            },
            _ => Frame::Event { cursor },
        };
    }
    let id = v.get("id").and_then(Value::as_u64);
    match v.get("ok").and_then(Value::as_bool) {
        Some(true) => {
            Frame::Reply { id, result: Ok(v.pointer("/data/message/id").and_then(Value::as_str).and_then(uuid_bits)) }
        }
        Some(false) => {
            let code = v.pointer("/error/code").and_then(Value::as_str).unwrap_or("unknown");
            Frame::Reply { id, result: Err(code.to_owned()) }
        }
        None => Frame::Other,
    }
}

/// A UUID string as 128 bits (the harness keeps ids compactly).
fn uuid_bits(s: &str) -> Option<u128> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

/// A UUID string again, for the report.
pub(super) fn uuid_string(b: u128) -> String {
    let h = format!("{b:032x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// `message.send` with its idempotency key: the sender's k-th message is `m<k>`, on every try.
fn send_frame(id: u64, conversation_id: &str, k: u64, sent_ns: u64) -> String {
    json!({"id": id, "op": "message.send", "data": {
        "conversation_id": conversation_id,
        "text": format!("{}{sent_ns}", proto::TEXT_PREFIX),
        "client_msg_id": format!("m{k}"),
    }})
    .to_string()
}

/// The client's state across its connections.
struct State {
    cursor: Option<u64>,
    conversation: Option<String>,
    grouped: bool,
    /// The `Group` phase came: the creator sends `conversation.create` (once).
    group_phase: bool,
    create_sent: bool,
    schedule: Option<(Instant, Instant)>,
    /// Next message to send.
    k: u64,
    /// Sends without a reply: k → send time.
    pending: BTreeMap<u64, u64>,
    /// Requests of this connection: request id → k.
    inflight: HashMap<u64, u64>,
    next_request: u64,
    out: Outcome,
}

enum End {
    Stop,
    Dropped(WsError),
}

impl State {
    /// Takes a phase change; true when the client should stop.
    fn phase(&mut self, now: Phase) -> bool {
        match now {
            Phase::Connect => false,
            Phase::Group => {
                self.group_phase = true;
                false
            }
            Phase::Send { start, end } => {
                self.schedule = Some((start, end));
                false
            }
            Phase::Stop => true,
        }
    }

    fn next_due(&self, sh: &Shared, spec: &Spec) -> Option<Instant> {
        let (start, end) = self.schedule?;
        let at = start + proto::send_offset(spec.index, self.k, sh.clients, sh.rate);
        (at < end).then_some(at)
    }

    fn track_cursor(&mut self, cursor: Option<u64>) {
        if let Some(c) = cursor {
            if self.cursor.is_some_and(|old| c <= old) {
                self.out.cursor_regressions += 1;
            }
            self.cursor = Some(c);
        }
    }

    /// The group's creator creates it once the `Group` phase has come.
    async fn create_group(&mut self, spec: &Spec, ws: &mut Ws) -> Result<(), WsError> {
        if let Some(members) = &spec.create_with
            && self.group_phase
            && !self.create_sent
        {
            self.create_sent = true;
            let frame = proto::caas_create_group(0, members);
            ws.send(Message::Text(frame.into())).await.map_err(WsError::Send)?;
        }
        Ok(())
    }

    async fn send_pending(&mut self, ws: &mut Ws, k: u64, sent_ns: u64) -> Result<(), WsError> {
        let Some(conv) = self.conversation.as_deref() else { return Ok(()) };
        let id = self.next_request;
        self.next_request += 1;
        self.inflight.insert(id, k);
        ws.send(Message::Text(send_frame(id, conv, k, sent_ns).into())).await.map_err(WsError::Send)
    }
}

/// One resuming client (CAAS); runs until the `Stop` phase and hands back what it saw.
pub(super) async fn client(sh: Arc<Shared>, spec: Spec, mut phase: watch::Receiver<Phase>) -> Option<Outcome> {
    let c = &sh.counters;
    let out = Outcome {
        index: spec.index,
        group: spec.group,
        first_node: None,
        delivered: HashSet::new(),
        acked: Vec::new(),
        drops: Vec::new(),
        unacked: 0,
        connected: false,
        cursor_regressions: 0,
    };
    let mut st = State {
        cursor: None,
        conversation: None,
        grouped: false,
        group_phase: false,
        create_sent: false,
        schedule: None,
        k: 0,
        pending: BTreeMap::new(),
        inflight: HashMap::new(),
        next_request: 1,
        out,
    };
    // The first connection is retried too (a gateway may answer 502/503 while a
    // node is busy or going), for up to FIRST_CONNECT.
    let give_up = Instant::now() + FIRST_CONNECT;
    let mut backoff = BACKOFF_MIN;
    let (mut ws, mut node) = loop {
        let attempt = {
            let _permit = sh.connect_gate.acquire().await;
            tokio::time::timeout(ATTEMPT_TIMEOUT, handshake(&sh, &spec, &spec.url)).await
        };
        match attempt {
            Ok(Ok((ws, node, ready))) => {
                if let Frame::Ready { cursor } = parse(&ready) {
                    st.cursor = cursor;
                }
                break (ws, node);
            }
            Ok(Err(e)) => sh.note(&format!("client {}: {e}", spec.index)),
            Err(_) => sh.note(&format!("client {}: no session in {ATTEMPT_TIMEOUT:?}", spec.index)),
        }
        if Instant::now() + backoff >= give_up {
            c.connect_errors.fetch_add(1, Ordering::Relaxed);
            return Some(st.out);
        }
        c.connect_retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    };
    c.connected.fetch_add(1, Ordering::Relaxed);
    st.out.first_node = node.clone();
    loop {
        match session(&sh, &spec, &mut ws, &mut st, &mut phase).await {
            End::Stop => {
                st.out.connected = true;
                let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
                break;
            }
            End::Dropped(e) => {
                let dropped_at = Instant::now();
                c.drops.fetch_add(1, Ordering::Relaxed);
                c.down.fetch_add(1, Ordering::Relaxed);
                Shared::count(&sh.close_codes, e.close_code());
                st.inflight.clear();
                match reconnect(&sh, &spec, &mut st, &mut phase).await {
                    Some((new_ws, new_node)) => {
                        st.out.drops.push((node, Some(dropped_at.elapsed())));
                        c.down.fetch_sub(1, Ordering::Relaxed);
                        c.resumed.fetch_add(1, Ordering::Relaxed);
                        (ws, node) = (new_ws, new_node);
                    }
                    None => {
                        st.out.drops.push((node, None));
                        break;
                    }
                }
            }
        }
    }
    st.out.unacked = st.pending.len();
    Some(st.out)
}

/// Connects again with the last cursor until it works or the run stops (`None`).
async fn reconnect(
    sh: &Shared,
    spec: &Spec,
    st: &mut State,
    phase: &mut watch::Receiver<Phase>,
) -> Option<(Ws, Option<String>)> {
    let c = &sh.counters;
    let url = match st.cursor {
        Some(cursor) => format!("{}&cursor={cursor}", spec.url),
        None => spec.url.clone(),
    };
    let mut backoff = BACKOFF_MIN;
    loop {
        let attempt = tokio::time::timeout(ATTEMPT_TIMEOUT, handshake(sh, spec, &url));
        tokio::pin!(attempt);
        let result = loop {
            tokio::select! {
                r = &mut attempt => break r,
                changed = phase.changed() => {
                    if changed.is_err() || st.phase(*phase.borrow_and_update()) {
                        return None;
                    }
                }
            }
        };
        match result {
            Ok(Ok((ws, node, _ready))) => return Some((ws, node)),
            Ok(Err(e)) => sh.note(&format!("client {}: reconnect: {e}", spec.index)),
            Err(_) => sh.note(&format!("client {}: reconnect: no session in {ATTEMPT_TIMEOUT:?}", spec.index)),
        }
        c.reconnect_failures.fetch_add(1, Ordering::Relaxed);
        // Spread the herd a little: up to 25 ms more, by client.
        let pause = backoff + Duration::from_millis((spec.index as u64 * 7) % 25);
        let until = tokio::time::Instant::now() + pause;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                changed = phase.changed() => {
                    if changed.is_err() || st.phase(*phase.borrow_and_update()) {
                        return None;
                    }
                }
            }
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// One connection: sends on the schedule (after the sends still unanswered), reads until it drops.
async fn session(sh: &Shared, spec: &Spec, ws: &mut Ws, st: &mut State, phase: &mut watch::Receiver<Phase>) -> End {
    let c = &sh.counters;
    let shard = &sh.hists[spec.index % sh.hists.len()];
    let far = Instant::now() + Duration::from_secs(86_400);
    let result: Result<End, WsError> = async {
        // What the phase asked while we were away, then the sends still without a reply.
        if st.phase(*phase.borrow_and_update()) {
            return Ok(End::Stop);
        }
        st.create_group(spec, ws).await?;
        let unanswered: Vec<(u64, u64)> = st.pending.iter().map(|(k, t)| (*k, *t)).collect();
        for (k, sent_ns) in unanswered {
            c.resent.fetch_add(1, Ordering::Relaxed);
            st.send_pending(ws, k, sent_ns).await?;
        }
        loop {
            let due = st.next_due(sh, spec);
            tokio::select! {
                changed = phase.changed() => {
                    if changed.is_err() || st.phase(*phase.borrow_and_update()) {
                        return Ok(End::Stop);
                    }
                    st.create_group(spec, ws).await?;
                }
                () = tokio::time::sleep_until(due.unwrap_or(far).into()), if due.is_some() => {
                    if due.is_some_and(|d| d.elapsed() > Duration::from_millis(100)) {
                        c.late_sends.fetch_add(1, Ordering::Relaxed);
                    }
                    let k = st.k;
                    st.k += 1;
                    if st.conversation.is_some() {
                        let sent_ns = sh.now_ns();
                        st.pending.insert(k, sent_ns);
                        c.sent.fetch_add(1, Ordering::Relaxed);
                        c.pending.fetch_add(1, Ordering::Relaxed);
                        c.expected.fetch_add(spec.group_len, Ordering::Relaxed);
                        if let Err(e) = st.send_pending(ws, k, sent_ns).await {
                            c.send_failures.fetch_add(1, Ordering::Relaxed);
                            return Err(e);
                        }
                    }
                }
                frame = ws.next() => {
                    let text = match frame {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Close(f))) => {
                            let code = f.map(|f| format!("{} {}", u16::from(f.code), f.reason)).unwrap_or_else(|| "none".into());
                            return Err(WsError::Closed(code));
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return Err(WsError::Read(e)),
                        None => return Err(WsError::Closed("eof".into())),
                    };
                    take(sh, spec, st, shard, &text);
                }
            }
        }
    }
    .await;
    result.unwrap_or_else(End::Dropped)
}

/// Takes one frame of the server.
fn take(sh: &Shared, spec: &Spec, st: &mut State, shard: &Mutex<Histogram<u64>>, text: &str) {
    let c = &sh.counters;
    match parse(text) {
        Frame::Message { id, sent_ns, cursor } => {
            st.track_cursor(cursor);
            c.deliveries.fetch_add(1, Ordering::Relaxed);
            if !st.out.delivered.insert(id) {
                c.duplicates.fetch_add(1, Ordering::Relaxed);
                return;
            }
            c.unique_deliveries.fetch_add(1, Ordering::Relaxed);
            let Some(sent_ns) = sent_ns else {
                c.bad_deliveries.fetch_add(1, Ordering::Relaxed);
                return;
            };
            let now = sh.now_ns();
            let micros = now.saturating_sub(sent_ns) / 1000;
            if micros > sh.delayed_us {
                c.delayed.fetch_add(1, Ordering::Relaxed);
            }
            if let Ok(mut h) = shard.lock() {
                h.saturating_record(micros.max(1));
            }
            c.last_delivery_ns.fetch_max(now, Ordering::Relaxed);
        }
        Frame::Created { conversation_id, cursor } => {
            st.track_cursor(cursor);
            if st.conversation.is_none() {
                st.conversation = Some(conversation_id);
                if !st.grouped {
                    st.grouped = true;
                    c.grouped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        Frame::Event { cursor } => st.track_cursor(cursor),
        Frame::Reply { id, result } => {
            let k = id.and_then(|id| st.inflight.remove(&id));
            match (k, result) {
                (Some(k), Ok(message_id)) => {
                    if st.pending.remove(&k).is_some() {
                        c.pending.fetch_sub(1, Ordering::Relaxed);
                        c.acks.fetch_add(1, Ordering::Relaxed);
                        c.acked_expected.fetch_add(spec.group_len, Ordering::Relaxed);
                        match message_id {
                            Some(m) => st.out.acked.push(m),
                            None => {
                                c.bad_deliveries.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
                (k, Err(code)) => {
                    c.error_replies.fetch_add(1, Ordering::Relaxed);
                    sh.note(&format!("client {}: error reply `{code}`", spec.index));
                    Shared::count(&sh.error_codes, code);
                    // A refused send is not retried: it is not acknowledged, so it cannot be lost.
                    if let Some(k) = k
                        && st.pending.remove(&k).is_some()
                    {
                        c.pending.fetch_sub(1, Ordering::Relaxed);
                    }
                }
                (None, Ok(_)) => {}
            }
        }
        Frame::Ready { .. } | Frame::Other => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_of_a_resuming_client() {
        let ready = r#"{"event":"session.ready","data":{"user":{"id":"a"},"cursor":"41"}}"#;
        assert_eq!(parse(ready), Frame::Ready { cursor: Some(41) });
        let new = r#"{"event":"message.new","data":{"message":{"id":"0199a3c2-9a6b-7f02-a4d8-5e3c1b0f2a96","conversation_id":"c","text":"lt:123"}},"cursor":"44"}"#;
        assert_eq!(
            parse(new),
            Frame::Message { id: 0x0199a3c29a6b7f02a4d85e3c1b0f2a96, sent_ns: Some(123), cursor: Some(44) }
        );
        let created = r#"{"event":"conversation.created","data":{"conversation":{"id":"c1"}},"cursor":"42"}"#;
        assert_eq!(parse(created), Frame::Created { conversation_id: "c1".into(), cursor: Some(42) });
        assert_eq!(parse(r#"{"event":"typing","data":{}}"#), Frame::Event { cursor: None });
        let reply = r#"{"id":7,"ok":true,"data":{"message":{"id":"0199a3c2-9a6b-7f02-a4d8-5e3c1b0f2a96"}}}"#;
        assert_eq!(parse(reply), Frame::Reply { id: Some(7), result: Ok(Some(0x0199a3c29a6b7f02a4d85e3c1b0f2a96)) });
        let refused = r#"{"id":8,"ok":false,"error":{"code":"forbidden","message":"no"}}"#;
        assert_eq!(parse(refused), Frame::Reply { id: Some(8), result: Err("forbidden".into()) });
        assert_eq!(parse("not json"), Frame::Other);
    }

    #[test]
    fn ids_and_sends() {
        let id = "0199a3c2-9a6b-7f02-a4d8-5e3c1b0f2a96";
        assert_eq!(uuid_bits(id).map(uuid_string).as_deref(), Some(id));
        assert_eq!(uuid_bits("nope"), None);
        let v: Value = serde_json::from_str(&send_frame(3, "c1", 17, 99)).unwrap();
        assert_eq!(v["op"], "message.send");
        assert_eq!(v["data"]["client_msg_id"], "m17");
        assert_eq!(v["data"]["text"], "lt:99");
        assert_eq!(v["data"]["conversation_id"], "c1");
        assert_eq!(v["id"], 3);
    }
}
