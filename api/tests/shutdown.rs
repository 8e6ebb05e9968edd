//! `caas serve` logs JSON with `CAAS_LOG_FORMAT=json`, serves, and exits cleanly on SIGTERM.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_caas"))
        .arg("serve")
        .env("CAAS_HTTP_ADDR", "127.0.0.1:0")
        .env("CAAS_RTC_UDP_ADDR", "127.0.0.1:0")
        .env("CAAS_DATA_DIR", dir.path())
        .env_remove("CAAS_DATABASE_URL")
        .env("CAAS_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start caas serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("caas exited before listening").unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("log line is not JSON: {line}"));
        if v["fields"]["message"] == "caas listening" {
            break v["fields"]["addr"].as_str().unwrap().to_owned();
        }
    };
    // The embedded default database was created in the data folder.
    assert!(dir.path().join("caas.db").exists());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async { reqwest::get(format!("http://{addr}/readyz")).await.unwrap().status() });
    assert_eq!(status, 200);

    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "caas did not stop within 20 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "caas exited with {exit}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("\"stopped\"")), "no clean stop logged: {rest:?}");
}
