//! The end of a `chat --resume` run: did every client come back, did every
//! acknowledged message reach every member of its conversation, and did none
//! arrive twice.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::resume::{Outcome, uuid_string};

/// The checks of a `--resume` run; all must hold for [`ResumeReport::passed`].
#[derive(Serialize, Debug, Default, PartialEq)]
pub struct ResumeChecks {
    /// Every client that lost its connection resumed, and every client was connected at the end.
    pub every_client_resumed: bool,
    /// Every acknowledged message was delivered to every member of its conversation (sender included).
    pub no_acknowledged_message_lost: bool,
    /// No client received the same message twice.
    pub no_duplicates: bool,
    /// Every message sent got its reply by the end (retried with the same `client_msg_id`).
    pub every_send_acknowledged: bool,
}

/// What the resuming clients saw, and the checks over it.
#[derive(Serialize, Debug, Default)]
pub struct ResumeReport {
    /// Clients by the node of their first connection (the gateway's `X-Caas-Node` header; `?` if none).
    pub clients_per_node: BTreeMap<String, u64>,
    /// Clients that handed back what they saw (all of them, unless some hung).
    pub clients_reported: u64,
    /// Clients that lost their connection at least once.
    pub dropped_clients: u64,
    /// Lost connections in all.
    pub drops: u64,
    /// Lost connections by the node they were on.
    pub drops_per_node: BTreeMap<String, u64>,
    /// Lost connections followed by a successful resume.
    pub resumed: u64,
    /// Clients connected when the run stopped.
    pub connected_at_end: u64,
    /// Reconnect attempts that failed (the gateway refused, or no `session.ready` in time).
    pub reconnect_failures: u64,
    /// First connections that had to be tried again.
    pub first_connect_retries: u64,
    /// Sends made again after a drop (same `client_msg_id`).
    pub resent: u64,
    /// From noticing the drop to the `session.ready` of the resumed connection.
    pub reconnect_p50_ms: f64,
    pub reconnect_p99_ms: f64,
    pub reconnect_max_ms: f64,
    pub reconnect_mean_ms: f64,
    /// Messages whose sender got the reply.
    pub acknowledged: u64,
    /// Sends still without a reply when the run stopped.
    pub unacknowledged_at_end: u64,
    /// Acknowledged messages times the members of their conversation.
    pub expected_deliveries: u64,
    /// Distinct (client, message) deliveries of acknowledged messages.
    pub delivered: u64,
    /// Acknowledged (client, message) pairs never delivered: must be 0.
    pub lost: u64,
    /// A few of the lost ones: `client <i>: <message id>`.
    pub lost_examples: Vec<String>,
    /// Deliveries of a message the client had already received: must be 0.
    pub duplicated: u64,
    /// Deliveries later than `delayed_after_ms` after the (first) send.
    pub delayed: u64,
    pub delayed_after_ms: u64,
    /// Deliveries of messages whose sender never got a reply.
    pub delivered_unacknowledged: u64,
    /// Events whose cursor was not above the previous one a client processed.
    pub cursor_regressions: u64,
    pub checks: ResumeChecks,
    pub passed: bool,
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Checks the clients' outcomes against each other: groups are the clients with the same `group`.
pub(super) fn verify(
    outcomes: &[Outcome],
    clients: usize,
    duplicated: u64,
    delayed: u64,
    delayed_after_ms: u64,
) -> ResumeReport {
    let mut r = ResumeReport { duplicated, delayed, delayed_after_ms, ..Default::default() };
    let mut acked_by_group: HashMap<usize, HashSet<u128>> = HashMap::new();
    let mut reconnects = Vec::new();
    let mut not_resumed = 0u64;
    for o in outcomes {
        r.clients_reported += 1;
        *r.clients_per_node.entry(o.first_node.clone().unwrap_or_else(|| "?".into())).or_default() += 1;
        if !o.drops.is_empty() {
            r.dropped_clients += 1;
        }
        for (node, took) in &o.drops {
            r.drops += 1;
            *r.drops_per_node.entry(node.clone().unwrap_or_else(|| "?".into())).or_default() += 1;
            match took {
                Some(d) => {
                    r.resumed += 1;
                    reconnects.push(d.as_secs_f64() * 1000.0);
                }
                None => not_resumed += 1,
            }
        }
        if o.connected {
            r.connected_at_end += 1;
        }
        r.unacknowledged_at_end += o.unacked as u64;
        r.cursor_regressions += o.cursor_regressions;
        r.acknowledged += o.acked.len() as u64;
        acked_by_group.entry(o.group).or_default().extend(o.acked.iter().copied());
    }
    let all_acked: HashSet<u128> = acked_by_group.values().flatten().copied().collect();
    for o in outcomes {
        let acked = acked_by_group.get(&o.group);
        for id in acked.into_iter().flatten() {
            r.expected_deliveries += 1;
            if o.delivered.contains(id) {
                r.delivered += 1;
            } else {
                r.lost += 1;
                if r.lost_examples.len() < 5 {
                    r.lost_examples.push(format!("client {}: {}", o.index, uuid_string(*id)));
                }
            }
        }
        r.delivered_unacknowledged += o.delivered.iter().filter(|id| !all_acked.contains(id)).count() as u64;
    }
    reconnects.sort_by(f64::total_cmp);
    r.reconnect_p50_ms = round3(percentile(&reconnects, 0.5));
    r.reconnect_p99_ms = round3(percentile(&reconnects, 0.99));
    r.reconnect_max_ms = round3(reconnects.last().copied().unwrap_or(0.0));
    r.reconnect_mean_ms =
        round3(if reconnects.is_empty() { 0.0 } else { reconnects.iter().sum::<f64>() / reconnects.len() as f64 });
    r.checks = ResumeChecks {
        every_client_resumed: not_resumed == 0
            && r.clients_reported == clients as u64
            && r.connected_at_end == clients as u64,
        no_acknowledged_message_lost: r.lost == 0 && r.clients_reported == clients as u64,
        no_duplicates: r.duplicated == 0,
        every_send_acknowledged: r.unacknowledged_at_end == 0,
    };
    let k = &r.checks;
    r.passed = k.every_client_resumed && k.no_acknowledged_message_lost && k.no_duplicates && k.every_send_acknowledged;
    r
}

/// Prints the resume figures under the chat table.
pub(super) fn print(r: &ResumeReport) {
    eprintln!(
        "  resume: {} of {} clients dropped ({} drops, {:?}), {} resumed, {} connected at the end",
        r.dropped_clients, r.clients_reported, r.drops, r.drops_per_node, r.resumed, r.connected_at_end
    );
    eprintln!(
        "  reconnect p50 / p99 / max: {:.1} / {:.1} / {:.1} ms",
        r.reconnect_p50_ms, r.reconnect_p99_ms, r.reconnect_max_ms
    );
    eprintln!(
        "  acknowledged {} (unacknowledged {}), delivered {} of {}, lost {}, duplicated {}, delayed > {} ms {}",
        r.acknowledged,
        r.unacknowledged_at_end,
        r.delivered,
        r.expected_deliveries,
        r.lost,
        r.duplicated,
        r.delayed_after_ms,
        r.delayed
    );
    eprintln!("  checks: {:?} → {}", r.checks, if r.passed { "PASS" } else { "FAIL" });
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn outcome(index: usize, group: usize, acked: &[u128], delivered: &[u128]) -> Outcome {
        Outcome {
            index,
            group,
            first_node: Some(format!("n{}", index % 3 + 1)),
            delivered: delivered.iter().copied().collect(),
            acked: acked.to_vec(),
            drops: Vec::new(),
            unacked: 0,
            connected: true,
            cursor_regressions: 0,
        }
    }

    #[test]
    fn every_acknowledged_message_to_every_member() {
        // Group 0: clients 0 and 1; group 1: client 2 alone.
        let mut a = outcome(0, 0, &[1, 2], &[1, 2, 3]);
        a.drops.push((Some("n1".into()), Some(Duration::from_millis(40))));
        let b = outcome(1, 0, &[3], &[1, 2, 3]);
        let c = outcome(2, 1, &[9], &[9]);
        let r = verify(&[a, b, c], 3, 0, 0, 1000);
        assert_eq!(r.expected_deliveries, 7);
        assert_eq!(r.delivered, 7);
        assert_eq!(r.lost, 0);
        assert_eq!(r.acknowledged, 4);
        assert_eq!(r.dropped_clients, 1);
        assert_eq!(r.resumed, 1);
        assert_eq!(r.reconnect_max_ms, 40.0);
        assert_eq!(r.drops_per_node.get("n1"), Some(&1));
        assert!(r.passed, "{r:?}");
    }

    #[test]
    fn a_missing_delivery_is_lost_and_fails() {
        let a = outcome(0, 0, &[1, 2], &[1, 2]);
        let b = outcome(1, 0, &[], &[1]);
        let r = verify(&[a, b], 2, 0, 0, 1000);
        assert_eq!(r.lost, 1);
        assert_eq!(r.lost_examples, vec!["client 1: 00000000-0000-0000-0000-000000000002".to_owned()]);
        assert!(!r.checks.no_acknowledged_message_lost);
        assert!(!r.passed);
    }

    #[test]
    fn unresumed_duplicates_and_missing_clients_fail() {
        let mut a = outcome(0, 0, &[1], &[1]);
        a.drops.push((None, None));
        a.connected = false;
        let r = verify(&[a], 1, 0, 0, 1000);
        assert!(!r.checks.every_client_resumed);
        let a = outcome(0, 0, &[1], &[1, 5]);
        let r = verify(&[a], 1, 2, 0, 1000);
        assert!(!r.checks.no_duplicates);
        assert_eq!(r.delivered_unacknowledged, 1);
        // A client that never reported (hung) cannot be vouched for.
        let a = outcome(0, 0, &[1], &[1]);
        let r = verify(&[a], 2, 0, 0, 1000);
        assert!(!r.passed);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
