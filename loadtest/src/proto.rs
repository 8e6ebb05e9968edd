//! The pure parts of the `chat` scenario: frames of both targets (CAAS's JSON
//! envelope, socket.io v4 over engine.io v4), the send schedule, and the checks
//! that keep every address on this machine.
//!
//! Frames are classified by cheap prefix and substring checks, the way both
//! servers write them (compact JSON; CAAS pushes start with `{"event":`, replies
//! with `{"id":`), with a full JSON parse only for rare frames and as fallback.
//! Every chat message carries its send time as nanoseconds since the run's base
//! `Instant`: CAAS in the text (`lt:<ns>`), socket.io in the field `t`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde_json::Value;

use crate::error::ConfigError;

/// Prefix of the text of every CAAS message the harness sends.
pub const TEXT_PREFIX: &str = "lt:";

/// What a frame from the server means to a client of the harness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A chat message arrived (CAAS `message.new`, socket.io `msg`), sent at `sent_ns`.
    Delivery { sent_ns: u64 },
    /// A chat message arrived without a send time the harness can read.
    BadDelivery,
    /// The session can be used: CAAS `session.ready`, socket.io `40{…}` (namespace connected).
    Ready,
    /// engine.io open packet `0{…}`.
    Open,
    /// CAAS `conversation.created`, with the conversation id.
    GroupCreated { conversation_id: String },
    /// A successful reply (CAAS `"ok":true`) or a socket.io acknowledgement, by request id.
    Ack { id: u64 },
    /// A refused request (CAAS `"ok":false`), or socket.io `44` (connect error).
    Error { id: Option<u64>, code: String },
    /// engine.io ping `2`: answer with [`EIO_PONG`].
    Ping,
    /// engine.io close `1` or socket.io disconnect `41`.
    Close,
    /// Anything else (other events, engine.io pongs …).
    Other,
}

/// engine.io pong, the answer to a ping.
pub const EIO_PONG: &str = "3";
/// socket.io CONNECT to the default namespace.
pub const SIO_CONNECT: &str = "40";

/// Classifies a CAAS text frame.
pub fn caas_frame(text: &str) -> Inbound {
    if let Some(rest) = text.strip_prefix(r#"{"event":""#) {
        let name = rest.split('"').next().unwrap_or_default();
        return match name {
            "message.new" => match text_time(text) {
                Some(sent_ns) => Inbound::Delivery { sent_ns },
                None => Inbound::BadDelivery,
            },
            "session.ready" => Inbound::Ready,
            "conversation.created" => group_created(text),
            _ => Inbound::Other,
        };
    }
    if let Some(rest) = text.strip_prefix(r#"{"id":"#) {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let (Ok(id), Some(after)) = (rest[..digits].parse::<u64>(), rest.get(digits..))
            && after.starts_with(r#","ok":true"#)
        {
            return Inbound::Ack { id };
        }
    }
    caas_frame_slow(text)
}

/// The full parse, for replies with errors and frames in an unexpected shape.
fn caas_frame_slow(text: &str) -> Inbound {
    let Ok(v) = serde_json::from_str::<Value>(text) else { return Inbound::Other };
    if let Some(event) = v.get("event").and_then(Value::as_str) {
        return match event {
            "message.new" => {
                let t = v.pointer("/data/message/text").and_then(Value::as_str).unwrap_or_default();
                match t.strip_prefix(TEXT_PREFIX).and_then(|n| n.parse().ok()) {
                    Some(sent_ns) => Inbound::Delivery { sent_ns },
                    None => Inbound::BadDelivery,
                }
            }
            "session.ready" => Inbound::Ready,
            "conversation.created" => match v.pointer("/data/conversation/id").and_then(Value::as_str) {
                Some(id) => Inbound::GroupCreated { conversation_id: id.to_owned() },
                None => Inbound::Other,
            },
            _ => Inbound::Other,
        };
    }
    let id = v.get("id").and_then(Value::as_u64);
    match v.get("ok").and_then(Value::as_bool) {
        Some(true) => id.map_or(Inbound::Other, |id| Inbound::Ack { id }),
        Some(false) => {
            let code = v.pointer("/error/code").and_then(Value::as_str).unwrap_or("unknown");
            Inbound::Error { id, code: code.to_owned() }
        }
        None => Inbound::Other,
    }
}

fn group_created(text: &str) -> Inbound {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    match v.pointer("/data/conversation/id").and_then(Value::as_str) {
        Some(id) => Inbound::GroupCreated { conversation_id: id.to_owned() },
        None => Inbound::Other,
    }
}

/// The send time in a `message.new` frame: the digits after `"text":"lt:`.
fn text_time(text: &str) -> Option<u64> {
    let key = r#""text":"lt:"#;
    let at = text.find(key)? + key.len();
    leading_u64(&text[at..])
}

fn leading_u64(s: &str) -> Option<u64> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    s[..digits].parse().ok()
}

