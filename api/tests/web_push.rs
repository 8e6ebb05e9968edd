//! Web push: a notification reaches a local push endpoint as an RFC 8291
//! `aes128gcm` message with a VAPID authorization; the test decrypts it with
//! the subscription's own keys (its own RFC 8291 code on p256, hkdf and
//! aes-gcm) and reads the notification. An endpoint that answers 410 loses its
//! subscription.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::{Backend, TestServer, read};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use serde_json::{Value, json};
use sha2::Sha256;

type Inbox = Arc<Mutex<Vec<(String, HeaderMap, Vec<u8>)>>>;

async fn push_service() -> (std::net::SocketAddr, Inbox) {
    let inbox: Inbox = Default::default();
    let seen = inbox.clone();
    let app = axum::Router::new().route(
        "/push/{id}",
        axum::routing::post(
            move |axum::extract::Path(id): axum::extract::Path<String>, headers: HeaderMap, body: Bytes| {
                let seen = seen.clone();
                async move {
                    let gone = id == "gone";
                    seen.lock().expect("lock").push((id, headers, body.to_vec()));
                    if gone { StatusCode::GONE } else { StatusCode::CREATED }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (addr, inbox)
}

/// RFC 8291 §3.4 and RFC 8188, receiving side, one record.
fn decrypt(ua_secret: &p256::SecretKey, auth: &[u8], body: &[u8]) -> Vec<u8> {
    let salt = &body[..16];
    let id_len = body[20] as usize;
    let as_public_bytes = &body[21..21 + id_len];
    let ciphertext = &body[21 + id_len..];
    let as_public = p256::PublicKey::from_sec1_bytes(as_public_bytes).expect("sender key");
    let shared = p256::ecdh::diffie_hellman(ua_secret.to_nonzero_scalar(), as_public.as_affine());
    let ua_public = ua_secret.public_key().to_encoded_point(false);
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public.as_bytes());
    key_info.extend_from_slice(as_public_bytes);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes()).expand(&key_info, &mut ikm).expect("ikm");
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).expect("cek");
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce).expect("nonce");
    let cipher = aes_gcm::Aes128Gcm::new_from_slice(&cek).expect("key");
    let mut plain = cipher.decrypt(&nonce.into(), ciphertext).expect("authentic");
    while plain.last() == Some(&0) {
        plain.pop();
    }
    assert_eq!(plain.pop(), Some(2), "last-record delimiter");
    plain
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_are_pushed_encrypted_to_subscriptions() {
    let (addr, inbox) = push_service().await;
    let vapid = B64.encode([42u8; 32]);
    let h = TestServer::start_with(Backend::Sqlite, |c| {
        c.vapid_private_key = Some(vapid.clone());
        c.vapid_subject = "mailto:ops@acme.test".into();
    })
    .await;
    let app = h.create_app("Push", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let (s, k) =
        read(h.client.get(h.url("/v1/push/vapid-public-key")).bearer_auth(&bob).send().await.expect("key")).await;
    assert_eq!(s, 200, "{k}");
    let server_key = k["public_key"].as_str().expect("key").to_owned();

    // Bob's browser: its own key pair and auth secret.
    let ua_secret = p256::SecretKey::from_slice(&[9u8; 32]).expect("secret");
    let auth = [5u8; 16];
    let p256dh = B64.encode(ua_secret.public_key().to_encoded_point(false).as_bytes());
    for id in ["bob-laptop", "gone"] {
        let sub = json!({"endpoint": format!("http://{addr}/push/{id}"), "keys": {"p256dh": p256dh, "auth": B64.encode(auth)}});
        let (s, b) = read(
            h.client.post(h.url("/v1/push/subscriptions")).bearer_auth(&bob).json(&sub).send().await.expect("sub"),
        )
        .await;
        assert_eq!(s, 200, "{b}");
    }

    // Ann follows Bob: Bob's subscriptions get the notification.
    let (s, _) =
        read(h.client.post(h.url("/v1/users/bob/follow")).bearer_auth(&ann).send().await.expect("follow")).await;
    assert_eq!(s, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let got = loop {
        let got = inbox.lock().expect("lock").clone();
        if got.len() == 2 {
            break got;
        }
        assert!(tokio::time::Instant::now() < deadline, "pushes: {}", got.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (_, headers, body) = got.iter().find(|(id, _, _)| id == "bob-laptop").expect("pushed to the laptop");
    assert_eq!(headers.get("content-encoding").and_then(|v| v.to_str().ok()), Some("aes128gcm"));
    assert!(headers.get("ttl").is_some());
    let authz = headers.get("authorization").and_then(|v| v.to_str().ok()).expect("VAPID authorization");
    let (t, k) = authz.strip_prefix("vapid t=").and_then(|r| r.split_once(", k=")).expect("vapid t=…, k=…");
    assert_eq!(k, server_key);
    let claims: Value =
        serde_json::from_slice(&B64.decode(t.split('.').nth(1).expect("claims")).expect("b64")).expect("json");
    assert_eq!(claims["aud"], format!("http://{addr}"));
    assert_eq!(claims["sub"], "mailto:ops@acme.test");
    // The signature verifies with the advertised key (ES256).
    let point = B64.decode(k).expect("key");
    let key = jsonwebtoken::DecodingKey::from_ec_components(&B64.encode(&point[1..33]), &B64.encode(&point[33..65]))
        .expect("key");
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&[format!("http://{addr}")]);
    jsonwebtoken::decode::<Value>(t, &key, &v).expect("valid VAPID token");

    let message: Value = serde_json::from_slice(&decrypt(&ua_secret, &auth, body)).expect("JSON payload");
    assert_eq!(message["notification"]["category"], "follow");
    assert_eq!(message["notification"]["actor_id"], "ann");
    assert_eq!(message["body"], "ann follows you");

    // The endpoint that answered 410 is forgotten.
    let bob_id: caas_storage::UserId = "bob".parse().expect("id");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let subs = h.store().app(app.id).push_subscriptions(&bob_id).await.expect("subs");
        if subs.len() == 1 {
            assert!(subs[0].endpoint.ends_with("/push/bob-laptop"));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the gone subscription stayed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    h.stop().await;
}
