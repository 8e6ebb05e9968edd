//! `Store::due_reminders`: event reminders per occurrence and attendee (not
//! for those who declined), task due dates for assignees (or the creator),
//! done tasks left out, every app's reminders in one scan, each with its app.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use caas_storage::{DueReminder, ReminderKind};
use common::{Backend, TestServer, read};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(h: &TestServer, token: &str, method: Method, path: &str, body: Value) -> Value {
    let (s, b) =
        read(h.client.request(method, h.url(path)).bearer_auth(token).json(&body).send().await.expect("request")).await;
    assert_eq!(s, 200, "{path}: {b}");
    b
}

fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).expect("time").timestamp_millis()
}

fn brief(r: &DueReminder) -> (String, &'static str, String, i64, i64) {
    (r.user_id.to_string(), r.kind.as_str(), r.title.clone(), r.at, r.occurs_at)
}

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("Reminders", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    h.session(&app, json!({"user_id": "carol"})).await;
    let other = h.create_app("Other", &["127.0.0.1"], &[]).await;
    let zed = h.session(&other, json!({"user_id": "zed"})).await;

    // Daily 09:00 in Berlin (winter: 08:00 UTC), reminders 15 and 60 minutes before.
    let ev = call(
        &h,
        &ann,
        Method::POST,
        "/v1/calendar/events",
        json!({"title": "Daily", "time_zone": "Europe/Berlin", "start": "2030-01-07T09:00", "rrule": "FREQ=DAILY",
               "reminders": [60, 15], "attendees": ["bob", "carol"]}),
    )
    .await;
    let ev_id = ev["event"]["id"].as_str().expect("id").to_owned();
    call(&h, &bob, Method::POST, &format!("/v1/calendar/events/{ev_id}/rsvp"), json!({"rsvp": "declined"})).await;
    // A task due in the window (assigned), one unassigned, one done, one later.
    call(
        &h,
        &ann,
        Method::POST,
        "/v1/tasks",
        json!({"title": "Report", "due_at": "2030-01-08T07:50:00Z", "assignees": ["bob"]}),
    )
    .await;
    call(&h, &ann, Method::POST, "/v1/tasks", json!({"title": "Mine", "due_at": "2030-01-08T07:55:00Z"})).await;
    let done =
        call(&h, &ann, Method::POST, "/v1/tasks", json!({"title": "Finished", "due_at": "2030-01-08T07:51:00Z"})).await;
    let done_id = done["task"]["id"].as_str().expect("id").to_owned();
    call(&h, &ann, Method::PATCH, &format!("/v1/tasks/{done_id}"), json!({"status": "done"})).await;
    call(&h, &ann, Method::POST, "/v1/tasks", json!({"title": "Later", "due_at": "2030-01-09T07:50:00Z"})).await;
    // Another app's event: the scan covers every app.
    call(
        &h,
        &zed,
        Method::POST,
        "/v1/calendar/events",
        json!({"title": "Elsewhere", "start": "2030-01-08T08:30:00Z", "reminders": [0]}),
    )
    .await;

    // 07:00–08:00 UTC on 8 January: the 60-minute reminder at 07:00, the 15-minute one at 07:45.
    let got = h.store().due_reminders(ms("2030-01-08T07:00:00Z"), ms("2030-01-08T08:00:00Z")).await.expect("due");
    let occurs = ms("2030-01-08T08:00:00Z");
    let want = vec![
        ("ann".to_owned(), "event", "Daily".to_owned(), ms("2030-01-08T07:00:00Z"), occurs),
        ("carol".to_owned(), "event", "Daily".to_owned(), ms("2030-01-08T07:00:00Z"), occurs),
        ("ann".to_owned(), "event", "Daily".to_owned(), ms("2030-01-08T07:45:00Z"), occurs),
        ("carol".to_owned(), "event", "Daily".to_owned(), ms("2030-01-08T07:45:00Z"), occurs),
        ("bob".to_owned(), "task", "Report".to_owned(), ms("2030-01-08T07:50:00Z"), ms("2030-01-08T07:50:00Z")),
        ("ann".to_owned(), "task", "Mine".to_owned(), ms("2030-01-08T07:55:00Z"), ms("2030-01-08T07:55:00Z")),
    ];
    let mut brief_got: Vec<_> = got.iter().map(brief).collect();
    brief_got.sort_by_key(|b| (b.3, b.1, b.0.clone()));
    let mut want_sorted = want.clone();
    want_sorted.sort_by_key(|b| (b.3, b.1, b.0.clone()));
    assert_eq!(brief_got, want_sorted);
    assert!(got.iter().all(|r| r.app_id == app.id));
    assert!(got.iter().filter(|r| r.kind == ReminderKind::Event).all(|r| r.object_id == ev_id));

    // The other app's reminder fires at 08:30, with its own app id; windows do not overlap.
    let got = h.store().due_reminders(ms("2030-01-08T08:00:00Z"), ms("2030-01-08T09:00:00Z")).await.expect("due");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].app_id, got[0].title.as_str(), got[0].user_id.as_str()), (other.id, "Elsewhere", "zed"));
    assert!(h.store().due_reminders(10, 10).await.expect("empty window").is_empty());
    h.stop().await;
}

on_both_backends!(scenario);
