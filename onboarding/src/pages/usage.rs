//! Usage charts, billing summary and invoices of an app.

use caas_billing::{Invoice, QuotaStatus};
use maud::{Markup, html};

use crate::charts::{Chart, bar_chart};
use crate::pages::apps::tabs;

/// An app's usage over a range of days.
#[derive(Debug, Clone)]
pub struct UsageView {
    /// App id.
    pub app_id: String,
    /// App name.
    pub name: String,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Charts, one per metric.
    pub charts: Vec<Chart>,
    /// Figures over the range: label and formatted value.
    pub totals: Vec<(&'static str, String)>,
    /// Busiest conversations: name (or id) and messages.
    pub top: Vec<(String, i64)>,
}

/// Usage charts and the busiest conversations.
pub fn usage(v: &UsageView) -> Markup {
    html! {
        section.card {
            (tabs(&v.app_id, &v.name, "/usage"))
            p.muted { "From " (v.from) " to " (v.to) " (UTC). Meters are written every few seconds." }
            dl.figures {
                @for (label, value) in &v.totals { div { dt { (label) } dd { (value) } } }
            }
            div.charts { @for c in &v.charts { (bar_chart(c)) } }
            h2 { "Top conversations by messages" }
            @if v.top.is_empty() { p.muted { "No messages in this range." } }
            @else {
                table #top-conversations {
                    thead { tr { th { "Conversation" } th.num { "Messages" } } }
                    tbody { @for (name, n) in &v.top { tr { td { (name) } td.num { (n) } } } }
                }
            }
        }
    }
}

/// An issued invoice in a list.
#[derive(Debug, Clone)]
pub struct InvoiceRow {
    /// `YYYY-MM`.
    pub month: String,
    /// Plan id.
    pub plan: String,
    /// Total in cents.
    pub total_cents: u64,
    /// When issued.
    pub issued: String,
}

/// Billing: plan, quotas, this month's draft and issued invoices.
#[derive(Debug, Clone)]
pub struct BillingView {
    /// App id.
    pub app_id: String,
    /// App name.
    pub name: String,
    /// Plan name.
    pub plan_name: String,
    /// Plan price in cents.
    pub price_cents: u64,
    /// Whether the plan refuses new users over the MAU quota.
    pub hard: bool,
    /// Usage against quotas this month.
    pub quotas: Vec<QuotaStatus>,
    /// This month's invoice so far.
    pub draft: Invoice,
    /// Issued invoices, newest first.
    pub invoices: Vec<InvoiceRow>,
}

fn quantity(metric: caas_billing::Metric, v: u64) -> String {
    match metric {
        caas_billing::Metric::StorageBytes | caas_billing::Metric::EgressBytes => crate::bytes(v),
        _ => crate::charts::count(v),
    }
}

fn lines(inv: &Invoice) -> Markup {
    html! {
        table.invoice {
            thead { tr { th { "Item" } th.num { "Amount" } } }
            tbody {
                @for l in &inv.lines { tr { td { (l.description) } td.num { (crate::money(l.amount_cents)) } } }
            }
            tfoot { tr { th { "Total" } th.num #invoice-total { (crate::money(inv.total_cents)) } } }
        }
    }
}

/// The billing page of an app.
pub fn billing(v: &BillingView) -> Markup {
    html! {
        section.card {
            (tabs(&v.app_id, &v.name, "/billing"))
            p { "Plan: " strong #plan-name { (v.plan_name) } " — " (crate::money(v.price_cents)) "/month"
                @if v.hard { span.muted { " · new users beyond the MAU quota are refused" } }
                @else { span.muted { " · usage beyond quotas is billed as overage" } } }
            h2 { "This month against the quotas" }
            table #quotas {
                thead { tr { th { "Metric" } th.num { "Used" } th.num { "Included" } th { "" } } }
                tbody {
                    @for q in &v.quotas {
                        tr class=[q.over.then_some("over")] data-metric=(q.metric.as_str()) {
                            td { (q.metric.label()) }
                            td.num { (quantity(q.metric, q.used)) }
                            td.num { @match q.included { Some(i) => (quantity(q.metric, i)), None => "unlimited" } }
                            td { @if let Some(p) = q.percent {
                                meter min="0" max="100" value=(p.min(100)) title={ (p) "%" } {}
                                " " (p) "%"
                            } }
                        }
                    }
                }
            }
            h2 { "Draft invoice for " (v.draft.month) }
            (lines(&v.draft))
            h2 { "Invoices" }
            @if v.invoices.is_empty() { p.muted { "No invoices yet: the first is issued after the first month with usage." } }
            @else {
                table #invoices {
                    thead { tr { th { "Month" } th { "Plan" } th.num { "Total" } th { "Issued" } } }
                    tbody {
                        @for i in &v.invoices {
                            tr {
                                td { a href={ "/console/apps/" (v.app_id) "/invoices/" (i.month) } { (i.month) } }
                                td { (i.plan) } td.num { (crate::money(i.total_cents)) } td { (i.issued) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One issued invoice.
pub fn invoice(app_id: &str, name: &str, inv: &Invoice) -> Markup {
    html! {
        section.card {
            (tabs(app_id, name, "/billing"))
            h2 { "Invoice " (inv.month) }
            p { "Plan: " (inv.plan_name) " · " (inv.currency) }
            (lines(inv))
        }
    }
}
