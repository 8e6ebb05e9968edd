//! Quota enforcement: on a plan with a hard MAU quota, sessions for users not yet
//! active this month are refused with `quota_exceeded` once the quota is used,
//! and nothing is written for them; users already active keep signing in; a soft
//! plan admits them (billed as overage); one app's users never count for another.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, read};
use reqwest::Method;
use serde_json::json;

const PLANS: &str = r#"{
  "default": "tiny",
  "plans": [
    {"id": "tiny", "name": "Tiny", "price_cents": 0, "enforcement": "hard", "included": {"mau": 2}, "overage": {}},
    {"id": "grow", "name": "Grow", "price_cents": 1000, "enforcement": "soft", "included": {"mau": 2},
     "overage": {"mau": {"unit": 1, "price_cents": 25}}}
  ]
}"#;

async fn run(backend: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let plans = dir.path().join("plans.json");
    std::fs::write(&plans, PLANS).expect("write plans");
    let h = TestServer::start_with(backend, |c| c.plans_file = Some(plans.clone())).await;
    let a = h.create_app("A", &["127.0.0.1"], &[]).await;
    let b = h.create_app("B", &["127.0.0.1"], &[]).await;

    h.session(&a, json!({"user_id": "ann"})).await;
    h.session(&a, json!({"user_id": "bob"})).await;
    let refused = |status: u16, body: &serde_json::Value| {
        assert_eq!((status, body["error"]["code"].as_str()), (402, Some("quota_exceeded")), "{body}");
    };
    let (s, body) =
        read(h.admin(&a, Method::POST, "/v1/admin/sessions").json(&json!({"user_id": "cat"})).send().await.unwrap())
            .await;
    refused(s, &body);
    assert!(body["error"]["message"].as_str().unwrap().contains("2 monthly active users"), "{body}");
    // Nothing was written for the refused user.
    let (s, _) = read(h.admin(&a, Method::GET, "/v1/admin/users/cat").send().await.unwrap()).await;
    assert_eq!(s, 404);
    // Users already active this month still sign in, as often as they like.
    h.session(&a, json!({"user_id": "ann"})).await;
    h.session(&a, json!({"user_id": "bob", "name": "Bob"})).await;
    // Another app counts its own users.
    for u in ["cat", "dan"] {
        h.session(&b, json!({"user_id": u})).await;
    }
    let (s, body) =
        read(h.admin(&b, Method::POST, "/v1/admin/sessions").json(&json!({"user_id": "eve"})).send().await.unwrap())
            .await;
    refused(s, &body);

    // The billing summary shows the quota as used up.
    let (s, billing) = read(h.admin(&a, Method::GET, "/v1/admin/billing").send().await.unwrap()).await;
    assert_eq!(s, 200, "{billing}");
    assert_eq!(billing["plan"]["id"], "tiny");
    let mau = billing["quotas"].as_array().unwrap().iter().find(|q| q["metric"] == "mau").expect("mau quota").clone();
    assert_eq!((mau["used"].as_u64(), mau["included"].as_u64()), (Some(2), Some(2)), "{mau}");

    // On a soft plan the third user is admitted and billed as overage.
    h.store()
        .set_app_plan(
            a.id,
            "grow",
            caas_storage::NewAudit {
                team_id: None,
                app_id: Some(a.id),
                actor: "test",
                action: "app.plan_changed",
                detail: json!({"plan": "grow"}),
            },
        )
        .await
        .expect("plan");
    // As the console does after a change on this node (other nodes see it within seconds).
    h.state.billing.plan_cache.forget(a.id);
    h.session(&a, json!({"user_id": "cat"})).await;
    let (_, billing) = read(h.admin(&a, Method::GET, "/v1/admin/billing").send().await.unwrap()).await;
    let lines = billing["draft_invoice"]["lines"].as_array().expect("lines");
    let mau_line = lines.iter().find(|l| l["metric"] == "mau").expect("mau line");
    assert_eq!(
        (mau_line["billable_units"].as_u64(), mau_line["amount_cents"].as_u64()),
        (Some(1), Some(25)),
        "{mau_line}"
    );
    assert_eq!(billing["draft_invoice"]["total_cents"].as_u64(), Some(1025));
    // The plan change is in the app's audit log.
    let (_, log) = read(h.admin(&a, Method::GET, "/v1/admin/audit-log").send().await.unwrap()).await;
    assert_eq!(log["entries"][0]["action"], "app.plan_changed", "{log}");
    let (_, log_b) = read(h.admin(&b, Method::GET, "/v1/admin/audit-log").send().await.unwrap()).await;
    assert_eq!(log_b["entries"].as_array().map(Vec::len), Some(0), "{log_b}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_and_soft_mau_quotas_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_and_soft_mau_quotas_postgres() {
    run(Backend::Postgres).await;
}
