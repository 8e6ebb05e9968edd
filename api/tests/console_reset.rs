//! Console password reset by email: the link goes to the account's address (a
//! local SMTP sink) and points at `CAAS_PUBLIC_URL`; asking answers the same for
//! unknown addresses; a link works once, within the hour, and only the newest;
//! using it replaces the password and ends every session of the account. Without
//! email set up the page says so.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::browser::{Browser, csrf, sign_up};
use common::smtp::smtp_sink;
use common::{Backend, TestServer};
use sha2::Digest;

const PUBLIC: &str = "https://console.example.test";

/// Asks for a reset link for `email` from a browser that is not signed in.
async fn ask(h: &TestServer, email: &str) -> (u16, String) {
    let mut b = Browser::new(h);
    let page = b.get("/console/forgot").await;
    assert_eq!(page.status, 200);
    let r = b.post("/console/forgot", &[("csrf", &csrf(&page.body)), ("email", email)]).await;
    (r.status, r.body)
}

/// Sets a new password with a link's token; returns (status, page).
async fn use_link(h: &TestServer, token: &str, password: &str) -> (u16, String) {
    let mut b = Browser::new(h);
    let page = b.get(&format!("/console/reset/{token}")).await;
    assert_eq!(page.status, 200);
    let r = b.post("/console/reset", &[("csrf", &csrf(&page.body)), ("token", token), ("password", password)]).await;
    (r.status, r.body)
}

/// Waits (bounded) until `done` holds.
async fn wait_for(done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for the mail");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn log_in(h: &TestServer, email: &str, password: &str) -> u16 {
    let mut b = Browser::new(h);
    let page = b.get("/console/login").await;
    let form = [("csrf", csrf(&page.body)), ("email", email.into()), ("password", password.into())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post("/console/login", &form).await.status
}

async fn run(backend: Backend) {
    let (smtp, mail) = smtp_sink().await;
    let h = TestServer::start_with(backend, |c| {
        c.smtp_url = Some(format!("smtp://{smtp}"));
        c.public_url = Some(format!("{PUBLIC}/"));
    })
    .await;
    let mut ann = sign_up(&h, "ann@example.com", "Ann's team").await;
    assert_eq!(ann.get("/console/apps").await.status, 200);
    let links = || -> Vec<String> {
        let mail = mail.lock().expect("lock");
        mail.iter()
            .map(|(to, data)| {
                assert_eq!(to, &vec!["<ann@example.com>".to_owned()], "only Ann's address gets mail");
                let text = data.replace("=\n", "");
                let at = text.find(&format!("{PUBLIC}/console/reset/")).expect("a link to the public URL");
                text[at + PUBLIC.len() + "/console/reset/".len()..][..43].to_owned()
            })
            .collect()
    };

    // An unknown address gets the same answer and no mail.
    let (s, unknown) = ask(&h, "nobody@example.com").await;
    assert_eq!(s, 200);
    let (s, known) = ask(&h, " Ann@Example.com ").await;
    assert_eq!((s, &known), (200, &unknown), "the answer tells nothing about accounts");
    // The mail goes after the answer (so its timing tells nothing either).
    wait_for(|| links().len() == 1).await;
    let (s, _) = ask(&h, "ann@example.com").await;
    assert_eq!(s, 200);
    wait_for(|| links().len() == 2).await;
    let sent = links();

    // Only the newest link works; a bad password changes nothing.
    let (s, _) = use_link(&h, &sent[0], "a brand new password").await;
    assert_eq!(s, 410, "an older link stops working");
    let (s, _) = use_link(&h, &sent[1], "short").await;
    assert_eq!(s, 422);
    assert_eq!(ann.get("/console/apps").await.status, 200, "nothing changed yet");
    let (s, page) = use_link(&h, &sent[1], "a brand new password").await;
    assert_eq!(s, 200, "{page}");
    // Every session of the account ended; the old password is gone, the new one works.
    let r = ann.get("/console/apps").await;
    assert_eq!((r.status, r.location.as_deref().map(|l| l.starts_with("/console/login"))), (303, Some(true)));
    assert_eq!(log_in(&h, "ann@example.com", "correct horse battery").await, 401);
    assert_eq!(log_in(&h, "ann@example.com", "a brand new password").await, 303);
    // A link works once; a made-up one never.
    assert_eq!(use_link(&h, &sent[1], "yet another password").await.0, 410);
    assert_eq!(use_link(&h, &"x".repeat(43), "yet another password").await.0, 410);

    // An expired link does not work either.
    let account = h.store().account_by_email("ann@example.com").await.expect("read").expect("ann");
    let token = "e".repeat(43);
    let hash = sha2::Sha256::digest(token.as_bytes());
    h.store().create_password_reset(account.id, &hash, caas_storage::now_ms() - 1).await.expect("link");
    assert_eq!(use_link(&h, &token, "yet another password").await.0, 410);
    assert_eq!(log_in(&h, "ann@example.com", "a brand new password").await, 303);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_by_email_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_by_email_postgres() {
    run(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_email_the_page_says_so() {
    let h = TestServer::start(Backend::Sqlite).await;
    let (s, body) = ask(&h, "ann@example.com").await;
    assert_eq!(s, 503);
    assert!(body.contains("CAAS_SMTP_URL"), "{body}");
    h.stop().await;
}
