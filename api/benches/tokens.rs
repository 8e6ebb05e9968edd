//! Session-token hot paths: verification (every end-user request) and signing
//! (every session). Run with `cargo bench -p caas-api --bench tokens`.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use caas_api::gate::tokens::{Claims, ISSUER, KeySet, generate_key, sign};
use caas_storage::{AppId, SigningKey};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_tokens(c: &mut Criterion) {
    // A directory the size of a busy deployment: 1000 apps, one key each.
    let apps: Vec<(AppId, caas_storage::NewSigningKey)> =
        (0..1000).map(|_| (AppId::generate(), generate_key().expect("key"))).collect();
    let set = KeySet::new(apps.iter().map(|(app, k)| (k.kid, *app, k.public_key.clone())));
    let (app, key) = &apps[500];
    let signing = SigningKey { kid: key.kid, private_der: key.private_der.clone() };
    let now = caas_storage::now_ms() / 1000;
    let claims = Claims {
        iss: ISSUER.into(),
        sub: "u-42".parse().expect("user id"),
        app: *app,
        iat: now,
        exp: now + 3600,
        jti: uuid_like(),
        grants: None,
    };
    let token = sign(&signing, &claims).expect("sign");
    assert!(set.verify(&token).is_ok());

    let mut g = c.benchmark_group("session_token");
    g.throughput(Throughput::Elements(1));
    g.bench_function("verify", |b| b.iter(|| set.verify(std::hint::black_box(&token)).expect("valid")));
    g.bench_function("verify_cached", |b| {
        let now = caas_storage::now_ms() / 1000;
        b.iter(|| set.verify_cached(std::hint::black_box(&token), now).expect("valid"))
    });
    g.bench_function("verify_bad_signature", |b| {
        // Change one character inside the signature, keeping it valid base64url,
        // so the full signature check runs and fails.
        let mut bad = token.clone().into_bytes();
        let i = bad.len() - 20;
        bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).expect("ascii");
        b.iter(|| set.verify(std::hint::black_box(&bad)).is_err())
    });
    g.bench_function("sign", |b| b.iter(|| sign(&signing, std::hint::black_box(&claims)).expect("sign")));
    g.finish();
}

fn uuid_like() -> String {
    "0190f5c6-0000-7000-8000-000000000000".to_owned()
}

criterion_group!(benches, bench_tokens);
criterion_main!(benches);
