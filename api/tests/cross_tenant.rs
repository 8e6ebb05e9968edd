//! One app can neither read, change, erase nor detect another app's users.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, assert_error, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let a = h.create_app("A", &["127.0.0.1"], &["https://a.example"]).await;
    let b = h.create_app("B", &["127.0.0.1"], &["https://b.example"]).await;
    let token_a = h.session(&a, json!({"user_id": "ann", "name": "Ann of A"})).await;
    h.session(&a, json!({"user_id": "only-a"})).await;
    let as_b = |m: reqwest::Method, path: &str| h.admin(&b, m, path);

    // B cannot see A's user: the answer is the same as for a user that exists nowhere.
    let (s, body) = read(as_b(reqwest::Method::GET, "/v1/admin/users/only-a").send().await.unwrap()).await;
    assert_error(s, &body, 404, "user_not_found");
    let (s2, body2) = read(as_b(reqwest::Method::GET, "/v1/admin/users/nobody-anywhere").send().await.unwrap()).await;
    assert_eq!((s, body["error"]["code"].clone()), (s2, body2["error"]["code"].clone()));
    // B cannot erase A's user.
    let (s, body) = read(as_b(reqwest::Method::DELETE, "/v1/admin/users/only-a").send().await.unwrap()).await;
    assert_error(s, &body, 404, "user_not_found");
    assert!(h.store().app(a.id).get_user(&"only-a".parse().unwrap()).await.unwrap().is_some());

    // The same user id in B is a different person; writing it leaves A's untouched.
    let token_b = h.session(&b, json!({"user_id": "ann", "name": "Ann of B"})).await;
    let (_, me_a) = h.me(&token_a).await;
    let (_, me_b) = h.me(&token_b).await;
    assert_eq!(me_a["name"], "Ann of A");
    assert_eq!(me_b["name"], "Ann of B");
    let (s, _) = read(
        as_b(reqwest::Method::PUT, "/v1/admin/users/ann").json(&json!({"name": "changed by B"})).send().await.unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(h.me(&token_a).await.1["name"], "Ann of A");
    let (s, _) = read(as_b(reqwest::Method::DELETE, "/v1/admin/users/ann").send().await.unwrap()).await;
    assert_eq!(s, 204);
    assert_eq!(h.me(&token_a).await.0, 200);
    assert_eq!(h.me(&token_b).await.0, 401);

    // A's token is A's: from B's origin it is refused.
    let (s, body) = read(
        h.client.get(h.url("/v1/me")).bearer_auth(&token_a).header("origin", "https://b.example").send().await.unwrap(),
    )
    .await;
    assert_error(s, &body, 403, "origin_not_allowed");
    // B's credentials cannot act on A's app settings: they only ever see B.
    let (s, body) = read(as_b(reqwest::Method::GET, "/v1/admin/app").send().await.unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(body["app_id"], b.id.to_string());
    // A's key with B's secret is refused.
    let (s, body) =
        read(h.client.get(h.url("/v1/admin/app")).basic_auth(&a.api_key, Some(&b.api_secret)).send().await.unwrap())
            .await;
    assert_error(s, &body, 401, "unauthorized");
    h.stop().await;
}

on_both_backends!(scenario);
