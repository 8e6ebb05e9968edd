//! Rate limits: a token bucket per key (an app, or an end user within an app).
//! The bucket is a pure state machine over an explicit clock, so it is tested on
//! simulated time; [`RateLimiter`] keeps one per key behind a mutex.
//!
//! In a cluster every node keeps its own buckets (no network on the request
//! path) and tells the others what it took: [`RateLimiter::drain`] gives the
//! takes not reported yet, and [`RateLimiter::debit`] takes the other nodes'
//! from the local bucket, so a key's buckets on every node follow the whole
//! cluster's use within one report interval (`shared.rs` carries them).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sustained rate and burst of a bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens added per second.
    pub per_sec: f64,
    /// Bucket size: how many requests may come at once.
    pub burst: f64,
}

/// One token bucket.
#[derive(Debug, Clone, Copy)]
pub struct TokenBucket {
    tokens: f64,
    last: Instant,
    /// Tokens taken here and not yet reported to the other nodes.
    unreported: u32,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub fn full(rate: Rate, now: Instant) -> Self {
        TokenBucket { tokens: rate.burst, last: now, unreported: 0 }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * rate.per_sec).min(rate.burst);
        self.last = self.last.max(now);
    }

    /// Takes one token, or says how long until one is there.
    pub fn try_take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.unreported = self.unreported.saturating_add(1);
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / rate.per_sec))
        }
    }

    /// Takes `n` tokens that were used elsewhere (another node). The bucket may
    /// go into debt, down to minus one burst: it refills from there.
    pub fn debit(&mut self, rate: Rate, n: f64, now: Instant) {
        self.refill(rate, now);
        self.tokens = (self.tokens - n).max(-rate.burst);
    }

    /// Whether a token is there at `now`, without taking it; if not, how long until one is.
    pub fn peek(&self, rate: Rate, now: Instant) -> Result<(), Duration> {
        let mut b = *self;
        b.refill(rate, now);
        if b.tokens >= 1.0 { Ok(()) } else { Err(Duration::from_secs_f64((1.0 - b.tokens) / rate.per_sec)) }
    }

    /// Whether the bucket would be full at `now` (an idle key that can be forgotten).
    pub fn is_full(&self, rate: Rate, now: Instant) -> bool {
        let mut b = *self;
        b.refill(rate, now);
        b.tokens >= rate.burst
    }
}

/// Token buckets by key. A rate of `None` lets everything through.
pub struct RateLimiter<K> {
    rate: Option<Rate>,
    buckets: Mutex<HashMap<K, TokenBucket>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter that applies `rate` to each key (`None`: unlimited).
    pub fn new(rate: Option<Rate>) -> Self {
        RateLimiter { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token for `key` at `now`; on refusal, how long to wait.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let Some(rate) = self.rate else { return Ok(()) };
        // A poisoned lock only means another thread panicked mid-update of a
        // counter; the map is still usable.
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(key) {
            Some(b) => b.try_take(rate, now),
            None => {
                let mut b = TokenBucket::full(rate, now);
                let r = b.try_take(rate, now);
                map.insert(key.clone(), b);
                r
            }
        }
    }

    /// Whether `key` has a token at `now`, without taking it.
    pub fn peek(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let Some(rate) = self.rate else { return Ok(()) };
        let map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).map_or(Ok(()), |b| b.peek(rate, now))
    }

    /// Takes `n` tokens of `key` that another node used.
    pub fn debit(&self, key: &K, n: u32, now: Instant) {
        let Some(rate) = self.rate else { return };
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key.clone()).or_insert_with(|| TokenBucket::full(rate, now)).debit(rate, f64::from(n), now);
    }

    /// The tokens taken here since the last drain, per key (for the other nodes).
    pub fn drain(&self) -> Vec<(K, u32)> {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        map.iter_mut()
            .filter(|(_, b)| b.unreported > 0)
            .map(|(k, b)| (k.clone(), std::mem::take(&mut b.unreported)))
            .collect()
    }

    /// Forgets keys whose buckets have refilled, so memory follows active keys only.
    pub fn sweep(&self, now: Instant) {
        let Some(rate) = self.rate else { return };
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, b| !b.is_full(rate, now));
    }

    /// How many keys are tracked.
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: Rate = Rate { per_sec: 2.0, burst: 3.0 };

    #[test]
    fn peeking_takes_nothing() {
        let limiter = RateLimiter::new(Some(Rate { per_sec: 1.0, burst: 1.0 }));
        let now = Instant::now();
        assert_eq!(limiter.peek(&"k", now), Ok(()), "an unknown key has a token");
        limiter.check(&"k", now).unwrap();
        assert!(limiter.peek(&"k", now).is_err(), "the only token is gone");
        assert_eq!(limiter.peek(&"k", now + Duration::from_secs(1)), Ok(()), "it refills");
        assert_eq!(limiter.peek(&"k", now + Duration::from_secs(1)), Ok(()), "and peeking left it there");
    }

    #[test]
    fn burst_then_refill_on_simulated_time() {
        let t0 = Instant::now();
        let mut b = TokenBucket::full(RATE, t0);
        for _ in 0..3 {
            assert!(b.try_take(RATE, t0).is_ok());
        }
        let wait = b.try_take(RATE, t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert!(b.try_take(RATE, t0 + Duration::from_millis(499)).is_err());
        assert!(b.try_take(RATE, t0 + Duration::from_millis(500)).is_ok());
        // Long idle never overfills beyond the burst.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(b.try_take(RATE, later).is_ok());
        }
        assert!(b.try_take(RATE, later).is_err());
    }

    #[test]
    fn keys_are_independent_and_idle_keys_are_swept() {
        let t0 = Instant::now();
        let l = RateLimiter::new(Some(RATE));
        for _ in 0..3 {
            assert!(l.check(&"a", t0).is_ok());
        }
        assert!(l.check(&"a", t0).is_err());
        assert!(l.check(&"b", t0).is_ok());
        assert_eq!(l.len(), 2);
        l.sweep(t0 + Duration::from_secs(10));
        assert!(l.is_empty());
    }

    #[test]
    fn other_nodes_takes_empty_the_bucket_and_each_take_is_reported_once() {
        let t0 = Instant::now();
        let here = RateLimiter::new(Some(RATE));
        let there = RateLimiter::new(Some(RATE));
        assert!(here.check(&"a", t0).is_ok());
        assert!(here.check(&"a", t0).is_ok());
        assert!(here.check(&"b", t0).is_ok());
        let mut taken = here.drain();
        taken.sort();
        assert_eq!(taken, [("a", 2), ("b", 1)]);
        assert!(here.drain().is_empty(), "reported once");
        // The other node takes what was used here: one token of "a" is left there.
        for (key, n) in taken {
            there.debit(&key, n, t0);
        }
        assert!(there.check(&"a", t0).is_ok());
        assert_eq!(there.check(&"a", t0), Err(Duration::from_millis(500)));
        // Debt is bounded by one burst, and refills.
        there.debit(&"c", 100, t0);
        assert!(there.check(&"c", t0 + Duration::from_millis(1999)).is_err());
        assert!(there.check(&"c", t0 + Duration::from_secs(2)).is_ok());
        // Only its own takes are reported by the other node, not the debits.
        let mut theirs = there.drain();
        theirs.sort();
        assert_eq!(theirs, [("a", 1), ("c", 1)]);
    }

    #[test]
    fn no_rate_means_unlimited() {
        let l = RateLimiter::new(None);
        let t0 = Instant::now();
        for _ in 0..10_000 {
            assert!(l.check(&1u8, t0).is_ok());
        }
        assert!(l.is_empty());
    }
}
