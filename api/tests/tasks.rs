//! Tasks: made from a message (members only), assigned, moved through statuses
//! with an activity log of who changed what, commented, shown on a board by
//! position, filtered and paged; seen by creator, assignees and conversation
//! members only; an app's own status list; bad input refused without a trace.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

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

fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("list").iter().map(|t| t["id"].as_str().expect("id").to_owned()).collect()
}

/// `(status, [task titles])` of each board column.
fn columns(board: &Value) -> Vec<(String, Vec<String>)> {
    board["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            let titles = c["tasks"].as_array().expect("tasks").iter();
            let titles = titles.map(|t| t["payload"]["title"].as_str().expect("title").to_owned()).collect();
            (c["status"].as_str().expect("status").to_owned(), titles)
        })
        .collect()
}

fn col(status: &str, titles: &[&str]) -> (String, Vec<String>) {
    (status.to_owned(), titles.iter().map(|t| (*t).to_owned()).collect())
}

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("Tasks", &["127.0.0.1"], &[]).await;
    let [ann, bob, carol, dave] = [
        h.session(&app, json!({"user_id": "ann"})).await,
        h.session(&app, json!({"user_id": "bob"})).await,
        h.session(&app, json!({"user_id": "carol"})).await,
        h.session(&app, json!({"user_id": "dave"})).await,
    ];
    let other = h.create_app("Other", &["127.0.0.1"], &[]).await;
    let zed = h.session(&other, json!({"user_id": "ann"})).await;
    let (_, conv) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/conversations",
        Some(json!({"kind": "group", "members": ["bob", "carol"], "name": "Team"})),
    )
    .await;
    let conv = conv["conversation"]["id"].as_str().expect("conversation").to_owned();
    let (s, msg) = call(
        &h,
        &bob,
        Method::POST,
        &format!("/v1/conversations/{conv}/messages"),
        Some(json!({"text": "\n  Fix the login bug  \nIt fails on Safari."})),
    )
    .await;
    assert_eq!(s, 200, "{msg}");
    let msg = msg["message"]["id"].as_str().expect("message").to_owned();

    // Bad input: a clear code, nothing written.
    for (body, status, code) in [
        (json!({"title": "  "}), 422, "invalid_title"),
        (json!({"title": "x", "status": "blocked"}), 422, "invalid_status"),
        (json!({"title": "x", "priority": "asap"}), 422, "invalid_priority"),
        (json!({"title": "x", "due_at": "someday"}), 422, "invalid_due"),
        (json!({"title": "x", "assignees": ["ghost"]}), 422, "unknown_user"),
        (json!({"title": "x", "description": "d".repeat(8001)}), 422, "invalid_description"),
        (json!({"title": "x", "colour": "red"}), 422, "invalid_body"),
        (json!({"message_id": msg}), 422, "conversation_required"),
        (json!({"conversation_id": conv, "message_id": conv}), 404, "not_found"),
    ] {
        let (s, b) = call(&h, &ann, Method::POST, "/v1/tasks", Some(body.clone())).await;
        assert_eq!((s, b["error"]["code"].as_str()), (status, Some(code)), "{body} -> {b}");
    }
    let (s, _) =
        call(&h, &dave, Method::POST, "/v1/tasks", Some(json!({"conversation_id": conv, "message_id": msg}))).await;
    assert_eq!(s, 404, "a non-member cannot make a task from the conversation's message");
    let (_, list) = call(&h, &ann, Method::GET, "/v1/tasks", None).await;
    assert_eq!(list["tasks"], json!([]), "nothing was half-created");

    // From a message: the title is its first line; members see it.
    let (s, t) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/tasks",
        Some(json!({"conversation_id": conv, "message_id": msg, "assignees": ["bob"], "due_at": "2025-06-01T12:00:00Z", "priority": "high"})),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let task = &t["task"];
    let bug = task["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (task["kind"].as_str(), task["owner_id"].as_str(), task["visibility"].as_str()),
        (Some("task"), Some("ann"), Some("conversation"))
    );
    assert_eq!(task["payload"]["title"], "Fix the login bug");
    assert_eq!(task["payload"]["message_id"], msg.as_str());
    assert_eq!(
        (task["payload"]["status"].as_str(), task["payload"]["priority"].as_str()),
        (Some("todo"), Some("high"))
    );
    assert_eq!(task["payload"]["due_at"], "2025-06-01T12:00:00Z");
    assert_eq!(task["payload"]["assignees"], json!(["bob"]));

    // A private task assigned to Dave (outside the conversation).
    let (_, p) =
        call(&h, &ann, Method::POST, "/v1/tasks", Some(json!({"title": "Private thing", "assignees": ["dave"]}))).await;
    let private = p["task"]["id"].as_str().expect("id").to_owned();
    assert_eq!(p["task"]["visibility"], "private");

    // Visibility.
    let bug_path = format!("/v1/tasks/{bug}");
    let private_path = format!("/v1/tasks/{private}");
    assert_eq!(call(&h, &carol, Method::GET, &bug_path, None).await.0, 200, "a member");
    assert_eq!(call(&h, &dave, Method::GET, &bug_path, None).await.0, 404, "not a member");
    assert_eq!(call(&h, &zed, Method::GET, &bug_path, None).await.0, 404, "another app");
    assert_eq!(call(&h, &zed, Method::PATCH, &bug_path, Some(json!({"status": "done"}))).await.0, 404);
    assert_eq!(call(&h, &carol, Method::GET, &private_path, None).await.0, 404);
    assert_eq!(call(&h, &dave, Method::GET, &private_path, None).await.0, 200, "an assignee");
    let (_, z) = call(&h, &zed, Method::GET, "/v1/tasks", None).await;
    assert_eq!(z["tasks"], json!([]));

    // Status changes and reassignment, logged with who and what.
    let (s, b) = call(&h, &bob, Method::PATCH, &bug_path, Some(json!({"status": "doing"}))).await;
    assert_eq!((s, b["task"]["payload"]["status"].as_str()), (200, Some("doing")), "{b}");
    let (s, _) =
        call(&h, &carol, Method::PATCH, &bug_path, Some(json!({"status": "done", "assignees": ["carol", "bob"]})))
            .await;
    assert_eq!(s, 200);
    let (s, b) =
        call(&h, &carol, Method::PATCH, &bug_path, Some(json!({"status": "blocked", "title": "Renamed"}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_status")));
    let (s, b) =
        call(&h, &carol, Method::PATCH, &bug_path, Some(json!({"due_at": null, "description": "See the thread"})))
            .await;
    assert_eq!((s, &b["task"]["payload"]["due_at"]), (200, &Value::Null));
    let (_, b) = call(&h, &ann, Method::GET, &bug_path, None).await;
    assert_eq!(b["task"]["payload"]["title"], "Fix the login bug", "the refused change changed nothing");
    assert_eq!(b["task"]["payload"]["assignees"], json!(["bob", "carol"]));
    let (s, c) = call(&h, &bob, Method::POST, &format!("{bug_path}/comments"), Some(json!({"text": "On it"}))).await;
    assert_eq!((s, c["author_id"].as_str()), (200, Some("bob")), "{c}");
    let (s, b) = call(&h, &bob, Method::POST, &format!("{bug_path}/comments"), Some(json!({"text": " "}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_text")));
    assert_eq!(
        call(&h, &dave, Method::POST, &format!("{bug_path}/comments"), Some(json!({"text": "hi"}))).await.0,
        404
    );
    let (_, cs) = call(&h, &carol, Method::GET, &format!("{bug_path}/comments"), None).await;
    assert_eq!(cs["comments"][0]["text"], "On it");
    let (s, log) = call(&h, &ann, Method::GET, &format!("{bug_path}/activity"), None).await;
    assert_eq!(s, 200, "{log}");
    let entries: Vec<(String, String, Value, Value)> = log["activity"]
        .as_array()
        .expect("activity")
        .iter()
        .map(|a| {
            (
                a["actor_id"].as_str().unwrap_or("").to_owned(),
                a["action"].as_str().unwrap_or("").to_owned(),
                a["from"].clone(),
                a["to"].clone(),
            )
        })
        .collect();
    let actions: Vec<(&str, &str)> = entries.iter().map(|(who, what, _, _)| (who.as_str(), what.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("ann", "created"),
            ("bob", "status"),
            ("carol", "status"),
            ("carol", "assignees"),
            ("carol", "description"),
            ("carol", "due"),
            ("bob", "comment")
        ]
    );
    assert_eq!((&entries[1].2, &entries[1].3), (&json!("todo"), &json!("doing")));
    assert_eq!((&entries[2].2, &entries[2].3), (&json!("doing"), &json!("done")));
    assert_eq!((&entries[3].2, &entries[3].3), (&json!(["bob"]), &json!(["bob", "carol"])));

    // The board: columns by status, tasks by position; moving and re-ordering.
    for title in ["Write docs", "Deploy"] {
        let (s, _) =
            call(&h, &carol, Method::POST, "/v1/tasks", Some(json!({"title": title, "conversation_id": conv}))).await;
        assert_eq!(s, 200);
    }
    let board = format!("/v1/tasks/board?conversation={conv}");
    let (s, b) = call(&h, &bob, Method::GET, &board, None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        columns(&b),
        [col("todo", &["Write docs", "Deploy"]), col("doing", &[]), col("done", &["Fix the login bug"])]
    );
    let deploy = b["columns"][0]["tasks"][1]["id"].as_str().expect("id").to_owned();
    let docs = b["columns"][0]["tasks"][0]["id"].as_str().expect("id").to_owned();
    let (s, _) = call(&h, &bob, Method::PATCH, &format!("/v1/tasks/{deploy}"), Some(json!({"position": 0.5}))).await;
    assert_eq!(s, 200);
    call(&h, &bob, Method::PATCH, &format!("/v1/tasks/{docs}"), Some(json!({"status": "doing"}))).await;
    let (_, b) = call(&h, &ann, Method::GET, &board, None).await;
    assert_eq!(
        columns(&b),
        [col("todo", &["Deploy"]), col("doing", &["Write docs"]), col("done", &["Fix the login bug"])]
    );
    assert_eq!(call(&h, &dave, Method::GET, &board, None).await.0, 404, "not a member");
    assert_eq!(call(&h, &zed, Method::GET, &board, None).await.0, 404, "another app");

    // Filters and paging.
    let (_, l) = call(&h, &ann, Method::GET, &format!("/v1/tasks?conversation={conv}"), None).await;
    assert_eq!(l["tasks"].as_array().map(Vec::len), Some(3));
    let (_, l) = call(&h, &ann, Method::GET, "/v1/tasks?assignee=bob", None).await;
    assert_eq!(ids(&l["tasks"]), [bug.as_str()]);
    let (_, l) = call(&h, &ann, Method::GET, "/v1/tasks?status=doing", None).await;
    assert_eq!(ids(&l["tasks"]), [docs.as_str()]);
    let (_, l) = call(&h, &dave, Method::GET, "/v1/tasks", None).await;
    assert_eq!(ids(&l["tasks"]), [private.as_str()], "Dave sees only his own");
    let (_, p1) = call(&h, &ann, Method::GET, "/v1/tasks?limit=2", None).await;
    let cursor = p1["next_cursor"].as_str().expect("more").to_owned();
    let (_, p2) = call(&h, &ann, Method::GET, &format!("/v1/tasks?limit=2&cursor={cursor}"), None).await;
    let mut all = ids(&p1["tasks"]);
    all.extend(ids(&p2["tasks"]));
    all.sort();
    all.dedup();
    assert_eq!((all.len(), p2["next_cursor"].is_null()), (4, true));
    let (s, b) = call(&h, &ann, Method::GET, "/v1/tasks?limit=0", None).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_limit")));

    // The app's own statuses.
    let admin = |m: Method, body: Option<Value>| {
        let req = h.admin(&app, m, "/v1/admin/tasks/statuses");
        async move {
            read(
                match body {
                    Some(b) => req.json(&b),
                    None => req,
                }
                .send()
                .await
                .expect("admin"),
            )
            .await
        }
    };
    assert_eq!(admin(Method::GET, None).await, (200, json!({"statuses": ["todo", "doing", "done"]})));
    let (s, b) = admin(Method::PUT, Some(json!({"statuses": ["backlog", "backlog"]}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_statuses")));
    let (s, b) = admin(Method::PUT, Some(json!({"statuses": ["x".repeat(33)]}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_statuses")));
    let (s, b) = admin(Method::PUT, Some(json!({"statuses": ["backlog", "in progress", "review", "done"]}))).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/tasks",
        Some(json!({"title": "Audit", "status": "review", "conversation_id": conv})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = call(&h, &ann, Method::PATCH, &format!("/v1/tasks/{deploy}"), Some(json!({"status": "doing"}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_status")), "no longer in the list");
    let (_, b) = call(&h, &ann, Method::GET, &board, None).await;
    assert_eq!(
        columns(&b),
        [
            col("backlog", &[]),
            col("in progress", &[]),
            col("review", &["Audit"]),
            col("done", &["Fix the login bug"]),
            col("todo", &["Deploy"]),
            col("doing", &["Write docs"]),
        ],
        "listed statuses first, then those tasks still carry"
    );
    let (_, b) = call(&h, &ann, Method::POST, "/v1/tasks", Some(json!({"title": "New"}))).await;
    assert_eq!(b["task"]["payload"]["status"], "backlog", "the first status is the default");

    // Delete: the creator only.
    assert_eq!(call(&h, &bob, Method::DELETE, &bug_path, None).await.0, 403);
    assert_eq!(call(&h, &ann, Method::DELETE, &bug_path, None).await.0, 200);
    assert_eq!(call(&h, &bob, Method::GET, &bug_path, None).await.0, 404);
    assert_eq!(call(&h, &bob, Method::GET, &format!("{bug_path}/activity"), None).await.0, 404);
    assert_eq!(call(&h, &ann, Method::GET, "/v1/tasks/not-an-id", None).await.0, 404);
    h.stop().await;
}

on_both_backends!(scenario);
