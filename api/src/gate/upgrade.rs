//! The check of a WebSocket upgrade: the session token from the `token` query
//! parameter (browsers cannot set headers on a WebSocket) or `Authorization`,
//! and the `Origin`, before the connection is upgraded.

use axum::http::HeaderMap;
use serde::Deserialize;
use utoipa::IntoParams;

use super::Gate;
use super::auth::{EndUser, authenticate, bearer_token};
use super::origin::request_origin;
use crate::http::error::ApiError;

/// Query of the upgrade request.
#[derive(Debug, Deserialize, IntoParams)]
pub struct WsQuery {
    /// Session token (or send `Authorization: Bearer`).
    pub token: Option<String>,
    /// The last cursor seen: missed persistent events are replayed first.
    pub cursor: Option<String>,
}

/// The end user of a WebSocket upgrade: the token from the `token` query
/// parameter (or `Authorization: Bearer`), checked with the `Origin`.
pub async fn upgrade_user(state: &Gate, headers: &HeaderMap, token: Option<&str>) -> Result<EndUser, ApiError> {
    let token = token
        .or_else(|| bearer_token(headers))
        .ok_or_else(|| ApiError::invalid_token("pass the session token as the `token` query parameter"))?;
    authenticate(state, token, request_origin(headers)).await
}
