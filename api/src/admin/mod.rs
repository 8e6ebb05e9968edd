//! The admin API, called by a client app's backend with its API key and secret.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use caas_storage::{App, UserId, UserUpsert};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::gate::auth::AdminAuth;
use crate::gate::tokens::{Claims, Grants, ISSUER, sign};
use crate::http::error::{ApiError, ApiJson, ErrorBody};
use crate::http::wire::{UserBody, rfc3339, rfc3339_ms};

crate::handle! {
    /// What the admin API needs.
    Admin => AdminParts
}

/// The parts of a [`Admin`].
pub struct AdminParts {
    /// The database.
    pub store: caas_storage::Store,
    /// Keys and origins of every app, reloaded when an app changes.
    pub directory: std::sync::Arc<crate::gate::directory::Directory>,
    /// New users are admitted against the app's plan.
    pub billing: crate::billing::Billing,
    /// A deleted user's files leave the blob store.
    pub files: crate::files::Files,
}

/// Session lifetime when `ttl_secs` is not given.
pub const DEFAULT_TTL_SECS: u64 = 3600;
/// Shortest session lifetime.
pub const MIN_TTL_SECS: u64 = 60;
/// Longest session lifetime (30 days).
pub const MAX_TTL_SECS: u64 = 30 * 24 * 3600;
/// Largest `metadata` object, serialized.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

/// Body of `POST /v1/admin/sessions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The client app's id for this user (1-128 of `A-Za-z0-9._-~:@+|=`).
    #[schema(value_type = String, example = "u-42")]
    pub user_id: UserId,
    /// Display name.
    pub name: Option<String>,
    /// Avatar picture URL (http or https).
    pub avatar_url: Option<String>,
    /// JSON object the app chooses to share (at most 16 KiB).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// Token lifetime in seconds (60 to 2592000, default 3600).
    pub ttl_secs: Option<u64>,
    /// Optional permissions carried in the token for later features.
    #[schema(value_type = Option<Object>)]
    pub grants: Option<Grants>,
}

/// Reply of `POST /v1/admin/sessions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// The session JWT to hand to the end user.
    pub token: String,
    /// When the token expires (RFC 3339).
    pub expires_at: String,
    /// The user as stored.
    pub user: UserBody,
}

/// Body of `PUT /v1/admin/users/{user_id}`: fields to set; absent fields are kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// Display name.
    pub name: Option<String>,
    /// Avatar picture URL.
    pub avatar_url: Option<String>,
    /// JSON object (replaces the stored one).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

/// An app's settings as the admin API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppBody {
    /// The app's id.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Public API key.
    pub api_key: String,
    /// CIDRs allowed to call the admin API.
    pub allowed_ips: Vec<String>,
    /// Origins allowed to make end-user requests.
    pub allowed_origins: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<App> for AppBody {
    fn from(a: App) -> Self {
        AppBody {
            app_id: a.id.to_string(),
            name: a.name,
            api_key: a.api_key,
            allowed_ips: a.allowed_ips,
            allowed_origins: a.allowed_origins,
            created_at: rfc3339_ms(a.created_at),
            updated_at: rfc3339_ms(a.updated_at),
        }
    }
}

/// Body of `PATCH /v1/admin/app`: lists replace the stored ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppPatch {
    /// Display name.
    pub name: Option<String>,
    /// IPs or CIDRs (IPv4 and IPv6) allowed to call the admin API.
    pub allowed_ips: Option<Vec<String>>,
    /// Origins (`https://app.example.com`, `https://*.example.com`, `*`).
    pub allowed_origins: Option<Vec<String>>,
}

/// Reply of `POST /v1/admin/app/rotate-secret`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretBody {
    /// The app's id.
    pub app_id: String,
    /// Public API key (unchanged).
    pub api_key: String,
    /// The new secret, shown this once.
    pub api_secret: String,
}

/// Query of `POST /v1/admin/app/rotate-signing-key`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RotateKeyQuery {
    /// Also invalidate every token signed with older keys at once.
    #[serde(default)]
    pub revoke_previous: bool,
}

/// Reply of `POST /v1/admin/app/rotate-signing-key`.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyBody {
    /// Id (`kid`) of the new signing key.
    pub kid: String,
}

fn check_profile(
    name: Option<&str>,
    avatar_url: Option<&str>,
    metadata: Option<&serde_json::Value>,
) -> Result<(), ApiError> {
    if name.is_some_and(|n| n.chars().count() > 256) {
        return Err(ApiError::invalid("invalid_name", "name must be at most 256 characters"));
    }
    if let Some(url) = avatar_url {
        let ok = (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() <= 2048
            && !url.contains(char::is_whitespace);
        if !ok {
            return Err(ApiError::invalid(
                "invalid_avatar_url",
                "avatar_url must be an http(s) URL of at most 2048 characters",
            ));
        }
    }
    if let Some(m) = metadata {
        if !m.is_object() {
            return Err(ApiError::invalid("invalid_metadata", "metadata must be a JSON object"));
        }
        if m.to_string().len() > MAX_METADATA_BYTES {
            return Err(ApiError::invalid(
                "invalid_metadata",
                format!("metadata must be at most {MAX_METADATA_BYTES} bytes"),
            ));
        }
    }
    Ok(())
}

fn parse_user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|e: caas_storage::IdError| ApiError::bad_request("invalid_user_id", e.to_string()))
}

