//! Documents over REST: create (with checks), list with filters and paging,
//! content as JSON, roles (owner only), named versions and restore, delete —
//! and nothing of it reachable from another app or by a stranger.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::ydoc::Client;
use common::{Backend, TestServer, read};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(h: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = h.client.request(method, h.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

/// Polls the document until its text reads `want` (bounded by the harness' wait).
async fn content_becomes(h: &TestServer, token: &str, id: &str, want: &str) -> Value {
    let deadline = std::time::Instant::now() + common::WS_WAIT;
    loop {
        let (_, b) = call(h, token, Method::GET, &format!("/v1/docs/{id}"), None).await;
        if b["content"]["t"] == want {
            return b;
        }
        assert!(std::time::Instant::now() < deadline, "content never became {want:?}: {b}");
    }
}

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("Docs", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let eve = h.session(&app, json!({"user_id": "eve"})).await;

    // Bad input changes nothing.
    for (body, code) in [
        (json!({"kind": "spreadsheet", "title": "x"}), "invalid_kind"),
        (json!({"kind": "doc", "title": "  "}), "invalid_title"),
        (json!({"kind": "doc", "title": "x", "roles": {"bob": "admin"}}), "invalid_role"),
        (json!({"kind": "doc", "title": "x", "extra": 1}), "invalid_body"),
    ] {
        let (s, b) = call(&h, &ann, Method::POST, "/v1/docs", Some(body)).await;
        assert_eq!((s, b["error"]["code"].as_str()), (422, Some(code)), "{b}");
    }
    let conv = {
        let mut ws = common::WsClient::connect(&h, &ann, None).await;
        ws.frame().await;
        let c = ws.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
        ws.close().await;
        c["conversation"]["id"].as_str().expect("id").to_owned()
    };
    let (s, _) =
        call(&h, &eve, Method::POST, "/v1/docs", Some(json!({"kind": "doc", "title": "x", "conversation_id": conv})))
            .await;
    assert_eq!(s, 404, "not a member of that conversation");
    let (s, b) = call(&h, &ann, Method::GET, "/v1/docs", None).await;
    assert_eq!((s, b["docs"].as_array().map(Vec::len)), (200, Some(0)), "nothing was half-created");

    // A whiteboard in the conversation (Bob edits as a member) and a private doc.
    let (_, wb) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/docs",
        Some(json!({"kind": "whiteboard", "title": "Board", "conversation_id": conv})),
    )
    .await;
    let wb_id = wb["doc"]["id"].as_str().expect("id").to_owned();
    let (_, doc) = call(&h, &ann, Method::POST, "/v1/docs", Some(json!({"kind": "doc", "title": "Private"}))).await;
    let doc_id = doc["doc"]["id"].as_str().expect("id").to_owned();
    let (_, list) = call(&h, &bob, Method::GET, "/v1/docs", None).await;
    let ids: Vec<&str> = list["docs"].as_array().expect("docs").iter().map(|d| d["id"].as_str().expect("id")).collect();
    assert_eq!(ids, [wb_id.as_str()], "Bob sees the conversation's board only");
    let (_, list) = call(&h, &ann, Method::GET, "/v1/docs?kind=doc", None).await;
    assert_eq!(list["docs"][0]["id"], doc_id.as_str());
    let (_, page) = call(&h, &ann, Method::GET, "/v1/docs?limit=1", None).await;
    let cursor = page["next_cursor"].as_str().expect("a second page").to_owned();
    let (_, page2) = call(&h, &ann, Method::GET, &format!("/v1/docs?limit=1&cursor={cursor}"), None).await;
    assert_eq!(page2["docs"].as_array().map(Vec::len), Some(1));
    assert_ne!(page2["docs"][0]["id"], page["docs"][0]["id"]);
    assert!(page2["next_cursor"].is_null());
    let (s, b) = call(&h, &ann, Method::GET, &format!("/v1/docs?conversation={conv}"), None).await;
    assert_eq!((s, b["docs"].as_array().map(Vec::len)), (200, Some(1)));

    // Content written live shows in REST.
    let mut live = Client::connect(&h, &doc_id, &ann).await;
    live.insert(0, "first draft").await;
    let got = content_becomes(&h, &ann, &doc_id, "first draft").await;
    assert_eq!(got["role"], "owner");

    // Roles: only the owner manages them; a stranger sees nothing.
    let (s, _) = call(&h, &bob, Method::GET, &format!("/v1/docs/{doc_id}"), None).await;
    assert_eq!(s, 404);
    let (s, _) =
        call(&h, &bob, Method::PUT, &format!("/v1/docs/{doc_id}/roles/bob"), Some(json!({"role": "owner"}))).await;
    assert_eq!(s, 404, "a stranger cannot even see it");
    let (s, b) =
        call(&h, &ann, Method::PUT, &format!("/v1/docs/{doc_id}/roles/bob"), Some(json!({"role": "viewer"}))).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) =
        call(&h, &bob, Method::PUT, &format!("/v1/docs/{doc_id}/roles/eve"), Some(json!({"role": "editor"}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (403, Some("forbidden")));
    let (s, b) = call(&h, &bob, Method::POST, &format!("/v1/docs/{doc_id}/versions"), Some(json!({"name": "v"}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (403, Some("forbidden")), "viewers do not save versions");

    // Versions: save, change, restore.
    let (s, v) =
        call(&h, &ann, Method::POST, &format!("/v1/docs/{doc_id}/versions"), Some(json!({"name": "Draft 1"}))).await;
    assert_eq!(s, 200, "{v}");
    let vid = v["version"]["id"].as_str().expect("id").to_owned();
    live.insert(11, ", then more").await;
    content_becomes(&h, &ann, &doc_id, "first draft, then more").await;
    let (_, vs) = call(&h, &bob, Method::GET, &format!("/v1/docs/{doc_id}/versions"), None).await;
    assert_eq!(vs["versions"][0]["name"], "Draft 1");
    let (s, b) = call(&h, &ann, Method::POST, &format!("/v1/docs/{doc_id}/versions/{vid}/restore"), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["content"]["t"], "first draft");
    live.until("the restore reaches the live editor", |c| c.text() == "first draft").await;

    // Another app sees nothing.
    let other = h.create_app("Other", &["127.0.0.1"], &[]).await;
    let zed = h.session(&other, json!({"user_id": "ann"})).await;
    let (s, _) = call(&h, &zed, Method::GET, &format!("/v1/docs/{doc_id}"), None).await;
    assert_eq!(s, 404, "same user id, other app");
    let (_, b) = call(&h, &zed, Method::GET, "/v1/docs", None).await;
    assert_eq!(b["docs"], json!([]));
    let (s, _) = call(&h, &zed, Method::DELETE, &format!("/v1/docs/{doc_id}"), None).await;
    assert_eq!(s, 404);

    // Delete: owner only; then it is gone and the live editor is disconnected.
    let (s, _) = call(&h, &bob, Method::DELETE, &format!("/v1/docs/{doc_id}"), None).await;
    assert_eq!(s, 403);
    let (s, _) = call(&h, &ann, Method::DELETE, &format!("/v1/docs/{doc_id}"), None).await;
    assert_eq!(s, 200);
    live.until("disconnected", |c| c.closed.is_some()).await;
    let (s, _) = call(&h, &ann, Method::GET, &format!("/v1/docs/{doc_id}"), None).await;
    assert_eq!(s, 404);
    let (s, _) = call(&h, &ann, Method::GET, "/v1/docs/not-an-id", None).await;
    assert_eq!(s, 404);
    h.stop().await;
}

on_both_backends!(scenario);
