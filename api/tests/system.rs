//! `/healthz`, `/readyz`, `/metrics` and `/openapi.json`.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, read};
use serde_json::json;

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    assert_eq!(read(h.client.get(h.url("/healthz")).send().await.unwrap()).await, (200, json!({"status": "ok"})));
    assert_eq!(read(h.client.get(h.url("/readyz")).send().await.unwrap()).await.0, 200);

    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    h.session(&app, json!({"user_id": "u-1"})).await;
    let metrics = h.client.get(h.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("caas_http_requests_total")
                && l.contains("route=\"/v1/admin/sessions\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no request counter for the sessions route in:\n{metrics}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 1.0);
    assert!(metrics.contains("caas_http_request_duration_seconds_bucket"), "no latency histogram");
    assert!(!metrics.contains(&app.id.to_string()), "an app id leaked into metric labels");

    let (s, doc) = read(h.client.get(h.url("/openapi.json")).send().await.unwrap()).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/healthz", &["get"][..]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
        ("/openapi.json", &["get"]),
        ("/v1/me", &["get"]),
        ("/v1/admin/sessions", &["post"]),
        ("/v1/admin/users/{user_id}", &["get", "put", "delete"]),
        ("/v1/admin/app", &["get", "patch"]),
        ("/v1/admin/app/rotate-secret", &["post"]),
        ("/v1/admin/app/rotate-signing-key", &["post"]),
        ("/v1/admin/conversations", &["post"]),
        ("/v1/admin/conversations/{id}/messages", &["post"]),
        ("/v1/ws", &["get"]),
        ("/v1/conversations", &["get", "post"]),
        ("/v1/conversations/{id}/read", &["post"]),
        ("/v1/conversations/{id}/settings", &["patch"]),
        ("/v1/conversations/{id}/members", &["post"]),
        ("/v1/messages/{id}", &["patch", "delete"]),
        ("/v1/messages/{id}/reactions", &["post"]),
        ("/v1/messages/{id}/reactions/{kind}", &["delete"]),
        ("/v1/messages/{id}/pin", &["post"]),
        ("/v1/messages/search", &["get"]),
        ("/v1/contacts", &["get"]),
        ("/v1/files", &["post"]),
        ("/v1/files/{id}", &["get"]),
        ("/v1/files/{id}/thumbnail", &["get"]),
        ("/v1/files/{id}/meta", &["get"]),
        ("/v1/users", &["get"]),
        ("/v1/users/{user_id}/{action}", &["post"]),
        ("/v1/conversations/{id}", &["get"]),
        ("/v1/conversations/{id}/messages", &["get", "post"]),
        ("/v1/calls/ice-servers", &["get"]),
        ("/v1/admin/usage/calls", &["get"]),
        ("/v1/collab/{doc_id}", &["get"]),
        ("/v1/docs", &["get", "post"]),
        ("/v1/docs/{id}", &["get", "delete"]),
        ("/v1/docs/{id}/state", &["get"]),
        ("/v1/docs/{id}/roles/{user_id}", &["put"]),
        ("/v1/docs/{id}/versions", &["get", "post"]),
        ("/v1/docs/{id}/versions/{version_id}/restore", &["post"]),
        ("/v1/objects", &["get", "post"]),
        ("/v1/objects/{id}", &["get", "delete"]),
        ("/v1/objects/{id}/like", &["put", "delete"]),
        ("/v1/objects/{id}/comments", &["get", "post"]),
        ("/v1/objects/{id}/comments/{comment_id}", &["delete"]),
        ("/v1/objects/{id}/views", &["get", "post"]),
        ("/v1/objects/{id}/share", &["post"]),
        ("/v1/feed", &["get"]),
        ("/v1/feed/explore", &["get"]),
        ("/v1/feed/stories", &["get"]),
        ("/v1/me/close-friends", &["get", "put"]),
        ("/v1/admin/objects", &["get"]),
        ("/v1/admin/objects/{id}", &["get"]),
        ("/v1/notifications", &["get"]),
        ("/v1/notifications/unread-count", &["get"]),
        ("/v1/notifications/read", &["post"]),
        ("/v1/notifications/preferences", &["get", "put"]),
        ("/v1/push/subscriptions", &["post", "delete"]),
        ("/v1/push/vapid-public-key", &["get"]),
        ("/v1/admin/webhooks", &["get", "post"]),
        ("/v1/admin/webhooks/{id}", &["delete"]),
        ("/v1/admin/webhooks/{id}/deliveries", &["get"]),
        ("/v1/calendar/events", &["get", "post"]),
        ("/v1/calendar/events/{id}", &["get", "patch", "delete"]),
        ("/v1/calendar/events/{id}/rsvp", &["post"]),
        ("/v1/calendar/occurrences", &["get"]),
        ("/v1/calendar/freebusy", &["post"]),
        ("/v1/calendar/feed.ics", &["get"]),
        ("/v1/calendar/import", &["post"]),
        ("/v1/tasks", &["get", "post"]),
        ("/v1/tasks/board", &["get"]),
        ("/v1/tasks/{id}", &["get", "patch", "delete"]),
        ("/v1/tasks/{id}/comments", &["get", "post"]),
        ("/v1/tasks/{id}/activity", &["get"]),
        ("/v1/admin/tasks/statuses", &["get", "put"]),
        ("/v1/admin/usage", &["get"]),
        ("/v1/admin/billing", &["get"]),
        ("/v1/admin/invoices", &["get"]),
        ("/v1/admin/invoices/{month}", &["get"]),
        ("/v1/admin/users/{user_id}/insights", &["get"]),
        ("/v1/admin/audit-log", &["get"]),
    ] {
        for m in methods {
            assert!(paths.get(path).and_then(|p| p.get(*m)).is_some(), "OpenAPI lacks {m} {path}");
        }
    }
    assert_eq!(paths.len(), 81, "every route is documented, and only those: {:?}", paths.keys().collect::<Vec<_>>());
    // Each response names its own schema: call usage is not billing's usage (issue 15 D10).
    let schema_of = |path: &str| {
        let r = &paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
        let name = r.as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        doc["components"]["schemas"][&name].clone()
    };
    let calls = schema_of("/v1/admin/usage/calls");
    assert!(calls["properties"].get("days").is_some() && calls["properties"].get("totals").is_none(), "{calls}");
    assert!(schema_of("/v1/admin/usage")["properties"].get("totals").is_some());
    h.stop().await;
}

on_both_backends!(scenario);
