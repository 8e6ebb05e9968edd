//! `caas app …`: create, list, show, set-ips, set-origins, rotate-secret, rotate-key.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Output};

use common::{Backend, TestDb};
use serde_json::Value;

fn caas(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caas"))
        .args(args)
        .env("CAAS_DATABASE_URL", &db.url)
        .env("CAAS_DATA_DIR", db.dir.path())
        .output()
        .expect("run caas")
}

fn ok_json(out: &Output) -> Value {
    assert!(out.status.success(), "caas failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = ok_json(&caas(&db, &["app", "create", "--name", "Alpha"]));
    let id = a["app_id"].as_str().unwrap().to_owned();
    // Without --allow-ip the admin API is open to this machine only.
    assert_eq!(a["allowed_ips"], serde_json::json!(["127.0.0.1/32", "::1/128"]));
    assert!(a["api_secret"].as_str().unwrap().starts_with("cs_"));
    ok_json(&caas(
        &db,
        &["app", "create", "--name", "Beta", "--allow-ip", "10.0.0.0/8", "--allow-ip", "2001:db8::/32"],
    ));

    let list = caas(&db, &["app", "list"]);
    assert!(list.status.success());
    let names: Vec<String> = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Alpha", "Beta"]);
    // The secret is shown once, never listed.
    assert!(!String::from_utf8_lossy(&caas(&db, &["app", "list"]).stdout).contains("api_secret"));

    let shown = ok_json(&caas(&db, &["app", "set-ips", &id, "192.0.2.0/24", "2001:db8::1"]));
    assert_eq!(shown["allowed_ips"], serde_json::json!(["192.0.2.0/24", "2001:db8::1/128"]));
    let shown = ok_json(&caas(&db, &["app", "set-origins", &id, "https://app.example.com", "https://*.example.org"]));
    assert_eq!(shown["allowed_origins"], serde_json::json!(["https://app.example.com", "https://*.example.org"]));
    assert_eq!(ok_json(&caas(&db, &["app", "show", &id]))["allowed_origins"], shown["allowed_origins"]);

    let rotated = ok_json(&caas(&db, &["app", "rotate-secret", &id]));
    assert_ne!(rotated["api_secret"], a["api_secret"]);
    let key = ok_json(&caas(&db, &["app", "rotate-key", &id, "--revoke-previous"]));
    assert!(key["kid"].as_str().is_some());

    // Bad input: a clear message, a failing exit code, nothing changed.
    let bad = caas(&db, &["app", "set-ips", &id, "10.0.0.0/99"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("10.0.0.0/99"));
    assert_eq!(
        ok_json(&caas(&db, &["app", "show", &id]))["allowed_ips"],
        serde_json::json!(["192.0.2.0/24", "2001:db8::1/128"])
    );
    let bad = caas(&db, &["app", "create", "--name", "X", "--allow-origin", "ftp://x"]);
    assert!(!bad.status.success());
    let missing = caas(&db, &["app", "show", "0190f5c6-0000-7000-8000-000000000000"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no app"));
    db.drop_schema().await;
}

on_both_backends!(scenario);
