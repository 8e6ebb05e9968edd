//! Bad input on the WebSocket gets an error reply in the contract's shape and the
//! connection stays usable; the upgrade checks token and origin.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, assert_error};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &["https://app.example"]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    h.session(&app, json!({"user_id": "bob"})).await;
    h.session(&app, json!({"user_id": "cy"})).await;
    let cy = h.session(&app, json!({"user_id": "cy"})).await;

    // The upgrade itself.
    let (s, b) = WsClient::try_connect(&h, "not-a-token", None, None).await.err().expect("refused");
    assert_error(s, &b, 401, "invalid_token");
    let (s, b) = WsClient::try_connect(&h, &ann, None, Some("https://evil.example")).await.err().expect("refused");
    assert_error(s, &b, 403, "origin_not_allowed");
    let (s, b) = WsClient::try_connect(&h, &ann, Some("not-a-cursor"), None).await.err().expect("refused");
    assert_error(s, &b, 400, "invalid_cursor");
    let mut a = WsClient::try_connect(&h, &ann, None, Some("https://app.example")).await.expect("allowed origin");
    assert_eq!(a.frame().await["event"], "session.ready");

    // Malformed frames: an error reply, and the connection stays open.
    a.send_raw("{not json").await;
    let f = a.frame().await;
    assert_eq!(f["ok"], false);
    assert_eq!(f["error"]["code"], "bad_request");
    a.send_raw(r#"{"id": 5, "data": {}}"#).await;
    let f = a.frame().await;
    assert_eq!((f["id"].clone(), f["error"]["code"].clone()), (json!(5), json!("bad_request")));
    let f = a.request("nope.nothing", json!({})).await;
    assert_eq!(f["error"]["code"], "unknown_op");
    assert!(f["error"]["message"].as_str().unwrap().contains("nope.nothing"));

    let conv = a.ok("conversation.create", json!({"kind": "group", "members": ["bob"], "name": "g"})).await;
    let cid = conv["conversation"]["id"].as_str().unwrap().to_owned();
    let cases = [
        ("message.send", json!({"conversation_id": cid, "text": "x".repeat(4001)}), "message_too_long"),
        ("message.send", json!({"conversation_id": cid, "text": "  "}), "empty_message"),
        ("message.send", json!({"conversation_id": cid, "text": 5}), "invalid_body"),
        ("message.send", json!({"text": "no conversation"}), "invalid_body"),
        ("message.send", json!({"conversation_id": "0190f5c6-0000-7000-8000-000000000000", "text": "x"}), "not_found"),
        ("conversation.history", json!({"conversation_id": cid, "limit": 0}), "invalid_limit"),
        ("conversation.create", json!({"kind": "direct", "members": ["bob", "cy"]}), "invalid_members"),
        ("conversation.create", json!({"kind": "direct", "members": ["ann"]}), "invalid_members"),
        ("conversation.create", json!({"kind": "group", "members": ["ghost"]}), "not_found"),
        ("conversation.create", json!({"kind": "channel", "members": []}), "invalid_kind"),
    ];
    for (op, data, code) in cases {
        let f = a.request(op, data.clone()).await;
        assert_eq!(f["ok"], false, "{op} {data}: {f}");
        assert_eq!(f["error"]["code"], code, "{op} {data}: {f}");
    }
    // Nothing was half-written: the group still has no messages.
    let hist = a.ok("conversation.history", json!({"conversation_id": cid})).await;
    assert_eq!(hist["messages"], json!([]));

    // Not a member.
    let mut c = WsClient::connect(&h, &cy, None).await;
    c.frame().await;
    for (op, data) in [
        ("message.send", json!({"conversation_id": cid, "text": "let me in"})),
        ("conversation.history", json!({"conversation_id": cid})),
        ("conversation.get", json!({"conversation_id": cid})),
    ] {
        let f = c.request(op, data).await;
        assert_eq!(f["error"]["code"], "forbidden", "{op}: {f}");
    }
    // Still usable after all of it.
    a.ok("message.send", json!({"conversation_id": cid, "text": "fine"})).await;
    a.close().await;
    c.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
