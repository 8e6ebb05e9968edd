//! Console pages of apps: list and create, keys, allowlists, webhooks, plan,
//! usage charts, billing and invoices.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use caas_console::charts::{Chart, Point, count};
use caas_console::pages::{AppRow, AppView, BillingView, Created, InvoiceRow, UsageView, WebhookRow};
use caas_console::{Flash, Section};
use caas_storage::{App, NewAudit, TeamRole};
use serde::Deserialize;
use serde_json::json;

use super::auth::CsrfForm;
use super::{Console, DoneQuery, Failure, Page, day_of, flash_of};
use crate::console::ConsoleState;

/// The create-app form.
#[derive(Debug, Deserialize)]
pub struct CreateForm {
    csrf: String,
    name: String,
}

async fn plan_name(state: &ConsoleState, app: &App) -> Result<String, Failure> {
    Ok(crate::billing::plan_of(&state.billing, app.id).await?.name.clone())
}

/// `GET /console/apps`.
pub async fn list(State(state): State<ConsoleState>, c: Console) -> Page {
    let apps = state.store.team_apps(c.team_id()).await?;
    let mut rows = Vec::with_capacity(apps.len());
    for a in &apps {
        rows.push(AppRow {
            id: a.id.to_string(),
            name: a.name.clone(),
            api_key: a.api_key.clone(),
            plan: plan_name(&state, a).await?,
            created: day_of(a.created_at),
        });
    }
    let can_edit = c.role() >= TeamRole::Developer;
    Ok(c.page("Apps", Section::Apps, None, caas_console::pages::apps(&rows, &c.session.csrf, can_edit)))
}

/// `POST /console/apps`: creates the app on the sign-up plan and shows its secret once.
pub async fn create(State(state): State<ConsoleState>, c: Console, Form(f): Form<CreateForm>) -> Page {
    c.check_csrf(&f.csrf)?;
    c.require(TeamRole::Developer, "creating apps")?;
    let actor = c.actor();
    let audit = NewAudit {
        team_id: Some(c.team_id()),
        app_id: None,
        actor: &actor,
        action: "app.created",
        detail: json!({"name": f.name.trim()}),
    };
    let created = match crate::apps::create_team_app(&state.store, &f.name, &[], &[], Some((c.team_id(), audit))).await
    {
        Ok(created) => created,
        Err(e) if e.status.is_client_error() => {
            let apps = state.store.team_apps(c.team_id()).await?;
            let rows: Vec<AppRow> = apps
                .iter()
                .map(|a| AppRow {
                    id: a.id.to_string(),
                    name: a.name.clone(),
                    api_key: a.api_key.clone(),
                    plan: String::new(),
                    created: day_of(a.created_at),
                })
                .collect();
            let body = caas_console::pages::apps(&rows, &c.session.csrf, true);
            return Ok(c.page("Apps", Section::Apps, Some(Flash::Error(e.message)), body));
        }
        Err(e) => return Err(e.into()),
    };
    let signup = state.billing.plans.signup_plan();
    let audit = NewAudit {
        team_id: Some(c.team_id()),
        app_id: Some(created.app.id),
        actor: &actor,
        action: "app.plan_changed",
        detail: json!({"plan": signup.id}),
    };
    state.store.set_app_plan(created.app.id, &signup.id, audit).await?;
    state.billing.plan_cache.forget(created.app.id);
    state.directory.reload(&state.store).await?;
    tracing::info!(app_id = %created.app.id, team_id = %c.team_id(), "app created in the console");
    let shown = Created {
        app_id: created.app.id.to_string(),
        name: created.app.name.clone(),
        api_key: created.app.api_key.clone(),
        api_secret: created.api_secret,
        rotated: false,
    };
    Ok(c.page("App created", Section::Apps, None, caas_console::pages::secret_shown(&shown)))
}

async fn view(
    state: &ConsoleState,
    c: &Console,
    app: &App,
    new_webhook_secret: Option<String>,
) -> Result<AppView, Failure> {
    let webhooks = state.store.app(app.id).webhooks().await?;
    Ok(AppView {
        id: app.id.to_string(),
        name: app.name.clone(),
        api_key: app.api_key.clone(),
        allowed_ips: app.allowed_ips.clone(),
        allowed_origins: app.allowed_origins.clone(),
        webhooks: webhooks
            .into_iter()
            .map(|w| WebhookRow { id: w.id.to_string(), url: w.url, events: w.events.join(", ") })
            .collect(),
        webhook_events: crate::notify::webhooks::EVENTS.to_vec(),
        new_webhook_secret,
        plan_id: crate::billing::plan_of(&state.billing, app.id).await?.id.clone(),
        plans: state.billing.plans.self_service().map(|p| (p.id.clone(), p.name.clone(), p.price_cents)).collect(),
        csrf: c.session.csrf.clone(),
        can_edit: c.role() >= TeamRole::Developer,
        can_own: c.role() >= TeamRole::Owner,
    })
}

