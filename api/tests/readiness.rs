//! `/readyz` answers 200 only when the database and, if configured, Redis answer.

mod common;

use common::{Backend, TestServer, assert_error, read};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_redis_when_configured() {
    // The Redis of this machine (started by .ci/run if needed).
    let h = TestServer::start_with(Backend::Sqlite, |c| {
        c.redis_url = Some("redis://127.0.0.1:6379".into())
    })
    .await;
    assert_eq!(
        read(h.client.get(h.url("/readyz")).send().await.unwrap())
            .await
            .0,
        200
    );
    h.stop().await;

    // A Redis that is not there: alive, but not ready.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let h = TestServer::start_with(Backend::Sqlite, |c| {
        c.redis_url = Some(format!("redis://{closed}"))
    })
    .await;
    assert_eq!(
        read(h.client.get(h.url("/healthz")).send().await.unwrap())
            .await
            .0,
        200
    );
    let (s, b) = read(h.client.get(h.url("/readyz")).send().await.unwrap()).await;
    assert_error(s, &b, 503, "not_ready");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_bad_redis_url() {
    let db = common::TestDb::new(Backend::Sqlite).await;
    let mut config = common::test_config(&db);
    config.redis_url = Some("http://not-redis".into());
    let err = caas_api::Server::bind(&config)
        .await
        .err()
        .expect("boot must fail");
    assert!(err.to_string().contains("CAAS_REDIS_URL"), "{err}");
}
