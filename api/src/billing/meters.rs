//! Usage metering per app and UTC day, counted in memory on the hot paths and
//! written in one transaction every few seconds ([`flush_loop`]).
//!
//! Hot paths take one short, uncontended-in-practice lock and touch a hash map;
//! nothing on them waits for the database. Peaks of concurrent connections are
//! this node's; in a cluster each node records its own and the day keeps the highest.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use caas_storage::{AppId, ConversationId, DayCounters, UsageBatch, UserId};

use crate::billing::Billing;

/// Today's UTC date, `YYYY-MM-DD`.
pub fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

/// How often a user's last activity is written at most.
pub const LAST_ACTIVE_EVERY_MS: i64 = 60_000;

#[derive(Default)]
struct Pending {
    /// The day the counters below belong to.
    day: String,
    counters: HashMap<AppId, DayCounters>,
    /// Users already recorded as active on `day` (so each is written once a day),
    /// with when their last activity was last queued for writing (ms).
    seen: HashMap<AppId, HashMap<UserId, i64>>,
    active: Vec<(AppId, UserId)>,
    conversations: HashMap<(AppId, ConversationId), i64>,
    /// Messages sent and last activity (ms) per user since the last flush.
    users: HashMap<(AppId, UserId), (i64, i64)>,
    /// Open connections per app now, and the most since the last flush.
    connections: HashMap<AppId, (i64, i64)>,
}

/// In-memory meters of this node.
pub struct Meter {
    pending: Mutex<Pending>,
}

impl Default for Meter {
    fn default() -> Self {
        Meter { pending: Mutex::new(Pending { day: today(), ..Default::default() }) }
    }
}

impl crate::gate::Activity for Meter {
    fn active(&self, app: AppId, user: &UserId) {
        Meter::active(self, app, user);
    }
}

impl Meter {
    fn with<R>(&self, f: impl FnOnce(&mut Pending) -> R) -> R {
        // A poisoned lock only means another thread panicked mid-update of counters;
        // the counters stay usable.
        let mut guard = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// A message was sent (once per new message, not per retry).
    pub fn message(&self, app: AppId, conversation: ConversationId, user: &UserId) {
        let now = caas_storage::now_ms();
        self.with(|p| {
            p.counters.entry(app).or_default().messages += 1;
            *p.conversations.entry((app, conversation)).or_default() += 1;
            let u = p.users.entry((app, user.clone())).or_default();
            u.0 += 1;
            u.1 = now;
        });
        metrics::counter!("caas_messages_total").increment(1);
    }

    /// The user made a request or opened a connection. A user's last activity is
    /// written at most every [`LAST_ACTIVE_EVERY_MS`], so a busy user costs one
    /// hash lookup per request and the database one row per user and interval.
    pub fn active(&self, app: AppId, user: &UserId) {
        let now = caas_storage::now_ms();
        self.with(|p| {
            // The common case (seen a moment ago) looks up without copying the id.
            let seen = p.seen.entry(app).or_default();
            match seen.get_mut(user) {
                Some(written) if now - *written < LAST_ACTIVE_EVERY_MS => return,
                Some(written) => *written = now,
                None => {
                    seen.insert(user.clone(), now);
                    p.active.push((app, user.clone()));
                }
            }
            p.users.entry((app, user.clone())).or_default().1 = now;
        });
    }

    /// Records that the user is active today without writing it again (the caller wrote it).
    pub fn already_active(&self, app: AppId, user: &UserId) {
        let now = caas_storage::now_ms();
        self.with(|p| {
            p.seen.entry(app).or_default().insert(user.clone(), now);
            p.users.entry((app, user.clone())).or_default().1 = now;
        });
    }

    /// A session token was issued.
    pub fn session(&self, app: AppId) {
        self.with(|p| p.counters.entry(app).or_default().sessions += 1);
    }

    /// Bytes were sent to clients of the app.
    pub fn egress(&self, app: AppId, bytes: u64) {
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        self.with(|p| {
            let c = p.counters.entry(app).or_default();
            c.egress_bytes = c.egress_bytes.saturating_add(bytes);
        });
    }

    /// A real-time connection opened; the guard counts it closed when dropped.
    pub fn connect(self: &std::sync::Arc<Self>, app: AppId) -> ConnectionGuard {
        self.with(|p| {
            let c = p.connections.entry(app).or_default();
            c.0 += 1;
            c.1 = c.1.max(c.0);
        });
        metrics::gauge!("caas_ws_connections").increment(1.0);
        ConnectionGuard { meter: std::sync::Arc::clone(self), app }
    }

    /// Takes what was counted since the last call, as a batch for the database.
    pub fn take(&self) -> UsageBatch {
        let today = today();
        self.with(|p| {
            let day = p.day.clone();
            let mut counters = std::mem::take(&mut p.counters);
            for (app, (now, peak)) in p.connections.iter_mut() {
                let c = counters.entry(*app).or_default();
                c.peak_connections = (*peak).max(*now);
                *peak = *now;
            }
            p.connections.retain(|_, (now, _)| *now > 0);
            let batch = UsageBatch {
                days: counters.into_iter().map(|(app, c)| (app, day.clone(), c)).collect(),
                active: std::mem::take(&mut p.active).into_iter().map(|(a, u)| (a, day.clone(), u)).collect(),
                conversations: std::mem::take(&mut p.conversations)
                    .into_iter()
                    .map(|((a, c), n)| (a, day.clone(), c.to_string(), n))
                    .collect(),
                users: std::mem::take(&mut p.users).into_iter().map(|((a, u), (n, at))| (a, u, n, at)).collect(),
            };
            if today != p.day {
                p.day = today;
                p.seen.clear();
            }
            batch
        })
    }
}

/// Counts a connection closed when dropped.
pub struct ConnectionGuard {
    meter: std::sync::Arc<Meter>,
    app: AppId,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.meter.with(|p| {
            if let Some(c) = p.connections.get_mut(&self.app) {
                c.0 -= 1;
            }
        });
        metrics::gauge!("caas_ws_connections").decrement(1.0);
    }
}