/// A CAAS `message.send` request whose text carries the send time.
pub fn caas_send(id: u64, conversation_id: &str, sent_ns: u64) -> String {
    format!(
        r#"{{"id":{id},"op":"message.send","data":{{"conversation_id":{},"text":"{TEXT_PREFIX}{sent_ns}"}}}}"#,
        Value::from(conversation_id)
    )
}

/// A CAAS `conversation.create` request for a group with `members` (the others).
pub fn caas_create_group(id: u64, members: &[String]) -> String {
    serde_json::json!({"id": id, "op": "conversation.create", "data": {"kind": "group", "members": members}})
        .to_string()
}

/// Classifies a socket.io v4 / engine.io v4 text frame (one packet per WebSocket frame).
pub fn sio_frame(text: &str) -> Inbound {
    let mut chars = text.chars();
    match chars.next() {
        Some('0') => Inbound::Open,
        Some('1') => Inbound::Close,
        Some('2') => Inbound::Ping,
        Some('4') => sio_packet(&text[1..]),
        _ => Inbound::Other,
    }
}

/// A socket.io packet (the engine.io message payload), default namespace only.
fn sio_packet(p: &str) -> Inbound {
    let Some(kind) = p.chars().next() else { return Inbound::Other };
    let rest = &p[1..];
    match kind {
        '0' => Inbound::Ready,
        '1' => Inbound::Close,
        '2' => {
            // EVENT: optional ack id, then ["name", data].
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let body = &rest[digits..];
            if let Some(after) = body.strip_prefix(r#"["msg","#) {
                let key = r#""t":"#;
                match after.find(key).and_then(|at| leading_u64(&after[at + key.len()..])) {
                    Some(sent_ns) => Inbound::Delivery { sent_ns },
                    None => Inbound::BadDelivery,
                }
            } else {
                Inbound::Other
            }
        }
        '3' => match leading_u64(rest) {
            Some(id) => Inbound::Ack { id },
            None => Inbound::Other,
        },
        '4' => {
            let v: Value = serde_json::from_str(rest).unwrap_or(Value::Null);
            let code = v.get("message").and_then(Value::as_str).unwrap_or("connect_error");
            Inbound::Error { id: None, code: code.to_owned() }
        }
        _ => Inbound::Other,
    }
}

