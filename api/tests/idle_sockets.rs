//! Sockets that never finish a request cannot take the server down (issue 15
//! D1): one address may hold only so many connections (the rest are closed at
//! once), a connection that sends no complete request headers is closed
//! after the header-read timeout, half-sent requests too, and other clients
//! are served all along.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{Backend, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Opens a connection to `addr` from the local address `from`.
async fn connect_from(from: &str, addr: std::net::SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(addr).await.unwrap()
}

/// Waits up to `bound` for the server to close `s`; returns how long it took.
async fn closed_within(s: &mut TcpStream, bound: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(bound.saturating_sub(start.elapsed()), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_sockets_are_closed_and_others_served() {
    let h = TestServer::start_with(Backend::Sqlite, |c| {
        c.header_read_timeout_secs = 1;
        c.max_connections_per_ip = 20;
    })
    .await;

    // An attacker on 127.0.0.9 opens 30 sockets and sends nothing: 20 are held, 10 closed at once.
    let mut idle = Vec::new();
    for _ in 0..30 {
        idle.push(connect_from("127.0.0.9", h.addr).await);
    }
    // Watched all at once for less than the header-read timeout: only the refused ones close.
    let watched = idle.iter_mut().map(|s| closed_within(s, Duration::from_millis(300)));
    let refused = futures_util::future::join_all(watched).await.iter().filter(|c| c.is_some()).count();
    assert_eq!(refused, 10, "connections over the per-address limit are closed at once");

    // Meanwhile another client is served.
    let res = h.client.get(h.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);

    // A half-sent request (headers never finished) is closed too.
    let mut slow = connect_from("127.0.0.10", h.addr).await;
    slow.write_all(b"GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n").await.unwrap();

    // The held ones are closed by the header-read timeout, well before the attacker would leave.
    for s in idle.iter_mut() {
        let took = closed_within(s, Duration::from_secs(5)).await;
        assert!(took.is_some(), "an idle socket stayed open past the header-read timeout");
    }
    assert!(closed_within(&mut slow, Duration::from_secs(5)).await.is_some(), "a half-sent request stayed open");

    // Their places are free again.
    let mut again = connect_from("127.0.0.9", h.addr).await;
    again.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), again.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    h.stop().await;
}
