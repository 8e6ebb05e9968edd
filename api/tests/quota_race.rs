//! New users racing for the last places of a hard MAU quota: however many ask at
//! once, exactly as many as the plan includes get a session; the rest are refused
//! with `quota_exceeded` and nothing is written for them.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, read};
use reqwest::Method;
use serde_json::json;

const PLANS: &str = r#"{
  "default": "tiny",
  "plans": [
    {"id": "tiny", "name": "Tiny", "price_cents": 0, "enforcement": "hard", "included": {"mau": 3}, "overage": {}}
  ]
}"#;

async fn run(backend: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let plans = dir.path().join("plans.json");
    std::fs::write(&plans, PLANS).expect("write plans");
    let h = TestServer::start_with(backend, |c| c.plans_file = Some(plans.clone())).await;
    let a = h.create_app("A", &["127.0.0.1"], &[]).await;

    // One user is already in; 16 new ones ask at the same time for the 2 places left.
    h.session(&a, json!({"user_id": "first"})).await;
    let mut racing = tokio::task::JoinSet::new();
    for i in 0..16 {
        let req = h.admin(&a, Method::POST, "/v1/admin/sessions").json(&json!({"user_id": format!("u{i}")}));
        racing.spawn(async move { (i, read(req.send().await.expect("send")).await) });
    }
    let (mut admitted, mut refused) = (Vec::new(), Vec::new());
    while let Some(done) = racing.join_next().await {
        let (i, (status, body)) = done.expect("task");
        match status {
            200 => admitted.push(i),
            402 => {
                assert_eq!(body["error"]["code"], "quota_exceeded", "{body}");
                refused.push(i);
            }
            _ => panic!("unexpected answer {status}: {body}"),
        }
    }
    assert_eq!((admitted.len(), refused.len()), (2, 14), "exactly the places left are given: {admitted:?}");

    let (s, billing) = read(h.admin(&a, Method::GET, "/v1/admin/billing").send().await.unwrap()).await;
    assert_eq!(s, 200, "{billing}");
    let mau = billing["quotas"].as_array().unwrap().iter().find(|q| q["metric"] == "mau").expect("mau").clone();
    assert_eq!(mau["used"].as_u64(), Some(3), "{mau}");
    // The admitted users exist; nothing was written for the refused ones.
    for (list, status) in [(&admitted, 200), (&refused, 404)] {
        for i in list {
            let (s, _) = read(h.admin(&a, Method::GET, &format!("/v1/admin/users/u{i}")).send().await.unwrap()).await;
            assert_eq!(s, status, "u{i}");
        }
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_new_users_get_only_the_places_left_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_new_users_get_only_the_places_left_postgres() {
    run(Backend::Postgres).await;
}
