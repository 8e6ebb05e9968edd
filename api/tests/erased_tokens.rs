//! An erased user's tokens are void (issue 15 D3): after
//! `DELETE /v1/admin/users/{id}` the tokens issued to them before are refused
//! for reads, writes and the WebSocket, so nothing new is stored under the
//! erased id; a session issued after the erasure works (the user made anew).

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{Backend, TestServer, WsClient, read};
use reqwest::Method;
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let old = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    assert_eq!(h.me(&old).await.0, 200);

    let res = h.admin(&app, Method::DELETE, "/v1/admin/users/ann").send().await.unwrap();
    assert_eq!(res.status(), 204);

    let (s, body) = h.me(&old).await;
    common::assert_error(s, &body, 401, "invalid_token");
    let post = h.client.post(h.url("/v1/objects")).bearer_auth(&old).json(&json!({"kind": "post", "text": "after"}));
    let (s, body) = read(post.send().await.unwrap()).await;
    common::assert_error(s, &body, 401, "invalid_token");
    let refused = WsClient::try_connect(&h, &old, None, None).await.err().expect("upgrade refused");
    assert_eq!(refused.0, 401);
    let files = h.client.post(h.url("/v1/files?name=a.txt")).bearer_auth(&old).body("bytes");
    assert_eq!(files.send().await.unwrap().status(), 401);
    // Others are untouched.
    assert_eq!(h.me(&bob).await.0, 200);

    // A session issued after the erasure (tokens carry whole seconds: the next one) works.
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let fresh = h.session(&app, json!({"user_id": "ann"})).await;
        if h.me(&fresh).await.0 == 200 {
            break;
        }
        assert!(Instant::now() < end, "a token issued after the erasure is refused");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(h.me(&old).await.0, 401, "the old token stays void once the user exists again");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    scenario(Backend::Postgres).await;
}
