//! Live collaboration over `GET /v1/collab/{doc_id}` with y-websocket frames,
//! spoken by a yrs client: two editors converge; a viewer's change is refused
//! with the auth message and never applied; garbage closes the connection with
//! a reason and changes nothing; content survives a server restart.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::ydoc::Client;
use common::{Backend, TestDb, TestServer, read};
use serde_json::{Value, json};

async fn create_doc(h: &TestServer, token: &str, body: Value) -> String {
    let (s, b) =
        read(h.client.post(h.url("/v1/docs")).bearer_auth(token).json(&body).send().await.expect("post")).await;
    assert_eq!(s, 200, "{b}");
    b["doc"]["id"].as_str().expect("id").to_owned()
}

async fn content(h: &TestServer, token: &str, id: &str) -> Value {
    let (s, b) =
        read(h.client.get(h.url(&format!("/v1/docs/{id}"))).bearer_auth(token).send().await.expect("get")).await;
    assert_eq!(s, 200, "{b}");
    b["content"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_converge_viewers_are_refused_and_content_persists() {
    let db = TestDb::new(Backend::Sqlite).await;
    let h = TestServer::start_on(db, |_| {}).await;
    let app = h.create_app("Collab", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let vic = h.session(&app, json!({"user_id": "vic"})).await;
    let id =
        create_doc(&h, &ann, json!({"kind": "doc", "title": "Notes", "roles": {"bob": "editor", "vic": "viewer"}}))
            .await;

    let mut a = Client::connect(&h, &id, &ann).await;
    let mut b = Client::connect(&h, &id, &bob).await;
    a.insert(0, "hello").await;
    b.until("Ann's text at Bob", |c| c.text() == "hello").await;
    b.insert(5, " world").await;
    a.until("Bob's text at Ann", |c| c.text() == "hello world").await;

    // A viewer syncs, but its change is refused and never applied.
    let mut v = Client::connect(&h, &id, &vic).await;
    v.until("the viewer synced", |c| c.text() == "hello world").await;
    v.insert(0, "HACK ").await;
    v.until("the refusal", |c| c.denied).await;
    a.insert(11, "!").await;
    b.until("Ann's next change", |c| c.text() == "hello world!").await;
    assert_eq!(content(&h, &ann, &id).await["t"], "hello world!");

    // Garbage: the connection is closed with 1007 and nothing changes.
    let mut g = Client::connect(&h, &id, &bob).await;
    g.send(vec![0, 2, 200, 7, 1]).await;
    g.until("closed", |c| c.closed.is_some()).await;
    assert_eq!(g.closed, Some(1007));
    assert_eq!(content(&h, &ann, &id).await["t"], "hello world!");

    // Strangers and other apps cannot open it.
    let eve = h.session(&app, json!({"user_id": "eve"})).await;
    let other = h.create_app("Other", &["127.0.0.1"], &[]).await;
    let zed = h.session(&other, json!({"user_id": "zed"})).await;
    for token in [&eve, &zed] {
        let url = format!("ws://{}/v1/collab/{id}?token={token}", h.addr);
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 404),
            other => panic!("upgrade should be refused: {:?}", other.map(|_| ())),
        }
    }

    // After a restart the content is back.
    drop(a);
    drop(b);
    drop(v);
    let db = h.stop_keep_db().await;
    let h = TestServer::start_on(db, |_| {}).await;
    let mut c = Client::connect(&h, &id, &ann).await;
    c.until("the stored text", |c| c.text() == "hello world!").await;
    h.stop().await;
}
