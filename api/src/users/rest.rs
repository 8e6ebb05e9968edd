//! REST twins of contacts and the social graph.

use axum::extract::{Path, Query, State};
use caas_storage::UserId;

use crate::gate::auth::EndUser;
use crate::http::error::{ApiError, ApiJson, ErrorBody};
use crate::users::Users;
use crate::users::{self as social, SearchQuery, UsersBody};

/// The caller's contacts, pending requests (incoming and outgoing), follows,
/// followers, blocks and mutes.
#[utoipa::path(get, path = "/v1/contacts", tag = "social", security(("session_token" = [])),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
pub async fn contacts(State(state): State<Users>, user: EndUser) -> Result<ApiJson<caas_storage::Graph>, ApiError> {
    Ok(ApiJson(social::graph(&state, &user).await?))
}

/// Users of the app whose id or name contains `q` (those who blocked the caller are left out).
#[utoipa::path(get, path = "/v1/users", tag = "social", security(("session_token" = [])), params(SearchQuery),
    responses((status = 200, body = UsersBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<Users>,
    user: EndUser,
    Query(q): Query<SearchQuery>,
) -> Result<ApiJson<UsersBody>, ApiError> {
    Ok(ApiJson(social::search(&state, &user, q).await?))
}

/// Changes the caller's relation with a user: `follow`, `unfollow`, `request`
/// (a contact request), `accept`, `decline`, `cancel`, `remove` (the contact),
/// `block`, `unblock`, `mute`, `unmute`. Returns the caller's graph.
#[utoipa::path(post, path = "/v1/users/{user_id}/{action}", tag = "social", security(("session_token" = [])),
    params(("user_id" = String, Path), ("action" = String, Path)),
    responses((status = 200, body = Object), (status = 403, description = "`blocked`", body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn relate(
    State(state): State<Users>,
    user: EndUser,
    Path((other, action)): Path<(String, String)>,
) -> Result<ApiJson<caas_storage::Graph>, ApiError> {
    let rel =
        social::relation(&action).ok_or_else(|| ApiError::not_found("not_found", format!("no action `{action}`")))?;
    let other: UserId = other.parse().map_err(|_| ApiError::not_found("not_found", "user not found"))?;
    Ok(ApiJson(social::relate(&state, &user, Some(other), rel).await?))
}
