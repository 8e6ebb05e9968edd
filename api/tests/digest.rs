//! The notification email digest: a user offline longer than the threshold
//! gets their unread notifications in one email, sent over SMTP to a local
//! sink that speaks the protocol; a user who turned email off gets none, and
//! nothing is mailed twice.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::smtp::smtp_sink;
use common::{Backend, TestServer, read};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(h: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = h.client.request(method, h.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_users_get_one_digest() {
    let (smtp, mail) = smtp_sink().await;
    let h = TestServer::start_with(Backend::Sqlite, |c| {
        c.smtp_url = Some(format!("smtp://{smtp}"));
        c.email_from = "Acme <noreply@acme.test>".into();
        c.digest_after_secs = 0;
        c.digest_every_secs = 1;
    })
    .await;
    let app = h.create_app("Digest", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann", "name": "Ann"})).await;
    let dan = h.session(&app, json!({"user_id": "dan", "name": "Dan", "metadata": {"email": "dan@acme.test"}})).await;
    let eve = h.session(&app, json!({"user_id": "eve", "metadata": {"email": "eve@acme.test"}})).await;
    // Eve wants no email about mentions.
    let (s, _) = call(
        &h,
        &eve,
        Method::PUT,
        "/v1/notifications/preferences",
        Some(json!({"preferences": [{"category": "mention", "channel": "email", "enabled": false}]})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, conv) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/conversations",
        Some(json!({"kind": "group", "name": "Team", "members": ["dan", "eve"]})),
    )
    .await;
    assert_eq!(s, 200, "{conv}");
    let conv = conv["conversation"]["id"].as_str().expect("id").to_owned();
    for text in ["@dan @eve standup?", "@dan and the notes"] {
        let (s, b) = call(
            &h,
            &ann,
            Method::POST,
            &format!("/v1/conversations/{conv}/messages"),
            Some(json!({"text": text, "mentions": ["dan", "eve"]})),
        )
        .await;
        assert_eq!(s, 200, "{b}");
    }

    // Dan gets one email with both mentions.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (rcpt, data) = loop {
        if let Some(m) = mail.lock().expect("lock").first().cloned() {
            break m;
        }
        assert!(tokio::time::Instant::now() < deadline, "no digest arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(rcpt, ["<dan@acme.test>"]);
    assert!(data.contains("Subject: 2 new notifications"), "{data}");
    assert!(data.contains("From: Acme <noreply@acme.test>"), "{data}");
    assert!(data.contains("ann mentioned you: \"@dan @eve standup?\""), "{data}");
    assert!(data.contains("ann mentioned you: \"@dan and the notes\""), "{data}");

    // Eve's round passes too (her notifications are settled without an email,
    // as she opted out): still one email in all, and none is sent twice.
    let eve_id: caas_storage::UserId = "eve".parse().expect("id");
    let settled = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = h.store().app(app.id).unemailed_notifications(&eve_id, 10).await.expect("query");
        if left.is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < settled, "Eve's digest round never came");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let dan_id: caas_storage::UserId = "dan".parse().expect("id");
    assert!(h.store().app(app.id).unemailed_notifications(&dan_id, 10).await.expect("query").is_empty());
    assert_eq!(mail.lock().expect("lock").len(), 1, "one digest in all: Eve turned email off for mentions");
    // Email is a copy: Dan's notifications stay unread in the app.
    let (_, c) = call(&h, &dan, Method::GET, "/v1/notifications/unread-count", None).await;
    assert_eq!(c["unread"], 2);
    h.stop().await;
}
