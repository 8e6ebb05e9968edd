//! Server heartbeats as a state machine over an explicit clock: ping a quiet
//! peer, close one that stays silent.

use std::time::{Duration, Instant};

/// What the connection should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// Nothing to do before [`Heartbeat::deadline`].
    Idle,
    /// Send a WebSocket ping.
    Ping,
    /// The peer is dead: close the connection.
    Close,
}

/// Heartbeat state of one connection.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    interval: Duration,
    timeout: Duration,
    last_heard: Instant,
    last_ping: Option<Instant>,
}

impl Heartbeat {
    /// Pings after `interval` of silence; gives up after `timeout` of silence.
    pub fn new(now: Instant, interval: Duration, timeout: Duration) -> Self {
        Heartbeat { interval, timeout, last_heard: now, last_ping: None }
    }

    /// Anything arrived from the peer (a frame, a pong).
    pub fn heard(&mut self, now: Instant) {
        self.last_heard = now;
        self.last_ping = None;
    }

    /// What to do at `now`.
    pub fn poll(&mut self, now: Instant) -> Beat {
        let silent = now.saturating_duration_since(self.last_heard);
        if silent >= self.timeout {
            return Beat::Close;
        }
        let since_ping = self.last_ping.map(|p| now.saturating_duration_since(p));
        if silent >= self.interval && since_ping.is_none_or(|d| d >= self.interval) {
            self.last_ping = Some(now);
            return Beat::Ping;
        }
        Beat::Idle
    }

    /// When [`Heartbeat::poll`] next has something to say.
    pub fn deadline(&self) -> Instant {
        let next_ping = match self.last_ping {
            Some(p) => p + self.interval,
            None => self.last_heard + self.interval,
        };
        next_ping.min(self.last_heard + self.timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_quiet_peers_and_closes_dead_ones() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut hb = Heartbeat::new(t0, s(20), s(50));
        assert_eq!(hb.poll(t0 + s(19)), Beat::Idle);
        assert_eq!(hb.deadline(), t0 + s(20));
        assert_eq!(hb.poll(t0 + s(20)), Beat::Ping);
        assert_eq!(hb.poll(t0 + s(21)), Beat::Idle);
        assert_eq!(hb.deadline(), t0 + s(40));
        assert_eq!(hb.poll(t0 + s(40)), Beat::Ping);
        assert_eq!(hb.deadline(), t0 + s(50));
        assert_eq!(hb.poll(t0 + s(50)), Beat::Close);
    }

    #[test]
    fn a_pong_keeps_the_peer_alive() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut hb = Heartbeat::new(t0, s(20), s(50));
        assert_eq!(hb.poll(t0 + s(20)), Beat::Ping);
        hb.heard(t0 + s(21));
        assert_eq!(hb.poll(t0 + s(40)), Beat::Idle);
        assert_eq!(hb.poll(t0 + s(41)), Beat::Ping);
        hb.heard(t0 + s(60));
        assert_eq!(hb.poll(t0 + s(100)), Beat::Ping);
        assert_eq!(hb.poll(t0 + s(110)), Beat::Close);
    }
}
