//! The admin API answers only callers in the app's IP allowlist; `X-Forwarded-For`
//! counts only when it comes from a trusted proxy.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestApp, TestServer, assert_error, read};
use serde_json::json;

async fn session_from(
    h: &TestServer,
    client: &reqwest::Client,
    app: &TestApp,
    xff: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut req = client
        .post(h.url("/v1/admin/sessions"))
        .basic_auth(&app.api_key, Some(&app.api_secret))
        .json(&json!({"user_id": "u-1"}));
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    read(req.send().await.expect("request")).await
}

async fn without_proxies(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1/32"], &[]).await;
    let inside = h.client_from("127.0.0.1");
    let outside = h.client_from("127.0.0.2");

    assert_eq!(session_from(&h, &inside, &app, None).await.0, 200);
    let (s, b) = session_from(&h, &outside, &app, None).await;
    assert_error(s, &b, 403, "ip_not_allowed");
    // A spoofed header from an untrusted peer is ignored.
    let (s, b) = session_from(&h, &outside, &app, Some("127.0.0.1")).await;
    assert_error(s, &b, 403, "ip_not_allowed");
    // Wrong credentials from outside still say 401, not 403.
    let (s, b) = read(
        outside
            .post(h.url("/v1/admin/sessions"))
            .basic_auth(&app.api_key, Some("cs_bad"))
            .json(&json!({"user_id": "u"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &b, 401, "unauthorized");

    // A CIDR covering both addresses lets both in (set through the admin API).
    let (s, b) = read(
        inside
            .patch(h.url("/v1/admin/app"))
            .basic_auth(&app.api_key, Some(&app.api_secret))
            .json(&json!({"allowed_ips": ["127.0.0.0/30", "2001:db8::/32"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["allowed_ips"], json!(["127.0.0.0/30", "2001:db8::/32"]));
    assert_eq!(session_from(&h, &outside, &app, None).await.0, 200);
    // An empty list locks the admin API.
    let (s, _) = read(
        inside
            .patch(h.url("/v1/admin/app"))
            .basic_auth(&app.api_key, Some(&app.api_secret))
            .json(&json!({"allowed_ips": []}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let (s, b) = session_from(&h, &inside, &app, None).await;
    assert_error(s, &b, 403, "ip_not_allowed");
    h.stop().await;
}

async fn behind_trusted_proxy(backend: Backend) {
    let h = TestServer::start_with(backend, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let app = h.create_app("A", &["203.0.113.0/24", "2001:db8::/32"], &[]).await;
    let proxy = h.client_from("127.0.0.1");
    let stranger = h.client_from("127.0.0.3");

    // Through the proxy, the forwarded client address is what counts (IPv4 and IPv6).
    assert_eq!(session_from(&h, &proxy, &app, Some("203.0.113.9")).await.0, 200);
    assert_eq!(session_from(&h, &proxy, &app, Some("2001:db8::5")).await.0, 200);
    let (s, b) = session_from(&h, &proxy, &app, Some("198.51.100.1")).await;
    assert_error(s, &b, 403, "ip_not_allowed");
    // A client that prepends a forged allowed address is judged by the hop the proxy saw.
    let (s, b) = session_from(&h, &proxy, &app, Some("203.0.113.9, 198.51.100.1")).await;
    assert_error(s, &b, 403, "ip_not_allowed");
    // The proxy itself, with no header, is not in the list.
    let (s, b) = session_from(&h, &proxy, &app, None).await;
    assert_error(s, &b, 403, "ip_not_allowed");
    // An untrusted peer cannot use the header at all.
    let (s, b) = session_from(&h, &stranger, &app, Some("203.0.113.9")).await;
    assert_error(s, &b, 403, "ip_not_allowed");
    h.stop().await;
}

mod direct {
    use super::*;
    on_both_backends!(without_proxies);
}

mod proxied {
    use super::*;
    on_both_backends!(behind_trusted_proxy);
}
