//! A frame over the size limit closes the connection with 1009 (message too big);
//! the client can reconnect and resume.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_close_the_connection() {
    let h = TestServer::start(Backend::Sqlite).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let big = json!({"id": 1, "op": "message.send", "data": {"text": "x".repeat(70 * 1024)}}).to_string();
    a.send_raw(&big).await;
    assert_eq!(a.closed().await, Some(1009));
    // A fresh connection works.
    let mut again = WsClient::connect(&h, &ann, None).await;
    assert_eq!(again.frame().await["event"], "session.ready");
    again.close().await;
    h.stop().await;
}
