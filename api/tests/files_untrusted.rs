//! Uploaded files never run on the API's origin (stored XSS, issue 15 D2): a
//! page, an SVG or an XML file is served as `application/octet-stream` to
//! download (`attachment`), with `nosniff` and a sandboxing CSP; a picture or
//! plain text is shown inline as itself, and sandboxed too.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, read};
use serde_json::json;

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(4, 4, image::Rgb([200, 10, 10]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let page = b"<!DOCTYPE html><html><body><script>fetch('/console/login')</script></body></html>".to_vec();
    let svg =
        br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let cases = [
        ("p.html", page, "application/octet-stream", "attachment"),
        ("x.svg", svg, "application/octet-stream", "attachment"),
        ("cat.png", png(), "image/png", "inline"),
        ("notes.txt", b"just words".to_vec(), "text/plain", "inline"),
    ];
    for (name, bytes, served_as, disposition) in cases {
        let res = h.client.post(h.url(&format!("/v1/files?name={name}"))).bearer_auth(&ann).body(bytes.clone());
        let (s, body) = read(res.send().await.unwrap()).await;
        assert_eq!(s, 200, "{body}");
        let id = body["file"]["id"].as_str().unwrap().to_owned();
        let res = h.client.get(h.url(&format!("/v1/files/{id}?token={ann}"))).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let headers = res.headers().clone();
        assert_eq!(headers["content-type"], served_as, "{name}");
        let cd = headers["content-disposition"].to_str().unwrap();
        assert!(cd.starts_with(disposition), "{name}: {cd}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{name}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("sandbox"), "{name}: {csp}");
        assert!(!csp.contains("script-src"), "no script may run: {csp}");
        assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice(), "{name}: the bytes as uploaded");
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    scenario(Backend::Postgres).await;
}
