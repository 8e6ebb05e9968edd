//! Quota checks and the monthly-active-user admission decision.

use serde::{Deserialize, Serialize};

use crate::{Enforcement, Metric, MonthUsage, Plan};

/// Highest [`QuotaStatus::percent`] reported.
const MAX_PERCENT: u32 = 999;

/// Usage of one metric against the plan's included quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaStatus {
    /// The metric.
    pub metric: Metric,
    /// Usage so far this month, in base units.
    pub used: u64,
    /// Included quota, in base units; `None` when the plan does not limit the metric.
    pub included: Option<u64>,
    /// Whether usage is beyond the quota (`used > included`; reaching it exactly is not over).
    pub over: bool,
    /// `used * 100 / included` rounded down and capped at 999 (a zero quota with any use reports 999);
    /// `None` when unlimited.
    pub percent: Option<u32>,
}

/// The status of every metric of `usage` on `plan`, one per [`Metric::ALL`] in that order.
pub fn quota_status(plan: &Plan, usage: &MonthUsage) -> Vec<QuotaStatus> {
    Metric::ALL
        .into_iter()
        .map(|metric| {
            let used = usage.get(metric);
            let included = plan.included(metric);
            QuotaStatus {
                metric,
                used,
                included,
                over: included.is_some_and(|limit| used > limit),
                percent: included.map(|limit| percent(used, limit)),
            }
        })
        .collect()
}

fn percent(used: u64, included: u64) -> u32 {
    if included == 0 {
        return if used == 0 { 0 } else { MAX_PERCENT };
    }
    // u128 cannot overflow: u64::MAX * 100 < u128::MAX.
    let pct = u128::from(used) * 100 / u128::from(included);
    u32::try_from(pct).map_or(MAX_PERCENT, |p| p.min(MAX_PERCENT))
}

/// Whether a new user may become active this month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    /// Within the MAU quota (or the plan does not limit MAU).
    Allowed,
    /// Over the MAU quota on a soft plan: the user is admitted and billed as overage.
    OverQuota,
    /// Over the MAU quota on a hard plan: the user is refused.
    Refused,
}

impl Admission {
    /// Whether the user may proceed ([`Admission::Allowed`] or [`Admission::OverQuota`]).
    pub fn is_admitted(self) -> bool {
        self != Admission::Refused
    }
}

