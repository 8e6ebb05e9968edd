//! Role changes reach open collaboration connections at once: an editor
//! demoted to viewer has their next change refused (and never applied), a user
//! whose role is removed is disconnected with 4403, and a member removed from
//! the conversation a board belongs to loses the board the same way.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::ydoc::Client;
use common::{Backend, TestServer, read};
use serde_json::{Value, json};

async fn call(h: &TestServer, token: &str, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    read(h.client.request(method, h.url(path)).bearer_auth(token).json(&body).send().await.expect("request")).await
}

async fn text_of(h: &TestServer, token: &str, id: &str) -> Value {
    let (s, b) =
        read(h.client.get(h.url(&format!("/v1/docs/{id}"))).bearer_auth(token).send().await.expect("get")).await;
    assert_eq!(s, 200, "{b}");
    b["content"]["t"].clone()
}

/// Waits (bounded) until the server's content of text `t` is `want`: a change
/// sent over a WebSocket is applied after it arrives, not when `send` returns.
async fn until_text(h: &TestServer, token: &str, id: &str, want: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = text_of(h, token, id).await;
        if now == want {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "content stayed {now}, want {want}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_changes_apply_to_open_connections() {
    let h = TestServer::start(Backend::Sqlite).await;
    let app = h.create_app("Roles", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let (s, b) = call(
        &h,
        &ann,
        reqwest::Method::POST,
        "/v1/docs",
        json!({"kind": "doc", "title": "Plan", "roles": {"bob": "editor"}}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let id = b["doc"]["id"].as_str().expect("id").to_owned();

    let mut a = Client::connect(&h, &id, &ann).await;
    let mut bb = Client::connect(&h, &id, &bob).await;
    bb.insert(0, "bob").await;
    a.until("Bob's edit", |c| c.text() == "bob").await;

    // Demoted while connected: the next change is refused and not applied.
    let (s, b) =
        call(&h, &ann, reqwest::Method::PUT, &format!("/v1/docs/{id}/roles/bob"), json!({"role": "viewer"})).await;
    assert_eq!(s, 200, "{b}");
    bb.insert(3, " again").await;
    bb.until("the refusal after the demotion", |c| c.denied).await;
    a.insert(3, "!").await;
    bb.until("Ann's change still reaches the viewer", |c| c.text().contains('!')).await;
    assert_eq!(text_of(&h, &ann, &id).await, "bob!");

    // Role removed: disconnected with 4403, and a new connection is refused.
    let (s, b) = call(&h, &ann, reqwest::Method::PUT, &format!("/v1/docs/{id}/roles/bob"), json!({"role": null})).await;
    assert_eq!(s, 200, "{b}");
    bb.until("the disconnection", |c| c.closed.is_some()).await;
    assert_eq!(bb.closed, Some(4403));
    let url = format!("ws://{}/v1/collab/{id}?token={bob}", h.addr);
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 404),
        other => panic!("upgrade should be refused: {:?}", other.map(|_| ())),
    }
    // Ann is untouched.
    a.insert(0, ">").await;
    until_text(&h, &ann, &id, ">bob!").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_members_lose_the_conversations_board() {
    let h = TestServer::start(Backend::Postgres).await;
    let app = h.create_app("Members", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let cat = h.session(&app, json!({"user_id": "cat"})).await;
    let (s, b) = call(
        &h,
        &ann,
        reqwest::Method::POST,
        "/v1/conversations",
        json!({"kind": "group", "name": "Team", "members": ["bob", "cat"]}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let conv = b["conversation"]["id"].as_str().expect("conversation id").to_owned();
    let (s, b) = call(
        &h,
        &ann,
        reqwest::Method::POST,
        "/v1/docs",
        json!({"kind": "whiteboard", "title": "Board", "conversation_id": conv}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let id = b["doc"]["id"].as_str().expect("id").to_owned();

    let mut bb = Client::connect(&h, &id, &bob).await;
    let mut c = Client::connect(&h, &id, &cat).await;
    bb.insert(0, "b").await;
    c.until("Bob's edit at Cat", |c| c.text() == "b").await;

    let (s, b) = call(
        &h,
        &ann,
        reqwest::Method::POST,
        &format!("/v1/conversations/{conv}/members"),
        json!({"action": "remove", "user_id": "bob"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    bb.until("Bob's disconnection", |c| c.closed.is_some()).await;
    assert_eq!(bb.closed, Some(4403));
    // Cat, still a member, keeps editing.
    c.insert(1, "c").await;
    until_text(&h, &ann, &id, "bc").await;
}
