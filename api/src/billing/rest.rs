//! Admin API: metered usage, plan and quotas, invoices, per end-user insights and
//! the audit log of the calling app.

use axum::extract::{Path, Query, State};
use caas_storage::{AuditEntry, ConversationVolume, UsageDay, UsageTotals, UserId, UserInsights};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::billing::Billing;
use crate::billing::meters::today;
use crate::billing::{month_of, month_range, plan_of};
use crate::gate::auth::AdminAuth;
use crate::http::error::{ApiError, ApiJson, ErrorBody};

/// A range of UTC days.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD` (default: 30 days ago).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today).
    pub to: Option<String>,
}

/// Usage per day and over the range.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageBody {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Days with any usage, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub days: Vec<UsageDay>,
    /// Sums over the range; `mau` counts distinct users of the whole range.
    #[schema(value_type = Object)]
    pub totals: UsageTotals,
    /// The ten busiest conversations of the range.
    #[schema(value_type = Vec<Object>)]
    pub top_conversations: Vec<ConversationVolume>,
}

/// The default range: the last 30 days.
pub fn default_range(q: &RangeQuery) -> (String, String) {
    let today = time::OffsetDateTime::now_utc().date();
    let from = q.from.clone().unwrap_or_else(|| (today - time::Duration::days(29)).to_string());
    let to = q.to.clone().unwrap_or_else(|| today.to_string());
    (from, to)
}

/// The app's metered usage per UTC day: messages, sessions, daily active users,
/// peak concurrent connections, call minutes (audio and video apart), storage and egress.
#[utoipa::path(
    get, path = "/v1/admin/usage", tag = "billing", security(("api_secret" = [])), params(RangeQuery),
    responses(
        (status = 200, body = UsageBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A day is not `YYYY-MM-DD` (`invalid_day`)", body = ErrorBody),
    )
)]
pub async fn usage(
    State(state): State<Billing>,
    auth: AdminAuth,
    Query(q): Query<RangeQuery>,
) -> Result<ApiJson<UsageBody>, ApiError> {
    let (from, to) = default_range(&q);
    crate::billing::meters::flush(&state).await;
    let scope = state.store.app(auth.app.id);
    let days = scope.usage_days(&from, &to).await?;
    let totals = UsageTotals::of(&days, scope.active_users(&from, &to).await?);
    let top_conversations = scope.top_conversations(&from, &to, 10).await?;
    Ok(ApiJson(UsageBody { from, to, days, totals, top_conversations }))
}

/// The plan, this month's usage against its quotas, and the invoice so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillingBody {
    /// The plan, with its quotas and prices.
    #[schema(value_type = Object)]
    pub plan: caas_billing::Plan,
    /// This month, `YYYY-MM`.
    pub month: String,
    /// Usage against each quota.
    #[schema(value_type = Vec<Object>)]
    pub quotas: Vec<caas_billing::QuotaStatus>,
    /// What this month's invoice would be with the usage so far.
    #[schema(value_type = Object)]
    pub draft_invoice: caas_billing::Invoice,
}

/// The calling app's plan, quotas and draft invoice of the current month.
#[utoipa::path(
    get, path = "/v1/admin/billing", tag = "billing", security(("api_secret" = [])),
    responses((status = 200, body = BillingBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn billing(State(state): State<Billing>, auth: AdminAuth) -> Result<ApiJson<BillingBody>, ApiError> {
    // This node's pending meters first, so the figures include the last seconds.
    crate::billing::meters::flush(&state).await;
    Ok(ApiJson(billing_of(&state, auth.app.id).await?))
}

/// The billing summary of an app (also shown in the console).
pub async fn billing_of(state: &Billing, app: caas_storage::AppId) -> Result<BillingBody, ApiError> {
    let day = today();
    let month = month_of(&day).to_owned();
    let (first, _) = month_range(&month).ok_or_else(|| ApiError::internal("bad clock"))?;
    let totals = state.store.app(app).usage_totals(&first, &day).await?;
    let plan = plan_of(state, app).await?;
    let usage = crate::billing::month_usage(&totals);
    Ok(BillingBody {
        quotas: caas_billing::quota_status(plan, &usage),
        draft_invoice: caas_billing::compute_invoice(plan, &month, &usage),
        plan: plan.clone(),
        month,
    })
}

/// An issued invoice, in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceSummary {
    /// `YYYY-MM`.
    pub month: String,
    /// The plan it was computed with.
    pub plan: String,
    /// Total in cents.
    pub total_cents: i64,
    /// When it was issued.
    pub issued_at: String,
}

/// Issued invoices.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoicesBody {
    /// Newest first.
    pub invoices: Vec<InvoiceSummary>,
}

