//! Plans, quota enforcement and monthly invoices, on top of the metered usage.
//! The arithmetic lives in `caas-billing`; this module reads usage, decides and stores.

pub mod meters;
pub mod rest;

use std::time::Duration;

use caas_billing::{Admission, Invoice, MonthUsage, Plan};
use caas_storage::{ActiveAdmission, AppId, UsageTotals, UserId};
use serde_json::json;
use time::{Date, Month};

use crate::billing::meters::today;
use crate::http::error::ApiError;

crate::handle! {
    /// What plans, quotas, meters and invoices need.
    Billing => BillingParts
}

/// The parts of a [`Billing`].
pub struct BillingParts {
    /// The database.
    pub store: caas_storage::Store,
    /// Usage meters of this node.
    pub meter: std::sync::Arc<meters::Meter>,
    /// Plans, quotas and prices.
    pub plans: std::sync::Arc<caas_billing::Plans>,
    /// Apps' plans, remembered for a few seconds.
    pub plan_cache: PlanCache,
    /// Open sessions of this node (the open-sessions gauge).
    pub sessions: crate::live::sessions::Sessions,
    /// `billing.invoice_ready` goes out as a webhook.
    pub notifier: crate::notify::Notifier,
}

/// The first and last day (`YYYY-MM-DD`) of a month given as `YYYY-MM`.
pub fn month_range(month: &str) -> Option<(String, String)> {
    let (y, m) = month.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let last = Date::from_calendar_date(year, month, month.length(year)).ok()?;
    Some((first.to_string(), last.to_string()))
}

/// The month (`YYYY-MM`) of a day (`YYYY-MM-DD`).
pub fn month_of(day: &str) -> &str {
    day.get(..7).unwrap_or(day)
}

/// The month before `month` (`YYYY-MM`).
pub fn previous_month(month: &str) -> Option<String> {
    let (first, _) = month_range(month)?;
    let first: Date = Date::parse(&first, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    let prev = first.previous_day()?;
    Some(format!("{:04}-{:02}", prev.year(), u8::from(prev.month())))
}

/// How long a node trusts its memory of an app's plan (a change on another node
/// shows within this; a change on this node at once).
const PLAN_TTL: Duration = Duration::from_secs(5);

/// Apps' chosen plan ids, remembered for [`PLAN_TTL`]: every session needs its app's plan.
#[derive(Default)]
pub struct PlanCache(std::sync::Mutex<std::collections::HashMap<AppId, (Option<String>, std::time::Instant)>>);

impl PlanCache {
    fn get(&self, app: AppId) -> Option<Option<String>> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&app).filter(|(_, at)| at.elapsed() < PLAN_TTL).map(|(id, _)| id.clone())
    }

    fn put(&self, app: AppId, id: Option<String>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, at)| at.elapsed() < PLAN_TTL);
        }
        map.insert(app, (id, std::time::Instant::now()));
    }

    /// Forgets an app's plan after this node changed it.
    pub fn forget(&self, app: AppId) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&app);
    }
}

/// The plan an app is on (the configured default unless one was chosen).
pub async fn plan_of(state: &Billing, app: AppId) -> Result<&Plan, ApiError> {
    let id = match state.plan_cache.get(app) {
        Some(id) => id,
        None => {
            let id = state.store.app_plan(app).await?;
            state.plan_cache.put(app, id.clone());
            id
        }
    };
    Ok(id.as_deref().and_then(|id| state.plans.get(id)).unwrap_or_else(|| state.plans.default_plan()))
}

/// Usage totals in the form invoices and quotas take.
pub fn month_usage(t: &UsageTotals) -> MonthUsage {
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    let minutes = |ms: i64| n(ms).div_ceil(60_000);
    MonthUsage {
        mau: n(t.mau),
        messages: n(t.messages),
        peak_connections: n(t.peak_connections),
        audio_minutes: minutes(t.audio_ms),
        video_minutes: minutes(t.video_ms),
        storage_bytes: n(t.storage_bytes),
        egress_bytes: n(t.egress_bytes),
    }
}

