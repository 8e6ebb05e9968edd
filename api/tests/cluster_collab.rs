//! Two `caas serve` processes sharing PostgreSQL and Redis serve one document:
//! editors connected to different nodes converge, both ways, live.

mod common;

use common::ydoc::Client;
use common::{Backend, CaasProcess, TestDb, read};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_on_two_nodes_converge() {
    let db = TestDb::new(Backend::Postgres).await;
    let store = caas_storage::Store::connect(&db.url).await.expect("store");
    let app = caas_api::ops::create_app(&store, "Cluster", &["127.0.0.1".into()], &[]).await.expect("app");
    store.close().await;
    let env = [("CAAS_DATABASE_URL", db.url.as_str()), ("CAAS_REDIS_URL", "redis://127.0.0.1:6379")];
    let node1 = CaasProcess::start(&env);
    let node2 = CaasProcess::start(&env);
    let http = reqwest::Client::new();
    let session = |node: &CaasProcess, user: &str| {
        let req = http
            .post(node.url("/v1/admin/sessions"))
            .basic_auth(&app.app.api_key, Some(&app.api_secret))
            .json(&json!({"user_id": user}));
        async move {
            let (s, b) = read(req.send().await.expect("session")).await;
            assert_eq!(s, 200, "{b}");
            b["token"].as_str().expect("token").to_owned()
        }
    };
    let ann = session(&node1, "ann").await;
    let bob = session(&node2, "bob").await;
    let (s, b) = read(
        http.post(node1.url("/v1/docs"))
            .bearer_auth(&ann)
            .json(&json!({"kind": "doc", "title": "Shared", "roles": {"bob": "editor"}}))
            .send()
            .await
            .expect("create"),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let id = b["doc"]["id"].as_str().expect("id").to_owned();

    let mut a = Client::connect_addr(node1.addr, &id, &ann).await;
    let mut b = Client::connect_addr(node2.addr, &id, &bob).await;
    a.until("Ann synced", |_| true).await;
    a.insert(0, "from node 1").await;
    b.until("node 1's edit on node 2", |c| c.text() == "from node 1").await;
    b.insert(11, ", and node 2").await;
    a.until("node 2's edit on node 1", |c| c.text() == "from node 1, and node 2").await;
    drop(a);
    drop(b);
    drop(node1);
    drop(node2);
    db.drop_schema().await;
}
