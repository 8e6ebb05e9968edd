//! Monthly invoices computed from a month's usage.

use serde::{Deserialize, Serialize};

use crate::format::{format_cents, format_quantity, group_digits};
use crate::{Enforcement, Metric, MonthUsage, Plan};

/// The currency of every amount: US dollars, amounts in cents.
pub const CURRENCY: &str = "USD";

/// One line of an [`Invoice`]. Always `amount_cents == billable_units * unit_price_cents` (saturating).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// The metric billed, or `None` for the base plan fee line.
    pub metric: Option<Metric>,
    /// What the line is, for people, e.g.
    /// `"Messages: 1 250 000 (1 000 000 included) — 250 blocks of 1 000 × $0.10"`.
    pub description: String,
    /// Usage in base units (1 for the base fee).
    pub quantity: u64,
    /// Included amount applied, in base units (`Some(0)` for a priced metric the plan does not include);
    /// `None` for the base fee.
    pub included: Option<u64>,
    /// Number of blocks billed: started blocks of `unit` beyond `included` (1 for the base fee; 0 when nothing
    /// is charged).
    pub billable_units: u64,
    /// Block size in base units (1 for the base fee and for unpriced metrics).
    pub unit: u64,
    /// Price of one block, in cents (0 when nothing is charged, e.g. on a hard plan).
    pub unit_price_cents: u64,
    /// Amount of the line, in cents.
    pub amount_cents: u64,
}

/// The invoice of one app for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// The month billed, `"YYYY-MM"` (as given to [`compute_invoice`]).
    pub month: String,
    /// Id of the plan billed.
    pub plan_id: String,
    /// Name of the plan billed.
    pub plan_name: String,
    /// The base fee line first, then metric lines in [`Metric::ALL`] order.
    pub lines: Vec<InvoiceLine>,
    /// Sum of the line amounts, in cents (saturating).
    pub subtotal_cents: u64,
    /// Amount due, in cents: the subtotal (no tax is computed).
    pub total_cents: u64,
    /// Always [`CURRENCY`] (`"USD"`).
    pub currency: String,
}

/// Computes the invoice of `usage` over `month` (`"YYYY-MM"`, stored as given) on `plan`.
///
/// Lines, in order:
/// 1. the base fee: the plan price, quantity 1;
/// 2. one line per metric with an overage price, always present (showing usage even at no charge):
///    `billable_units = ceil(max(0, quantity - included) / unit)` where an absent `included` counts as 0 for a
///    priced metric, and `amount = billable_units * price_cents`;
/// 3. one line per metric without an overage price but with usage over its quota, at amount 0, so the invoice
///    records the fact (typically on a hard plan); unlimited metrics without a price get no line.
///
/// On a [`Enforcement::Hard`] plan nothing beyond the base fee is charged, even when the plan lists overage
/// prices: metric lines have `billable_units` and `unit_price_cents` 0. Arithmetic is integer and saturating,
/// so any usage (up to `u64::MAX`) gives an invoice without panicking; amounts cap at `u64::MAX` cents.
pub fn compute_invoice(plan: &Plan, month: &str, usage: &MonthUsage) -> Invoice {
    let mut lines = vec![base_fee_line(plan)];
    lines.extend(Metric::ALL.into_iter().filter_map(|m| metric_line(plan, m, usage.get(m))));
    let subtotal_cents = lines.iter().fold(0u64, |sum, line| sum.saturating_add(line.amount_cents));
    Invoice {
        month: month.to_owned(),
        plan_id: plan.id.clone(),
        plan_name: plan.name.clone(),
        lines,
        subtotal_cents,
        total_cents: subtotal_cents,
        currency: CURRENCY.to_owned(),
    }
}

fn base_fee_line(plan: &Plan) -> InvoiceLine {
    InvoiceLine {
        metric: None,
        description: format!("{} plan — monthly fee", plan.name),
        quantity: 1,
        included: None,
        billable_units: 1,
        unit: 1,
        unit_price_cents: plan.price_cents,
        amount_cents: plan.price_cents,
    }
}

