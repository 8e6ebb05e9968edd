//! A small file that declares a huge picture (a decompression bomb, issue 15
//! D6) is stored with its size but never decoded: no thumbnail, and the
//! server does not expand it into hundreds of megabytes. An ordinary picture
//! still gets its thumbnail.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;

use common::{Backend, TestServer, read};
use serde_json::json;

/// A valid PNG of `w`×`h` black pixels, 1 bit per pixel: a few kilobytes for
/// any size, since the zeros compress to almost nothing.
fn bomb(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // 1-bit grayscale, deflate, no filter, no interlace
    let row = vec![0u8; 1 + w.div_ceil(8) as usize];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..h {
        z.write_all(&row).unwrap();
    }
    let idat = z.finish().unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("A", &["127.0.0.1"], &[]).await;
    let ann = h.session(&app, json!({"user_id": "ann"})).await;
    let upload = |name: &str, body: Vec<u8>| {
        h.client.post(h.url(&format!("/v1/files?name={name}"))).bearer_auth(&ann).body(body).send()
    };

    let huge = bomb(12_000, 12_000);
    assert!(huge.len() < 100_000, "the bomb is small: {} bytes", huge.len());
    let (s, body) = read(upload("bomb.png", huge).await.unwrap()).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["file"]["content_type"], "image/png");
    assert_eq!((body["file"]["width"].clone(), body["file"]["height"].clone()), (json!(12_000), json!(12_000)));
    assert_eq!(body["file"]["has_thumbnail"], false, "a picture past the pixel cap is never decoded");

    let small = bomb(640, 480);
    let (s, body) = read(upload("small.png", small).await.unwrap()).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["file"]["has_thumbnail"], true, "ordinary pictures still get a thumbnail");
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
