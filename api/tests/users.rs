//! `GET/PUT/DELETE /v1/admin/users/{user_id}`; erasing a user ends their sessions.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, assert_error, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let admin = |m: reqwest::Method, path: &str| h.admin(&app, m, path);

    let (s, b) = read(admin(reqwest::Method::GET, "/v1/admin/users/u-7").send().await.unwrap()).await;
    assert_error(s, &b, 404, "user_not_found");
    let (s, b) = read(
        admin(reqwest::Method::PUT, "/v1/admin/users/u-7")
            .json(&json!({"name": "Bo", "metadata": {"tier": 2}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["id"], "u-7");
    let (s, b) = read(
        admin(reqwest::Method::PUT, "/v1/admin/users/u-7")
            .json(&json!({"avatar_url": "https://x.example/b.png"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["name"], "Bo");
    assert_eq!(b["metadata"]["tier"], 2);
    assert_eq!(b["avatar_url"], "https://x.example/b.png");
    let (s, got) = read(admin(reqwest::Method::GET, "/v1/admin/users/u-7").send().await.unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(got, b);

    let token = h.session(&app, json!({"user_id": "u-7"})).await;
    assert_eq!(h.me(&token).await.0, 200);
    let (s, _) = read(admin(reqwest::Method::DELETE, "/v1/admin/users/u-7").send().await.unwrap()).await;
    assert_eq!(s, 204);
    let (s, b) = read(admin(reqwest::Method::GET, "/v1/admin/users/u-7").send().await.unwrap()).await;
    assert_error(s, &b, 404, "user_not_found");
    let (s, b) = h.me(&token).await;
    assert_error(s, &b, 401, "invalid_token");
    let (s, b) = read(admin(reqwest::Method::DELETE, "/v1/admin/users/u-7").send().await.unwrap()).await;
    assert_error(s, &b, 404, "user_not_found");
    h.stop().await;
}

on_both_backends!(scenario);
