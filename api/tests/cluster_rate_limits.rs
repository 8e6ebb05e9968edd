//! Rate limits hold across the cluster: an end user over their limit on node 1
//! is over it on node 2 too, once node 1's report has reached node 2 through
//! Redis (no request waits for Redis).

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{Cluster, assert_error, read};

/// The value of a counter on a node's `/metrics` (0 when absent).
async fn counter(http: &reqwest::Client, url: String, name: &str) -> f64 {
    let text = http.get(url).send().await.unwrap().text().await.unwrap();
    text.lines().filter(|l| l.starts_with(name)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_over_the_limit_on_one_node_is_over_it_on_the_other() {
    // One request per 5 s per user (a burst of one): nothing refills during the test.
    let c = Cluster::start_with(&[("CAAS_RATE_LIMIT_USER", "0.2")]).await;
    let http = reqwest::Client::new();
    let ann = c.token(0, "ann").await;
    let me = |n: usize| http.get(c.nodes[n].url("/v1/me")).bearer_auth(&ann).send();

    // Tokens node 2 took from its users' buckets for the other node.
    let remote = "caas_rate_limit_remote_tokens_total{limiter=\"user\"}";
    let before = counter(&http, c.nodes[1].url("/metrics"), remote).await;
    assert_eq!(read(me(0).await.unwrap()).await.0, 200);
    let (s, b) = read(me(0).await.unwrap()).await;
    assert_error(s, &b, 429, "rate_limited");

    // Wait (bounded) until node 2 has applied a report from node 1.
    let deadline = Instant::now() + Duration::from_secs(10);
    while counter(&http, c.nodes[1].url("/metrics"), remote).await < before + 1.0 {
        assert!(Instant::now() < deadline, "node 2 never applied node 1's report");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (s, b) = read(me(1).await.unwrap()).await;
    assert_error(s, &b, 429, "rate_limited");
    c.stop().await;
}
