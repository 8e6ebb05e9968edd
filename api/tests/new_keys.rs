//! A token signed with a key another node (or the CLI) made a moment ago is
//! accepted at once (issue 15 D11): the node that has not loaded the key yet
//! finds it in the database and reloads before answering, instead of refusing
//! it for up to a second. A token naming a key the database does not have is
//! still refused.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine;
use common::{Backend, TestServer, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    // Another process on the same database: apps made there are unknown to the server's directory.
    let other = caas_storage::Store::connect(&h.db.url).await.unwrap();
    for i in 0..8 {
        let app = caas_api::apps::create_app(&other, &format!("App {i}"), &["127.0.0.1".into()], &[]).await.unwrap();
        let res = h
            .client
            .post(h.url("/v1/admin/sessions"))
            .basic_auth(&app.app.api_key, Some(&app.api_secret))
            .json(&json!({"user_id": "ann"}))
            .send()
            .await
            .unwrap();
        let (s, body) = read(res).await;
        assert_eq!(s, 200, "{body}");
        let token = body["token"].as_str().unwrap().to_owned();
        let (s, me) = h.me(&token).await;
        assert_eq!(s, 200, "app {i}: a key the database has is never refused: {me}");
        assert_eq!(me["id"], "ann");

        // The same token with its key id changed names no key: refused.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": "0190a8f4-7e6d-7c3b-9a1e-3f2b4c5d6e7f"});
        parts[0] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header.to_string());
        let (s, body) = h.me(&parts.join(".")).await;
        assert_eq!(s, 401, "{body}");
    }
    other.close().await;
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
