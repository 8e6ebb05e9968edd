//! Dev mode (`caas serve --demo`): a demo app, its web page and a way for the
//! page to get session tokens without a client backend. Never enable it in
//! production: anyone who can reach `/demo/session` can act as any demo user.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use caas_storage::{AppId, Store};
use serde::Deserialize;
use tower_http::services::ServeDir;

use crate::admin::{SessionRequest, SessionResponse, issue_session};
use crate::apps;
use crate::config::ServeArgs;
use crate::http::error::{ApiError, ApiJson};

crate::handle! {
    /// What dev mode needs.
    Demo => DemoParts
}

/// The parts of a [`Demo`].
pub struct DemoParts {
    /// Sessions are issued as the admin API issues them.
    pub admin: crate::admin::Admin,
    /// The demo app, in dev mode only.
    pub demo_app: Option<caas_storage::AppId>,
}

/// Name of the app dev mode creates (once) and uses.
pub const DEMO_APP_NAME: &str = "CAAS demo";

/// The demo app's id, created on first start in dev mode. Any origin may use it.
pub async fn ensure_demo_app(store: &Store) -> Result<AppId, ApiError> {
    if let Some(app) = store.list_apps().await?.into_iter().find(|a| a.name == DEMO_APP_NAME) {
        return Ok(app.id);
    }
    let created = apps::create_app(store, DEMO_APP_NAME, &[], &["*".to_owned()]).await?;
    tracing::warn!(app_id = %created.app.id, "dev mode: created the demo app; /demo/session hands out its tokens");
    Ok(created.app.id)
}

/// Body of `POST /demo/session`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSession {
    user_id: caas_storage::UserId,
    name: Option<String>,
}

async fn session(
    State(state): State<Demo>,
    ApiJson(body): ApiJson<DemoSession>,
) -> Result<ApiJson<SessionResponse>, ApiError> {
    let app = state.demo_app.ok_or_else(|| ApiError::not_found("not_found", "dev mode is off"))?;
    let req = SessionRequest {
        user_id: body.user_id,
        name: body.name,
        avatar_url: None,
        metadata: None,
        ttl_secs: None,
        grants: None,
    };
    Ok(ApiJson(issue_session(&state.admin, app, req).await?))
}

/// The dev-mode routes: the page, the built SDK, and sessions.
pub fn routes<S>(config: &ServeArgs) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Demo: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/demo/session", post(session))
        .nest_service("/demo/sdk", ServeDir::new(&config.demo_sdk_dir))
        .nest_service("/demo", ServeDir::new(&config.demo_dir).append_index_html_on_directories(true))
}
