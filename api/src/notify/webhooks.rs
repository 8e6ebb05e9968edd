//! Webhooks to the client backend: events are enqueued as delivery rows (one
//! per matching endpoint) and a sender task on every node leases due rows,
//! posts them signed, and retries failures with exponential backoff.
//!
//! Signature: `CAAS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
//! "<t>.<body>")>`; the delivery id (stable across retries) is in
//! `CAAS-Webhook-Id` and in the body's `id`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use caas_storage::{AppId, DueDelivery, MAX_ATTEMPTS};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::Notify;

use crate::notify::Notifier;

/// Events a webhook can ask for (`*`: all of them).
pub const EVENTS: &[&str] = &[
    "message.new",
    "conversation.created",
    "member.added",
    "member.removed",
    "call.started",
    "call.ended",
    "post.created",
    "event.created",
    "task.updated",
    "user.blocked",
    "billing.invoice_ready",
];

/// Checks and adds a webhook endpoint; returns it and its signing secret (shown once).
pub async fn add(
    state: &Notifier,
    app: caas_storage::AppId,
    url: &str,
    events: &[String],
) -> Result<(caas_storage::Webhook, String), crate::http::error::ApiError> {
    use crate::http::error::ApiError;
    let parsed = reqwest::Url::parse(url).map_err(|_| ApiError::invalid("invalid_url", "url must be absolute"))?;
    if !matches!(parsed.scheme(), "https" | "http") || url.len() > 2000 {
        return Err(ApiError::invalid("invalid_url", "url must be http(s) and at most 2000 characters"));
    }
    if events.is_empty() || events.iter().any(|e| e != "*" && !EVENTS.contains(&e.as_str())) {
        return Err(ApiError::invalid(
            "invalid_events",
            format!("events must be `*` or some of: {}", EVENTS.join(", ")),
        ));
    }
    let secret = new_secret();
    let webhook = state.store.app(app).create_webhook(url, events, &secret).await?;
    state.hooks.changed(app);
    Ok((webhook, secret))
}

/// How long a leased delivery stays with one sender.
const LEASE_MS: i64 = 60_000;
/// Longest wait between two retries.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Whether an app has webhooks is remembered this long.
const KNOWN_FOR: Duration = Duration::from_secs(5);

/// The sender's shared state.
pub struct Hooks {
    /// Events each app's active endpoints want, remembered for a while.
    known: std::sync::Mutex<HashMap<AppId, (Instant, Vec<String>)>>,
    wake: Notify,
    client: reqwest::Client,
    retry_base: Duration,
}

impl Hooks {
    /// With the first retry after `retry_base`.
    pub fn new(retry_base: Duration) -> Hooks {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Hooks { known: Default::default(), wake: Notify::new(), client, retry_base }
    }

    /// Forgets what was known about `app`'s endpoints (they changed).
    pub fn changed(&self, app: AppId) {
        self.known.lock().unwrap_or_else(|e| e.into_inner()).remove(&app);
    }

    /// Whether `app` may want `event` (true when not known lately).
    fn may_want(&self, app: AppId, event: &str) -> bool {
        match self.known.lock().unwrap_or_else(|e| e.into_inner()).get(&app) {
            Some((at, events)) if at.elapsed() < KNOWN_FOR => events.iter().any(|e| e == "*" || e == event),
            _ => true,
        }
    }

    fn remember(&self, app: AppId, events: Vec<String>) {
        self.known.lock().unwrap_or_else(|e| e.into_inner()).insert(app, (Instant::now(), events));
    }

    /// Delay before retry number `attempts` (1-based).
    fn backoff(&self, attempts: i64) -> Duration {
        let factor = 1u32 << attempts.clamp(0, 20) as u32;
        self.retry_base.saturating_mul(factor / 2).min(MAX_BACKOFF)
    }
}

/// The signature header value of `body` at unix time `t`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    // HMAC accepts keys of any length.
    // HMAC takes a key of any length: `new_from_slice` cannot fail here.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// Enqueues `event` for `app`'s endpoints that want it, in the background