/// Decides whether a user not yet active this month may become active, given `current_mau` users already active.
///
/// Admitting the user would make `current_mau + 1` active users, so the quota is exceeded when
/// `current_mau >= included`: a [`Enforcement::Hard`] plan then refuses, a [`Enforcement::Soft`] plan admits with
/// [`Admission::OverQuota`]. Users already active this month are not subject to this check.
pub fn admit_new_user(plan: &Plan, current_mau: u64) -> Admission {
    match plan.included(Metric::Mau) {
        Some(limit) if current_mau >= limit => match plan.enforcement {
            Enforcement::Hard => Admission::Refused,
            Enforcement::Soft => Admission::OverQuota,
        },
        _ => Admission::Allowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Plans;

    fn plan(id: &str) -> Plan {
        Plans::builtin().get(id).unwrap().clone()
    }

    #[test]
    fn status_percent_and_over() {
        let free = plan("free");
        let usage = MonthUsage {
            mau: 50,                  // 50 %
            messages: 100_000,        // 100 %, at quota: not over
            peak_connections: 101,    // 101 %, over
            audio_minutes: 1_000_000, // 100 000 % → capped at 999
            video_minutes: 1,         // 0.1 % → 0
            storage_bytes: 0,
            egress_bytes: 5_000_000_001, // 100.00000002 % → 100, over
        };
        let status = quota_status(&free, &usage);
        assert_eq!(status.len(), Metric::ALL.len());
        let got: Vec<(Metric, u64, bool, Option<u32>)> =
            status.iter().map(|s| (s.metric, s.used, s.over, s.percent)).collect();
        assert_eq!(
            got,
            [
                (Metric::Mau, 50, false, Some(50)),
                (Metric::Messages, 100_000, false, Some(100)),
                (Metric::PeakConnections, 101, true, Some(101)),
                (Metric::AudioMinutes, 1_000_000, true, Some(999)),
                (Metric::VideoMinutes, 1, false, Some(0)),
                (Metric::StorageBytes, 0, false, Some(0)),
                (Metric::EgressBytes, 5_000_000_001, true, Some(100)),
            ]
        );
        assert_eq!(status[0].included, Some(100));
    }

    #[test]
    fn status_unlimited_and_zero_quota() {
        let mut p = plan("pro");
        p.included.remove(&Metric::Messages);
        p.included.insert(Metric::Mau, 0);
        let usage = MonthUsage { messages: u64::MAX, mau: 1, ..Default::default() };
        let status = quota_status(&p, &usage);
        let messages = status[1];
        assert_eq!((messages.included, messages.over, messages.percent), (None, false, None));
        let mau = status[0];
        assert_eq!((mau.included, mau.over, mau.percent), (Some(0), true, Some(999)));
        let idle = quota_status(&p, &MonthUsage::default());
        assert_eq!((idle[0].over, idle[0].percent), (false, Some(0)));
    }

    #[test]
    fn status_max_usage_does_not_overflow() {
        let max = MonthUsage {
            mau: u64::MAX,
            messages: u64::MAX,
            peak_connections: u64::MAX,
            audio_minutes: u64::MAX,
            video_minutes: u64::MAX,
            storage_bytes: u64::MAX,
            egress_bytes: u64::MAX,
        };
        for p in Plans::builtin().iter().filter(|p| p.id != "unmetered") {
            assert!(quota_status(p, &max).iter().all(|s| s.over && s.percent == Some(999)));
        }
        let unmetered = Plans::builtin().default_plan().clone();
        assert!(quota_status(&unmetered, &max).iter().all(|s| !s.over && s.percent.is_none()));
        let mut huge = plan("pro");
        huge.included.insert(Metric::Mau, u64::MAX);
        assert_eq!(quota_status(&huge, &max)[0].percent, Some(100));
        assert_eq!(admit_new_user(&huge, u64::MAX), Admission::OverQuota);
    }

    #[test]
    fn admission_hard() {
        let free = plan("free"); // 100 MAU, hard
        assert_eq!(admit_new_user(&free, 0), Admission::Allowed);
        assert_eq!(admit_new_user(&free, 99), Admission::Allowed);
        assert_eq!(admit_new_user(&free, 100), Admission::Refused);
        assert_eq!(admit_new_user(&free, 5_000), Admission::Refused);
        assert!(!Admission::Refused.is_admitted());
    }

    #[test]
    fn admission_soft() {
        let pro = plan("pro"); // 1 000 MAU, soft
        assert_eq!(admit_new_user(&pro, 999), Admission::Allowed);
        assert_eq!(admit_new_user(&pro, 1_000), Admission::OverQuota);
        assert_eq!(admit_new_user(&pro, u64::MAX), Admission::OverQuota);
        assert!(Admission::OverQuota.is_admitted() && Admission::Allowed.is_admitted());
    }

    #[test]
    fn admission_unlimited() {
        let mut p = plan("free");
        p.included.remove(&Metric::Mau);
        assert_eq!(admit_new_user(&p, u64::MAX), Admission::Allowed);
        let mut zero = plan("free");
        zero.included.insert(Metric::Mau, 0);
        assert_eq!(admit_new_user(&zero, 0), Admission::Refused);
    }

    #[test]
    fn serde_forms() {
        assert_eq!(serde_json::to_string(&Admission::OverQuota).unwrap(), "\"over_quota\"");
        let status = quota_status(&plan("free"), &MonthUsage::default())[0];
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, r#"{"metric":"mau","used":0,"included":100,"over":false,"percent":0}"#);
        assert_eq!(serde_json::from_str::<QuotaStatus>(&json).unwrap(), status);
    }
}
