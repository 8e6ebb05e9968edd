//! Token-bucket rate limits per end user and per app: 429 `rate_limited` with `Retry-After`.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, assert_error, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    // 1 request/s per user (burst 2); 3 requests/s per app (burst 6).
    let h = TestServer::start_with(backend, |c| {
        c.rate_limit_user = 1.0;
        c.rate_limit_app = 3.0;
    })
    .await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let other = h.create_app("B", &["127.0.0.1"], &[]).await;
    let t1 = h.session(&app, json!({"user_id": "u-1"})).await;
    let t2 = h.session(&app, json!({"user_id": "u-2"})).await;
    // Two admin requests spent; four left in the app's bucket.

    assert_eq!(h.me(&t1).await.0, 200);
    assert_eq!(h.me(&t1).await.0, 200);
    let res = h.client.get(h.url("/v1/me")).bearer_auth(&t1).send().await.unwrap();
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "retry-after {retry}");
    let (s, b) = read(res).await;
    assert_error(s, &b, 429, "rate_limited");
    // Another user of the app has a bucket of their own, until the app's runs dry.
    assert_eq!(h.me(&t2).await.0, 200);
    let (s, b) = h.me(&t2).await;
    assert_error(s, &b, 429, "rate_limited");
    let (s, b) = read(h.admin(&app, reqwest::Method::GET, "/v1/admin/app").send().await.unwrap()).await;
    assert_error(s, &b, 429, "rate_limited");
    // Another app is not affected.
    let (s, _) = read(h.admin(&other, reqwest::Method::GET, "/v1/admin/app").send().await.unwrap()).await;
    assert_eq!(s, 200);
    h.stop().await;
}

on_both_backends!(scenario);
