//! Rate limits that hold across a cluster (`CAAS_REDIS_URL`). Each node checks
//! its own buckets on the request path and, every [`REPORT_EVERY`], publishes
//! the tokens it took since its last report on the Redis channel
//! [`CHANNEL`]; every other node takes them from its own buckets
//! ([`RateLimiter::debit`]). A key over its limit on one node is so on every
//! node within one report interval, and no request waits for Redis.

use std::time::{Duration, Instant};

use caas_storage::{AppId, UserId};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::Gate;
use super::ratelimit::RateLimiter;

/// The Redis channel of the nodes' reports.
pub const CHANNEL: &str = "caas:rate";
/// How often a node reports what it took.
pub const REPORT_EVERY: Duration = Duration::from_millis(250);

/// One node's takes since its previous report.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Report {
    /// The reporting node (a node ignores its own reports).
    node: u64,
    /// Tokens taken per app.
    apps: Vec<(AppId, u32)>,
    /// Tokens taken per end user.
    users: Vec<(AppId, UserId, u32)>,
}

impl Report {
    fn is_empty(&self) -> bool {
        self.apps.is_empty() && self.users.is_empty()
    }
}

/// What this node took since the last call, as a report.
fn report(node: u64, apps: &RateLimiter<AppId>, users: &RateLimiter<(AppId, UserId)>) -> Report {
    Report {
        node,
        apps: apps.drain(),
        users: users.drain().into_iter().map(|((app, user), n)| (app, user, n)).collect(),
    }
}

/// Takes another node's report from this node's buckets: the tokens taken
/// from apps' and from users' buckets, or `None` if it was not one
/// (unreadable, or this node's own).
fn apply(
    node: u64,
    payload: &[u8],
    apps: &RateLimiter<AppId>,
    users: &RateLimiter<(AppId, UserId)>,
    now: Instant,
) -> Option<(u64, u64)> {
    let report = serde_json::from_slice::<Report>(payload).ok().filter(|r| r.node != node)?;
    let (mut app_tokens, mut user_tokens) = (0, 0);
    for (app, n) in report.apps {
        apps.debit(&app, n, now);
        app_tokens += u64::from(n);
    }
    for (app, user, n) in report.users {
        users.debit(&(app, user), n, now);
        user_tokens += u64::from(n);
    }
    Some((app_tokens, user_tokens))
}

/// Reports this node's takes and applies the others', until the node stops
/// (the task is aborted).
pub async fn share(gate: Gate, client: redis::Client) {
    let node: u64 = rand::random();
    tokio::select! {
        _ = listen(node, &gate, &client) => {}
        _ = publish(node, &gate, &client) => {}
    }
}

async fn publish(node: u64, gate: &Gate, client: &redis::Client) {
    let mut tick = tokio::time::interval(REPORT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut conn = None;
    loop {
        tick.tick().await;
        let report = report(node, &gate.app_limiter, &gate.user_limiter);
        if report.is_empty() {
            continue;
        }
        let Ok(payload) = serde_json::to_vec(&report) else { continue };
        if conn.is_none() {
            conn = client.get_multiplexed_async_connection().await.ok();
        }
        let Some(c) = conn.as_mut() else {
            // These takes are not reported: the other nodes see less use, as a lost report.
            tracing::warn!("cannot reach Redis to share rate limits");
            continue;
        };
        let sent: Result<i64, _> = redis::cmd("PUBLISH").arg(CHANNEL).arg(payload).query_async(c).await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot publish a rate-limit report");
            conn = None;
        }
    }
}

async fn listen(node: u64, gate: &Gate, client: &redis::Client) {
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(CHANNEL).await {
                Ok(()) => {
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let now = Instant::now();
                        let applied = apply(node, msg.get_payload_bytes(), &gate.app_limiter, &gate.user_limiter, now);
                        if let Some((app_tokens, user_tokens)) = applied {
                            metrics::counter!("caas_rate_limit_remote_tokens_total", "limiter" => "app")
                                .increment(app_tokens);
                            metrics::counter!("caas_rate_limit_remote_tokens_total", "limiter" => "user")
                                .increment(user_tokens);
                        }
                    }
                    tracing::warn!("rate-limit subscription lost; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "cannot subscribe to rate-limit reports"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot reach Redis for rate-limit reports"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::ratelimit::Rate;

    const RATE: Option<Rate> = Some(Rate { per_sec: 1.0, burst: 2.0 });

    #[test]
    fn a_report_empties_the_other_nodes_buckets_and_not_its_own() {
        let (a_apps, a_users) = (RateLimiter::new(RATE), RateLimiter::new(RATE));
        let (b_apps, b_users) = (RateLimiter::new(RATE), RateLimiter::new(RATE));
        let app = AppId::generate();
        let user: UserId = "ann".parse().unwrap();
        let now = Instant::now();
        for _ in 0..2 {
            a_users.check(&(app, user.clone()), now).unwrap();
        }
        let sent = report(1, &a_apps, &a_users);
        assert_eq!(sent.users, [(app, user.clone(), 2)]);
        let payload = serde_json::to_vec(&sent).unwrap();
        assert_eq!(apply(1, &payload, &a_apps, &a_users, now), None, "a node skips its own report");
        assert!(a_users.check(&(app, user.clone()), now).is_err(), "node a: over the limit");
        assert_eq!(apply(2, &payload, &b_apps, &b_users, now), Some((0, 2)));
        assert!(b_users.check(&(app, user.clone()), now).is_err(), "node b: over the limit too");
        assert!(b_apps.check(&app, now).is_ok(), "the app had no takes");
        assert_eq!(apply(2, b"not a report", &b_apps, &b_users, now), None);
        assert!(report(1, &a_apps, &a_users).is_empty(), "reported once");
    }
}
