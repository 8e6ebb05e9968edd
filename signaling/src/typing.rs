//! Typing indicators of one connection, as a state machine over an explicit
//! clock: starts are throttled, and an indicator not refreshed expires.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// What a `typing.start` should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Tell the other members.
    Broadcast,
    /// Already told them moments ago; the indicator's lifetime is extended.
    Throttled,
}

/// The conversations a connection is typing in.
#[derive(Debug)]
pub struct Typing<K> {
    started: HashMap<K, (Instant, Instant)>,
    min_interval: Duration,
    ttl: Duration,
}

impl<K: Hash + Eq + Clone> Typing<K> {
    /// Broadcast at most once per `min_interval`; expire after `ttl` without a start.
    pub fn new(min_interval: Duration, ttl: Duration) -> Self {
        Typing { started: HashMap::new(), min_interval, ttl }
    }

    /// The user typed in `key` at `now`.
    pub fn start(&mut self, key: K, now: Instant) -> Start {
        match self.started.get_mut(&key) {
            Some((broadcast_at, refreshed)) if now.saturating_duration_since(*broadcast_at) < self.min_interval => {
                *refreshed = now;
                Start::Throttled
            }
            _ => {
                self.started.insert(key, (now, now));
                Start::Broadcast
            }
        }
    }

    /// The user stopped typing in `key`; true if they were typing (tell the others).
    pub fn stop(&mut self, key: &K) -> bool {
        self.started.remove(key).is_some()
    }

    /// Indicators not refreshed within the lifetime: they stop now.
    pub fn expire(&mut self, now: Instant) -> Vec<K> {
        let ttl = self.ttl;
        let gone: Vec<K> = self
            .started
            .iter()
            .filter(|(_, (_, r))| now.saturating_duration_since(*r) >= ttl)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &gone {
            self.started.remove(k);
        }
        gone
    }

    /// Every indicator, cleared (the connection is closing).
    pub fn drain(&mut self) -> Vec<K> {
        self.started.drain().map(|(k, _)| k).collect()
    }

    /// Lifetime of an indicator, for clients.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_starts_and_expires_quiet_indicators() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut t = Typing::new(ms(2000), ms(6000));
        assert_eq!(t.start("c1", t0), Start::Broadcast);
        assert_eq!(t.start("c1", t0 + ms(500)), Start::Throttled);
        assert_eq!(t.start("c2", t0 + ms(500)), Start::Broadcast);
        assert_eq!(t.start("c1", t0 + ms(2000)), Start::Broadcast);
        // c2 was last refreshed at 0.5 s: gone at 6.5 s; c1 (2 s) stays.
        let mut gone = t.expire(t0 + ms(6500));
        gone.sort();
        assert_eq!(gone, vec!["c2"]);
        assert!(t.stop(&"c1"));
        assert!(!t.stop(&"c1"));
        t.start("c3", t0);
        assert_eq!(t.drain(), vec!["c3"]);
    }
}
