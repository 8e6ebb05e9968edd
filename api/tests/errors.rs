//! Bad input gets the contract's error shape with a code naming the problem, and changes nothing.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, assert_error, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start_with(backend, |c| c.max_body_bytes = 4096).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let post = |body: &str, content_type: Option<&str>| {
        let mut r = h.admin(&app, reqwest::Method::POST, "/v1/admin/sessions").body(body.to_owned());
        if let Some(ct) = content_type {
            r = r.header("content-type", ct);
        }
        r.send()
    };
    let json_ct = Some("application/json");

    let cases: Vec<(&str, String, Option<&str>, u16, &str)> = vec![
        ("syntax", "{\"user_id\": ".into(), json_ct, 400, "invalid_json"),
        ("wrong type", r#"{"user_id": 42}"#.into(), json_ct, 422, "invalid_body"),
        ("missing user_id", r#"{"name": "x"}"#.into(), json_ct, 422, "invalid_body"),
        ("unknown field", r#"{"user_id": "u-9", "nmae": "typo"}"#.into(), json_ct, 422, "invalid_body"),
        ("bad user id", r#"{"user_id": "has space"}"#.into(), json_ct, 422, "invalid_body"),
        ("no content type", r#"{"user_id": "u-9"}"#.into(), None, 415, "unsupported_media_type"),
        ("ttl too long", r#"{"user_id": "u-9", "ttl_secs": 99999999}"#.into(), json_ct, 422, "invalid_ttl"),
        ("ttl too short", r#"{"user_id": "u-9", "ttl_secs": 1}"#.into(), json_ct, 422, "invalid_ttl"),
        ("metadata not object", r#"{"user_id": "u-9", "metadata": [1]}"#.into(), json_ct, 422, "invalid_metadata"),
        (
            "avatar not url",
            r#"{"user_id": "u-9", "avatar_url": "javascript:alert(1)"}"#.into(),
            json_ct,
            422,
            "invalid_avatar_url",
        ),
        (
            "too large",
            format!(r#"{{"user_id": "u-9", "name": "{}"}}"#, "x".repeat(5000)),
            json_ct,
            413,
            "payload_too_large",
        ),
    ];
    for (name, body, ct, status, code) in cases {
        let (s, b) = read(post(&body, ct).await.unwrap()).await;
        assert_eq!(s, status, "{name}: {b}");
        assert_error(s, &b, status, code);
    }
    // None of the refused requests created the user.
    assert!(h.store().app(app.id).get_user(&"u-9".parse().unwrap()).await.unwrap().is_none());

    let admin = |m: reqwest::Method, path: &str| h.admin(&app, m, path);
    let (s, b) = read(admin(reqwest::Method::GET, "/v1/admin/users/bad%20id").send().await.unwrap()).await;
    assert_error(s, &b, 400, "invalid_user_id");
    let (s, b) = read(
        admin(reqwest::Method::PATCH, "/v1/admin/app")
            .json(&json!({"allowed_ips": ["10.0.0.0/8", "nope"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &b, 422, "invalid_ip");
    let (s, b) = read(admin(reqwest::Method::GET, "/v1/admin/app").send().await.unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(b["allowed_ips"], json!(["127.0.0.1/32"]), "a refused change must change nothing");
    let (s, b) = read(
        admin(reqwest::Method::POST, "/v1/admin/app/rotate-signing-key?revoke_previous=maybe").send().await.unwrap(),
    )
    .await;
    assert_error(s, &b, 400, "bad_request");

    // Routing errors have the same shape.
    let (s, b) = read(h.client.get(h.url("/v1/nope")).send().await.unwrap()).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = read(h.client.delete(h.url("/v1/me")).send().await.unwrap()).await;
    assert_error(s, &b, 405, "method_not_allowed");
    h.stop().await;
}

on_both_backends!(scenario);
