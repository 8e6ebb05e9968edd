//! Forged, expired, `alg: none`, wrong-algorithm and other-app tokens get 401
//! `invalid_token`; signing-key rotation keeps or revokes older tokens as asked.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use caas_api::gate::tokens::{Claims, ISSUER, generate_key, sign};
use caas_storage::{AppId, SigningKey};
use common::{Backend, TestServer, assert_error, read};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

fn claims(app: AppId, user: &str, exp_in: i64) -> Claims {
    let now = caas_storage::now_ms() / 1000;
    Claims {
        iss: ISSUER.into(),
        sub: user.parse().unwrap(),
        app,
        iat: now,
        exp: now + exp_in,
        jti: "t".into(),
        grants: None,
    }
}

async fn refuses_bad_tokens(backend: Backend) {
    let h = TestServer::start(backend).await;
    let a = h.create_app("A", &["127.0.0.1"], &[]).await;
    let b = h.create_app("B", &["127.0.0.1"], &[]).await;
    let good = h.session(&a, json!({"user_id": "u-1"})).await;
    h.session(&b, json!({"user_id": "u-1"})).await;
    assert_eq!(h.me(&good).await.0, 200);
    let key_a = h.store().app(a.id).active_signing_key().await.unwrap().unwrap();
    let key_b = h.store().app(b.id).active_signing_key().await.unwrap().unwrap();

    // A well-formed token with the real kid of A but signed by another key.
    let mut rogue = generate_key().unwrap();
    rogue.kid = key_a.kid;
    let forged =
        sign(&SigningKey { kid: rogue.kid, private_der: rogue.private_der }, &claims(a.id, "u-1", 600)).unwrap();
    // Signed with A's real key, but expired an hour ago.
    let expired = sign(&key_a, &claims(a.id, "u-1", -3600)).unwrap();
    // Signed with B's key, claiming to be a user of A.
    let foreign = sign(&key_b, &claims(a.id, "u-1", 600)).unwrap();
    // alg: none, reusing a valid payload.
    let payload = good.split('.').nth(1).unwrap();
    let none_head = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#, key_a.kid));
    let alg_none = format!("{none_head}.{payload}.");
    // HS256 keyed with A's public key (algorithm confusion).
    let public =
        h.store().verification_keys().await.unwrap().into_iter().find(|k| k.kid == key_a.kid).unwrap().public_key;
    let mut hs_head = Header::new(Algorithm::HS256);
    hs_head.kid = Some(key_a.kid.to_string());
    let hs256 = jsonwebtoken::encode(&hs_head, &claims(a.id, "u-1", 600), &EncodingKey::from_secret(&public)).unwrap();
    // The good token with one payload character changed.
    let mut tampered = good.clone().into_bytes();
    let dot = good.find('.').unwrap() + 5;
    tampered[dot] = if tampered[dot] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    // A kid nobody has.
    let stranger = generate_key().unwrap();
    let unknown =
        sign(&SigningKey { kid: stranger.kid, private_der: stranger.private_der }, &claims(a.id, "u-1", 600)).unwrap();

    for (name, token) in [
        ("forged", forged),
        ("expired", expired),
        ("other app's key", foreign),
        ("alg none", alg_none),
        ("hs256", hs256),
        ("tampered", tampered),
        ("unknown kid", unknown),
        ("garbage", "garbage".to_owned()),
    ] {
        let (s, body) = h.me(&token).await;
        assert_eq!(s, 401, "{name}: {body}");
        assert_error(s, &body, 401, "invalid_token");
    }
    let (s, body) = read(h.client.get(h.url("/v1/me")).send().await.unwrap()).await;
    assert_error(s, &body, 401, "invalid_token");
    h.stop().await;
}

async fn key_rotation(backend: Backend) {
    let h = TestServer::start(backend).await;
    let a = h.create_app("A", &["127.0.0.1"], &[]).await;
    let old = h.session(&a, json!({"user_id": "u-1"})).await;
    let rotate = |revoke: bool| {
        h.admin(&a, reqwest::Method::POST, &format!("/v1/admin/app/rotate-signing-key?revoke_previous={revoke}")).send()
    };
    let (s, body) = read(rotate(false).await.unwrap()).await;
    assert_eq!(s, 200, "{body}");
    let new_kid = body["kid"].as_str().unwrap().to_owned();
    let newer = h.session(&a, json!({"user_id": "u-1"})).await;
    assert_eq!(jsonwebtoken::decode_header(&newer).unwrap().kid.as_deref(), Some(new_kid.as_str()));
    // Retired, not revoked: the old token still verifies.
    assert_eq!(h.me(&old).await.0, 200);
    assert_eq!(h.me(&newer).await.0, 200);
    // Revoking: every token of older keys stops at once.
    let (s, _) = read(rotate(true).await.unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(h.me(&old).await.0, 401);
    assert_eq!(h.me(&newer).await.0, 401);
    let newest = h.session(&a, json!({"user_id": "u-1"})).await;
    assert_eq!(h.me(&newest).await.0, 200);
    h.stop().await;
}

mod bad_tokens {
    use super::*;
    on_both_backends!(refuses_bad_tokens);
}

mod rotation {
    use super::*;
    on_both_backends!(key_rotation);
}
