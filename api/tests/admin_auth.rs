//! Admin API credentials: wrong or missing secret 401; rotation invalidates the old secret.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, assert_error, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let post = |key: &str, secret: Option<&str>| {
        let mut r = h.client.post(h.url("/v1/admin/sessions")).json(&json!({"user_id": "u-1"}));
        r = match secret {
            Some(s) => r.basic_auth(key, Some(s)),
            None => r,
        };
        r.send()
    };

    let (s, b) = read(post(&app.api_key, Some("cs_wrong")).await.unwrap()).await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, b) = read(post("ck_unknown", Some(&app.api_secret)).await.unwrap()).await;
    assert_error(s, &b, 401, "unauthorized");
    let res = post("", None).await.unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Basic realm=\"caas-admin\"");
    let (s, b) = read(res).await;
    assert_error(s, &b, 401, "unauthorized");
    // A bearer token is no admin credential.
    let (s, b) = read(h.client.get(h.url("/v1/admin/app")).bearer_auth("x.y.z").send().await.unwrap()).await;
    assert_error(s, &b, 401, "unauthorized");
    // No user was created by the refused requests.
    assert!(h.store().app(app.id).get_user(&"u-1".parse().unwrap()).await.unwrap().is_none());

    // Rotation: the new secret works, the old one is refused at once.
    let (s, rotated) =
        read(h.admin(&app, reqwest::Method::POST, "/v1/admin/app/rotate-secret").send().await.unwrap()).await;
    assert_eq!(s, 200, "{rotated}");
    let new_secret = rotated["api_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, app.api_secret);
    assert_eq!(rotated["api_key"], app.api_key.as_str());
    let (s, b) = read(post(&app.api_key, Some(&app.api_secret)).await.unwrap()).await;
    assert_error(s, &b, 401, "unauthorized");
    let (s, b) = read(post(&app.api_key, Some(&new_secret)).await.unwrap()).await;
    assert_eq!(s, 200, "{b}");
    h.stop().await;
}

on_both_backends!(scenario);
