//! Full-text search finds messages in the caller's own conversations only,
//! follows edits and deletes, and treats input as words, never as query syntax.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, read};
use serde_json::{Value, json};

fn texts(page: &Value) -> Vec<String> {
    page["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_owned()).collect()
}

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    h.session(&app, json!({"user_id": "bob"})).await;
    let eve = h.session(&app, json!({"user_id": "eve"})).await;
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let mut e = WsClient::connect(&h, &eve, None).await;
    e.frame().await;
    let c1 =
        a.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await["conversation"]["id"].clone();
    let c2 = a.ok("conversation.create", json!({"kind": "group", "members": ["bob"], "name": "g"})).await["conversation"]["id"].clone();
    let c3 =
        e.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await["conversation"]["id"].clone();
    let m1 = a.ok("message.send", json!({"conversation_id": c1, "text": "the blue whale sings"})).await;
    a.ok("message.send", json!({"conversation_id": c2, "text": "a blue car"})).await;
    a.ok("message.send", json!({"conversation_id": c1, "text": "nothing here"})).await;
    e.ok("message.send", json!({"conversation_id": c3, "text": "eve's blue secret"})).await;

    let found = a.ok("message.search", json!({"q": "blue"})).await;
    assert_eq!(texts(&found), ["a blue car", "the blue whale sings"]);
    assert_eq!(texts(&a.ok("message.search", json!({"q": "blue whale"})).await), ["the blue whale sings"]);
    assert_eq!(texts(&a.ok("message.search", json!({"q": "blue", "conversation_id": c2})).await), ["a blue car"]);
    assert_eq!(texts(&e.ok("message.search", json!({"q": "blue"})).await), ["eve's blue secret"]);
    // Query syntax in the input is just text.
    assert_eq!(texts(&a.ok("message.search", json!({"q": "blue OR \"secret\""})).await), Vec::<String>::new());
    assert_eq!(a.request("message.search", json!({"q": "  "})).await["error"]["code"], "invalid_query");

    // Edits and deletes are followed.
    let id = m1["message"]["id"].clone();
    a.ok("message.edit", json!({"message_id": id, "text": "the grey whale sings"})).await;
    assert_eq!(texts(&a.ok("message.search", json!({"q": "whale"})).await), ["the grey whale sings"]);
    assert_eq!(texts(&a.ok("message.search", json!({"q": "blue"})).await), ["a blue car"]);
    a.ok("message.delete", json!({"message_id": id})).await;
    assert_eq!(texts(&a.ok("message.search", json!({"q": "whale"})).await), Vec::<String>::new());

    // REST twin; another app finds nothing.
    let (s, body) =
        read(h.client.get(h.url("/v1/messages/search?q=car")).bearer_auth(&ann).send().await.unwrap()).await;
    assert_eq!((s, texts(&body)), (200, vec!["a blue car".to_owned()]));
    // A NUL or another control character is refused with a clear error, never a 500.
    for bad in ["%00", "car%00blue", "%1B"] {
        let res = h.client.get(h.url(&format!("/v1/messages/search?q={bad}"))).bearer_auth(&ann).send();
        let (s, body) = read(res.await.unwrap()).await;
        common::assert_error(s, &body, 422, "invalid_query");
    }
    let other = h.create_app("B", &["127.0.0.1"], &[]).await;
    let zed = h.session(&other, json!({"user_id": "ann"})).await;
    let (s, body) =
        read(h.client.get(h.url("/v1/messages/search?q=blue")).bearer_auth(&zed).send().await.unwrap()).await;
    assert_eq!((s, body["messages"].clone()), (200, json!([])));
    a.close().await;
    e.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
