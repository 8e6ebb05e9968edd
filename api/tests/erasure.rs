//! `DELETE /v1/admin/users/{id}` erases the user's data in the app: messages
//! become tombstones, files and their bytes go, reactions, memberships and the
//! social graph go; other users' data stays.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let mut b = WsClient::connect(&h, &bob, None).await;
    b.frame().await;
    let cid = a.ok("conversation.create", json!({"kind": "group", "members": ["bob"], "name": "g"})).await["conversation"]["id"].clone();
    let (_, up) =
        read(h.client.post(h.url("/v1/files?name=a.txt")).bearer_auth(&ann).body("ann's notes").send().await.unwrap())
            .await;
    let file = up["file"]["id"].as_str().unwrap().to_owned();
    let mine =
        a.ok("message.send", json!({"conversation_id": cid, "text": "secret plans", "attachments": [file]})).await;
    let theirs = b.ok("message.send", json!({"conversation_id": cid, "text": "bob stays"})).await;
    a.ok("reaction.add", json!({"message_id": theirs["message"]["id"], "kind": "ok"})).await;
    a.ok("message.edit", json!({"message_id": mine["message"]["id"], "text": "secret plans v2"})).await;
    a.ok("contact.request", json!({"user_id": "bob"})).await;
    b.ok("contact.accept", json!({"user_id": "ann"})).await;
    a.close().await;

    let blobs = h.db.dir.path().join("blobs").join(app.id.to_string());
    assert!(blobs.join(&file).exists(), "the upload is in the blob folder");
    let (s, _) = read(h.admin(&app, reqwest::Method::DELETE, "/v1/admin/users/ann").send().await.unwrap()).await;
    assert_eq!(s, 204);

    let hist = b.ok("conversation.history", json!({"conversation_id": cid})).await;
    let msgs = hist["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2, "order and seq stay intact");
    assert_eq!((msgs[0]["text"].clone(), msgs[0]["attachments"].clone()), (json!(""), json!([])));
    assert!(msgs[0]["deleted_at"].is_string());
    assert_eq!(msgs[1]["text"], "bob stays");
    assert_eq!(msgs[1]["reactions"]["counts"], json!({}));
    let edits = h
        .store()
        .app(app.id)
        .edit_history(mine["message"]["id"].as_str().unwrap().parse().unwrap(), &"bob".parse().unwrap())
        .await
        .unwrap();
    assert!(edits.is_empty(), "edit history erased");
    assert_eq!(h.client.get(h.url(&format!("/v1/files/{file}"))).bearer_auth(&bob).send().await.unwrap().status(), 404);
    let conv = b.ok("conversation.get", json!({"conversation_id": cid})).await;
    assert_eq!(conv["conversation"]["members"].as_array().unwrap().len(), 1);
    assert_eq!(b.ok("contact.list", json!({})).await["contacts"], json!([]));
    assert_eq!(b.ok("message.search", json!({"q": "secret"})).await["messages"], json!([]));
    // The bytes are gone from the blob store too.
    assert!(!blobs.join(&file).exists(), "file bytes left behind");
    b.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
