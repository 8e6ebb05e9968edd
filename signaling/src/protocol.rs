//! The WebSocket envelope of the contract: JSON text frames.
//!
//! - request `{"id": 7, "op": "message.send", "data": {…}}`
//! - reply `{"id": 7, "ok": true, "data": {…}}` or
//!   `{"id": 7, "ok": false, "error": {"code": "…", "message": "…"}}`
//! - push `{"event": "message.new", "data": {…}, "cursor": "…"}`

use serde::Serialize;
use serde_json::Value;

/// A parsed client frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// A well-formed request.
    Request {
        /// Echoed in the reply (any JSON value; `null` when absent).
        id: Value,
        /// Operation name.
        op: String,
        /// Operation input (`null` when absent).
        data: Value,
    },
    /// Not a request: the reply is a `bad_request` error and the connection stays open.
    Invalid {
        /// The request id, if one could be read.
        id: Value,
        /// What was wrong.
        message: String,
    },
}

/// Parses one text frame.
pub fn parse_frame(text: &str) -> Inbound {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Inbound::Invalid { id: Value::Null, message: format!("frame is not JSON: {e}") };
        }
    };
    let Value::Object(mut obj) = value else {
        return Inbound::Invalid { id: Value::Null, message: "frame must be a JSON object".into() };
    };
    let id = obj.remove("id").unwrap_or(Value::Null);
    match obj.remove("op") {
        Some(Value::String(op)) => Inbound::Request { id, op, data: obj.remove("data").unwrap_or(Value::Null) },
        Some(_) => Inbound::Invalid { id, message: "`op` must be a string".into() },
        None => Inbound::Invalid { id, message: "frame has no `op`".into() },
    }
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Reply<'a, T: Serialize> {
    Ok { id: &'a Value, ok: bool, data: &'a T },
    Err { id: &'a Value, ok: bool, error: ErrorDetail<'a> },
}

#[derive(Serialize)]
struct Push<'a, T: Serialize> {
    event: &'a str,
    data: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<&'a str>,
}

/// A success reply.
pub fn reply_ok<T: Serialize>(id: &Value, data: &T) -> String {
    to_text(&Reply::Ok { id, ok: true, data })
}

/// An error reply in the contract's error shape.
pub fn reply_err(id: &Value, code: &str, message: &str) -> String {
    to_text::<Reply<'_, ()>>(&Reply::Err { id, ok: false, error: ErrorDetail { code, message } })
}

/// A server push; persistent events carry their cursor.
pub fn push<T: Serialize>(event: &str, data: &T, cursor: Option<&str>) -> String {
    to_text(&Push { event, data, cursor })
}

fn to_text<T: Serialize>(v: &T) -> String {
    // Serializing these types cannot fail: every key is a string and every value
    // is already valid JSON.
    serde_json::to_string(v).unwrap_or_else(|_| r#"{"error":{"code":"internal","message":"encoding failed"}}"#.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_requests_and_names_what_is_wrong() {
        assert_eq!(
            parse_frame(r#"{"id": 7, "op": "message.send", "data": {"text": "hi"}}"#),
            Inbound::Request { id: json!(7), op: "message.send".into(), data: json!({"text": "hi"}) }
        );
        assert_eq!(
            parse_frame(r#"{"op": "x"}"#),
            Inbound::Request { id: Value::Null, op: "x".into(), data: Value::Null }
        );
        assert!(matches!(parse_frame("{not json"), Inbound::Invalid { id: Value::Null, .. }));
        assert!(matches!(parse_frame("[1]"), Inbound::Invalid { .. }));
        assert_eq!(
            parse_frame(r#"{"id": 3, "data": {}}"#),
            Inbound::Invalid { id: json!(3), message: "frame has no `op`".into() }
        );
        assert!(matches!(parse_frame(r#"{"id": 3, "op": 5}"#), Inbound::Invalid { id, .. } if id == json!(3)));
    }

    #[test]
    fn encodes_the_envelope() {
        let ok: Value = serde_json::from_str(&reply_ok(&json!(7), &json!({"a": 1}))).unwrap();
        assert_eq!(ok, json!({"id": 7, "ok": true, "data": {"a": 1}}));
        let err: Value = serde_json::from_str(&reply_err(&json!(8), "unknown_op", "no such op")).unwrap();
        assert_eq!(err, json!({"id": 8, "ok": false, "error": {"code": "unknown_op", "message": "no such op"}}));
        let p: Value = serde_json::from_str(&push("message.new", &json!({"m": 1}), Some("42"))).unwrap();
        assert_eq!(p, json!({"event": "message.new", "data": {"m": 1}, "cursor": "42"}));
        let p: Value = serde_json::from_str(&push("typing", &json!({}), None)).unwrap();
        assert!(p.get("cursor").is_none());
    }
}
