//! `/readyz` answers 200 when the database and, if configured, Redis answer; a node
//! whose Redis is unreachable does not start.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, read};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_redis_when_configured() {
    // The Redis of this machine (started by .ci/run if needed).
    let h = TestServer::start_with(Backend::Sqlite, |c| c.redis_url = Some("redis://127.0.0.1:6379".into())).await;
    assert_eq!(read(h.client.get(h.url("/readyz")).send().await.unwrap()).await.0, 200);
    h.stop().await;

    // A Redis that is not there: the node refuses to start rather than run without its bus.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let db = common::TestDb::new(Backend::Sqlite).await;
    let mut config = common::test_config(&db);
    config.redis_url = Some(format!("redis://{closed}"));
    let err = caas_api::Server::bind(&config).await.err().expect("boot must fail");
    assert!(err.to_string().contains("Redis"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_bad_redis_url() {
    let db = common::TestDb::new(Backend::Sqlite).await;
    let mut config = common::test_config(&db);
    config.redis_url = Some("http://not-redis".into());
    let err = caas_api::Server::bind(&config).await.err().expect("boot must fail");
    assert!(err.to_string().contains("CAAS_REDIS_URL"), "{err}");
}
