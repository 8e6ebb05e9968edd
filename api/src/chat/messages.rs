//! REST twins of the ops that change a message.

use axum::extract::{Path, Query, State};
use caas_storage::MessageId;

use crate::chat::Chat;
use crate::chat::{self, ChangeInput, ChangeOp, MessageBody, MessagesBody, SearchMessages};
use crate::gate::auth::EndUser;
use crate::http::error::{ApiError, ApiJson, ErrorBody};

fn message_id(raw: &str) -> Result<MessageId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("not_found", "message not found"))
}

fn no_body() -> ChangeInput {
    ChangeInput { message_id: None, text: None, kind: None, pinned: None }
}

/// Edits a message's text (the sender only); earlier texts are kept.
#[utoipa::path(
    patch, path = "/v1/messages/{id}", tag = "chat", security(("session_token" = [])),
    params(("id" = String, Path)), request_body = ChangeInput,
    responses((status = 200, body = MessageBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn edit(
    State(state): State<Chat>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ChangeInput>,
) -> Result<ApiJson<MessageBody>, ApiError> {
    Ok(ApiJson(chat::change_message(&state, &user, Some(message_id(&id)?), ChangeOp::Edit, input).await?))
}

/// Deletes a message for everyone (the sender, or a group's owner or admin).
#[utoipa::path(
    delete, path = "/v1/messages/{id}", tag = "chat", security(("session_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = MessageBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn delete(
    State(state): State<Chat>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<MessageBody>, ApiError> {
    Ok(ApiJson(chat::change_message(&state, &user, Some(message_id(&id)?), ChangeOp::Delete, no_body()).await?))
}

/// Adds the caller's reaction (`{"kind": "like"}`).
#[utoipa::path(
    post, path = "/v1/messages/{id}/reactions", tag = "chat", security(("session_token" = [])),
    params(("id" = String, Path)), request_body = ChangeInput,
    responses((status = 200, body = MessageBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn react(
    State(state): State<Chat>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ChangeInput>,
) -> Result<ApiJson<MessageBody>, ApiError> {
    Ok(ApiJson(chat::change_message(&state, &user, Some(message_id(&id)?), ChangeOp::React, input).await?))
}

/// Removes the caller's reaction of one kind.
#[utoipa::path(
    delete, path = "/v1/messages/{id}/reactions/{kind}", tag = "chat", security(("session_token" = [])),
    params(("id" = String, Path), ("kind" = String, Path)),
    responses((status = 200, body = MessageBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn unreact(
    State(state): State<Chat>,
    user: EndUser,
    Path((id, kind)): Path<(String, String)>,
) -> Result<ApiJson<MessageBody>, ApiError> {
    let input = ChangeInput { kind: Some(kind), ..no_body() };
    Ok(ApiJson(chat::change_message(&state, &user, Some(message_id(&id)?), ChangeOp::Unreact, input).await?))
}

/// Pins (`{"pinned": true}`) or unpins a message.
#[utoipa::path(
    post, path = "/v1/messages/{id}/pin", tag = "chat", security(("session_token" = [])),
    params(("id" = String, Path)), request_body = ChangeInput,
    responses((status = 200, body = MessageBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn pin(
    State(state): State<Chat>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ChangeInput>,
) -> Result<ApiJson<MessageBody>, ApiError> {
    Ok(ApiJson(chat::change_message(&state, &user, Some(message_id(&id)?), ChangeOp::Pin, input).await?))
}

/// Full-text search in the caller's conversations (every word must appear), newest first.
#[utoipa::path(
    get, path = "/v1/messages/search", tag = "chat", security(("session_token" = [])),
    params(SearchMessages),
    responses((status = 200, body = MessagesBody), (status = 422, body = ErrorBody))
)]
pub async fn search(
    State(state): State<Chat>,
    user: EndUser,
    Query(q): Query<SearchMessages>,
) -> Result<ApiJson<MessagesBody>, ApiError> {
    Ok(ApiJson(chat::search(&state, &user, q).await?))
}
