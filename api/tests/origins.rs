//! End-user requests from a browser origin the app does not allow are refused,
//! preflights included; allowed origins get CORS headers.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, assert_error, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &["https://app.example.com", "https://*.pets.example"]).await;
    let other = h.create_app("B", &["127.0.0.1"], &["https://b.example"]).await;
    let token = h.session(&app, json!({"user_id": "u-1"})).await;
    let me = |origin: Option<&str>| {
        let mut r = h.client.get(h.url("/v1/me")).bearer_auth(&token);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.send()
    };

    // No Origin (a server or native client): allowed.
    assert_eq!(read(me(None).await.unwrap()).await.0, 200);
    // An allowed origin: allowed, with CORS headers.
    let res = me(Some("https://app.example.com")).await.unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(res.status(), 200);
    assert_eq!(read(me(Some("https://shop.pets.example")).await.unwrap()).await.0, 200);
    // Disallowed origins, including one that another app allows.
    for bad in [
        "https://evil.example",
        "https://app.example.com.evil.example",
        "http://app.example.com",
        "https://b.example",
        "null",
    ] {
        let (s, b) = read(me(Some(bad)).await.unwrap()).await;
        assert_error(s, &b, 403, "origin_not_allowed");
    }

    // Preflight: answered for an origin some app allows, refused otherwise.
    let preflight = |origin: &str| {
        h.client
            .request(reqwest::Method::OPTIONS, h.url("/v1/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let res = preflight("https://app.example.com").await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["access-control-allow-origin"], "https://app.example.com");
    assert!(res.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    let (s, b) = read(preflight("https://evil.example").await.unwrap()).await;
    assert_error(s, &b, 403, "origin_not_allowed");

    // Changing the list through the admin API takes effect at once.
    let (s, b) = read(
        h.admin(&app, reqwest::Method::PATCH, "/v1/admin/app")
            .json(&json!({"allowed_origins": ["https://new.example.com"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = read(me(Some("https://app.example.com")).await.unwrap()).await;
    assert_error(s, &b, 403, "origin_not_allowed");
    assert_eq!(read(me(Some("https://new.example.com")).await.unwrap()).await.0, 200);
    // A bad entry is refused with a clear code and changes nothing.
    let (s, b) = read(
        h.admin(&app, reqwest::Method::PATCH, "/v1/admin/app")
            .json(&json!({"allowed_origins": ["https://ok.example", "not an origin"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &b, 422, "invalid_origin");
    assert_eq!(read(me(Some("https://new.example.com")).await.unwrap()).await.0, 200);
    let _ = other;
    h.stop().await;
}

on_both_backends!(scenario);
