//! Guessing admin credentials is limited per client address (issue 15 D8):
//! after 20 wrong secrets an address gets 429 with `Retry-After` before any
//! lookup, even for a right secret, while other addresses are served.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.0/8"], &[]).await;
    let attacker = h.client_from("127.0.0.7");
    let sessions = |c: &reqwest::Client, secret: &str| {
        c.post(h.url("/v1/admin/sessions"))
            .basic_auth(&app.api_key, Some(secret))
            .json(&json!({"user_id": "ann"}))
            .send()
    };
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(sessions(&attacker, &format!("wrong-{i}")).await.unwrap().status().as_u16());
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
    let res = sessions(&attacker, &app.api_secret).await.unwrap();
    assert_eq!(res.status(), 429, "the guessing address waits, right secret or not");
    assert!(res.headers().contains_key("retry-after"));
    let (s, body) = read(res).await;
    common::assert_error(s, &body, 429, "rate_limited");

    // Another address is not held back.
    let res = sessions(&h.client_from("127.0.0.8"), &app.api_secret).await.unwrap();
    assert_eq!(res.status(), 200);
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
