//! The walkthrough of the README: `caas app create` -> session -> `/v1/me`.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestDb, TestServer, read};
use serde_json::{Value, json};

fn caas(db: &TestDb, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_caas"))
        .args(args)
        .env("CAAS_DATABASE_URL", &db.url)
        .env("CAAS_DATA_DIR", db.dir.path())
        .output()
        .expect("run caas")
}

async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    let out = caas(
        &db,
        &["app", "create", "--name", "Pets", "--allow-ip", "127.0.0.1", "--allow-origin", "https://pets.example"],
    );
    assert!(out.status.success(), "caas app create failed: {}", String::from_utf8_lossy(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for field in ["app_id", "api_key", "api_secret"] {
        assert!(created[field].as_str().is_some_and(|s| !s.is_empty()), "missing {field}: {created}");
    }
    let (key, secret) = (created["api_key"].as_str().unwrap(), created["api_secret"].as_str().unwrap());

    // The server starts on the database the CLI wrote; the app is there.
    let h = TestServer::start_on(db, |_| {}).await;
    let res = h
        .client
        .post(h.url("/v1/admin/sessions"))
        .basic_auth(key, Some(secret))
        .json(&json!({"user_id": "u-42", "name": "Ann", "avatar_url": "https://pets.example/a.png", "metadata": {"plan": "pro"}, "ttl_secs": 600}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], "u-42");
    assert_eq!(body["user"]["name"], "Ann");
    assert_eq!(body["user"]["metadata"]["plan"], "pro");
    let expires = time::OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339 expires_at");
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(left.whole_seconds() > 590 && left.whole_seconds() <= 600, "ttl not applied: {left}");
    let token = body["token"].as_str().unwrap().to_owned();

    let (status, me) = h.me(&token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], "u-42");
    assert_eq!(me["name"], "Ann");
    assert_eq!(me["avatar_url"], "https://pets.example/a.png");

    // A second session for the same user updates the given fields and keeps the rest.
    let token2 = h
        .session(
            &common::TestApp {
                id: created["app_id"].as_str().unwrap().parse().unwrap(),
                api_key: key.into(),
                api_secret: secret.into(),
            },
            json!({"user_id": "u-42", "name": "Ann B."}),
        )
        .await;
    let (_, me) = h.me(&token2).await;
    assert_eq!(me["name"], "Ann B.");
    assert_eq!(me["metadata"]["plan"], "pro");
    assert_eq!(me["avatar_url"], "https://pets.example/a.png");
    // The first token is still valid.
    assert_eq!(h.me(&token).await.0, 200);
    h.stop().await;
}

on_both_backends!(scenario);
