//! The long-lived connections of this node (the real-time WebSocket and the
//! collab WebSocket): their heartbeat timings, and the registry that tells them
//! to close when the node stops.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};

/// Ping after this much silence.
pub const PING_AFTER: Duration = Duration::from_secs(20);
/// Close after this much silence.
pub const DEAD_AFTER: Duration = Duration::from_secs(60);

/// The open sessions of this node. On shutdown every session is told to close
/// (code 1001, going away: the client reconnects, to another node if there is
/// one, and resumes by cursor) and the node waits for them before closing the
/// database.
#[derive(Clone)]
pub struct Sessions {
    stop: tokio::sync::watch::Sender<bool>,
    open: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    gone: std::sync::Arc<tokio::sync::Notify>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions { stop: tokio::sync::watch::channel(false).0, open: Default::default(), gone: Default::default() }
    }
}

/// Held by a running session; its drop counts the session out.
pub struct SessionGuard(Sessions);

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
        self.0.gone.notify_waiters();
    }
}

impl Sessions {
    /// Counts a session in; it should close when the receiver changes.
    pub fn enter(&self) -> (SessionGuard, tokio::sync::watch::Receiver<bool>) {
        self.open.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        (SessionGuard(self.clone()), self.stop.subscribe())
    }

    /// How many sessions are open.
    pub fn open(&self) -> usize {
        self.open.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Tells every session to close, and waits up to `limit` for them to finish.
    pub async fn close_all(&self, limit: Duration) {
        self.stop.send_replace(true);
        let wait = async {
            loop {
                let gone = self.gone.notified();
                if self.open() == 0 {
                    return;
                }
                gone.await;
            }
        };
        if tokio::time::timeout(limit, wait).await.is_err() {
            tracing::warn!(open = self.open(), "sessions still open at shutdown");
        }
    }
}

/// A WebSocket close frame; the reason is cut to the 123 bytes a close frame
/// may carry (at a character boundary).
pub fn close(code: u16, reason: &str) -> Message {
    let mut reason = reason.to_owned();
    while reason.len() > 123 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}
