//! Files: upload (sniffed type, SHA-256, image size and thumbnail, size limit),
//! download by the uploader, by members of conversations it was shared in, or by
//! anyone in the app when public; never by another app.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, WsClient, read};
use serde_json::json;
use sha2::{Digest, Sha256};

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn scenario(backend: Backend) {
    let h = TestServer::start_with(backend, |c| c.max_file_bytes = 200_000).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let bob = h.session(&app, json!({"user_id": "bob"})).await;
    let eve = h.session(&app, json!({"user_id": "eve"})).await;
    let upload = |token: &str, name: &str, body: Vec<u8>, public: bool| {
        h.client.post(h.url(&format!("/v1/files?name={name}&public={public}"))).bearer_auth(token).body(body).send()
    };

    let picture = png(640, 480);
    let (s, body) = read(upload(&ann, "cat.png", picture.clone(), false).await.unwrap()).await;
    assert_eq!(s, 200, "{body}");
    let file = &body["file"];
    assert_eq!(file["content_type"], "image/png", "sniffed from the bytes");
    assert_eq!((file["width"].clone(), file["height"].clone()), (json!(640), json!(480)));
    assert_eq!(file["size"], picture.len());
    let digest: String = Sha256::digest(&picture).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(file["sha256"], digest.as_str());
    assert_eq!(file["has_thumbnail"], true);
    let id = file["id"].as_str().unwrap().to_owned();

    // The uploader downloads the same bytes; the thumbnail is a small PNG.
    let res = h.client.get(h.url(&format!("/v1/files/{id}"))).bearer_auth(&ann).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), picture.as_slice());
    let thumb = h.client.get(h.url(&format!("/v1/files/{id}/thumbnail?token={ann}"))).send().await.unwrap();
    assert_eq!(thumb.status(), 200);
    let t = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert!(t.width() <= 256 && t.height() <= 256 && t.width() == 256);

    // Others cannot see it until it is shared in their conversation.
    let get = |token: &str| h.client.get(h.url(&format!("/v1/files/{id}"))).bearer_auth(token.to_owned()).send();
    assert_eq!(get(&bob).await.unwrap().status(), 404);
    let mut a = WsClient::connect(&h, &ann, None).await;
    a.frame().await;
    let conv = a.ok("conversation.create", json!({"kind": "direct", "members": ["bob"]})).await;
    let cid = conv["conversation"]["id"].as_str().unwrap().to_owned();
    let sent = a.ok("message.send", json!({"conversation_id": cid, "text": "", "attachments": [id]})).await;
    assert_eq!(sent["message"]["attachments"][0]["name"], "cat.png");
    assert_eq!(sent["message"]["attachments"][0]["width"], 640);
    let list = a.ok("conversation.list", json!({})).await;
    assert_eq!(
        list["conversations"][0]["last_message"]["attachments"][0]["name"], "cat.png",
        "the chat list previews attachments"
    );
    assert_eq!(get(&bob).await.unwrap().status(), 200);
    assert_eq!(get(&eve).await.unwrap().status(), 404);
    // Deleting the message for everyone removes its attachments from it.
    let gone = a.ok("message.delete", json!({"message_id": sent["message"]["id"]})).await;
    assert_eq!(gone["message"]["attachments"], json!([]));
    // Bob cannot re-share Eve's private file; Eve cannot attach Ann's.
    let (s, b) = read(upload(&eve, "notes.txt", b"hello eve".to_vec(), false).await.unwrap()).await;
    assert_eq!((s, b["file"]["content_type"].clone()), (200, json!("text/plain")));
    let eve_file = b["file"]["id"].as_str().unwrap().to_owned();
    let bad = a.request("message.send", json!({"conversation_id": cid, "text": "x", "attachments": [eve_file]})).await;
    assert_eq!(bad["error"]["code"], "invalid_attachment");

    // Public files are visible to everyone in the app, and to no other app.
    let (_, b) = read(upload(&eve, "flyer.txt", b"open to all".to_vec(), true).await.unwrap()).await;
    let public_id = b["file"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        h.client.get(h.url(&format!("/v1/files/{public_id}"))).bearer_auth(&bob).send().await.unwrap().status(),
        200
    );
    let other = h.create_app("B", &["127.0.0.1"], &[]).await;
    let zed = h.session(&other, json!({"user_id": "ann"})).await;
    assert_eq!(
        h.client.get(h.url(&format!("/v1/files/{public_id}"))).bearer_auth(&zed).send().await.unwrap().status(),
        404
    );
    assert_eq!(get(&zed).await.unwrap().status(), 404);

    // Limits and bad input.
    let (s, b) = read(upload(&ann, "big.bin", vec![7u8; 200_001], false).await.unwrap()).await;
    assert_eq!((s, b["error"]["code"].clone()), (413, json!("payload_too_large")));
    let (s, b) = read(upload(&ann, "empty", Vec::new(), false).await.unwrap()).await;
    assert_eq!((s, b["error"]["code"].clone()), (422, json!("empty_file")));
    let (s, b) = read(h.client.post(h.url("/v1/files")).body("x").send().await.unwrap()).await;
    assert_eq!((s, b["error"]["code"].clone()), (401, json!("invalid_token")));
    a.close().await;
    h.stop().await;
}

on_both_backends!(scenario);