/// The settings page again, with the refused input's error and status.
async fn refused(state: &ConsoleState, c: &Console, app: &App, e: crate::http::error::ApiError) -> Page {
    let v = view(state, c, app, None).await?;
    let mut res = c.page(&app.name, Section::Apps, Some(Flash::Error(e.message)), caas_console::pages::app(&v));
    *res.status_mut() = e.status;
    Ok(res)
}

/// `GET /console/apps/{id}`.
pub async fn settings(
    State(state): State<ConsoleState>,
    c: Console,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Page {
    let app = c.app(&state, &id).await?;
    let v = view(&state, &c, &app, None).await?;
    Ok(c.page(&app.name, Section::Apps, flash_of(q.done.as_deref()), caas_console::pages::app(&v)))
}

/// `POST /console/apps/{id}/rotate-secret`: the new secret is shown once.
pub async fn rotate_secret(
    State(state): State<ConsoleState>,
    c: Console,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Page {
    c.check_csrf(&f.csrf)?;
    c.require(TeamRole::Developer, "rotating secrets")?;
    let app = c.app(&state, &id).await?;
    let secret = crate::apps::rotate_secret(&state.store, app.id).await?;
    audit(&state, &c, &app, "app.secret_rotated", json!({})).await?;
    let shown = Created {
        app_id: app.id.to_string(),
        name: app.name.clone(),
        api_key: app.api_key,
        api_secret: secret,
        rotated: true,
    };
    Ok(c.page("New secret", Section::Apps, None, caas_console::pages::secret_shown(&shown)))
}

async fn audit(
    state: &ConsoleState,
    c: &Console,
    app: &App,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), Failure> {
    let actor = c.actor();
    state
        .store
        .audit(NewAudit { team_id: Some(c.team_id()), app_id: Some(app.id), actor: &actor, action, detail })
        .await?;
    Ok(())
}

/// An allowlist form: one item per line.
#[derive(Debug, Deserialize)]
pub struct IpsForm {
    csrf: String,
    ips: String,
}

/// The origins form.
#[derive(Debug, Deserialize)]
pub struct OriginsForm {
    csrf: String,
    origins: String,
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

async fn save_list(
    state: &ConsoleState,
    c: &Console,
    id: &str,
    csrf: &str,
    ips: Option<Vec<String>>,
    origins: Option<Vec<String>>,
) -> Page {
    c.check_csrf(csrf)?;
    c.require(TeamRole::Developer, "changing allowlists")?;
    let app = c.app(state, id).await?;
    let (what, done) = if ips.is_some() { ("app.ips_changed", "ips") } else { ("app.origins_changed", "origins") };
    match crate::apps::update_settings(&state.store, app.id, None, ips.as_deref(), origins.as_deref()).await {
        Ok(updated) => {
            state.directory.reload(&state.store).await?;
            let detail = match ips.is_some() {
                true => json!({"from": app.allowed_ips, "to": updated.allowed_ips}),
                false => json!({"from": app.allowed_origins, "to": updated.allowed_origins}),
            };
            audit(state, c, &app, what, detail).await?;
            Ok(Redirect::to(&format!("/console/apps/{}?done={done}", app.id)).into_response())
        }
        Err(e) if e.status.is_client_error() => refused(state, c, &app, e).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/apps/{id}/ips`.
pub async fn set_ips(
    State(state): State<ConsoleState>,
    c: Console,
    Path(id): Path<String>,
    Form(f): Form<IpsForm>,
) -> Page {
    save_list(&state, &c, &id, &f.csrf, Some(lines(&f.ips)), None).await
}

/// `POST /console/apps/{id}/origins`.
pub async fn set_origins(
    State(state): State<ConsoleState>,
    c: Console,
    Path(id): Path<String>,
    Form(f): Form<OriginsForm>,
) -> Page {
    save_list(&state, &c, &id, &f.csrf, None, Some(lines(&f.origins))).await
}

/// The add-webhook form.
#[derive(Debug, Deserialize)]
pub struct WebhookForm {
    csrf: String,
    url: String,
    events: String,
}

/// `POST /console/apps/{id}/webhooks`: the signing secret is shown once.
pub async fn add_webhook(
    State(state): State<ConsoleState>,
    c: Console,
    Path(id): Path<String>,
    Form(f): Form<WebhookForm>,
) -> Page {
    c.check_csrf(&f.csrf)?;
    c.require(TeamRole::Developer, "changing webhooks")?;
    let app = c.app(&state, &id).await?;
    let events = vec![f.events.clone()];
    match crate::notify::webhooks::add(&state.notifier, app.id, &f.url, &events).await {
        Ok((webhook, secret)) => {
            audit(&state, &c, &app, "app.webhook_added", json!({"url": webhook.url, "events": webhook.events})).await?;
            let v = view(&state, &c, &app, Some(secret)).await?;
            Ok(c.page(&app.name, Section::Apps, Some(Flash::Ok("Webhook added.".into())), caas_console::pages::app(&v)))
        }
        Err(e) if e.status.is_client_error() => refused(&state, &c, &app, e).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/apps/{id}/webhooks/{webhook}/delete`.
pub async fn delete_webhook(
    State(state): State<ConsoleState>,
    c: Console,
    Path((id, webhook)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Page {
    c.check_csrf(&f.csrf)?;
    c.require(TeamRole::Developer, "changing webhooks")?;
    let app = c.app(&state, &id).await?;
    let wid = webhook.parse().map_err(|_| Failure::not_found())?;
    state.store.app(app.id).delete_webhook(wid).await?;
    state.notifier.hooks.changed(app.id);
    audit(&state, &c, &app, "app.webhook_removed", json!({"webhook_id": webhook})).await?;
    Ok(Redirect::to(&format!("/console/apps/{}?done=webhook_removed", app.id)).into_response())
}

/// The plan form.
#[derive(Debug, Deserialize)]
pub struct PlanForm {
    csrf: String,
    plan: String,
}

/// `POST /console/apps/{id}/plan` (owners only).
pub async fn set_plan(
    State(state): State<ConsoleState>,
    c: Console,
    Path(id): Path<String>,
    Form(f): Form<PlanForm>,
) -> Page {
    c.check_csrf(&f.csrf)?;
    c.require(TeamRole::Owner, "changing plans")?;
    let app = c.app(&state, &id).await?;
    // Only plans offered to clients: an operator's plan (no quotas, no price) is not theirs to take.
    let Some(plan) = state.billing.plans.get(&f.plan).filter(|p| p.self_service) else {
        return Err(Failure::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            format!("There is no plan `{}`.", f.plan),
        ));
    };
    let from = crate::billing::plan_of(&state.billing, app.id).await?.id.clone();
    let actor = c.actor();
    let audit = NewAudit {
        team_id: Some(c.team_id()),
        app_id: Some(app.id),
        actor: &actor,
        action: "app.plan_changed",
        detail: json!({"from": from, "to": plan.id}),
    };
    state.store.set_app_plan(app.id, &plan.id, audit).await?;
    state.billing.plan_cache.forget(app.id);
    Ok(Redirect::to(&format!("/console/apps/{}?done=plan", app.id)).into_response())
}

/// `GET /console/apps/{id}/usage`: the last 30 days.
pub async fn usage(State(state): State<ConsoleState>, c: Console, Path(id): Path<String>) -> Page {
    let app = c.app(&state, &id).await?;
    // Pending meters first, so what just happened shows.
    crate::billing::meters::flush(&state.billing).await;
    let q = crate::billing::rest::RangeQuery { from: None, to: None };
    let (from, to) = crate::billing::rest::default_range(&q);
    let scope = state.store.app(app.id);
    let days = scope.usage_days(&from, &to).await?;
    let totals = caas_storage::UsageTotals::of(&days, scope.active_users(&from, &to).await?);
    let top = scope.top_conversations(&from, &to, 10).await?;
    // Every day of the range gets a bar, zero where nothing was metered.
    let start = time::Date::parse(&from, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(crate::http::error::ApiError::internal)?;
    let all_days: Vec<String> = (0..30).map(|i| (start + time::Duration::days(i)).to_string()).collect();
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    let series = |id: &'static str,
                  title: &str,
                  format: fn(u64) -> String,
                  f: &dyn Fn(&caas_storage::UsageDay) -> i64| Chart {
        id,
        title: title.to_owned(),
        format,
        points: all_days
            .iter()
            .map(|d| Point { label: d.clone(), value: days.iter().find(|u| &u.day == d).map(|u| n(f(u))).unwrap_or(0) })
            .collect(),
    };
    let minutes = |ms: i64| (ms + 59_999) / 60_000;
    // Monthly active users of this month and the five before it.
    let mut months = vec![crate::billing::month_of(&to).to_owned()];
    while months.len() < 6 {
        match months.last().and_then(|m| crate::billing::previous_month(m)) {
            Some(prev) => months.push(prev),
            None => break,
        }
    }
    months.reverse();
    let mut mau_points = Vec::with_capacity(months.len());
    for m in &months {
        let (first, last) =
            crate::billing::month_range(m).ok_or_else(|| crate::http::error::ApiError::internal("bad month"))?;
        mau_points.push(Point { label: m.clone(), value: n(scope.active_users(&first, &last).await?) });
    }
    let mau_now = mau_points.last().map(|p| p.value).unwrap_or(0);
    let charts = vec![
        series("messages", "Messages per day", count, &|u| u.messages),
        series("dau", "Daily active users", count, &|u| u.dau),
        Chart { id: "mau", title: "Monthly active users".to_owned(), format: count, points: mau_points },
        series("connections", "Peak concurrent connections", count, &|u| u.peak_connections),
        series("audio", "Audio participant-minutes", count, &|u| minutes(u.audio_ms)),
        series("video", "Video participant-minutes", count, &|u| minutes(u.video_ms)),
        series("sessions", "Sessions created", count, &|u| u.sessions),
        series("storage", "Storage", caas_console::bytes, &|u| u.storage_bytes),
        series("egress", "Egress", caas_console::bytes, &|u| u.egress_bytes),
    ];
    let v = UsageView {
        app_id: app.id.to_string(),
        name: app.name.clone(),
        from,
        to,
        charts,
        totals: vec![
            ("MAU this month", count(mau_now)),
            ("Users, 30 days", count(u64::try_from(totals.mau).unwrap_or(0))),
            ("Messages", count(n(totals.messages))),
            ("Peak connections", totals.peak_connections.to_string()),
            ("Call minutes", (minutes(totals.audio_ms) + minutes(totals.video_ms)).to_string()),
            ("Storage", caas_console::bytes(n(totals.storage_bytes))),
            ("Egress", caas_console::bytes(n(totals.egress_bytes))),
        ],
        top: top.into_iter().map(|t| (t.name.unwrap_or(t.conversation_id), t.messages)).collect(),
    };
    Ok(c.page("Usage", Section::Apps, None, caas_console::pages::usage(&v)))
}

/// `GET /console/apps/{id}/billing`.
pub async fn billing(State(state): State<ConsoleState>, c: Console, Path(id): Path<String>) -> Page {
    let app = c.app(&state, &id).await?;
    crate::billing::meters::flush(&state.billing).await;
    let b = crate::billing::rest::billing_of(&state.billing, app.id).await?;
    let invoices = state.store.app(app.id).invoices().await?;
    let v = BillingView {
        app_id: app.id.to_string(),
        name: app.name.clone(),
        plan_name: b.plan.name.clone(),
        price_cents: b.plan.price_cents,
        hard: b.plan.enforcement == caas_billing::Enforcement::Hard,
        quotas: b.quotas,
        draft: b.draft_invoice,
        invoices: invoices
            .into_iter()
            .map(|i| InvoiceRow {
                month: i.month,
                plan: i.plan,
                total_cents: u64::try_from(i.total_cents).unwrap_or(0),
                issued: day_of(i.created_at),
            })
            .collect(),
    };
    Ok(c.page("Billing", Section::Apps, None, caas_console::pages::billing(&v)))
}

/// `GET /console/apps/{id}/invoices/{month}`.
pub async fn invoice(State(state): State<ConsoleState>, c: Console, Path((id, month)): Path<(String, String)>) -> Page {
    let app = c.app(&state, &id).await?;
    let inv = crate::billing::rest::stored_invoice(&state.billing, app.id, &month).await?;
    let body = caas_console::pages::invoice(&app.id.to_string(), &app.name, &inv);
    Ok(c.page(&format!("Invoice {month}"), Section::Apps, None, body))
}