/// Creates or updates the end user and returns a session token for them.
#[utoipa::path(
    post,
    path = "/v1/admin/sessions",
    tag = "admin",
    security(("api_secret" = [])),
    request_body = SessionRequest,
    responses(
        (status = 200, description = "Session created", body = SessionResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Wrong or missing credentials (`unauthorized`)", body = ErrorBody),
        (status = 402, description = "A new user over the hard MAU quota of the app's plan (`quota_exceeded`)", body = ErrorBody),
        (status = 403, description = "Caller IP not in the allowlist (`ip_not_allowed`)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
        (status = 429, description = "Rate limited", body = ErrorBody),
    )
)]
pub async fn create_session(
    State(state): State<Admin>,
    auth: AdminAuth,
    ApiJson(req): ApiJson<SessionRequest>,
) -> Result<ApiJson<SessionResponse>, ApiError> {
    Ok(ApiJson(issue_session(&state, auth.app.id, req).await?))
}

/// Upserts the user of `app` and signs a session token for them.
pub async fn issue_session(
    state: &Admin,
    app: caas_storage::AppId,
    req: SessionRequest,
) -> Result<SessionResponse, ApiError> {
    check_profile(req.name.as_deref(), req.avatar_url.as_deref(), req.metadata.as_ref())?;
    let ttl = req.ttl_secs.unwrap_or(DEFAULT_TTL_SECS);
    if !(MIN_TTL_SECS..=MAX_TTL_SECS).contains(&ttl) {
        return Err(ApiError::invalid(
            "invalid_ttl",
            format!("ttl_secs must be between {MIN_TTL_SECS} and {MAX_TTL_SECS}"),
        ));
    }
    let scope = state.store.app(app);
    crate::billing::admit_session(&state.billing, app, &req.user_id).await?;
    let key = scope
        .active_signing_key()
        .await?
        .ok_or_else(|| ApiError::internal(format!("app {} has no active signing key", app)))?;
    let user = scope
        .upsert_user(&UserUpsert {
            id: req.user_id,
            name: req.name,
            avatar_url: req.avatar_url,
            metadata: req.metadata,
        })
        .await?;
    let now = OffsetDateTime::now_utc();
    // ttl is at most MAX_TTL_SECS, far inside i64.
    let expires = now + time::Duration::seconds(ttl as i64);
    let claims = Claims {
        iss: ISSUER.to_owned(),
        sub: user.id.clone(),
        app,
        iat: now.unix_timestamp(),
        exp: expires.unix_timestamp(),
        jti: uuid::Uuid::now_v7().to_string(),
        grants: req.grants,
    };
    let token = sign(&key, &claims).map_err(ApiError::internal)?;
    tracing::debug!(app_id = %app, user_id = %user.id, "session created");
    Ok(SessionResponse { token, expires_at: rfc3339(expires), user: user.into() })
}

/// Reads an end user.
#[utoipa::path(
    get,
    path = "/v1/admin/users/{user_id}",
    tag = "admin",
    security(("api_secret" = [])),
    params(("user_id" = String, Path, description = "The client app's id for the user")),
    responses(
        (status = 200, body = UserBody),
        (status = 400, description = "Invalid user id", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such user in this app (`user_not_found`)", body = ErrorBody),
    )
)]
pub async fn get_user(
    State(state): State<Admin>,
    auth: AdminAuth,
    Path(user_id): Path<String>,
) -> Result<ApiJson<UserBody>, ApiError> {
    let id = parse_user_id(&user_id)?;
    let user = state.store.app(auth.app.id).get_user(&id).await?.ok_or_else(|| user_not_found(&id))?;
    Ok(ApiJson(user.into()))
}

