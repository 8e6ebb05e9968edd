//! In-app notifications over REST (list, unread count, mark read,
//! preferences), web-push subscriptions, and the admin webhook endpoints.

use axum::extract::{Path, Query, State};
use caas_storage::{Delivery, NotificationId, NotificationPage, PushSubscription, Webhook, WebhookId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::gate::auth::{AdminAuth, EndUser};
use crate::http::error::{ApiError, ApiJson, ErrorBody};
use crate::notify::Notifier;

/// Query of `GET /v1/notifications`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListNotifications {
    /// Only unread ones.
    #[serde(default)]
    pub unread: bool,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    pub limit: Option<i64>,
}

/// The caller's notifications, newest first. New ones arrive live as
/// `notification.new` on the WebSocket.
#[utoipa::path(
    get, path = "/v1/notifications", tag = "notifications", security(("session_token" = [])), params(ListNotifications),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<Notifier>,
    user: EndUser,
    Query(q): Query<ListNotifications>,
) -> Result<ApiJson<NotificationPage>, ApiError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("invalid_limit", "limit must be between 1 and 100"));
    }
    let page = state.store.app(user.app_id).notifications(&user.user_id, q.unread, q.cursor.as_deref(), limit).await?;
    Ok(ApiJson(page))
}

/// `{"unread": n}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadBody {
    /// Unread notifications.
    pub unread: i64,
}

/// How many of the caller's notifications are unread (the bell's badge).
#[utoipa::path(
    get, path = "/v1/notifications/unread-count", tag = "notifications", security(("session_token" = [])),
    responses((status = 200, body = UnreadBody), (status = 401, body = ErrorBody))
)]
pub async fn unread(State(state): State<Notifier>, user: EndUser) -> Result<ApiJson<UnreadBody>, ApiError> {
    Ok(ApiJson(UnreadBody { unread: state.store.app(user.app_id).unread_notifications(&user.user_id).await? }))
}

/// Input of `POST /v1/notifications/read`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadInput {
    /// These notifications (up to 500)…
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub ids: Vec<NotificationId>,
    /// …or all of them.
    #[serde(default)]
    pub all: bool,
}

/// Marks notifications read; answers with the unread count after.
#[utoipa::path(
    post, path = "/v1/notifications/read", tag = "notifications", security(("session_token" = [])), request_body = ReadInput,
    responses((status = 200, body = UnreadBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn mark_read(
    State(state): State<Notifier>,
    user: EndUser,
    ApiJson(input): ApiJson<ReadInput>,
) -> Result<ApiJson<UnreadBody>, ApiError> {
    if input.all != input.ids.is_empty() || input.ids.len() > 500 {
        return Err(ApiError::invalid("invalid_body", "give either `ids` (1 to 500) or `all: true`"));
    }
    let scope = state.store.app(user.app_id);
    scope.mark_notifications_read(&user.user_id, (!input.all).then_some(input.ids.as_slice())).await?;
    Ok(ApiJson(UnreadBody { unread: scope.unread_notifications(&user.user_id).await? }))
}

/// One preference.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    /// `mention`, `reply`, `direct_message`, `contact_request`, `follow`, `like`, `comment`, `reminder` or `system`.
    pub category: String,
    /// `in_app`, `email` or `push`.
    pub channel: String,
    /// On or off.
    pub enabled: bool,
}

/// `{"preferences": […]}`: every category × channel.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// The preferences.
    pub preferences: Vec<Preference>,
}

async fn all_prefs(state: &Notifier, user: &EndUser) -> Result<Preferences, ApiError> {
    let set = state.store.app(user.app_id).notification_prefs(&user.user_id).await?;
    let mut preferences = Vec::new();
    for category in caas_storage::CATEGORIES {
        for channel in caas_storage::CHANNELS {
            let enabled =
                set.iter().find(|(c, ch, _)| c == category && ch == channel).is_none_or(|(_, _, enabled)| *enabled);
            preferences.push(Preference { category: (*category).into(), channel: (*channel).into(), enabled });
        }
    }
    Ok(Preferences { preferences })
}

