//! Packet loss on the publisher's uplink and on the subscribers' downlinks
//! (5% of RTP datagrams each way): NACK and retransmission recover it, so
//! (almost) every frame still arrives whole.

mod common;

use common::publish_to_two;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nack_recovers_lost_packets() {
    let (missing, received, sent, dropped) = publish_to_two(0.05).await;
    assert!(dropped > 50, "the induced loss dropped packets ({dropped})");
    eprintln!(
        "5% loss each way, {dropped} datagrams dropped: {received} frames received by two subscribers of {sent} sent, at most {missing} missing at one"
    );
    // Without retransmission about 1 - 0.95^(2 * packets per frame) of frames
    // (over 30% here) would be lost; allow a handful lost past recovery.
    assert!(missing * 100 <= sent * 3, "{missing} of {sent} frames missing");
}