/// The line of `metric`, or `None` when it has no price and is within quota (or unlimited).
fn metric_line(plan: &Plan, metric: Metric, quantity: u64) -> Option<InvoiceLine> {
    let hard = plan.enforcement == Enforcement::Hard;
    let (included, unit, price_cents) = match plan.overage(metric) {
        // A zero unit cannot come from `Plans::from_json`; a `Plan` built in code with one is billed per unit.
        Some(overage) => (plan.included(metric).unwrap_or(0), overage.unit.max(1), Some(overage.price_cents)),
        None => match plan.included(metric) {
            Some(included) if quantity > included => (included, 1, None),
            _ => return None,
        },
    };
    let excess = quantity.saturating_sub(included);
    let blocks = excess / unit + u64::from(excess % unit != 0);
    let (billable_units, unit_price_cents) = match price_cents {
        Some(price) if !hard => (blocks, price),
        _ => (0, 0),
    };
    let amount_cents = billable_units.saturating_mul(unit_price_cents);

    let included_text = match included {
        0 => "none included".to_owned(),
        n => format!("{} included", format_quantity(metric, n)),
    };
    let detail = if excess == 0 {
        "within quota".to_owned()
    } else if hard {
        "over quota, not billed (hard limit)".to_owned()
    } else if price_cents.is_none() {
        "over quota, no overage price".to_owned()
    } else if unit == 1 {
        format!("{} × {}", group_digits(blocks), format_cents(unit_price_cents))
    } else {
        let noun = if blocks == 1 { "block" } else { "blocks" };
        let block = format_quantity(metric, unit);
        format!("{} {noun} of {block} × {}", group_digits(blocks), format_cents(unit_price_cents))
    };
    let description = format!("{}: {} ({included_text}) — {detail}", metric.label(), format_quantity(metric, quantity));

    Some(InvoiceLine {
        metric: Some(metric),
        description,
        quantity,
        included: Some(included),
        billable_units,
        unit,
        unit_price_cents,
        amount_cents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Overage, Plans};

    fn pro() -> Plan {
        Plans::builtin().get("pro").unwrap().clone()
    }

    /// Usage exactly at every included quota of `plan`.
    fn at_quota(plan: &Plan) -> MonthUsage {
        let mut usage = MonthUsage::default();
        for m in Metric::ALL {
            usage.set(m, plan.included(m).unwrap());
        }
        usage
    }

    fn line(invoice: &Invoice, m: Metric) -> &InvoiceLine {
        invoice.lines.iter().find(|l| l.metric == Some(m)).unwrap()
    }

    #[test]
    fn at_quota_is_only_the_base_fee() {
        let plan = pro();
        let invoice = compute_invoice(&plan, "2025-03", &at_quota(&plan));
        assert_eq!(
            (invoice.month.as_str(), invoice.plan_id.as_str(), invoice.plan_name.as_str()),
            ("2025-03", "pro", "Pro")
        );
        assert_eq!(invoice.currency, "USD");
        let base = &invoice.lines[0];
        assert_eq!(base.metric, None);
        assert_eq!(base.description, "Pro plan — monthly fee");
        assert_eq!((base.quantity, base.billable_units, base.unit_price_cents, base.amount_cents), (1, 1, 9900, 9900));
        // Every metric is priced on pro, so every metric has a line, all at 0.
        assert_eq!(invoice.lines.len(), 8);
        assert!(invoice.lines[1..].iter().all(|l| l.amount_cents == 0 && l.billable_units == 0));
        assert_eq!(
            line(&invoice, Metric::Messages).description,
            "Messages: 1 000 000 (1 000 000 included) — within quota"
        );
        assert_eq!((invoice.subtotal_cents, invoice.total_cents), (9900, 9900));
    }

    #[test]
    fn known_overage() {
        let plan = pro();
        let usage = MonthUsage {
            mau: 1_200,                    // 200 over × $0.05 = 1 000
            messages: 1_250_000,           // 250 blocks of 1 000 × $0.10 = 2 500
            peak_connections: 1_000,       // at quota = 0
            audio_minutes: 10_250,         // 250 over → 3 blocks of 100 × $0.10 = 30
            video_minutes: 10_000,         // at quota = 0
            storage_bytes: 52_500_000_000, // 2.5 GB over → 3 blocks of 1 GB × $0.10 = 30
            egress_bytes: 100_000_000_001, // 1 byte over → 1 block of 1 GB × $0.08 = 8
        };
        let invoice = compute_invoice(&plan, "2025-04", &usage);
        let amounts: Vec<(Option<Metric>, u64, u64)> =
            invoice.lines.iter().map(|l| (l.metric, l.billable_units, l.amount_cents)).collect();
        assert_eq!(
            amounts,
            [
                (None, 1, 9900),
                (Some(Metric::Mau), 200, 1000),
                (Some(Metric::Messages), 250, 2500),
                (Some(Metric::PeakConnections), 0, 0),
                (Some(Metric::AudioMinutes), 3, 30),
                (Some(Metric::VideoMinutes), 0, 0),
                (Some(Metric::StorageBytes), 3, 30),
                (Some(Metric::EgressBytes), 1, 8),
            ]
        );
        // 9 900 + 1 000 + 2 500 + 30 + 30 + 8
        assert_eq!((invoice.subtotal_cents, invoice.total_cents), (13_468, 13_468));

        let messages = line(&invoice, Metric::Messages);
        assert_eq!(messages.description, "Messages: 1 250 000 (1 000 000 included) — 250 blocks of 1 000 × $0.10");
        assert_eq!(
            (messages.quantity, messages.included, messages.unit, messages.unit_price_cents),
            (1_250_000, Some(1_000_000), 1000, 10)
        );
        assert_eq!(
            line(&invoice, Metric::Mau).description,
            "Monthly active users: 1 200 (1 000 included) — 200 × $0.05"
        );
        assert_eq!(
            line(&invoice, Metric::StorageBytes).description,
            "Storage: 52.5 GB (50 GB included) — 3 blocks of 1 GB × $0.10"
        );
        assert_eq!(
            line(&invoice, Metric::EgressBytes).description,
            "Egress: 100 GB (100 GB included) — 1 block of 1 GB × $0.08"
        );
    }

    #[test]
    fn partial_blocks_round_up() {
        let plan = pro();
        for (over, blocks) in [(1, 1), (999, 1), (1000, 1), (1001, 2), (2000, 2), (2001, 3)] {
            let usage = MonthUsage { messages: 1_000_000 + over, ..at_quota(&plan) };
            let invoice = compute_invoice(&plan, "2025-05", &usage);
            let messages = line(&invoice, Metric::Messages);
            assert_eq!((messages.billable_units, messages.amount_cents), (blocks, blocks * 10), "{over} over");
            assert_eq!(invoice.total_cents, 9900 + blocks * 10);
        }
    }

    #[test]
    fn hard_plan_over_quota_shows_lines_at_zero() {
        let plans = Plans::builtin();
        let free = plans.get("free").unwrap();
        let usage = MonthUsage {
            mau: 150,
            messages: 100_000,
            video_minutes: 1_001,
            egress_bytes: 6_000_000_000,
            ..Default::default()
        };
        let invoice = compute_invoice(free, "2025-06", &usage);
        // Base fee, then only the metrics over quota (free has no prices): mau, video, egress.
        let metrics: Vec<Option<Metric>> = invoice.lines.iter().map(|l| l.metric).collect();
        assert_eq!(metrics, [None, Some(Metric::Mau), Some(Metric::VideoMinutes), Some(Metric::EgressBytes)]);
        assert!(invoice.lines.iter().all(|l| l.amount_cents == 0));
        assert_eq!(invoice.total_cents, 0);
        let mau = line(&invoice, Metric::Mau);
        assert_eq!((mau.quantity, mau.included, mau.billable_units, mau.unit), (150, Some(100), 0, 1));
        assert_eq!(mau.description, "Monthly active users: 150 (100 included) — over quota, not billed (hard limit)");
        assert_eq!(
            line(&invoice, Metric::EgressBytes).description,
            "Egress: 6 GB (5 GB included) — over quota, not billed (hard limit)"
        );

        // A hard plan listing prices still charges nothing beyond the base fee.
        let hard_pro = Plan { enforcement: Enforcement::Hard, ..pro() };
        let usage = MonthUsage { messages: 5_000_000, ..at_quota(&hard_pro) };
        let invoice = compute_invoice(&hard_pro, "2025-06", &usage);
        assert_eq!(invoice.lines.len(), 8);
        assert_eq!(invoice.total_cents, 9900);
        let messages = line(&invoice, Metric::Messages);
        assert_eq!((messages.billable_units, messages.unit_price_cents, messages.amount_cents), (0, 0, 0));
        assert!(messages.description.ends_with("over quota, not billed (hard limit)"));
    }

    #[test]
    fn soft_plan_unpriced_and_unincluded_metrics() {
        let mut plan = pro();
        plan.overage.remove(&Metric::PeakConnections); // limited, no price
        plan.included.remove(&Metric::VideoMinutes); // priced, nothing included: billed from the first minute
        plan.included.remove(&Metric::AudioMinutes);
        plan.overage.remove(&Metric::AudioMinutes); // unlimited and free: no line
        let usage =
            MonthUsage { peak_connections: 1_500, video_minutes: 150, audio_minutes: u64::MAX, ..Default::default() };
        let invoice = compute_invoice(&plan, "2025-07", &usage);
        assert!(invoice.lines.iter().all(|l| l.metric != Some(Metric::AudioMinutes)));
        let peak = line(&invoice, Metric::PeakConnections);
        assert_eq!(peak.amount_cents, 0);
        assert_eq!(
            peak.description,
            "Peak concurrent connections: 1 500 (1 000 included) — over quota, no overage price"
        );
        let video = line(&invoice, Metric::VideoMinutes);
        assert_eq!((video.included, video.billable_units, video.amount_cents), (Some(0), 2, 80));
        assert_eq!(video.description, "Video participant-minutes: 150 (none included) — 2 blocks of 100 × $0.40");
        assert_eq!(invoice.total_cents, 9900 + 80);

        // Without overuse, an unpriced metric has no line.
        let invoice = compute_invoice(&plan, "2025-07", &MonthUsage::default());
        assert!(invoice.lines.iter().all(|l| l.metric != Some(Metric::PeakConnections)));
    }

    #[test]
    fn max_usage_does_not_overflow() {
        let max = MonthUsage {
            mau: u64::MAX,
            messages: u64::MAX,
            peak_connections: u64::MAX,
            audio_minutes: u64::MAX,
            video_minutes: u64::MAX,
            storage_bytes: u64::MAX,
            egress_bytes: u64::MAX,
        };
        for plan in Plans::builtin().iter().filter(|p| p.id != "unmetered") {
            let invoice = compute_invoice(plan, "2025-08", &max);
            assert_eq!(invoice.lines.len(), 8);
            assert!(invoice.total_cents >= plan.price_cents);
        }
        // MAU overage alone saturates: (u64::MAX - 1 000) × 5 cents.
        let invoice = compute_invoice(&pro(), "2025-08", &max);
        assert_eq!(line(&invoice, Metric::Mau).amount_cents, u64::MAX);
        assert_eq!(invoice.total_cents, u64::MAX);

        let mut plan = pro();
        plan.price_cents = u64::MAX;
        plan.included.clear();
        plan.overage.insert(Metric::Messages, Overage { unit: 0, price_cents: u64::MAX });
        let invoice = compute_invoice(&plan, "2025-08", &max);
        assert_eq!(line(&invoice, Metric::Messages).billable_units, u64::MAX);
        assert_eq!(invoice.total_cents, u64::MAX);
    }

    #[test]
    fn invoice_round_trips_through_json() {
        let plan = pro();
        let invoice = compute_invoice(&plan, "2025-09", &MonthUsage { messages: 2_000_001, ..Default::default() });
        let json = serde_json::to_string(&invoice).unwrap();
        assert_eq!(serde_json::from_str::<Invoice>(&json).unwrap(), invoice);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["lines"][0]["metric"], serde_json::Value::Null);
        assert_eq!(value["lines"][2]["metric"], "messages");
        assert_eq!(value["total_cents"], 9900 + 1001 * 10);
    }
}
