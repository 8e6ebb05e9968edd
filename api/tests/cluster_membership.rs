//! Two `caas serve` processes sharing PostgreSQL and Redis: a membership change
//! made on node 2 decides who receives the next message sent on node 1, although
//! node 1 has the group's member list cached from an earlier send.

mod common;

use common::{Backend, CaasProcess, TestDb, WsClient, read};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_changed_on_another_node_addresses_the_next_message() {
    let db = TestDb::new(Backend::Postgres).await;
    let store = caas_storage::Store::connect(&db.url).await.expect("store");
    let app = caas_api::ops::create_app(&store, "Cluster", &["127.0.0.1".into()], &[]).await.expect("app");
    store.close().await;
    let env = [("CAAS_DATABASE_URL", db.url.as_str()), ("CAAS_REDIS_URL", "redis://127.0.0.1:6379")];
    let node1 = CaasProcess::start(&env);
    let node2 = CaasProcess::start(&env);

    let client = reqwest::Client::new();
    let connect = |node: &CaasProcess, user: &str| {
        let req = client
            .post(node.url("/v1/admin/sessions"))
            .basic_auth(&app.app.api_key, Some(&app.api_secret))
            .json(&json!({"user_id": user}));
        let addr = node.addr;
        async move {
            let (s, b) = read(req.send().await.expect("session")).await;
            assert_eq!(s, 200, "{b}");
            let mut ws = WsClient::try_connect_addr(addr, b["token"].as_str().expect("token"), None, None)
                .await
                .ok()
                .expect("connected");
            assert_eq!(ws.frame().await["event"], "session.ready");
            ws
        }
    };
    let mut ann = connect(&node1, "ann").await;
    let mut cy = connect(&node1, "cy").await;
    let mut bob = connect(&node2, "bob").await;

    // Bob owns the group (created on node 2); Ann sends on node 1, which loads
    // and caches the member list {ann, bob}.
    let group = bob.ok("conversation.create", json!({"kind": "group", "name": "G", "members": ["ann"]})).await;
    let gid = group["conversation"]["id"].as_str().expect("id").to_owned();
    ann.event("conversation.created").await;
    ann.ok("message.send", json!({"conversation_id": gid, "text": "before cy"})).await;
    assert_eq!(bob.event("message.new").await["data"]["message"]["text"], "before cy");

    // Bob adds Cy on node 2; Ann's next message on node 1 reaches Cy live.
    bob.ok("member.add", json!({"conversation_id": gid, "user_ids": ["cy"]})).await;
    ann.ok("message.send", json!({"conversation_id": gid, "text": "welcome cy"})).await;
    assert_eq!(cy.event("message.new").await["data"]["message"]["text"], "welcome cy");

    // Bob removes Cy on node 2; Ann's next group message does not reach Cy. The
    // marker sent afterwards in a direct conversation is the next message Cy gets
    // (events arrive in commit order, so the group message would come first).
    bob.ok("member.remove", json!({"conversation_id": gid, "user_id": "cy"})).await;
    ann.ok("message.send", json!({"conversation_id": gid, "text": "cy is gone"})).await;
    let direct = ann.ok("conversation.create", json!({"kind": "direct", "members": ["cy"]})).await;
    let did = direct["conversation"]["id"].as_str().expect("id").to_owned();
    ann.ok("message.send", json!({"conversation_id": did, "text": "marker"})).await;
    assert_eq!(cy.event("message.new").await["data"]["message"]["text"], "marker");

    for ws in [ann, bob, cy] {
        ws.close().await;
    }
    drop(node1);
    drop(node2);
    db.drop_schema().await;
}
