//! End-user routes about the caller.

use axum::extract::State;

use crate::gate::auth::EndUser;
use crate::http::error::{ApiError, ApiJson, ErrorBody};
use crate::http::wire::UserBody;
use crate::users::Users;

/// The end user the session token belongs to.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "end users",
    security(("session_token" = [])),
    responses(
        (status = 200, description = "The caller", body = UserBody),
        (status = 401, description = "Missing, expired, malformed or foreign token (`invalid_token`)", body = ErrorBody),
        (status = 403, description = "Origin not allowed (`origin_not_allowed`)", body = ErrorBody),
        (status = 429, description = "Rate limited (`rate_limited`)", body = ErrorBody),
    )
)]
pub async fn me(State(state): State<Users>, user: EndUser) -> Result<ApiJson<UserBody>, ApiError> {
    let stored = state.store.app(user.app_id).get_user(&user.user_id).await?;
    let stored = stored.ok_or_else(|| ApiError::invalid_token("the user of this token no longer exists"))?;
    Ok(ApiJson(stored.into()))
}
