//! Exactly one direct conversation per pair, even when both sides create it at once.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let url = h.url("/v1/conversations");
    let creates = (0..12).map(|i| {
        let (token, other) = if i % 2 == 0 { (&ann, "bob") } else { (&bob, "ann") };
        let req = h.client.post(&url).bearer_auth(token).json(&json!({"kind": "direct", "members": [other]}));
        async move { read(req.send().await.unwrap()).await }
    });
    let ids: std::collections::BTreeSet<String> = futures_util::future::join_all(creates)
        .await
        .into_iter()
        .map(|(s, b)| {
            assert_eq!(s, 200, "{b}");
            b["conversation"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    h.stop().await;
}

on_both_backends!(scenario);