/// Writes the meters every `every`, samples stored bytes every ten minutes, and
/// times a database round trip for `/metrics`.
pub async fn flush_loop(state: Billing, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sample: Option<tokio::time::Instant> = None;
    loop {
        tick.tick().await;
        flush(&state).await;
        let start = std::time::Instant::now();
        match state.store.ping().await {
            Ok(()) => {
                metrics::histogram!("caas_db_query_seconds", "query" => "ping").record(start.elapsed().as_secs_f64())
            }
            Err(e) => tracing::warn!(error = %e, "database ping failed"),
        }
        metrics::gauge!("caas_ws_sessions_open").set(state.sessions.open() as f64);
        if last_sample.is_none_or(|t| t.elapsed() >= Duration::from_secs(600)) {
            last_sample = Some(tokio::time::Instant::now());
            let start = std::time::Instant::now();
            match state.store.sample_storage(&today()).await {
                Ok(()) => metrics::histogram!("caas_db_query_seconds", "query" => "sample_storage")
                    .record(start.elapsed().as_secs_f64()),
                Err(e) => tracing::warn!(error = %e, "cannot sample storage"),
            }
        }
    }
}

/// Rows per write transaction of a flush.
const FLUSH_ROWS: usize = 256;

/// Writes what was counted since the last flush, in short transactions.
pub async fn flush(state: &Billing) {
    let batch = state.meter.take();
    if batch.is_empty() {
        return;
    }
    let start = std::time::Instant::now();
    let mut lost = 0;
    for part in batch.split(FLUSH_ROWS) {
        if lost > 0 {
            lost += 1;
            continue;
        }
        if let Err(e) = state.store.flush_usage(&part).await {
            lost += 1;
            tracing::warn!(error = %e, "cannot write usage meters; the rest of this flush is dropped");
        }
    }
    if lost > 0 {
        metrics::counter!("caas_meter_flush_failures_total").increment(1);
    } else {
        metrics::histogram!("caas_db_query_seconds", "query" => "flush_usage").record(start.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn counts_are_taken_once_and_peaks_carry_over() {
        let meter = Arc::new(Meter::default());
        let app = AppId::generate();
        let ann: UserId = "ann".parse().unwrap();
        let conv = ConversationId::generate();
        meter.message(app, conv, &ann);
        meter.message(app, conv, &ann);
        meter.active(app, &ann);
        meter.active(app, &ann);
        meter.session(app);
        meter.egress(app, 100);
        let a = meter.connect(app);
        let b = meter.connect(app);
        drop(b);
        let batch = meter.take();
        let c = batch.days.iter().find(|(a, _, _)| *a == app).unwrap().2;
        assert_eq!((c.messages, c.sessions, c.peak_connections, c.egress_bytes), (2, 1, 2, 100));
        assert_eq!(batch.active.len(), 1, "a user is recorded active once a day");
        assert_eq!(batch.conversations, vec![(app, today(), conv.to_string(), 2)]);
        assert_eq!(batch.users.len(), 1);
        assert_eq!(batch.users[0].2, 2);
        // Next window: the open connection is still the peak; the user is not re-recorded.
        meter.active(app, &ann);
        let batch = meter.take();
        assert_eq!(batch.days[0].2.peak_connections, 1);
        assert!(batch.active.is_empty());
        drop(a);
        let batch = meter.take();
        assert_eq!(batch.days[0].2.peak_connections, 1, "the last window still saw one connection");
        assert!(meter.take().is_empty(), "nothing open, nothing counted");
    }
}