/// The caller's notification preferences (every channel is on by default).
#[utoipa::path(
    get, path = "/v1/notifications/preferences", tag = "notifications", security(("session_token" = [])),
    responses((status = 200, body = Preferences), (status = 401, body = ErrorBody))
)]
pub async fn preferences(State(state): State<Notifier>, user: EndUser) -> Result<ApiJson<Preferences>, ApiError> {
    Ok(ApiJson(all_prefs(&state, &user).await?))
}

/// Changes some preferences (the others stay); all or nothing.
#[utoipa::path(
    put, path = "/v1/notifications/preferences", tag = "notifications", security(("session_token" = [])),
    request_body = Preferences,
    responses((status = 200, body = Preferences), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn set_preferences(
    State(state): State<Notifier>,
    user: EndUser,
    ApiJson(input): ApiJson<Preferences>,
) -> Result<ApiJson<Preferences>, ApiError> {
    if input.preferences.len() > 100 {
        return Err(ApiError::invalid("invalid_body", "at most 100 preferences at once"));
    }
    let prefs: Vec<(String, String, bool)> =
        input.preferences.into_iter().map(|p| (p.category, p.channel, p.enabled)).collect();
    state.store.app(user.app_id).set_notification_prefs(&user.user_id, &prefs).await?;
    Ok(ApiJson(all_prefs(&state, &user).await?))
}

/// The keys of a push subscription (`PushSubscription.toJSON().keys`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    /// P-256 public key, base64url.
    pub p256dh: String,
    /// Auth secret, base64url.
    pub auth: String,
}

/// A browser push subscription (`PushSubscription.toJSON()`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct PushInput {
    /// The push service URL.
    pub endpoint: String,
    /// Keys.
    pub keys: PushKeys,
}

/// Registers the caller's browser for web push.
#[utoipa::path(
    post, path = "/v1/push/subscriptions", tag = "notifications", security(("session_token" = [])), request_body = PushInput,
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn subscribe(
    State(state): State<Notifier>,
    user: EndUser,
    ApiJson(input): ApiJson<PushInput>,
) -> Result<ApiJson<Value>, ApiError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let url = reqwest::Url::parse(&input.endpoint)
        .map_err(|_| ApiError::invalid("invalid_endpoint", "endpoint must be an absolute URL"))?;
    if !matches!(url.scheme(), "https" | "http") || input.endpoint.len() > 2000 {
        return Err(ApiError::invalid("invalid_endpoint", "endpoint must be an http(s) URL up to 2000 characters"));
    }
    let key = b64.decode(input.keys.p256dh.trim_end_matches('=')).ok().filter(|k| k.len() == 65 && k[0] == 4);
    let auth = b64.decode(input.keys.auth.trim_end_matches('=')).ok().filter(|a| a.len() == 16);
    if key.is_none() || auth.is_none() {
        return Err(ApiError::invalid(
            "invalid_keys",
            "keys.p256dh must be an uncompressed P-256 point and keys.auth 16 bytes, base64url",
        ));
    }
    let sub = PushSubscription { endpoint: input.endpoint, p256dh: input.keys.p256dh, auth: input.keys.auth };
    state.store.app(user.app_id).add_push_subscription(&user.user_id, &sub).await?;
    Ok(ApiJson(json!({"subscribed": true})))
}

/// `{"public_key": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VapidKey {
    /// The server's VAPID public key (base64url): `applicationServerKey` of `PushManager.subscribe`.
    pub public_key: String,
}

/// The key browsers subscribe with (404 `push_not_configured` when web push is off).
#[utoipa::path(
    get, path = "/v1/push/vapid-public-key", tag = "notifications", security(("session_token" = [])),
    responses((status = 200, body = VapidKey), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn vapid_key(State(state): State<Notifier>, _user: EndUser) -> Result<ApiJson<VapidKey>, ApiError> {
    let vapid =
        state.vapid.as_ref().ok_or_else(|| ApiError::not_found("push_not_configured", "web push is not configured"))?;
    Ok(ApiJson(VapidKey { public_key: vapid.public_key.clone() }))
}

/// Input of `DELETE /v1/push/subscriptions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unsubscribe {
    /// The push service URL.
    pub endpoint: String,
}