/// The calling app's issued monthly invoices.
#[utoipa::path(
    get, path = "/v1/admin/invoices", tag = "billing", security(("api_secret" = [])),
    responses((status = 200, body = InvoicesBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn invoices(State(state): State<Billing>, auth: AdminAuth) -> Result<ApiJson<InvoicesBody>, ApiError> {
    let rows = state.store.app(auth.app.id).invoices().await?;
    Ok(ApiJson(InvoicesBody {
        invoices: rows
            .into_iter()
            .map(|r| InvoiceSummary {
                month: r.month,
                plan: r.plan,
                total_cents: r.total_cents,
                issued_at: crate::http::wire::rfc3339_ms(r.created_at),
            })
            .collect(),
    }))
}

/// One issued invoice with its lines.
#[utoipa::path(
    get, path = "/v1/admin/invoices/{month}", tag = "billing", security(("api_secret" = [])),
    params(("month" = String, Path, description = "`YYYY-MM`")),
    responses(
        (status = 200, description = "The invoice: plan, lines (base fee and one per metered quantity), totals in cents"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Not issued (`invoice_not_found`)", body = ErrorBody),
    )
)]
pub async fn invoice(
    State(state): State<Billing>,
    auth: AdminAuth,
    Path(month): Path<String>,
) -> Result<ApiJson<caas_billing::Invoice>, ApiError> {
    Ok(ApiJson(stored_invoice(&state, auth.app.id, &month).await?))
}

/// An issued invoice of an app.
pub async fn stored_invoice(
    state: &Billing,
    app: caas_storage::AppId,
    month: &str,
) -> Result<caas_billing::Invoice, ApiError> {
    let not_found = || ApiError::not_found("invoice_not_found", format!("no invoice for `{month}`"));
    let row = state.store.app(app).invoice(month).await?.ok_or_else(not_found)?;
    serde_json::from_str(&row.body).map_err(ApiError::internal)
}

/// What the app may learn about one end user.
#[derive(Debug, Serialize, ToSchema)]
pub struct InsightsBody {
    /// The user.
    pub user_id: String,
    /// Last request or connection.
    pub last_active_at: Option<String>,
    /// Last time a real-time connection closed.
    pub last_seen_at: Option<String>,
    /// Messages sent.
    pub messages_sent: i64,
    /// Calls joined.
    pub calls_joined: i64,
    /// Minutes in calls (rounded up).
    pub call_minutes: i64,
    /// Days active in the last 30.
    pub active_days_30: i64,
}

/// One end user's activity: last active, messages sent, calls joined.
#[utoipa::path(
    get, path = "/v1/admin/users/{user_id}/insights", tag = "billing", security(("api_secret" = [])),
    params(("user_id" = String, Path)),
    responses(
        (status = 200, body = InsightsBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such user in this app (`user_not_found`)", body = ErrorBody),
    )
)]
pub async fn insights(
    State(state): State<Billing>,
    auth: AdminAuth,
    Path(user_id): Path<String>,
) -> Result<ApiJson<InsightsBody>, ApiError> {
    let id: UserId =
        user_id.parse().map_err(|e: caas_storage::IdError| ApiError::bad_request("invalid_user_id", e.to_string()))?;
    // Pending meters first, so a message sent a moment ago counts.
    crate::billing::meters::flush(&state).await;
    let since = (time::OffsetDateTime::now_utc().date() - time::Duration::days(29)).to_string();
    let i: UserInsights = state
        .store
        .app(auth.app.id)
        .user_insights(&id, &since)
        .await?
        .ok_or_else(|| ApiError::not_found("user_not_found", format!("no user `{id}` in this app")))?;
    Ok(ApiJson(InsightsBody {
        user_id: id.to_string(),
        last_active_at: i.last_active_at.map(crate::http::wire::rfc3339_ms),
        last_seen_at: i.last_seen_at.map(crate::http::wire::rfc3339_ms),
        messages_sent: i.messages_sent,
        calls_joined: i.calls_joined,
        call_minutes: (i.call_ms + 59_999) / 60_000,
        active_days_30: i.active_days_30,
    }))
}

/// A page of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Entries older than this entry id.
    pub before: Option<String>,
    /// At most this many (1-500, default 100).
    pub limit: Option<i64>,
}

/// Audit entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditBody {
    /// The entries.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<AuditEntry>,
}

/// Who changed the app's keys, allowlists, plan or webhooks, newest first.
#[utoipa::path(
    get, path = "/v1/admin/audit-log", tag = "billing", security(("api_secret" = [])), params(AuditQuery),
    responses((status = 200, body = AuditBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn audit_log(
    State(state): State<Billing>,
    auth: AdminAuth,
    Query(q): Query<AuditQuery>,
) -> Result<ApiJson<AuditBody>, ApiError> {
    let entries = state.store.app_audit_log(auth.app.id, q.before.as_deref(), q.limit.unwrap_or(100)).await?;
    Ok(ApiJson(AuditBody { entries }))
}