/// (the caller's request does not wait for it).
pub fn emit(state: &Notifier, app: AppId, event: &'static str, data: serde_json::Value) {
    let hooks = state.hooks.clone();
    // Chat events pass here once per message: most apps want none of them,
    // and that is known without touching the database.
    if !hooks.may_want(app, event) {
        return;
    }
    let store = state.store.clone();
    tokio::spawn(async move {
        match store.app(app).enqueue_webhook_event(event, &data).await {
            Ok(n) => {
                if n > 0 {
                    hooks.wake.notify_one();
                } else if let Ok(all) = store.app(app).webhooks().await {
                    let wanted = all.into_iter().filter(|w| w.active).flat_map(|w| w.events).collect();
                    hooks.remember(app, wanted);
                }
            }
            Err(e) => tracing::warn!(app_id = %app, event, error = %e, "cannot enqueue a webhook event"),
        }
    });
}

/// Forwards a committed chat event to webhooks if it is one they can ask for
/// (`message.new`, `conversation.created`, `member.added`, `member.removed`).
pub fn on_event(state: &Notifier, app: AppId, event: &caas_storage::Event) {
    let name: &'static str = match event.kind.as_str() {
        "message.new" => "message.new",
        "conversation.created" => "conversation.created",
        "member.added" => "member.added",
        // Published twice (to the conversation and to the removed user): hook once.
        "member.removed" if event.target_user.is_none() => "member.removed",
        _ => return,
    };
    let mut data = match &event.data {
        serde_json::Value::Object(m) => m.clone(),
        other => {
            let mut m = serde_json::Map::new();
            m.insert("value".into(), other.clone());
            m
        }
    };
    if let Some(conv) = event.conversation_id {
        data.entry("conversation_id").or_insert_with(|| serde_json::Value::String(conv.to_string()));
    }
    emit(state, app, name, serde_json::Value::Object(data));
}

/// Sends due deliveries until the node stops.
pub async fn sender(state: Notifier) {
    loop {
        match state.store.lease_due_deliveries(32, LEASE_MS).await {
            Ok(due) if !due.is_empty() => {
                let sends = due.into_iter().map(|d| deliver(&state, d));
                futures_util::future::join_all(sends).await;
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read due webhook deliveries"),
        }
        // Woken by a new event, or look again shortly for retries and other nodes' events.
        let _ = tokio::time::timeout(Duration::from_millis(500), state.hooks.wake.notified()).await;
    }
}

async fn deliver(state: &Notifier, d: DueDelivery) {
    let t = caas_storage::now_ms() / 1000;
    let sent = state
        .hooks
        .client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("user-agent", "CAAS-Webhooks/1")
        .header("caas-webhook-id", d.id.to_string())
        .header("caas-event", &d.event)
        .header("caas-signature", signature(&d.secret, t, &d.payload))
        .body(d.payload.clone())
        .send()
        .await;
    let (ok, status, error) = match sent {
        Ok(res) if res.status().is_success() => (true, Some(i64::from(res.status().as_u16())), None),
        Ok(res) => (false, Some(i64::from(res.status().as_u16())), Some(format!("HTTP {}", res.status()))),
        Err(e) => (false, None, Some(e.to_string())),
    };
    let attempts = d.attempts + 1;
    let retry_at = (!ok && attempts < MAX_ATTEMPTS)
        .then(|| caas_storage::now_ms() + state.hooks.backoff(attempts).as_millis() as i64);
    metrics::counter!("caas_webhook_attempts_total", "outcome" => if ok { "delivered" } else { "failed" }).increment(1);
    if !ok {
        tracing::info!(app_id = %d.app_id, delivery_id = %d.id, attempts, error = ?error, "webhook delivery failed");
    }
    if let Err(e) = state.store.record_delivery_attempt(d.app_id, d.id, ok, status, error.as_deref(), retry_at).await {
        tracing::warn!(app_id = %d.app_id, delivery_id = %d.id, error = %e, "cannot record a webhook attempt");
    }
}

/// A new signing secret: `whsec_` and 32 random bytes, base64url.
pub fn new_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The shared handle kept in the app state.
pub type SharedHooks = Arc<Hooks>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_over_time_and_body() {
        // Reference: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, r#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let h = Hooks::new(Duration::from_secs(1));
        assert_eq!(h.backoff(1), Duration::from_secs(1));
        assert_eq!(h.backoff(2), Duration::from_secs(2));
        assert_eq!(h.backoff(5), Duration::from_secs(16));
        assert_eq!(h.backoff(40), MAX_BACKOFF);
    }
}