/// Removes one of the caller's push subscriptions.
#[utoipa::path(
    delete, path = "/v1/push/subscriptions", tag = "notifications", security(("session_token" = [])),
    request_body = Unsubscribe,
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn unsubscribe(
    State(state): State<Notifier>,
    user: EndUser,
    ApiJson(input): ApiJson<Unsubscribe>,
) -> Result<ApiJson<Value>, ApiError> {
    if !state.store.app(user.app_id).remove_push_subscription(Some(&user.user_id), &input.endpoint).await? {
        return Err(ApiError::not_found("not_found", "no such subscription"));
    }
    Ok(ApiJson(json!({"subscribed": false})))
}

/// Input of `POST /v1/admin/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An `https://` (or `http://`) URL of the client backend.
    pub url: String,
    /// Event names, or `["*"]` for all.
    pub events: Vec<String>,
}

/// `{"webhook": …, "secret": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    /// The endpoint.
    #[schema(value_type = Object)]
    pub webhook: Webhook,
    /// The signing secret, shown once.
    pub secret: String,
}

/// Adds a webhook endpoint; the answer holds its signing secret, shown once.
#[utoipa::path(
    post, path = "/v1/admin/webhooks", tag = "admin", security(("api_secret" = [])), request_body = CreateWebhook,
    responses((status = 200, body = WebhookCreated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn create_webhook(
    State(state): State<Notifier>,
    auth: AdminAuth,
    ApiJson(input): ApiJson<CreateWebhook>,
) -> Result<ApiJson<WebhookCreated>, ApiError> {
    let (webhook, secret) = crate::notify::webhooks::add(&state, auth.app.id, &input.url, &input.events).await?;
    let detail = json!({"url": webhook.url, "events": webhook.events});
    crate::apps::audit_app(&state.store, auth.app.id, "admin_api", "app.webhook_added", detail).await;
    Ok(ApiJson(WebhookCreated { webhook, secret }))
}

/// `{"webhooks": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhooksBody {
    /// The endpoints.
    #[schema(value_type = Vec<Object>)]
    pub webhooks: Vec<Webhook>,
}

/// The app's webhook endpoints.
#[utoipa::path(
    get, path = "/v1/admin/webhooks", tag = "admin", security(("api_secret" = [])),
    responses((status = 200, body = WebhooksBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn webhooks(State(state): State<Notifier>, auth: AdminAuth) -> Result<ApiJson<WebhooksBody>, ApiError> {
    Ok(ApiJson(WebhooksBody { webhooks: state.store.app(auth.app.id).webhooks().await? }))
}

fn webhook_id(raw: &str) -> Result<WebhookId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("not_found", "webhook not found"))
}

/// Removes a webhook endpoint and its delivery log.
#[utoipa::path(
    delete, path = "/v1/admin/webhooks/{id}", tag = "admin", security(("api_secret" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn delete_webhook(
    State(state): State<Notifier>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<ApiJson<Value>, ApiError> {
    state.store.app(auth.app.id).delete_webhook(webhook_id(&id)?).await?;
    state.hooks.changed(auth.app.id);
    crate::apps::audit_app(&state.store, auth.app.id, "admin_api", "app.webhook_removed", json!({"webhook_id": id}))
        .await;
    Ok(ApiJson(json!({"deleted": true})))
}

/// Query of the delivery log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListDeliveries {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 50).
    pub limit: Option<i64>,
}

/// `{"deliveries": […], "next_cursor"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveriesBody {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub deliveries: Vec<Delivery>,
    /// For the next page.
    pub next_cursor: Option<String>,
}

/// The delivery log of a webhook endpoint: status, attempts, last error.
#[utoipa::path(
    get, path = "/v1/admin/webhooks/{id}/deliveries", tag = "admin", security(("api_secret" = [])),
    params(("id" = String, Path), ListDeliveries),
    responses((status = 200, body = DeliveriesBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn deliveries(
    State(state): State<Notifier>,
    auth: AdminAuth,
    Path(id): Path<String>,
    Query(q): Query<ListDeliveries>,
) -> Result<ApiJson<DeliveriesBody>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("invalid_limit", "limit must be between 1 and 100"));
    }
    let scope = state.store.app(auth.app.id);
    let id = webhook_id(&id)?;
    if !scope.webhooks().await?.iter().any(|w| w.id == id) {
        return Err(ApiError::not_found("not_found", "webhook not found"));
    }
    let page = scope.webhook_deliveries(id, q.cursor.as_deref(), limit).await?;
    Ok(ApiJson(DeliveriesBody { deliveries: page.items, next_cursor: page.next_cursor }))
}