/// `42<ack>["join",{"room":…}]`: join a room, asking for an acknowledgement.
pub fn sio_join(ack: u64, room: &str) -> String {
    format!(r#"42{ack}["join",{{"room":{}}}]"#, Value::from(room))
}

/// `42["msg",{"room":…,"t":<ns>}]`: a chat message to a room.
pub fn sio_msg(room: &str, sent_ns: u64) -> String {
    format!(r#"42["msg",{{"room":{},"t":{sent_ns}}}]"#, Value::from(room))
}

/// When client `i` of `n` sends its `k`-th message, counted from the start of
/// sending, for `rate` messages per second in total: the clients take turns, so
/// the whole run sends one message every `1/rate` seconds.
pub fn send_offset(i: usize, k: u64, n: usize, rate: f64) -> Duration {
    let slot = k as f64 * n as f64 + i as f64;
    Duration::from_secs_f64(slot / rate)
}

/// The server's address from a loopback `--base` URL (already checked by `loopback_only`).
pub fn target_addr(base: &str) -> Result<SocketAddr, ConfigError> {
    crate::loopback_only(base)?;
    let rest = base.strip_prefix("http://").ok_or(ConfigError::NotHttp)?;
    let hostport = rest.split('/').next().unwrap_or_default();
    let (host, port) = hostport.rsplit_once(':').ok_or(ConfigError::NoPort)?;
    let port: u16 = port.parse().map_err(|_| ConfigError::BadPort(port.to_owned()))?;
    let ip: IpAddr = match host {
        "localhost" => IpAddr::from([127, 0, 0, 1]),
        h => h.trim_start_matches('[').trim_end_matches(']').parse().map_err(|_| ConfigError::BadHost(h.to_owned()))?,
    };
    if !ip.is_loopback() {
        return Err(ConfigError::NotLoopback(ip.to_string()));
    }
    Ok(SocketAddr::new(ip, port))
}

/// `--source-ips`: comma-separated loopback addresses (e.g. 127.0.0.1,127.0.0.2).
pub fn source_ips(list: &str) -> Result<Vec<IpAddr>, ConfigError> {
    let mut ips = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let ip: IpAddr = part.parse().map_err(|_| ConfigError::BadSourceIp(part.to_owned()))?;
        if !ip.is_loopback() {
            return Err(ConfigError::SourceNotLoopback(ip));
        }
        ips.push(ip);
    }
    Ok(ips)
}

/// The soft limit of open files, from the text of `/proc/self/limits`.
pub fn max_open_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

/// Resident and peak memory (KiB) from the text of `/proc/<pid>/status`.
pub fn rss_kib(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim_start_matches(':').split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caas_delivery_and_events() {
        let f = r#"{"event":"message.new","data":{"message":{"id":"0199a3c2-9a6b-7f02-a4d8-5e3c1b0f2a96","conversation_id":"c","seq":13,"sender_id":"bob","text":"lt:123456789","reply_count":0}},"cursor":"44"}"#;
        assert_eq!(caas_frame(f), Inbound::Delivery { sent_ns: 123_456_789 });
        let bad = r#"{"event":"message.new","data":{"message":{"text":"hello"}},"cursor":"45"}"#;
        assert_eq!(caas_frame(bad), Inbound::BadDelivery);
        let ready = r#"{"event":"session.ready","data":{"user":{"id":"ann"},"cursor":"41"}}"#;
        assert_eq!(caas_frame(ready), Inbound::Ready);
        let created = r#"{"event":"conversation.created","data":{"conversation":{"id":"0199a3c2-5b1e","kind":"group"}},"cursor":"42"}"#;
        assert_eq!(caas_frame(created), Inbound::GroupCreated { conversation_id: "0199a3c2-5b1e".into() });
        let typing = r#"{"event":"typing","data":{}}"#;
        assert_eq!(caas_frame(typing), Inbound::Other);
    }

    #[test]
    fn caas_replies() {
        // The reply to message.send carries the message, text included: still an ack.
        let ok = r#"{"id":7,"ok":true,"data":{"message":{"text":"lt:5"}}}"#;
        assert_eq!(caas_frame(ok), Inbound::Ack { id: 7 });
        let err = r#"{"id":8,"ok":false,"error":{"code":"forbidden","message":"no"}}"#;
        assert_eq!(caas_frame(err), Inbound::Error { id: Some(8), code: "forbidden".into() });
        let bad = r#"{"id":null,"ok":false,"error":{"code":"bad_request","message":"x"}}"#;
        assert_eq!(caas_frame(bad), Inbound::Error { id: None, code: "bad_request".into() });
        // Another key order still parses (the slow path).
        let reordered = r#"{"ok":true,"id":3,"data":{}}"#;
        assert_eq!(caas_frame(reordered), Inbound::Ack { id: 3 });
        let reordered = r#"{"cursor":"1","data":{"message":{"text":"lt:9"}},"event":"message.new"}"#;
        assert_eq!(caas_frame(reordered), Inbound::Delivery { sent_ns: 9 });
        assert_eq!(caas_frame("not json"), Inbound::Other);
    }

    #[test]
    fn caas_requests_round_trip() {
        let send: Value = serde_json::from_str(&caas_send(3, "0199-x", 42)).unwrap();
        assert_eq!(send["id"], 3);
        assert_eq!(send["op"], "message.send");
        assert_eq!(send["data"]["conversation_id"], "0199-x");
        assert_eq!(send["data"]["text"], "lt:42");
        let create: Value = serde_json::from_str(&caas_create_group(0, &["b".into(), "c".into()])).unwrap();
        assert_eq!(create["op"], "conversation.create");
        assert_eq!(create["data"]["kind"], "group");
        assert_eq!(create["data"]["members"], serde_json::json!(["b", "c"]));
        // What the server echoes back in message.new is what caas_frame reads.
        let echoed = format!(
            r#"{{"event":"message.new","data":{{"message":{{"text":{}}}}},"cursor":"1"}}"#,
            send["data"]["text"]
        );
        assert_eq!(caas_frame(&echoed), Inbound::Delivery { sent_ns: 42 });
    }

    #[test]
    fn engine_io_and_socket_io_frames() {
        let open = r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        assert_eq!(sio_frame(open), Inbound::Open);
        assert_eq!(sio_frame("2"), Inbound::Ping);
        assert_eq!(sio_frame("3"), Inbound::Other);
        assert_eq!(sio_frame("1"), Inbound::Close);
        assert_eq!(sio_frame(r#"40{"sid":"xyz"}"#), Inbound::Ready);
        assert_eq!(sio_frame("41"), Inbound::Close);
        assert_eq!(sio_frame(r#"431[true]"#), Inbound::Ack { id: 1 });
        assert_eq!(sio_frame(r#"4317[true]"#), Inbound::Ack { id: 17 });
        assert_eq!(sio_frame(r#"42["msg",{"room":"g3","t":987654321}]"#), Inbound::Delivery { sent_ns: 987_654_321 });
        assert_eq!(sio_frame(r#"42["msg",{"room":"g3"}]"#), Inbound::BadDelivery);
        assert_eq!(sio_frame(r#"42["other",{"t":1}]"#), Inbound::Other);
        assert_eq!(
            sio_frame(r#"44{"message":"Invalid namespace"}"#),
            Inbound::Error { id: None, code: "Invalid namespace".into() }
        );
        assert_eq!(sio_frame(""), Inbound::Other);
        assert_eq!(sio_frame("4"), Inbound::Other);
    }

    #[test]
    fn socket_io_encoding() {
        assert_eq!(sio_join(1, "g7"), r#"421["join",{"room":"g7"}]"#);
        assert_eq!(sio_msg("g7", 55), r#"42["msg",{"room":"g7","t":55}]"#);
        // The server broadcasts the data unchanged: the client reads its own frame back.
        let echoed = sio_msg("g7", 55);
        assert_eq!(sio_frame(&echoed), Inbound::Delivery { sent_ns: 55 });
        assert_eq!(sio_frame(&sio_join(1, "g7")), Inbound::Other);
    }

    #[test]
    fn schedule_spreads_the_rate_over_all_clients() {
        let (n, rate) = (4usize, 100.0);
        // Client i's k-th send is slot k*n+i: every slot once, 1/rate apart.
        let mut all: Vec<Duration> = (0..n).flat_map(|i| (0..25).map(move |k| send_offset(i, k, n, rate))).collect();
        all.sort();
        assert_eq!(all.len(), 100);
        for (slot, t) in all.iter().enumerate() {
            assert!((t.as_secs_f64() - slot as f64 / rate).abs() < 1e-9);
        }
        // One client sends every n/rate seconds.
        assert_eq!(send_offset(2, 1, n, rate) - send_offset(2, 0, n, rate), Duration::from_millis(40));
        // In one second, `rate` messages in total.
        let first_second = (0..n).flat_map(|i| (0..1000).map(move |k| send_offset(i, k, n, rate)));
        assert_eq!(first_second.filter(|t| *t < Duration::from_secs(1)).count(), 100);
        // More clients than messages per second: each client sends less than once a second.
        assert_eq!(send_offset(999, 1, 1000, 10.0), Duration::from_secs_f64(199.9));
    }

    #[test]
    fn targets_and_sources_stay_on_this_machine() {
        assert_eq!(target_addr("http://127.0.0.1:8080").unwrap(), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(target_addr("http://localhost:81/").unwrap(), "127.0.0.1:81".parse().unwrap());
        assert_eq!(target_addr("http://[::1]:9").unwrap(), "[::1]:9".parse().unwrap());
        assert_eq!(target_addr("http://127.0.0.5:3000/x").unwrap(), "127.0.0.5:3000".parse().unwrap());
        assert!(target_addr("http://10.0.0.1:8080").is_err());
        assert!(target_addr("http://127.0.0.1").is_err());
        assert!(target_addr("http://127.0.0.1:x").is_err());
        assert!(target_addr("ws://127.0.0.1:1").is_err());
        assert_eq!(
            source_ips("127.0.0.1, 127.0.0.2").unwrap(),
            vec![IpAddr::from([127, 0, 0, 1]), IpAddr::from([127, 0, 0, 2])]
        );
        assert_eq!(source_ips("").unwrap(), Vec::<IpAddr>::new());
        assert!(source_ips("127.0.0.1,192.168.1.2").is_err());
        assert!(source_ips("localhost").is_err());
    }

    #[test]
    fn proc_files() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax cpu time              unlimited            unlimited            seconds   \nMax open files            20000                20000                files     \n";
        assert_eq!(max_open_files(limits), Some(20000));
        assert_eq!(max_open_files("nothing"), None);
        let status = "Name:\tcaas\nVmHWM:\t   18432 kB\nVmRSS:\t   17000 kB\n";
        assert_eq!(rss_kib(status, "VmRSS"), Some(17000));
        assert_eq!(rss_kib(status, "VmHWM"), Some(18432));
        assert_eq!(rss_kib(status, "VmSwap"), None);
    }
}
