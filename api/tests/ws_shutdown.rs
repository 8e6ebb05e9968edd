//! Stopping a node closes its WebSocket sessions with 1001 (going away) and lets
//! their clean-up finish before the database closes; clients resume elsewhere.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_close_with_going_away() {
    let h = TestServer::start(Backend::Sqlite).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let sessions = h.state.sessions.clone();
    assert_eq!(sessions.open(), 1);
    let stopping = tokio::spawn(h.stop());
    assert_eq!(a.closed().await, Some(1001));
    stopping.await.unwrap();
    assert_eq!(sessions.open(), 0, "the session finished before the server stopped");
}
