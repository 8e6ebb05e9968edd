//! Webhook endpoints of an app and the log of deliveries to them.
//!
//! An event is enqueued as one delivery row per matching endpoint; a sender
//! (any node) leases due rows, posts them and records the attempt. The row's id
//! is the delivery id the receiver dedupes on: retries reuse it.

use serde::Serialize;

use crate::{AppId, AppScope, BeginWrite, DeliveryId, Result, Store, StoreError, WebhookId, now_ms, on_pool, ts};

/// Endpoints per app.
pub const MAX_WEBHOOKS: i64 = 20;
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// A webhook endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Webhook {
    /// Id.
    pub id: WebhookId,
    /// Where deliveries are posted.
    pub url: String,
    /// Event names it receives (`*` for all).
    pub events: Vec<String>,
    /// Receives deliveries.
    pub active: bool,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub created_at: i64,
}

/// One delivery of one event to one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// Stable id (the `CAAS-Webhook-Id` header).
    pub id: DeliveryId,
    /// The endpoint.
    pub webhook_id: WebhookId,
    /// Event name.
    pub event: String,
    /// The JSON body posted.
    pub payload: serde_json::Value,
    /// `pending`, `delivered` or `failed` (gave up).
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// HTTP status of the last attempt.
    pub last_status: Option<i64>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub created_at: i64,
    /// RFC 3339; when the next attempt is due (pending only).
    #[serde(with = "ts")]
    pub next_attempt_at: i64,
    /// RFC 3339.
    #[serde(with = "ts::opt")]
    pub delivered_at: Option<i64>,
}

/// A delivery leased for sending.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// The app.
    pub app_id: AppId,
    /// Delivery id.
    pub id: DeliveryId,
    /// Endpoint URL.
    pub url: String,
    /// Signing secret of the endpoint.
    pub secret: String,
    /// Event name.
    pub event: String,
    /// The JSON body.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

use crate::parse_column as parse;

type HookRow = (String, String, String, bool, i64);
type DeliveryRow = (String, String, String, String, String, i64, Option<i64>, Option<String>, i64, i64, Option<i64>);

fn hook(row: HookRow) -> Result<Webhook> {
    Ok(Webhook {
        id: parse("webhooks.id", &row.0)?,
        url: row.1,
        events: crate::json_list("webhooks.events", &row.2)?,
        active: row.3,
        created_at: row.4,
    })
}

fn delivery(row: DeliveryRow) -> Result<Delivery> {
    Ok(Delivery {
        id: parse("webhook_deliveries.id", &row.0)?,
        webhook_id: parse("webhook_deliveries.webhook_id", &row.1)?,
        event: row.2,
        payload: serde_json::from_str(&row.3)
            .map_err(|e| StoreError::Corrupt { column: "webhook_deliveries.payload", reason: e.to_string() })?,
        status: row.4,
        attempts: row.5,
        last_status: row.6,
        last_error: row.7,
        created_at: row.8,
        next_attempt_at: row.9,
        delivered_at: row.10,
    })
}