/// Checks the plan's MAU quota before a session is issued to `user`, and marks
/// the user active today. Users already active this month always pass; a new
/// one over a hard quota is refused with 402 `quota_exceeded`. On plans without a
/// hard MAU quota this costs one read (the app's plan) and no write.
pub async fn admit_session(state: &Billing, app: AppId, user: &UserId) -> Result<(), ApiError> {
    let day = today();
    let scope = state.store.app(app);
    let plan = plan_of(state, app).await?;
    let hard_limit =
        plan.included(caas_billing::Metric::Mau).filter(|_| plan.enforcement == caas_billing::Enforcement::Hard);
    let Some(limit) = hard_limit else {
        // Nothing to refuse: the user is counted active through the batched meters.
        state.meter.active(app, user);
        state.meter.session(app);
        return Ok(());
    };
    let (first, _) = month_range(month_of(&day)).ok_or_else(|| ApiError::internal("bad clock"))?;
    // The check and the mark are one transaction serialized per app (not batched):
    // two new users racing for the last place cannot both get it.
    if let ActiveAdmission::Full(mau) = scope.admit_active(user, &first, &day, limit).await? {
        debug_assert_eq!(caas_billing::admit_new_user(plan, mau), Admission::Refused);
        tracing::info!(app_id = %app, plan = %plan.id, mau, limit, "new session refused: MAU quota reached");
        metrics::counter!("caas_quota_refusals_total", "metric" => "mau").increment(1);
        return Err(ApiError::new(
            axum::http::StatusCode::PAYMENT_REQUIRED,
            "quota_exceeded",
            format!(
                "this app's {} plan includes {limit} monthly active users and all are used; \
                 users already active this month can still sign in — upgrade the plan for more",
                plan.name
            ),
        ));
    }
    state.meter.already_active(app, user);
    state.meter.session(app);
    Ok(())
}

/// The invoice of `month` for an app, computed from its metered usage now.
pub async fn compute(state: &Billing, app: AppId, month: &str) -> Result<Invoice, ApiError> {
    let (first, last) = month_range(month)
        .ok_or_else(|| ApiError::invalid("invalid_month", format!("`{month}` is not a month (YYYY-MM)")))?;
    let totals = state.store.app(app).usage_totals(&first, &last).await?;
    let plan = plan_of(state, app).await?;
    Ok(caas_billing::compute_invoice(plan, month, &month_usage(&totals)))
}

/// Issues last month's invoices of every app that had usage, once each, and
/// tells the client backend through the `billing.invoice_ready` webhook.
pub async fn issue_invoices(state: &Billing, month: &str) -> Result<usize, ApiError> {
    let (first, last) = month_range(month)
        .ok_or_else(|| ApiError::invalid("invalid_month", format!("`{month}` is not a month (YYYY-MM)")))?;
    let mut issued = 0;
    for app in state.store.apps_with_usage(&first, &last).await? {
        let scope = state.store.app(app);
        if scope.invoice(month).await?.is_some() {
            continue;
        }
        let invoice = compute(state, app, month).await?;
        let body = serde_json::to_string(&invoice).map_err(ApiError::internal)?;
        let total = i64::try_from(invoice.total_cents).unwrap_or(i64::MAX);
        if scope.put_invoice(month, &invoice.plan_id, total, &body).await? {
            issued += 1;
            tracing::info!(app_id = %app, month, total_cents = total, "invoice issued");
            crate::notify::webhooks::emit(
                &state.notifier,
                app,
                "billing.invoice_ready",
                json!({"month": month, "plan": invoice.plan_id, "total_cents": invoice.total_cents,
                       "currency": invoice.currency, "invoice": invoice}),
            );
        }
    }
    Ok(issued)
}

/// Once an hour (and at start), issues the previous month's invoices.
pub async fn invoice_loop(state: Billing) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let day = today();
        let Some(month) = previous_month(month_of(&day)) else {
            continue;
        };
        // Last month's meters are complete once the day's first flush ran.
        crate::billing::meters::flush(&state).await;
        if let Err(e) = issue_invoices(&state, &month).await {
            tracing::warn!(month, error = %e.message, "cannot issue invoices");
        }
    }
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Billing: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(rest::usage))
        .routes(routes!(rest::billing))
        .routes(routes!(rest::invoices))
        .routes(routes!(rest::invoice))
        .routes(routes!(rest::insights))
        .routes(routes!(rest::audit_log))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        assert_eq!(month_range("2026-02"), Some(("2026-02-01".into(), "2026-02-28".into())));
        assert_eq!(month_range("2028-02"), Some(("2028-02-01".into(), "2028-02-29".into())));
        assert_eq!(month_range("2026-12"), Some(("2026-12-01".into(), "2026-12-31".into())));
        for bad in ["2026-13", "2026-1", "26-01", "", "2026-00", "abcd-ef"] {
            assert_eq!(month_range(bad), None, "{bad}");
        }
        assert_eq!(previous_month("2026-01").as_deref(), Some("2025-12"));
        assert_eq!(previous_month("2026-11").as_deref(), Some("2026-10"));
        assert_eq!(month_of("2026-11-27"), "2026-11");
    }
}
