//! One publisher sends synthetic Opus and VP8 through the SFU to two
//! subscribers, all independent str0m peers on real UDP sockets: every frame
//! arrives intact, in order, and the subscribers learn whose tracks they get.

mod common;

use common::publish_to_two;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_reaches_every_subscriber_intact() {
    let (missing, received, _sent, _) = publish_to_two(0.0).await;
    assert_eq!(missing, 0, "no frame lost on a lossless network");
    assert!(received > 100, "most of the 150 frames arrived ({received})");
}