impl AppScope<'_> {
    /// Adds an endpoint.
    pub async fn create_webhook(&self, url: &str, events: &[String], secret: &str) -> Result<Webhook> {
        let id = WebhookId::generate();
        let now = now_ms();
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM webhooks WHERE app_id = $1")
                .bind(&app)
                .fetch_one(&mut *tx)
                .await?;
            if n >= MAX_WEBHOOKS {
                return Err(StoreError::Invalid {
                    code: "too_many_webhooks",
                    message: format!("an app has at most {MAX_WEBHOOKS} webhooks"),
                });
            }
            sqlx::query(
                "INSERT INTO webhooks (app_id, id, url, secret, events, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(url)
            .bind(secret)
            .bind(crate::to_json_list(events))
            .bind(true)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(Webhook { id, url: url.to_owned(), events: events.to_vec(), active: true, created_at: now })
    }

    /// The app's endpoints.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let rows: Vec<HookRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT id, url, events, active, created_at FROM webhooks WHERE app_id = $1 ORDER BY created_at, id",
            )
            .bind(self.id())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(hook).collect()
    }

    /// Removes an endpoint and its delivery log.
    pub async fn delete_webhook(&self, id: WebhookId) -> Result<()> {
        let n = on_pool!(self.db(), |pool| {
            sqlx::query("DELETE FROM webhooks WHERE app_id = $1 AND id = $2")
                .bind(self.id())
                .bind(id.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound { what: "webhook" });
        }
        Ok(())
    }

    /// Enqueues `event` for every active endpoint that wants it; returns how many deliveries.
    pub async fn enqueue_webhook_event(&self, event: &str, payload: &serde_json::Value) -> Result<usize> {
        let hooks = self.webhooks().await?;
        let targets: Vec<&Webhook> =
            hooks.iter().filter(|h| h.active && h.events.iter().any(|e| e == "*" || e == event)).collect();
        if targets.is_empty() {
            return Ok(0);
        }
        let app = self.id();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            for h in &targets {
                let id = DeliveryId::generate();
                // The body names its own delivery id, so a receiver can dedupe from the body alone.
                let body = serde_json::json!({
                    "id": id.to_string(),
                    "type": event,
                    "app_id": app,
                    "created_at": ts::rfc3339(now),
                    "data": payload,
                });
                sqlx::query(
                    "INSERT INTO webhook_deliveries (app_id, id, webhook_id, event, payload, status, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)",
                )
                .bind(&app)
                .bind(id.to_string())
                .bind(h.id.to_string())
                .bind(event)
                .bind(body.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(targets.len())
    }

    /// An endpoint's deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        hook: WebhookId,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<crate::Page<Delivery>> {
        let (before_at, before_id) = crate::time_cursor(cursor)?;
        let rows: Vec<DeliveryRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT id, webhook_id, event, payload, status, attempts, last_status, last_error, created_at, \
                 next_attempt_at, delivered_at FROM webhook_deliveries WHERE app_id = $1 AND webhook_id = $2 \
                 AND (created_at < $3 OR (created_at = $3 AND id < $4)) ORDER BY created_at DESC, id DESC LIMIT $5",
            )
            .bind(self.id())
            .bind(hook.to_string())
            .bind(before_at)
            .bind(before_id)
            .bind(limit + 1)
            .fetch_all(pool)
            .await?
        });
        let (rows, more) = crate::cut(rows, limit);
        let list = rows.into_iter().map(delivery).collect::<Result<Vec<_>>>()?;
        Ok(crate::Page::after(list, more))
    }
}

impl crate::Listed for Delivery {
    const ITEMS: &'static str = "deliveries";
    fn cursor(&self) -> String {
        crate::time_cursor_of(self.created_at, self.id)
    }
}

impl Store {
    /// Leases up to `limit` due deliveries of any app for `lease_ms` (another
    /// node skips them meanwhile).
    pub async fn lease_due_deliveries(&self, limit: i64, lease_ms: i64) -> Result<Vec<DueDelivery>> {
        let now = now_ms();
        let rows: Vec<(String, String, String, String, String, String, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT d.app_id, d.id, w.url, w.secret, d.event, d.payload, d.attempts FROM webhook_deliveries d \
                 JOIN webhooks w ON w.app_id = d.app_id AND w.id = d.webhook_id \
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND d.lease_until <= $1 \
                 ORDER BY d.next_attempt_at LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        let mut leased = Vec::with_capacity(rows.len());
        for (app, id, url, secret, event, payload, attempts) in rows {
            // Take it only if no other node did since the read.
            let n = on_pool!(&self.db, |pool| {
                sqlx::query(
                    "UPDATE webhook_deliveries SET lease_until = $3 WHERE app_id = $1 AND id = $2 \
                     AND status = 'pending' AND lease_until <= $4",
                )
                .bind(&app)
                .bind(&id)
                .bind(now + lease_ms)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
            });
            if n == 1 {
                leased.push(DueDelivery {
                    app_id: parse("webhook_deliveries.app_id", &app)?,
                    id: parse("webhook_deliveries.id", &id)?,
                    url,
                    secret,
                    event,
                    payload,
                    attempts,
                });
            }
        }
        Ok(leased)
    }

    /// Records an attempt: delivered, or retried at `retry_at` (`None`: give up).
    pub async fn record_delivery_attempt(
        &self,
        app: AppId,
        id: DeliveryId,
        delivered: bool,
        status: Option<i64>,
        error: Option<&str>,
        retry_at: Option<i64>,
    ) -> Result<()> {
        let now = now_ms();
        let state = match (delivered, retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        };
        on_pool!(&self.db, |pool| {
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, last_status = $4, last_error = $5, \
                 next_attempt_at = $6, lease_until = 0, delivered_at = $7 WHERE app_id = $1 AND id = $2",
            )
            .bind(app.to_string())
            .bind(id.to_string())
            .bind(state)
            .bind(status)
            .bind(error)
            .bind(retry_at.unwrap_or(now))
            .bind(delivered.then_some(now))
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