/// Creates the end user or updates the fields given.
#[utoipa::path(
    put,
    path = "/v1/admin/users/{user_id}",
    tag = "admin",
    security(("api_secret" = [])),
    params(("user_id" = String, Path, description = "The client app's id for the user")),
    request_body = UserUpdate,
    responses(
        (status = 200, body = UserBody),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn put_user(
    State(state): State<Admin>,
    auth: AdminAuth,
    Path(user_id): Path<String>,
    ApiJson(req): ApiJson<UserUpdate>,
) -> Result<ApiJson<UserBody>, ApiError> {
    let id = parse_user_id(&user_id)?;
    check_profile(req.name.as_deref(), req.avatar_url.as_deref(), req.metadata.as_ref())?;
    let user = state
        .store
        .app(auth.app.id)
        .upsert_user(&UserUpsert { id, name: req.name, avatar_url: req.avatar_url, metadata: req.metadata })
        .await?;
    Ok(ApiJson(user.into()))
}

/// Erases the end user and their data in this app. Their tokens stop working.
#[utoipa::path(
    delete,
    path = "/v1/admin/users/{user_id}",
    tag = "admin",
    security(("api_secret" = [])),
    params(("user_id" = String, Path, description = "The client app's id for the user")),
    responses(
        (status = 204, description = "Erased"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such user in this app (`user_not_found`)", body = ErrorBody),
    )
)]
pub async fn delete_user(
    State(state): State<Admin>,
    auth: AdminAuth,
    Path(user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_user_id(&user_id)?;
    let Some(files) = state.store.app(auth.app.id).delete_user(&id).await? else {
        return Err(user_not_found(&id));
    };
    // Their tokens are void here at once, on other nodes at their next directory refresh.
    state.directory.reload(&state.store).await?;
    crate::files::delete_blobs(&state.files, auth.app.id, &files).await;
    tracing::info!(app_id = %auth.app.id, user_id = %id, files = files.len(), "user erased");
    Ok(StatusCode::NO_CONTENT)
}

fn user_not_found(id: &UserId) -> ApiError {
    ApiError::not_found("user_not_found", format!("no user `{id}` in this app"))
}

/// The calling app's settings.
#[utoipa::path(
    get,
    path = "/v1/admin/app",
    tag = "admin",
    security(("api_secret" = [])),
    responses((status = 200, body = AppBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_app(auth: AdminAuth) -> ApiJson<AppBody> {
    ApiJson(auth.app.into())
}

/// Changes the calling app's name, IP allowlist or origin allowlist.
#[utoipa::path(
    patch,
    path = "/v1/admin/app",
    tag = "admin",
    security(("api_secret" = [])),
    request_body = AppPatch,
    responses(
        (status = 200, body = AppBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "Bad IP, CIDR or origin (`invalid_ip`, `invalid_origin`)", body = ErrorBody),
    )
)]
pub async fn patch_app(
    State(state): State<Admin>,
    auth: AdminAuth,
    ApiJson(req): ApiJson<AppPatch>,
) -> Result<ApiJson<AppBody>, ApiError> {
    let app = crate::apps::update_settings(
        &state.store,
        auth.app.id,
        req.name.as_deref(),
        req.allowed_ips.as_deref(),
        req.allowed_origins.as_deref(),
    )
    .await?;
    state.directory.reload(&state.store).await?;
    let detail = serde_json::json!({
        "name": req.name, "allowed_ips": req.allowed_ips, "allowed_origins": req.allowed_origins,
    });
    crate::apps::audit_app(&state.store, auth.app.id, "admin_api", "app.settings_changed", detail).await;
    Ok(ApiJson(app.into()))
}

/// Replaces the API secret; the old one stops working at once.
#[utoipa::path(
    post,
    path = "/v1/admin/app/rotate-secret",
    tag = "admin",
    security(("api_secret" = [])),
    responses((status = 200, body = SecretBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn rotate_secret(State(state): State<Admin>, auth: AdminAuth) -> Result<ApiJson<SecretBody>, ApiError> {
    let api_secret = crate::apps::rotate_secret(&state.store, auth.app.id).await?;
    tracing::info!(app_id = %auth.app.id, "api secret rotated");
    crate::apps::audit_app(&state.store, auth.app.id, "admin_api", "app.secret_rotated", serde_json::json!({})).await;
    Ok(ApiJson(SecretBody { app_id: auth.app.id.to_string(), api_key: auth.app.api_key, api_secret }))
}

/// Starts signing sessions with a new key. Tokens of older keys keep working
/// until they expire, unless `revoke_previous` is set.
#[utoipa::path(
    post,
    path = "/v1/admin/app/rotate-signing-key",
    tag = "admin",
    security(("api_secret" = [])),
    params(RotateKeyQuery),
    responses((status = 200, body = KeyBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn rotate_signing_key(
    State(state): State<Admin>,
    auth: AdminAuth,
    Query(q): Query<RotateKeyQuery>,
) -> Result<ApiJson<KeyBody>, ApiError> {
    let kid = crate::apps::rotate_signing_key(&state.store, auth.app.id, q.revoke_previous).await?;
    state.directory.reload(&state.store).await?;
    tracing::info!(app_id = %auth.app.id, kid = %kid, revoke_previous = q.revoke_previous, "signing key rotated");
    let detail = serde_json::json!({"kid": kid.to_string(), "revoke_previous": q.revoke_previous});
    crate::apps::audit_app(&state.store, auth.app.id, "admin_api", "app.signing_key_rotated", detail).await;
    Ok(ApiJson(KeyBody { kid: kid.to_string() }))
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Admin: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(create_session))
        .routes(routes!(get_user, put_user, delete_user))
        .routes(routes!(get_app, patch_app))
        .routes(routes!(rotate_secret))
        .routes(routes!(rotate_signing_key))
}
