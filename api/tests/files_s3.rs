//! Files in an S3-compatible bucket (`CAAS_BLOB_URL=s3://…`): uploads land in the
//! bucket under the app's prefix, downloads and thumbnails read them back. The
//! S3 server is moto's standalone server (`moto_server`, installed by `.ci/run`)
//! on 127.0.0.1, spoken to over plain HTTP with SigV4-signed requests.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Child, Command, Stdio};

use common::{CaasProcess, read};
use object_store::ObjectStoreExt;
use serde_json::json;

/// A `moto_server` on an ephemeral loopback port, killed when dropped.
struct S3Server {
    child: Child,
    url: String,
}

impl S3Server {
    async fn start() -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server is installed (pip install 'moto[server]'; .ci/run does it)");
        let server = S3Server { child, url: format!("http://127.0.0.1:{port}") };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client.get(&server.url).send().await.is_ok() {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("moto_server did not answer on {}", server.url);
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 7]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_stored_in_an_s3_bucket() {
    let s3 = S3Server::start().await;
    let http = reqwest::Client::new();
    assert!(http.put(format!("{}/caas-files", s3.url)).send().await.expect("create bucket").status().is_success());

    let data = tempfile::tempdir().expect("data dir");
    let db_url = format!("sqlite://{}/caas.db", data.path().display());
    let store = caas_storage::Store::connect(&db_url).await.expect("store");
    let app = caas_api::apps::create_app(&store, "S3", &["127.0.0.1".into()], &[]).await.expect("app");
    store.close().await;
    let blob_url = format!("s3://caas-files?endpoint={}&region=us-east-1", s3.url);
    let data_dir = data.path().display().to_string();
    let node = CaasProcess::start(&[
        ("CAAS_DATA_DIR", data_dir.as_str()),
        ("CAAS_DATABASE_URL", db_url.as_str()),
        ("CAAS_BLOB_URL", blob_url.as_str()),
        ("AWS_ACCESS_KEY_ID", "caas-test"),
        ("AWS_SECRET_ACCESS_KEY", "caas-test-secret"),
    ]);
    let (s, b) = read(
        http.post(node.url("/v1/admin/sessions"))
            .basic_auth(&app.app.api_key, Some(&app.api_secret))
            .json(&json!({"user_id": "ann"}))
            .send()
            .await
            .expect("session"),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let token = b["token"].as_str().expect("token").to_owned();

    // A picture larger than one multipart chunk goes up through the API…
    let picture = png(1600, 1200);
    let (s, b) = read(
        http.post(node.url("/v1/files?name=big.png"))
            .bearer_auth(&token)
            .body(picture.clone())
            .send()
            .await
            .expect("upload"),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["file"]["has_thumbnail"], true);
    let id = b["file"]["id"].as_str().expect("id").to_owned();

    // …lands in the bucket under the app's prefix, with its thumbnail…
    let bucket = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name("caas-files")
        .with_endpoint(&s3.url)
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_access_key_id("caas-test")
        .with_secret_access_key("caas-test-secret")
        .build()
        .expect("s3 client");
    let key = format!("{}/{id}", app.app.id);
    let stored = bucket.get(&key.as_str().into()).await.expect("object in the bucket").bytes().await.expect("bytes");
    assert_eq!(stored.as_ref(), picture.as_slice(), "the bucket holds the exact bytes");
    let thumb = format!("{key}.thumb.png");
    assert!(bucket.head(&thumb.as_str().into()).await.is_ok(), "the thumbnail is in the bucket");
    assert!(!data.path().join("blobs").exists(), "nothing went to the local folder");

    // …and comes back through the API.
    let res = http.get(node.url(&format!("/v1/files/{id}"))).bearer_auth(&token).send().await.expect("download");
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.expect("body").as_ref(), picture.as_slice());
    let res = http.get(node.url(&format!("/v1/files/{id}/thumbnail"))).bearer_auth(&token).send().await.expect("thumb");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    drop(node);
}
