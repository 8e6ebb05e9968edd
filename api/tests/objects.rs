//! Objects and feeds over REST: posts, stories and reels in the common
//! envelope; who sees what (followers, close friends, conversation, private,
//! public; blocks; another app); home, explore and the stories strip; likes,
//! threaded comments, views, shares into chats; media readable through the
//! object; admin reads; bad input changes nothing.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, read};
use reqwest::Method;
use serde_json::{Value, json};

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([x as u8, y as u8, 7]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

async fn call(h: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = h.client.request(method, h.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

async fn post(h: &TestServer, token: &str, body: Value) -> String {
    let (s, b) = call(h, token, Method::POST, "/v1/objects", Some(body)).await;
    assert_eq!(s, 200, "{b}");
    b["object"]["id"].as_str().expect("id").to_owned()
}

fn ids(page: &Value, key: &str) -> Vec<String> {
    page[key].as_array().expect("list").iter().map(|o| o["id"].as_str().expect("id").to_owned()).collect()
}

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("Feeds", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let cat = h.session(&app, json!({"user_id": "cat"})).await;
    let eve = h.session(&app, json!({"user_id": "eve"})).await;
    // Bob and Cat follow Ann; Eve does not.
    for t in [&bob, &cat] {
        let (s, b) = call(&h, t, Method::POST, "/v1/users/ann/follow", None).await;
        assert_eq!(s, 200, "{b}");
    }

    // A post with a picture, for followers (the default).
    let (s, up) = read(
        h.client.post(h.url("/v1/files?name=pic.png")).bearer_auth(&ann).body(png()).send().await.expect("upload"),
    )
    .await;
    assert_eq!(s, 200, "{up}");
    let file = up["file"]["id"].as_str().expect("file id").to_owned();
    let (s, b) =
        call(&h, &ann, Method::POST, "/v1/objects", Some(json!({"kind": "post", "text": "Hello", "media": [file]})))
            .await;
    assert_eq!(s, 200, "{b}");
    let o = &b["object"];
    assert_eq!(
        (o["kind"].as_str(), o["owner_id"].as_str(), o["visibility"].as_str()),
        (Some("post"), Some("ann"), Some("followers"))
    );
    assert_eq!(o["payload"]["text"], "Hello");
    assert_eq!(o["payload"]["media"][0]["width"], 32, "dimensions kept");
    assert!(o["expires_at"].is_null());
    let p1 = o["id"].as_str().expect("id").to_owned();

    // Bob (a follower) sees it and its picture; Eve does not, nor its picture.
    let (s, _) = call(&h, &bob, Method::GET, &format!("/v1/objects/{p1}"), None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&h, &eve, Method::GET, &format!("/v1/objects/{p1}"), None).await;
    assert_eq!(s, 404);
    let pic = |t: &str| h.client.get(h.url(&format!("/v1/files/{file}"))).bearer_auth(t.to_owned()).send();
    assert_eq!(pic(&bob).await.expect("get").status(), 200, "a follower reads the post's media");
    assert_eq!(pic(&eve).await.expect("get").status(), 404);

    // A public post, a private one, a close-friends story, a conversation post.
    let p2 = post(&h, &ann, json!({"kind": "post", "text": "To everyone", "visibility": "public"})).await;
    let p3 = post(&h, &ann, json!({"kind": "post", "text": "Note to self", "visibility": "private"})).await;
    let (s, b) = call(&h, &ann, Method::PUT, "/v1/me/close-friends", Some(json!({"user_ids": ["cat"]}))).await;
    assert_eq!((s, b["user_ids"].clone()), (200, json!(["cat"])));
    let story = post(&h, &ann, json!({"kind": "story", "text": "Only for Cat", "visibility": "close_friends"})).await;
    let (s, b) = call(&h, &ann, Method::GET, &format!("/v1/objects/{story}"), None).await;
    assert_eq!(s, 200);
    assert!(b["object"]["expires_at"].is_string(), "a story expires");
    let (s, conv) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/conversations",
        Some(json!({"kind": "group", "name": "G", "members": ["eve"]})),
    )
    .await;
    assert_eq!(s, 200, "{conv}");
    let conv = conv["conversation"]["id"].as_str().expect("conv").to_owned();
    let p4 = post(
        &h,
        &ann,
        json!({"kind": "post", "text": "Group only", "visibility": "conversation", "conversation_id": conv}),
    )
    .await;

    // Who sees what, through the object listing of Ann's profile.
    let profile = |t: String| {
        let h = &h;
        async move {
            let (s, b) = call(h, &t, Method::GET, "/v1/objects?owner=ann", None).await;
            assert_eq!(s, 200, "{b}");
            ids(&b, "objects")
        }
    };
    assert_eq!(profile(ann.clone()).await, [p4.clone(), story.clone(), p3.clone(), p2.clone(), p1.clone()]);
    assert_eq!(profile(bob.clone()).await, [p2.clone(), p1.clone()], "follower: no private, no close-friends story");
    assert_eq!(profile(cat.clone()).await, [story.clone(), p2.clone(), p1.clone()], "close friend sees the story");
    assert_eq!(profile(eve.clone()).await, [p4.clone(), p2.clone()], "a stranger: public and her group's post");

    // Home feed (followed users' posts and reels), the stories strip, explore.
    let (_, home) = call(&h, &bob, Method::GET, "/v1/feed", None).await;
    assert_eq!(ids(&home, "objects"), [p2.clone(), p1.clone()]);
    let (_, strip) = call(&h, &cat, Method::GET, "/v1/feed/stories", None).await;
    assert_eq!(strip["rings"][0]["owner_id"], "ann");
    assert_eq!(strip["rings"][0]["all_seen"], false);
    let (_, strip) = call(&h, &bob, Method::GET, "/v1/feed/stories", None).await;
    assert_eq!(strip["rings"], json!([]), "not a close friend");
    let (_, explore) = call(&h, &eve, Method::GET, "/v1/feed/explore", None).await;
    assert_eq!(ids(&explore, "objects"), [p2.as_str()]);

    // Cursor pages of the home feed.
    let (_, first) = call(&h, &bob, Method::GET, "/v1/feed?limit=1", None).await;
    assert_eq!(ids(&first, "objects"), [p2.as_str()]);
    let cursor = first["next_cursor"].as_str().expect("cursor").to_owned();
    let (_, second) = call(&h, &bob, Method::GET, &format!("/v1/feed?limit=1&cursor={cursor}"), None).await;
    assert_eq!(ids(&second, "objects"), [p1.as_str()]);
    assert!(second["next_cursor"].is_null());

    // Likes (idempotent), views once per user, threaded comments.
    for _ in 0..2 {
        let (s, b) = call(&h, &bob, Method::PUT, &format!("/v1/objects/{p1}/like"), None).await;
        assert_eq!(
            (s, b["object"]["stats"]["likes"].clone(), b["object"]["liked"].clone()),
            (200, json!(1), json!(true))
        );
    }
    let (s, _) = call(&h, &eve, Method::PUT, &format!("/v1/objects/{p1}/like"), None).await;
    assert_eq!(s, 404, "cannot like what one cannot see");
    for _ in 0..2 {
        let (s, _) = call(&h, &cat, Method::POST, &format!("/v1/objects/{story}/views"), None).await;
        assert_eq!(s, 200);
    }
    let (_, b) = call(&h, &ann, Method::GET, &format!("/v1/objects/{story}/views"), None).await;
    assert_eq!(b["viewers"].as_array().map(Vec::len), Some(1));
    let (_, strip) = call(&h, &cat, Method::GET, "/v1/feed/stories", None).await;
    assert_eq!(strip["rings"][0]["all_seen"], true);
    let (s, _) = call(&h, &cat, Method::GET, &format!("/v1/objects/{story}/views"), None).await;
    assert_eq!(s, 403, "only the owner sees viewers");
    let (s, c1) =
        call(&h, &bob, Method::POST, &format!("/v1/objects/{p1}/comments"), Some(json!({"text": "Nice"}))).await;
    assert_eq!(s, 200, "{c1}");
    let c1 = c1["comment"]["id"].as_str().expect("comment").to_owned();
    let (s, _) = call(
        &h,
        &ann,
        Method::POST,
        &format!("/v1/objects/{p1}/comments"),
        Some(json!({"text": "Thanks", "parent_id": c1})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, top) = call(&h, &cat, Method::GET, &format!("/v1/objects/{p1}/comments"), None).await;
    assert_eq!(top["comments"][0]["text"], "Nice");
    assert_eq!(top["comments"][0]["reply_count"], 1);
    let (_, replies) = call(&h, &cat, Method::GET, &format!("/v1/objects/{p1}/comments?parent={c1}"), None).await;
    assert_eq!(replies["comments"][0]["text"], "Thanks");
    let (_, b) = call(&h, &cat, Method::GET, &format!("/v1/objects/{p1}"), None).await;
    assert_eq!(b["object"]["stats"]["comments"], 2);
    let (s, _) = call(&h, &cat, Method::DELETE, &format!("/v1/objects/{p1}/comments/{c1}"), None).await;
    assert_eq!(s, 403, "only the author or the owner deletes a comment");
    let (s, _) = call(&h, &bob, Method::DELETE, &format!("/v1/objects/{p1}/comments/{c1}"), None).await;
    assert_eq!(s, 200);
    let (_, top) = call(&h, &cat, Method::GET, &format!("/v1/objects/{p1}/comments"), None).await;
    assert_eq!((top["comments"][0]["deleted"].clone(), top["comments"][0]["text"].clone()), (json!(true), json!("")));
    assert_eq!(top["comments"][0]["reply_count"], 1, "replies stay");
    let (_, b) = call(&h, &cat, Method::GET, &format!("/v1/objects/{p1}"), None).await;
    assert_eq!(b["object"]["stats"]["comments"], 1);

    // Blocks hide everything, both ways.
    let (s, _) = call(&h, &ann, Method::POST, "/v1/users/bob/block", None).await;
    assert_eq!(s, 200);
    assert_eq!(profile(bob.clone()).await, Vec::<String>::new());
    let (_, home) = call(&h, &bob, Method::GET, "/v1/feed", None).await;
    assert_eq!(ids(&home, "objects"), Vec::<String>::new());
    let (_, top) = call(&h, &ann, Method::GET, &format!("/v1/objects/{p1}/comments"), None).await;
    assert_eq!(top["comments"], json!([]), "a blocked user's comments are hidden");
    let (s, _) = call(&h, &ann, Method::POST, "/v1/users/bob/unblock", None).await;
    assert_eq!(s, 200);

    // Sharing into a chat: a message referencing the object.
    let (s, m) = call(
        &h,
        &ann,
        Method::POST,
        &format!("/v1/objects/{p2}/share"),
        Some(json!({"conversation_id": conv, "text": "look"})),
    )
    .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["message"]["payload"]["object"], json!({"kind": "post", "id": p2, "owner_id": "ann"}));
    let (_, b) = call(&h, &eve, Method::GET, &format!("/v1/objects/{p2}"), None).await;
    assert_eq!(b["object"]["stats"]["shares"], 1);

    // Bad input: 422 with a code, nothing stored.
    for (body, code) in [
        (json!({"kind": "tweet", "text": "x"}), "invalid_kind"),
        (json!({"kind": "post"}), "empty_object"),
        (json!({"kind": "post", "text": "x", "visibility": "friends"}), "invalid_visibility"),
        (json!({"kind": "post", "text": "x", "visibility": "conversation"}), "invalid_visibility"),
        (json!({"kind": "reel", "text": "no video", "media": [file]}), "invalid_media"),
        (json!({"kind": "post", "text": "x".repeat(5001)}), "text_too_long"),
        (json!({"kind": "post", "text": "x", "color": "red"}), "invalid_body"),
    ] {
        let (s, b) = call(&h, &ann, Method::POST, "/v1/objects", Some(body)).await;
        assert_eq!((s, b["error"]["code"].as_str()), (422, Some(code)), "{b}");
    }
    let (s, b) = call(&h, &bob, Method::POST, "/v1/objects", Some(json!({"kind": "post", "media": [file]}))).await;
    assert_eq!(s, 404, "someone else's file: {b}");
    let (s, b) = call(&h, &ann, Method::GET, "/v1/objects?cursor=garbage", None).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_cursor")));
    assert_eq!(profile(ann.clone()).await.len(), 5, "nothing half-written");

    // Another app sees nothing, even public objects; its admin reads only its own.
    let other = h.create_app("Other", &["127.0.0.1"], &[]).await;
    let zed = h.session(&other, json!({"user_id": "zed"})).await;
    let (s, _) = call(&h, &zed, Method::GET, &format!("/v1/objects/{p2}"), None).await;
    assert_eq!(s, 404);
    let (_, b) = call(&h, &zed, Method::GET, "/v1/feed/explore", None).await;
    assert_eq!(b["objects"], json!([]));
    let (s, b) =
        read(h.admin(&other, Method::GET, &format!("/v1/admin/objects/{p2}")).send().await.expect("admin")).await;
    assert_eq!(s, 404, "{b}");
    let (s, b) = read(h.admin(&app, Method::GET, "/v1/admin/objects?kind=post").send().await.expect("admin")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b, "objects"), [p4.clone(), p3.clone(), p2.clone(), p1.clone()], "admin reads every post");

    // Deleting: the owner only.
    let (s, _) = call(&h, &bob, Method::DELETE, &format!("/v1/objects/{p1}"), None).await;
    assert_eq!(s, 404);
    let (s, _) = call(&h, &ann, Method::DELETE, &format!("/v1/objects/{p1}"), None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&h, &bob, Method::GET, &format!("/v1/objects/{p1}"), None).await;
    assert_eq!(s, 404);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_and_feeds_on_sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_and_feeds_on_postgres() {
    scenario(Backend::Postgres).await;
}
