//! The HTTP listener: hyper's HTTP/1 server with the limits `axum::serve`
//! leaves out (issue 15 D1), so that idle or slow sockets cannot take every
//! file descriptor:
//!
//! - a client must send a request's headers within `header_read` of the
//!   connection opening (or of the previous response), else it is closed;
//! - at most `max_total` connections at once, fewer than the process may
//!   open, so the listener and the database always have descriptors left;
//! - at most `max_per_ip` connections per client address, except from
//!   trusted proxies (a gateway carries many clients).
//!
//! A connection over a limit is closed as soon as it is accepted. A counted
//! connection stays counted while it is open, upgraded WebSockets included.
//! On shutdown the listener stops accepting and every connection finishes its
//! request (WebSockets are closed by [`crate::live::sessions`]).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// The listener's limits.
#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// Time to send a request's headers.
    pub header_read: Duration,
    /// Open connections at once.
    pub max_total: usize,
    /// Open connections per client address (0: no limit).
    pub max_per_ip: usize,
    /// Addresses exempt from `max_per_ip` (`CAAS_TRUSTED_PROXIES`).
    pub trusted: Vec<ipnet::IpNet>,
}

/// Descriptors kept back from connections for the listener, the database,
/// Redis, files and the SFU.
pub const RESERVED_FDS: usize = 256;

/// The most connections this process can hold: its open-file limit less
/// [`RESERVED_FDS`] (at least 64).
pub fn fd_budget() -> usize {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct it is given and reads nothing else.
    let got = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    let soft = if got == 0 { usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX) } else { 1024 };
    soft.saturating_sub(RESERVED_FDS).max(64)
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The process holds `max_total` connections.
    Total,
    /// Its address holds `max_per_ip` connections.
    PerIp,
}

impl Refused {
    fn label(self) -> &'static str {
        match self {
            Refused::Total => "total",
            Refused::PerIp => "per_ip",
        }
    }
}

/// Counts of open connections, in total and per address.
#[derive(Debug, Default)]
pub struct Counter {
    total: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

/// A counted connection; dropping it counts it out.
#[derive(Debug)]
pub struct Slot {
    counter: Arc<Counter>,
    ip: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.counter.total.fetch_sub(1, Ordering::AcqRel);
        if let Some(ip) = self.ip {
            let mut per_ip = self.counter.per_ip.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = per_ip.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    per_ip.remove(&ip);
                }
            }
        }
    }
}

impl Counter {
    /// Counts a connection from `ip` in, or says which limit it is over.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, limits: &ConnLimits) -> Result<Slot, Refused> {
        // An IPv4 client of a dual-stack listener arrives as ::ffff:a.b.c.d.
        let ip = ip.to_canonical();
        if self.total.fetch_add(1, Ordering::AcqRel) >= limits.max_total {
            self.total.fetch_sub(1, Ordering::AcqRel);
            return Err(Refused::Total);
        }
        let exempt = limits.max_per_ip == 0 || limits.trusted.iter().any(|net| net.contains(&ip));
        if exempt {
            return Ok(Slot { counter: Arc::clone(self), ip: None });
        }
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        let n = per_ip.entry(ip).or_insert(0);
        if *n >= limits.max_per_ip {
            drop(per_ip);
            self.total.fetch_sub(1, Ordering::AcqRel);
            return Err(Refused::PerIp);
        }
        *n += 1;
        Ok(Slot { counter: Arc::clone(self), ip: Some(ip) })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }
}

/// A TCP stream that holds its [`Slot`] for as long as it lives (through a
/// WebSocket upgrade too).
struct Counted {
    tcp: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Counted {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes,
/// then waits for the open requests to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let counter = Arc::new(Counter::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Every connection task holds a receiver; all dropped means all finished.
    let (done_tx, done_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors (or a connection reset before accept): wait a little
                    // rather than spin; the connections that hold them will time out.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match counter.admit(addr.ip(), &limits) {
            Ok(slot) => slot,
            Err(refused) => {
                metrics::counter!("caas_connections_refused_total", "limit" => refused.label()).increment(1);
                tracing::debug!(peer = %addr, limit = refused.label(), "connection refused");
                drop(tcp);
                continue;
            }
        };
        if let Err(e) = tcp.set_nodelay(true) {
            // Real-time frames are small: they go at once rather than behind Nagle's algorithm.
            tracing::trace!(error = %e, "cannot set TCP_NODELAY");
        }
        let io = TokioIo::new(Counted { tcp, _slot: slot });
        let service = router.clone().map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(addr));
            req.map(axum::body::Body::new)
        });
        let service = TowerToHyperService::new(service);
        let header_read = limits.header_read;
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let stopping = async move {
                let _ = stop.wait_for(|s| *s).await.map(|_| ());
            };
            let mut builder = http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_read);
            let conn = builder.serve_connection(io, service).with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::trace!(error = %e, "connection ended with an error");
                    }
                }
                () = stopping => {
                    conn.as_mut().graceful_shutdown();
                    if let Err(e) = conn.await {
                        tracing::trace!(error = %e, "connection ended with an error");
                    }
                }
            }
            drop(done);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_total: usize, max_per_ip: usize, trusted: &[&str]) -> ConnLimits {
        ConnLimits {
            header_read: Duration::from_secs(1),
            max_total,
            max_per_ip,
            trusted: trusted.iter().map(|c| c.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn counts_hold_each_limit_and_give_places_back() {
        let counter = Arc::new(Counter::default());
        let l = limits(3, 2, &["10.0.0.1/32"]);
        let (a, b, proxy): (IpAddr, IpAddr, IpAddr) =
            ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap(), "10.0.0.1".parse().unwrap());
        let a1 = counter.admit(a, &l).unwrap();
        let _a2 = counter.admit(a, &l).unwrap();
        assert_eq!(counter.admit(a, &l).unwrap_err(), Refused::PerIp);
        let _b1 = counter.admit(b, &l).unwrap();
        assert_eq!(counter.admit(b, &l).unwrap_err(), Refused::Total, "three open in all");
        assert_eq!(counter.open(), 3);
        drop(a1);
        let _p1 = counter.admit(proxy, &l).unwrap();
        assert_eq!(counter.admit(proxy, &l).unwrap_err(), Refused::Total, "a trusted proxy is only held to the total");
        assert_eq!(counter.open(), 3);
    }

    #[test]
    fn trusted_proxies_have_no_per_address_limit() {
        let counter = Arc::new(Counter::default());
        let l = limits(100, 1, &["10.0.0.0/8"]);
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let slots: Vec<_> = (0..10).map(|_| counter.admit(proxy, &l).unwrap()).collect();
        assert_eq!(slots.len(), 10);
        drop(slots);
        assert_eq!(counter.open(), 0);
        assert!(counter.per_ip.lock().unwrap().is_empty());
    }

    #[test]
    fn the_budget_leaves_descriptors_free() {
        assert!(fd_budget() >= 64);
    }
}
