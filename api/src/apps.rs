//! App management shared by the `caas app` commands and the admin API.

use caas_storage::{App, AppId, AppSettings, KeyId, NewApp, Store};

use crate::gate::netacl::parse_cidrs;
use crate::gate::origin::parse_origins;
use crate::gate::secrets::{hash_secret, new_api_key, new_api_secret};
use crate::gate::tokens::generate_key;
use crate::http::error::ApiError;

/// Allowlist of an app created without `--allow-ip`: this machine only.
pub const DEFAULT_ALLOWED_IPS: [&str; 2] = ["127.0.0.1/32", "::1/128"];

/// A new app and its secret, which is shown this once.
pub struct Created {
    /// The stored app.
    pub app: App,
    /// The API secret in clear.
    pub api_secret: String,
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("invalid_name", "app name must be 1 to 100 characters"));
    }
    Ok(name.to_owned())
}

/// Validates and normalises an IP allowlist.
pub fn normalize_ips<S: AsRef<str>>(items: &[S]) -> Result<Vec<String>, ApiError> {
    let nets = parse_cidrs(items).map_err(|e| ApiError::invalid("invalid_ip", e.to_string()))?;
    Ok(nets.iter().map(ToString::to_string).collect())
}

/// Validates and normalises an origin allowlist.
pub fn normalize_origins<S: AsRef<str>>(items: &[S]) -> Result<Vec<String>, ApiError> {
    let list = parse_origins(items).map_err(|e| ApiError::invalid("invalid_origin", e.to_string()))?;
    Ok(list.iter().map(ToString::to_string).collect())
}

/// Creates an app with a fresh key, secret and signing key. With no IPs given the
/// admin API is reachable from loopback only.
pub async fn create_app(store: &Store, name: &str, ips: &[String], origins: &[String]) -> Result<Created, ApiError> {
    create_team_app(store, name, ips, origins, None).await
}

/// Creates an app as [`create_app`] does; with a team, the team owns it and the
/// audit entry is written in the same transaction.
pub async fn create_team_app(
    store: &Store,
    name: &str,
    ips: &[String],
    origins: &[String],
    team: Option<(caas_storage::TeamId, caas_storage::NewAudit<'_>)>,
) -> Result<Created, ApiError> {
    let allowed_ips = if ips.is_empty() { normalize_ips(&DEFAULT_ALLOWED_IPS)? } else { normalize_ips(ips)? };
    let api_secret = new_api_secret();
    let new = NewApp {
        name: check_name(name)?,
        api_key: new_api_key(),
        secret_hash: hash_secret(&api_secret),
        allowed_ips,
        allowed_origins: normalize_origins(origins)?,
        signing_key: generate_key().map_err(ApiError::internal)?,
    };
    let app = store.create_team_app(new, team).await?;
    Ok(Created { app, api_secret })
}

/// Replaces the secret; the old one stops working at once. Returns the new secret.
pub async fn rotate_secret(store: &Store, app: AppId) -> Result<String, ApiError> {
    let secret = new_api_secret();
    if !store.app(app).set_secret_hash(&hash_secret(&secret)).await? {
        return Err(app_not_found(app));
    }
    Ok(secret)
}

/// Starts signing with a new key; see [`caas_storage::AppScope::rotate_signing_key`].
pub async fn rotate_signing_key(store: &Store, app: AppId, revoke_previous: bool) -> Result<KeyId, ApiError> {
    if store.app_by_id(app).await?.is_none() {
        return Err(app_not_found(app));
    }
    let key = generate_key().map_err(ApiError::internal)?;
    store.app(app).rotate_signing_key(&key, revoke_previous).await?;
    Ok(key.kid)
}

/// Validates and applies a settings change.
pub async fn update_settings(
    store: &Store,
    app: AppId,
    name: Option<&str>,
    ips: Option<&[String]>,
    origins: Option<&[String]>,
) -> Result<App, ApiError> {
    let settings = AppSettings {
        name: name.map(check_name).transpose()?,
        allowed_ips: ips.map(normalize_ips).transpose()?,
        allowed_origins: origins.map(normalize_origins).transpose()?,
    };
    store.app(app).update_settings(&settings).await?.ok_or_else(|| app_not_found(app))
}

fn app_not_found(app: AppId) -> ApiError {
    ApiError::not_found("app_not_found", format!("no app with id {app}"))
}

/// Writes an audit entry about an app (under its team, if a team owns it).
/// The change it records is already made: a failure to audit is logged, not returned.
pub async fn audit_app(store: &Store, app: AppId, actor: &str, action: &str, detail: serde_json::Value) {
    let team = match store.app_team(app).await {
        Ok(team) => team,
        Err(e) => {
            tracing::warn!(app_id = %app, error = %e, "cannot find the app's team for the audit log");
            None
        }
    };
    let entry = caas_storage::NewAudit { team_id: team, app_id: Some(app), actor, action, detail };
    if let Err(e) = store.audit(entry).await {
        tracing::warn!(app_id = %app, action, error = %e, "cannot write the audit log");
    }
}
