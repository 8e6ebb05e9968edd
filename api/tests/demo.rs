//! Dev mode: `/demo/session` mints tokens for the demo app, the demo page and SDK
//! are served, and none of it exists without `--demo`.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, read};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_demo_only_in_dev_mode() {
    let pages = tempfile::tempdir().unwrap();
    std::fs::write(pages.path().join("index.html"), "<!doctype html><title>demo</title>").unwrap();
    let sdk = tempfile::tempdir().unwrap();
    std::fs::write(sdk.path().join("index.js"), "export const x = 1;").unwrap();
    let (p, s) = (pages.path().to_path_buf(), sdk.path().to_path_buf());
    let h = TestServer::start_with(Backend::Sqlite, move |c| {
        c.demo = true;
        c.demo_dir = p;
        c.demo_sdk_dir = s;
    })
    .await;
    let (status, body) = read(
        h.client.post(h.url("/demo/session")).json(&json!({"user_id": "ann", "name": "Ann"})).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (status, me) = h.me(&token).await;
    assert_eq!((status, me["name"].clone()), (200, json!("Ann")));
    // The demo app allows any origin.
    let res = h
        .client
        .get(h.url("/v1/me"))
        .bearer_auth(&token)
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = h.client.get(h.url("/demo/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<title>demo</title>"));
    let js = h.client.get(h.url("/demo/sdk/index.js")).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.headers()["content-type"].to_str().unwrap().contains("javascript"));
    let (status, body) =
        read(h.client.post(h.url("/demo/session")).json(&json!({"user_id": "bad id"})).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].clone()), (422, json!("invalid_body")));
    h.stop().await;

    // Without --demo there is no /demo at all.
    let h = TestServer::start(Backend::Sqlite).await;
    let (status, body) =
        read(h.client.post(h.url("/demo/session")).json(&json!({"user_id": "ann"})).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].clone()), (404, json!("not_found")));
    h.stop().await;
}
